# Reference values for tests/test_impacts.py: the fractional logit (Papke-Wooldridge) of the
# recovery rate as R's glm(family = quasibinomial), with the HC0 sandwich and the cluster
# sandwich written out by hand (no extra package). Run from the project root:
#   Rscript tests/reference/impacts/make_reference.R
fixture <- read.csv("tests/reference/impacts/fixture.csv")
fit <- glm(rate ~ fico_z + term_60 + unemp, data = fixture, family = quasibinomial())
X <- model.matrix(fit)
mu <- fitted(fit)
score <- X * (fixture$rate - mu)                 # logit link: d loglik / d beta per row
bread <- solve(crossprod(X * sqrt(mu * (1 - mu))))
hc0 <- bread %*% crossprod(score) %*% bread
cluster_scores <- rowsum(score, fixture$state)
G <- nrow(cluster_scores); N <- nrow(X); K <- ncol(X)
cr1 <- G / (G - 1) * (N - 1) / (N - K) * bread %*% crossprod(cluster_scores) %*% bread
out <- data.frame(term = names(coef(fit)), estimate = unname(coef(fit)),
                  se_hc0 = sqrt(diag(hc0)), se_cluster = sqrt(diag(cr1)))
write.csv(out, "tests/reference/impacts/fractional_logit.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("stats", packageVersion("stats"))),
           "tests/reference/impacts/versions.txt")
