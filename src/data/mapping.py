"""Bring your own loan file: a small YAML mapping says how its columns and values read.

Example mapping (``my_loans.yaml``)::

    delimiter: ";"        # detected when left out (comma, semicolon, tab or pipe)
    columns:              # canonical name: your column
      id: loan_number     # or "@row": the row number, for a file without loan ids
      loan_amnt: amount
      int_rate: rate
      term: months
      issue_d: start_month
      loan_status: state
      purpose: reason
      addr_state: region
      fico_range_low: score   # one source may feed several canonical columns
      fico_range_high: score
    derive:               # canonical column: an expression over your columns
      annual_inc: "exp(`log.income`)"
    values:               # canonical column: {your value: canonical value}
      purpose: {all_other: other}
    date_format: "%d.%m.%Y"
    percent: percent      # rates written 10.65 (percent), 0.1065 (fraction) or "10.65%" (auto)
    thousands: ","        # "1,000" reads as 1000
    statuses:             # your status values, by what they mean
      default: [WRITTEN_OFF, DEFAULTED]
      paid: [REPAID]
      open: [RUNNING]
    constants:            # values for columns your file does not have
      verification_status: Not Verified

Instead of ``statuses`` a file with only an outcome flag names it: ``default_flag: bad``
(values 1/0, true/false, yes/no). A spreadsheet reads its first sheet, or the one ``sheet:``
names. Only an id (or ``@row``) and an outcome are required; every feature whose columns the
file has is computed, and the pages say which terms they leave out. Without payment dates (no
``last_pymnt_d``) time-to-event models say that they cannot run.

Expressions are evaluated by pandas' ``eval`` (never Python's): arithmetic, comparisons, ``&``,
``|``, ``~``, ``exp``, ``log``, ``sqrt``, ``abs``; names with dots or spaces go in backticks.
Columns whose every value is a number are numbers in the expression, the others text.
"""

from __future__ import annotations

import keyword
import os
import re
from dataclasses import dataclass, field

import pandas as pd

from overdue.data.schemas import LOAN_COLUMNS
from overdue.errors import ConfigError, DataError
from overdue.io import read_yaml_mapping

#: The LendingClub status each meaning maps to, so the outcome definitions apply unchanged.
STATUS_MEANINGS = {"default": "Charged Off", "paid": "Fully Paid", "open": "Current"}
PERCENT_STYLES = ("auto", "percent", "fraction")
_FLAG_VALUES = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0, "y": 1, "n": 0}
#: A ``columns:`` value that is not a column of the file: the row number (1, 2, …).
ROW_NUMBER = "@row"
#: What an expression may call: the math functions pandas' ``eval`` supports.
EXPRESSION_FUNCTIONS = frozenset(
    "exp log log1p expm1 sqrt abs sin cos tan arctan2 sinh cosh tanh".split()
)
_BACKTICKED = re.compile(r"`([^`]+)`")
_STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)")


def numbers_where_possible(frame: pd.DataFrame) -> pd.DataFrame:
    """The file's columns as numbers where every value reads as one, as text otherwise.

    Examples
    --------
    >>> numbers_where_possible(pd.DataFrame({"a": ["1", None], "b": ["x", "2"]})).dtypes.tolist()
    [dtype('float64'), dtype('O')]
    """
    columns = {}
    for name in frame.columns:
        text = frame[name]
        numbers = pd.to_numeric(text, errors="coerce")
        columns[name] = numbers if (numbers.notna() | text.isna()).all() else text
    return pd.DataFrame(columns, index=frame.index)


def expression_names(expression: str) -> set[str]:
    """The column names an expression refers to (backticked or bare; functions excluded).

    Examples
    --------
    >>> sorted(expression_names("exp(`log.annual.inc`) + fico * 2 == 'x'"))
    ['fico', 'log.annual.inc']
    """
    names = set(_BACKTICKED.findall(expression))
    bare = _STRING_LITERAL.sub(" ", _BACKTICKED.sub(" ", expression))
    for name in _NAME.findall(bare):
        if name not in EXPRESSION_FUNCTIONS and not keyword.iskeyword(name):
            if name not in {"True", "False", "None", "inf", "nan"}:
                names.add(name)
    return names


