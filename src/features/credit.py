"""Credit-risk family: the borrower's credit record at origination."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from overdue.data.schemas import GRADES
from overdue.features.registry import feature


def months_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole calendar months from ``start`` to ``end`` (both month dates); NaN where either is missing.

    Examples
    --------
    >>> months_between(pd.Series(pd.to_datetime(["2010-01-01"])), pd.Series(pd.to_datetime(["2011-03-01"]))).tolist()
    [14.0]
    """
    return ((end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)).astype("float64")


def employment_years(emp_length: pd.Series) -> pd.Series:
    """Parse LendingClub's employment length into years: "< 1 year" is 0, "10+ years" is 10,
    "n/a" or missing is NaN; plain numbers pass through.

    Examples
    --------
    >>> employment_years(pd.Series(["< 1 year", "1 year", "7 years", "10+ years", None, "3"])).tolist()
    [0.0, 1.0, 7.0, 10.0, nan, 3.0]
    """
    text = emp_length.astype("string").str.strip().str.lower()
    years = pd.to_numeric(text.str.extract(r"(\d+(?:\.\d+)?)", expand=False), errors="coerce")
    return years.where(~text.str.startswith("<").fillna(False), 0.0).astype("float64")


# 50 points moves a borrower about a FICO band (680 to 730): a per-point ratio of 0.99
# looks like nothing. The 2007–2011 book's standard deviation is about 36 points.
@feature(
    "credit",
    "points",
    ["fico_range_low", "fico_range_high"],
    label="FICO score",
    per="per 50 points",
    scale=50,
)
def fico(loans, context):
    """FICO score at origination: the midpoint of the reported 4-point range."""
    return (loans["fico_range_low"] + loans["fico_range_high"]) / 2


@feature(
    "credit",
    "category",
    ["grade"],
    label="Grade",
    levels="grade {}",
)
def grade(loans, context):
    """The platform's grade, A (safest) to G."""
    return loans["grade"].astype("string")


@feature(
    "credit",
    "code 1–7",
    ["grade"],
    label="Grade (A = 1 … G = 7)",
    per="per grade step",
)
def grade_code(loans, context):
    """The platform's grade as an ordered code: A = 1 … G = 7."""
    return loans["grade"].map({g: i + 1 for i, g in enumerate(GRADES)}).astype("float64")


@feature(
    "credit",
    "code 1–35",
    ["sub_grade"],
    label="Sub-grade (A1 = 1 … G5 = 35)",
    per="per sub-grade step",
)
def sub_grade_code(loans, context):
    """The sub-grade as an ordered code: A1 = 1 … G5 = 35."""
    text = loans["sub_grade"].astype("string")
    letter = text.str[0].map({g: i for i, g in enumerate(GRADES)})
    return (letter * 5 + pd.to_numeric(text.str[1], errors="coerce")).astype("float64")


# A fraction (0.1065): per percentage point of rate is 0.01 of the column.
@feature(
    "credit",
    "fraction per year",
    ["int_rate"],
    label="Interest rate",
    per="per percentage point",
    scale=0.01,
)
def int_rate(loans, context):
    """Interest rate of the loan (0.1065 is 10.65% a year)."""
    return loans["int_rate"]


# In percent already: 10 points of DTI (15% to 25%) is a material change in capacity to pay.
@feature(
    "credit",
    "percent",
    ["dti"],
    label="Debt-to-income",
    per="per 10 points",
    scale=10,
)
def dti(loans, context):
    """Debt-to-income ratio: monthly debt payments (excluding mortgage and this loan) over monthly income, in percent."""
    return loans["dti"]


# The model uses the log: one doubling of income is ln 2 of the column.
@feature(
    "credit",
    "log dollars",
    ["annual_inc"],
    label="Annual income",
    per="per doubling",
    scale=math.log(2),
)
def log_income(loans, context):
    """Natural log of self-reported annual income (NaN when income is missing or zero)."""
    income = loans["annual_inc"]
    return np.log(income.where(income > 0))


@feature(
    "credit",
    "years",
    ["emp_length"],
    label="Employment length",
    per="per year",
)
def emp_years(loans, context):
    """Employment length in years, 0 for under a year and 10 for ten or more; NaN when not reported."""
    return employment_years(loans["emp_length"])


# The specifications fill a missing length with 0, so this 0/1 compares "not reported"
# with "under a year" (the missing-indicator method, see models/specs.py).
@feature(
    "credit",
    "0/1",
    ["emp_length"],
    label="Employment length not reported",
    per="vs under a year",
)
def emp_missing(loans, context):
    """1 when employment length was not reported (the explicit missing category), else 0."""
    return employment_years(loans["emp_length"]).isna().astype("int64")


@feature(
    "credit",
    "category",
    ["home_ownership"],
    label="Home ownership",
    levels={"RENT": "renting", "MORTGAGE": "mortgage", "OWN": "owning", "OTHER": "other"},
)
def home_ownership(loans, context):
    """Home ownership: RENT, MORTGAGE, OWN, or OTHER (OTHER and NONE merged; too few to estimate apart)."""
    return loans["home_ownership"].astype("string").replace({"NONE": "OTHER", "ANY": "OTHER"})


@feature(
    "credit",
    "count",
    ["delinq_2yrs"],
    label="Delinquencies in the past 2 years",
    per="per delinquency",
)
def delinq_2yrs(loans, context):
    """Delinquencies of 30+ days in the borrower's file over the past 2 years."""
    return loans["delinq_2yrs"]


@feature(
    "credit",
    "count",
    ["inq_last_6mths"],
    label="Credit inquiries in the past 6 months",
    per="per inquiry",
)
def inq_last_6mths(loans, context):
    """Credit inquiries in the past 6 months."""
    return loans["inq_last_6mths"]


@feature(
    "credit",
    "count",
    ["pub_rec"],
    label="Derogatory public records",
    per="per record",
)
def pub_rec(loans, context):
    """Derogatory public records."""
    return loans["pub_rec"]


# A fraction (0.837): 10 percentage points of utilisation is 0.1 of the column.
@feature(
    "credit",
    "fraction",
    ["revol_util"],
    label="Revolving utilisation",
    per="per 10 percentage points",
    scale=0.1,
)
def revol_util(loans, context):
    """Revolving utilisation: revolving balance over the credit limit (0.837 is 83.7%)."""
    return loans["revol_util"]


# One line is a small step: the 2007–2011 book's standard deviation is about 4.5 lines.
@feature(
    "credit",
    "count",
    ["open_acc"],
    label="Open credit lines",
    per="per 5 lines",
    scale=5,
)
def open_acc(loans, context):
    """Open credit lines."""
    return loans["open_acc"]


# The 2007–2011 book's standard deviation is about 12 lines.
@feature(
    "credit",
    "count",
    ["total_acc"],
    label="Credit lines ever opened",
    per="per 10 lines",
    scale=10,
)
def total_acc(loans, context):
    """Credit lines ever opened."""
    return loans["total_acc"]


@feature(
    "credit",
    "years",
    ["earliest_cr_line", "issue_d"],
    label="Credit history",
    per="per 5 years",
    scale=5,
)
def credit_history_years(loans, context):
    """Length of credit history at issue: months from the earliest credit line to the issue month, over 12."""
    return months_between(loans["earliest_cr_line"], loans["issue_d"]) / 12
