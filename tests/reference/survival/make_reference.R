# Reference values for tests/test_survival.py from R's survival package (Debian's r-cran-survival).
#
# Reads fixture.csv (written by make_fixture.py) and writes, beside this script:
#   km.csv            survfit(..., conf.type = "log-log"), overall and by purpose_group
#   logrank.csv       survdiff chisq/df/p, plain and stratified by term
#   logrank_groups.csv observed and expected events per group
#   cox_coef.csv      coxph estimates, SEs (robust where R reports them), naive SEs, logliks
#   cox_basehaz.csv   basehaz(fit, centered = TRUE)
#   zph.csv           cox.zph tables: transform = "km" with terms = TRUE and FALSE for every
#                     model, and "identity", "rank", "log" for the efron model
#   zph_resid.csv     cox.zph(fit, terms = FALSE) scaled Schoenfeld residuals (efron model)
#   concordance.csv   fit$concordance (Harrell's C as concordance(fit) reports it) per model
#   versions.csv      R and survival versions
# Run from the repository root: Rscript tests/reference/survival/make_reference.R
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/survival"
fixture <- read.csv(file.path(here, "fixture.csv"), stringsAsFactors = FALSE)
fixture$purpose_group <- factor(fixture$purpose_group)  # levels sorted: business first
out <- function(frame, name) write.csv(frame, file.path(here, name), row.names = FALSE)

# --- Kaplan-Meier ------------------------------------------------------------------------
km_table <- function(fit, label) {
  group <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    sub("^purpose_group=", "", rep(names(fit$strata), fit$strata))
  data.frame(by = label, group = group, time = fit$time, n_at_risk = fit$n.risk,
             n_events = fit$n.event, n_censored = fit$n.censor, survival = fit$surv,
             std_err = fit$std.err, ci_lower = fit$lower, ci_upper = fit$upper)
}
km_all <- survfit(Surv(time, defaulted) ~ 1, data = fixture, conf.type = "log-log")
km_purpose <- survfit(Surv(time, defaulted) ~ purpose_group, data = fixture,
                      conf.type = "log-log")
out(rbind(km_table(km_all, "none"), km_table(km_purpose, "purpose_group")), "km.csv")

# --- log-rank ----------------------------------------------------------------------------
lr_plain <- survdiff(Surv(time, defaulted) ~ purpose_group, data = fixture)
lr_strat <- survdiff(Surv(time, defaulted) ~ purpose_group + strata(term), data = fixture)
lr_row <- function(fit, label) {
  df <- sum(rowSums(as.matrix(fit$exp)) > 0) - 1
  data.frame(test = label, chisq = fit$chisq, df = df,
             p = pchisq(fit$chisq, df, lower.tail = FALSE))
}
out(rbind(lr_row(lr_plain, "plain"), lr_row(lr_strat, "strata_term")), "logrank.csv")
out(data.frame(test = "plain", group = levels(fixture$purpose_group),
               observed = lr_plain$obs, expected = lr_plain$exp), "logrank_groups.csv")

# --- Cox ---------------------------------------------------------------------------------
rhs <- "fico + dti + purpose_group"
models <- list(
  efron = coxph(as.formula(paste("Surv(time, defaulted) ~", rhs)), data = fixture,
                ties = "efron"),
  breslow = coxph(as.formula(paste("Surv(time, defaulted) ~", rhs)), data = fixture,
                  ties = "breslow"),
  strata = coxph(as.formula(paste("Surv(time, defaulted) ~", rhs, "+ strata(term)")),
                 data = fixture, ties = "efron"),
  cluster = coxph(as.formula(paste("Surv(time, defaulted) ~", rhs)), data = fixture,
                  ties = "efron", cluster = addr_state),
  strata_cluster_breslow = coxph(as.formula(paste("Surv(time, defaulted) ~", rhs,
                                                  "+ strata(term)")),
                                 data = fixture, ties = "breslow", cluster = addr_state),
  # non-integer weights: R switches to the robust (per-row sandwich) variance by itself
  weighted = coxph(as.formula(paste("Surv(time, defaulted) ~", rhs)), data = fixture,
                   ties = "efron", weights = weight)
)

coef_rows <- list()
haz_rows <- list()
zph_rows <- list()
concordance_rows <- list()
for (name in names(models)) {
  fit <- models[[name]]
  naive <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  coef_rows[[name]] <- data.frame(
    model = name, term = names(coef(fit)), estimate = unname(coef(fit)),
    se = sqrt(diag(fit$var)), naive_se = sqrt(diag(naive)),
    loglik = fit$loglik[2], loglik_null = fit$loglik[1], score_test = unname(fit$score),
    iterations = fit$iter)
  concordance_rows[[name]] <- data.frame(
    model = name, concordant = fit$concordance[["concordant"]],
    discordant = fit$concordance[["discordant"]], tied_x = fit$concordance[["tied.x"]],
    tied_y = fit$concordance[["tied.y"]], concordance = fit$concordance[["concordance"]],
    std = fit$concordance[["std"]])
  bh <- basehaz(fit, centered = TRUE)
  haz_rows[[name]] <- data.frame(model = name,
                                 stratum = if (is.null(bh$strata)) "all" else
                                   sub("^term=", "", as.character(bh$strata)),
                                 time = bh$time, cumulative_hazard = bh$hazard)
  settings <- rbind(data.frame(transform = "km", terms = c(TRUE, FALSE)),
                    if (name == "efron") data.frame(transform = c("identity", "rank", "log"),
                                                    terms = TRUE))
  for (k in seq_len(nrow(settings))) {
    zph <- cox.zph(fit, transform = settings$transform[k], terms = settings$terms[k])
    zph_rows[[paste(name, k)]] <- data.frame(
      model = name, transform = settings$transform[k], terms = settings$terms[k],
      term = rownames(zph$table), chisq = zph$table[, "chisq"], df = zph$table[, "df"],
      p = zph$table[, "p"])
  }
}
out(do.call(rbind, coef_rows), "cox_coef.csv")
out(do.call(rbind, haz_rows), "cox_basehaz.csv")
out(do.call(rbind, zph_rows), "zph.csv")
out(do.call(rbind, concordance_rows), "concordance.csv")

zph_efron <- cox.zph(models$efron, transform = "km", terms = FALSE)
resid <- as.data.frame(unname(zph_efron$y))
names(resid) <- names(coef(models$efron))
out(cbind(data.frame(time = zph_efron$time, transformed_time = zph_efron$x), resid),
    "zph_resid.csv")

out(data.frame(R = R.version.string, survival = as.character(packageVersion("survival"))),
    "versions.csv")
