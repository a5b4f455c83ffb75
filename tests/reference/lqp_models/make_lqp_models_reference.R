# Reference lavaan fits of the LQP models M1-M4 under ML and M1-M3 under WLSMV.
#
# Run from the repository root:
#   Rscript tests/reference/lqp_models/make_lqp_models_reference.R ml
#   Rscript tests/reference/lqp_models/make_lqp_models_reference.R wlsmv
# With no argument the script runs both. On a two-core machine ML took about
# 30 seconds for all four models and WLSMV two to three minutes per model.
#
# Inputs:
#   ../ordinal/lqp_simulated.csv  1,500 complete simulated answers (1-5) to the
#       90 LQP items, from lqp_research.simulate.simulate_item_data(1500,
#       load_instrument(), random_state=5), reverse-worded items already reversed
#   lqp_M1.lav, lqp_M2.lav, lqp_M3.lav (here) and ../ordinal/lqp_M4.lav
#       build_model(load_instrument(), name).to_syntax()
# The WLSMV fit of M4 on the same data is stored in ../ordinal (lqp_M4_*.csv)
# by make_lqp_reference.R, so this script does not repeat it.
#
# Outputs, per model and estimator (ml or wlsmv):
#   lqp_<model>_<estimator>_fit_measures.csv  every fitMeasures() value
#   lqp_<model>_<estimator>_standardized.csv  standardizedSolution(): est.std
#                                              is std.all
#   versions_<estimator>.json                 R, lavaan and BLAS versions

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- dirname(normalizePath(script_path))
ordinal_dir <- file.path(dirname(out_dir), "ordinal")
estimators <- commandArgs(trailingOnly = TRUE)
if (length(estimators) == 0) estimators <- c("ml", "wlsmv")

data <- read.csv(file.path(ordinal_dir, "lqp_simulated.csv"))
stopifnot(!anyNA(data))

read_syntax <- function(name) {
  path <- file.path(out_dir, paste0("lqp_", name, ".lav"))
  if (!file.exists(path)) path <- file.path(ordinal_dir, paste0("lqp_", name, ".lav"))
  paste(readLines(path), collapse = "\n")
}

write_fit <- function(fit, name, estimator) {
  prefix <- file.path(out_dir, paste0("lqp_", name, "_", estimator))
  measures <- fitMeasures(fit)
  write.csv(data.frame(measure = names(measures), value = unname(as.numeric(measures))),
            paste0(prefix, "_fit_measures.csv"), row.names = FALSE)
  standardized <- standardizedSolution(fit, ci = FALSE)
  write.csv(standardized[, c("lhs", "op", "rhs", "est.std", "se")],
            paste0(prefix, "_standardized.csv"), row.names = FALSE)
}

write_versions <- function(estimator) {
  versions <- list(
    R = R.version.string,
    lavaan = as.character(packageVersion("lavaan")),
    blas = extSoftVersion()[["BLAS"]],
    created = format(Sys.time(), "%Y-%m-%d")
  )
  write_json(versions, file.path(out_dir, paste0("versions_", estimator, ".json")),
             auto_unbox = TRUE, pretty = TRUE)
}

if ("ml" %in% estimators) {
  for (name in c("M1", "M2", "M3", "M4")) {
    fit <- cfa(read_syntax(name), data = data, estimator = "ML")
    stopifnot(lavInspect(fit, "converged"))
    write_fit(fit, name, "ml")
    message(name, " ML done")
  }
  write_versions("ml")
}

if ("wlsmv" %in% estimators) {
  for (name in c("M1", "M2", "M3")) {
    fit <- cfa(read_syntax(name), data = data, ordered = TRUE, estimator = "WLSMV")
    stopifnot(lavInspect(fit, "converged"))
    write_fit(fit, name, "wlsmv")
    message(name, " WLSMV done")
  }
  write_versions("wlsmv")
}
