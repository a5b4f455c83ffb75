# Reference values for the CFA engine (lqp_research.psychometrics.confirmatory).
#
# Fits lavaan models on HolzingerSwineford1939 and writes, per fit,
#   <fit>_parameters.csv  parameterEstimates() merged with standardizedSolution() std.all
#   <fit>_fit.json        fitMeasures()
# plus modification indices, likelihood-ratio tests and the package versions.
# Run from the repository root:  Rscript tests/reference/cfa/make_cfa_reference.R

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out <- "tests/reference/cfa"
data_out <- "tests/data/public/HolzingerSwineford1939.csv"
hs <- lavaan::HolzingerSwineford1939
write.csv(hs, data_out, row.names = FALSE)

three_factor <- "
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"
one_factor <- "g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9"
second_order <- paste(three_factor, "g =~ visual + textual + speed", sep = "\n")
# The bifactor model does not converge on HolzingerSwineford1939, so it is fitted
# to data simulated from a bifactor population model (12 items, 3 specific factors).
bifactor_population <- "
g  =~ 0.7*y1 + 0.6*y2 + 0.7*y3 + 0.5*y4 + 0.6*y5 + 0.7*y6 + 0.6*y7 + 0.5*y8 +
      0.6*y9 + 0.7*y10 + 0.5*y11 + 0.6*y12
s1 =~ 0.5*y1 + 0.4*y2 + 0.5*y3 + 0.6*y4
s2 =~ 0.4*y5 + 0.5*y6 + 0.6*y7 + 0.4*y8
s3 =~ 0.6*y9 + 0.4*y10 + 0.5*y11 + 0.5*y12
"
bifactor <- "
g  =~ y1 + y2 + y3 + y4 + y5 + y6 + y7 + y8 + y9 + y10 + y11 + y12
s1 =~ y1 + y2 + y3 + y4
s2 =~ y5 + y6 + y7 + y8
s3 =~ y9 + y10 + y11 + y12
"
set.seed(20240521)
bifactor_data <- simulateData(bifactor_population, sample.nobs = 600, orthogonal = TRUE)
write.csv(bifactor_data, file.path(out, "bifactor_data.csv"), row.names = FALSE)
residual_covariance <- paste(three_factor, "x7 ~~ x8", sep = "\n")

write_fit <- function(fit, name) {
  estimates <- parameterEstimates(fit, remove.nonfree = FALSE)
  standardized <- standardizedSolution(fit, type = "std.all", se = FALSE, zstat = FALSE,
                                       pvalue = FALSE, ci = FALSE, remove.eq = FALSE,
                                       remove.ineq = FALSE, remove.def = FALSE)
  keys <- intersect(c("lhs", "op", "rhs", "group"), names(estimates))
  merged <- merge(estimates, standardized[, c(keys, "est.std")], by = keys, sort = FALSE)
  write.csv(merged, file.path(out, paste0(name, "_parameters.csv")), row.names = FALSE)
  measures <- as.list(fitMeasures(fit))
  measures$converged <- lavInspect(fit, "converged")
  measures$nobs <- sum(lavInspect(fit, "nobs"))
  write_json(measures, file.path(out, paste0(name, "_fit.json")), digits = NA, auto_unbox = TRUE,
             pretty = TRUE)
  invisible(fit)
}

fits <- list(
  hs3_ml = cfa(three_factor, data = hs, estimator = "ML"),
  hs3_mlr = cfa(three_factor, data = hs, estimator = "MLR"),
  hs1_ml = cfa(one_factor, data = hs, estimator = "ML"),
  hs1_mlr = cfa(one_factor, data = hs, estimator = "MLR"),
  hs_second_order_ml = cfa(second_order, data = hs, estimator = "ML"),
  hs_second_order_mlr = cfa(second_order, data = hs, estimator = "MLR"),
  sim_bifactor_ml = cfa(bifactor, data = bifactor_data, estimator = "ML", orthogonal = TRUE),
  hs_rescov_ml = cfa(residual_covariance, data = hs, estimator = "ML"),
  hs_configural_ml = cfa(three_factor, data = hs, group = "school"),
  hs_metric_ml = cfa(three_factor, data = hs, group = "school", group.equal = "loadings"),
  hs_scalar_ml = cfa(three_factor, data = hs, group = "school",
                     group.equal = c("loadings", "intercepts"))
)
for (name in names(fits)) write_fit(fits[[name]], name)

mi <- modindices(fits$hs3_ml, sort. = TRUE)
write.csv(mi, file.path(out, "hs3_ml_modindices.csv"), row.names = FALSE)
mi_bifactor <- modindices(fits$sim_bifactor_ml, sort. = TRUE)
write.csv(mi_bifactor, file.path(out, "sim_bifactor_ml_modindices.csv"), row.names = FALSE)

lrt_ml <- lavTestLRT(fits$hs1_ml, fits$hs3_ml)
write.csv(as.data.frame(lrt_ml), file.path(out, "lrt_ml.csv"))
lrt_mlr <- lavTestLRT(fits$hs1_mlr, fits$hs3_mlr, method = "satorra.bentler.2001")
write.csv(as.data.frame(lrt_mlr), file.path(out, "lrt_mlr.csv"))
lrt_invariance <- lavTestLRT(fits$hs_configural_ml, fits$hs_metric_ml, fits$hs_scalar_ml)
write.csv(as.data.frame(lrt_invariance), file.path(out, "lrt_invariance.csv"))

versions <- list(
  R = R.version.string,
  lavaan = as.character(packageVersion("lavaan")),
  jsonlite = as.character(packageVersion("jsonlite")),
  semTools = if (requireNamespace("semTools", quietly = TRUE)) as.character(packageVersion("semTools")) else NA
)
write_json(versions, file.path(out, "versions.json"), auto_unbox = TRUE, pretty = TRUE)
