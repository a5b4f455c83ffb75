# Reference values for lqp_research.psychometrics (items, reliability, exploratory,
# rotation, validity), computed with psych, GPArotation, lavaan and semTools.
#
# Run from the repository root:
#     Rscript tests/reference/psych/make_psych_reference.R
# It rewrites tests/data/public/bfi.csv and every CSV/JSON file in
# tests/reference/psych/. The Python tests read only those files, so CI needs no R.

suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

out <- "tests/reference/psych"
write_csv <- function(x, name) {
  write.csv(x, file.path(out, name), row.names = FALSE)
}
write_json_file <- function(x, name) {
  writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, name))
}

# Data -----------------------------------------------------------------------
# psych's bfi: 2800 respondents, 25 items on a 1-6 scale plus gender, education, age.
data(bfi, package = "psych")
bfi_public <- bfi[, c(paste0(rep(c("A", "C", "E", "N", "O"), each = 5), 1:5), "gender", "education", "age")]
write.csv(bfi_public, "tests/data/public/bfi.csv", row.names = FALSE, na = "")

items <- bfi_public[, 1:25]
reverse_items <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
items[, reverse_items] <- 7 - items[, reverse_items]
key <- list(
  A = paste0("A", 1:5), C = paste0("C", 1:5), E = paste0("E", 1:5),
  N = paste0("N", 1:5), O = paste0("O", 1:5)
)

# Item statistics (describe type 3) -----------------------------------------
d <- describe(items, type = 3)
write_csv(data.frame(item = rownames(d), n = d$n, mean = d$mean, sd = d$sd,
                     skew = d$skew, kurtosis = d$kurtosis), "describe.csv")

# Alpha, Feldt interval, item-rest correlations, alpha if item deleted ---------
alpha_rows <- list()
alpha_item_rows <- list()
omega_rows <- list()
for (scale in names(key)) {
  x <- items[, key[[scale]]]
  a <- psych::alpha(x, warnings = FALSE)
  alpha_rows[[scale]] <- data.frame(
    scale = scale, raw_alpha = a$total$raw_alpha,
    feldt_low = a$feldt$lower.ci$raw_alpha, feldt_high = a$feldt$upper.ci$raw_alpha,
    n_rows = nrow(x)
  )
  alpha_item_rows[[scale]] <- data.frame(
    scale = scale, item = key[[scale]], r_drop = a$item.stats$r.drop,
    alpha_if_deleted = a$alpha.drop$raw_alpha
  )
  om <- suppressWarnings(suppressMessages(psych::omega(x, nfactors = 1, fm = "minres", plot = FALSE)))
  omega_rows[[scale]] <- data.frame(scale = scale, omega_total = om$omega.tot)
}
write_csv(do.call(rbind, alpha_rows), "alpha_scales.csv")
write_csv(do.call(rbind, alpha_item_rows), "alpha_items.csv")
write_csv(do.call(rbind, omega_rows), "omega_scales.csv")

# Alpha on the dimension "A + C" (ten items) for the reliability table.
a_ac <- psych::alpha(items[, c(key$A, key$C)], warnings = FALSE)
om_ac <- suppressWarnings(suppressMessages(psych::omega(items[, c(key$A, key$C)], nfactors = 1, plot = FALSE)))
write_csv(data.frame(scale = "AC", raw_alpha = a_ac$total$raw_alpha,
                     feldt_low = a_ac$feldt$lower.ci$raw_alpha,
                     feldt_high = a_ac$feldt$upper.ci$raw_alpha,
                     omega_total = om_ac$omega.tot), "alpha_dimension.csv")

