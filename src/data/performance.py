"""A lender's long-format performance file — one row per account and month with days past due,
months past due or status words — as the canonical delinquency panel, through a YAML mapping
(:class:`~overdue.data.mapping.PerformanceFileMapping`) and no code change.

Examples
--------
>>> from overdue.data.mapping import read_performance_mapping
>>> panel, accounts = read_performance_csv("examples/my_performance.csv",
...     read_performance_mapping("examples/my_performance.yaml"))
>>> panel["bucket"].value_counts().to_dict()
{'current': 11, '1': 3, '2': 2, '3+': 2, 'default': 2, 'closed': 1}
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from overdue.data.delinquency import as_panel, bucket_of, mpd_from_days, validate_panel
from overdue.data.lendingclub import parse_month
from overdue.data.mapping import PerformanceFileMapping
from overdue.data.schemas import numbers_or_error
from overdue.data.textfile import read_table
from overdue.errors import DataError


def _numeric(frame: pd.DataFrame, column: str, path) -> pd.Series:
    return numbers_or_error(frame[column], path, column).astype("float64")


def _whole_non_negative(values: pd.Series, column: str, path, what: str) -> pd.Series:
    negative = values < 0
    if negative.any():
        raise DataError(
            path,
            column,
            f"negative {what} (must be 0 or more)",
            int(negative.sum()),
            values[negative].head(3).tolist(),
        )
    fractional = values.notna() & (values != np.round(values))
    if fractional.any() and what == "months past due":
        raise DataError(
            path,
            column,
            "months past due must be whole numbers",
            int(fractional.sum()),
            values[fractional].head(3).tolist(),
        )
    return values


def read_performance_csv(
    path: str | os.PathLike, mapping: PerformanceFileMapping
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a long-format performance file into the validated delinquency panel and a minimal
    account table (``account_id``, and ``credit_line`` — the last one given — when mapped).

    The file is read by :func:`~overdue.data.textfile.read_table`: delimited text (the delimiter
    detected unless the mapping gives one; its ``thousands`` separator; gzip; any line endings)
    or an ``.xlsx`` spreadsheet's sheet (the mapping's ``sheet``, else the first).

    Raises
    ------
    DataError
        Naming the file: a file that does not read as a table (see ``read_table``); and naming
        the file's column, the count and examples: a mapped column the file lacks, words in a
        numeric column, negative days or months past due, a status word the mapping does not
        list, an unparseable month, a duplicated account-month, a gap in an account's months,
        an account leaving default or closure.
    """
    path = Path(path)
    raw = read_table(
        path, delimiter=mapping.delimiter, thousands=mapping.thousands, sheet=mapping.sheet
    )
    raw, source = mapping.resolve(raw, path)
    frame = pd.DataFrame(index=raw.index)
    account = raw[source["account_id"]].astype("string").str.strip()
    if account.isna().any():
        raise DataError(path, source["account_id"], "missing values", int(account.isna().sum()))
    frame["account_id"] = account
    frame["month"] = parse_month(raw[source["month"]], path, source["month"], mapping.date_format)
    if frame["month"].isna().any():
        raise DataError(path, source["month"], "missing values", int(frame["month"].isna().sum()))
    for column in ("balance", "payment", "credit_line"):
        if column in source:
            frame[column] = _numeric(raw, source[column], path)

    mpd = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    if "days_past_due" in source:
        days = _whole_non_negative(
            _numeric(raw, source["days_past_due"], path),
            source["days_past_due"],
            path,
            "days past due",
        )
        mpd = mpd_from_days(days)
    elif "months_past_due" in source:
        months = _whole_non_negative(
            _numeric(raw, source["months_past_due"], path),
            source["months_past_due"],
            path,
            "months past due",
        )
        mpd = months.astype("Int64")
    absorbing = pd.Series(pd.NA, index=raw.index, dtype="string")
    if "status" in source:
        column = source["status"]
        words = raw[column].astype("string").str.strip()
        meaning = mapping.status_meaning()
        unknown = words.notna() & ~words.isin(list(meaning))
        if unknown.any():
            raise DataError(
                path,
                column,
                f"status not listed under statuses: in {mapping.source}",
                int(unknown.sum()),
                words[unknown].drop_duplicates().head(3).tolist(),
            )
        meant = words.map(meaning)
        is_absorbing = meant.isin(["default", "closed"])
        absorbing = meant.where(is_absorbing).astype("string")
        if mapping.measure == "status":
            numbers = meant.where(~is_absorbing).map(lambda v: 0 if v == "current" else v)
            mpd = pd.to_numeric(numbers, errors="coerce").astype("Int64")
    bucket = bucket_of(mpd)
    frame["mpd"] = mpd
    frame["bucket"] = bucket.where(absorbing.isna(), absorbing)
    missing = frame["bucket"].isna()
    if missing.any():
        column = source[mapping.measure]
        raise DataError(
            path,
            column,
            "missing values (no delinquency for the account-month)",
            int(missing.sum()),
            [f"account {a}" for a in frame.loc[missing, "account_id"].head(3)],
        )
    names = {canonical: source_column for canonical, source_column in source.items()}
    names["mpd"] = source[mapping.measure]
    names["bucket"] = source.get("status", source[mapping.measure])
    panel = validate_panel(as_panel(frame), path, names)
    accounts = panel.groupby("account_id", sort=True).agg(credit_line=("credit_line", "last"))
    accounts = accounts.reset_index()
    if "credit_line" not in source:
        accounts = accounts[["account_id"]]
    return panel, accounts
