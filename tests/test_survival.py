"""Tests of overdue.models.survival_curves and overdue.models.cox: Kaplan–Meier, log-rank, Cox PH,
its concordance and the PH check.

Three kinds of evidence:
* known truth — hand-computed Kaplan–Meier values and seeded simulations whose true hazard
  ratios must fall inside the fitted 95% intervals;
* R's survival package — reference values in tests/reference/survival/ written by
  make_reference.R from fixture.csv (make_fixture.py), compared here to relative 1e-6;
* statsmodels' PHReg and lifelines on the same fixture.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overdue.models.cox import cox_zph, fit_cox
from overdue.models.cox_engine import concordance
from overdue.models.result import FitResult, TestResult
from overdue.models.survival_curves import kaplan_meier, logrank_test

REFERENCE = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6  # R agrees to ~1e-13; this leaves room for other BLAS builds
FORMULA = "fico + dti + C(purpose_group)"
R_MODELS = {
    "efron": {},
    "breslow": {"ties": "breslow"},
    "strata": {"strata": "term"},
    "cluster": {"cluster": "addr_state"},
    "strata_cluster_breslow": {"strata": "term", "cluster": "addr_state", "ties": "breslow"},
    "weighted": {"weights": "weight"},
}


@pytest.fixture(scope="module")
def fixture() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "fixture.csv")


@pytest.fixture(scope="module")
def r_fits(fixture) -> dict[str, FitResult]:
    return {name: fit_cox(fixture, FORMULA, **settings) for name, settings in R_MODELS.items()}


def r_name(term: str) -> str:
    """patsy's 'C(purpose_group)[T.business]' is R's 'purpose_groupbusiness'."""
    match = re.fullmatch(r"C\((\w+)\)(?:\[T\.(\w+)\])?", term)
    return match.group(1) + (match.group(2) or "") if match else term


def simulate_cox(n: int, beta: dict[str, float], seed: int, strata: bool = False) -> pd.DataFrame:
    """Loans with monthly durations from a Cox model with exponential baseline hazard.

    Continuous latent times are rounded up to whole months (heavy ties) and censored at a
    uniform follow-up of 12–60 months; ``grade_band`` is a three-level factor with
    log hazard ratios ``band_b`` and ``band_c`` against band ``a``. With ``strata`` the
    baseline hazard doubles for ``term == 60``.
    """
    rng = np.random.default_rng(seed)
    loans = pd.DataFrame(
        {
            "fico_z": rng.normal(size=n),
            "dti_z": rng.normal(size=n),
            "grade_band": rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]),
            "term": rng.choice([36, 60], size=n),
        }
    )
    linear = (
        beta["fico_z"] * loans["fico_z"]
        + beta["dti_z"] * loans["dti_z"]
        + loans["grade_band"].map({"a": 0.0, "b": beta["band_b"], "c": beta["band_c"]})
    )
    base_rate = 1 / 150 * (np.where(loans["term"] == 60, 2.0, 1.0) if strata else 1.0)
    latent = np.ceil(rng.exponential(1 / (base_rate * np.exp(linear))))
    follow_up = rng.integers(12, 61, size=n)
    loans["time"] = np.minimum(latent, follow_up).astype(int)
    loans["defaulted"] = (latent <= follow_up).astype(int)
    return loans


TRUE_BETA = {"fico_z": -0.5, "dti_z": 0.25, "band_b": 0.4, "band_c": 0.8}
SIM_FORMULA = "fico_z + dti_z + C(grade_band)"


def true_values(terms) -> np.ndarray:
    names = {"C(grade_band)[T.b]": "band_b", "C(grade_band)[T.c]": "band_c"}
    return np.array([TRUE_BETA[names.get(term, term)] for term in terms])


# --------------------------------------------------------------------------- Kaplan–Meier

TINY = pd.DataFrame(
    {"time": [1, 1, 2, 3, 3, 3, 4, 5, 5, 6], "defaulted": [0, 1, 1, 1, 0, 1, 0, 1, 1, 1]}
)


def test_kaplan_meier_hand_computed():
    km = kaplan_meier(TINY)
    # S(t) = prod (1 - d/n): 9/10, *7/8, *5/7, (no event at 4), *1/3, *0/1
    np.testing.assert_allclose(km["survival"], [0.9, 0.7875, 0.5625, 0.5625, 0.1875, 0.0])
    assert km["n_at_risk"].tolist() == [10, 8, 7, 4, 3, 1]
    assert km["n_events"].tolist() == [1, 1, 2, 0, 2, 1]
    assert km["n_censored"].tolist() == [1, 0, 1, 1, 0, 0]
    # Greenwood on the log scale: sqrt(sum d / (n (n - d)))
    np.testing.assert_allclose(
        km["std_err"].iloc[:3], np.sqrt(np.cumsum([1 / 90, 1 / 56, 2 / 35]))
    )
    # log-log interval at t=1 by hand, and R's survfit(conf.type = "log-log") printout
    se, log_s, z = np.sqrt(1 / 90), np.log(0.9), 1.959963984540054
    assert km["ci_lower"].iloc[0] == pytest.approx(0.9 ** np.exp(-z * se / log_s))
    assert km["ci_upper"].iloc[0] == pytest.approx(0.9 ** np.exp(z * se / log_s))
    np.testing.assert_allclose(
        km[["ci_lower", "ci_upper"]].iloc[4], [0.009822644, 0.5454555], rtol=1e-6
    )
    # as R: no interval once everyone failed
    assert np.isnan(km["ci_lower"].iloc[5]) and np.isinf(km["std_err"].iloc[5])


def test_kaplan_meier_no_interval_before_first_event():
    km = kaplan_meier(pd.DataFrame({"time": [1, 1, 2, 3], "defaulted": [0, 0, 1, 0]}))
    assert km["survival"].tolist() == [1.0, 0.5, 0.5]
    assert np.isnan(km["ci_lower"].iloc[0]) and np.isnan(km["ci_upper"].iloc[0])
    np.testing.assert_allclose(
        km[["ci_lower", "ci_upper"]].iloc[1], [0.005983088, 0.9104101], rtol=1e-6
    )  # R


@pytest.mark.parametrize("by,label", [(None, "none"), ("purpose_group", "purpose_group")])
def test_kaplan_meier_matches_r(fixture, by, label):
    reference = pd.read_csv(REFERENCE / "km.csv").query("by == @label")
    ours = kaplan_meier(fixture, by=by)
    assert ours["group"].astype(str).tolist() == reference["group"].tolist()
    for column in ["time", "n_at_risk", "n_events", "n_censored"]:
        np.testing.assert_array_equal(ours[column], reference[column])
    for column in ["survival", "std_err", "ci_lower", "ci_upper"]:
        np.testing.assert_allclose(
            ours[column], reference[column], rtol=RTOL, atol=1e-12, err_msg=column
        )


def test_kaplan_meier_matches_lifelines(fixture):
    lifelines = pytest.importorskip("lifelines")
    fitted = lifelines.KaplanMeierFitter(alpha=0.1).fit(fixture["time"], fixture["defaulted"])
    ours = kaplan_meier(fixture, alpha=0.1).set_index("time")
    # lifelines' "exponential Greenwood" interval is the log-log one
    theirs = fitted.confidence_interval_.loc[ours.index.astype(float)]
    np.testing.assert_allclose(
        ours["survival"],
        fitted.survival_function_.loc[ours.index.astype(float)].iloc[:, 0],
        rtol=1e-12,
    )
    np.testing.assert_allclose(ours["ci_lower"], theirs.iloc[:, 0], rtol=1e-9)
    np.testing.assert_allclose(ours["ci_upper"], theirs.iloc[:, 1], rtol=1e-9)


def test_kaplan_meier_several_by_columns_labels(fixture):
    km = kaplan_meier(fixture, by=["term", "purpose_group"])
    assert km["group"].iloc[0] == "term=36, purpose_group=business"
    assert km["group"].nunique() == 6
    first = km.groupby("group")["n_at_risk"].first()
    assert first.sum() == len(fixture)


# --------------------------------------------------------------------------- log-rank


def test_logrank_matches_r(fixture):
    reference = pd.read_csv(REFERENCE / "logrank.csv").set_index("test")
    plain = logrank_test(fixture, by="purpose_group")
    stratified = logrank_test(fixture, by="purpose_group", strata="term")
    for result, name in [(plain, "plain"), (stratified, "strata_term")]:
        assert isinstance(result, TestResult) and result.test == "log-rank"
        assert result.statistic == pytest.approx(reference.loc[name, "chisq"], rel=RTOL)
        assert result.p == pytest.approx(reference.loc[name, "p"], rel=RTOL)
        assert result.df == reference.loc[name, "df"] == 2
    groups = pd.read_csv(REFERENCE / "logrank_groups.csv")
    np.testing.assert_allclose(plain.table["expected"], groups["expected"], rtol=RTOL)
    np.testing.assert_array_equal(plain.table["observed"], groups["observed"])


def test_logrank_matches_lifelines(fixture):
    statistics = pytest.importorskip("lifelines.statistics")
    theirs = statistics.multivariate_logrank_test(
        fixture["time"], fixture["purpose_group"], fixture["defaulted"]
    )
    ours = logrank_test(fixture, by="purpose_group")
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)


def test_logrank_two_groups_hand_sized():
    toy = pd.DataFrame(
        {
            "time": [1, 2, 3, 4, 2, 5, 6, 7],
            "defaulted": [1, 1, 1, 0, 0, 1, 0, 1],
            "grade": list("AAAABBBB"),
        }
    )
    result = logrank_test(toy, by="grade")
    # expected deaths of group A: t1 4/8, t2 3/7, t3 2/5 -> 1.3286; observed 3
    assert result.table["expected"].iloc[0] == pytest.approx(4 / 8 + 3 / 7 + 2 / 5)
    assert result.table["observed"].tolist() == [3, 2]
    # variance: sum over death times of d (n-d)/(n-1) * nA/n * (1 - nA/n)
    variance = 1 * 7 / 7 * 4 / 8 * 4 / 8 + 1 * 6 / 6 * 3 / 7 * 4 / 7 + 1 * 4 / 4 * 2 / 5 * 3 / 5
    expected_a = 4 / 8 + 3 / 7 + 2 / 5
    assert result.statistic == pytest.approx((3 - expected_a) ** 2 / variance)


# --------------------------------------------------------------------------- Cox vs R


@pytest.mark.parametrize("model", list(R_MODELS))
def test_cox_matches_r(r_fits, model):
    reference = pd.read_csv(REFERENCE / "cox_coef.csv").query("model == @model")
    fit = r_fits[model]
    reference = reference.set_index("term").loc[[r_name(t) for t in fit.params.index]]
    assert fit.converged and fit.warnings == () or model in ("cluster", "strata_cluster_breslow")
    np.testing.assert_allclose(fit.params, reference["estimate"], rtol=RTOL)
    np.testing.assert_allclose(fit.summary["se"], reference["se"], rtol=RTOL)
    np.testing.assert_allclose(
        np.sqrt(np.diag(fit.cov_nonrobust)), reference["naive_se"], rtol=RTOL
    )
    assert fit.loglik == pytest.approx(reference["loglik"].iloc[0], rel=RTOL)
    assert fit.loglik_null == pytest.approx(reference["loglik_null"].iloc[0], rel=RTOL)
    assert fit.extra["score_test"].statistic == pytest.approx(
        reference["score_test"].iloc[0], rel=RTOL
    )
    assert fit.iterations == reference["iterations"].iloc[0]
    expected_cov_type = {
        "cluster": "cluster",
        "strata_cluster_breslow": "cluster",
        "weighted": "robust",
    }.get(model, "nonrobust")
    assert fit.cov_type == expected_cov_type


@pytest.mark.parametrize("model", list(R_MODELS))
def test_cox_baseline_hazard_matches_r(r_fits, model):
    reference = pd.read_csv(REFERENCE / "cox_basehaz.csv").query("model == @model")
    ours = r_fits[model].extra["baseline_cumulative_hazard"]
    assert ours["stratum"].astype(str).tolist() == reference["stratum"].astype(str).tolist()
    np.testing.assert_array_equal(ours["time"], reference["time"])
    np.testing.assert_allclose(
        ours["cumulative_hazard"], reference["cumulative_hazard"], rtol=RTOL
    )


def test_cox_cluster_warns_about_few_clusters(r_fits):
    assert any("30 clusters" in problem for problem in r_fits["cluster"].warnings)
    assert r_fits["cluster"].n_clusters == 30 and r_fits["cluster"].cluster == "addr_state"
    assert r_fits["weighted"].n_clusters is None  # robust, but no cluster column


def test_cox_cluster_is_ignored_without_the_sandwich(fixture):
    fit = fit_cox(fixture, ["fico", "dti"], cluster="addr_state", robust=False)
    assert fit.cov_type == "nonrobust" and fit.cluster is None and fit.n_clusters is None
    np.testing.assert_array_equal(
        fit.summary["se"], fit_cox(fixture, ["fico", "dti"]).summary["se"]
    )


ZPH_CASES = [(model, "km", terms) for model in R_MODELS for terms in (True, False)] + [
    ("efron", transform, True) for transform in ("identity", "rank", "log")
]


@pytest.mark.parametrize("model,transform,terms", ZPH_CASES)
def test_cox_zph_matches_r(r_fits, model, transform, terms):
    reference = pd.read_csv(REFERENCE / "zph.csv").query(
        "model == @model and transform == @transform and terms == @terms"
    )
    table = cox_zph(r_fits[model], transform=transform, terms=terms).table
    reference = reference.set_index("term").loc[[r_name(t) for t in table.index]]
    np.testing.assert_allclose(table["chisq"], reference["chisq"], rtol=RTOL)
    np.testing.assert_allclose(table["p"], reference["p"], rtol=RTOL)
    np.testing.assert_array_equal(table["df"], reference["df"])


def test_cox_zph_finds_the_fading_dti_effect(r_fits):
    # the fixture's DTI log hazard ratio drops from 0.05 to 0.01 after month 12
    table = cox_zph(r_fits["efron"]).table
    assert table.loc["dti", "p"] < 0.01 < table.loc["fico", "p"]


def test_cox_zph_scaled_residuals_match_r(r_fits):
    reference = pd.read_csv(REFERENCE / "zph_resid.csv")
    residuals = cox_zph(r_fits["efron"], terms=False).detail["scaled_residuals"]
    np.testing.assert_array_equal(residuals["time"], reference["time"])
    np.testing.assert_allclose(
        residuals["transformed_time"], reference["transformed_time"], rtol=RTOL, atol=1e-12
    )
    names = list(r_fits["efron"].params.index)
    np.testing.assert_allclose(
        residuals[names], reference[[r_name(t) for t in names]], rtol=RTOL, atol=1e-9
    )


@pytest.mark.parametrize("model", list(R_MODELS))
def test_cox_concordance_matches_r(r_fits, model):
    reference = pd.read_csv(REFERENCE / "concordance.csv").set_index("model")
    assert r_fits[model].extra["concordance"] == pytest.approx(
        reference.loc[model, "concordance"], rel=1e-12
    )


def brute_force_concordance(time, event, score, weight, stratum) -> float:
    """Every pair, by R's definition: comparable when the earlier time is an event (a subject
    censored at an event time is still at risk), events at one time and pairs across strata
    left out, ties on the score counting one half, each pair weighing w_i w_j."""
    earlier = (time[:, None] < time[None, :]) | (
        (time[:, None] == time[None, :]) & ~event[None, :]
    )
    comparable = event[:, None] & earlier & (stratum[:, None] == stratum[None, :])
    pair_weight = comparable * np.outer(weight, weight)
    concordant = (pair_weight * (score[:, None] > score[None, :])).sum()
    tied = (pair_weight * (score[:, None] == score[None, :])).sum()
    return (concordant + tied / 2) / pair_weight.sum()


@pytest.mark.parametrize(
    "n,distinct_times,weighted",
    [(300, 5, False), (2500, 2500, False), (2500, 40, True), (1500, 700, True)],
)
def test_cox_concordance_counts_every_pair(n, distinct_times, weighted):
    # sizes that take every path: one range compared pair by pair, merges of months, and
    # continuous times whose recursion ends in small ranges; a factor makes scores tie
    rng = np.random.default_rng(n + distinct_times)
    loans = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "band": rng.integers(0, 3, size=n) * 1.0,
            "time": rng.integers(1, distinct_times + 1, size=n) * 1.0,
            "defaulted": rng.integers(0, 2, size=n),
            "weight": rng.uniform(0.5, 2, size=n) if weighted else 1.0,
            "term": rng.choice([36, 60], size=n),
        }
    )
    for columns in (["x", "band"], ["band"]):
        fit = fit_cox(loans, columns, strata="term", weights="weight" if weighted else None)
        score = loans[columns].to_numpy() @ fit.params.to_numpy()
        # rounded so that equal covariates tie here whatever the matrix product's rounding
        score = np.round(score, 12)
        expected = brute_force_concordance(
            loans["time"].to_numpy(),
            loans["defaulted"].to_numpy(dtype=bool),
            score,
            loans["weight"].to_numpy(dtype=float),
            loans["term"].to_numpy(),
        )
        assert fit.extra["concordance"] == pytest.approx(expected, rel=1e-12)


def test_cox_concordance_of_perfect_and_reversed_scores():
    loans = pd.DataFrame(
        {"time": [1.0, 2, 3, 4, 5], "defaulted": [1, 1, 1, 1, 0], "x": [5.0, 4, 3, 2, 1]}
    )
    fit = fit_cox(loans, ["x"])
    data = fit._engine.data
    assert concordance(data, np.array([1.0])) == 1.0
    assert concordance(data, np.array([-1.0])) == 0.0
    assert concordance(data, np.array([0.0])) == 0.5


def test_cox_zph_of_a_cause_specific_fit():
    from overdue.models.cox import fit_cause_specific_cox

    loans = simulate_cox(3_000, TRUE_BETA, seed=14)
    loans["event"] = loans["defaulted"] * np.where(loans["dti_z"] > 1.5, 2, 1)
    zph = cox_zph(fit_cause_specific_cox(loans, SIM_FORMULA, cause=1))
    assert zph.test == "proportional-hazards" and zph.df == 4
    assert zph.statistic == zph.table.loc["GLOBAL", "chisq"]
    assert zph.p == zph.table.loc["GLOBAL", "p"] and zph.detail["transform"] == "km"


# --------------------------------------------------------------------------- Cox vs Python peers


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("strata", [None, "term"])
def test_cox_matches_statsmodels_phreg(fixture, ties, strata):
    from statsmodels.duration.hazard_regression import PHReg

    data = fixture.assign(
        consumption=(fixture["purpose_group"] == "consumption") * 1.0,
        refinancing=(fixture["purpose_group"] == "refinancing") * 1.0,
    )
    columns = ["fico", "dti", "consumption", "refinancing"]
    theirs = PHReg(
        data["time"],
        data[columns],
        status=data["defaulted"],
        ties=ties,
        strata=None if strata is None else data[strata],
    ).fit()
    ours = fit_cox(data, columns, ties=ties, strata=strata)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-8)
    np.testing.assert_allclose(ours.summary["se"], theirs.bse, rtol=1e-8)
    assert ours.loglik == pytest.approx(theirs.llf, rel=1e-10)


def test_cox_matches_lifelines(fixture):
    lifelines = pytest.importorskip("lifelines")
    columns = ["fico", "dti"]
    theirs = lifelines.CoxPHFitter().fit(
        fixture[columns + ["time", "defaulted"]], "time", "defaulted"
    )
    ours = fit_cox(fixture, columns)
    # lifelines stops its Newton iterations earlier; agreement is to its tolerance
    np.testing.assert_allclose(ours.params, theirs.params_, rtol=1e-4)
    np.testing.assert_allclose(ours.summary["se"], theirs.standard_errors_, rtol=1e-4)


# --------------------------------------------------------------------------- known truth


def test_cox_recovers_true_coefficients():
    loans = simulate_cox(20_000, TRUE_BETA, seed=11)
    fit = fit_cox(loans, SIM_FORMULA)
    assert fit.converged and fit.warnings == ()
    assert 0.2 < loans["defaulted"].mean() < 0.5 and loans["time"].nunique() <= 60
    truth = true_values(fit.params.index)
    inside = (fit.summary["ci_lower"] < truth) & (truth < fit.summary["ci_upper"])
    assert inside.all(), fit.summary.assign(truth=truth)


def test_cox_stratified_recovers_true_coefficients_and_baselines():
    loans = simulate_cox(20_000, TRUE_BETA, seed=12, strata=True)
    fit = fit_cox(loans, SIM_FORMULA, strata="term", ties="breslow")
    truth = true_values(fit.params.index)
    assert ((fit.summary["ci_lower"] < truth) & (truth < fit.summary["ci_upper"])).all()
    # baselines at the covariate means: the term-60 stratum's hazard is twice term-36's
    hazard = fit.extra["baseline_cumulative_hazard"].pivot(
        index="time", columns="stratum", values="cumulative_hazard"
    )
    ratio = hazard.loc[36, 60] / hazard.loc[36, 36]
    assert 1.8 < ratio < 2.2


def test_cox_proportional_hazards_not_rejected_when_true():
    loans = simulate_cox(5_000, TRUE_BETA, seed=13)
    table = cox_zph(fit_cox(loans, SIM_FORMULA)).table
    assert table.loc["GLOBAL", "df"] == 4
    assert table.loc["GLOBAL", "p"] > 0.01


@pytest.mark.slow
def test_cox_interval_coverage_study(study_output):
    """95% Wald intervals cover the truth in about 95% of 400 simulated portfolios."""
    replications, covered = 400, []
    for seed in range(replications):
        fit = fit_cox(simulate_cox(3_000, TRUE_BETA, seed=1000 + seed), SIM_FORMULA)
        truth = true_values(fit.params.index)
        covered.append(
            ((fit.summary["ci_lower"] < truth) & (truth < fit.summary["ci_upper"])).to_numpy()
        )
    coverage = pd.Series(np.mean(covered, axis=0), index=fit.params.index)
    record = {"replications": replications, "n": 3000, "coverage": coverage.round(4).to_dict()}
    (study_output("survival") / "coverage_study.json").write_text(
        json.dumps(record, indent=2) + "\n"
    )
    # binomial sd of a 95% rate over 400 draws is 1.1 points
    assert ((coverage > 0.92) & (coverage < 0.98)).all(), coverage


# --------------------------------------------------------------------------- properties


def test_cox_efron_equals_breslow_without_ties():
    rng = np.random.default_rng(3)
    loans = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "time": rng.permutation(300) + 1.0,
            "defaulted": rng.integers(0, 2, size=300),
        }
    )
    efron, breslow = fit_cox(loans, ["x"]), fit_cox(loans, ["x"], ties="breslow")
    assert efron.params["x"] == pytest.approx(breslow.params["x"], rel=1e-12)


def test_cox_row_order_and_formula_spelling_do_not_matter(fixture):
    shuffled = fixture.sample(frac=1.0, random_state=5)
    by_columns = fit_cox(fixture, ["fico", "dti"])
    by_formula = fit_cox(shuffled, "fico + dti")
    np.testing.assert_allclose(by_columns.params, by_formula.params, rtol=1e-10)
    np.testing.assert_allclose(by_columns.summary["se"], by_formula.summary["se"], rtol=1e-10)


def test_cox_integer_weights_equal_repeated_rows(fixture):
    # Breslow only: Efron's tie correction counts tied rows, not weights (as in R)
    sample = fixture.iloc[:400].assign(copies=lambda d: 1 + d.index % 3)
    weighted = fit_cox(sample, ["fico", "dti"], weights="copies", ties="breslow")
    repeated = fit_cox(
        sample.loc[sample.index.repeat(sample["copies"])], ["fico", "dti"], ties="breslow"
    )
    assert weighted.cov_type == "nonrobust"
    np.testing.assert_allclose(weighted.params, repeated.params, rtol=1e-10)
    np.testing.assert_allclose(weighted.summary["se"], repeated.summary["se"], rtol=1e-10)


def test_cox_monotone_likelihood_is_reported():
    rng = np.random.default_rng(4)
    loans = pd.DataFrame(
        {
            "x": rng.normal(size=400),
            "safe": np.r_[np.ones(100), np.zeros(300)],
            "time": rng.integers(1, 25, size=400),
        }
    )
    loans["defaulted"] = ((loans["safe"] == 0) & (rng.uniform(size=400) < 0.5)).astype(int)
    fit = fit_cox(loans, ["x", "safe"])
    # R: "Loglik converged before variable 2; coefficient may be infinite" (coef -19.6)
    assert fit.converged and not fit.ok
    assert [problem for problem in fit.warnings if "infinite" in problem and "'safe'" in problem]
    assert "'x'" not in fit.warnings[0]
    assert fit.params["safe"] < -15 and fit.params["x"] == pytest.approx(-0.124767, abs=1e-6)


def test_cox_non_convergence_is_reported(fixture):
    fit = fit_cox(fixture, ["fico", "dti"], max_iter=1)
    assert not fit.converged
    assert any("did not converge" in problem for problem in fit.warnings)


def test_cox_result_shape(r_fits, fixture):
    fit = r_fits["efron"]
    assert fit.model == "cox" and fit.n == len(fixture)
    assert fit.events == int(fixture["defaulted"].sum())
    assert fit.formula == FORMULA
    assert fit.outcome == "defaulted" and fit.cause is None and fit.link is None
    assert fit.ratio_name == "hazard ratio" and fit.alpha == 0.05
    assert fit.ties == "efron" and fit.strata == () and fit.cluster is None
    assert list(fit.cov.index) == list(fit.params.index)
    assert fit.cov_nonrobust.equals(fit.cov)  # no sandwich: the SEs are the model's
    assert fit.term_columns["C(purpose_group)"] == [
        "C(purpose_group)[T.consumption]",
        "C(purpose_group)[T.refinancing]",
    ]
    np.testing.assert_allclose(fit.summary["exp_estimate"], np.exp(fit.params))
    lr_test = fit.extra["lr_test"]
    assert isinstance(lr_test, TestResult) and lr_test.df == 4
    assert lr_test.statistic == pytest.approx(2 * (fit.loglik - fit.loglik_null))
    assert set(fit.extra) == {
        "lr_test",
        "score_test",
        "wald_test",
        "baseline_cumulative_hazard",
        "means",
        "concordance",
        "entry",
    }
    assert fit.extra["entry"] is None  # every row at risk from time 0
    stratified = r_fits["strata_cluster_breslow"]
    assert stratified.strata == ("term",) and stratified.ties == "breslow"
    assert "concordance" in stratified.summary_text()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "mutate,call,message",
    [
        (lambda d: d.drop(columns="fico"), lambda d: fit_cox(d, ["fico"]), "fico"),
        (
            lambda d: d.assign(fico=np.where(d.index == 3, np.nan, d["fico"])),
            lambda d: fit_cox(d, ["fico"]),
            "'fico'.*missing",
        ),
        (
            lambda d: d.assign(defaulted=d["defaulted"] * 2),
            lambda d: fit_cox(d, ["fico"]),
            "'defaulted'.*0/1",
        ),
        (lambda d: d.assign(time=-d["time"]), lambda d: kaplan_meier(d), "'time'.*negative"),
        (
            lambda d: d.assign(weight=-d["weight"]),
            lambda d: fit_cox(d, ["fico"], weights="weight"),
            "'weight'.*positive",
        ),
        (lambda d: d.assign(one=1.0), lambda d: fit_cox(d, ["fico", "one"]), "'one' is constant"),
        (
            lambda d: d.assign(fico2=2 * d["fico"] + 1),
            lambda d: fit_cox(d, ["fico", "fico2"]),
            "'fico2' is collinear",
        ),
        (lambda d: d, lambda d: fit_cox(d, "time ~ fico"), "right-hand side"),
        (lambda d: d, lambda d: fit_cox(d, "fico + nonesuch"), "nonesuch"),
        (lambda d: d, lambda d: fit_cox(d, ["fico"], ties="exact"), "ties"),
        (lambda d: d.assign(defaulted=0), lambda d: fit_cox(d, ["fico"]), "no events"),
        (
            lambda d: d.assign(purpose_group=d["purpose_group"].where(d.index != 0)),
            lambda d: logrank_test(d, by="purpose_group"),
            "'purpose_group'.*missing",
        ),
        (lambda d: d, lambda d: logrank_test(d, by=None), "'by' column"),
        (
            lambda d: d.assign(term=36),
            lambda d: logrank_test(d, by="term"),
            "'term' needs at least two groups",
        ),
        (lambda d: d, lambda d: kaplan_meier(d, alpha=1.5), "alpha"),
        (
            lambda d: d.assign(dti=d["dti"].astype(str)),
            lambda d: fit_cox(d, ["dti"]),
            "'dti'.*numeric",
        ),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(fixture, mutate, call, message):
    with pytest.raises(ValueError, match=message):
        call(mutate(fixture.copy()))


def test_cox_zph_needs_a_cox_fit(r_fits):
    with pytest.raises(ValueError, match="fit_cox"):
        cox_zph(FitResult("logit", r_fits["efron"].summary, n=1, events=1, converged=True))
    with pytest.raises(ValueError, match="transform"):
        cox_zph(r_fits["efron"], transform="weekly")
