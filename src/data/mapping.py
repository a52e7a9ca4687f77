"""Bring your own loan file: a small YAML mapping says how its columns and values read.

Example mapping (``my_loans.yaml``)::

    delimiter: ";"
    columns:              # canonical name: your column
      id: loan_number
      loan_amnt: amount
      int_rate: rate
      term: months
      issue_d: start_month
      loan_status: state
      purpose: reason
      addr_state: region
      fico_range_low: score
      fico_range_high: score
    date_format: "%d.%m.%Y"
    percent: percent      # rates written 10.65 (percent), 0.1065 (fraction) or "10.65%" (auto)
    statuses:             # your status values, by what they mean
      default: [WRITTEN_OFF, DEFAULTED]
      paid: [REPAID]
      open: [RUNNING]
    constants:            # values for columns your file does not have
      purpose: other

Instead of ``statuses`` a file with only an outcome flag names it: ``default_flag: bad``
(values 1/0, true/false, yes/no). Without payment dates (no ``last_pymnt_d``) the loans still
get every feature and the logit models; time-to-event models say that they cannot run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from overdue.data.schemas import LOAN_COLUMNS
from overdue.errors import ConfigError, DataError
from overdue.io import read_yaml_mapping

#: The LendingClub status each meaning maps to, so the outcome definitions apply unchanged.
STATUS_MEANINGS = {"default": "Charged Off", "paid": "Fully Paid", "open": "Current"}
PERCENT_STYLES = ("auto", "percent", "fraction")
_FLAG_VALUES = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "y": 1, "n": 0}


@dataclass
class LoanFileMapping:
    """How a loan file's columns and values map onto the canonical loan table.

    Examples
    --------
    >>> m = LoanFileMapping(columns={"id": "loan_number"})
    >>> m.apply(pd.DataFrame({"loan_number": ["7"]}), "f.csv")["id"].tolist()
    ['7']
    """

    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    date_format: str | None = None
    percent: str = "auto"
    statuses: dict[str, list[str]] | None = None
    default_flag: str | None = None
    constants: dict[str, object] = field(default_factory=dict)
    source: str = "mapping"

    def apply(self, frame: pd.DataFrame, path) -> pd.DataFrame:
        """Copy mapped columns to their canonical names (one source may feed several), add
        constants, translate statuses and flags; unmapped columns are kept as they are."""
        wanted = set(self.columns.values()) | ({self.default_flag} if self.default_flag else set())
        absent = sorted(c for c in wanted if c not in frame.columns)
        if absent:
            raise DataError(
                path,
                absent[0],
                f"the mapping {self.source} names a column the file "
                f"does not have (file columns: {', '.join(map(str, frame.columns[:15]))})",
            )
        out = frame.copy()
        for canonical, source in self.columns.items():
            out[canonical] = frame[source]
        for canonical, value in self.constants.items():
            out[canonical] = value
        if self.default_flag:
            flag = (
                frame[self.default_flag].astype("string").str.strip().str.lower().map(_FLAG_VALUES)
            )
            bad = flag.isna()
            if bad.any():
                raise DataError(
                    path,
                    self.default_flag,
                    "outcome flag must be 1/0, true/false or yes/no",
                    int(bad.sum()),
                    frame.loc[bad, self.default_flag].head(3).tolist(),
                )
            out["loan_status"] = flag.map(
                {1: STATUS_MEANINGS["default"], 0: STATUS_MEANINGS["paid"]}
            )
        elif self.statuses:
            meaning = {
                str(value): STATUS_MEANINGS[kind]
                for kind, values in self.statuses.items()
                for value in values
            }
            raw = out["loan_status"].astype("string").str.strip()
            translated = raw.map(meaning)
            bad = translated.isna()
            if bad.any():
                raise DataError(
                    path,
                    self.columns.get("loan_status", "loan_status"),
                    f"status not listed under statuses: in {self.source}",
                    int(bad.sum()),
                    raw[bad].drop_duplicates().head(3).tolist(),
                )
            out["loan_status"] = translated
        return out


def read_mapping(path: str | os.PathLike) -> LoanFileMapping:
    """Read and check a YAML loan-file mapping; errors name the file and the key.

    Examples
    --------
    >>> read_mapping("examples/my_loans.yaml").columns["id"]  # doctest: +SKIP
    'loan_number'
    """
    known = {
        "columns",
        "delimiter",
        "date_format",
        "percent",
        "statuses",
        "default_flag",
        "constants",
    }
    content = read_yaml_mapping(path, "mapping", known)
    columns = content.get("columns") or {}
    if not isinstance(columns, dict):
        raise ConfigError(f"{path}: columns: must map canonical names to your column names")
    bad_names = sorted(set(columns) - set(LOAN_COLUMNS))
    if bad_names:
        raise ConfigError(
            f"{path}: columns: {bad_names} are not canonical loan columns "
            f"(known: {', '.join(LOAN_COLUMNS)})"
        )
    if content.get("percent", "auto") not in PERCENT_STYLES:
        raise ConfigError(f"{path}: percent: must be one of {PERCENT_STYLES}")
    statuses = content.get("statuses")
    if statuses is not None and (
        not isinstance(statuses, dict) or set(statuses) - set(STATUS_MEANINGS)
    ):
        raise ConfigError(f"{path}: statuses: keys must be among {sorted(STATUS_MEANINGS)}")
    return LoanFileMapping(
        columns={str(k): str(v) for k, v in columns.items()},
        delimiter=str(content.get("delimiter", ",")),
        date_format=content.get("date_format"),
        percent=content.get("percent", "auto"),
        statuses={k: [str(v) for v in vs] for k, vs in (statuses or {}).items()} or None,
        default_flag=content.get("default_flag"),
        constants=content.get("constants") or {},
        source=str(path),
    )


# ----------------------------------------------------------------------------------------------
# a lender's performance file (account x month x delinquency)

#: What a performance file's columns may map to; one of the three delinquency measures is needed.
PERFORMANCE_COLUMNS = (
    "account_id",
    "month",
    "days_past_due",
    "months_past_due",
    "status",
    "balance",
    "payment",
    "credit_line",
)
DELINQUENCY_MEASURES = ("days_past_due", "months_past_due", "status")
#: Status meanings besides a number of months past due: ``current`` is 0, the rest absorbing.
STATUS_WORDS = ("current", "default", "closed")


@dataclass
class PerformanceFileMapping:
    """How a lender's long-format performance file reads as the delinquency panel.

    One row per account and month; the delinquency is given as days past due, months past due,
    or status words (``statuses``: each meaning — ``current``, a number of months past due, or
    the absorbing ``default`` and ``closed`` — lists the file's words for it). With a numeric
    measure *and* a status column, the numbers give the months past due and the status words
    mark the absorbing months.

    Example mapping (``examples/my_performance.yaml``)::

        delimiter: ","
        columns:            # canonical name: your column
          account_id: acct
          month: period
          days_past_due: dpd
          status: state
          balance: outstanding
        date_format: "%Y-%m"
        statuses:
          current: [OPEN]
          default: [CHARGED_OFF]
          closed: [CLOSED]

    Examples
    --------
    >>> m = PerformanceFileMapping(columns={"account_id": "acct", "month": "m", "months_past_due": "mpd"})
    >>> m.measure
    'months_past_due'
    """

    columns: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    date_format: str | None = None
    statuses: dict[str, list[str]] | None = None
    source: str = "mapping"

    @property
    def measure(self) -> str:
        """The delinquency measure the months past due come from (a number before words)."""
        return next(m for m in DELINQUENCY_MEASURES if m in self.columns)

    def status_meaning(self) -> dict[str, str | int]:
        """The file's status word -> ``current``/``default``/``closed`` or months past due."""
        meaning: dict[str, str | int] = {}
        for kind, words in (self.statuses or {}).items():
            value = int(kind) if str(kind).isdigit() else str(kind)
            for word in words:
                meaning[str(word)] = value
        return meaning


def read_performance_mapping(path: str | os.PathLike) -> PerformanceFileMapping:
    """Read and check a YAML performance-file mapping; errors name the file and the key.

    Examples
    --------
    >>> read_performance_mapping("examples/my_performance.yaml").measure  # doctest: +SKIP
    'days_past_due'
    """
    content = read_yaml_mapping(
        path, "performance mapping", {"columns", "delimiter", "date_format", "statuses"}
    )
    columns = content.get("columns") or {}
    if not isinstance(columns, dict):
        raise ConfigError(f"{path}: columns: must map canonical names to your column names")
    bad_names = sorted(set(map(str, columns)) - set(PERFORMANCE_COLUMNS))
    if bad_names:
        raise ConfigError(
            f"{path}: columns: {bad_names} are not performance-file columns "
            f"(known: {', '.join(PERFORMANCE_COLUMNS)})"
        )
    for needed in ("account_id", "month"):
        if needed not in columns:
            raise ConfigError(f"{path}: columns: {needed} is required")
    if not any(m in columns for m in DELINQUENCY_MEASURES):
        raise ConfigError(
            f"{path}: columns: name one of {', '.join(DELINQUENCY_MEASURES)} "
            "(how far past due each account-month is)"
        )
    statuses = content.get("statuses")
    if "status" in columns and not statuses:
        raise ConfigError(f"{path}: statuses: a status column needs its words listed by meaning")
    if statuses is not None:
        if not isinstance(statuses, dict):
            raise ConfigError(f"{path}: statuses: must map meanings to lists of your words")
        bad = [k for k in statuses if str(k) not in STATUS_WORDS and not str(k).isdigit()]
        if bad:
            raise ConfigError(
                f"{path}: statuses: {bad} are not meanings (use {', '.join(STATUS_WORDS)} "
                "or a whole number of months past due)"
            )
    return PerformanceFileMapping(
        columns={str(k): str(v) for k, v in columns.items()},
        delimiter=str(content.get("delimiter", ",")),
        date_format=content.get("date_format"),
        statuses={
            str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])]
            for k, vs in (statuses or {}).items()
        }
        or None,
        source=str(path),
    )