def evaluate(expression: str, frame: pd.DataFrame, where: str) -> pd.Series:
    """Evaluate a mapping's expression over a file's columns with pandas' ``eval``.

    ``where`` names the mapping file and key for the message of an expression that fails
    (:class:`~overdue.errors.ConfigError`: a column the file lacks, a syntax error, …).

    Examples
    --------
    >>> frame = pd.DataFrame({"log.inc": ["10", "11"], "policy": ["1", "0"]})
    >>> evaluate("exp(`log.inc`)", frame, "m.yaml: derive: annual_inc").round().tolist()
    [22026.0, 59874.0]
    >>> evaluate("exp(log_inc)", frame, "m.yaml: derive: annual_inc")
    Traceback (most recent call last):
    ...
    overdue.errors.ConfigError: m.yaml: derive: annual_inc: 'exp(log_inc)' names 'log_inc', not a column of the file (file columns: log.inc, policy)
    >>> evaluate("policy == 1", frame, "m.yaml: derive: meets_policy").tolist()
    [True, False]
    """
    absent = sorted(expression_names(expression) - set(map(str, frame.columns)))
    if absent:
        raise ConfigError(
            f"{where}: {expression!r} names {', '.join(map(repr, absent))}, not a column of the "
            f"file (file columns: {', '.join(map(str, frame.columns[:15]))})"
        )
    if "@" in expression:
        raise ConfigError(f"{where}: {expression!r}: '@' (local variables) is not allowed")
    try:
        result = numbers_where_possible(frame).eval(expression, engine="python")
    except SyntaxError as error:
        raise ConfigError(
            f"{where}: {expression!r} is not a valid expression ({error.msg})"
        ) from None
    except Exception as error:  # pandas raises ValueError, TypeError, NotImplementedError …
        reason = str(error).split("\n")[0] or type(error).__name__
        raise ConfigError(f"{where}: cannot evaluate {expression!r}: {reason}") from None
    if isinstance(result, pd.DataFrame) or getattr(result, "ndim", 0) > 1:
        raise ConfigError(f"{where}: {expression!r} must give one value per row")
    return pd.Series(result, index=frame.index)


def translate_values(values: pd.Series, table: dict) -> pd.Series:
    """Replace the values listed in ``table`` (compared as trimmed text); others stay as they are.

    Examples
    --------
    >>> translate_values(pd.Series(["all_other", "car", None]), {"all_other": "other"}).tolist()
    ['other', 'car', None]
    """
    text = values.astype("string").str.strip()
    lookup = {str(k).strip(): v for k, v in table.items()}
    translated = text.map(lookup)
    listed = text.isin(list(lookup)).fillna(False).to_numpy(dtype=bool)
    return values.astype(object).where(~listed, translated.astype(object))


