"""Tests of overdue.models.logit and overdue.models.specs.

Known truth: the fixture (tests/reference/logit/make_fixture.py) is a logit with known
coefficients, a three-level factor and within-state correlation. Independent implementation: R's
glm with a hand-written cluster sandwich, AMEs, DeLong placements and Hosmer–Lemeshow
(tests/reference/logit/make_reference.R), plus statsmodels GLM and scipy's Mann–Whitney U.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from overdue.models import assessment, logit, specs, validation
from overdue.models.design import formula_variables

REFERENCE = Path(__file__).parent / "reference" / "logit"
_spec = importlib.util.spec_from_file_location("logit_fixture", REFERENCE / "make_fixture.py")
logit_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(logit_fixture)

PURPOSE = "C(purpose_group, Treatment('refinancing'))"
RHS = (
    f"fico + dti + log_income + {PURPOSE} + state_unemp + gdp_growth_yoy + meets_policy + C(grade)"
)
FORMULA = f"defaulted ~ {RHS}"  # for statsmodels
WITHOUT_CREDIT = f"{PURPOSE} + state_unemp + gdp_growth_yoy + meets_policy + C(grade)"
R_NAMES = {
    "(Intercept)": "Intercept",
    "purpose_groupbusiness": f"{PURPOSE}[T.business]",
    "purpose_groupconsumption": f"{PURPOSE}[T.consumption]",
    "gradeB": "C(grade)[T.B]",
    "gradeC": "C(grade)[T.C]",
}
# The fixture's true coefficients on the formula's scale (FICO per point, not per SD).
TRUTH = {
    "fico": -0.6 / 35,
    "dti": 0.03,
    "log_income": -0.4,
    f"{PURPOSE}[T.business]": 0.8,
    f"{PURPOSE}[T.consumption]": 0.3,
    "state_unemp": 0.12,
    "gdp_growth_yoy": 0.0,
    "meets_policy": -0.5,
    "C(grade)[T.B]": 0.25,
    "C(grade)[T.C]": 0.5,
}


def r_table(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name)


def r_named(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(term=frame["term"].map(lambda t: R_NAMES.get(t, t))).set_index("term")


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "fixture.csv", parse_dates=["issue_d"])


@pytest.fixture(scope="module")
def fit(loans):
    return logit.fit_logit(loans, RHS)


@pytest.fixture(scope="module")
def clustered_fit(loans):
    return logit.fit_logit(loans, RHS, cluster="addr_state")


# ---------------------------------------------------------------------------------------------
# estimates: R glm and known truth


def test_estimates_and_loglik_match_r_glm(fit):
    reference = r_named(r_table("glm_coef.csv"))
    fit_stats = r_table("glm_fit.csv").iloc[0]
    summary = fit.summary.loc[reference.index]
    np.testing.assert_allclose(summary["estimate"], reference["estimate"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(summary["se"], reference["se"], rtol=1e-5)
    assert fit.loglik == pytest.approx(fit_stats["loglik"], rel=1e-10)
    assert fit.loglik_null == pytest.approx(fit_stats["null_loglik"], rel=1e-10)
    assert fit.aic == pytest.approx(fit_stats["aic"], rel=1e-10)
    assert fit.n == fit_stats["n"] and len(fit.summary) == fit_stats["k"]
    assert fit.converged and fit.ok


def test_odds_ratio_columns_are_exponentiated(fit):
    np.testing.assert_allclose(fit.summary["exp_estimate"], np.exp(fit.summary["estimate"]))
    np.testing.assert_allclose(fit.summary["exp_ci_lower"], np.exp(fit.summary["ci_lower"]))


def test_recovers_true_coefficients_within_robust_ci(clustered_fit):
    summary = clustered_fit.summary
    for term, truth in TRUTH.items():
        assert summary.loc[term, "ci_lower"] < truth < summary.loc[term, "ci_upper"], term


def test_cluster_robust_se_matches_r_sandwich(clustered_fit):
    reference = r_named(r_table("glm_coef.csv"))
    np.testing.assert_allclose(
        clustered_fit.summary.loc[reference.index, "se"], reference["robust_se"], rtol=1e-5
    )
    assert clustered_fit.n_clusters == 40
    assert clustered_fit.cov_type == "cluster"


def test_cluster_robust_se_matches_statsmodels_glm(loans, clustered_fit):
    groups = pd.factorize(loans["addr_state"])[0]
    glm = smf.glm(FORMULA, loans, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    np.testing.assert_allclose(
        clustered_fit.summary["se"], glm.bse[clustered_fit.summary.index], rtol=1e-6
    )


def test_within_state_correlation_inflates_state_level_se(fit, clustered_fit):
    # The fixture's loans share a state factor, and state_unemp varies mostly between states:
    # naive errors understate its uncertainty (ratio about 2 here), loan-level dti is untouched.
    ratio = clustered_fit.summary["se"] / fit.summary["se"]
    assert ratio["state_unemp"] > 1.6
    assert 0.85 < ratio["dti"] < 1.15


@pytest.mark.slow
def test_cluster_robust_interval_coverage():
    """Coverage over 200 simulated books; recorded in reference/logit/coverage.json."""
    covered = {"naive": 0, "cluster": 0}
    replications = 200
    for seed in range(replications):
        sample = logit_fixture.simulate(seed=1000 + seed)
        for kind, cluster in (("naive", None), ("cluster", "addr_state")):
            row = logit.fit_logit(sample, RHS, cluster=cluster).summary.loc["state_unemp"]
            covered[kind] += row["ci_lower"] < TRUTH["state_unemp"] < row["ci_upper"]
    coverage = {kind: count / replications for kind, count in covered.items()}
    (REFERENCE / "coverage.json").write_text(
        json.dumps(
            {
                "replications": replications,
                "term": "state_unemp",
                "nominal": 0.95,
                "coverage": coverage,
            },
            indent=2,
        )
        + "\n"
    )
    assert 0.90 <= coverage["cluster"] <= 0.99
    assert coverage["naive"] < coverage["cluster"] - 0.1


# ---------------------------------------------------------------------------------------------
# average marginal effects


def test_ame_matches_r(fit):
    reference = r_named(r_table("ame.csv"))
    ame = logit.average_marginal_effects(fit).loc[reference.index]
    np.testing.assert_allclose(ame["ame"], reference["ame"], rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(ame["se"], reference["se"], rtol=1e-4)


def test_ame_matches_numerical_derivative_and_level_contrast(loans, fit):
    model = fit._engine.sm_result
    h = 1e-4
    for column in ["dti", "state_unemp"]:
        up = model.predict(loans.assign(**{column: loans[column] + h}))
        down = model.predict(loans.assign(**{column: loans[column] - h}))
        numerical = float(np.mean((up - down) / (2 * h)))
        assert logit.average_marginal_effects(fit).loc[column, "ame"] == pytest.approx(
            numerical, rel=1e-6
        )
    business = model.predict(loans.assign(purpose_group="business"))
    refinancing = model.predict(loans.assign(purpose_group="refinancing"))
    assert logit.average_marginal_effects(fit).loc[
        f"{PURPOSE}[T.business]", "ame"
    ] == pytest.approx(float(np.mean(business - refinancing)), rel=1e-10)


def test_ame_agrees_with_statsmodels_for_continuous_and_binary_terms(clustered_fit):
    ours = logit.average_marginal_effects(clustered_fit)
    theirs = clustered_fit._engine.sm_result.get_margeff(dummy=True).summary_frame()
    for term in ["fico", "dti", "state_unemp", "meets_policy"]:
        assert ours.loc[term, "ame"] == pytest.approx(theirs.loc[term, "dy/dx"], rel=1e-8)
        assert ours.loc[term, "se"] == pytest.approx(theirs.loc[term, "Std. Err."], rel=1e-4)
    assert ours.loc["meets_policy", "kind"] == "discrete"


# ---------------------------------------------------------------------------------------------
# likelihood-ratio and Wald tests


def test_lr_test_matches_hand_computation(loans, fit):
    restricted = logit.fit_logit(loans, WITHOUT_CREDIT)
    test = logit.lr_test(restricted, fit)
    statistic = 2 * (fit.loglik - restricted.loglik)
    assert test.statistic == pytest.approx(statistic, rel=1e-12)
    assert test.df == 3
    assert test.p == pytest.approx(stats.chi2.sf(statistic, 3), rel=1e-10)
    r_logliks = r_table("subsets.csv").set_index("families")["loglik"]
    r_statistic = 2 * (
        r_logliks["credit+macro+purpose+underwriting"] - r_logliks["macro+purpose+underwriting"]
    )
    assert test.statistic == pytest.approx(r_statistic, rel=1e-8)


def test_lr_test_refuses_different_samples_and_non_nested_models(loans, fit):
    other_sample = logit.fit_logit(loans.iloc[:2000], WITHOUT_CREDIT)
    with pytest.raises(ValueError, match="different loans"):
        logit.lr_test(other_sample, fit)
    non_nested = logit.fit_logit(loans.assign(dti_squared=loans["dti"] ** 2), "dti_squared")
    with pytest.raises(ValueError, match="not nested"):
        logit.lr_test(non_nested, fit)


def test_wald_test_matches_statsmodels_with_cluster_covariance(clustered_fit):
    test = logit.wald_test(clustered_fit, ["C(grade)", "state_unemp"])
    names = ["C(grade)[T.B]", "C(grade)[T.C]", "state_unemp"]
    model = clustered_fit._engine.sm_result
    restriction = np.zeros((3, len(model.params)))
    for row, name in enumerate(names):
        restriction[row, list(model.params.index).index(name)] = 1
    reference = model.wald_test(restriction, use_f=False, scalar=True)
    assert test.df == 3
    assert test.statistic == pytest.approx(float(reference.statistic), rel=1e-10)
    with pytest.raises(ValueError, match="not in the model"):
        logit.wald_test(clustered_fit, ["C(purpose)"])


# ---------------------------------------------------------------------------------------------
# AUC and DeLong


def placement_delong(y, a, b):
    """DeLong's definition written out: O(m n) pairwise comparisons."""
    y = np.asarray(y, bool)
    out = []
    for score in (a, b):
        score = np.asarray(score, float)
        psi = (score[y][:, None] > score[~y][None, :]) + 0.5 * (
            score[y][:, None] == score[~y][None, :]
        )
        out.append((psi.mean(), psi.mean(axis=1), psi.mean(axis=0)))
    m, n = y.sum(), (~y).sum()
    cov = np.cov(out[0][1], out[1][1]) / m + np.cov(out[0][2], out[1][2]) / n
    return np.array([out[0][0], out[1][0]]), cov


