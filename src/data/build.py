"""Build the processed tables from the raw inputs: ``loans.parquet`` and ``macro.parquet``.

Raw files are only read; outputs are written atomically, and only after every input loaded and
validated, so a failed build leaves ``data/processed/`` as it was.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from overdue.data.fred import macro_panel
from overdue.data.lendingclub import read_lendingclub_dir, read_loans_csv
from overdue.data.mapping import read_mapping
from overdue.errors import ConfigError
from overdue.io import exclusive_lock, remove_stale_temporaries, write_parquet_atomic


def load_loans(raw_dir: str | os.PathLike = "data/raw", loans_file: str | os.PathLike | None = None,
               mapping: str | os.PathLike | None = None) -> pd.DataFrame:
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


def build_data(raw_dir: str | os.PathLike = "data/raw", out_dir: str | os.PathLike = "data/processed",
               loans_file: str | os.PathLike | None = None,
               mapping: str | os.PathLike | None = None) -> dict[str, pd.DataFrame]:
    """Load, validate and write ``loans.parquet`` and ``macro.parquet``; return both frames.

    Nothing is written unless both inputs load and validate.

    Examples
    --------
    >>> tables = build_data("data/raw", "data/processed")  # doctest: +SKIP
    """
    tables = {"loans": load_loans(raw_dir, loans_file, mapping),
              "macro": macro_panel(Path(raw_dir) / "fred")}
    with exclusive_lock(out_dir):   # one writer at a time; a killed one leaves no stale lock
        remove_stale_temporaries(out_dir)
        for name, frame in tables.items():
            write_parquet_atomic(frame, Path(out_dir) / f"{name}.parquet")
    return tables
