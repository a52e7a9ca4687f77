"""Platform policy questions: does pricing keep up with realised risk, what would a stricter
approval cut-off have done to the default rate, and what would it have earned (the approval
decision valued in realised money: :func:`realised_profit`, :func:`profit_curve`,
:func:`best_cutoffs`)."""

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


# --------------------------------------------------------------------------------------------
# the approval decision in money


def realised_profit(funded, total_payments, collection_fees) -> np.ndarray:
    """What each loan realised for its lender, in dollars: everything the borrower paid (and
    collection recovered) less what collecting it cost, less the amount funded.

    ``profit = total payments - collection fees - funded amount``, from the loan file's totals
    (LendingClub: ``total_pymnt``, which includes post-charge-off recoveries,
    ``collection_recovery_fee`` and ``funded_amnt``). It is undiscounted and before the
    platform's servicing fee: the money a loan made or lost over its life, not its return per
    year (:func:`overdue.features.impacts.realised_return` is that). A loan without a collection
    fee (missing) paid none.

    Examples
    --------
    >>> realised_profit([1000.0, 1000.0], [1200.0, 450.0], [0.0, 20.0]).tolist()
    [200.0, -570.0]
    """
    funded = np.asarray(funded, dtype=float)
    total = np.asarray(total_payments, dtype=float)
    fees = np.nan_to_num(np.asarray(collection_fees, dtype=float), nan=0.0)
    if not (funded.shape == total.shape == fees.shape):
        raise ValueError("funded, total_payments and collection_fees must have one length")
    return total - fees - funded


