"""Gradient boosting: tuned on the latest development months only, deterministic to the byte,
and explained by SHAP values that equal shap's TreeExplainer and, for stumps, a hand computation
from the trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdue.models.boosting import fit_boosting, shap_importance
from overdue.models.validation import time_ordered_split


def simulated_loans(n: int = 6000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    loans = pd.DataFrame(
        {
            "fico": rng.normal(700, 35, n),
            "dti": rng.uniform(0, 30, n),
            "state_unemp": rng.uniform(4, 12, n),
            "purpose_group": rng.choice(["refinancing", "consumption", "business"], n),
            "issue_d": pd.to_datetime("2009-01-01")
            + pd.to_timedelta(rng.integers(0, 730, n), "D"),
        }
    )
    loans["issue_d"] = loans["issue_d"].dt.to_period("M").dt.to_timestamp()
    risk = (
        -1.8
        - (loans["fico"] - 700) / 30
        + 0.02 * (loans["dti"] - 15)
        + 0.7 * (loans["purpose_group"] == "business")
    )
    loans["defaulted"] = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    return loans


FEATURES = ["fico", "dti", "state_unemp", "purpose_group"]


def test_tuned_on_the_latest_development_months_and_deterministic():
    loans = simulated_loans()
    first = fit_boosting(loans, FEATURES, seed=3)
    second = fit_boosting(loans, FEATURES, seed=3)
    assert first.booster.model_to_string() == second.booster.model_to_string()
    assert np.array_equal(first.predict(loans), second.predict(loans))
    assert first.tuning.equals(second.tuning)
    # The held-out months are the latest ones, whole, holding at least a fifth of the loans.
    in_validation, last = time_ordered_split(loans["issue_d"], 0.2)
    assert first.validation_months[0] == str(last + 1)
    assert first.validation_months[1] == str(loans["issue_d"].max().to_period("M"))
    assert first.n_validation == in_validation.sum() >= 0.2 * len(loans)
    assert len(first.validation_y) == len(first.validation_p) == first.n_validation
    # The chosen setting has the lowest validation log loss; early stopping stopped it.
    chosen = first.tuning[first.tuning["chosen"]].iloc[0]
    assert chosen["logloss"] == first.tuning["logloss"].min()
    assert first.rounds == chosen["rounds"] < 1000
    # Another seed gives another model (the seed reaches LightGBM's sampling).
    other = fit_boosting(loans, FEATURES, seed=4)
    assert other.booster.model_to_string() != first.booster.model_to_string()


def test_unseen_categories_and_missing_values_score():
    loans = simulated_loans()
    model = fit_boosting(loans, FEATURES, grid=[{"num_leaves": 4}])
    later = loans.head(3).assign(purpose_group=["education", None, "business"], dti=np.nan)
    p = model.predict(later)
    assert p.shape == (3,) and np.isfinite(p).all()
    assert model.categories["purpose_group"] == ["business", "consumption", "refinancing"]


def test_shap_equals_tree_explainer_and_adds_up_to_the_log_odds():
    loans = simulated_loans(seed=6)
    model = fit_boosting(loans, FEATURES, grid=[{"num_leaves": 7}])
    ours = shap_importance(model, loans, sample=500, seed=1)
    theirs = shap_importance(model, loans, sample=500, seed=1, engine="shap")
    np.testing.assert_allclose(ours.values.to_numpy(), theirs.values.to_numpy(), atol=1e-10)
    assert ours.expected_value == pytest.approx(theirs.expected_value, abs=1e-10)
    # Local accuracy: a loan's SHAP values add up to its log-odds less the expected value.
    explained = loans.loc[ours.values.index]
    p = model.predict(explained)
    np.testing.assert_allclose(
        ours.values.sum(axis=1) + ours.expected_value, np.log(p / (1 - p)), atol=1e-9
    )
    # FICO drives the simulated risk; the unemployment column is noise.
    assert ours.by_feature.index[0] == "fico"
    assert ours.by_feature.loc["state_unemp", "share"] < 0.1
    # A family's importance is the mean absolute sum of its features' SHAP values.
    credit = ours.values[["fico", "dti"]].sum(axis=1).abs().mean()
    assert ours.by_family.loc["credit", "mean_abs_shap"] == pytest.approx(credit)
    assert ours.by_family["share"].sum() == pytest.approx(1.0)


def test_shap_of_stumps_by_hand():
    """With one split per tree the model is additive, and a feature's SHAP value is, tree by
    tree, its leaf's value less the training-weighted mean of the two leaves."""
    loans = simulated_loans(seed=7)
    numeric = ["fico", "dti", "state_unemp"]
    model = fit_boosting(loans, numeric, grid=[{"num_leaves": 2}])
    explained = loans.head(200)
    shap = shap_importance(model, explained).values
    trees = model.booster.trees_to_dataframe()
    trees = trees[trees["tree_index"] < model.rounds]
    by_hand = pd.DataFrame(0.0, index=explained.index, columns=numeric)
    for _, tree in trees.groupby("tree_index"):
        root = tree[tree["node_depth"] == 1].iloc[0]
        leaves = tree.set_index("node_index")
        left, right = leaves.loc[root["left_child"]], leaves.loc[root["right_child"]]
        mean = (left["value"] * left["count"] + right["value"] * right["count"]) / root["count"]
        x = explained[root["split_feature"]]
        goes_left = (x <= root["threshold"]) | (x.isna() & (root["missing_direction"] == "left"))
        by_hand[root["split_feature"]] += np.where(goes_left, left["value"], right["value"]) - mean
    np.testing.assert_allclose(shap.to_numpy(), by_hand.to_numpy(), atol=1e-9)
