# Reference values for tests/test_logit.py, tests/test_attribution.py and tests/test_descriptive.py
# from base R (stats::glm and hand-written formulas, no add-on packages).
#
# Reads fixture.csv (written by make_fixture.py) and writes, beside this script:
#   glm_coef.csv     glm(binomial) estimates, model-based SEs and CR1 cluster-robust SEs by
#                    addr_state (sandwich written out: G/(G-1) (N-1)/(N-K) factor, as Stata/statsmodels)
#   glm_fit.csv      log-likelihood, null log-likelihood, n, k, AIC
#   ame.csv          average marginal effects: derivative for continuous terms, level-vs-reference
#                    change for factor levels and 0/1 terms; delta-method SEs (numerical Jacobian)
#   shapley.csv      Shapley decomposition of McFadden's pseudo-R2 over four families (16 glm fits)
#   subsets.csv      log-likelihood of every subset model
#   delong.csv       AUC and DeLong variance from the O(m n) placement definition, and the paired
#                    comparison full vs without credit
#   hl.csv           Hosmer-Lemeshow over 10 quantile groups of the fitted probabilities
#   wilson.csv       prop.test(x, n, correct = FALSE) intervals (the Wilson score interval)
#   versions.csv     R version
# Run from the repository root: Rscript tests/reference/logit/make_reference.R
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/logit"
fixture <- read.csv(file.path(here, "fixture.csv"), stringsAsFactors = FALSE)
fixture$purpose_group <- factor(fixture$purpose_group,
                                levels = c("refinancing", "business", "consumption"))
fixture$grade <- factor(fixture$grade, levels = c("A", "B", "C"))
out <- function(frame, name) write.csv(frame, file.path(here, name), row.names = FALSE)

families <- list(
  credit = c("fico", "dti", "log_income"),
  purpose = c("purpose_group"),
  macro = c("state_unemp", "gdp_growth_yoy"),
  underwriting = c("meets_policy", "grade"))
rhs <- function(fams) {
  terms <- unlist(families[fams])
  if (length(terms) == 0) "1" else paste(terms, collapse = " + ")
}
fit_glm <- function(fams) {
  glm(as.formula(paste("defaulted ~", rhs(fams))), family = binomial, data = fixture,
      control = glm.control(epsilon = 1e-12, maxit = 100))
}

# --- full model, model-based and cluster-robust SEs ---------------------------------------
full <- fit_glm(names(families))
X <- model.matrix(full)
beta <- coef(full)
p <- fitted(full)
bread <- solve(crossprod(X * sqrt(p * (1 - p))))
scores <- X * (fixture$defaulted - p)
cluster_sums <- rowsum(scores, fixture$addr_state)
G <- nrow(cluster_sums); N <- nrow(X); K <- ncol(X)
meat <- crossprod(cluster_sums) * G / (G - 1) * (N - 1) / (N - K)
robust <- bread %*% meat %*% bread
out(data.frame(term = names(beta), estimate = unname(beta),
               se = unname(sqrt(diag(vcov(full)))), robust_se = sqrt(diag(robust))),
    "glm_coef.csv")
out(data.frame(loglik = as.numeric(logLik(full)),
               null_loglik = as.numeric(logLik(fit_glm(character(0)))),
               n = N, k = K, aic = AIC(full), n_clusters = G), "glm_fit.csv")

