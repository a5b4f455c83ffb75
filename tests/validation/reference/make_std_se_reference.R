# Standard errors of standardized loadings (lavaan standardizedSolution, std.all)
# for tests/validation/test_models.py. Run from the repository root:
#   Rscript tests/validation/reference/make_std_se_reference.R
library(lavaan)
hs <- read.csv("tests/data/public/HolzingerSwineford1939.csv")
three <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
second <- paste(three, "g =~ visual + textual + speed", sep = "\n")
out <- list()
for (estimator in c("ML", "MLR")) {
  for (name in c("three", "second")) {
    fit <- cfa(get(name), data = hs, estimator = estimator)
    s <- standardizedSolution(fit, type = "std.all")
    s <- s[s$op == "=~", c("lhs", "rhs", "est.std", "se")]
    s$model <- name
    s$estimator <- tolower(estimator)
    out[[paste(name, estimator)]] <- s
  }
}
write.csv(do.call(rbind, out), "tests/validation/reference/hs_std_loadings_se.csv", row.names = FALSE)
writeLines(paste("lavaan", packageVersion("lavaan"), "R", getRversion()), "tests/validation/reference/versions.txt")