@dataclass
class ColumnMapping:
    """The keys every file mapping shares: columns, derived columns, value translations and how
    the text reads (delimiter, thousands separator, spreadsheet sheet).

    Examples
    --------
    >>> m = ColumnMapping(columns={"id": "@row", "grade": "g"}, values={"grade": {"1": "A"}},
    ...                   derive={"annual_inc": "exp(log_inc)"})
    >>> frame = pd.DataFrame({"g": ["1", "2"], "log_inc": ["0", "1"]})
    >>> m.map_columns(frame, "f.csv")[["id", "grade", "annual_inc"]].round(2).values.tolist()
    [['1', 'A', 1.0], ['2', '2', 2.72]]
    """

    columns: dict[str, str] = field(default_factory=dict)
    derive: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict] = field(default_factory=dict)
    delimiter: str | None = None
    thousands: str | None = None
    sheet: str | int | None = None
    date_format: str | None = None
    source: str = "mapping"

    def file_columns(self) -> set[str]:
        """The file's columns the mapping names (``@row`` is not one)."""
        return {c for c in self.columns.values() if c != ROW_NUMBER}

    def resolve(self, frame: pd.DataFrame, path) -> tuple[pd.DataFrame, dict[str, str]]:
        """The file's columns plus the derived and translated ones, and the name each canonical
        column has there: the file's column, ``derive: <key>`` or ``values: <key>`` — the names
        error messages give, so a user reads where a bad value came from.

        Examples
        --------
        >>> m = ColumnMapping(columns={"month": "m"}, derive={"months_past_due": "dpd / 30"})
        >>> frame, names = m.resolve(pd.DataFrame({"m": ["2005-04"], "dpd": ["60"]}), "f.csv")
        >>> names, frame[names["months_past_due"]].tolist()
        ({'month': 'm', 'months_past_due': 'derive: months_past_due'}, [2.0])
        """
        absent = sorted(c for c in self.file_columns() if c not in frame.columns)
        if absent:
            raise DataError(
                path,
                absent[0],
                f"the mapping {self.source} names a column the file "
                f"does not have (file columns: {', '.join(map(str, frame.columns[:15]))})",
            )
        # Copied only when columns are added to it (a copy of a large file costs seconds).
        adds = self.derive or self.values or ROW_NUMBER in self.columns.values()
        out, names = (frame.copy() if adds else frame), {}
        for canonical, source in self.columns.items():
            if source == ROW_NUMBER:
                names[canonical] = ROW_NUMBER
                out[ROW_NUMBER] = pd.Series(range(1, len(frame) + 1), index=frame.index).astype(
                    str
                )
            else:
                names[canonical] = source
        for canonical, expression in self.derive.items():
            names[canonical] = f"derive: {canonical}"
            out[names[canonical]] = evaluate(
                expression, frame, f"{self.source}: derive: {canonical}"
            )
        for canonical, table in self.values.items():
            translated = f"values: {canonical}"
            out[translated] = translate_values(out[names[canonical]], table)
            names[canonical] = translated
        return out, names

    def map_columns(self, frame: pd.DataFrame, path) -> pd.DataFrame:
        """Copy mapped columns to their canonical names (one source may feed several), add the
        derived columns and translate values; the file's other columns are kept as they are."""
        resolved, names = self.resolve(frame, path)
        out = frame.copy()
        for canonical, name in names.items():
            out[canonical] = resolved[name]
        return out


@dataclass
class LoanFileMapping(ColumnMapping):
    """How a loan file's columns and values map onto the canonical loan table.

    Examples
    --------
    >>> m = LoanFileMapping(columns={"id": "loan_number"})
    >>> m.apply(pd.DataFrame({"loan_number": ["7"]}), "f.csv")["id"].tolist()
    ['7']
    """

    percent: str = "auto"
    statuses: dict[str, list[str]] | None = None
    default_flag: str | None = None
    constants: dict[str, object] = field(default_factory=dict)

    def file_columns(self) -> set[str]:
        return super().file_columns() | ({self.default_flag} if self.default_flag else set())

    def apply(self, frame: pd.DataFrame, path) -> pd.DataFrame:
        """Map columns, derive and translate (:meth:`ColumnMapping.map_columns`), add constants,
        translate statuses and flags; unmapped columns are kept as they are."""
        out = self.map_columns(frame, path)
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


def _text_keys(path, content: dict) -> dict:
    """The keys of how a file's text reads, checked: delimiter, thousands, sheet."""
    delimiter = content.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ConfigError(f"{path}: delimiter: must be one character (e.g. ',' ';' '|' or tab)")
    thousands = content.get("thousands")
    if thousands is not None and (not isinstance(thousands, str) or len(thousands) != 1):
        raise ConfigError(f"{path}: thousands: must be one character (e.g. ',' or '.')")
    if thousands is not None and thousands == delimiter:
        raise ConfigError(f"{path}: thousands: cannot be the delimiter {delimiter!r}")
    sheet = content.get("sheet")
    if sheet is not None and not isinstance(sheet, (str, int)):
        raise ConfigError(f"{path}: sheet: a sheet's name or its number (0 is the first)")
    return {"delimiter": delimiter, "thousands": thousands, "sheet": sheet}


