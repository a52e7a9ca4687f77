"""Platform-underwriting family: the platform's policy, verification, vintage and pricing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from overdue.data.schemas import GRADES
from overdue.features.credit import fico, grade_code
from overdue.features.registry import feature


def quantile_from_counts(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """``np.quantile(np.repeat(values, counts), q)`` without materialising the repeat.

    NumPy's default rule ("linear", Hyndman–Fan type 7) taken with NumPy's own floating-point
    steps - virtual index ``(n - 1) * q``, interpolation from the nearer end as its ``_lerp``
    does - so the result is bit-for-bit NumPy's: cut-offs from counts summed over partitions
    equal those of the whole table at once.

    Parameters
    ----------
    values : array of float
        Distinct values, sorted ascending.
    counts : array of int
        How often each value occurs (non-negative, at least one positive).
    q : float
        Quantile in [0, 1].

    Examples
    --------
    >>> quantile_from_counts(np.array([1.0, 2.0, 4.0]), np.array([2, 1, 1]), 0.5)
    1.5
    >>> float(np.quantile([1.0, 1.0, 2.0, 4.0], 0.5))
    1.5
    """
    n = int(counts.sum())
    if n == 0:
        raise ValueError("no values to take a quantile of")
    virtual_index = (n - 1) * q
    cumulative = np.cumsum(counts)

    def order_statistic(k: int) -> float:
        return float(values[np.searchsorted(cumulative, k, side="right")])

    if virtual_index >= n - 1:
        return order_statistic(n - 1)
    below = np.floor(virtual_index)
    lower, upper = order_statistic(int(below)), order_statistic(int(below) + 1)
    gamma = virtual_index - below
    difference = upper - lower
    if gamma >= 0.5:
        return float(upper - difference * (1 - gamma))
    return float(lower + difference * gamma)


def fico_grade_cutoffs_from_counts(fico_counts: pd.Series, grade_counts: pd.Series) -> list[float]:
    """FICO thresholds that would reproduce the platform's grade mix if grades followed FICO alone.

    The best FICO scores get A, in the share of loans the platform graded A, the next get B, and
    so on: threshold k is the FICO quantile at the cumulative share of grades worse than k. Only
    counts enter, so the whole table (:func:`fico_grade_cutoffs`) and counts summed over its
    partitions (:func:`overdue.build.partitioned.partitioned_context`) give the same cut-offs.

    Parameters
    ----------
    fico_counts : pandas.Series
        Number of loans with each FICO score (the index), as ``Series.value_counts`` gives.
    grade_counts : pandas.Series
        Number of loans with each grade (the index); grades outside :data:`GRADES` are ignored.

    Examples
    --------
    >>> fico_grade_cutoffs_from_counts(pd.Series({650.0: 1, 700.0: 1, 750.0: 1, 800.0: 1}),
    ...                                pd.Series({"A": 1, "B": 1, "C": 1, "D": 1}))
    [762.5, 725.0, 687.5, 650.0, 650.0, 650.0]
    """
    shares = (grade_counts / grade_counts.sum()).reindex(list(GRADES), fill_value=0.0)
    upper_share = np.cumsum(shares.to_numpy())[:-1]  # share graded A, A–B, …, A–F
    fico_counts = fico_counts.sort_index()
    values, counts = fico_counts.index.to_numpy(dtype=float), fico_counts.to_numpy(dtype=np.int64)
    return [quantile_from_counts(values, counts, 1 - s) for s in upper_share]


def fico_grade_cutoffs(fico_scores: pd.Series, grades: pd.Series) -> list[float]:
    """:func:`fico_grade_cutoffs_from_counts` of a whole table's FICO scores and grades (missing
    values left out).

    Examples
    --------
    >>> fico_grade_cutoffs(pd.Series([800, 750, 700, 650.0, None]), pd.Series(list("ABCD") + [None]))
    [762.5, 725.0, 687.5, 650.0, 650.0, 650.0]
    """
    return fico_grade_cutoffs_from_counts(fico_scores.value_counts(), grades.value_counts())


def fico_implied_grade_code(fico_scores: pd.Series, cutoffs: list[float]) -> pd.Series:
    """Grade code (A = 1 … G = 7) that FICO alone suggests under ``cutoffs``.

    Examples
    --------
    >>> fico_implied_grade_code(pd.Series([800.0, 700.0]), [775, 725, 675, 650, 650, 650]).tolist()
    [1.0, 3.0]
    """
    # Each cutoff passed downward adds one grade step.
    steps = sum((fico_scores < cut).astype("float64") for cut in cutoffs)
    return (1 + steps).where(fico_scores.notna())


@feature(
    "underwriting",
    "0/1",
    ["loan_status"],
    label="Met the credit policy",
    per="vs issued outside it",
)
def meets_policy(loans, context):
    """1 when the loan met the platform's credit policy when issued, 0 for loans issued outside it."""
    return loans["meets_policy"].astype("int64")


@feature(
    "underwriting",
    "category",
    ["verification_status"],
    label="Income verification",
)
def verification_status(loans, context):
    """Income verification: Verified, Source Verified or Not Verified."""
    return loans["verification_status"].astype("string")


@feature(
    "underwriting",
    "0/1",
    ["verification_status"],
    label="Income verified",
    per="vs not verified",
)
def income_verified(loans, context):
    """1 when the platform verified the income or its source, 0 when unverified."""
    return loans["verification_status"].isin(["Verified", "Source Verified"]).astype("int64")


# Used as a factor (each vintage against the first); per year when entered as a trend.
@feature(
    "underwriting",
    "year",
    ["issue_d"],
    label="Vintage",
    per="per year",
)
def issue_year(loans, context):
    """Vintage: the year the loan was issued."""
    return loans["issue_d"].dt.year.astype("int64")


@feature(
    "underwriting",
    "quarter",
    ["issue_d"],
    label="Vintage quarter",
)
def issue_quarter(loans, context):
    """Vintage quarter the loan was issued, e.g. 2010Q3."""
    return loans["issue_d"].dt.to_period("Q").astype("string")


@feature(
    "underwriting",
    "grade steps",
    ["grade", "fico_range_low", "fico_range_high"],
    label="Grade beyond FICO",
    per="per grade step",
)
def grade_gap(loans, context):
    """Platform grade code minus the grade FICO alone suggests (same grade mix, assigned by FICO rank); positive means the platform judged the loan riskier than its FICO."""
    scores = fico(loans, context)
    cutoffs = context.fico_grade_cutoffs or fico_grade_cutoffs(scores, loans["grade"])
    return grade_code(loans, context) - fico_implied_grade_code(scores, cutoffs)


# A fraction: 10 percentage points is 0.1.
@feature(
    "underwriting",
    "fraction",
    ["funded_amnt_inv", "funded_amnt"],
    label="Investor-funded share",
    per="per 10 percentage points",
    scale=0.1,
)
def inv_funded_share(loans, context):
    """Share of the funded amount put up by investors (the rest by the platform)."""
    return (loans["funded_amnt_inv"] / loans["funded_amnt"].where(loans["funded_amnt"] > 0)).clip(
        0, 1
    )