def test_delong_hand_example_with_ties():
    # Events score 0.9, 0.8, 0.4, 0.4; non-events 0.7, 0.4, 0.2, 0.1, 0.05.
    # Event placements (share of non-events out-scored, ties half): 1, 1, 3.5/5, 3.5/5.
    # Non-event placements (share of events out-scoring it): 2/4, 3/4, 1, 1, 1.
    y = [1, 1, 1, 1, 0, 0, 0, 0, 0]
    score = [0.9, 0.8, 0.4, 0.4, 0.7, 0.4, 0.2, 0.1, 0.05]
    event_placements = np.array([1, 1, 0.7, 0.7])
    non_event_placements = np.array([0.5, 0.75, 1, 1, 1])
    variance = event_placements.var(ddof=1) / 4 + non_event_placements.var(ddof=1) / 5
    result = assessment.auc_delong(y, score)
    assert result.auc == pytest.approx(0.85, abs=1e-15)
    assert result.se == pytest.approx(np.sqrt(variance), rel=1e-12)
    assert variance == pytest.approx(0.09 / 3 / 4 + 0.2 / 4 / 5, rel=1e-12)
    assert result.ci_upper == 1.0  # clipped


def test_delong_matches_r_placements_on_fixture(loans, fit):
    reference = r_table("delong.csv").iloc[0]
    without_credit = logit.fit_logit(loans, WITHOUT_CREDIT)
    y = loans["defaulted"].to_numpy()
    p_full = fit.predict()
    p_reduced = without_credit.predict()
    aucs, covariance = assessment.delong(y, p_full, p_reduced)
    assert aucs[0] == pytest.approx(reference["auc_full"], rel=1e-12)
    assert aucs[1] == pytest.approx(reference["auc_without_credit"], rel=1e-12)
    assert covariance[0, 0] == pytest.approx(reference["var_full"], rel=1e-8)
    assert covariance[0, 1] == pytest.approx(reference["cov"], rel=1e-8)
    difference = assessment.compare_auc_delong(y, p_full, p_reduced)
    assert difference.se**2 == pytest.approx(reference["var_difference"], rel=1e-8)
    assert difference.estimate == pytest.approx(
        reference["auc_full"] - reference["auc_without_credit"], rel=1e-10
    )