# --- average marginal effects -------------------------------------------------------------
ame_of <- function(b) {
  eta <- drop(X %*% b)
  continuous <- c("fico", "dti", "log_income", "state_unemp", "gdp_growth_yoy")
  values <- sapply(continuous, function(v) mean(dlogis(eta)) * b[[v]])
  contrast <- function(set_one, reset) {
    X1 <- X; X1[, reset] <- 0; X1[, set_one] <- 1
    X0 <- X; X0[, reset] <- 0
    mean(plogis(drop(X1 %*% b)) - plogis(drop(X0 %*% b)))
  }
  pg <- c("purpose_groupbusiness", "purpose_groupconsumption")
  gr <- c("gradeB", "gradeC")
  c(values,
    purpose_groupbusiness = contrast("purpose_groupbusiness", pg),
    purpose_groupconsumption = contrast("purpose_groupconsumption", pg),
    meets_policy = contrast("meets_policy", "meets_policy"),
    gradeB = contrast("gradeB", gr), gradeC = contrast("gradeC", gr))
}
ame <- ame_of(beta)
jacobian <- sapply(seq_along(beta), function(k) {
  h <- 1e-6 * max(1, abs(beta[k]))
  up <- beta; up[k] <- up[k] + h
  down <- beta; down[k] <- down[k] - h
  (ame_of(up) - ame_of(down)) / (2 * h)
})
ame_se <- sqrt(diag(jacobian %*% vcov(full) %*% t(jacobian)))
out(data.frame(term = names(ame), ame = unname(ame), se = unname(ame_se)), "ame.csv")

# --- Shapley decomposition of McFadden's pseudo-R2 ------------------------------------------
fam_names <- names(families)
subsets <- unlist(lapply(0:4, function(k) combn(fam_names, k, simplify = FALSE)),
                  recursive = FALSE)
loglik <- sapply(subsets, function(s) as.numeric(logLik(fit_glm(s))))
label <- function(s) if (length(s) == 0) "(intercept only)" else paste(sort(s), collapse = "+")
key <- sapply(subsets, label)
names(loglik) <- key
r2 <- 1 - loglik / loglik[["(intercept only)"]]
shapley <- sapply(fam_names, function(j) {
  total <- 0
  for (s in subsets) {
    if (j %in% s) next
    weight <- factorial(length(s)) * factorial(4 - length(s) - 1) / factorial(4)
    total <- total + weight * (r2[[label(c(s, j))]] - r2[[label(s)]])
  }
  total
})
out(data.frame(family = fam_names, shapley = unname(shapley)), "shapley.csv")
out(data.frame(families = key, loglik = unname(loglik), pseudo_r2 = unname(r2)), "subsets.csv")

# --- DeLong AUC from the placement definition ----------------------------------------------
placements <- function(score, y) {
  x <- score[y == 1]; z <- score[y == 0]
  psi <- outer(x, z, function(a, b) (a > b) + 0.5 * (a == b))
  list(auc = mean(psi), v10 = rowMeans(psi), v01 = colMeans(psi), m = length(x), n = length(z))
}
y <- fixture$defaulted
full_p <- p
without_credit_p <- fitted(fit_glm(setdiff(fam_names, "credit")))
a <- placements(full_p, y)
b <- placements(without_credit_p, y)
var_a <- var(a$v10) / a$m + var(a$v01) / a$n
var_b <- var(b$v10) / b$m + var(b$v01) / b$n
cov_ab <- cov(a$v10, b$v10) / a$m + cov(a$v01, b$v01) / a$n
out(data.frame(auc_full = a$auc, var_full = var_a, auc_without_credit = b$auc,
               var_without_credit = var_b, cov = cov_ab,
               var_difference = var_a + var_b - 2 * cov_ab), "delong.csv")

# --- Hosmer-Lemeshow, 10 quantile groups -----------------------------------------------------
groups <- cut(full_p, breaks = unique(quantile(full_p, probs = seq(0, 1, 0.1))),
              include.lowest = TRUE)
observed <- tapply(y, groups, sum); expected <- tapply(full_p, groups, sum)
size <- tapply(y, groups, length)
hl <- sum((observed - expected)^2 / (expected * (1 - expected / size)))
out(data.frame(statistic = hl, df = length(size) - 2,
               p = pchisq(hl, length(size) - 2, lower.tail = FALSE)), "hl.csv")

# --- Wilson score intervals -----------------------------------------------------------------
cases <- data.frame(x = c(0, 1, 5, 17, 50, 120, 999, 1000), n = c(10, 10, 40, 60, 1000, 130, 1000, 1000))
intervals <- t(mapply(function(x, n) prop.test(x, n, correct = FALSE)$conf.int, cases$x, cases$n))
out(data.frame(cases, lower = intervals[, 1], upper = intervals[, 2]), "wilson.csv")

out(data.frame(R = R.version.string), "versions.csv")
