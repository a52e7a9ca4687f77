"""Transition analysis of delinquency panels: by hand, against known truth (the simulator of
overdue.synthetic), against R (msm's statetable, etm's Aalen-Johansen product, nnet's multinom;
tests/reference/transitions/make_reference.R) and on the Taiwan card file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from overdue.features.accounts import account_features
from overdue.models.transitions import (
    absorbing_chain,
    fit_transition_logit,
    implied_matrix,
    labelled_marginal_effects,
    markov_check,
    move_of,
    outcome_by_bucket,
    roll_cure_rates,
    transition_marginal_effects,
    transition_matrix,
    transition_pairs,
)
from overdue.synthetic import (
    PANEL_RHS,
    compare_to_truth,
    synthetic_delinquency,
)

REFERENCE = Path(__file__).parent / "reference" / "transitions"


def _panel(paths: dict[str, list[str]], start="2005-04") -> pd.DataFrame:
    rows = []
    for account, buckets in paths.items():
        for t, bucket in enumerate(buckets):
            month = (pd.Period(start, "M") + t).to_timestamp()
            rows.append({"account_id": account, "month": month, "bucket": bucket})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def simulated():
    return synthetic_delinquency(20_000, seed=11)


# ---------------------------------------------------------------------------- by hand


def test_pairs_and_counts_by_hand():
    panel = _panel(
        {
            "a": ["current", "1", "2", "3+", "default", "default"],
            "b": ["current", "current", "1", "current", "closed", "closed"],
        }
    )
    pairs = transition_pairs(panel)
    assert len(pairs) == 8  # absorbed months go nowhere
    assert pairs["move"].tolist() == ["roll"] * 4 + ["stay", "roll", "cure", "closed"]
    matrix = transition_matrix(panel)
    counts = matrix.counts()
    assert counts.loc["current"].tolist() == [1, 2, 0, 0, 0, 1]
    assert counts.loc["3+", "default"] == 1 and counts.loc["1", "current"] == 1
    assert matrix.probabilities().sum(axis=1).tolist() == [1.0] * 4
    assert [move_of("current", b) for b in ["current", "1", "closed"]] == [
        "stay",
        "roll",
        "closed",
    ]


def test_month_by_month_and_by_factor_add_up_to_the_pooled_matrix(simulated):
    panel = simulated.panel.merge(simulated.accounts[["account_id", "age"]], on="account_id")
    pooled = transition_matrix(panel).count_array()[0]
    by_month = transition_matrix(panel, by="month")
    assert by_month.groups[0] == "2020-01" and len(by_month.groups) == 11
    np.testing.assert_array_equal(by_month.count_array().sum(axis=0), pooled)
    panel["older"] = panel["age"] >= 45
    by_age = transition_matrix(panel, by="older")
    assert by_age.groups == [False, True]
    np.testing.assert_array_equal(by_age.count_array().sum(axis=0), pooled)


def test_wilson_and_bootstrap_intervals(simulated):
    matrix = transition_matrix(simulated.panel, bootstrap=100, seed=3)
    table = matrix.table
    assert (table["ci_lower"] <= table["p"]).all() and (table["p"] <= table["ci_upper"]).all()
    cells = table[table["count"] > 100]
    assert (cells["boot_lower"] <= cells["p"]).all() and (cells["p"] <= cells["boot_upper"]).all()
    # Accounts are independent and moves within them nearly so: both intervals agree roughly.
    width_ratio = (cells["boot_upper"] - cells["boot_lower"]) / (
        cells["ci_upper"] - cells["ci_lower"]
    )
    assert width_ratio.between(0.7, 1.6).all()
    again = transition_matrix(simulated.panel, bootstrap=100, seed=3)
    pd.testing.assert_frame_equal(again.table, table)


def test_the_bootstrap_resamples_accounts_not_months():
    """One account that always rolls and one that never does: months are perfectly correlated
    within an account, so the account bootstrap's interval is far wider than Wilson's."""
    paths = {f"r{k}": ["current", "1"] * 6 for k in range(20)}
    paths |= {f"s{k}": ["current"] * 12 for k in range(20)}
    matrix = transition_matrix(_panel(paths), bootstrap=400, seed=1)
    cell = matrix.table.set_index(["from", "to"]).loc[("current", "1")]
    assert cell["boot_upper"] - cell["boot_lower"] > 2 * (cell["ci_upper"] - cell["ci_lower"])


def test_roll_and_cure_rates_match_the_matrix(simulated):
    matrix = transition_matrix(simulated.panel, bootstrap=50, seed=2)
    rates = roll_cure_rates(matrix).set_index("from")
    p = matrix.probabilities()
    assert rates.loc["1", "roll_rate"] == pytest.approx(p.loc["1", "2"])
    assert rates.loc["2", "roll_rate"] == pytest.approx(p.loc["2", "3+"])
    assert rates.loc["3+", "roll_rate"] == pytest.approx(p.loc["3+", "default"])
    assert rates.loc["2", "cure_rate"] == pytest.approx(p.loc["2", "current"])
    assert np.isnan(rates.loc["current", "cure_rate"])
    assert rates.loc["current", "roll_rate"] == pytest.approx(p.loc["current", "1"])
    assert (rates["roll_boot_lower"] <= rates["roll_rate"]).all()


def test_absorbing_chain_by_its_identities(simulated):
    matrix = transition_matrix(simulated.panel, bootstrap=30, seed=4)
    chain = absorbing_chain(matrix)
    q = matrix.probabilities().loc[list(chain.transient), list(chain.transient)].to_numpy()
    n = chain.fundamental.to_numpy()
    np.testing.assert_allclose(n - q @ n, np.eye(len(q)), atol=1e-10)  # N = I + Q N
    np.testing.assert_allclose(chain.absorption.sum(axis=1), 1.0, atol=1e-10)
    # The same from a long power of the chain.
    states = list(chain.transient) + list(chain.absorbing)
    full = matrix.probabilities().reindex(index=states, columns=states).fillna(0.0).to_numpy()
    full[len(q) :] = np.eye(len(states))[len(q) :]
    limit = np.linalg.matrix_power(full, 5000)
    np.testing.assert_allclose(chain.absorption.to_numpy(), limit[: len(q), len(q) :], atol=1e-8)
    table = chain.table
    assert table["eventual_default"].is_monotonic_increasing  # worse buckets, likelier default
    assert (table["eventual_default_lower"] <= table["eventual_default"]).all()
    assert (table["expected_months_delinquent"] < table["expected_months"]).all()


def test_absorbing_chain_needs_absorbing_states():
    with pytest.raises(ValueError, match="no absorbing state"):
        absorbing_chain(transition_matrix(_panel({"a": ["current", "1", "current"]})))


def test_markov_check_passes_a_markov_chain_and_fails_a_chain_with_memory():
    rng = np.random.default_rng(5)
    p = np.array([[0.9, 0.1], [0.5, 0.5]])
    names = np.array(["current", "1"])
    states = np.zeros((3000, 6), dtype=int)
    memory = np.zeros_like(states)
    for t in range(1, 6):
        u = rng.random(3000)
        states[:, t] = u < p[states[:, t - 1], 1]
        # With memory: two months behind in a row and the account almost never cures.
        stuck = (memory[:, t - 1] == 1) & (memory[:, max(t - 2, 0)] == 1) & (t >= 2)
        memory[:, t] = np.where(stuck, u < 0.97, u < p[memory[:, t - 1], 1])
    for array, expect_fit in [(states, True), (memory, False)]:
        panel = _panel({str(i): list(names[row]) for i, row in enumerate(array)})
        check = markov_check(panel, k=2)
        assert (check.p > 0.01) is expect_fit, check
        assert set(check.table.columns) >= {"observed", "implied", "difference"}


# ---------------------------------------------------------------------------- covariate model


def test_the_covariate_model_recovers_the_simulated_truth(simulated):
    pairs = transition_pairs(account_features(simulated.panel, simulated.accounts))
    compared = []
    for origin in ["current", "1", "2", "3+"]:
        fit = fit_transition_logit(pairs, PANEL_RHS, origin=origin)
        assert fit.converged and fit.cov_type == "cluster" and fit.cluster == "account_id"
        table = compare_to_truth(fit, simulated.truth["transitions"], cause=origin)
        assert len(table) == len(simulated.truth["transitions"][origin]["coefficients"])
        se = fit.summary.loc[table.index, "se"]
        assert ((table["estimate"] - table["truth"]).abs() < 4 * se).all(), table
        compared.append(table)
    coverage = pd.concat(compared)["covered"].mean()
    assert coverage >= 0.85  # 44 intervals at 95%


def test_clustered_errors_and_marginal_effects_agree_with_statsmodels(simulated):
    pairs = transition_pairs(account_features(simulated.panel, simulated.accounts))
    fit = fit_transition_logit(pairs, "utilisation + log_credit_line", origin="2")
    rows = pairs[pairs["from"] == "2"]
    y = pd.Categorical(rows["move"], categories=fit.extra["categories"]).codes
    model = sm.MNLogit(y, sm.add_constant(rows[["utilisation", "log_credit_line"]].to_numpy()))
    groups = pd.factorize(rows["account_id"])[0]
    reference = model.fit(disp=False, cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(fit.params, reference.params.ravel(order="F"), rtol=1e-8)
    np.testing.assert_allclose(fit.summary["se"], reference.bse.ravel(order="F"), rtol=1e-8)
    ame = transition_marginal_effects(fit)
    margeff = reference.get_margeff(at="overall", method="dydx")
    # statsmodels' margins: rows are the covariates, columns the outcomes.
    mine = ame.pivot(index="term", columns="outcome", values="ame")[list(fit.extra["categories"])]
    np.testing.assert_allclose(
        mine.loc[["utilisation", "log_credit_line"]].to_numpy(),
        np.asarray(margeff.margeff),
        rtol=1e-6,
    )
    mine_se = ame.pivot(index="term", columns="outcome", values="se")
    mine_se = mine_se[list(fit.extra["categories"])].loc[["utilisation", "log_credit_line"]]
    np.testing.assert_allclose(mine_se.to_numpy(), np.asarray(margeff.margeff_se), rtol=1e-4)
    sums = ame.groupby("term")["ame"].sum()
    np.testing.assert_allclose(sums, 0.0, atol=1e-12)  # probabilities add to one


def test_a_binary_covariate_gets_a_discrete_effect(simulated):
    pairs = transition_pairs(account_features(simulated.panel, simulated.accounts))
    pairs["high_use"] = (pairs["utilisation"] > 0.8).astype(int)
    fit = fit_transition_logit(pairs, "high_use + age", origin="1")
    ame = transition_marginal_effects(fit)
    high = ame[ame["term"] == "high_use"].set_index("outcome")
    assert set(high["kind"]) == {"discrete"} and high.loc["roll", "ame"] > 0
    assert high.loc["cure", "ame"] < 0


@pytest.fixture(scope="module")
def fit_from_2(simulated):
    pairs = transition_pairs(account_features(simulated.panel, simulated.accounts))
    pairs["high_use"] = (pairs["utilisation"] > 0.8).astype(int)
    return fit_transition_logit(pairs, "utilisation + log_credit_line + high_use", origin="2")


def test_bootstrap_intervals_agree_with_the_delta_method(fit_from_2):
    """Resampling accounts and refitting gives intervals of the same width as the delta method
    on the account-clustered covariance (both estimate the same sampling spread)."""
    ame = transition_marginal_effects(fit_from_2, bootstrap=200, seed=5)
    assert ame.attrs["bootstrap"] == {"replicates": 200, "used": 200, "seed": 5}
    ratio = (ame["boot_upper"] - ame["boot_lower"]) / (ame["ci_upper"] - ame["ci_lower"])
    assert ratio.between(1 / 1.5, 1.5).all(), ratio
    assert 0.85 < ratio.median() < 1.15
    assert ((ame["boot_lower"] < ame["ame"]) & (ame["ame"] < ame["boot_upper"])).all()
    assert set(ame.loc[ame["term"] == "high_use", "kind"]) == {"discrete"}
    # The delta-method columns are those of the fit without a bootstrap.
    plain = transition_marginal_effects(fit_from_2)
    pd.testing.assert_frame_equal(ame[plain.columns], plain)


def test_the_bootstrap_is_seeded(fit_from_2):
    first = transition_marginal_effects(fit_from_2, bootstrap=30, seed=1)
    again = transition_marginal_effects(fit_from_2, bootstrap=30, seed=1)
    other = transition_marginal_effects(fit_from_2, bootstrap=30, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["boot_lower"], other["boot_lower"])


def test_bootstrap_limits_are_reported_in_the_units_of_the_effects(fit_from_2):
    ame = transition_marginal_effects(fit_from_2, bootstrap=20, seed=1)
    table = labelled_marginal_effects(ame)
    use = (ame["term"] == "utilisation").to_numpy()
    for column in ("ame", "ci_lower", "boot_lower", "boot_upper"):  # per 10 percentage points
        np.testing.assert_allclose(table.loc[use, column], 0.1 * ame.loc[use, column])


def test_a_bootstrap_needs_replicates_and_accounts(simulated):
    pairs = transition_pairs(account_features(simulated.panel, simulated.accounts))
    unclustered = fit_transition_logit(pairs, "utilisation", origin="2", cluster=None)
    with pytest.raises(ValueError, match="resamples the fit's accounts"):
        transition_marginal_effects(unclustered, bootstrap=10)
    with pytest.raises(ValueError, match="whole number of replicates"):
        transition_marginal_effects(unclustered, bootstrap=-1)


def test_separation_is_named(simulated):
    pairs = transition_pairs(account_features(simulated.panel, simulated.accounts))
    rows = pairs[pairs["from"] == "3+"].copy()
    rows["rare"] = 0
    rows.loc[rows.index[(rows["move"] == "stay").to_numpy()][:3], "rare"] = 1
    fit = fit_transition_logit(rows, "utilisation + rare", origin="3+")
    assert any("quasi-complete separation: no cure or improve or roll" in w for w in fit.warnings)
    assert not fit.ok


def test_bad_model_input_is_named(simulated):
    pairs = transition_pairs(simulated.panel)
    with pytest.raises(ValueError, match="no transitions out of bucket 'default'"):
        fit_transition_logit(pairs.assign(x=1.0), "x", origin="default")
    with pytest.raises(ValueError, match=r"lacks"):
        fit_transition_logit(pairs, "nowhere", origin="1")


# ---------------------------------------------------------------------------- R references


def _reference(name):
    return pd.read_csv(REFERENCE / name, dtype={"from": str, "to": str, "origin": str})


@pytest.fixture(scope="module")
def reference_panel():
    panel = pd.read_csv(REFERENCE / "panel.csv", dtype={"account_id": str, "bucket": str})
    panel["month"] = [(pd.Period("2020-01", "M") + t).to_timestamp() for t in panel["t"]]
    return panel


def test_counts_equal_msm_statetable(reference_panel):
    reference = _reference("statetable.csv").set_index(["from", "to"])
    matrix = transition_matrix(reference_panel)
    mine = matrix.table.set_index(["from", "to"])
    cells = reference.index.intersection(mine.index)
    assert len(cells) == len(reference)  # every origin and destination msm sees
    np.testing.assert_array_equal(mine.loc[cells, "count"], reference.loc[cells, "count"])
    np.testing.assert_allclose(mine.loc[cells, "p"], reference.loc[cells, "share"], rtol=1e-12)


def test_implied_k_month_matrices_equal_etm(reference_panel):
    reference = _reference("etm.csv")
    for k in (1, 2, 3):
        mine = implied_matrix(reference_panel, "2020-01", k, implied="monthly")
        rows = reference[reference["t"] == k]
        expected = rows.pivot(index="from", columns="to", values="p")
        expected = expected.reindex(index=mine.index, columns=mine.columns)
        np.testing.assert_allclose(mine.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("origin", ["1", "2"])
def test_multinomial_logit_equals_nnet_multinom(origin):
    pairs = pd.read_csv(REFERENCE / "pairs.csv", dtype={"account_id": str, "from": str})
    reference = _reference("multinom_coef.csv")
    reference = reference[reference["origin"] == origin].set_index("term")
    reference.index = reference.index.str.replace("(Intercept)", "Intercept", regex=False)
    fit = fit_transition_logit(pairs, "utilisation + log_credit_line + age", origin=origin)
    mine = fit.summary.loc[reference.index]
    np.testing.assert_allclose(mine["estimate"], reference["estimate"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(mine["se"], reference["robust_se"], rtol=1e-5)
    nonrobust = np.sqrt(np.diag(fit.cov_nonrobust.loc[reference.index, reference.index]))
    np.testing.assert_allclose(nonrobust, reference["se"], rtol=1e-5)
    loglik = _reference("multinom_fit.csv").set_index("origin").loc[origin, "loglik"]
    assert fit.loglik == pytest.approx(loglik, rel=1e-10)


# ---------------------------------------------------------------------------- the Taiwan file


@pytest.fixture(scope="module")
def taiwan(raw_dir):
    from overdue.data.taiwan import read_taiwan

    return read_taiwan(raw_dir / "taiwan" / "UCI_Credit_Card.csv")


def test_taiwan_pooled_matrix_and_the_october_default(taiwan):
    panel, accounts = taiwan
    matrix = transition_matrix(panel)
    assert int(matrix.table["count"].sum()) == 150_000  # 30,000 accounts x 5 month pairs
    counts = matrix.counts()
    assert counts.loc["current"].tolist() == [123_723, 1_860, 6_209, 0]
    assert counts.loc["1"].tolist() == [0, 34, 0, 0]
    assert counts.loc["2"].tolist() == [4_130, 1_676, 9_460, 1_031]
    assert counts.loc["3+"].tolist() == [200, 152, 529, 996]
    # Independently: the same counts by a cross-tabulation of consecutive months.
    wide = panel.pivot(index="account_id", columns="month", values="bucket")
    crossed = sum(
        pd.crosstab(wide.iloc[:, t], wide.iloc[:, t + 1]).reindex(
            index=counts.index, columns=counts.columns, fill_value=0
        )
        for t in range(5)
    )
    pd.testing.assert_frame_equal(counts, crossed, check_names=False, check_dtype=False)
    october = outcome_by_bucket(panel, accounts)
    assert october.attrs["month"] == "2005-09"
    assert october["n"].tolist() == [23_182, 3_688, 2_667, 463]
    assert october["events"].tolist() == [3_207, 1_252, 1_844, 333]
    assert october["events"].sum() == 6_636


# ---------------------------------------------------------------------------- slow study


@pytest.mark.slow
def test_interval_coverage_of_the_covariate_model(study_output):
    """95% coverage of the account-clustered intervals of every coefficient of the four
    per-origin logits over 100 simulated panels of 3,000 accounts x 12 months; recorded in
    reference/transitions/coverage.json (`make reference`)."""
    import json

    replications, hits, total = 100, {}, {}
    for seed in range(replications):
        sample = synthetic_delinquency(3_000, seed=5_000 + seed)
        pairs = transition_pairs(account_features(sample.panel, sample.accounts))
        for origin in ["current", "1", "2", "3+"]:
            fit = fit_transition_logit(pairs, PANEL_RHS, origin=origin)
            table = compare_to_truth(fit, sample.truth["transitions"], cause=origin)
            hits[origin] = hits.get(origin, 0) + int(table["covered"].sum())
            total[origin] = total.get(origin, 0) + len(table)
    coverage = {origin: hits[origin] / total[origin] for origin in hits}
    overall = sum(hits.values()) / sum(total.values())
    record = {
        "replications": replications,
        "accounts": 3_000,
        "months": 12,
        "rhs": PANEL_RHS,
        "nominal": 0.95,
        "coverage_by_origin": coverage,
        "coverage": overall,
        "intervals": sum(total.values()),
    }
    (study_output("transitions") / "coverage.json").write_text(json.dumps(record, indent=2) + "\n")
    assert 0.93 <= overall <= 0.97
    assert all(0.9 <= value <= 0.99 for value in coverage.values())