def test_delong_fast_algorithm_equals_definition_and_mann_whitney():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)
    a = np.round(rng.normal(size=400) + y, 1)  # rounding makes ties
    b = np.round(a + rng.normal(size=400), 1)
    aucs, covariance = assessment.delong(y, a, b)
    reference_aucs, reference_covariance = placement_delong(y, a, b)
    np.testing.assert_allclose(aucs, reference_aucs, rtol=1e-12)
    np.testing.assert_allclose(covariance, reference_covariance, rtol=1e-10)
    u = stats.mannwhitneyu(a[y == 1], a[y == 0]).statistic
    assert aucs[0] == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), rel=1e-12)


def test_delong_variance_agrees_with_bootstrap():
    rng = np.random.default_rng(8)
    y = (rng.uniform(size=600) < 0.3).astype(int)
    score = rng.normal(size=600) + 0.8 * y
    result = assessment.auc_delong(y, score)
    draws = rng.integers(0, 600, size=(2000, 600))
    boot = [assessment.delong(y[d], score[d])[0][0] for d in draws]
    assert np.std(boot, ddof=1) / result.se == pytest.approx(1.0, abs=0.08)


def test_delong_rejects_bad_input():
    with pytest.raises(ValueError, match="two events"):
        assessment.auc_delong([1, 0, 0], [0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="0/1"):
        assessment.auc_delong([2, 0, 1, 0], [0.3, 0.2, 0.1, 0.4])
    with pytest.raises(ValueError, match="missing or infinite"):
        assessment.auc_delong([1, 1, 0, 0], [0.3, np.nan, 0.1, 0.4])


# ---------------------------------------------------------------------------------------------
# calibration


def test_hosmer_lemeshow_matches_r(loans, fit):
    reference = r_table("hl.csv").iloc[0]
    calibration = assessment.calibration_table(loans["defaulted"], fit.predict())
    assert calibration.statistic == pytest.approx(reference["statistic"], rel=1e-10)
    assert calibration.df == reference["df"]
    assert calibration.p == pytest.approx(reference["p"], rel=1e-8)
    assert calibration.table["n"].sum() == len(loans)
    assert calibration.table["observed"].sum() == loans["defaulted"].sum()


def test_hosmer_lemeshow_hand_case_and_validation_df():
    # Groups {0.1, 0.2}, {0.3, 0.6}, {0.7, 0.8}: O = 1, 0, 2; E = 0.3, 0.9, 1.5.
    y, p = [0, 1, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8]
    expected = 0.49 / (0.3 * 0.85) + 0.81 / (0.9 * 0.55) + 0.25 / (1.5 * 0.25)
    in_sample = assessment.calibration_table(y, p, bins=3)
    assert in_sample.statistic == pytest.approx(expected, rel=1e-12)
    assert in_sample.df == 1
    assert in_sample.p == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-12)
    assert assessment.calibration_table(y, p, bins=3, in_sample=False).df == 3


