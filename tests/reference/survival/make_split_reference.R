# Reference values for tests/test_time_varying.py from R's survival package (Debian's
# r-cran-survival): the Cox model with effects by loan-age band on split episodes, and the
# beta(t) smooth of plot.cox.zph.
#
# Reads fixture.csv (written by make_fixture.py; its DTI effect fades after month 12) and
# writes, beside this script (make_reference.R's files are left alone):
#   split_episodes.csv  survSplit(Surv(time, defaulted) ~ ., cut = c(12, 24), episode = "band")
#   split_coef.csv      coxph(Surv(tstart, time, defaulted) ~ ...) on those episodes: estimates,
#                       SEs (robust), naive SEs, logliks, score test, concordance, per model
#   split_zph.csv       cox.zph(fit, transform = "km", terms = FALSE) of the split models
#   zph_smooth.csv      plot.cox.zph's smooth and +-2 SE band for the unsplit efron model
#   split_versions.csv  R and survival versions
# Run from the repository root: Rscript tests/reference/survival/make_split_reference.R
suppressPackageStartupMessages(library(survival))
suppressPackageStartupMessages(library(splines))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/survival"
fixture <- read.csv(file.path(here, "fixture.csv"), stringsAsFactors = FALSE)
fixture$purpose_group <- factor(fixture$purpose_group)  # levels sorted: business first
out <- function(frame, name) write.csv(frame, file.path(here, name), row.names = FALSE)

# --- episodes ----------------------------------------------------------------------------
split <- survSplit(Surv(time, defaulted) ~ ., data = fixture, cut = c(12, 24),
                   episode = "band")
split$band <- factor(split$band)
# purpose by band: numeric dummies against business, so that x:factor(band) gives one
# coefficient per band (no main effect), as for dti
split$consumption <- as.numeric(split$purpose_group == "consumption")
split$refinancing <- as.numeric(split$purpose_group == "refinancing")
out(split[, c("id", "tstart", "time", "defaulted", "band")], "split_episodes.csv")

# --- Cox on the episodes -----------------------------------------------------------------
models <- list(
  # DTI by band, the rest constant; strata by term, errors clustered by loan
  dti_band = coxph(Surv(tstart, time, defaulted) ~ fico + purpose_group + dti:band +
                     strata(term), data = split, ties = "efron", cluster = id),
  # DTI and purpose by band; Breslow ties, errors clustered by state
  dti_purpose_band = coxph(Surv(tstart, time, defaulted) ~ fico + dti:band +
                             consumption:band + refinancing:band,
                           data = split, ties = "breslow", cluster = addr_state),
  # non-integer case weights, clustered by loan
  weighted = coxph(Surv(tstart, time, defaulted) ~ fico + purpose_group + dti:band +
                     strata(term), data = split, ties = "efron", cluster = id,
                   weights = weight)
)
coef_rows <- list()
zph_rows <- list()
for (name in names(models)) {
  fit <- models[[name]]
  coef_rows[[name]] <- data.frame(
    model = name, term = names(coef(fit)), estimate = unname(coef(fit)),
    se = sqrt(diag(fit$var)), naive_se = sqrt(diag(fit$naive.var)),
    loglik = fit$loglik[2], loglik_null = fit$loglik[1], score_test = unname(fit$score),
    concordance = fit$concordance[["concordance"]], iterations = fit$iter)
  zph <- cox.zph(fit, transform = "km", terms = FALSE)
  zph_rows[[name]] <- data.frame(model = name, term = rownames(zph$table),
                                 chisq = zph$table[, "chisq"], df = zph$table[, "df"],
                                 p = zph$table[, "p"])
}
out(do.call(rbind, coef_rows), "split_coef.csv")
out(do.call(rbind, zph_rows), "split_zph.csv")

# --- plot.cox.zph's smooth ------------------------------------------------------------------
# The lines of survival:::plot.cox.zph (df = 4, nsmo = 40, se = TRUE) that compute what it
# draws: a natural spline of the scaled residuals on g(t) and 2 sqrt(var * p'(X'X)^-1 p).
unsplit <- coxph(Surv(time, defaulted) ~ fico + dti + purpose_group, data = fixture,
                 ties = "efron")
zph <- cox.zph(unsplit, transform = "km", terms = FALSE)
smooth_rows <- list()
df <- 4
nsmo <- 40
xx <- zph$x
pred.x <- seq(from = min(xx), to = max(xx), length = nsmo)
lmat <- ns(c(pred.x, xx), df = df, intercept = TRUE)
pmat <- lmat[1:nsmo, ]
xmat <- lmat[-(1:nsmo), ]
qmat <- qr(xmat)
for (i in seq_len(ncol(zph$y))) {
  yhat <- pmat %*% qr.coef(qmat, zph$y[, i])
  bk <- backsolve(qmat$qr[1:df, 1:df], diag(df))
  xtx <- bk %*% t(bk)
  seval <- ((pmat %*% xtx) * pmat) %*% rep(1, df)
  band <- 2 * sqrt(zph$var[i, i] * seval)
  smooth_rows[[i]] <- data.frame(term = colnames(zph$y)[i], transformed_time = pred.x,
                                 beta = drop(yhat), lower = drop(yhat - band),
                                 upper = drop(yhat + band))
}
out(do.call(rbind, smooth_rows), "zph_smooth.csv")

out(data.frame(R = R.version.string, survival = as.character(packageVersion("survival"))),
    "split_versions.csv")
