"""Provenance and validation summaries for the data notebook."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from overdue.data.fetch import read_checksums
from overdue.data.sources import raw_files

#: Beside the tables of a build from one's own files: which files, with their SHA-256.
OWN_FILES = "own_files.json"


def provenance_table(
    raw_dir: str | os.PathLike = "data/raw", processed_dir: str | os.PathLike | None = None
) -> pd.DataFrame:
    """Every raw input: public address, SHA-256 recorded at fetch, and whether it matches the pin.

    When ``processed_dir`` was built from one's own files (it holds :data:`OWN_FILES`), those
    files come first, with the SHA-256 they had when the build read them, and the public loan
    files the build did not read are left out.

    Examples
    --------
    >>> provenance_table("data/raw").columns.tolist()  # doctest: +SKIP
    ['file', 'source', 'sha256', 'pinned', 'verified']
    """
    own_path = Path(processed_dir) / OWN_FILES if processed_dir is not None else None
    own = json.loads(own_path.read_text())["files"] if own_path and own_path.is_file() else []
    rows = [
        {
            "file": item["file"],
            "source": f"your {item['role']} file",
            "sha256": item["sha256"],
            "pinned": False,
            "verified": True,  # the digest of the very bytes the build read
        }
        for item in own
    ]
    recorded = read_checksums(raw_dir)
    for item in raw_files():
        if own and not item.relpath.startswith("fred/"):
            continue  # the loans (or accounts) came from the user's own file
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
