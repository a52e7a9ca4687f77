"""Impacts: realised returns against numpy-financial's irr, the fractional logit against R's
glm(quasibinomial) with hand-written sandwiches (tests/reference/impacts/make_reference.R) and
against known truth, exact binomial intervals against scipy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from scipy import stats

from overdue.models.impacts import (
    clopper_pearson,
    fit_fractional_logit,
    loss_given_default,
    realised_return,
)

REFERENCE = Path(__file__).parent / "reference" / "impacts"
_spec = importlib.util.spec_from_file_location("impacts_fixture", REFERENCE / "make_fixture.py")
impacts_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(impacts_fixture)
RHS = "fico_z + term_60 + unemp"


def constructed_flows(funded, instalment, last, net_recovery, months, charged_off, lag=4):
    flows = np.zeros(months + (lag if charged_off else 0) + 1)
    flows[0] = -funded
    flows[1:months] += instalment
    if months >= 1:
        flows[months] += last
    if charged_off:
        flows[months + lag] += net_recovery
    return flows


def test_realised_return_equals_irr_of_the_constructed_flows():
    rng = np.random.default_rng(1)
    n = 300
    funded = rng.uniform(1000, 30000, n)
    months = rng.integers(0, 61, n)
    charged_off = rng.random(n) < 0.4
    instalment = funded / 30
    last = instalment * rng.uniform(0.2, 5, n)
    recoveries = np.where(charged_off, funded * rng.uniform(0, 0.2, n), 0.0)
    fees = 0.1 * recoveries
    total = instalment * np.maximum(months - 1, 0) + np.where(months >= 1, last, 0) + recoveries
    ours = realised_return(funded, instalment, total, last, recoveries, fees, months, charged_off)
    for i in range(n):
        flows = constructed_flows(
            funded[i],
            instalment[i],
            last[i],
            recoveries[i] - fees[i],
            int(months[i]),
            bool(charged_off[i]),
        )
        monthly = npf.irr(flows)
        if np.isfinite(monthly):
            assert ours[i] == pytest.approx((1 + monthly) ** 12 - 1, abs=1e-10), i


def test_a_loan_paid_to_schedule_returns_its_rate():
    rate = 0.12 / 12
    instalment = 1000 * rate / (1 - (1 + rate) ** -36)
    ours = realised_return(
        [1000.0], [instalment], [36 * instalment], [instalment], [0.0], [0.0], [36], [False]
    )
    assert ours[0] == pytest.approx((1 + rate) ** 12 - 1, abs=1e-12)
    lost = realised_return([1000.0], [0.0], [0.0], [0.0], [0.0], [0.0], [0], [True])
    assert lost[0] == -1.0


def test_loss_given_default_and_exact_intervals():
    table = loss_given_default([1000.0, 200.0], [250.0, 300.0])
    assert table["lgd"].tolist() == [0.75, 0.0]  # a recovery above the exposure is capped
    lower, upper = clopper_pearson([0, 14, 160], [160, 160, 160])
    for k, lo, hi in zip([0, 14, 160], lower, upper):
        exact = stats.binomtest(k, 160).proportion_ci(method="exact")
        assert (lo, hi) == pytest.approx((exact.low, exact.high), abs=1e-12)


@pytest.fixture(scope="module")
def fixture():
    return pd.read_csv(REFERENCE / "fixture.csv")


@pytest.mark.parametrize("cluster, column", [(None, "se_hc0"), ("state", "se_cluster")])
def test_fractional_logit_matches_r_quasibinomial_with_sandwich(fixture, cluster, column):
    reference = (
        pd.read_csv(REFERENCE / "fractional_logit.csv")
        .replace({"term": {"(Intercept)": "Intercept"}})
        .set_index("term")
    )
    fit = fit_fractional_logit(fixture, RHS, outcome="rate", cluster=cluster)
    summary = fit.summary.loc[reference.index]
    np.testing.assert_allclose(summary["estimate"], reference["estimate"], rtol=1e-6)
    np.testing.assert_allclose(summary["se"], reference[column], rtol=1e-6)
    assert fit.ratio_name == "odds ratio" and fit.cov_type == ("cluster" if cluster else "robust")


def test_fractional_logit_recovers_the_true_coefficients(fixture):
    fit = fit_fractional_logit(fixture, RHS, outcome="rate")
    for term, truth in impacts_fixture.TRUTH.items():
        row = fit.summary.loc[term]
        assert row["ci_lower"] < truth < row["ci_upper"], term


def test_fractional_logit_rejects_rates_outside_the_unit_interval(fixture):
    with pytest.raises(ValueError, match="rates in \\[0, 1\\]"):
        fit_fractional_logit(fixture.assign(rate=fixture["rate"] + 1), RHS, outcome="rate")


def test_impact_features_on_the_real_loans(real_loans, real_macro):
    from overdue.features.build import compute_features, make_context

    features = compute_features(real_loans, make_context(real_loans, real_macro))
    defaulted = features["defaulted"] == 1
    assert features["exposure_at_default"].notna().sum() == defaulted.sum() == 6_431
    assert features.loc[~defaulted, "exposure_at_default"].isna().all()
    assert (features.loc[defaulted, "net_recovery"] > 0).sum() == 6_359  # fees never exceed
    assert features["cured_overdue"].sum() == 1_375 and features["settled"].sum() == 160
    lgd = features.loc[defaulted, "loss_given_default"]
    assert lgd.between(0, 1).all() and 0.85 < lgd.mean() < 0.97
    # A defaulted borrower's score falls far more than one who repaid.
    change = features.groupby("event_type")["credit_score_change"].mean()
    assert change["default"] < change["prepaid"] - 50
    assert features["realised_annual_return"].between(-1, 1).all()
    returns = features.groupby("grade")["realised_annual_return"].mean()
    assert returns["A"] > returns["G"]  # pricing did not keep up with the riskiest grades


def test_linear_fit_has_the_hc1_sandwich(fixture):
    from overdue.models.impacts import fit_linear

    fit = fit_linear(fixture, RHS, outcome="rate")
    X = np.column_stack([np.ones(len(fixture)), fixture[["fico_z", "term_60", "unemp"]]])
    y = fixture["rate"].to_numpy()
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    residual = y - X @ beta
    bread = np.linalg.inv(X.T @ X)
    n, k = X.shape
    hc1 = n / (n - k) * bread @ (X.T * residual**2) @ X @ bread
    np.testing.assert_allclose(fit.params.to_numpy(), beta, rtol=1e-10)
    np.testing.assert_allclose(fit.summary["se"].to_numpy(), np.sqrt(np.diag(hc1)), rtol=1e-10)
    assert fit.ratio_name == "exp(coefficient)"


def test_expected_and_realised_loss_by_hand():
    from overdue.models.impacts import expected_and_realised_loss, rate_by_bins

    features = pd.DataFrame(
        {
            "grade": ["A", "A", "A", "A"],
            "defaulted": [1, 0, 1, 0],
            "funded_amnt": [1000.0, 1000.0, 2000.0, 3000.0],
            "exposure_at_default": [800.0, np.nan, 1500.0, np.nan],
            "net_recovery": [80.0, np.nan, 100.0, np.nan],
            "int_rate": [0.1] * 4,
        }
    )
    train = pd.Series([True, True, False, False])
    table = expected_and_realised_loss(features, [0.5, 0.1], train)
    lgd, ead_share = 1 - 80 / 800, 800 / 1000
    expected = 0.5 * lgd * ead_share * 2000 + 0.1 * lgd * ead_share * 3000
    assert table.loc["A", "expected_loss"] == pytest.approx(expected)
    assert table.loc["A", "realised_loss"] == pytest.approx(1400.0)
    curve = rate_by_bins(pd.Series(np.arange(200.0)), pd.Series(np.arange(200) >= 150), bins=4)
    assert curve["rate"].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert (curve["ci_lower"] <= curve["rate"]).all() and (
        curve["rate"] <= curve["ci_upper"]
    ).all()