def _derive_and_values(path, content: dict, canonical: set[str], kind: str) -> dict:
    """The ``derive`` and ``values`` keys, checked against the canonical names of ``kind``."""
    derive = content.get("derive") or {}
    if not isinstance(derive, dict) or not all(isinstance(v, str) for v in derive.values()):
        raise ConfigError(f"{path}: derive: must map canonical names to expressions (text)")
    values = content.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise ConfigError(
            f"{path}: values: must map canonical names to {{your value: canonical value}}"
        )
    for key, names in (("derive", derive), ("values", values)):
        bad = sorted(set(map(str, names)) - canonical)
        if bad:
            raise ConfigError(
                f"{path}: {key}: {bad} are not {kind} columns (known: {', '.join(sorted(canonical))})"
            )
    return {"derive": {str(k): v for k, v in derive.items()}, "values": values}


def _check_values_mapped(path, values: dict, given: set[str]) -> None:
    unmapped = sorted(set(values) - given)
    if unmapped:
        raise ConfigError(
            f"{path}: values: {unmapped[0]}: the mapping gives no column for {unmapped[0]} "
            "(map it under columns: or derive: first)"
        )


def read_mapping(path: str | os.PathLike) -> LoanFileMapping:
    """Read and check a YAML loan-file mapping; errors name the file and the key.

    Examples
    --------
    >>> read_mapping("examples/my_loans.yaml").columns["id"]  # doctest: +SKIP
    'loan_number'
    """
    known = {
        "columns",
        "derive",
        "values",
        "delimiter",
        "thousands",
        "sheet",
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
    derived = _derive_and_values(path, content, set(LOAN_COLUMNS), "canonical loan")
    constants = content.get("constants") or {}
    outcome = {"loan_status"} if content.get("default_flag") else set()
    _check_values_mapped(
        path, derived["values"], set(columns) | set(derived["derive"]) | set(constants) | outcome
    )
    return LoanFileMapping(
        columns={str(k): str(v) for k, v in columns.items()},
        **derived,
        **_text_keys(path, content),
        date_format=content.get("date_format"),
        percent=content.get("percent", "auto"),
        statuses={k: [str(v) for v in vs] for k, vs in (statuses or {}).items()} or None,
        default_flag=content.get("default_flag"),
        constants=constants,
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
class PerformanceFileMapping(ColumnMapping):
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

    statuses: dict[str, list[str]] | None = None

    @property
    def measure(self) -> str:
        """The delinquency measure the months past due come from (a number before words)."""
        given = set(self.columns) | set(self.derive)
        return next(m for m in DELINQUENCY_MEASURES if m in given)

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
    known = {"columns", "derive", "values", "delimiter", "thousands", "sheet", "date_format"}
    content = read_yaml_mapping(path, "performance mapping", known | {"statuses"})
    columns = content.get("columns") or {}
    if not isinstance(columns, dict):
        raise ConfigError(f"{path}: columns: must map canonical names to your column names")
    bad_names = sorted(set(map(str, columns)) - set(PERFORMANCE_COLUMNS))
    if bad_names:
        raise ConfigError(
            f"{path}: columns: {bad_names} are not performance-file columns "
            f"(known: {', '.join(PERFORMANCE_COLUMNS)})"
        )
    derived = _derive_and_values(path, content, set(PERFORMANCE_COLUMNS), "performance-file")
    given = set(map(str, columns)) | set(derived["derive"])
    _check_values_mapped(path, derived["values"], given)
    for needed in ("account_id", "month"):
        if needed not in given:
            raise ConfigError(f"{path}: columns: {needed} is required")
    if not any(m in given for m in DELINQUENCY_MEASURES):
        raise ConfigError(
            f"{path}: columns: name one of {', '.join(DELINQUENCY_MEASURES)} "
            "(how far past due each account-month is)"
        )
    statuses = content.get("statuses")
    if "status" in given and not statuses:
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
        **derived,
        **_text_keys(path, content),
        date_format=content.get("date_format"),
        statuses={
            str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])]
            for k, vs in (statuses or {}).items()
        }
        or None,
        source=str(path),
    )
