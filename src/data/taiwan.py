"""The Taiwan credit-card file (UCI "default of credit card clients", Yeh & Lien 2009) as a
delinquency panel and an account table.

``UCI_Credit_Card.csv`` holds one row per account (30,000) and one column per month for the
repayment status (``PAY_0`` September 2005, ``PAY_2`` August … ``PAY_6`` April; there is no
``PAY_1``), the statement balance (``BILL_AMT1`` September … ``BILL_AMT6`` April) and the amount
paid (``PAY_AMT1`` … ``PAY_AMT6``), and the October outcome ``default.payment.next.month``.
``../shared/data/SOURCES.md`` describes every column.

The status codes are read as SOURCES.md says (:data:`STATUS_CODES`): -2 (no balance to pay),
-1 (paid duly) and 0 (revolving credit, minimum paid) are **not past due** (MPD 0); ``k`` = 1 … 8
is ``k`` months past due; 9 is nine months or more (MPD 9). The source's code is kept as
``status_code``. The file has no absorbing states (nothing is charged off or closed within the
six months); the October default is the outcome of the account table, ``default_next_month``.

The quirk SOURCES.md names: status 1 almost never occurs before September, so accounts seem to
move from 0 straight to 2 before then; the transition matrices show it as it is.

Examples
--------
>>> panel, accounts = read_taiwan("data/raw/taiwan/UCI_Credit_Card.csv")  # doctest: +SKIP
>>> len(panel), len(accounts), int(accounts["default_next_month"].sum())  # doctest: +SKIP
(180000, 30000, 6636)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from overdue.data.delinquency import as_panel, bucket_of, validate_panel
from overdue.errors import DataError

#: Calendar month -> (status, balance, payment) columns of the wide file, first month first.
MONTH_COLUMNS: dict[str, tuple[str, str, str]] = {
    "2005-04": ("PAY_6", "BILL_AMT6", "PAY_AMT6"),
    "2005-05": ("PAY_5", "BILL_AMT5", "PAY_AMT5"),
    "2005-06": ("PAY_4", "BILL_AMT4", "PAY_AMT4"),
    "2005-07": ("PAY_3", "BILL_AMT3", "PAY_AMT3"),
    "2005-08": ("PAY_2", "BILL_AMT2", "PAY_AMT2"),
    "2005-09": ("PAY_0", "BILL_AMT1", "PAY_AMT1"),
}
#: The month whose payment the outcome column records.
OUTCOME_MONTH = "2005-10"
OUTCOME_COLUMN = "default.payment.next.month"

#: Status code -> months past due.
STATUS_CODES: dict[int, int] = {-2: 0, -1: 0, 0: 0, **{k: k for k in range(1, 10)}}
#: Codes of the account attributes (SOURCES.md; 0, 5, 6 of EDUCATION and 0 of MARRIAGE occur
#: undocumented and are kept as they are).
SEX_CODES = {1: "male", 2: "female"}
EDUCATION_CODES = {
    1: "graduate school",
    2: "university",
    3: "high school",
    4: "others",
    0: "undocumented (0)",
    5: "undocumented (5)",
    6: "undocumented (6)",
}
MARRIAGE_CODES = {1: "married", 2: "single", 3: "others", 0: "undocumented (0)"}

#: The account table: one row per account, its attributes and the October outcome.
ACCOUNT_COLUMNS: dict[str, str] = {
    "account_id": "string",
    "credit_line": "float64",  # LIMIT_BAL, NT$ (the holder's and supplementary cards)
    "sex": "Int64",  # SEX_CODES
    "education": "Int64",  # EDUCATION_CODES
    "marriage": "Int64",  # MARRIAGE_CODES
    "age": "float64",  # years; missing in this copy for 2 accounts ("nan")
    "default_next_month": "Int64",  # 1: defaulted on the October 2005 payment
}

_ATTRIBUTES = {"ID": "account_id", "LIMIT_BAL": "credit_line", "SEX": "sex"}
_ATTRIBUTES |= {"EDUCATION": "education", "MARRIAGE": "marriage", "AGE": "age"}
_OPTIONAL = {"SEX", "EDUCATION", "MARRIAGE", "AGE"}  # may be missing ("nan" or empty)
_CODES = {"SEX": SEX_CODES, "EDUCATION": EDUCATION_CODES, "MARRIAGE": MARRIAGE_CODES}


def required_columns() -> list[str]:
    """Every column the wide file must have, in the file's order.

    Examples
    --------
    >>> required_columns()[:7]
    ['ID', 'LIMIT_BAL', 'SEX', 'EDUCATION', 'MARRIAGE', 'AGE', 'PAY_0']
    """
    months = list(MONTH_COLUMNS.values())[::-1]
    return [
        *_ATTRIBUTES,
        *(m[0] for m in months),
        *(m[1] for m in months),
        *(m[2] for m in months),
        OUTCOME_COLUMN,
    ]


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise DataError(path, None, "file not found; run `overdue fetch`") from None
    except pd.errors.EmptyDataError:
        raise DataError(path, None, "empty file") from None
    except UnicodeDecodeError as error:
        raise DataError(
            path, None, f"not UTF-8 text: {error.reason} at byte {error.start}"
        ) from None
    except pd.errors.ParserError as error:
        raise DataError(path, None, f"not a well-formed CSV: {error}") from None


def _numbers(raw: pd.DataFrame, column: str, path: Path) -> pd.Series:
    text = raw[column].str.strip()
    blank = text.isin(["", "nan", "NaN", "NA"])
    numbers = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = numbers.isna() & ~blank
    if bad.any():
        raise DataError(path, column, "not a number", int(bad.sum()), text[bad].head(3).tolist())
    if blank.any() and column not in _OPTIONAL:
        rows = [f"ID {i}" for i in raw.loc[blank, "ID"].head(3)] if column != "ID" else []
        raise DataError(path, column, "missing values", int(blank.sum()), rows)
    return numbers


def _codes(raw: pd.DataFrame, column: str, numbers: pd.Series, known, path: Path) -> pd.Series:
    whole = numbers.dropna() == np.round(numbers.dropna())
    unknown = numbers.notna() & ~numbers.isin(list(known))
    unknown |= numbers.notna() & ~whole.reindex(numbers.index, fill_value=True)
    if unknown.any():
        shown = ", ".join(str(k) for k in sorted(known))
        raise DataError(
            path,
            column,
            f"unknown status code (known: {shown})",
            int(unknown.sum()),
            [
                f"ID {i}: {v}"
                for i, v in zip(raw.loc[unknown, "ID"].head(3), raw.loc[unknown, column])
            ],
        )
    return numbers.astype("Int64")


def read_taiwan(path: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the wide Taiwan file into the validated delinquency panel and the account table.

    Parameters
    ----------
    path : path
        ``UCI_Credit_Card.csv`` (``data/raw/taiwan/``).

    Returns
    -------
    panel : pandas.DataFrame
        :data:`~overdue.data.delinquency.PANEL_COLUMNS`, one row per account and month
        (April … September 2005): 180,000 rows for the 30,000 accounts.
    accounts : pandas.DataFrame
        :data:`ACCOUNT_COLUMNS`, one row per account.

    Raises
    ------
    DataError
        A missing column (a month's status, balance or payment column included), words in a
        numeric column, an unknown status code, a duplicated account: naming the file, the
        column, the count and examples.
    """
    path = Path(path)
    raw = _read_csv(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in required_columns() if c not in raw.columns]
    if missing:
        month = next((m for m, cols in MONTH_COLUMNS.items() if missing[0] in cols), None)
        detail = f" (the {month} column of a wide file)" if month else ""
        raise DataError(path, missing[0], f"required column missing{detail}")
    numbers = {c: _numbers(raw, c, path) for c in required_columns()}
    ids = numbers["ID"]
    if (ids != np.round(ids)).any():
        raise DataError(path, "ID", "account ids must be whole numbers")
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        raise DataError(
            path,
            "ID",
            "duplicated account: one row per account, so its account-months repeat",
            int(duplicated.sum()),
            ids[duplicated].astype(int).head(3).tolist(),
        )
    account_id = ids.astype("int64").astype(str).astype("string")
    for column, known in _CODES.items():
        numbers[column] = _codes(raw, column, numbers[column], known, path)
    outcome = _codes(raw, OUTCOME_COLUMN, numbers[OUTCOME_COLUMN], {0: 0, 1: 1}, path)

    months = []
    for month, (status, balance, payment) in MONTH_COLUMNS.items():
        code = _codes(raw, status, numbers[status], STATUS_CODES, path)
        mpd = code.clip(lower=0)  # -2, -1, 0 are not past due; k >= 1 is k months (9: nine+)
        months.append(
            pd.DataFrame(
                {
                    "account_id": account_id,
                    "month": pd.Timestamp(f"{month}-01"),
                    "mpd": mpd,
                    "bucket": bucket_of(mpd),
                    "balance": numbers[balance].astype("float64"),
                    "payment": numbers[payment].astype("float64"),
                    "credit_line": numbers["LIMIT_BAL"].astype("float64"),
                    "status_code": code,
                }
            )
        )
    panel = as_panel(pd.concat(months, ignore_index=True))
    names = {"account_id": "ID", "payment": "PAY_AMT*", "credit_line": "LIMIT_BAL"}
    panel = validate_panel(panel, path, names)
    accounts = pd.DataFrame({"account_id": account_id})
    for source, canonical in _ATTRIBUTES.items():
        if canonical != "account_id":
            accounts[canonical] = numbers[source].astype(ACCOUNT_COLUMNS[canonical])
    accounts["default_next_month"] = outcome
    return panel, accounts.sort_values("account_id", kind="stable").reset_index(drop=True)
