"""Tests of overdue.models.attribution.

Independent implementation: the Shapley decomposition and all 16 subset log-likelihoods from R's
glm (tests/reference/logit/make_reference.R), the subset fits from statsmodels. Known truth: a
family without effect gets a share near zero; interchangeable families get equal shares.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from overdue.models import assessment, attribution, logit, specs, validation

REFERENCE = Path(__file__).parent / "reference" / "logit"
_spec = importlib.util.spec_from_file_location("logit_fixture", REFERENCE / "make_fixture.py")
logit_fixture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(logit_fixture)

FIXTURE_FAMILIES = {
    "credit": ["fico", "dti", "log_income"],
    "purpose": ["C(purpose_group, Treatment('refinancing'))"],
    "macro": ["state_unemp", "gdp_growth_yoy"],
    "underwriting": ["meets_policy", "C(grade)"],
}


@pytest.fixture(scope="module")
def loans() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "fixture.csv", parse_dates=["issue_d"])


@pytest.fixture(scope="module")
def shapley(loans):
    return attribution.shapley_pseudo_r2(loans, FIXTURE_FAMILIES, n_boot=30, seed=3)


# ---------------------------------------------------------------------------------------------
# the Shapley value itself


def test_shapley_values_of_a_toy_game():
    value = {
        frozenset(): 0.0,
        frozenset("a"): 0.1,
        frozenset("b"): 0.1,
        frozenset("c"): 0.0,
        frozenset("ab"): 0.3,
        frozenset("ac"): 0.1,
        frozenset("bc"): 0.1,
        frozenset("abc"): 0.3,
    }
    result = attribution.shapley_values(value, ["a", "b", "c"])
    assert result["a"] == pytest.approx(0.15) and result["b"] == pytest.approx(0.15)  # symmetric
    assert result["c"] == pytest.approx(0.0, abs=1e-15)  # null player
    assert sum(result.values()) == pytest.approx(0.3)  # efficiency
    with pytest.raises(ValueError, match="values missing"):
        attribution.shapley_values({frozenset(): 0.0}, ["a"])


# ---------------------------------------------------------------------------------------------
# against R


def test_shapley_matches_r(shapley):
    reference = pd.read_csv(REFERENCE / "shapley.csv").set_index("family")["shapley"]
    np.testing.assert_allclose(shapley.table.loc[reference.index, "shapley"], reference, rtol=1e-7)


def test_subset_logliks_match_r(shapley):
    reference = pd.read_csv(REFERENCE / "subsets.csv").set_index("families")["loglik"]
    ours = shapley.subsets["loglik"]
    ours.index = [
        "+".join(sorted(name.split("+"))) if name != "(intercept only)" else name
        for name in ours.index
    ]
    np.testing.assert_allclose(ours.loc[reference.index], reference, rtol=1e-10)


def test_subset_fits_match_statsmodels(loans, shapley):
    for families in [("credit",), ("purpose", "underwriting"), ("credit", "macro", "purpose")]:
        rhs = specs.rhs(families, family_terms=FIXTURE_FAMILIES)
        reference = smf.logit(f"defaulted ~ {rhs}", loans).fit(disp=0)
        label = "+".join(f for f in FIXTURE_FAMILIES if f in families)
        assert shapley.subsets.loc[label, "loglik"] == pytest.approx(reference.llf, rel=1e-10)
        assert shapley.subsets.loc[label, "pseudo_r2"] == pytest.approx(
            reference.prsquared, rel=1e-8
        )
        assert shapley.subsets.loc[label, "k"] == len(reference.params)


# ---------------------------------------------------------------------------------------------
# properties


def test_shares_add_up_to_the_full_pseudo_r2_exactly(loans, shapley):
    full = logit.fit_logit(loans, specs.rhs(FIXTURE_FAMILIES, family_terms=FIXTURE_FAMILIES))
    assert shapley.table["shapley"].sum() == pytest.approx(shapley.full_r2, abs=1e-14)
    assert shapley.full_r2 == pytest.approx(full.extra["pseudo_r2"], rel=1e-9)
    assert shapley.table["share"].sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(
        shapley.boot[list(FIXTURE_FAMILIES)].sum(axis=1), shapley.boot["full_r2"], atol=1e-13
    )


def test_interchangeable_families_get_equal_shares(loans):
    # Every loan appears twice, once with (x, z) and once swapped to (z, x): swapping the two
    # families then leaves every subset's likelihood unchanged.
    base = loans[["defaulted", "fico", "dti"]].assign(
        x=(loans["fico"] - 700) / 35, z=(loans["dti"] - 15) / 9
    )
    mirrored = pd.concat([base, base.assign(x=base["z"], z=base["x"])], ignore_index=True)
    families = {"first": ["x"], "second": ["z"], "other": ["log_income"]}
    mirrored["log_income"] = np.tile(loans["log_income"].to_numpy(), 2)
    result = attribution.shapley_pseudo_r2(mirrored, families, n_boot=0)
    assert result.table.loc["first", "shapley"] == pytest.approx(
        result.table.loc["second", "shapley"], rel=1e-9
    )
    assert result.table.loc["first", "shapley"] > 0.005  # equal, and not trivially zero


def test_a_family_without_effect_gets_a_share_near_zero():
    loans = logit_fixture.contract_frame(n=4000, seed=7, macro_effect=False)
    result = attribution.shapley_pseudo_r2(loans, n_boot=10, seed=1)
    table = result.table
    assert table.loc["macro", "share"] < 0.05
    assert table.loc["macro", "shapley"] < 0.003
    assert table.loc["credit", "share"] > 0.4
    assert table.loc["macro", "ci_lower"] < 0.002
    assert table.loc["credit", "ci_lower"] > 0.02
    effect = attribution.shapley_pseudo_r2(
        logit_fixture.contract_frame(n=4000, seed=7), n_boot=0
    ).table
    assert effect.loc["macro", "shapley"] > 5 * table.loc["macro", "shapley"]


def test_bootstrap_is_reproducible_and_brackets_the_estimate(loans, shapley):
    again = attribution.shapley_pseudo_r2(loans, FIXTURE_FAMILIES, n_boot=30, seed=3)
    pd.testing.assert_frame_equal(again.boot, shapley.boot)
    assert len(shapley.boot) == 30 and not shapley.warnings
    table = shapley.table
    assert (table["ci_lower"] < table["shapley"]).all()
    assert (table["shapley"] < table["ci_upper"]).all()
    lower, upper = shapley.full_r2_ci
    assert lower < shapley.full_r2 < upper


def test_cluster_bootstrap_resamples_whole_states(loans):
    design = attribution.family_design(loans, FIXTURE_FAMILIES)
    codes = attribution._cluster_codes(loans, design, "addr_state")
    weights = attribution._bootstrap_weights(len(loans), np.random.default_rng(0), codes)
    per_state = pd.Series(weights).groupby(codes).agg(["min", "max"])
    assert (per_state["min"] == per_state["max"]).all()  # a state is drawn whole
    assert (per_state["min"] == 0).any()
    result = attribution.shapley_pseudo_r2(
        loans, FIXTURE_FAMILIES, n_boot=30, seed=3, cluster="addr_state"
    )
    loan_level = attribution.shapley_pseudo_r2(loans, FIXTURE_FAMILIES, n_boot=30, seed=3)
    # Within-state correlation makes the state-level (macro) share less certain.
    spread = result.table["ci_upper"] - result.table["ci_lower"]
    loan_spread = loan_level.table["ci_upper"] - loan_level.table["ci_lower"]
    assert spread["macro"] > loan_spread["macro"]


def test_fast_fit_reaches_the_supremum_under_separation():
    rng = np.random.default_rng(5)
    exog = np.column_stack([np.ones(200), rng.normal(size=200), np.r_[np.ones(20), np.zeros(180)]])
    y = (rng.uniform(size=200) < 0.3).astype(float)
    y[:20] = 0  # the dummy's loans never default: its coefficient diverges
    loglik, _, _ = attribution._fit_loglik(exog, y, np.ones(200))
    kept = slice(20, None)
    reference = smf.logit("y ~ x", pd.DataFrame({"y": y[kept], "x": exog[kept, 1]})).fit(disp=0)
    assert loglik == pytest.approx(reference.llf, abs=1e-4)


# ---------------------------------------------------------------------------------------------
# drop-one


def test_drop_one_lr_matches_separate_fits(loans):
    table = attribution.drop_one_lr(loans, FIXTURE_FAMILIES, cluster="addr_state")
    full = logit.fit_logit(
        loans, specs.rhs(FIXTURE_FAMILIES, family_terms=FIXTURE_FAMILIES), cluster="addr_state"
    )
    without_macro = logit.fit_logit(
        loans, specs.rhs(["credit", "purpose", "underwriting"], family_terms=FIXTURE_FAMILIES)
    )
    test = logit.lr_test(without_macro, full)
    assert table.loc["macro", "lr_stat"] == pytest.approx(test.statistic, rel=1e-10)
    assert table.loc["macro", "df"] == 2 and table.loc["underwriting", "df"] == 3
    wald = logit.wald_test(full, FIXTURE_FAMILIES["macro"])
    assert table.loc["macro", "wald_stat"] == pytest.approx(wald.statistic, rel=1e-10)
    reference = pd.read_csv(REFERENCE / "subsets.csv").set_index("families")["loglik"]
    assert table.loc["credit", "loglik_without"] == pytest.approx(
        reference["macro+purpose+underwriting"], rel=1e-10
    )


def test_drop_one_auc_pairs_full_and_reduced_scores(loans):
    table = attribution.drop_one_auc(loans, FIXTURE_FAMILIES, cutoff="2010-12")
    full = validation.out_of_time_auc(
        loans, specs.rhs(FIXTURE_FAMILIES, family_terms=FIXTURE_FAMILIES), cutoff="2010-12"
    )
    reduced = validation.out_of_time_auc(
        loans,
        specs.rhs(["purpose", "macro", "underwriting"], family_terms=FIXTURE_FAMILIES),
        cutoff="2010-12",
    )
    difference = assessment.compare_auc_delong(full.y, full.p, reduced.p)
    assert table.loc["credit", "delta_auc"] == pytest.approx(difference.estimate, rel=1e-12)
    assert table.loc["credit", "se"] == pytest.approx(difference.se, rel=1e-12)
    assert table.loc["credit", "ci_lower"] > 0.05  # credit carries most of the signal
    assert (table["auc_full"] == full.auc.auc).all()


def test_attribute_joins_the_three_answers(loans):
    loans = loans.assign(issue_year=loans["issue_d"].dt.year)
    result = attribution.attribute(loans, FIXTURE_FAMILIES, n_boot=5, seed=1)
    assert list(result.table.index) == list(FIXTURE_FAMILIES)
    assert result.table["shapley_r2"].sum() == pytest.approx(result.shapley.full_r2)
    pd.testing.assert_series_equal(result.table["lr_p"], result.lr["lr_p"])
    pd.testing.assert_series_equal(result.table["delta_auc"], result.auc["delta_auc"])


@pytest.mark.parametrize(
    "families, message",
    [
        ({"a": ["fico"], "b": ["fico", "dti"]}, "families must not share terms"),
        ({"a": "fico"}, "non-empty list of terms"),
        ({}, "non-empty mapping"),
        ({"a": ["fico"], "b": ["no_such_column"]}, "cannot build the design"),
    ],
)
def test_bad_families_raise(loans, families, message):
    with pytest.raises(ValueError, match=message):
        attribution.shapley_pseudo_r2(loans, families, n_boot=0)


def test_missing_values_raise_instead_of_changing_the_sample(loans):
    holes = loans.assign(dti=loans["dti"].where(loans.index > 5))
    with pytest.raises(ValueError, match="complete_cases"):
        attribution.shapley_pseudo_r2(holes, FIXTURE_FAMILIES, n_boot=0)
    complete = specs.complete_cases(
        holes, specs.rhs(FIXTURE_FAMILIES, family_terms=FIXTURE_FAMILIES)
    )
    assert attribution.shapley_pseudo_r2(complete, FIXTURE_FAMILIES, n_boot=0).n == len(loans) - 6