def test_hosmer_lemeshow_detects_miscalibration():
    rng = np.random.default_rng(9)
    p = rng.uniform(0.02, 0.4, 5000)
    y = (rng.uniform(size=5000) < p).astype(int)
    assert assessment.calibration_table(y, p).p > 0.01
    assert assessment.calibration_table(y, np.clip(1.6 * p, 0, 0.99)).p < 1e-10


# ---------------------------------------------------------------------------------------------
# problems are reported


def test_perfect_separation_is_reported():
    toy = pd.DataFrame({"defaulted": [0] * 5 + [1] * 5, "fico": np.arange(10.0)})
    result = logit.fit_logit(toy, "fico")
    assert not result.ok
    assert any("separation" in w for w in result.warnings)
    assert any("numerically 0 or 1" in w for w in result.warnings)


def test_quasi_complete_separation_through_a_factor_level_is_reported():
    rng = np.random.default_rng(10)
    toy = pd.DataFrame(
        {
            "fico": rng.normal(size=400),
            "purpose": rng.choice(["car", "wedding", "house"], 400, p=[0.45, 0.45, 0.1]),
        }
    )
    toy["defaulted"] = (rng.uniform(size=400) < 0.3).astype(int)
    toy.loc[toy.purpose == "wedding", "defaulted"] = 0
    result = logit.fit_logit(toy, "fico + C(purpose)")
    separation = [w for w in result.warnings if w.startswith("quasi-complete")]
    assert len(separation) == 1 and "C(purpose)[T.wedding]=1" in separation[0]
    assert any("large standard error for C(purpose)[T.wedding]" in w for w in result.warnings)
    assert not result.ok


