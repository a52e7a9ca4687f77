"""Score assessment: KS against scipy, PSI against a hand computation, Brier, recalibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from overdue.models.assessment import (
    brier_score,
    ks_statistic,
    population_stability,
    recalibrate,
    stability_status,
)


@pytest.mark.parametrize("seed, tied", [(0, False), (1, True), (2, True)])
def test_ks_equals_scipy_ks_2samp(seed, tied):
    rng = np.random.default_rng(seed)
    y = (rng.random(3000) < 0.2).astype(int)
    score = rng.normal(size=3000) + 0.8 * y
    if tied:
        score = np.round(score, 1)  # many ties, as a scorecard's points have
    ours = ks_statistic(y, score)
    theirs = stats.ks_2samp(score[y == 1], score[y == 0]).statistic
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_psi_matches_a_hand_computation_and_reads_the_thresholds():
    development = [1.0] * 50 + [2.0] * 30 + [3.0] * 20
    later = [1.0] * 30 + [2.0] * 30 + [3.0] * 40
    value, table = population_stability(development, later)
    hand = (0.3 - 0.5) * np.log(0.3 / 0.5) + 0 + (0.4 - 0.2) * np.log(0.4 / 0.2)
    assert value == pytest.approx(hand, rel=1e-12)
    assert table["expected_share"].sum() == pytest.approx(1.0)
    assert stability_status(value) == "drifting"
    assert population_stability(development, development)[0] == 0.0


def test_psi_of_a_continuous_score_uses_development_deciles_and_flags_a_shift():
    rng = np.random.default_rng(4)
    development = rng.normal(size=20_000)
    value, table = population_stability(development, rng.normal(size=20_000))
    assert len(table) == 10 and value < 0.01
    np.testing.assert_allclose(table["expected_share"], 0.1, atol=1e-3)
    shifted, _ = population_stability(development, rng.normal(0.8, 1, size=20_000))
    assert stability_status(shifted) == "shifted"


def test_psi_counts_a_bin_empty_later_as_a_large_finite_shift():
    value, table = population_stability(pd.Series(["a", "b", None]), pd.Series(["a", "a", "a"]))
    assert np.isfinite(value) and value > 1 and "missing" in table.index


def test_brier_and_recalibration():
    assert brier_score([1, 0], [1.0, 0.0]) == 0.0
    assert brier_score([1, 0], [0.0, 1.0]) == 1.0
    rng = np.random.default_rng(5)
    p = rng.uniform(0.02, 0.4, 5000)
    y = (rng.random(5000) < np.clip(1.5 * p, 0, 1)).astype(int)
    fixed = recalibrate(y, p, p)
    assert abs(fixed.mean() - y.mean()) < 1e-6  # the intercept matches the mean at the MLE
    assert brier_score(y, fixed) < brier_score(y, p)
    with pytest.raises(ValueError, match="probabilities"):
        brier_score([1, 0], [1.5, 0.0])
