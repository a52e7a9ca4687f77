"""One reader of tables as users bring them: CSV (or semicolon, tab or pipe separated) text with
any line endings, UTF-8 with or without a byte-order mark, gzipped or not, and ``.xlsx``
spreadsheets — every column as text, for the loan and performance readers to type and validate.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "loans.csv"
>>> _ = path.write_bytes(b'\\xef\\xbb\\xbfid;amount\\r\\n7;"1,000"\\r\\n8;\\r\\n')
>>> read_table(path, thousands=",").to_dict("list")
{'id': ['7', '8'], 'amount': ['1000', nan]}
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from overdue.errors import DataError

#: The delimiters told apart when a file's mapping gives none, in the order messages list them.
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
#: How many lines (after the skipped ones) the delimiter is told from: enough rows to see that a
#: candidate splits each line alike, few enough to read no further into a large file.
SAMPLE_LINES = 50
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and other Office 97-2003 files)
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
# pandas writes a spreadsheet's date cell as "2010-03-01 00:00:00"; month parsers expect the date.
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$")


def delimiter_name(delimiter: str) -> str:
    """A delimiter as messages print it: tab by name, the others quoted.

    Examples
    --------
    >>> delimiter_name(";"), delimiter_name("\\t")
    ("';'", 'tab')
    """
    return "tab" if delimiter == "\t" else repr(delimiter)


def read_table(
    path: str | os.PathLike,
    *,
    delimiter: str | None = None,
    thousands: str | None = None,
    sheet: str | int | None = None,
    skip_line: re.Pattern | None = None,
) -> pd.DataFrame:
    """Read a delimited text file or an ``.xlsx`` spreadsheet as a table of text.

    Text may end its lines with LF, CRLF or a lone CR (old Macs); a UTF-8 byte-order mark is
    dropped (UTF-16 with its mark, as Excel's "Unicode text" saves, is read too); gzip is
    recognised by its magic bytes whatever the file's name. A spreadsheet is recognised by the
    zip signature or the suffix ``.xlsx``/``.xlsm``, and its first sheet is read unless ``sheet``
    names another. The first line (or row) that ``skip_line`` does not match gives the column
    names; blank lines are dropped.

    Parameters
    ----------
    path : path
        The file.
    delimiter : str, optional
        The field separator of a text file; ``None`` tells it from the header and the first lines
        among comma, semicolon, tab and pipe (:func:`detect_delimiter`).
    thousands : str, optional
        The thousands separator of numbers written ``"1,000"`` or ``"12,345.50"``: such cells
        read as ``1000`` and ``12345.50``; other text (``"a,b"``) is left alone. The decimal mark
        is always ``"."`` — with ``thousands="."`` a cell such as ``"1.500"`` reads as ``1500``,
        and ``"1.000,5"`` stays as it is (and fails as a number where one is expected).
    sheet : str or int, optional
        A spreadsheet's sheet, by name or 0-based number; ignored for text.
    skip_line : re.Pattern, optional
        Lines that are not part of the table (notices above the header, separators, footers):
        a record whose first line it matches is dropped.

    Returns
    -------
    pandas.DataFrame
        Every column of object dtype holding text, NaN for empty cells; column names stripped
        (an empty one is ``"Unnamed: i"``, a repeated one gets ``".1"``, as pandas names them).

    Raises
    ------
    DataError
        One line naming the file: not found, empty, a header but no rows, damaged gzip, not
        UTF-8 (the byte and its line), an undetectable or wrong delimiter, rows whose number of
        fields differs from the header's (the first such line), a sheet that does not exist
        (listing those that do), a damaged or unsupported spreadsheet.

    Examples
    --------
    >>> import pathlib, re, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = path.write_text("Notice\\ra|b\\r1|x\\rFooter\\r")
    >>> read_table(path, skip_line=re.compile("Notice|Footer")).values.tolist()
    [['1', 'x']]
    """
    path = Path(path)
    raw = _read_bytes(path)
    if raw[: len(_ZIP_MAGIC)] == _ZIP_MAGIC or path.suffix.lower() in _SPREADSHEET_SUFFIXES:
        header, rows = _sheet_records(path, raw, sheet, skip_line)
    elif raw[: len(_OLE_MAGIC)] == _OLE_MAGIC:
        raise DataError(path, None, "an old Excel .xls workbook: save it as .xlsx or CSV")
    else:
        text = _decode(path, raw)
        header, rows = _text_records(path, text, delimiter, skip_line)
    return _as_frame(header, rows, thousands)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when they start with gzip's magic (whatever the name)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, None, "file not found") from None
    except IsADirectoryError:
        raise DataError(path, None, "a folder, not a file") from None
    if raw[: len(_GZIP_MAGIC)] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataError(path, None, f"damaged gzip file ({error}); is it truncated?") from None
    return raw


def _decode(path: Path, raw: bytes) -> str:
    """UTF-8 text without its byte-order mark (UTF-16 when it starts with that mark)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")  # the mark says the byte order; decode drops it
        except UnicodeDecodeError as error:
            raise DataError(path, None, f"damaged UTF-16 text ({error.reason})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        # Lines end in LF, CRLF or a lone CR: count each ending once.
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise DataError(
            path,
            None,
            f"not UTF-8 text: byte {raw[error.start]:#x} at line {line} (save the file as UTF-8)",
        ) from None


def _records(path: Path, text: str, delimiter: str, skip_line: re.Pattern | None):
    """Yield ``(line number, number of lines, fields)`` for each record that is not blank and
    whose first line ``skip_line`` does not match."""
    # newline="" splits at \n, \r\n and a lone \r alike and keeps the endings, so the csv
    # reader sees quoted line breaks as they are and counts old-Mac lines as lines.
    skipped = set()
    if skip_line is not None:
        for number, line in enumerate(io.StringIO(text, newline=""), 1):
            if skip_line.match(line.rstrip("\r\n")):
                skipped.add(number)
    # strict: a quote left open to the end of the file, or text after a closing quote, is an
    # error at its line rather than rows silently run together.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    end = 0
    try:
        for fields in reader:
            start, end = end + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line
            if start in skipped:
                continue  # a record is skipped by its first line (a quoted break may follow)
            yield start, end - start + 1, fields
    except csv.Error as error:
        start, end = end + 1, reader.line_num
        where, hint = f"line {start}", "check its quotes"
        if end > start:
            where, hint = f"lines {start}-{end}", "a quote not closed?"
        raise DataError(path, None, f"not a well-formed CSV: {where}: {error} ({hint})") from None


def _sample(text: str, skip_line: re.Pattern | None) -> tuple[list[str], bool]:
    """The first :data:`SAMPLE_LINES` lines that are neither blank nor skipped, and whether the
    text goes on past them."""
    sample = []
    for line in io.StringIO(text, newline=""):
        bare = line.rstrip("\r\n")
        if not bare.strip() or (skip_line is not None and skip_line.match(bare)):
            continue
        if len(sample) == SAMPLE_LINES:
            return sample, True
        sample.append(line)
    return sample, False


def detect_delimiter(lines: list[str], truncated: bool = False) -> str:
    """The one delimiter among :data:`CANDIDATE_DELIMITERS` that splits the header and every
    following line into the same number (more than one) of fields, quotes respected.

    Returns ``","`` for a one-column table (no candidate splits any line); raises ``ValueError``
    with the reason when no candidate fits or more than one does. ``truncated`` says the lines stop
    short of the file's end, so the last record may be cut in two and is not judged.

    Examples
    --------
    >>> detect_delimiter(["a;b\\n", '1;"2;5"\\n'])
    ';'
    >>> detect_delimiter(["name\\n", "x\\n"])
    ','
    >>> detect_delimiter(["a,b;c\\n", "1,2;3\\n"])
    Traceback (most recent call last):
    ...
    ValueError: ',' and ';' each split every line alike (into 2 and 2 fields)
    """
    widths = {}
    for candidate in CANDIDATE_DELIMITERS:
        records = [r for r in csv.reader(lines, delimiter=candidate) if r]
        if truncated and len(records) > 2:
            records = records[:-1]
        widths[candidate] = [len(r) for r in records]
    if all(n == 1 for counts in widths.values() for n in counts):
        return ","  # one column (a candidate may sit inside quotes): any delimiter reads it
    if all(len(counts) < 2 for counts in widths.values()):
        # A header alone: the caller says there are no rows, naming the columns of the one
        # delimiter that splits it.
        return next((c for c, counts in widths.items() if counts and counts[0] > 1), ",")
    fits = [c for c, counts in widths.items() if counts[0] > 1 and len(set(counts)) == 1]
    if len(fits) == 1:
        return fits[0]
    if fits:
        named = " and ".join(map(delimiter_name, fits))
        into = " and ".join(str(widths[c][0]) for c in fits)
        raise ValueError(f"{named} each split every line alike (into {into} fields)")
    splitting = [c for c, counts in widths.items() if counts[0] > 1]
    if not splitting:
        c = next(c for c, counts in widths.items() if max(counts) > 1)
        row = next(i for i, n in enumerate(widths[c]) if n > 1)
        raise ValueError(f"none splits the header, but {delimiter_name(c)} splits row {row}")
    best = splitting[0]
    row = next(i for i, n in enumerate(widths[best]) if n != widths[best][0])
    raise ValueError(
        f"{delimiter_name(best)} splits the header into {widths[best][0]} fields "
        f"but row {row} into {widths[best][row]}"
    )


def _text_records(
    path: Path, text: str, delimiter: str | None, skip_line: re.Pattern | None
) -> tuple[list[str], list[list[str]]]:
    if not text.strip():
        raise DataError(path, None, "empty file")
    tried = " ".join(map(delimiter_name, CANDIDATE_DELIMITERS))
    advice = f"tried {tried}; give one with `delimiter:` in the mapping"
    sample, truncated = _sample(text, skip_line)
    if not sample:
        first = text.lstrip().splitlines()[0]
        raise DataError(path, None, f"no table: every line is a notice (first: {first[:60]!r})")
    if delimiter is None:
        try:
            delimiter = detect_delimiter(sample, truncated)
        except ValueError as reason:
            raise DataError(
                path, None, f"could not tell the delimiter ({reason}): {advice}"
            ) from None
    return _checked_rows(path, _records(path, text, delimiter, skip_line), delimiter)


def _checked_rows(path: Path, records, delimiter: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows, every row as wide as the header (else the first bad line)."""
    first = next(records, None)
    if first is None:  # every line skipped once quoted line breaks are read as such
        raise DataError(path, None, "no table: every line is a notice or blank")
    header = first[2]
    rows, bad, first_bad = [], 0, None
    for line, span, fields in records:
        if len(fields) == len(header):
            rows.append(fields)
            continue
        bad += 1
        if first_bad is None:
            first_bad = (line, span, len(fields))
    if len(header) == 1 and not rows and not bad:
        pass  # a header alone: said below, whatever the delimiter
    elif len(header) == 1:
        splitting = [
            c for c in CANDIDATE_DELIMITERS if c != delimiter and len(_split(header[0], c)) > 1
        ]
        if splitting:
            raise DataError(
                path,
                None,
                f"only one column with delimiter {delimiter_name(delimiter)} (wrong delimiter? "
                f"header: {header[0][:60]!r}; {delimiter_name(splitting[0])} splits it into "
                f"{len(_split(header[0], splitting[0]))})",
            )
    if first_bad is not None:
        line, span, width = first_bad
        where = f"line {line}" if span == 1 else f"lines {line}-{line + span - 1} (a quoted break)"
        if not rows:
            raise DataError(
                path,
                None,
                f"no row could be read: every row has another number of fields than the "
                f"header's {len(header)} (first at {where}: {width} fields)",
            )
        others = f", and {bad - 1} more row{'s' if bad > 2 else ''} like it" if bad > 1 else ""
        raise DataError(
            path,
            None,
            f"not a well-formed CSV: {where} has {width} fields, the header {len(header)}{others}",
        )
    if not rows:
        raise _no_rows(path, header)
    return header, rows


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _no_rows(path: Path, header: list[str], where: str = "") -> DataError:
    names = ", ".join(str(h).strip() for h in header[:8]) + (", …" if len(header) > 8 else "")
    return DataError(path, None, f"a header but no rows{where} (columns: {names})")


def _sheet_records(
    path: Path, raw: bytes, sheet: str | int | None, skip_line: re.Pattern | None
) -> tuple[list[str], list[list]]:
    """The header and rows of a spreadsheet's sheet, cells as text."""
    if raw[: len(_ZIP_MAGIC)] != _ZIP_MAGIC:
        raise DataError(
            path, None, "not an .xlsx spreadsheet (no zip signature): is it truncated or renamed?"
        )
    try:
        names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    except zipfile.BadZipFile as error:
        raise DataError(path, None, f"damaged spreadsheet ({error}); is it truncated?") from None
    if "xl/workbook.xml" not in names:
        kind = "an OpenDocument spreadsheet" if "mimetype" in names else "a zip archive"
        raise DataError(path, None, f"{kind}, not an .xlsx spreadsheet: save it as .xlsx or CSV")
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except Exception as error:  # openpyxl raises its own, KeyError and XML errors on damage
        raise DataError(
            path, None, f"not a readable .xlsx spreadsheet ({type(error).__name__}: {error})"
        ) from None
    sheets = book.sheet_names
    listed = ", ".join(map(repr, sheets))
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int) and not 0 <= sheet < len(sheets):
        raise DataError(
            path,
            None,
            f"no sheet number {sheet}: the workbook has {len(sheets)} ({listed}); the first is 0",
        )
    if isinstance(sheet, str) and sheet not in sheets:
        raise DataError(path, None, f"no sheet {sheet!r} (sheets: {listed})")
    name = sheets[sheet] if isinstance(sheet, int) else sheet
    # header=None: the header is found as in text, after the skipped rows; dtype=str gives the
    # cells as pandas prints them (whole numbers without ".0", dates "2010-03-01 00:00:00"), and
    # no default NA words, so "n/a" or "NA" stay text as they do in a CSV.
    cells = book.parse(name, header=None, dtype=str, keep_default_na=False, na_values=[""])
    cells = cells.dropna(how="all")
    kept = []
    for values in cells.itertuples(index=False):
        present = [v for v in values if isinstance(v, str)]
        if (
            skip_line is not None
            and len(present) == 1
            and isinstance(values[0], str)
            and skip_line.match(values[0])
        ):
            continue  # a one-cell notice row, as a CSV's notice line saved as a spreadsheet
        kept.append([_cell_text(v) for v in values])
    if not kept:
        raise DataError(path, None, f"sheet {name!r} is empty: no header and no rows")
    header, rows = kept[0], kept[1:]
    # Columns nobody named and nobody filled are formatting, not data.
    used = [i for i, h in enumerate(header) if h or any(row[i] for row in rows)]
    header, rows = [header[i] for i in used], [[row[i] for i in used] for row in rows]
    if not rows:
        raise _no_rows(path, header, f" in sheet {name!r}")
    return header, rows


def _cell_text(value) -> str:
    if not isinstance(value, str):
        return ""  # an empty cell (NaN): empty as in a CSV, made missing with the rest
    midnight = _MIDNIGHT.match(value)
    return midnight.group(1) if midnight else value


def _column_names(header: list[str]) -> list[str]:
    """Stripped names; an empty one ``Unnamed: i`` and a repeat ``name.1``, as pandas does."""
    names, seen = [], set()
    for i, name in enumerate(header):
        name = str(name).strip() or f"Unnamed: {i}"
        base, n = name, 0
        while name in seen:
            n += 1
            name = f"{base}.{n}"
        seen.add(name)
        names.append(name)
    return names


def _grouped_number(thousands: str) -> re.Pattern:
    """Numbers written with ``thousands`` between groups of three digits (decimal mark ".")."""
    t = re.escape(thousands)
    return re.compile(rf"^\s*[+-]?\d{{1,3}}(?:{t}\d{{3}})+(?:\.\d+)?\s*$")


def _as_frame(header: list[str], rows: list[list[str]], thousands: str | None) -> pd.DataFrame:
    # Every row is as wide as the header (checked), so the rows make one 2-d array of text.
    cells = np.array(rows, dtype=object).reshape(len(rows), len(header))
    cells[cells == ""] = np.nan
    frame = pd.DataFrame(cells, columns=_column_names(header))
    if thousands:
        grouped = _grouped_number(thousands)
        for name in frame.columns:
            column = frame[name]
            number = column.str.match(grouped, na=False)
            if number.any():
                plain = column[number].str.replace(thousands, "", regex=False).str.strip()
                frame[name] = column.where(~number, plain)
    return frame