# Omega hierarchical and total from the Schmid-Leiman transformation ----------
omega_fits <- list()
sl_rows <- list()
for (fm in c("minres", "ml")) {
  om <- suppressWarnings(suppressMessages(psych::omega(items, nfactors = 5, fm = fm, plot = FALSE)))
  omega_fits[[fm]] <- list(omega_hierarchical = om$omega_h, omega_total = om$omega.tot,
                           alpha = om$alpha)
  sl_rows[[fm]] <- data.frame(fm = fm, item = rownames(items |> cor(use = "pairwise")),
                              g = om$schmid$sl[, "g"], h2 = om$schmid$sl[, "h2"],
                              u2 = om$schmid$sl[, "u2"])
}
om3 <- suppressWarnings(suppressMessages(psych::omega(items[, c(key$A, key$C, key$E)], nfactors = 3, plot = FALSE)))
omega_fits[["minres_3"]] <- list(omega_hierarchical = om3$omega_h, omega_total = om3$omega.tot,
                                 alpha = om3$alpha)
write_json_file(omega_fits, "omega_schmid_leiman.json")
write_csv(do.call(rbind, sl_rows), "omega_schmid_leiman_items.csv")

# KMO and Bartlett ---------------------------------------------------------------
r <- cor(items, use = "pairwise")
k <- KMO(r)
write_csv(data.frame(item = names(k$MSAi), msa = unname(k$MSAi)), "kmo_items.csv")
b <- cortest.bartlett(r, n = nrow(items))
write_json_file(list(kmo_overall = k$MSA, bartlett_chisq = b$chisq, bartlett_df = b$df,
                     bartlett_p = b$p.value, n = nrow(items)), "kmo_bartlett.json")

# Parallel analysis (random: only observed eigenvalues are exact) ---------------
set.seed(20240101)
pa <- fa.parallel(items, fm = "minres", fa = "both", n.iter = 20, plot = FALSE)
write_csv(data.frame(position = seq_along(pa$pc.values), pc_observed = pa$pc.values,
                     fa_observed = pa$fa.values, pc_simulated_mean = pa$pc.sim,
                     fa_simulated_mean = pa$fa.sim), "parallel.csv")
write_json_file(list(nfact = pa$nfact, ncomp = pa$ncomp, n_iter = 20, quant = 0.95), "parallel.json")

# Velicer's MAP: psych gives the squared variant; the fourth-power variant
# (Velicer, Eaton & Fava, 2000) is computed here from the same partial correlations.
v <- VSS(items, n = 8, rotate = "none", plot = FALSE)
map4 <- sapply(1:8, function(m) {
  e <- eigen(r)
  comp <- e$vectors %*% diag(sqrt(e$values))
  c11 <- r - comp[, 1:m, drop = FALSE] %*% t(comp[, 1:m, drop = FALSE])
  dd <- diag(1 / sqrt(diag(c11)))
  rs <- dd %*% c11 %*% dd
  diag(rs) <- 0
  sum(rs^4) / (ncol(r) * (ncol(r) - 1))
})
offdiag <- r[upper.tri(r)]
write_csv(data.frame(n_factors = 0:8,
                     map_squared = c(mean(offdiag^2), v$map),
                     map_fourth = c(mean(offdiag^4), map4)), "velicer_map.csv")

# Exploratory factor analysis ------------------------------------------------------
load_rows <- list(); phi_rows <- list(); item_rows <- list(); var_rows <- list()
for (fm in c("minres", "ml")) {
  for (rotate in c("oblimin", "promax", "varimax", "none")) {
    f <- fa(items, nfactors = 5, fm = fm, rotate = rotate)
    L <- unclass(f$loadings)
    S <- unclass(f$Structure)
    tag <- paste(fm, rotate, sep = "_")
    load_rows[[tag]] <- data.frame(fm = fm, rotation = rotate, item = rep(rownames(L), ncol(L)),
                                   factor = rep(seq_len(ncol(L)), each = nrow(L)),
                                   loading = c(L), structure = c(S))
    if (!is.null(f$Phi)) {
      phi_rows[[tag]] <- data.frame(fm = fm, rotation = rotate,
                                    row = rep(seq_len(ncol(L)), ncol(L)),
                                    col = rep(seq_len(ncol(L)), each = ncol(L)), phi = c(f$Phi))
    }
    item_rows[[tag]] <- data.frame(fm = fm, rotation = rotate, item = rownames(L),
                                   communality = f$communality, uniqueness = f$uniquenesses)
    va <- f$Vaccounted
    var_rows[[tag]] <- data.frame(fm = fm, rotation = rotate, factor = seq_len(ncol(L)),
                                  ss_loadings = va["SS loadings", ],
                                  proportion_var = va["Proportion Var", ],
                                  cumulative_var = va["Cumulative Var", ])
  }
}
write_csv(do.call(rbind, load_rows), "efa_loadings.csv")
write_csv(do.call(rbind, phi_rows), "efa_phi.csv")
write_csv(do.call(rbind, item_rows), "efa_items.csv")
write_csv(do.call(rbind, var_rows), "efa_variance.csv")

