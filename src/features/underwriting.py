"""Platform-underwriting family: the platform's policy, verification, vintage and pricing."""
from __future__ import annotations

import numpy as np
import pandas as pd

from overdue.data.schemas import GRADES
from overdue.features.credit import fico, grade_code
from overdue.features.registry import feature


def fico_grade_cutoffs(fico_scores: pd.Series, grades: pd.Series) -> list[float]:
    """FICO thresholds that would reproduce the platform's grade mix if grades followed FICO alone.

    The best FICO scores get A, in the share of loans the platform graded A, the next get B, and
    so on: threshold k is the FICO quantile at the cumulative share of grades worse than k.

    Examples
    --------
    >>> cuts = fico_grade_cutoffs(pd.Series([800, 750, 700, 650.0]), pd.Series(list("ABCD")))
    >>> [round(c) for c in cuts]
    [775, 725, 675, 650, 650, 650]
    """
    shares = grades.value_counts(normalize=True).reindex(list(GRADES), fill_value=0.0)
    upper_share = np.cumsum(shares.to_numpy())[:-1]   # share graded A, A–B, …, A–F
    return [float(np.quantile(fico_scores.dropna(), 1 - s)) for s in upper_share]


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


@feature("underwriting", "0/1", ["loan_status"])
def meets_policy(loans, context):
    """1 when the loan met the platform's credit policy when issued, 0 for loans issued outside it."""
    return loans["meets_policy"].astype("int64")


@feature("underwriting", "category", ["verification_status"])
def verification_status(loans, context):
    """Income verification: Verified, Source Verified or Not Verified."""
    return loans["verification_status"].astype("string")


@feature("underwriting", "0/1", ["verification_status"])
def income_verified(loans, context):
    """1 when the platform verified the income or its source, 0 when unverified."""
    return loans["verification_status"].isin(["Verified", "Source Verified"]).astype("int64")


@feature("underwriting", "year", ["issue_d"])
def issue_year(loans, context):
    """Vintage: the year the loan was issued."""
    return loans["issue_d"].dt.year.astype("int64")


@feature("underwriting", "quarter", ["issue_d"])
def issue_quarter(loans, context):
    """Vintage quarter the loan was issued, e.g. 2010Q3."""
    return loans["issue_d"].dt.to_period("Q").astype("string")


@feature("underwriting", "grade steps", ["grade", "fico_range_low", "fico_range_high"])
def grade_gap(loans, context):
    """Platform grade code minus the grade FICO alone suggests (same grade mix, assigned by FICO rank); positive means the platform judged the loan riskier than its FICO."""
    scores = fico(loans, context)
    cutoffs = context.fico_grade_cutoffs or fico_grade_cutoffs(scores, loans["grade"])
    return grade_code(loans, context) - fico_implied_grade_code(scores, cutoffs)


@feature("underwriting", "fraction", ["funded_amnt_inv", "funded_amnt"])
def inv_funded_share(loans, context):
    """Share of the funded amount put up by investors (the rest by the platform)."""
    return (loans["funded_amnt_inv"] / loans["funded_amnt"].where(loans["funded_amnt"] > 0)).clip(0, 1)
