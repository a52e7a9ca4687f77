"""The canonical loan table and macro panel: their columns, types and validation rules (pandera).

Every loader (LendingClub ``.rda``, LendingClub CSV export, a user's own file, synthetic loans)
produces exactly :data:`LOAN_COLUMNS`; :func:`validate_loans` is the one gate they all pass.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from overdue.data.sources import STATE_CODES
from overdue.errors import DataError

#: The platform's grades, from the safest (A) to the riskiest (G).
GRADES = "ABCDEFG"

#: What LendingClub puts before the status of a loan issued outside its credit policy, as in
#: "Does not meet the credit policy. Status:Fully Paid"; such loans have ``meets_policy`` False.
POLICY_PREFIX = "Does not meet the credit policy. Status:"

#: Canonical loan columns and their pandas dtypes. Free text and identifiers (desc, title,
#: emp_title, url, member_id, zip_code) are deliberately absent: they never leave the raw files.
LOAN_COLUMNS: dict[str, str] = {
    "id": "string",
    "loan_amnt": "float64",
    "funded_amnt": "float64",
    "funded_amnt_inv": "float64",
    "term": "int64",  # months: 36 or 60
    "int_rate": "float64",  # fraction: 0.1065
    "installment": "float64",
    "grade": "string",
    "sub_grade": "string",
    "emp_length": "string",  # LendingClub's words: "< 1 year" … "10+ years"; NA if unknown
    "home_ownership": "string",
    "annual_inc": "float64",
    "verification_status": "string",
    "issue_d": "datetime64[ns]",  # first day of the issue month
    "loan_status": "string",  # as published, POLICY_PREFIX included
    "meets_policy": "bool",  # False for loans issued outside the platform's credit policy
    "purpose": "string",
    "addr_state": "string",
    "dti": "float64",  # percent: 27.65
    "delinq_2yrs": "float64",
    "earliest_cr_line": "datetime64[ns]",
    "fico_range_low": "float64",
    "fico_range_high": "float64",
    "inq_last_6mths": "float64",
    "open_acc": "float64",
    "pub_rec": "float64",
    "revol_bal": "float64",
    "revol_util": "float64",  # fraction: 0.837
    "total_acc": "float64",
    "last_pymnt_d": "datetime64[ns]",  # NaT when the loan never paid
    "total_pymnt": "float64",  # everything received, recoveries included
    # What overdue cost (optional: a loan file without them still builds).
    "total_rec_prncp": "float64",
    "total_rec_int": "float64",
    "total_rec_late_fee": "float64",  # late fees received
    "recoveries": "float64",  # after charge-off
    "collection_recovery_fee": "float64",  # what collecting the recoveries cost
    "last_pymnt_amnt": "float64",
    "last_fico_range_low": "float64",  # when last pulled; NaN where the file says 0 (no score)
    "last_fico_range_high": "float64",
    "last_credit_pull_d": "datetime64[ns]",
    "debt_settlement_flag": "string",  # "Y" or "N"
    "settlement_status": "string",  # one of SETTLEMENT_STATUSES
    "settlement_date": "datetime64[ns]",
    "settlement_amount": "float64",
    "settlement_percentage": "float64",  # percent of the balance settled
    "settlement_term": "float64",  # months of the settlement plan (0: paid at once)
}

#: Columns holding months (first day of the month); loaders parse them alike.
DATE_COLUMNS = [
    "issue_d",
    "last_pymnt_d",
    "earliest_cr_line",
    "last_credit_pull_d",
    "settlement_date",
]

#: How a debt settlement stood when the data were extracted.
SETTLEMENT_STATUSES = ["COMPLETE", "BROKEN", "ACTIVE"]

#: Columns a loan file must provide: a loan id (or the row number, ``@row`` in a mapping) and
#: the outcome; the rest may be missing and are then left empty, and the features and models
#: that need them are left out.
REQUIRED_LOAN_COLUMNS = ["id", "loan_status"]

#: Columns that, when a file has them, must be given for every loan (the loan's terms and where
#: and when it was issued: a gap there is a broken export, not an unknown).
COMPLETE_IF_PRESENT = ["loan_amnt", "term", "int_rate", "issue_d", "purpose", "addr_state"]

_non_negative = pa.Check.ge(0)


def _col(dtype, *checks, nullable=True, unique=False):
    return pa.Column(dtype, list(checks), nullable=nullable, unique=unique, coerce=False)


LOAN_SCHEMA = pa.DataFrameSchema(
    {
        "id": _col("string", nullable=False, unique=True),
        "loan_amnt": _col("float64", pa.Check.gt(0)),
        "funded_amnt": _col("float64", _non_negative),
        "funded_amnt_inv": _col("float64", _non_negative),
        # int64 when the file has terms, an all-missing Int64 when it has none (see
        # coerce_loan_types), so the dtype is not checked here.
        "term": _col(None, pa.Check.isin([12, 24, 36, 48, 60, 72, 84])),
        "int_rate": _col("float64", pa.Check.in_range(0, 1)),
        "installment": _col("float64", _non_negative),
        "grade": _col("string", pa.Check.isin(list(GRADES))),
        "annual_inc": _col("float64", _non_negative),
        "issue_d": _col("datetime64[ns]"),
        "loan_status": _col("string", nullable=False),
        "purpose": _col("string"),
        "addr_state": _col("string", pa.Check.isin(STATE_CODES)),
        "dti": _col("float64", pa.Check.in_range(0, 100)),
        "delinq_2yrs": _col("float64", _non_negative),
        "fico_range_low": _col("float64", pa.Check.in_range(300, 850)),
        "fico_range_high": _col("float64", pa.Check.in_range(300, 850)),
        "inq_last_6mths": _col("float64", _non_negative),
        "open_acc": _col("float64", _non_negative),
        "pub_rec": _col("float64", _non_negative),
        "revol_bal": _col("float64", _non_negative),
        # Utilisation above 100% happens (balance over a cut limit); 5x is a data error.
        "revol_util": _col("float64", pa.Check.in_range(0, 5)),
        "total_acc": _col("float64", _non_negative),
        "last_pymnt_d": _col("datetime64[ns]"),
        "total_pymnt": _col("float64", _non_negative),
        **{
            column: _col("float64", _non_negative)
            for column in [
                "total_rec_prncp",
                "total_rec_int",
                "total_rec_late_fee",
                "recoveries",
                "collection_recovery_fee",
                "last_pymnt_amnt",
                "settlement_amount",
                "settlement_percentage",
                "settlement_term",
            ]
        },
        "last_fico_range_low": _col("float64", pa.Check.in_range(300, 850)),
        "last_fico_range_high": _col("float64", pa.Check.in_range(300, 850)),
        "debt_settlement_flag": _col("string", pa.Check.isin(["Y", "N"])),
        "settlement_status": _col("string", pa.Check.isin(SETTLEMENT_STATUSES)),
    },
    checks=[
        pa.Check(
            lambda df: df["last_pymnt_d"].isna() | (df["last_pymnt_d"] >= df["issue_d"]),
            name="last payment not before issue",
            element_wise=False,
        ),
    ],
    strict=False,
)


def numbers_or_error(values: pd.Series, path, column: str) -> pd.Series:
    """Text read as numbers (blank cells missing); any other text is a :class:`DataError`
    naming the file, the column, the count and examples.

    Examples
    --------
    >>> numbers_or_error(pd.Series([" 5", None, ""]), "f.csv", "dti").tolist()
    [5.0, nan, nan]
    >>> numbers_or_error(pd.Series(["5", "n/a"]), "f.csv", "dti")
    Traceback (most recent call last):
    ...
    overdue.errors.DataError: f.csv: column 'dti': not a number (1 row; e.g. 'n/a')
    """
    numeric = pd.to_numeric(values, errors="coerce")
    # Only the values that did not read are looked at again (stripping every value of every
    # numeric column was most of the time of reading a large file).
    unread = values[numeric.isna() & values.notna()]
    bad = unread[unread.astype("string").str.strip() != ""]
    if len(bad):
        raise DataError(path, column, "not a number", len(bad), bad.head(3).tolist())
    return numeric


def coerce_loan_types(frame: pd.DataFrame, path) -> pd.DataFrame:
    """Cast a loader's output to :data:`LOAN_COLUMNS`, naming the column a value does not fit.

    Missing optional columns are added empty; a missing required column is an error.

    Examples
    --------
    >>> raw = pd.DataFrame({"id": ["1"], "loan_amnt": ["1000"], "term": [36], "int_rate": [0.1],
    ...     "issue_d": [pd.Timestamp("2010-01-01")], "loan_status": ["Fully Paid"],
    ...     "purpose": ["car"], "addr_state": ["CA"], "meets_policy": [True]})
    >>> coerce_loan_types(raw, "x.csv").loc[0, "loan_amnt"]
    np.float64(1000.0)
    """
    missing = [c for c in REQUIRED_LOAN_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            path,
            missing[0],
            f"required column missing (missing: {', '.join(missing)}; "
            f"present: {', '.join(map(str, frame.columns[:12]))}…)",
        )
    out = pd.DataFrame(index=frame.index)
    for column, dtype in LOAN_COLUMNS.items():
        if column not in frame.columns:
            empty_dtype = {"bool": "boolean", "int64": "Int64"}.get(dtype, dtype)
            out[column] = pd.Series(
                pd.NA if dtype in ("string", "int64") else None,
                index=frame.index,
                dtype=empty_dtype,
            )
            continue
        values = frame[column]
        try:
            if dtype == "float64" or dtype == "int64":
                numeric = numbers_or_error(values, path, column)
                if column in COMPLETE_IF_PRESENT and numeric.isna().any():
                    raise DataError(path, column, "missing values", int(numeric.isna().sum()))
                out[column] = numeric.astype(dtype)
            elif dtype.startswith("datetime"):
                out[column] = pd.to_datetime(values).astype("datetime64[ns]")
                if column in COMPLETE_IF_PRESENT and out[column].isna().any():
                    raise DataError(path, column, "missing values", int(out[column].isna().sum()))
            elif dtype == "bool":
                out[column] = values.astype(bool)
            else:
                out[column] = values.astype("string")
                if column in COMPLETE_IF_PRESENT:
                    blank = out[column].isna() | (out[column].str.strip() == "")
                    if blank.any():
                        raise DataError(path, column, "missing values", int(blank.sum()))
        except (TypeError, ValueError) as error:
            if isinstance(error, DataError):
                raise
            raise DataError(path, column, f"cannot be read as {dtype}: {error}") from error
    return out.reset_index(drop=True)


def validate_loans(frame: pd.DataFrame, path) -> pd.DataFrame:
    """Validate a canonical loan table; raise :class:`DataError` naming file, column and examples.

    Examples
    --------
    >>> try:
    ...     validate_loans(pd.DataFrame({"fico_range_low": [700.0, 9999.0]}), "loans.csv")
    ... except DataError as e:
    ...     print(e.path, e.problem)
    loans.csv required column missing
    """
    try:
        return LOAN_SCHEMA.validate(frame, lazy=True)
    except SchemaErrors as errors:
        raise _first_failure(errors, path) from None


def _first_failure(errors: SchemaErrors, path) -> DataError:
    cases = errors.failure_cases
    first = cases.iloc[0]
    column = first["column"] if isinstance(first["column"], str) else None
    same = cases[
        (cases["column"].astype(str) == str(first["column"])) & (cases["check"] == first["check"])
    ]
    check = str(first["check"])
    if check == "column_in_dataframe":
        return DataError(path, str(first["failure_case"]), "required column missing")
    if check == "last payment not before issue":
        frame = errors.data
        bad = frame[frame["last_pymnt_d"] < frame["issue_d"]]
        return DataError(
            path,
            "last_pymnt_d",
            "last payment before issue date",
            len(bad),
            [
                f"id {r.id}: issued {r.issue_d:%Y-%m}, last paid {r.last_pymnt_d:%Y-%m}"
                for r in bad.head(3).itertuples()
            ],
        )
    problem = _describe_check(check)
    return DataError(path, column, problem, len(same), same["failure_case"].head(3).tolist())


def _describe_check(check: str) -> str:
    """Pandera's check name in words a reader of the error understands."""
    named = {"field_uniqueness": "duplicated values", "not_nullable": "missing values"}
    if check in named:
        return named[check]
    if check.startswith("in_range"):
        return "out of range " + check[len("in_range") :].replace("(", "[").replace(")", "]")
    if check.startswith("isin"):
        return "not an allowed value" if len(check) > 60 else f"not one of {check[len('isin') :]}"
    if check.startswith("greater_than_or_equal_to"):
        return "negative value where none can be"
    if check.startswith("greater_than"):
        return "must be greater than " + check[len("greater_than") :].strip("()")
    return f"fails check {check}"