def test_singular_newton_step_falls_back_to_bfgs_and_reports():
    rng = np.random.default_rng(1)
    toy = pd.DataFrame(
        {"fico": rng.normal(size=30), "grade": rng.choice(list("ABC"), 30, p=[0.45, 0.45, 0.1])}
    )
    toy["defaulted"] = (toy["fico"] > 0).astype(int)  # separated: statsmodels' Newton fails
    result = logit.fit_logit(toy, "fico + C(grade)")
    assert any(w.startswith("Newton-Raphson failed") for w in result.warnings)
    assert any("Hessian could not be inverted" in w for w in result.warnings)
    assert result.summary["se"].isna().all() and not result.ok


def test_few_clusters_and_collinearity_are_reported():
    rng = np.random.default_rng(11)
    toy = pd.DataFrame({"fico": rng.normal(size=500), "addr_state": rng.choice(["CA", "NY"], 500)})
    toy["int_rate"] = -toy["fico"] + rng.normal(0, 0.05, 500)
    toy["defaulted"] = (rng.uniform(size=500) < 0.3).astype(int)
    result = logit.fit_logit(toy, "fico + int_rate", cluster="addr_state")
    assert any("only 2 clusters" in w for w in result.warnings)
    assert any("near-collinear" in w and "int_rate" in w for w in result.warnings)
    assert result.extra["vif"].loc["fico", "gvif"] > 100


def test_generalised_vif_of_a_factor_ignores_its_coding():
    rng = np.random.default_rng(12)
    toy = pd.DataFrame(
        {"fico": rng.normal(size=800), "grade": rng.choice(list("ABC"), 800, p=[0.02, 0.49, 0.49])}
    )
    toy["defaulted"] = (rng.uniform(size=800) < 0.3).astype(int)
    gvif = [
        logit.fit_logit(toy, f"fico + C(grade, Treatment('{ref}'))").extra["vif"].iloc[0]["gvif"]
        for ref in "AB"
    ]
    assert gvif[0] == pytest.approx(gvif[1], rel=1e-8)


@pytest.mark.parametrize(
    "change, rhs, cluster, message",
    [
        (lambda d: d.assign(defaulted=d.defaulted * 2), "fico", None, "'defaulted' must be 0/1"),
        (lambda d: d.assign(defaulted=0), "fico", None, "single value"),
        (lambda d: d, "fico + dti", None, r"column\(s\) \['dti'\]"),
        (lambda d: d.assign(fico=d.fico.where(d.index > 3)), "fico", None, "'fico': 4"),
        (lambda d: d.assign(fico2=2 * d.fico), "fico + fico2", None, "fico2"),
        (lambda d: d, "fico", "addr_state", "cluster column 'addr_state'"),
        (lambda d: d, "defaulted fico", None, "does not parse"),
        (lambda d: d, "defaulted ~ fico", None, "right-hand side"),
    ],
)
def test_bad_input_raises_naming_the_problem(change, rhs, cluster, message):
    rng = np.random.default_rng(13)
    toy = pd.DataFrame({"fico": rng.normal(size=100), "defaulted": rng.integers(0, 2, 100)})
    with pytest.raises(ValueError, match=message):
        logit.fit_logit(change(toy), rhs, cluster=cluster)


def test_rank_deficient_design_names_the_columns():
    rng = np.random.default_rng(14)
    toy = pd.DataFrame({"fico": rng.normal(size=100), "defaulted": rng.integers(0, 2, 100)})
    with pytest.raises(ValueError, match=r"rank-deficient.*\['fico', 'fico_copy'\]"):
        logit.fit_logit(toy.assign(fico_copy=toy.fico), "fico + fico_copy")


# ---------------------------------------------------------------------------------------------
# out-of-time validation and nested fits


def test_out_of_time_split_scores_later_loans_and_carries_vintage_forward():
    loans = logit_fixture.contract_frame(n=2000, seed=3)
    result = validation.out_of_time_auc(loans, "fico + C(issue_year)", cutoff="2010-12")
    in_training = loans["issue_d"] <= "2010-12-01"  # the whole cutoff month trains
    assert result.n_train == in_training.sum() and result.n_test == (~in_training).sum()
    assert result.carried_forward == {"issue_year": 2010}
    train_fit = smf.logit("defaulted ~ fico + C(issue_year)", loans[in_training]).fit(disp=0)
    test = loans[~in_training].assign(issue_year=2010)
    expected = assessment.auc_delong(test["defaulted"], train_fit.predict(test))
    assert result.auc.auc == pytest.approx(expected.auc, rel=1e-12)
    assert result.auc.se == pytest.approx(expected.se, rel=1e-10)
    np.testing.assert_array_equal(result.y, test["defaulted"])