# Rotations applied directly to psych's unrotated minres loadings -------------------
f0 <- fa(items, nfactors = 5, fm = "minres", rotate = "none")
L0 <- unclass(f0$loadings)
write_csv(data.frame(item = rownames(L0), L0), "unrotated_minres.csv")
target <- sapply(names(key), function(s) as.numeric(rownames(L0) %in% key[[s]]))
rotations <- list(
  oblimin = GPArotation::oblimin(L0, eps = 1e-6, maxit = 100000),
  quartimin = GPArotation::quartimin(L0, eps = 1e-6, maxit = 100000),
  targetQ = GPArotation::targetQ(L0, Target = target, eps = 1e-6, maxit = 100000),
  Promax = psych::Promax(L0),
  promax_kaiser = psych::kaiser(L0, rotate = "Promax"),
  varimax = stats::varimax(L0, eps = 1e-10)
)
rot_rows <- list(); rot_phi <- list()
for (name in names(rotations)) {
  rr <- rotations[[name]]
  L <- unclass(rr$loadings)
  rot_rows[[name]] <- data.frame(rotation = name, item = rep(rownames(L0), ncol(L)),
                                 factor = rep(seq_len(ncol(L)), each = nrow(L)), loading = c(L))
  phi <- if (is.null(rr$Phi)) diag(ncol(L)) else rr$Phi
  rot_phi[[name]] <- data.frame(rotation = name, row = rep(seq_len(ncol(L)), ncol(L)),
                                col = rep(seq_len(ncol(L)), each = ncol(L)), phi = c(phi))
}
write_csv(do.call(rbind, rot_rows), "rotation_loadings.csv")
write_csv(do.call(rbind, rot_phi), "rotation_phi.csv")

# Tucker's congruence between the oblimin solution and the key -----------------------
f_ob <- fa(items, nfactors = 5, fm = "minres", rotate = "oblimin")
cong <- factor.congruence(f_ob, target, digits = 10)
write_csv(data.frame(factor = seq_len(nrow(cong)), cong, check.names = FALSE), "congruence.csv")

# Validity on HolzingerSwineford1939 -------------------------------------------------------
hs <- lavaan::HolzingerSwineford1939
hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
fit <- cfa(hs_model, data = hs)
std <- standardizedSolution(fit)
hs_loadings <- std[std$op == "=~", c("lhs", "rhs", "est.std")]
names(hs_loadings) <- c("factor", "item", "loading")
write_csv(hs_loadings, "hs_standardized_loadings.csv")
hs_cor <- std[std$op == "~~" & std$lhs %in% c("visual", "textual", "speed") & std$lhs != std$rhs,
              c("lhs", "rhs", "est.std")]
