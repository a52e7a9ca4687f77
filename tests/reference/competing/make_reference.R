# Reference values for tests/test_competing.py, from R's cmprsk (cuminc, crr) and survival
# (finegray + coxph, cause-specific coxph). Reads fixture.csv (written by make_fixture.py) and
# writes the CSV files beside this script. Run: Rscript make_reference.R (from this folder).
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

d <- read.csv("fixture.csv", stringsAsFactors = FALSE)
d$purpose_group <- factor(d$purpose_group)  # levels sorted: business (reference), consumption, refinancing
x <- model.matrix(~ purpose_group + fico + dti, data = d)[, -1]
all_times <- sort(unique(d$time))

# ---- cumulative incidence: overall and by purpose group, both causes, at every distinct time
incidence_rows <- function(fit, label_of) {
  tp <- timepoints(fit, all_times)
  out <- NULL
  for (curve in rownames(tp$est)) {
    parts <- strsplit(curve, " ")[[1]]
    out <- rbind(out, data.frame(group = label_of(parts[1]), cause = as.integer(parts[2]),
                                 time = all_times, est = tp$est[curve, ], var = tp$var[curve, ]))
  }
  out
}
overall <- cuminc(d$time, d$event, cencode = 0)
by_group <- cuminc(d$time, d$event, group = d$purpose_group, cencode = 0)
incidence <- rbind(incidence_rows(overall, function(g) "all"),
                   incidence_rows(by_group, function(g) g))
write.csv(incidence, "cuminc.csv", row.names = FALSE)

# ---- Gray's test: by purpose group, unstratified and stratified by term, rho 0 and 1
gray <- NULL
for (rho in c(0, 1)) {
  plain <- cuminc(d$time, d$event, group = d$purpose_group, rho = rho, cencode = 0)$Tests
  strat <- cuminc(d$time, d$event, group = d$purpose_group, strata = d$term, rho = rho,
                  cencode = 0)$Tests
  gray <- rbind(gray,
                data.frame(strata = "none", rho = rho, cause = as.integer(rownames(plain)),
                           stat = plain[, "stat"], pv = plain[, "pv"], df = plain[, "df"]),
                data.frame(strata = "term", rho = rho, cause = as.integer(rownames(strat)),
                           stat = strat[, "stat"], pv = strat[, "pv"], df = strat[, "df"]))
}
write.csv(gray, "gray_test.csv", row.names = FALSE)

# ---- Fine–Gray with crr: cause 1 at crr's default tolerance and fully converged, cause 2
fits <- list(
  cause1 = crr(d$time, d$event, x, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 100),
  cause1_default_gtol = crr(d$time, d$event, x, failcode = 1, cencode = 0),
  cause2 = crr(d$time, d$event, x, failcode = 2, cencode = 0, gtol = 1e-12, maxiter = 100)
)
coefs <- NULL; covs <- NULL; fitstats <- NULL; baselines <- NULL
for (name in names(fits)) {
  f <- fits[[name]]
  coefs <- rbind(coefs, data.frame(model = name, position = seq_along(f$coef), term = names(f$coef),
                                   coef = unname(f$coef), se = sqrt(diag(f$var))))
  covs <- rbind(covs, data.frame(model = name, row = rep(seq_along(f$coef), times = ncol(f$var)),
                                 col = rep(seq_along(f$coef), each = nrow(f$var)),
                                 value = as.vector(f$var)))
  fitstats <- rbind(fitstats, data.frame(model = name, loglik = f$loglik,
                                         loglik_null = f$loglik.null, converged = f$converged))
  baselines <- rbind(baselines, data.frame(model = name, time = f$uftime, hazard = f$bfitj))
}
write.csv(coefs, "crr_coef.csv", row.names = FALSE)
write.csv(covs, "crr_covariance.csv", row.names = FALSE)
write.csv(fitstats, "crr_fit.csv", row.names = FALSE)
write.csv(baselines, "crr_baseline.csv", row.names = FALSE)

# ---- the same model through survival::finegray + weighted coxph (a second implementation)
d$status <- factor(d$event, levels = 0:2, labels = c("censor", "default", "prepaid"))
fg <- finegray(Surv(time, status) ~ ., data = d[, c("time", "status", "purpose_group", "fico", "dti", "id")],
               etype = "default")
fg_fit <- coxph(Surv(fgstart, fgstop, fgstatus) ~ purpose_group + fico + dti, weights = fgwt,
                data = fg, ties = "breslow")
write.csv(data.frame(position = seq_along(coef(fg_fit)), term = names(coef(fg_fit)),
                     coef = unname(coef(fg_fit))),
          "finegray_coxph.csv", row.names = FALSE)

# ---- cause-specific Cox (Efron ties): the other cause is censoring
cs <- NULL
for (k in 1:2) {
  f <- coxph(Surv(time, event == k) ~ purpose_group + fico + dti, data = d, ties = "efron")
  cs <- rbind(cs, data.frame(cause = k, position = seq_along(coef(f)), term = names(coef(f)),
                             coef = unname(coef(f)), se = sqrt(diag(vcov(f)))))
}
write.csv(cs, "cause_specific_cox.csv", row.names = FALSE)
