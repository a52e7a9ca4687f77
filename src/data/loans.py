"""The canonical loan table, from whichever source: whole (:func:`load_loans`) or one partition of
parquet at a time (:func:`loan_partitions`), always in the types of
:data:`~overdue.data.schemas.LOAN_COLUMNS`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from overdue.data.lendingclub import read_lendingclub_dir, read_loans_csv
from overdue.data.mapping import read_mapping
from overdue.data.partitions import as_partitions
from overdue.data.schemas import LOAN_COLUMNS
from overdue.errors import ConfigError


def load_loans(
    raw_dir: str | os.PathLike = "data/raw",
    loans_file: str | os.PathLike | None = None,
    mapping: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """The canonical, validated loan table: from ``loans_file`` (LendingClub's CSV format, or any
    format a YAML ``mapping`` describes) when given, else from the LendingClub ``.rda`` files
    under ``raw_dir/lendingclub``.

    Examples
    --------
    >>> load_loans("data/raw").shape  # doctest: +SKIP
    (42535, 31)
    """
    if mapping is not None and loans_file is None:
        raise ConfigError("a mapping describes a loan file: give the file with --loans too")
    if loans_file is not None:
        return read_loans_csv(loans_file, read_mapping(mapping) if mapping else None)
    return read_lendingclub_dir(Path(raw_dir) / "lendingclub")


def loan_partitions(
    loans_dir: str | os.PathLike, batch_rows: int = 250_000, columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """Yield the loans of a parquet folder (or file) in canonical types, at most ``batch_rows``
    loans at a time, through the one partitioned reader (:mod:`overdue.data.partitions`).

    Examples
    --------
    >>> sum(len(part) for part in loan_partitions("data/synthetic/1m/loans"))  # doctest: +SKIP
    1000000
    """
    if int(batch_rows) != batch_rows or batch_rows < 1:
        raise ValueError(f"batch_rows must be a positive whole number, got {batch_rows!r}")
    if not Path(loans_dir).exists():
        raise ValueError(f"loans_dir {os.fspath(loans_dir)!r} does not exist")
    partitions = as_partitions(loans_dir, batch_rows=int(batch_rows))
    missing = [c for c in LOAN_COLUMNS if c not in partitions.columns]
    if missing:
        raise ValueError(
            f"loans_dir {os.fspath(loans_dir)!r}: column {missing[0]!r} missing "
            f"(the canonical loan table has {len(LOAN_COLUMNS)} columns; missing: "
            f"{', '.join(missing)})"
        )
    for part in partitions.iter(columns):
        yield as_canonical(part)


def as_canonical(loans: pd.DataFrame) -> pd.DataFrame:
    """Cast the loan columns present to their canonical dtypes (:data:`LOAN_COLUMNS`).

    Parquet readers differ in what they hand back (pyarrow-backed strings from Dask, object
    columns from a record batch); the feature code must see one set of types whichever backend
    runs it.

    Examples
    --------
    >>> as_canonical(pd.DataFrame({"grade": ["A"], "term": [36]})).dtypes.astype(str).tolist()
    ['string', 'int64']
    """
    casts = {}
    for column, dtype in LOAN_COLUMNS.items():
        if column in loans.columns and str(loans[column].dtype) != dtype:
            casts[column] = dtype
    if not casts:
        return loans
    try:
        return loans.astype(casts)
    except (TypeError, ValueError) as error:
        for column, dtype in casts.items():
            try:
                loans[column].astype(dtype)
            except (TypeError, ValueError):
                raise ValueError(f"column {column!r} cannot be read as {dtype}: {error}") from None
        raise
