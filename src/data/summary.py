"""Provenance and validation summaries for the data notebook."""

from __future__ import annotations

import os

import pandas as pd

from overdue.data.fetch import read_checksums
from overdue.data.sources import raw_files


def provenance_table(raw_dir: str | os.PathLike = "data/raw") -> pd.DataFrame:
    """Every raw input: public address, SHA-256 recorded at fetch, and whether it matches the pin.

    Examples
    --------
    >>> provenance_table("data/raw").columns.tolist()  # doctest: +SKIP
    ['file', 'source', 'sha256', 'pinned', 'verified']
    """
    recorded = read_checksums(raw_dir)
    rows = []
    for item in raw_files():
        digest = recorded.get(item.relpath)
        rows.append(
            {
                "file": item.relpath,
                "source": item.url,
                "sha256": digest,
                "pinned": item.sha256 is not None,
                "verified": (digest == item.sha256) if item.sha256 else digest is not None,
            }
        )
    return pd.DataFrame(rows)


def validation_summary(loans: pd.DataFrame) -> pd.DataFrame:
    """Per column of the canonical loan table: type, missing count and share, and range.

    The table has already passed validation (it could not have been built otherwise); this shows
    what the checks saw.

    Examples
    --------
    >>> validation_summary(pd.DataFrame({"a": [1.0, None]})).loc["a", "missing"]
    np.int64(1)
    """
    rows = {}
    for column in loans.columns:
        values = loans[column]
        numeric = pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(
            values
        )
        rows[column] = {
            "dtype": str(values.dtype),
            "missing": values.isna().sum(),
            "missing_share": values.isna().mean(),
            "min": values.min() if numeric and not pd.api.types.is_bool_dtype(values) else None,
            "max": values.max() if numeric and not pd.api.types.is_bool_dtype(values) else None,
            "distinct": values.nunique(),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def sample_description(features: pd.DataFrame) -> pd.DataFrame:
    """Loans, defaults and default rate by issue year, with a total row.

    Examples
    --------
    >>> f = pd.DataFrame({"issue_year": [2010, 2010, 2011], "defaulted": [1, 0, 0]})
    >>> sample_description(f).loc["total", "loans"]
    np.int64(3)
    """
    table = features.groupby("issue_year").agg(
        loans=("defaulted", "size"), defaults=("defaulted", "sum")
    )
    table.loc["total"] = table.sum()
    table["default_rate"] = table["defaults"] / table["loans"]
    table.index = table.index.astype(str)
    return table
