# Reference values for full-information ML (lqp_research.psychometrics.confirmatory,
# cfa(..., missing = "fiml")).
#
# Deletes values at random from HolzingerSwineford1939 (fixed seed), stores the
# damaged data as hs_missing.csv and fits lavaan models with missing = "ml",
# writing per fit
#   <fit>_parameters.csv  parameterEstimates() merged with standardizedSolution() std.all
#   <fit>_fit.json        fitMeasures() plus the information options lavaan used
# and the EM (saturated-model) moments of the damaged data, h1_covariance.csv and
# h1_mean.csv. Run from the repository root:
#   Rscript tests/reference/cfa_fiml/make_cfa_fiml_reference.R

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out <- "tests/reference/cfa_fiml"
variables <- paste0("x", 1:9)
hs <- lavaan::HolzingerSwineford1939[, c("id", "school", variables)]
set.seed(20240607)
for (v in variables) hs[runif(nrow(hs)) < 0.06, v] <- NA
write.csv(hs, file.path(out, "hs_missing.csv"), row.names = FALSE, na = "")

three_factor <- "
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"
second_order <- paste(three_factor, "g =~ visual + textual + speed", sep = "\n")

write_fit <- function(fit, name) {
  estimates <- parameterEstimates(fit, remove.nonfree = FALSE)
  standardized <- standardizedSolution(fit, type = "std.all", se = FALSE, zstat = FALSE,
                                       pvalue = FALSE, ci = FALSE, remove.eq = FALSE,
                                       remove.ineq = FALSE, remove.def = FALSE)
  keys <- intersect(c("lhs", "op", "rhs", "group"), names(estimates))
  merged <- merge(estimates, standardized[, c(keys, "est.std")], by = keys, sort = FALSE)
  write.csv(merged, file.path(out, paste0(name, "_parameters.csv")), row.names = FALSE)
  measures <- as.list(fitMeasures(fit))
  options <- lavInspect(fit, "options")
  measures$converged <- lavInspect(fit, "converged")
  measures$nobs <- sum(lavInspect(fit, "nobs"))
  measures$information <- options$information[1]
  measures$observed.information <- options$observed.information[1]
  measures$h1.information <- options$h1.information[1]
  write_json(measures, file.path(out, paste0(name, "_fit.json")), digits = NA, auto_unbox = TRUE,
             pretty = TRUE)
  invisible(fit)
}

fits <- list(
  hs3_fiml_ml = cfa(three_factor, data = hs, estimator = "ML", missing = "ml"),
  hs3_fiml_mlr = cfa(three_factor, data = hs, estimator = "MLR", missing = "ml"),
  hs_second_order_fiml_ml = cfa(second_order, data = hs, estimator = "ML", missing = "ml"),
  hs_second_order_fiml_mlr = cfa(second_order, data = hs, estimator = "MLR", missing = "ml")
)
for (name in names(fits)) write_fit(fits[[name]], name)

h1 <- lavInspect(fits$hs3_fiml_ml, "sampstat.h1")
write.csv(unclass(h1$cov), file.path(out, "h1_covariance.csv"))
write.csv(data.frame(variable = names(h1$mean), mean = unclass(h1$mean)),
          file.path(out, "h1_mean.csv"), row.names = FALSE)

versions <- list(
  R = R.version$version.string,
  lavaan = as.character(packageVersion("lavaan")),
  jsonlite = as.character(packageVersion("jsonlite"))
)
write_json(versions, file.path(out, "versions.json"), auto_unbox = TRUE, pretty = TRUE)