names(hs_cor) <- c("factor_a", "factor_b", "correlation")
write_csv(hs_cor, "hs_factor_correlations.csv")
ht2 <- semTools::htmt(hs_model, data = hs)
ht1 <- semTools::htmt(hs_model, data = hs, htmt2 = FALSE)
write_csv(data.frame(factor = rownames(ht2), unclass(ht2), check.names = FALSE), "hs_htmt2.csv")
write_csv(data.frame(factor = rownames(ht1), unclass(ht1), check.names = FALSE), "hs_htmt.csv")
# semTools works on the unstandardized solution; store it as input, too.
est <- parameterEstimates(fit)
raw_loadings <- est[est$op == "=~", c("lhs", "rhs", "est")]
names(raw_loadings) <- c("factor", "item", "loading")
raw_loadings$residual_variance <- sapply(raw_loadings$item, function(i) est$est[est$op == "~~" & est$lhs == i & est$rhs == i])
write_csv(raw_loadings, "hs_unstandardized_loadings.csv")
factor_variances <- est[est$op == "~~" & est$lhs == est$rhs & est$lhs %in% c("visual", "textual", "speed"), c("lhs", "est")]
names(factor_variances) <- c("factor", "variance")
write_csv(factor_variances, "hs_factor_variances.csv")
ave <- semTools::AVE(fit, obs.var = FALSE)
cr <- semTools::compRelSEM(fit, obs.var = FALSE)
# The classic formulas on the standardized solution (Fornell & Larcker, 1981).
ave_std <- tapply(hs_loadings$loading^2, hs_loadings$factor, mean)[names(ave)]
cr_std <- sapply(names(ave), function(f) {
  l <- hs_loadings$loading[hs_loadings$factor == f]
  sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
})
write_csv(data.frame(factor = names(ave), ave = unname(ave), composite_reliability = unname(cr[names(ave)]),
                     ave_standardized = unname(ave_std), composite_reliability_standardized = unname(cr_std)),
          "hs_ave_cr.csv")

# Omega from a second-order and a bifactor CFA (standardized solutions) -----------------
# Formulas on the standardized solution: the total variance is the sum of the
# model-implied correlation matrix, i.e. the variance of the sum of standardized items.
so_model <- paste(hs_model, "\n g =~ visual + textual + speed")
so_fit <- cfa(so_model, data = hs)
so_std <- standardizedSolution(so_fit)
first <- so_std[so_std$op == "=~" & so_std$lhs != "g", c("lhs", "rhs", "est.std")]
second <- so_std[so_std$op == "=~" & so_std$lhs == "g", c("lhs", "rhs", "est.std")]
names(first) <- names(second) <- c("factor", "item", "loading")
write_csv(first, "hs_second_order_first.csv")
write_csv(second, "hs_second_order_second.csv")
implied <- lavInspect(so_fit, "cor.ov")
gamma <- setNames(second$loading, second$item)
g_load <- first$loading * gamma[first$factor]
so_omega_h <- sum(g_load)^2 / sum(implied)
so_common <- 0
for (fac in unique(first$factor)) so_common <- so_common + sum(first$loading[first$factor == fac])^2 * (1 - gamma[fac]^2)
so_omega_t <- (sum(g_load)^2 + so_common) / sum(implied)
so_omega_l2 <- semTools::compRelSEM(so_fit, higher = "g", obs.var = FALSE)["g"]

# A bifactor-(S-1) model: with a visual group factor the fit has a Heywood case,
# so x1-x3 load on the general factor only.
bi_model <- "g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
bi_fit <- cfa(bi_model, data = hs, orthogonal = TRUE, std.lv = TRUE)
bi_std <- standardizedSolution(bi_fit)
bi_load <- bi_std[bi_std$op == "=~", c("lhs", "rhs", "est.std")]
names(bi_load) <- c("factor", "item", "loading")
write_csv(bi_load, "hs_bifactor_loadings.csv")
bi_implied <- lavInspect(bi_fit, "cor.ov")
gl <- bi_load$loading[bi_load$factor == "g"]
grp <- bi_load[bi_load$factor != "g", ]
bi_common <- sum(gl)^2
for (fac in unique(grp$factor)) bi_common <- bi_common + sum(grp$loading[grp$factor == fac])^2
write_json_file(list(
  second_order = list(omega_hierarchical = unname(so_omega_h), omega_total = unname(so_omega_t),
                      semtools_omega_l2 = unname(so_omega_l2)),
  bifactor = list(omega_hierarchical = sum(gl)^2 / sum(bi_implied),
                  omega_total = bi_common / sum(bi_implied))
), "hs_cfa_omega.json")

# Versions -------------------------------------------------------------------------------
write_json_file(list(
  R = R.version.string,
  psych = as.character(packageVersion("psych")),
  GPArotation = as.character(packageVersion("GPArotation")),
  lavaan = as.character(packageVersion("lavaan")),
  semTools = as.character(packageVersion("semTools")),
  created = format(Sys.Date())
), "versions.json")
