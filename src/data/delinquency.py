"""The canonical delinquency panel: one row per account and calendar month, with months past due.

Every source that records payment status month by month — the Taiwan card file
(:mod:`overdue.data.taiwan`), a lender's long-format performance file
(:mod:`overdue.data.performance`), the simulator — produces exactly :data:`PANEL_COLUMNS`, and
:func:`validate_panel` is the one gate they all pass. The definitions (``../shared/DESIGN.md``,
"Delinquency panel") are stated here once:

- **Months past due** (MPD) is an integer ≥ 0; days past due ``d`` read as ``ceil(d / 30)``
  (:func:`mpd_from_days`).
- **Buckets** (:data:`BUCKETS`): ``current`` (MPD 0), ``1``, ``2``, ``3+`` months past due, and
  the absorbing states ``default`` and ``closed`` where a source records them (their MPD may be
  missing: a charged-off account is no longer "past due" by a number of months).
- **Overdue** is MPD ≥ 1; **serious overdue** MPD ≥ :data:`SERIOUS_MPD` (90+ days, the Basel
  definition; a parameter of the functions that use it).

Examples
--------
>>> bucket_of(pd.Series([0, 1, 2, 3, 9])).tolist()
['current', '1', '2', '3+', '3+']
>>> mpd_from_days(pd.Series([0, 1, 30, 31, 95])).tolist()
[0, 1, 1, 2, 4]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from overdue.errors import DataError

#: Transient buckets by months past due, then the absorbing states; this order is every matrix's.
TRANSIENT_BUCKETS = ("current", "1", "2", "3+")
ABSORBING_BUCKETS = ("default", "closed")
BUCKETS = TRANSIENT_BUCKETS + ABSORBING_BUCKETS

#: MPD at and above which an account is in the top transient bucket (``3+``).
TOP_MPD = 3
#: Serious overdue: 90+ days past due (the Basel definition of default), the default parameter.
SERIOUS_MPD = 3
#: Days in a month past due: ``d`` days past due are ``ceil(d / 30)`` months.
DAYS_PER_MONTH = 30

#: Canonical panel columns and their pandas dtypes.
PANEL_COLUMNS: dict[str, str] = {
    "account_id": "string",
    "month": "datetime64[ns]",  # first day of the calendar month
    "mpd": "Int64",  # months past due; missing only in an absorbing bucket
    "bucket": "string",  # one of BUCKETS
    "balance": "float64",  # statement balance (may be negative: a credit balance)
    "payment": "float64",  # amount paid in the month
    "credit_line": "float64",  # the account's limit
    "status_code": "Int64",  # the source's own status code, where it has one
}
#: Columns a source must give; the others may be empty.
REQUIRED_PANEL_COLUMNS = ["account_id", "month", "bucket"]

_SCHEMA = pa.DataFrameSchema(
    {
        "account_id": pa.Column("string", nullable=False),
        "month": pa.Column("datetime64[ns]", nullable=False),
        "mpd": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "bucket": pa.Column("string", pa.Check.isin(list(BUCKETS)), nullable=False),
        "payment": pa.Column("float64", pa.Check.ge(0), nullable=True),
        "credit_line": pa.Column("float64", pa.Check.gt(0), nullable=True),
    },
    strict=False,
)


def bucket_of(mpd: pd.Series) -> pd.Series:
    """The transient bucket of each months-past-due value (``current``, ``1``, ``2``, ``3+``).

    Examples
    --------
    >>> bucket_of(pd.Series([0, 2, 5])).tolist()
    ['current', '2', '3+']
    """
    values = pd.Series(mpd, copy=False).astype("Int64")
    labels = np.array(TRANSIENT_BUCKETS, dtype=object)
    index = values.clip(upper=TOP_MPD).fillna(0).astype(int).to_numpy()
    out = pd.Series(labels[index], index=values.index, dtype="string")
    return out.where(values.notna(), pd.NA)


def mpd_from_days(days: pd.Series) -> pd.Series:
    """Months past due from days past due: ``ceil(d / 30)`` (1–30 days is one month).

    Examples
    --------
    >>> mpd_from_days(pd.Series([0.0, 29.0, 60.0, 61.0])).tolist()
    [0, 1, 2, 3]
    """
    values = pd.Series(days, copy=False).astype("Float64")
    return np.ceil(values / DAYS_PER_MONTH).astype("Int64")


def is_overdue(mpd, threshold: int = 1):
    """MPD ≥ ``threshold``: overdue by default (1), serious overdue with ``threshold=SERIOUS_MPD``."""
    return pd.Series(mpd, copy=False).fillna(0) >= threshold


def empty_panel_column(dtype: str, index) -> pd.Series:
    """A column of missing values of a panel dtype."""
    return pd.Series(pd.NA if dtype in ("string", "Int64") else None, index=index, dtype=dtype)


def as_panel(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly :data:`PANEL_COLUMNS` in their dtypes (absent ones empty), sorted by
    account and month."""
    out = pd.DataFrame(index=frame.index)
    for column, dtype in PANEL_COLUMNS.items():
        out[column] = (
            frame[column].astype(dtype)
            if column in frame.columns
            else empty_panel_column(dtype, frame.index)
        )
    return out.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)


def _examples(frame: pd.DataFrame, rows, what=lambda r: f"{r.month:%Y-%m}") -> list[str]:
    return [f"account {r.account_id} {what(r)}" for r in frame[rows].head(3).itertuples()]


