# Reference WLSMV fits of the LQP models M4 (second-order) and M5 (bifactor).
#
# Run from the repository root (about ten minutes, nearly all of it lavaan):
#   Rscript tests/reference/ordinal/make_lqp_reference.R
#
# Inputs, next to this script:
#   lqp_simulated.csv  1,500 simulated answers (1-5) to the 90 LQP items, from
#                      lqp_research.simulate.simulate_item_data(1500, load_instrument(),
#                      random_state=5), reverse-worded items already reversed
#   lqp_M4.lav, lqp_M5.lav  build_model(load_instrument(), "M4" / "M5").to_syntax()
# M5 is fitted with orthogonal = TRUE, as build_model specifies it.

suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script_path <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- dirname(normalizePath(script_path))

data <- read.csv(file.path(out_dir, "lqp_simulated.csv"))
for (name in c("M4", "M5")) {
  syntax <- paste(readLines(file.path(out_dir, paste0("lqp_", name, ".lav"))), collapse = "\n")
  fit <- cfa(syntax, data = data, ordered = TRUE, estimator = "WLSMV", orthogonal = (name == "M5"))
  measures <- fitMeasures(fit)
  write.csv(data.frame(measure = names(measures), value = unname(as.numeric(measures))),
            file.path(out_dir, paste0("lqp_", name, "_fit_measures.csv")), row.names = FALSE)
  standardized <- standardizedSolution(fit, ci = FALSE)
  write.csv(standardized[, c("lhs", "op", "rhs", "est.std", "se")],
            file.path(out_dir, paste0("lqp_", name, "_standardized.csv")), row.names = FALSE)
}

versions <- list(
  R = R.version.string,
  lavaan = as.character(packageVersion("lavaan")),
  blas = extSoftVersion()[["BLAS"]],
  created = format(Sys.time(), "%Y-%m-%d")
)
write_json(versions, file.path(out_dir, "lqp_versions.json"), auto_unbox = TRUE, pretty = TRUE)
