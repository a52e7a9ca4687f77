"""Discrete-time hazard (overdue.models.hazard): known truth, Cox agreement, statsmodels, inputs.

The simulated world: loans issued over three years in three states, each state with its own
unemployment path by calendar month (so loan age and calendar time differ), a loan covariate
``x``, independent prepayment censoring and a snapshot date. Each month on book a loan defaults
with probability ``h`` where ``cloglog(h) = alpha(month_on_book) + B_X x + B_U unemp_c(t)``,
``unemp_c`` the state's rate in the previous calendar month minus 7 points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from lifelines import CoxTimeVaryingFitter

from overdue.models.hazard import baseline_levels, fit_discrete_hazard

B_X, B_U, TERM = 0.5, 0.3, 36
ALPHA = -6.2 + 1.2 * np.minimum(np.arange(1, TERM + 1), 12) / 12  # rises for a year, then flat


def simulate_panel(n_loans=3000, seed=0):
    rng = np.random.default_rng(seed)
    months = np.arange(72)  # calendar months 2007-01 .. 2012-12
    states = ["CA", "NV", "TX"]
    # A recession hump around early 2010 whose height differs by state, plus noise.
    unemployment = {
        state: 4.5
        + level
        + height * np.exp(-0.5 * ((months - 38) / 12.0) ** 2)
        + rng.normal(0, 0.15, len(months))
        for state, level, height in zip(states, [0.5, 0.0, 0.3], [6.0, 9.0, 3.5])
    }
    issued = rng.integers(0, 36, n_loans)  # issue months 2007-01 .. 2009-12
    state = rng.choice(states, n_loans)
    x = rng.normal(size=n_loans)
    snapshot = months[-1]
    rows = []
    for loan in range(n_loans):
        prepaid_after = rng.geometric(0.02)
        for month in range(1, TERM + 1):
            calendar = issued[loan] + month
            if calendar > snapshot or month > prepaid_after:
                break
            unemp_c = unemployment[state[loan]][calendar - 1] - 7.0  # published a month late
            eta = ALPHA[month - 1] + B_X * x[loan] + B_U * unemp_c
            default = rng.random() < -np.expm1(-np.exp(eta))
            rows.append((f"L{loan:05d}", month, state[loan], x[loan], unemp_c, int(default)))
            if default:
                break
    return pd.DataFrame(
        rows, columns=["id", "month_on_book", "addr_state", "x", "unemp_c", "event_default"]
    )


@pytest.fixture(scope="module")
def panel():
    return simulate_panel()


@pytest.fixture(scope="module")
def monthly_fit(panel):
    return fit_discrete_hazard(panel, "x + unemp_c", link="cloglog", baseline_form="dummies")


def test_recovers_true_coefficients_with_loan_clustered_errors(panel, monthly_fit):
    fit = monthly_fit
    assert fit.model == "hazard_cloglog" and fit.ok
    assert fit.n == len(panel) and fit.events == panel["event_default"].sum() > 500
    assert fit.cov_type == "cluster" and fit.n_clusters == panel["id"].nunique()
    for term, truth in {"x": B_X, "unemp_c": B_U}.items():
        row = fit.summary.loc[term]
        assert row["ci_lower"] < truth < row["ci_upper"], (term, row)
    # The baseline too: month m's dummy estimates alpha(m) - alpha(1).
    table = fit.summary.loc[fit.extra["baseline_terms"]]
    truth = ALPHA[1:] - ALPHA[0]
    covered = (table["ci_lower"] < truth) & (truth < table["ci_upper"])
    assert covered.mean() >= 0.85, table.assign(truth=truth)
    assert (
        fit.summary.loc["Intercept", "ci_lower"]
        < ALPHA[0]
        < fit.summary.loc["Intercept", "ci_upper"]
    )
    hazard = fit.extra["baseline_hazard"]
    assert hazard.index.tolist() == list(range(1, TERM + 1))
    np.testing.assert_allclose(hazard.loc[13:].mean(), -np.expm1(-np.exp(ALPHA[-1])), rtol=0.15)


def test_bands_keep_few_columns_and_still_recover_the_truth(panel):
    fit = fit_discrete_hazard(panel, "x + unemp_c", baseline_form="bands", band_months=6)
    assert fit.summary.index.tolist() == [
        "Intercept",
        "baseline[7-12]",
        "baseline[13-18]",
        "baseline[19-24]",
        "baseline[25-30]",
        "baseline[31-36]",
        "x",
        "unemp_c",
    ]
    for term, truth in {"x": B_X, "unemp_c": B_U}.items():
        assert fit.summary.loc[term, "ci_lower"] < truth < fit.summary.loc[term, "ci_upper"]


def test_a_month_without_defaults_is_reported_and_bands_absorb_it(panel):
    quiet = panel[panel["id"] < "L00400"].copy()
    quiet.loc[quiet["month_on_book"] >= 35, "event_default"] = 0
    monthly = fit_discrete_hazard(quiet, "x + unemp_c", baseline_form="dummies")
    assert not monthly.ok
    assert any("term 'baseline[" in w and "separation" in w for w in monthly.warnings)
    banded = fit_discrete_hazard(quiet, "x + unemp_c", baseline_form="bands", band_months=6)
    assert banded.ok, banded.warnings


def test_cloglog_agrees_with_cox_on_grouped_times(panel, monthly_fit):
    """Grouped-time PH: the cloglog model with a free monthly baseline is the exact likelihood
    of a Cox model seen in monthly intervals; Cox with tied times (Efron) approximates it, and
    with monthly hazards under 1% the two differ by a small fraction of a standard error."""
    counting = panel.assign(start=panel["month_on_book"] - 1)
    cox = CoxTimeVaryingFitter().fit(
        counting[["id", "start", "month_on_book", "event_default", "x", "unemp_c"]],
        id_col="id",
        start_col="start",
        stop_col="month_on_book",
        event_col="event_default",
    )
    for term in ("x", "unemp_c"):
        difference = monthly_fit.params[term] - cox.params_[term]
        assert abs(difference) < 0.1 * monthly_fit.summary.loc[term, "se"], (term, difference)
        assert abs(difference) < 0.01 * abs(cox.params_[term])


def test_equals_statsmodels_glm_on_the_panel(panel):
    """Same model written out by hand for statsmodels: bands of 6 months as a plain column."""
    start = (panel["month_on_book"] - 1) // 6 * 6 + 1
    bands = panel.assign(band=start.astype(str) + "-" + (start + 5).astype(str))
    reference = smf.glm(
        "event_default ~ C(band, levels=LEVELS) + x + unemp_c",
        bands,
        family=sm.families.Binomial(sm.families.links.CLogLog()),
        eval_env={"LEVELS": baseline_levels(TERM, "bands", 6)},
    ).fit(tol=1e-13, cov_type="cluster", cov_kwds={"groups": pd.factorize(panel["id"])[0]})
    fit = fit_discrete_hazard(panel, "x + unemp_c", baseline_form="bands", band_months=6)
    names = {
        term: f"baseline[{term.split('[T.')[1]}"
        for term in reference.params.index
        if "[T." in term
    }
    np.testing.assert_allclose(fit.params, reference.params.rename(names), rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.summary["se"], reference.bse.rename(names), rtol=0, atol=1e-8)


def sparse_late_band_panel(n_loans=1500, seed=21):
    """The LendingClub pattern that once broke the first IRLS step: FICO on its raw scale (~700)
    and, after two 12-month bands of a 0.9%-a-month hazard, a late band of 17 loan-months with 8
    defaults - 8 loans that outlived the rest, 5 defaulting in their first late month, 3 in
    their fourth."""
    rng = np.random.default_rng(seed)
    fico = rng.normal(700, 35, n_loans).round()
    dti = rng.uniform(0, 30, n_loans)
    rows = []
    for loan in range(n_loans):
        for month in range(1, 25):
            eta = 1.5 - 0.01 * fico[loan] + 0.03 * dti[loan] + 0.3 * (month > 12)
            default = rng.random() < -np.expm1(-np.exp(eta))
            rows.append((loan, month, fico[loan], dti[loan], int(default)))
            if default:
                break
    panel = pd.DataFrame(rows, columns=["id", "month_on_book", "fico", "dti", "event_default"])
    survivors = panel.loc[(panel["month_on_book"] == 24) & (panel["event_default"] == 0), "id"]
    late = [
        (loan, month, fico[loan], dti[loan], int(month == last))
        for number, loan in enumerate(survivors.iloc[:8])
        for last in [25 if number < 5 else 28]
        for month in range(25, last + 1)
    ]
    return pd.concat([panel, pd.DataFrame(late, columns=panel.columns)], ignore_index=True)


def test_a_sparse_late_band_full_of_defaults_converges_to_statsmodels():
    """From a start at the overall event share (0.9%), the first full step moves the late band
    by ~(8/17 - 0.009) / 0.009 = 50 and the deviance from 3373 to 1.5e28: it must be halved.
    From R's and statsmodels' start, mu = (y + 1/2) / 2, no step needs halving."""
    panel = sparse_late_band_panel()
    late = panel[panel["month_on_book"] > 24]
    assert (len(late), late["event_default"].sum()) == (17, 8)
    band = ((panel["month_on_book"] - 1) // 12).astype(str)
    reference = smf.glm(
        "event_default ~ band + fico + dti",
        panel.assign(band=band),
        family=sm.families.Binomial(sm.families.links.CLogLog()),
    ).fit(tol=1e-13, cov_type="cluster", cov_kwds={"groups": pd.factorize(panel["id"])[0]})
    reference_params = reference.params.set_axis(
        ["Intercept", "baseline[13-24]", "baseline[25-28]", "fico", "dti"]
    )

    fit = fit_discrete_hazard(panel, "fico + dti", baseline_form="bands", band_months=12)
    assert fit.ok and fit.step_halvings == 0
    np.testing.assert_allclose(fit.params, reference_params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.summary["se"], reference.bse, rtol=0, atol=1e-8)
    assert fit.params["baseline[25-28]"] > 3  # the survivors' band really is that risky

    share = panel["event_default"].mean()
    event_share_start = [np.log(-np.log1p(-share)), 0.0, 0.0, 0.0, 0.0]
    rescued = fit_discrete_hazard(
        panel, "fico + dti", baseline_form="bands", band_months=12, start_params=event_share_start
    )
    assert rescued.ok and rescued.step_halvings >= 3
    np.testing.assert_allclose(rescued.params, reference_params, rtol=0, atol=1e-8)


def test_partitioned_parquet_panel_gives_the_in_memory_fit(panel, tmp_path):
    for number, loans in enumerate(np.array_split(panel["id"].unique(), 4)):
        panel[panel["id"].isin(loans)].to_parquet(tmp_path / f"part-{number}.parquet")
    in_memory = fit_discrete_hazard(panel, "x + unemp_c", link="logit", baseline_form="bands")
    streamed = fit_discrete_hazard(
        tmp_path, "x + unemp_c", link="logit", baseline_form="bands", batch_rows=20_000
    )
    assert streamed.model == in_memory.model == "hazard_logit"
    np.testing.assert_allclose(streamed.params, in_memory.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(streamed.summary["se"], in_memory.summary["se"], rtol=0, atol=1e-10)
    assert streamed.n_clusters == panel["id"].nunique()


def test_baseline_levels():
    assert baseline_levels(13, "bands", 6) == ["1-6", "7-12", "13-13"]
    assert baseline_levels(2) == ["1", "2"]
    with pytest.raises(ValueError, match="max_month"):
        baseline_levels(0)
    with pytest.raises(ValueError, match="baseline form"):
        baseline_levels(12, "spline")


def test_bad_panels_name_the_problem(panel):
    small = panel[panel["id"] < "L00200"]
    with pytest.raises(ValueError, match="column 'event_default' not found"):
        fit_discrete_hazard(small.drop(columns="event_default"), "x")
    with pytest.raises(ValueError, match="'event_default' must be 0/1"):
        fit_discrete_hazard(small.assign(event_default=small["event_default"] * 3), "x")
    with pytest.raises(ValueError, match="duplicate loan-months"):
        fit_discrete_hazard(pd.concat([small, small.iloc[:1]]), "x")
    early = small.copy()
    early.loc[early.index[0], "event_default"] = 1  # month 1 of a loan that carries on
    with pytest.raises(ValueError, match="before a loan's last month|more than one month"):
        fit_discrete_hazard(early, "x")
    with pytest.raises(ValueError, match="'month_on_book' holds months outside 1..12"):
        fit_discrete_hazard(small, "x", max_month=12)
    with pytest.raises(ValueError, match="right-hand side"):
        fit_discrete_hazard(small, "event_default ~ x")
    with pytest.raises(ValueError, match="baseline_form"):
        fit_discrete_hazard(small, "x", baseline_form="spline")
