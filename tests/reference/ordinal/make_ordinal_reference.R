# Reference values for lqp_research.psychometrics.ordinal (WLSMV CFA on ordered items).
#
# Run from the repository root:
#   Rscript tests/reference/ordinal/make_ordinal_reference.R
#
# Writes CSV/JSON fixtures next to this script. Inputs:
#   tests/data/public/bfi.csv  psych::bfi (25 six-point items), not rewritten here
#   hs_cat5.csv                HolzingerSwineford1939 x1-x9 cut into five ordered categories
#                              (written by this script, from lavaan's copy of the data)
# Each fit uses lavaan's WLSMV defaults (DWLS, robust.sem SEs, scaled.shifted test,
# delta parameterization) with all items declared ordered.

suppressPackageStartupMessages({
  library(lavaan)
  library(psych)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- dirname(normalizePath(script_path))
repo_root <- normalizePath(file.path(out_dir, "..", "..", ".."))

write_table <- function(df, name) {
  write.csv(df, file.path(out_dir, name), row.names = FALSE)
}

write_fit <- function(fit, prefix, gamma = c("full", "diagonal")) {
  gamma <- match.arg(gamma)
  sample_stats <- lavInspect(fit, "sampstat")

  thresholds <- sample_stats$th
  write_table(
    data.frame(name = names(thresholds), value = unname(thresholds)),
    paste0(prefix, "_thresholds.csv")
  )
  polychoric <- unclass(sample_stats$cov)
  write.csv(polychoric, file.path(out_dir, paste0(prefix, "_polychoric.csv")))

  nacov <- lavInspect(fit, "gamma")
  if (gamma == "full") {
    write.csv(unclass(nacov), file.path(out_dir, paste0(prefix, "_gamma.csv")))
  } else {
    write_table(
      data.frame(name = rownames(nacov), value = diag(nacov)),
      paste0(prefix, "_gamma_diagonal.csv")
    )
  }

  estimates <- parameterEstimates(fit, ci = FALSE)
  write_table(estimates[, c("lhs", "op", "rhs", "est", "se", "z", "pvalue")],
              paste0(prefix, "_parameters.csv"))
  standardized <- standardizedSolution(fit, ci = FALSE)
  write_table(standardized[, c("lhs", "op", "rhs", "est.std", "se", "z", "pvalue")],
              paste0(prefix, "_standardized.csv"))

  measures <- fitMeasures(fit)
  write_table(data.frame(measure = names(measures), value = unname(as.numeric(measures))),
              paste0(prefix, "_fit_measures.csv"))

  test <- lavInspect(fit, "test")$scaled.shifted
  details <- list(
    nobs = lavInspect(fit, "nobs"),
    ntotal = lavInspect(fit, "ntotal"),
    missing = lavInspect(fit, "options")$missing,
    chisq = test$scaled.test.stat,
    chisq_scaled = test$stat,
    df = test$df,
    trace_ugamma = test$trace.UGamma,
    trace_ugamma2 = test$trace.UGamma2,
    scaling_factor = test$scaling.factor,
    shift_parameter = test$shift.parameter,
    converged = lavInspect(fit, "converged")
  )
  write_json(details, file.path(out_dir, paste0(prefix, "_test.json")),
             auto_unbox = TRUE, digits = NA, pretty = TRUE)
}

# --- HolzingerSwineford1939 cut into five categories (complete data) ----------------
hs <- HolzingerSwineford1939[, paste0("x", 1:9)]
cut_points <- c(0, 0.10, 0.30, 0.60, 0.85, 1)
hs[] <- lapply(hs, function(x) {
  cut(x, quantile(x, cut_points), include.lowest = TRUE, labels = FALSE)
})
write_table(hs, "hs_cat5.csv")

hs_model <- "
  visual  =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed   =~ x7 + x8 + x9
"
fit_hs <- cfa(hs_model, data = hs, ordered = TRUE, estimator = "WLSMV")
write_fit(fit_hs, "hs", gamma = "full")

# The same items under a second-order factor (three first-order factors on "general").
hs_second_order_model <- paste(hs_model, "general =~ visual + textual + speed", sep = "\n")
fit_hs_second_order <- cfa(hs_second_order_model, data = hs, ordered = TRUE, estimator = "WLSMV")
write_fit(fit_hs_second_order, "hs_second_order", gamma = "diagonal")

# --- psych::bfi Big Five items (six categories, missing values) ---------------------
bfi <- read.csv(file.path(repo_root, "tests", "data", "public", "bfi.csv"))
items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5),
           paste0("N", 1:5), paste0("O", 1:5))
bfi_items <- bfi[, items]

bfi_model <- "
  agreeableness     =~ A1 + A2 + A3 + A4 + A5
  conscientiousness =~ C1 + C2 + C3 + C4 + C5
  extraversion      =~ E1 + E2 + E3 + E4 + E5
  neuroticism       =~ N1 + N2 + N3 + N4 + N5
  openness          =~ O1 + O2 + O3 + O4 + O5
"
fit_bfi_pairwise <- cfa(bfi_model, data = bfi_items, ordered = TRUE,
                        estimator = "WLSMV", missing = "pairwise")
write_fit(fit_bfi_pairwise, "bfi_pairwise", gamma = "diagonal")

fit_bfi_listwise <- cfa(bfi_model, data = bfi_items, ordered = TRUE, estimator = "WLSMV")
write_fit(fit_bfi_listwise, "bfi_listwise", gamma = "diagonal")

# psych's two-step polychorics: global thresholds, pairwise cases, and 0.5 added to
# empty cells (correct = 0.5), so they differ slightly from lavaan's where cells are empty.
psych_rho <- polychoric(bfi_items)$rho
write.csv(psych_rho, file.path(out_dir, "bfi_psych_polychoric.csv"))

# --- versions --------------------------------------------------------------------------
versions <- list(
  R = R.version.string,
  lavaan = as.character(packageVersion("lavaan")),
  psych = as.character(packageVersion("psych")),
  blas = extSoftVersion()[["BLAS"]],
  lapack = La_library(),
  created = format(Sys.time(), "%Y-%m-%d")
)
write_json(versions, file.path(out_dir, "versions.json"), auto_unbox = TRUE, pretty = TRUE)
