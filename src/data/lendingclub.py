"""Load LendingClub loans, from the packaged ``.rda`` files or LendingClub's own CSV export,
into the one canonical loan table of :mod:`overdue.data.schemas`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from overdue.data.mapping import LoanFileMapping
from overdue.data.schemas import (
    DATE_COLUMNS,
    LOAN_COLUMNS,
    POLICY_PREFIX,
    coerce_loan_types,
    validate_loans,
)
from overdue.data.textfile import read_table
from overdue.errors import DataError

# Lines of LendingClub's CSV export that are not loans: the notice above the header, the separator
# before loans outside the credit policy, and the summary footer.
_NON_LOAN_LINE = re.compile(
    r"^\s*\"?(Notes offered by Prospectus|Loans that do not meet|"
    r"Total amount funded|$)",
    re.IGNORECASE,
)


def parse_percent(values: pd.Series, style: str = "auto") -> pd.Series:
    """Turn "10.65%" into the fraction 0.1065.

    With ``style="auto"`` a value written with a % sign is a percent and a bare number a fraction,
    as in the ``.rda`` files; ``"percent"`` reads bare numbers as percents too, ``"fraction"``
    as fractions. Unparseable text is left as it is so validation names it.

    Examples
    --------
    >>> parse_percent(pd.Series(["10.65%", " 7.5 %", "0.12", None])).tolist()
    [0.1065, 0.075, 0.12, nan]
    >>> parse_percent(pd.Series(["10.65"]), "percent").tolist()
    [0.1065]
    """
    text = values.astype("string").str.strip()
    has_sign = text.str.endswith("%").fillna(False)
    if style == "percent":
        has_sign = text.notna()
    numbers = pd.to_numeric(text.str.rstrip("%").str.strip(), errors="coerce")
    out = numbers.where(~has_sign, numbers / 100).astype("float64")
    unparsed = numbers.isna() & text.notna() & (text != "")
    return out.astype(object).where(~unparsed, values) if unparsed.any() else out


def parse_term(values: pd.Series) -> pd.Series:
    """Turn " 36 months" (or "36", or 36) into the integer months 36.

    Examples
    --------
    >>> parse_term(pd.Series([" 36 months", "60", 36])).tolist()
    [36, 60, 36]
    """
    text = values.astype("string").str.extract(r"^\s*(\d+)", expand=False)
    parsed = pd.to_numeric(text, errors="coerce")
    return parsed.astype("Int64").astype(object).where(parsed.notna(), values)


def parse_month(values: pd.Series, path, column: str, date_format: str | None = None) -> pd.Series:
    """Parse month dates ("Dec-2011", "Dec-11", "2011-12-01") to the first of the month.

    Examples
    --------
    >>> parse_month(pd.Series(["Dec-2011", "2011-12-15", None]), "f.csv", "issue_d").tolist()
    [Timestamp('2011-12-01 00:00:00'), Timestamp('2011-12-01 00:00:00'), NaT]
    """
    text = values.astype("string").str.strip().replace("", pd.NA)
    # A spreadsheet's date cells read as ISO dates whatever the mapping's format for text.
    formats = [date_format, "%Y-%m-%d"] if date_format else ["%b-%Y", "%b-%y", "%Y-%m-%d", "%Y-%m"]
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & text.notna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    bad = parsed.isna() & text.notna()
    if bad.any():
        raise DataError(
            path,
            column,
            f"not a date (expected {' or '.join(formats)})",
            int(bad.sum()),
            text[bad].head(3).tolist(),
        )
    return parsed.dt.to_period("M").dt.to_timestamp()


def _canonical(frame: pd.DataFrame, path) -> pd.DataFrame:
    """Derive the policy flag, mark unknown employment length as missing, type and validate."""
    if "emp_length" in frame.columns:
        frame = frame.assign(emp_length=frame["emp_length"].replace({"n/a": pd.NA}))
    if "loan_status" in frame.columns:
        status = frame["loan_status"].astype("string").str.strip()
        # A mapping may give the policy flag itself (a file's own `credit.policy` column);
        # LendingClub's export says it in the status words.
        meets = ~status.str.startswith(POLICY_PREFIX).fillna(False)
        if "meets_policy" in frame.columns:
            meets &= frame["meets_policy"].astype("boolean").fillna(True).astype(bool)
        frame = frame.assign(loan_status=status, meets_policy=meets)
    # LendingClub writes 0 for a FICO it could not pull: no score, not a score of 0.
    for column in ["last_fico_range_low", "last_fico_range_high"]:
        if column in frame.columns:
            score = pd.to_numeric(frame[column], errors="coerce")
            frame = frame.assign(**{column: score.where(score != 0)})
    for column in ["debt_settlement_flag", "settlement_status"]:
        if column in frame.columns:
            text = frame[column].astype("string").str.strip()
            frame = frame.assign(**{column: text.where(text != "")})
    return validate_loans(coerce_loan_types(frame, path), path)


def read_rda(path: str | os.PathLike) -> pd.DataFrame:
    """Read one ``LendingClubData_YYYY.rda`` into the canonical loan table.

    Examples
    --------
    >>> loans = read_rda("../shared/data/lendingclub/LendingClubData_2007.rda")  # doctest: +SKIP
    >>> len(loans)  # doctest: +SKIP
    603
    """
    import pyreadr

    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found")
    try:
        frames = pyreadr.read_r(str(path))
    except Exception as error:  # pyreadr raises its own and zlib/OS errors on damaged files
        raise DataError(
            path,
            None,
            f"not a readable R data file ({type(error).__name__}: "
            f"{error}); is it truncated or damaged? fetch it again",
        ) from None
    if len(frames) != 1:
        raise DataError(path, None, f"expected one data.frame, found {len(frames)}")
    frame = next(iter(frames.values()))
    for column in DATE_COLUMNS:
        if column not in frame.columns:
            continue
        if frame[column].map(lambda v: isinstance(v, str)).any():
            # The .rda stores settlement dates as LendingClub printed them ("Feb-2015").
            frame[column] = parse_month(frame[column].replace("", None), path, column)
        else:
            frame[column] = pd.to_datetime(frame[column])
    return _canonical(frame, path)


def read_lendingclub_dir(directory: str | os.PathLike) -> pd.DataFrame:
    """Read every ``LendingClubData_*.rda`` in ``directory`` into one validated loan table.

    Ids must be unique across files as well as within each.

    Examples
    --------
    >>> loans = read_lendingclub_dir("data/raw/lendingclub")  # doctest: +SKIP
    """
    paths = sorted(Path(directory).glob("LendingClubData_*.rda"))
    if not paths:
        raise DataError(directory, None, "no LendingClubData_*.rda files; run `overdue fetch`")
    frames = [read_rda(p) for p in paths]
    loans = pd.concat(frames, ignore_index=True)
    duplicated = loans["id"].duplicated(keep=False)
    if duplicated.any():
        raise DataError(
            directory,
            "id",
            "loan ids repeated across files",
            int(duplicated.sum()),
            loans.loc[duplicated, "id"].head(3).tolist(),
        )
    return loans


def read_loans_csv(path: str | os.PathLike, mapping=None) -> pd.DataFrame:
    """Read a loan CSV into the canonical loan table: LendingClub's export as it is, or any file
    described by a :class:`~overdue.data.mapping.LoanFileMapping`.

    Handles the export's quirks: the notice line above the header, the separator line before loans
    outside the credit policy, the summary footer, "10.65%" rates, " 36 months" terms and
    "Dec-2011" dates. The file is read by :func:`~overdue.data.textfile.read_table`: any line
    endings, gzip, a byte-order mark, the delimiter detected unless the mapping gives one, and
    ``.xlsx`` spreadsheets (the mapping's ``sheet``) as well as text.

    Parameters
    ----------
    path : path
        The file.
    mapping : LoanFileMapping, optional
        Column names, delimiter, thousands separator, sheet, date and percent formats and status
        meanings of a file that is not in LendingClub's format.

    Examples
    --------
    >>> loans = read_loans_csv("tests/fixtures/lendingclub_export.csv")  # doctest: +SKIP
    """
    mapping = mapping or LoanFileMapping()
    path = Path(path)
    frame = read_table(
        path,
        delimiter=mapping.delimiter,
        thousands=mapping.thousands,
        sheet=mapping.sheet,
        skip_line=_NON_LOAN_LINE,
    )
    frame = mapping.apply(frame, path)
    for column in ["int_rate", "revol_util"]:
        if column in frame.columns:
            frame[column] = parse_percent(frame[column], mapping.percent)
    if "term" in frame.columns:
        frame["term"] = parse_term(frame["term"])
    for column in DATE_COLUMNS:
        if column in frame.columns:
            frame[column] = parse_month(frame[column], path, column, mapping.date_format)
    return _canonical(frame[[c for c in frame.columns if c in LOAN_COLUMNS]], path)


def write_lendingclub_csv(loans: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write canonical loans in LendingClub's export format, quirks included (for tests and demos).

    Examples
    --------
    >>> write_lendingclub_csv(loans, "export.csv")  # doctest: +SKIP
    """
    out = loans.copy()
    as_percent = lambda v: "" if pd.isna(v) else f"{round(v * 100, 6):g}%"  # noqa: E731
    out["int_rate"] = out["int_rate"].map(as_percent)
    out["revol_util"] = out["revol_util"].map(as_percent)
    out["term"] = out["term"].map(lambda v: f" {v} months")
    for column in DATE_COLUMNS:
        out[column] = out[column].map(lambda d: "" if pd.isna(d) else d.strftime("%b-%Y"))
    out["emp_length"] = out["emp_length"].fillna("n/a")
    out = out.drop(columns=["meets_policy"])
    inside, outside = out[loans["meets_policy"]], out[~loans["meets_policy"]]
    with open(path, "w", newline="") as handle:
        handle.write(
            "Notes offered by Prospectus (https://www.lendingclub.com/info/prospectus.action)\n"
        )
        inside.to_csv(handle, index=False)
        handle.write('"Loans that do not meet the credit policy"\n')
        outside.to_csv(handle, index=False, header=False)
        handle.write(f'"Total amount funded in policy code 1: {int(inside.funded_amnt.sum())}"\n')
        handle.write(f'"Total amount funded in policy code 2: {int(outside.funded_amnt.sum())}"\n')
