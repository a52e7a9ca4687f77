"""Pricing by grade and the approval cut-off trade-off, by hand."""

import numpy as np
import pandas as pd
import pytest

from overdue.models.policy import approval_tradeoff, pricing_by_grade


def test_pricing_by_grade_by_hand():
    f = pd.DataFrame(
        {
            "grade": ["A", "A", "B", "B", "B"],
            "int_rate": [0.07, 0.09, 0.12, 0.12, 0.15],
            "defaulted": [0, 0, 1, 0, 0],
            "realised_multiple": [1.1, 1.2, 0.4, 1.2, 1.3],
            "loan_amnt": [100.0, 300.0, 200.0, 100.0, 100.0],
        }
    )
    table = pricing_by_grade(f)
    assert table["loans"].tolist() == [2, 3]
    assert table["mean_int_rate"].tolist() == pytest.approx([0.08, 0.13])
    assert table["default_rate"].tolist() == pytest.approx([0.0, 1 / 3])
    # B: (0.4*200 + 1.2*100 + 1.3*100) / 400 = 330 / 400
    assert table["realised_multiple"].tolist() == pytest.approx([470 / 400, 330 / 400])
    assert table["rate_spread"].tolist() == pytest.approx([0.0, 0.05])
    assert table.loc["B", "default_ci_lower"] < 1 / 3 < table.loc["B", "default_ci_upper"]


def test_approval_tradeoff_by_hand():
    y = [0, 0, 1, 0, 1, 1]
    score = [0.05, 0.1, 0.2, 0.3, 0.6, 0.8]
    table = approval_tradeoff(y, score, [0.25, 1.0])
    assert table.loc[0.25].tolist() == pytest.approx([0.5, 1 / 3, 2 / 3, 2 / 3])
    assert table.loc[1.0, "approved_share"] == 1.0 and np.isnan(
        table.loc[1.0, "default_rate_declined"]
    )
    with pytest.raises(ValueError):
        approval_tradeoff([0, 1], [0.1], [0.5])