def validate_panel(frame: pd.DataFrame, path, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Validate a canonical delinquency panel; raise :class:`DataError` naming the file, the
    column (as the source calls it, through ``names``: canonical -> source column), how many rows
    are bad and examples.

    Checks: the required columns; types and ranges (MPD ≥ 0, payments ≥ 0, credit lines > 0,
    known buckets); months on the first of the month; one row per account and month; consecutive
    months per account (no gap); MPD present outside the absorbing states and the bucket the one
    its MPD gives; no way out of an absorbing state.

    Examples
    --------
    >>> panel = as_panel(pd.DataFrame({"account_id": ["7", "7"], "month": pd.to_datetime(["2005-04-01", "2005-06-01"]),
    ...     "mpd": [0, 1], "bucket": ["current", "1"]}))
    >>> try:
    ...     validate_panel(panel, "perf.csv")
    ... except DataError as e:
    ...     print(e)
    perf.csv: column 'month': gap in an account's months (1 row; e.g. 'account 7 2005-04 -> 2005-06')
    """
    names = names or {}

    def error(column, problem, n_bad=None, examples=()):
        return DataError(path, names.get(column, column), problem, n_bad, examples)

    missing = [c for c in REQUIRED_PANEL_COLUMNS if c not in frame.columns]
    if missing:
        raise error(missing[0], "required column missing")
    try:
        _SCHEMA.validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        first = cases.iloc[0]
        same = cases[(cases["column"] == first["column"]) & (cases["check"] == first["check"])]
        check = str(first["check"])
        problem = {
            "not_nullable": "missing values",
            "greater_than_or_equal_to(0)": "negative value where none can be",
            "greater_than(0)": "must be greater than 0",
        }.get(check, f"not one of {list(BUCKETS)}" if check.startswith("isin") else check)
        if check.startswith("dtype"):
            problem = f"wrong type ({check})"
        raise error(
            str(first["column"]), problem, len(same), same["failure_case"].head(3).tolist()
        ) from None
    panel = frame.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)
    not_first = panel["month"].dt.day != 1
    if not_first.any():
        raise error(
            "month",
            "not the first day of a month",
            int(not_first.sum()),
            _examples(panel, not_first, lambda r: f"{r.month:%Y-%m-%d}"),
        )
    duplicated = panel.duplicated(["account_id", "month"], keep="first")
    if duplicated.any():
        raise error(
            "month",
            "duplicated account-month (one row per account and month)",
            int(duplicated.sum()),
            _examples(panel, duplicated),
        )
    same_account = panel["account_id"].eq(panel["account_id"].shift())
    period = panel["month"].dt.year * 12 + panel["month"].dt.month
    gap = same_account & (period - period.shift() != 1)
    if gap.any():
        previous = panel["month"].shift()
        rows = panel.assign(previous=previous)
        raise error(
            "month",
            "gap in an account's months",
            int(gap.sum()),
            _examples(rows, gap, lambda r: f"{r.previous:%Y-%m} -> {r.month:%Y-%m}"),
        )
    absorbing = panel["bucket"].isin(ABSORBING_BUCKETS)
    no_mpd = panel["mpd"].isna() & ~absorbing
    if no_mpd.any():
        raise error(
            "mpd",
            "months past due missing outside the absorbing states",
            int(no_mpd.sum()),
            _examples(panel, no_mpd),
        )
    expected = bucket_of(panel["mpd"])
    mismatch = ~absorbing & (panel["bucket"] != expected)
    if mismatch.any():
        raise error(
            "bucket",
            "bucket is not the one its months past due give",
            int(mismatch.sum()),
            _examples(panel, mismatch, lambda r: f"{r.month:%Y-%m}: mpd {r.mpd}, {r.bucket}"),
        )
    left = same_account & panel["bucket"].shift().isin(ABSORBING_BUCKETS)
    left &= panel["bucket"] != panel["bucket"].shift()
    if left.any():
        raise error(
            "bucket",
            "an account leaves an absorbing state (default and closed are final)",
            int(left.sum()),
            _examples(panel, left, lambda r: f"{r.month:%Y-%m}: {r.bucket}"),
        )
    return panel


def panel_summary(panel: pd.DataFrame) -> dict:
    """Accounts, account-months, months covered and rows by bucket of a validated panel.

    Examples
    --------
    >>> panel = as_panel(pd.DataFrame({"account_id": ["1", "1"], "month": pd.to_datetime(["2005-04-01", "2005-05-01"]),
    ...     "mpd": [0, 1], "bucket": ["current", "1"]}))
    >>> panel_summary(panel)["accounts"], panel_summary(panel)["first_month"]
    (1, '2005-04')
    """
    counts = panel["bucket"].value_counts()
    return {
        "accounts": int(panel["account_id"].nunique()),
        "account_months": len(panel),
        "first_month": f"{panel['month'].min():%Y-%m}",
        "last_month": f"{panel['month'].max():%Y-%m}",
        "by_bucket": {bucket: int(counts.get(bucket, 0)) for bucket in BUCKETS},
    }


def status_table(panel: pd.DataFrame, column: str = "status_code") -> pd.DataFrame:
    """Account counts by month (rows, ``YYYY-MM``) and status (columns: the source's code, or
    ``bucket``/``mpd``), the table SOURCES.md's counts are checked against.

    Examples
    --------
    >>> panel = pd.DataFrame({"month": pd.to_datetime(["2005-09-01"] * 3), "status_code": [-1, 0, 0]})
    >>> status_table(panel).loc["2005-09"].tolist()
    [1, 2]
    """
    table = pd.crosstab(panel["month"].dt.strftime("%Y-%m"), panel[column])
    if column == "bucket":
        table = table.reindex(columns=[b for b in BUCKETS if b in table.columns])
    table.index.name, table.columns.name = "month", column
    return table
