"""The result shapes: typed fields, frozen results, the printed summary, intervals at any level."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from overdue.models import fit_cox, fit_logit, logrank_test
from overdue.models.result import FitResult, TestResult, tidy_summary


@pytest.fixture(scope="module")
def loans():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=1500), "state": rng.choice(list("ABCDEFGH"), 1500)})
    latent = np.ceil(rng.exponential(30 * np.exp(-0.5 * frame["x"]))).astype(int)
    frame["time"], frame["defaulted"] = np.minimum(latent, 36), (latent <= 36).astype(int)
    return frame


def test_results_are_frozen(loans):
    fit = fit_logit(loans, "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.model = "other"


def test_printed_summary_has_header_table_and_footer(loans):
    cox = fit_cox(loans, "x + C(state)", cluster="state")
    text = cox.summary_text()
    for expected in [
        "model  ",
        "cox",
        "formula",
        "x + C(state)",
        "events",
        "ties",
        "efron",
        "by state (8 clusters)",
        "hazard ratio",
        "95% lower",
        "log-likelihood",
        "AIC",
        "concordance",
        "only 8 clusters",
    ]:
        assert expected in text, expected
    html = cox._repr_html_()
    assert "<table" in html and "hazard ratio" in html and "concordance" in html
    logit = fit_logit(loans, "x")
    assert "odds ratio" in logit.summary_text() and "AUC (in sample)" in logit.summary_text()
    assert "McFadden pseudo-R²" in logit.summary_text()


def test_conf_int_at_another_level_matches_a_refit_table(loans):
    fit = fit_logit(loans, "x", alpha=0.05)
    again = fit_logit(loans, "x", alpha=0.1)
    pd.testing.assert_frame_equal(fit.conf_int(0.1), again.summary[["ci_lower", "ci_upper"]])
    pd.testing.assert_frame_equal(fit.conf_int(), fit.summary[["ci_lower", "ci_upper"]])
    with pytest.raises(ValueError, match="alpha"):
        fit.conf_int(1.5)


def test_typed_fields_every_fit_fills(loans):
    for fit in (fit_logit(loans, "x", cluster="state"), fit_cox(loans, "x", cluster="state")):
        assert fit.cov_type == "cluster" and fit.cluster == "state" and fit.n_clusters == 8
        assert list(fit.cov.index) == list(fit.summary.index)
        assert fit.cov_nonrobust is not None and np.isfinite(fit.loglik_null)
        assert fit.iterations >= 1 and fit.alpha == 0.05
        assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * len(fit.summary))


def test_test_results_share_one_shape(loans):
    test = logrank_test(loans.assign(g=loans["x"] > 0), by="g")
    assert isinstance(test, TestResult) and test.df == 1 and 0 <= test.p <= 1
    assert set(test.to_dict()) == {"statistic", "df", "p"}
    assert "log-rank test" in str(test) and test.table is not None


def test_ratio_name_follows_the_link():
    table = tidy_summary(["x"], [0.1], [0.05])
    kinds = {
        ("logit", "logit"): "odds ratio",
        ("hazard_logit", "logit"): "odds ratio",
        ("hazard_cloglog", "cloglog"): "hazard ratio",
        ("cox", None): "hazard ratio",
        ("fine_gray", None): "subdistribution hazard ratio",
    }
    for (model, link), name in kinds.items():
        assert FitResult(model, table, n=1, events=1, converged=True, link=link).ratio_name == name
