"""Platform policy questions: does pricing keep up with realised risk, and what would a stricter
approval cut-off have done to the default rate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from overdue.models.descriptive import wilson_interval


def pricing_by_grade(features: pd.DataFrame, grade: str = "grade") -> pd.DataFrame:
    """Interest rate charged against risk realised, by grade.

    Pricing keeps up with risk when the realised multiple (payments received per dollar lent)
    does not fall as grades worsen: the higher rate then pays for the extra defaults.

    Returns
    -------
    pandas.DataFrame
        Indexed by grade: ``loans, mean_int_rate, default_rate, default_ci_lower,
        default_ci_upper, realised_multiple`` (pooled: total paid / total lent) and
        ``rate_spread, default_spread`` over the best grade.

    Examples
    --------
    >>> f = pd.DataFrame({"grade": ["A", "A", "B", "B"], "int_rate": [0.07, 0.07, 0.12, 0.12],
    ...                   "defaulted": [0, 0, 1, 0], "realised_multiple": [1.1, 1.1, 0.5, 1.2],
    ...                   "loan_amnt": [100.0] * 4})
    >>> pricing_by_grade(f)["realised_multiple"].round(2).tolist()
    [1.1, 0.85]
    """
    lent = features["loan_amnt"]
    table = (
        features.assign(_paid=features["realised_multiple"] * lent, _lent=lent)
        .groupby(grade)
        .agg(
            loans=("defaulted", "size"),
            defaults=("defaulted", "sum"),
            mean_int_rate=("int_rate", "mean"),
            paid=("_paid", "sum"),
            lent=("_lent", "sum"),
        )
    )
    table["default_rate"] = table["defaults"] / table["loans"]
    table["default_ci_lower"], table["default_ci_upper"] = wilson_interval(
        table["defaults"], table["loans"]
    )
    table["realised_multiple"] = table["paid"] / table["lent"]
    table["rate_spread"] = table["mean_int_rate"] - table["mean_int_rate"].iloc[0]
    table["default_spread"] = table["default_rate"] - table["default_rate"].iloc[0]
    return table.drop(columns=["paid", "lent", "defaults"])


def approval_tradeoff(y, score, max_scores) -> pd.DataFrame:
    """What approving only loans whose risk score is at most each cut-off would have done.

    Parameters
    ----------
    y : array-like of 0/1
        Realised defaults.
    score : array-like
        Predicted default probability (or any score where higher is riskier).
    max_scores : sequence of float
        Cut-offs: a loan is approved when its score is at most the cut-off.

    Returns
    -------
    pandas.DataFrame
        Per cut-off: ``approved_share, default_rate_approved, default_rate_declined,
        defaults_avoided_share`` (share of all defaults that would not have been made).

    Examples
    --------
    >>> approval_tradeoff([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9], [0.5])["defaults_avoided_share"].tolist()
    [0.5]
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    if y.shape != score.shape:
        raise ValueError("y and score must have the same length")
    rows = []
    for cut in max_scores:
        approved = score <= cut
        rows.append(
            {
                "max_score": cut,
                "approved_share": approved.mean(),
                "default_rate_approved": y[approved].mean() if approved.any() else np.nan,
                "default_rate_declined": y[~approved].mean() if (~approved).any() else np.nan,
                "defaults_avoided_share": y[~approved].sum() / y.sum() if y.sum() else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("max_score")
