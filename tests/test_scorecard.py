"""The scorecard: binning, WoE and IV by hand, monotone directions recovered, points that add up
to the scorecard's log-odds, and the same points as optbinning's own Scorecard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from overdue.models.scorecard import (
    bin_features,
    candidate_features,
    fit_scorecard,
    iv_by_family,
    iv_strength,
)
from overdue.models.specs import FAMILIES


def three_groups() -> pd.DataFrame:
    """100 loans in each of three categories: 10, 20 and 40 of them defaulted."""
    rows = []
    for group, defaults in (("a", 10), ("b", 20), ("c", 40)):
        rows += [(group, 1)] * defaults + [(group, 0)] * (100 - defaults)
    return pd.DataFrame(rows, columns=["group", "defaulted"])


def test_woe_and_iv_equal_a_hand_computation():
    binning = bin_features(three_groups(), ["group"], min_bin_size=0.05)
    # By hand: 70 defaults and 230 repaid loans in all.
    repaid = {"a": 90 / 230, "b": 80 / 230, "c": 60 / 230}
    defaulted = {"a": 10 / 70, "b": 20 / 70, "c": 40 / 70}
    woe = {g: math.log(repaid[g] / defaulted[g]) for g in "abc"}
    iv = sum((repaid[g] - defaulted[g]) * woe[g] for g in "abc")
    assert iv == pytest.approx(0.5060787, abs=1e-6)  # 0.250345 + 0.012218 + 0.243516
    table = binning.table.set_index("bin")
    for group in "abc":
        assert table.loc[group, "woe"] == pytest.approx(woe[group], abs=1e-12)
    assert binning.summary.loc["group", "iv"] == pytest.approx(iv, abs=1e-12)
    assert binning.summary.loc["group", "strength"] == "strong"
    assert table.loc["Missing", "count"] == 0  # kept, empty, for later loans without a value
    loans = pd.DataFrame({"group": ["a", "c", "z", None]})
    assert binning.woe(loans)["woe_group"].tolist() == pytest.approx([woe["a"], woe["c"], 0, 0])
    assert binning.bins(loans)["group"].tolist() == ["a", "c", "unseen", "Missing"]


@pytest.mark.parametrize("direction", [1, -1])
def test_binning_recovers_the_direction_of_a_monotone_relation(direction):
    rng = np.random.default_rng(7 if direction > 0 else 8)
    loans = pd.DataFrame({"x": rng.normal(0, 1, 8000), "noise": rng.normal(0, 1, 8000)})
    risk = -2.0 + 0.8 * direction * loans["x"]
    loans["defaulted"] = (rng.random(8000) < 1 / (1 + np.exp(-risk))).astype(int)
    binning = bin_features(loans, ["x", "noise"])
    assert binning.summary.loc["x", "trend"] == ("ascending" if direction > 0 else "descending")
    assert binning.summary.loc["x", "monotonic"]
    assert binning.summary.loc["x", "bins"] >= 4
    rates = binning.table.query("feature == 'x' and bin != 'Missing'")["default_rate"]
    assert (np.diff(rates.to_numpy()) * direction >= 0).all()
    # Noise carries next to no information and is read as not predictive.
    assert binning.summary.loc["noise", "iv"] < 0.02
    assert binning.summary.index[0] == "x"


def test_a_non_monotone_relation_is_binned_free():
    rng = np.random.default_rng(3)
    loans = pd.DataFrame({"x": rng.uniform(-2, 2, 8000)})
    loans["defaulted"] = (rng.random(8000) < 0.05 + 0.3 * (loans["x"] ** 2) / 4).astype(int)
    binning = bin_features(loans, ["x"])
    assert not binning.summary.loc["x", "monotonic"]
    assert binning.summary.loc["x", "trend"] == "valley"


def simulated_loans(n: int = 6000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    loans = pd.DataFrame(
        {
            "fico": rng.normal(700, 35, n).round(),
            "dti": rng.uniform(0, 30, n),
            "purpose_group": rng.choice(["refinancing", "consumption", "business"], n),
            "emp_years": np.where(rng.random(n) < 0.08, np.nan, rng.integers(0, 11, n)),
        }
    )
    risk = (
        -1.8
        - (loans["fico"] - 700) / 30
        + 0.03 * (loans["dti"] - 15)
        + 0.6 * (loans["purpose_group"] == "business")
        + 0.4 * loans["emp_years"].isna()
    )
    loans["defaulted"] = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    return loans


def test_points_table_reproduces_the_scorecards_log_odds():
    loans = simulated_loans()
    card = fit_scorecard(loans, ["fico", "dti", "purpose_group", "emp_years"], pdo=20,
                         base_score=600, base_odds=50)  # fmt: skip
    assert card.factor == pytest.approx(20 / math.log(2))
    # A loan's score is the sum of its bins' points, looked up in the table.
    bins = card.binning.bins(loans, card.features)
    lookup = card.points.set_index(["feature", "bin"])["points"]
    summed = sum(lookup.loc[list(zip([name] * len(loans), bins[name]))].to_numpy()
                 for name in card.features)  # fmt: skip
    np.testing.assert_allclose(summed, card.score(loans), rtol=0, atol=1e-9)
    # … and the score is the logit's log-odds, scaled: offset - factor * log-odds.
    log_odds = np.log(card.fit.predict() / (1 - card.fit.predict()))
    np.testing.assert_allclose((card.offset - summed) / card.factor, log_odds, atol=1e-9)
    np.testing.assert_allclose(card.predict(loans), card.fit.predict(), atol=1e-12)
    # Odds of base_odds to one score base_score; pdo more points double the odds.
    odds = np.exp(-log_odds)
    np.testing.assert_allclose(summed, 600 + 20 * np.log2(odds / 50), atol=1e-9)
    # WoE is positive for safer bins, so the logit's coefficients are negative.
    assert (card.fit.params.drop("Intercept") < 0).all()
    assert card.fit.warnings == ()


def test_points_equal_optbinnings_scorecard():
    """optbinning's Scorecard (an unpenalised scikit-learn logit on the same binning) scales its
    points the same way; the two logits agree to their optimisers' tolerance."""
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    loans = simulated_loans(seed=12)
    features = ["fico", "dti", "purpose_group"]
    card = fit_scorecard(loans, features)
    params = {
        name: {"monotonic_trend": None}
        if name == "purpose_group"
        else {
            "monotonic_trend": "auto_asc_desc"
            if card.binning.summary.loc[name, "monotonic"]
            else "auto"  # fmt: skip
        }
        for name in features
    }
    for name in features:
        params[name].update(min_bin_size=0.05, max_n_bins=10)
    process = BinningProcess(features, categorical_variables=["purpose_group"],
                             binning_fit_params=params)  # fmt: skip
    theirs = Scorecard(
        binning_process=process,
        estimator=LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    )
    theirs.fit(loans[features], loans["defaulted"], metric_missing="empirical")
    np.testing.assert_allclose(theirs.score(loans[features]), card.score(loans), rtol=0, atol=1e-4)
    table = theirs.table(style="detailed")
    table = table[table["Count"] > 0]
    ours = card.points[card.points["count"] > 0]
    np.testing.assert_allclose(table["Points"].to_numpy(), ours["points"].to_numpy(), atol=1e-4)


