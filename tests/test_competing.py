"""Tests of competing risks — overdue.models.incidence (cumulative incidence, Gray's test),
overdue.models.fine_gray and the cause-specific Cox of overdue.models.cox: known truth (seeded
simulations) and R's cmprsk/survival.

Reference values come from tests/reference/competing/make_reference.R run on fixture.csv
(written by make_fixture.py); the tests only read the stored CSVs.
"""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overdue.models.cox import fit_cause_specific_cox
from overdue.models.fine_gray import fit_fine_gray
from overdue.models.incidence import cumulative_incidence, gray_test
from overdue.models.result import TestResult
from overdue.models.survival_curves import kaplan_meier

REFERENCE = Path(__file__).parent / "reference" / "competing"
FORMULA = "C(purpose_group) + fico + dti"
RTOL = 1e-4


@pytest.fixture(scope="module")
def fixture_loans() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "fixture.csv")


def simulate_fine_gray(n: int, beta: np.ndarray, seed: int, p_cause1: float = 0.3) -> pd.DataFrame:
    """Competing risks with cause-1 subdistribution ``1 - (1 - p(1 - exp(-t)))^exp(x'beta)``.

    The design of Fine & Gray (1999, section 5): cause 2 takes the remaining probability with an
    exponential time. ``t`` is in years and is rounded up to whole months, as loan data are;
    loans are censored at 60 months or at a uniform snapshot month, so times tie heavily.
    """
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.binomial(1, 0.4, size=n)])
    linear = x @ beta
    u = rng.uniform(size=n)
    is_cause1 = u < 1 - (1 - p_cause1) ** np.exp(linear)
    with np.errstate(invalid="ignore", divide="ignore"):
        years_cause1 = -np.log(1 - (1 - (1 - u) ** np.exp(-linear)) / p_cause1)
    years_cause2 = rng.exponential(1 / (0.4 * np.exp(0.3 * x[:, 0])))
    months = np.ceil(np.where(is_cause1, years_cause1, years_cause2) * 12).astype(int)
    horizon = np.minimum(60, rng.integers(6, 80, size=n))
    return pd.DataFrame(
        {
            "x1": x[:, 0],
            "x2": x[:, 1],
            "time": np.minimum(months, horizon),
            "event": np.where(months <= horizon, np.where(is_cause1, 1, 2), 0),
        }
    )