def test_out_of_time_refuses_unseen_categories_and_bad_cutoffs():
    loans = logit_fixture.contract_frame(n=1500, seed=4)
    late = loans["issue_d"] > "2010-12-01"
    loans.loc[late & (loans.index % 7 == 0), "home_ownership"] = "NONE"
    with pytest.raises(ValueError, match="cannot score the test period"):
        validation.out_of_time_auc(loans, "fico + C(home_ownership)")
    with pytest.raises(ValueError, match="not a month"):
        validation.out_of_time_auc(loans, "fico", cutoff="December")
    with pytest.raises(ValueError, match="not both values"):
        validation.out_of_time_auc(loans, "fico", cutoff="2013-12")


def test_fit_nested_default_specs_on_contract_frame():
    loans = logit_fixture.contract_frame(n=2500, seed=5)
    nested = logit.fit_nested(loans)
    assert list(nested.table.index) == list(specs.nested_rhs())
    fits = list(nested.fits.values())
    second = logit.lr_test(fits[0], fits[1])
    assert nested.table["lr_stat"].iloc[1] == pytest.approx(second.statistic)
    assert nested.table["lr_df"].iloc[1] == second.df == 4  # 2 purpose dummies, term, size
    assert nested.table["pseudo_r2"].is_monotonic_increasing
    assert nested.table["n"].nunique() == 1 and nested.table["converged"].all()
    # Every true coefficient of the simulation is recovered by the full model.
    full = fits[-1].summary
    truth = logit_fixture.CONTRACT_COEFFICIENTS
    for term, key in [
        ("fico", "fico"),
        ("dti", "dti"),
        ("loan_to_income", "loan_to_income"),
        ("grade_gap", "grade_gap"),
        ("meets_policy", "meets_policy"),
        ("C(term)[T.60]", "term_60"),
        ("state_unemp", "state_unemp"),
        (f"{PURPOSE}[T.business]", "purpose_business"),
    ]:
        assert full.loc[term, "ci_lower"] < truth[key] < full.loc[term, "ci_upper"], term


# ---------------------------------------------------------------------------------------------
# specifications


def test_specs_families_use_contract_columns_and_do_not_overlap():
    contract = set(logit_fixture.contract_frame(n=50).columns)
    names_by_family = {name: formula_variables(specs.rhs([name])) for name in specs.FAMILIES}
    builtins_used = {"C", "I", "Treatment"}
    for name, used in names_by_family.items():
        assert used - builtins_used - contract == set(), name
    credit_pricing = {"grade", "grade_code", "int_rate", "sub_grade_code"}
    assert not credit_pricing & names_by_family["credit"]
    columns = [n - builtins_used - {"defaulted"} for n in names_by_family.values()]
    assert all(a.isdisjoint(b) for i, a in enumerate(columns) for b in columns[i + 1 :])


def test_specs_nested_and_subset_formulas():
    nested = specs.nested_rhs()
    assert list(nested) == [
        "credit",
        "credit+purpose",
        "credit+purpose+macro",
        "credit+purpose+macro+underwriting",
    ]
    assert nested["credit+purpose"] == specs.rhs(["credit", "purpose"])
    subsets = specs.subset_rhs()
    assert len(subsets) == 16 and subsets[frozenset()] == "1"
    full_terms = set(subsets[frozenset(specs.FAMILIES)].split(" + "))
    assert full_terms == {t for terms in specs.FAMILIES.values() for t in terms}
    with pytest.raises(ValueError, match="unknown factor family"):
        specs.rhs(["credit", "weather"])


def test_complete_cases_keeps_rows_whose_gaps_a_term_fills():
    loans = logit_fixture.contract_frame(n=300, seed=6)
    loans.loc[loans.index[:3], "revol_util"] = np.nan
    kept = specs.complete_cases(loans, specs.nested_rhs().values())
    assert kept.attrs["dropped"] == 3 and len(kept) == 297
    assert kept["emp_years"].isna().any()  # filled by I(emp_years.fillna(0)), not dropped
    with pytest.raises(ValueError, match="uses column"):
        logit.fit_logit(loans.drop(columns="revol_util"), specs.rhs(["credit"]))
