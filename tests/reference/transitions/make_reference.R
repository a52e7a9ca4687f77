# Reference values for tests/test_transitions.py from R's msm, etm and nnet (Debian packages
# r-cran-msm, r-cran-etm; nnet ships with R).
#
# Reads panel.csv and pairs.csv (written by make_fixture.py) and writes, beside this script:
#   statetable.csv   msm::statetable.msm: counts of one-month transitions between consecutive
#                    observations of each account (from, to, count), and their row shares
#   etm.csv          etm::etm: Aalen-Johansen transition probabilities P(0, t) for t = 1, 2, 3
#                    (from, to, t, p) - the product of the month-by-month one-month matrices
#   multinom_coef.csv  nnet::multinom of next month's move on utilisation, log_credit_line and
#                    age, for origin buckets 1 and 2 (stay the reference level): coefficients,
#                    model-based SEs (inverse of the Hessian nnet computes) and cluster-robust
#                    SEs by account (sandwich of the per-observation scores, CR1 factor
#                    G/(G-1) (N-1)/(N-K), as statsmodels), and the log-likelihoods
#   versions.csv     R, msm, etm and nnet versions
# Run from the repository root: Rscript tests/reference/transitions/make_reference.R
suppressPackageStartupMessages({library(msm); library(etm); library(nnet)})
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/transitions"
out <- function(frame, name) write.csv(frame, file.path(here, name), row.names = FALSE)
buckets <- c("current", "1", "2", "3+", "default", "closed")

# --- transition counts: msm's statetable ----------------------------------------------------
panel <- read.csv(file.path(here, "panel.csv"), colClasses = c("character", "integer", "character"))
panel <- panel[order(panel$account_id, panel$t), ]
panel$state <- match(panel$bucket, buckets)
# statetable.msm counts every pair of consecutive observations of a subject; an absorbed
# account's rows after absorption would count as absorbing -> absorbing, which the Python side
# leaves out (an absorbed account goes nowhere): keep each account up to its first absorbing row.
absorbed_before <- ave(panel$state >= 5, panel$account_id,
                       FUN = function(x) c(FALSE, cumsum(x)[-length(x)] > 0))
kept <- panel[!absorbed_before, ]
table <- statetable.msm(state, account_id, data = kept)
counts <- as.data.frame(as.table(table), stringsAsFactors = FALSE)
names(counts) <- c("from", "to", "count")
counts$from <- buckets[as.integer(counts$from)]
counts$to <- buckets[as.integer(counts$to)]
counts$share <- counts$count / ave(counts$count, counts$from, FUN = sum)
out(counts, "statetable.csv")

# --- month-by-month product: etm's Aalen-Johansen estimator -----------------------------------
# Spells of constant state; a change of state at month t is a transition at time t; the last
# spell of an account still transient at the end is censored there.
spells <- do.call(rbind, lapply(split(kept, kept$account_id), function(a) {
  change <- c(which(diff(a$state) != 0), nrow(a))
  start <- c(1, head(change, -1) + 1)
  to <- ifelse(seq_along(change) < length(change), a$state[pmin(change + 1, nrow(a))], NA)
  last_state <- a$state[change]
  data.frame(id = a$account_id[1], entry = a$t[start], exit = a$t[pmin(change + 1, nrow(a))],
             from = last_state, to = ifelse(is.na(to), "cens", to), stringsAsFactors = FALSE)
}))
# A censored spell ends at the account's last month; drop absorbing "spells" (no way out).
spells$exit[spells$to == "cens"] <- max(kept$t)
spells <- spells[spells$from <= 4 & spells$exit > spells$entry, ]
tra <- matrix(FALSE, 6, 6, dimnames = list(1:6, 1:6))
for (i in 1:4) tra[i, setdiff(1:6, i)] <- TRUE
fit <- etm(spells, as.character(1:6), tra, "cens", s = 0)
rows <- list()
for (k in 1:3) {
  P <- fit$est[, , which(fit$time == k)]
  grid <- expand.grid(from = 1:6, to = 1:6)
  rows[[k]] <- data.frame(from = buckets[grid$from], to = buckets[grid$to], t = k,
                          p = P[cbind(grid$from, grid$to)])
}
out(do.call(rbind, rows), "etm.csv")

# --- multinomial logits: nnet::multinom -----------------------------------------------------
pairs <- read.csv(file.path(here, "pairs.csv"), colClasses = c("character", "character",
                  "character", "numeric", "numeric", "numeric"))
coef_rows <- list(); fit_rows <- list()
for (origin in c("1", "2")) {
  d <- pairs[pairs$from == origin, ]
  levels <- intersect(c("stay", "cure", "improve", "roll", "closed"), unique(d$move))
  d$move <- factor(d$move, levels = levels)
  m <- multinom(move ~ utilisation + log_credit_line + age, data = d, Hess = TRUE,
                trace = FALSE, maxit = 10000, reltol = 1e-16, abstol = 1e-300)
  b <- coef(m)  # (J-1) x K
  X <- model.matrix(~ utilisation + log_credit_line + age, d)
  eta <- cbind(0, X %*% t(b))
  p <- exp(eta - apply(eta, 1, max)); p <- p / rowSums(p)
  Y <- model.matrix(~ move - 1, d)
  # Scores per observation, in the order of vcov(m): category-major (all terms of the first
  # non-reference category, then the next).
  scores <- do.call(cbind, lapply(2:length(levels), function(j) X * (Y[, j] - p[, j])))
  V <- vcov(m)
  S <- rowsum(scores, d$account_id)
  G <- nrow(S); N <- nrow(X); K <- ncol(scores)
  robust <- V %*% (crossprod(S) * G / (G - 1) * (N - 1) / (N - K)) %*% V
  names_ <- as.vector(t(outer(levels[-1], colnames(X), paste, sep = ": ")))
  coef_rows[[origin]] <- data.frame(origin = origin, term = names_, estimate = as.vector(t(b)),
                                    se = sqrt(diag(V)), robust_se = sqrt(diag(robust)))
  fit_rows[[origin]] <- data.frame(origin = origin, loglik = as.numeric(logLik(m)), n = N,
                                   n_clusters = G, iterations = m$convergence)
}
out(do.call(rbind, coef_rows), "multinom_coef.csv")
out(do.call(rbind, fit_rows), "multinom_fit.csv")
out(data.frame(r = R.version.string, msm = as.character(packageVersion("msm")),
               etm = as.character(packageVersion("etm")),
               nnet = as.character(packageVersion("nnet"))), "versions.csv")