# --------------------------------------------------------------------------------------------
# cumulative incidence and Gray's test
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cause", [1, 2])
@pytest.mark.parametrize("by", [None, "purpose_group"])
def test_cumulative_incidence_matches_cuminc(fixture_loans, cause, by):
    reference = pd.read_csv(REFERENCE / "cuminc.csv")
    reference = reference[
        (reference["cause"] == cause) & ((reference["group"] == "all") == (by is None))
    ]
    ours = cumulative_incidence(fixture_loans, cause=cause, by=by)
    # R evaluates each curve at every time of the pooled sample; ours lists each group's own
    # times, so look up the step function at R's times.
    # cuminc has no value past a group's last follow-up time; neither does our table.
    last_time = ours.groupby("group")["time"].max()
    beyond = reference["time"] > reference["group"].map(last_time)
    assert (
        reference.loc[beyond, "est"].isna().all() and reference.loc[~beyond, "est"].notna().all()
    )
    reference = reference[~beyond].astype({"time": float})
    merged = pd.merge_asof(
        reference.sort_values("time"),
        ours.sort_values("time"),
        on="time",
        by="group",
        direction="backward",
    )
    assert len(merged) == len(reference) >= 59
    assert merged["cif"].notna().all()
    np.testing.assert_allclose(merged["cif"], merged["est"], rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(merged["std_err"] ** 2, merged["var"], rtol=RTOL, atol=1e-14)


def test_cumulative_incidence_table_shape_and_intervals(fixture_loans):
    table = cumulative_incidence(fixture_loans, by="purpose_group", alpha=0.1)
    assert list(table.columns) == [
        "group",
        "time",
        "n_at_risk",
        "n_events",
        "cif",
        "std_err",
        "ci_lower",
        "ci_upper",
    ]
    # the counts and limits are named as Kaplan–Meier's
    km_columns = kaplan_meier(fixture_loans.assign(defaulted=fixture_loans["event"] == 1)).columns
    assert set(table.columns) - {"cif"} <= set(km_columns)
    assert sorted(table["group"].unique()) == ["business", "consumption", "refinancing"]
    assert (table.groupby("group")["time"].first() == 0).all()
    assert table.groupby("group")["n_events"].sum().to_dict() == (
        fixture_loans[fixture_loans["event"] == 1].groupby("purpose_group").size().to_dict()
    )
    inside = table[table["cif"] > 0]
    assert ((inside["ci_lower"] < inside["cif"]) & (inside["cif"] < inside["ci_upper"])).all()
    assert (table["ci_lower"] >= 0).all() and (table["ci_upper"] <= 1).all()
    plain = cumulative_incidence(fixture_loans, by="purpose_group", alpha=0.1, conf_type="plain")
    row = plain[plain["cif"] > 0.05].iloc[0]
    assert row["ci_upper"] - row["cif"] == pytest.approx(1.6448536 * row["std_err"], rel=1e-6)


def test_cumulative_incidence_groups_are_labelled_as_kaplan_meier(fixture_loans):
    by = ["term", "purpose_group"]
    cif = cumulative_incidence(fixture_loans, by=by)
    km = kaplan_meier(fixture_loans.assign(defaulted=fixture_loans["event"] == 1), by=by)
    assert cif["group"].unique().tolist() == km["group"].unique().tolist()
    assert cif["group"].iloc[0] == "term=36, purpose_group=business"
    one = cif[cif["group"] == "term=60, purpose_group=refinancing"].reset_index(drop=True)
    subset = fixture_loans.query("term == 60 and purpose_group == 'refinancing'")
    expected = cumulative_incidence(subset)
    pd.testing.assert_frame_equal(one.drop(columns="group"), expected.drop(columns="group"))


def test_cumulative_incidence_recovers_true_incidence():
    # No covariates: the true incidence of cause 1 by month m is p (1 - exp(-m / 12)).
    loans = simulate_fine_gray(3000, np.array([0.0, 0.0]), seed=11)
    table = cumulative_incidence(loans).set_index("time")
    for month in (6, 12, 24, 48):
        truth = 0.3 * (1 - np.exp(-month / 12))
        row = table.loc[month]
        assert row["ci_lower"] < truth < row["ci_upper"], (month, truth, row.to_dict())


@pytest.mark.parametrize("rho", [0, 1])
@pytest.mark.parametrize("strata", [None, "term"])
@pytest.mark.parametrize("cause", [1, 2])
def test_gray_test_matches_cuminc(fixture_loans, rho, strata, cause):
    reference = pd.read_csv(REFERENCE / "gray_test.csv")
    expected = reference[
        (reference["rho"] == rho)
        & (reference["cause"] == cause)
        & (reference["strata"] == (strata or "none"))
    ].iloc[0]
    result = gray_test(fixture_loans, by="purpose_group", cause=cause, rho=rho, strata=strata)
    assert isinstance(result, TestResult) and result.test == "Gray"
    assert result.df == expected["df"] == 2
    assert result.statistic == pytest.approx(expected["stat"], rel=RTOL)
    assert result.p == pytest.approx(expected["pv"], rel=RTOL)
    assert result.detail["groups"] == ["business", "consumption", "refinancing"]
    assert result.detail["cause"] == cause and result.detail["covariance"].shape == (2, 2)
    assert result.table["group"].tolist() == result.detail["groups"]
    assert result.table["n"].sum() == len(fixture_loans)
    assert result.table["events"].sum() == (fixture_loans["event"] == cause).sum()


def test_gray_test_separates_different_incidences_and_not_equal_ones():
    same = simulate_fine_gray(2000, np.array([0.0, 0.0]), seed=5)
    assert gray_test(same, by="x2").p > 0.05
    different = simulate_fine_gray(2000, np.array([0.0, 0.8]), seed=5)
    assert gray_test(different, by="x2").p < 1e-6


# --------------------------------------------------------------------------------------------
# Fine–Gray
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cause", [1, 2])
def test_fine_gray_matches_crr(fixture_loans, cause):
    def reference(name: str) -> pd.DataFrame:
        table = pd.read_csv(REFERENCE / name)
        return table[table["model"] == f"cause{cause}"]

    coef, cov = reference("crr_coef.csv"), reference("crr_covariance.csv")
    fitstats, baseline = reference("crr_fit.csv").iloc[0], reference("crr_baseline.csv")

    fit = fit_fine_gray(fixture_loans, FORMULA, cause=cause)
    assert fit.model == "fine_gray" and fit.converged and fit.ok
    assert list(fit.summary.index) == [
        "C(purpose_group)[T.consumption]",
        "C(purpose_group)[T.refinancing]",
        "fico",
        "dti",
    ]
    np.testing.assert_allclose(fit.summary["estimate"], coef["coef"], rtol=RTOL)
    np.testing.assert_allclose(fit.summary["se"], coef["se"], rtol=RTOL)
    r_cov = np.zeros((4, 4))
    r_cov[cov["row"] - 1, cov["col"] - 1] = cov["value"]
    np.testing.assert_allclose(fit.cov.to_numpy(), r_cov, rtol=RTOL)
    assert fit.loglik == pytest.approx(fitstats["loglik"], rel=1e-10)
    assert fit.loglik_null == pytest.approx(fitstats["loglik_null"], rel=1e-10)
    ours_baseline = fit.extra["baseline_cumulative_hazard"]
    np.testing.assert_array_equal(ours_baseline["time"], baseline["time"])
    np.testing.assert_allclose(ours_baseline["hazard"], baseline["hazard"], rtol=RTOL)
    assert fit.n == 2000 and fit.events == int((fixture_loans["event"] == cause).sum())
    assert fit.cause == cause and fit.outcome == "event" and fit.alpha == 0.05
    assert fit.cov_type == "robust" and fit.ratio_name == "subdistribution hazard ratio"
    assert list(fit.cov_nonrobust.index) == list(fit.summary.index)
    assert fit.iterations >= 1 and fit.step_halvings >= 0
    assert fit.term_columns["C(purpose_group)"] == list(fit.summary.index[:2])
    assert set(fit.extra) == {"score", "baseline_cumulative_hazard"}


def test_fine_gray_column_list_equals_formula(fixture_loans):
    loans = fixture_loans.assign(
        consumption=(fixture_loans["purpose_group"] == "consumption").astype(int),
        refinancing=(fixture_loans["purpose_group"] == "refinancing").astype(int),
    )
    by_columns = fit_fine_gray(loans, ["consumption", "refinancing", "fico", "dti"])
    by_formula = fit_fine_gray(loans, FORMULA)
    np.testing.assert_allclose(
        by_columns.summary[["estimate", "se"]].to_numpy(),
        by_formula.summary[["estimate", "se"]].to_numpy(),
        rtol=1e-10,
    )
    assert by_columns.formula == "consumption + refinancing + fico + dti"


def test_fine_gray_close_to_survival_finegray(fixture_loans):
    # survival::finegray + weighted coxph is a second implementation; it evaluates the censoring
    # weights at tied times slightly differently from crr, so agreement is ~1e-3, not 1e-4.
    reference = pd.read_csv(REFERENCE / "finegray_coxph.csv")
    fit = fit_fine_gray(fixture_loans, FORMULA)
    np.testing.assert_allclose(fit.summary["estimate"], reference["coef"], rtol=3e-3)


def test_fine_gray_recovers_true_coefficients():
    beta = np.array([0.6, -0.5])
    fit = fit_fine_gray(simulate_fine_gray(4000, beta, seed=2024), ["x1", "x2"])
    assert fit.converged and fit.ok
    summary = fit.summary
    assert ((summary["ci_lower"] < beta) & (beta < summary["ci_upper"])).all(), summary
    assert (summary["se"] < 0.08).all()


@pytest.mark.slow
def test_fine_gray_interval_coverage(study_output):
    """1000 simulated samples: 95% intervals cover the truth ~95% of the time (result recorded)."""
    beta = np.array([0.6, -0.5])
    estimates, ses = [], []
    for replication in range(1000):
        fit = fit_fine_gray(
            simulate_fine_gray(1500, beta, seed=10_000 + replication), ["x1", "x2"]
        )
        estimates.append(fit.params.to_numpy())
        ses.append(fit.summary["se"].to_numpy())
    estimates, ses = np.array(estimates), np.array(ses)
    covered = np.abs(estimates - beta) < 1.959964 * ses
    record = {
        "study": "fine_gray_coverage",
        "replications": len(estimates),
        "n": 1500,
        "true_beta": beta.tolist(),
        "coverage": covered.mean(axis=0).round(4).tolist(),
        "mean_estimate": estimates.mean(axis=0).round(4).tolist(),
        "empirical_sd": estimates.std(axis=0, ddof=1).round(4).tolist(),
        "mean_se": ses.mean(axis=0).round(4).tolist(),
    }
    (study_output("competing") / "fine_gray_coverage.json").write_text(
        json.dumps(record, indent=2) + "\n"
    )
    assert ((covered.mean(axis=0) > 0.93) & (covered.mean(axis=0) < 0.97)).all(), record
    np.testing.assert_allclose(ses.mean(axis=0), estimates.std(axis=0, ddof=1), rtol=0.1)


def test_fine_gray_warns_on_monotone_likelihood(fixture_loans):
    # No business loan defaults: the business coefficient runs off to minus infinity.
    loans = fixture_loans.copy()
    loans.loc[(loans["purpose_group"] == "business") & (loans["event"] == 1), "event"] = 0
    loans["business"] = (loans["purpose_group"] == "business").astype(int)
    fit = fit_fine_gray(loans, ["business", "fico"])
    assert not fit.converged
    assert fit.params["business"] < -10
    assert any("monotone likelihood" in w and "business" in w for w in fit.warnings)
    assert any("did not converge" in w for w in fit.warnings)


def test_fine_gray_warns_on_few_events(fixture_loans):
    small = fixture_loans.iloc[:120]
    fit = fit_fine_gray(small, FORMULA)
    assert fit.events < 40
    assert any("fewer than 10 per coefficient" in w for w in fit.warnings)


def test_fine_gray_is_fast_on_loan_sized_data():
    import time

    loans = simulate_fine_gray(40_000, np.array([0.6, -0.5]), seed=3)
    rng = np.random.default_rng(3)
    extra = pd.DataFrame(rng.normal(size=(len(loans), 13)), columns=[f"z{i}" for i in range(13)])
    loans = pd.concat([loans, extra], axis=1)
    start = time.perf_counter()
    fit = fit_fine_gray(loans, ["x1", "x2"] + list(extra.columns))
    assert fit.converged
    assert time.perf_counter() - start < 5.0


# --------------------------------------------------------------------------------------------
# cause-specific Cox
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cause", [1, 2])
def test_cause_specific_cox_matches_coxph(fixture_loans, cause):
    reference = pd.read_csv(REFERENCE / "cause_specific_cox.csv").query("cause == @cause")
    fit = fit_cause_specific_cox(fixture_loans, FORMULA, cause=cause)
    assert fit.model == "cause_specific_cox" and fit.cause == cause
    assert fit.outcome == "event" and fit.ties == "efron" and fit.ratio_name == "hazard ratio"
    assert fit.events == int((fixture_loans["event"] == cause).sum())
    np.testing.assert_allclose(fit.summary["estimate"], reference["coef"], rtol=RTOL)
    np.testing.assert_allclose(fit.summary["se"], reference["se"], rtol=RTOL)


def test_cause_specific_cox_recovers_true_hazard_ratios():
    # Two latent exponential causes: the cause-specific hazards are proportional in x.
    rng = np.random.default_rng(7)
    n = 4000
    x = rng.normal(size=n)
    default_months = rng.exponential(1 / (0.01 * np.exp(0.5 * x)))
    prepay_months = rng.exponential(1 / (0.03 * np.exp(-0.4 * x)))
    months = np.ceil(np.minimum(default_months, prepay_months)).astype(int)
    loans = pd.DataFrame(
        {
            "x": x,
            "time": np.minimum(months, 36),
            "event": np.where(months > 36, 0, np.where(default_months < prepay_months, 1, 2)),
        }
    )
    for cause, truth in ((1, 0.5), (2, -0.4)):
        row = fit_cause_specific_cox(loans, ["x"], cause=cause).summary.loc["x"]
        assert row["ci_lower"] < truth < row["ci_upper"], (cause, row.to_dict())


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.drop(columns="time"), "column 'time' not found"),
        (lambda d: d.assign(time=d["time"].where(d.index != 3)), "column 'time' has 1 missing"),
        (lambda d: d.assign(time=d["time"] - 100), "duration column 'time' has 2000 negative"),
        (lambda d: d.assign(event=d["event"] + 0.5), "non-negative integer codes"),
        (lambda d: d.assign(event=d["event"].replace(1, 0)), "no events of cause 1"),
        (lambda d: d.assign(dti=d["dti"].where(d.index != 0)), "missing values: {'dti': 1}"),
        (lambda d: d.assign(fico=700), "constant columns ['fico']"),
    ],
)
def test_fine_gray_rejects_bad_input(fixture_loans, change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_fine_gray(change(fixture_loans), FORMULA)


def test_bad_input_elsewhere(fixture_loans):
    with pytest.raises(ValueError, match="column 'purpose_group' must be numeric"):
        fit_fine_gray(fixture_loans, ["purpose_group"])
    with pytest.raises(ValueError, match="cause=0 is the censoring code"):
        fit_fine_gray(fixture_loans, FORMULA, cause=0)
    with pytest.raises(ValueError, match="rank deficient"):
        fit_fine_gray(fixture_loans, "0 + C(purpose_group) + fico")
    with pytest.raises(ValueError, match="column 'grp' not found"):
        cumulative_incidence(fixture_loans, by="grp")
    with pytest.raises(ValueError, match="conf_type"):
        cumulative_incidence(fixture_loans, conf_type="arcsine")
    with pytest.raises(ValueError, match="column 'term' needs at least two groups"):
        gray_test(fixture_loans.assign(term=36), by="term")
    with pytest.raises(ValueError, match="column 'event' has no events of cause 3"):
        cumulative_incidence(fixture_loans, cause=3)
    with pytest.raises(ValueError, match="column 'event' has no events of cause 3"):
        fit_cause_specific_cox(fixture_loans, FORMULA, cause=3)