def test_scorecard_leaves_out_features_without_information():
    loans = simulated_loans(seed=13)
    loans["noise"] = np.random.default_rng(0).normal(size=len(loans))
    card = fit_scorecard(loans, ["fico", "noise"])
    assert card.features == ["fico"]
    with pytest.raises(ValueError, match="no feature reaches"):
        fit_scorecard(loans, ["noise"], min_iv=0.5)
    with pytest.raises(ValueError, match="pdo and base_odds"):
        fit_scorecard(loans, ["fico"], pdo=-20)


def test_iv_by_family_and_candidates():
    candidates = candidate_features(FAMILIES)
    assert "issue_year" not in candidates and "emp_missing" not in candidates
    assert candidates[:2] == ["fico", "dti"]
    assert {"emp_years", "home_ownership", "purpose_group", "term", "grade_gap"} <= set(candidates)
    loans = simulated_loans(seed=14)
    binning = bin_features(loans, ["fico", "dti", "purpose_group"])
    families = iv_by_family(binning.summary)
    assert families.loc["credit", "iv"] == pytest.approx(
        binning.summary.loc[["fico", "dti"], "iv"].sum()
    )
    assert families.loc["credit", "strongest"] == "FICO score"
    assert families["share"].sum() == pytest.approx(1.0)
    assert iv_strength(0.02) == "weak"


def test_refitting_on_part_of_the_sample_keeps_the_bins():
    loans = simulated_loans(seed=15)
    features = ["fico", "dti", "purpose_group", "emp_years"]
    whole = bin_features(loans, features)
    again = bin_features(loans, features, splits_from=whole)
    pd.testing.assert_frame_equal(again.table, whole.table)
    part = loans.iloc[: len(loans) // 2]
    refit = bin_features(part, features, splits_from=whole)
    assert refit.table["bin"].tolist() == whole.table["bin"].tolist()
    assert refit.table.groupby("feature")["count"].sum().eq(len(part)).all()
    fico = refit.table[refit.table["feature"] == "fico"]
    total_repaid, total_defaulted = fico["repaid"].sum(), fico["defaulted"].sum()
    filled = fico[fico["count"] > 0]
    by_hand = np.log((filled["repaid"] / total_repaid) / (filled["defaulted"] / total_defaulted))
    np.testing.assert_allclose(filled["woe"], by_hand, atol=1e-12)
    with pytest.raises(ValueError, match="splits_from"):
        bin_features(loans.assign(other=1.0), ["other"], splits_from=whole)