def profit_curve(
    y,
    score,
    profit,
    shares=None,
    *,
    n_boot: int = 200,
    seed: int = 2024,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The approval cut-off curve in realised money: approve the loans a score ranks safest,
    for each approved share, and count what they earned.

    A cut-off is the score of the loan at each share of the ranking (loans scoring at most it
    are approved, so tied scores are approved or declined together and the share approved can
    exceed the nominal one); approving every loan is what the platform actually did. Bands
    resample loans with replacement (``n_boot`` times, seeded), the cut-offs held fixed.

    Parameters
    ----------
    y : array-like of 0/1
        Realised defaults.
    score : array-like
        Predicted default probability (higher is riskier).
    profit : array-like
        Realised profit of each loan, in dollars (:func:`realised_profit`).
    shares : sequence of float, optional
        Nominal approved shares, in (0, 1] (default: 5 %, 10 %, … 100 %).
    n_boot : int
        Bootstrap replicates of the bands (0 for none).
    seed : int
        Seed of the bootstrap.
    alpha : float
        1 - level of the percentile bands.

    Returns
    -------
    pandas.DataFrame
        Indexed by nominal share: ``max_score`` (the cut-off), ``approved, approved_share,
        default_rate, total_profit, total_ci_lower, total_ci_upper, profit_per_loan,
        per_loan_ci_lower, per_loan_ci_upper``, and ``vs_approve_all`` (total profit less that
        of approving every loan).

    Examples
    --------
    >>> curve = profit_curve([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9], [100.0, 50.0, -300.0, -500.0],
    ...                      [0.5, 1.0], n_boot=0)
    >>> curve[["approved", "default_rate", "total_profit", "vs_approve_all"]].to_dict(orient="list")
    {'approved': [2, 4], 'default_rate': [0.0, 0.5], 'total_profit': [150.0, -650.0], 'vs_approve_all': [800.0, 0.0]}
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    profit = np.asarray(profit, dtype=float)
    if not (y.shape == score.shape == profit.shape) or y.ndim != 1:
        raise ValueError("y, score and profit must be one-dimensional and of one length")
    if not (np.isfinite(score).all() and np.isfinite(profit).all()):
        raise ValueError("score and profit must be finite (no missing values)")
    shares = np.round(np.arange(1, 21) * 0.05, 2) if shares is None else np.asarray(shares, float)
    if not ((shares > 0) & (shares <= 1)).all():
        raise ValueError("shares must be in (0, 1]")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    order = np.argsort(score, kind="stable")
    sorted_score, sorted_y, sorted_profit = score[order], y[order], profit[order]
    n = len(y)
    # The cut-off at share s is the score of the ceil(s n)-th safest loan; every loan scoring at
    # most it is approved.
    cutoffs = sorted_score[np.maximum(np.ceil(shares * n).astype(int), 1) - 1]
    ends = np.searchsorted(sorted_score, cutoffs, side="right")
    cum_profit = np.r_[0.0, np.cumsum(sorted_profit)]
    cum_defaults = np.r_[0.0, np.cumsum(sorted_y)]
    total = cum_profit[ends]
    table = pd.DataFrame(
        {
            "max_score": cutoffs,
            "approved": ends,
            "approved_share": ends / n,
            "default_rate": cum_defaults[ends] / ends,
            "total_profit": total,
            "profit_per_loan": total / ends,
        },
        index=pd.Index(shares, name="share"),
    )
    bounds = [alpha / 2, 1 - alpha / 2]
    if n_boot:
        rng = np.random.default_rng(seed)
        totals = np.empty((n_boot, len(ends)))
        counts = np.empty((n_boot, len(ends)))
        for b in range(n_boot):
            weights = np.bincount(rng.integers(0, n, n), minlength=n)[order]
            totals[b] = np.r_[0.0, np.cumsum(weights * sorted_profit)][ends]
            counts[b] = np.r_[0, np.cumsum(weights)][ends]
        per_loan = totals / np.maximum(counts, 1)
        table["total_ci_lower"], table["total_ci_upper"] = np.quantile(totals, bounds, axis=0)
        table["per_loan_ci_lower"], table["per_loan_ci_upper"] = np.quantile(
            per_loan, bounds, axis=0
        )
    else:
        for column in [
            "total_ci_lower",
            "total_ci_upper",
            "per_loan_ci_lower",
            "per_loan_ci_upper",
        ]:
            table[column] = np.nan
    table["vs_approve_all"] = table["total_profit"] - cum_profit[-1]
    return table[
        [
            "max_score",
            "approved",
            "approved_share",
            "default_rate",
            "total_profit",
            "total_ci_lower",
            "total_ci_upper",
            "profit_per_loan",
            "per_loan_ci_lower",
            "per_loan_ci_upper",
            "vs_approve_all",
        ]
    ]


def best_cutoffs(curve: pd.DataFrame, min_approved_share: float = 0.5) -> pd.DataFrame:
    """The cut-off of a profit curve that maximises realised profit, beside the one that
    minimises the default rate among those approving at least ``min_approved_share`` of the
    loans (without a floor on volume the fewest defaults come from lending to nobody).

    Examples
    --------
    >>> curve = pd.DataFrame({"approved_share": [0.2, 0.5, 0.8, 1.0], "default_rate": [0.02, 0.05, 0.1, 0.15],
    ...                       "total_profit": [10.0, 40.0, 50.0, 30.0]}, index=[0.2, 0.5, 0.8, 1.0])
    >>> best_cutoffs(curve)["approved_share"].to_dict()
    {'profit-maximising': 0.8, 'default-minimising': 0.5}
    """
    if not 0 < min_approved_share <= 1:
        raise ValueError(f"min_approved_share must be in (0, 1], got {min_approved_share!r}")
    eligible = curve[curve["approved_share"] >= min_approved_share]
    if eligible.empty:
        raise ValueError(f"no cut-off approves at least {min_approved_share:.0%} of the loans")
    picks = {
        "profit-maximising": curve["total_profit"].idxmax(),
        "default-minimising": eligible["default_rate"].idxmin(),
    }
    table = curve.loc[list(picks.values())].copy()
    table.insert(0, "share", list(picks.values()))
    table.index = pd.Index(list(picks), name="rule")
    return table
