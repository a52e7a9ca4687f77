"""Fair lending: protected attributes never enter a decision model; approval rates by group
and the adverse impact ratio by hand; the three models on a seeded split of accounts without
issue dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdue.models.boosting import fit_boosting
from overdue.models.comparison import compare_scores, fit_split_models
from overdue.models.fairness import (
    ACCOUNT_DECISION_FEATURES,
    PROTECTED,
    adverse_impact,
    check_decision_inputs,
    decision_rhs,
)


def test_protected_attributes_never_enter_a_decision_model():
    assert not set(ACCOUNT_DECISION_FEATURES) & set(PROTECTED)
    check_decision_inputs(ACCOUNT_DECISION_FEATURES, "age + C(education)")
    for features, rhs in ((["age", "sex"], None), (["age"], "age + C(marital_status)")):
        with pytest.raises(ValueError, match="may not use sex or marital status"):
            check_decision_inputs(features, rhs)
    with pytest.raises(ValueError, match="may not use"):
        decision_rhs(["age", "marital_status"])


def test_adverse_impact_by_hand():
    # 8 of 10 women and 3 of 6 men approved: the men's ratio is 0.5 / 0.8 = 0.625, flagged.
    approved = [True] * 8 + [False] * 2 + [True] * 3 + [False] * 3 + [True]
    group = ["female"] * 10 + ["male"] * 6 + [None]
    table = adverse_impact(approved, group)
    assert table.index.tolist() == ["female", "male"]
    assert table["applicants"].tolist() == [10, 6]
    assert table.loc["male", "approval_rate"] == 0.5
    assert table.loc["male", "impact_ratio"] == pytest.approx(0.625)
    assert table["below_four_fifths"].tolist() == [False, True]
    assert (table["ci_lower"] <= table["approval_rate"]).all()


def accounts(n: int = 5000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "utilisation": rng.uniform(0, 1, n),
            "months_delinquent": rng.integers(0, 4, n).astype(float),
            "education": rng.choice(["university", "high school", "graduate school"], n),
            "sex": rng.choice(["female", "male"], n),
        }
    )
    risk = -2 + 1.5 * frame["utilisation"] + 0.6 * frame["months_delinquent"]
    frame["default_next_month"] = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    return frame


def test_the_three_models_on_a_seeded_split():
    frame = accounts()
    features = ["utilisation", "months_delinquent", "education"]
    rhs = decision_rhs(features, frame)
    assert rhs == "utilisation + months_delinquent + C(education)"
    kwargs = dict(outcome="default_next_month", test_share=0.3, grid=[{"num_leaves": 4}], seed=8)
    models = fit_split_models(frame, rhs, features, **kwargs)
    assert len(models.later) == 1500 and len(models.development) == 3500
    assert not models.later.index.isin(models.development.index).any()
    assert models.cutoff is None and models.holdout_months is None
    assert models.boosting.validation_months is None
    assert len(models.holdout_y) == 700 == models.boosting.n_validation
    table = compare_scores(models.y, models.probabilities, reference="logit")
    assert (table["auc"] > 0.65).all()
    again = fit_split_models(frame, rhs, features, **kwargs)
    assert models.later.index.equals(again.later.index)
    for name in models.names:
        assert np.array_equal(models.probabilities[name], again.probabilities[name])
    other = fit_split_models(frame, rhs, features, **{**kwargs, "seed": 9})
    assert not models.later.index.equals(other.later.index)


def test_boosting_takes_a_held_out_mask():
    frame = accounts(seed=4)
    mask = np.zeros(len(frame), dtype=bool)
    mask[::4] = True
    model = fit_boosting(frame, ["utilisation", "months_delinquent"], outcome="default_next_month",
                         grid=[{"num_leaves": 4}], validation=mask)  # fmt: skip
    assert model.n_validation == mask.sum() and model.validation_months is None
    np.testing.assert_array_equal(model.validation_y, frame["default_next_month"][mask])
    with pytest.raises(ValueError, match="mask"):
        fit_boosting(frame, ["utilisation"], outcome="default_next_month", validation=mask[:10])


def test_approve_safest_approves_ties_together():
    from overdue.models.fairness import approve_safest

    p = np.array([0.3, 0.1, 0.2, 0.2, 0.5, 0.05])
    assert approve_safest(p, 0.5).tolist() == [False, True, True, True, False, True]
    assert approve_safest(p, 1.0).all() and approve_safest(p, 0.01).sum() == 1
    with pytest.raises(ValueError, match="share"):
        approve_safest(p, 0)
