"""Files as users bring them, through the one reader (:func:`overdue.data.textfile.read_table`):
line endings, byte-order marks, gzip, the delimiter detected, thousands separators, ``.xlsx``
sheets, and a clear one-line error for each way a file can fail to be a table."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import FIXTURES, ROOT
from overdue.data.lendingclub import _NON_LOAN_LINE, read_loans_csv
from overdue.data.loans import load_loans
from overdue.data.mapping import read_performance_mapping
from overdue.data.performance import read_performance_csv
from overdue.data.textfile import detect_delimiter, read_table
from overdue.errors import DataError

EXPORT = FIXTURES / "lendingclub_export.csv"
MY_LOANS = ROOT / "examples" / "my_loans.csv"
MY_MAPPING = ROOT / "examples" / "my_loans.yaml"
TABLE = 'id,amount,purpose\n1,100.5,car\n2,,"home, garden"\n3,7,\n'
EXPECTED = pd.DataFrame(
    {
        "id": ["1", "2", "3"],
        "amount": ["100.5", np.nan, "7"],
        "purpose": ["car", "home, garden", np.nan],
    },
    dtype=object,
)


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _as_before(path: Path, delimiter: str = ",") -> pd.DataFrame:
    """How the loan reader read a text file before the one reader: LendingClub's non-loan lines
    dropped, then pandas' parser (an independent reading to compare with)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    at = next(
        i
        for i, line in enumerate(lines[:5])
        if not _NON_LOAN_LINE.match(line) and delimiter in line
    )
    body = [lines[at]] + [line for line in lines[at + 1 :] if not _NON_LOAN_LINE.match(line)]
    frame = pd.read_csv(
        io.StringIO("\n".join(body)),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
    )
    frame.columns = [c.strip() for c in frame.columns]
    return frame


# ---------------------------------------------------------------------------------------------
# line endings, byte-order marks, gzip, encodings


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_reads_the_same_frame(tmp_path, ending):
    path = _write(tmp_path, "t.csv", TABLE.replace("\n", ending))
    pd.testing.assert_frame_equal(read_table(path), EXPECTED)


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_the_export_with_other_line_endings_reads_as_before(tmp_path, ending):
    # Old Macs end lines with a lone CR: to a reader splitting at \n the file is one line.
    text = EXPORT.read_text().replace("\n", ending)
    assert text.count("\n") == (0 if ending == "\r" else text.count("\r"))
    path = _write(tmp_path, "export.csv", text)
    pd.testing.assert_frame_equal(read_loans_csv(path), read_loans_csv(EXPORT))


def test_a_quoted_line_break_stays_in_its_cell(tmp_path):
    # The blank line inside the quotes is part of the cell, not a blank line to drop.
    path = _write(tmp_path, "t.csv", 'id,note\r\n1,"first\r\n\r\nsecond"\r\n2,x\r\n')
    assert read_table(path, skip_line=_NON_LOAN_LINE)["note"].tolist() == [
        "first\r\n\r\nsecond",
        "x",
    ]


def test_a_byte_order_mark_is_dropped(tmp_path):
    path = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + TABLE.encode())
    frame = read_table(path)
    assert frame.columns[0] == "id"
    pd.testing.assert_frame_equal(frame, EXPECTED)


def test_utf16_with_its_mark_reads_as_excel_saves_unicode_text(tmp_path):
    path = _write(tmp_path, "unicode.txt", TABLE.replace(",", "\t").encode("utf-16"))
    assert read_table(path).columns.tolist() == ["id", "amount", "purpose"]


@pytest.mark.parametrize("name", ["t.csv.gz", "t.csv", "loans.dat"])
def test_gzip_is_read_by_its_magic_bytes_whatever_the_name(tmp_path, name):
    path = _write(tmp_path, name, gzip.compress(b"\xef\xbb\xbf" + TABLE.encode()))
    pd.testing.assert_frame_equal(read_table(path), EXPECTED)


def test_damaged_gzip_and_non_utf8_keep_their_messages(tmp_path):
    packed = gzip.compress(TABLE.encode() * 50)
    damaged = _write(tmp_path, "cut.gz", packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"cut\.gz: damaged gzip file .*is it truncated\?"):
        read_table(damaged)
    latin = _write(tmp_path, "latin.csv", TABLE.replace("garden", "jard\xefn").encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv: not UTF-8 text: byte 0xef at line 3"):
        read_table(latin)
    old_mac = _write(tmp_path, "mac.csv", TABLE.replace("\n", "\r").encode() + b"4,\xff,x\r")
    with pytest.raises(DataError, match="byte 0xff at line 5"):
        read_table(old_mac)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.csv: file not found"):
        read_table(tmp_path / "nowhere.csv")


# ---------------------------------------------------------------------------------------------
# delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semi", "tab", "pipe"])
def test_each_delimiter_is_detected(tmp_path, delimiter):
    # The quoted cell holds the other candidates, as text may: quotes are respected.
    text = f'id{delimiter}note{delimiter}n\n1{delimiter}"a,b;c|d\te"{delimiter}5\n2{delimiter}x{delimiter}6\n'
    frame = read_table(_write(tmp_path, "t.txt", text))
    assert frame.to_dict("list") == {
        "id": ["1", "2"],
        "note": ["a,b;c|d\te", "x"],
        "n": ["5", "6"],
    }
    # The same file with its delimiter given reads the same.
    pd.testing.assert_frame_equal(
        read_table(_write(tmp_path, "t.txt", text), delimiter=delimiter), frame
    )


def test_decimal_commas_do_not_fool_the_detection(tmp_path):
    path = _write(tmp_path, "t.csv", "id;rate\n1;7,5\n2;10,25\n")
    assert read_table(path).columns.tolist() == ["id", "rate"]


def test_two_consistent_delimiters_are_an_error_naming_what_was_tried(tmp_path):
    path = _write(tmp_path, "both.csv", "a,b;c\n1,2;3\n4,5;6\n")
    with pytest.raises(DataError) as caught:
        read_table(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: could not tell the delimiter")
    assert "tried ',' ';' tab '|'" in message and "`delimiter:` in the mapping" in message
    assert "',' and ';' each split every line alike" in message
    assert read_table(path, delimiter=";").columns.tolist() == ["a,b", "c"]


def test_no_consistent_delimiter_is_an_error_saying_why(tmp_path):
    path = _write(tmp_path, "ragged.csv", "a,b,c\n1,2\n3,4,5\n")
    with pytest.raises(
        DataError,
        match=r"ragged\.csv: could not tell the delimiter \(',' splits "
        r"the header into 3 fields but row 1 into 2\): tried ',' ';' tab '\|'",
    ):
        read_table(path)


def test_a_one_column_file_is_fine(tmp_path):
    path = _write(tmp_path, "ids.csv", 'id\n17\n"Smith, John"\n')
    assert read_table(path).to_dict("list") == {"id": ["17", "Smith, John"]}


def test_a_given_delimiter_that_splits_nothing_is_the_wrong_delimiter(tmp_path):
    path = _write(tmp_path, "semi.csv", "id;amount\n1;2\n")
    with pytest.raises(
        DataError,
        match=r"semi\.csv: only one column with delimiter ',' \(wrong delimiter\? header: "
        r"'id;amount'; ';' splits it into 2\)",
    ):
        read_table(path, delimiter=",")
    # A given delimiter no candidate contradicts reads a one-column file.
    assert read_table(_write(tmp_path, "one.csv", "id\n1\n"), delimiter=";").shape == (1, 1)


def test_detect_delimiter_judges_no_record_the_sample_cut_in_two():
    lines = ["a,b\n", "1,2\n", '3,"x\n']  # the sample stops inside a quoted cell
    assert detect_delimiter(lines, truncated=True) == ","


# ---------------------------------------------------------------------------------------------
# thousands separators


def test_thousands_separators_in_numbers_only(tmp_path):
    text = 'id,amount,note\n1,"1,000","a,b"\n2,"12,345.50","1,00"\n3,-7,"-1,234,567"\n'
    frame = read_table(_write(tmp_path, "t.csv", text), thousands=",")
    assert frame["amount"].tolist() == ["1000", "12345.50", "-7"]
    assert frame["note"].tolist() == ["a,b", "1,00", "-1234567"]
    # Without the key the text stays as written.
    assert read_table(_write(tmp_path, "t.csv", text))["amount"].tolist()[0] == "1,000"


def test_thousands_dot_with_the_decimal_mark_always_a_dot(tmp_path):
    text = "id;amount\n1;1.000\n2;2.500.000\n3;1.5\n4;1.000,5\n"
    frame = read_table(_write(tmp_path, "t.csv", text), thousands=".")
    assert frame["amount"].tolist() == ["1000", "2500000", "1.5", "1.000,5"]


def test_thousands_reach_the_canonical_loan_table(tmp_path):
    mapping = yaml.safe_load(MY_MAPPING.read_text())
    own = pd.read_csv(MY_LOANS, sep=";", dtype=str)
    own["yearly_income"] = pd.to_numeric(own["yearly_income"]).map(lambda v: f"{v:,.2f}")
    own.to_csv(tmp_path / "grouped.csv", sep=";", index=False)
    assert own["yearly_income"].str.contains(",").any()
    (tmp_path / "grouped.yaml").write_text(yaml.safe_dump({**mapping, "thousands": ","}))
    grouped = load_loans(loans_file=tmp_path / "grouped.csv", mapping=tmp_path / "grouped.yaml")
    plain = load_loans(loans_file=MY_LOANS, mapping=MY_MAPPING)
    pd.testing.assert_series_equal(grouped["annual_inc"], plain["annual_inc"])


# ---------------------------------------------------------------------------------------------
# spreadsheets


def _workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


@pytest.fixture
def workbook(tmp_path) -> Path:
    loans = pd.DataFrame(
        {
            "id": [494338, 769491],
            "term": [36, 60],
            "amount": [10000.0, 7150.5],
            "issued": pd.to_datetime(["2010-03-01", "2011-05-01"]),
            "emp_length": ["n/a", None],
        }
    )
    notes = pd.DataFrame({"note": ["made for the test"]})
    return _workbook(tmp_path / "book.xlsx", {"Loans": loans, "Notes": notes})


def test_a_spreadsheet_reads_its_first_sheet_as_text(workbook):
    frame = read_table(workbook)
    assert frame.to_dict("list") == {
        "id": ["494338", "769491"],  # whole numbers without ".0": ids and terms stay whole
        "term": ["36", "60"],
        "amount": ["10000", "7150.5"],
        "issued": ["2010-03-01", "2011-05-01"],  # a date cell as its date
        "emp_length": ["n/a", np.nan],  # words pandas would call missing stay text, as in CSV
    }
    assert all(dtype == np.dtype(object) for dtype in frame.dtypes)


@pytest.mark.parametrize("sheet", ["Notes", 1])
def test_a_sheet_by_name_or_number(workbook, sheet):
    assert read_table(workbook, sheet=sheet).to_dict("list") == {"note": ["made for the test"]}


@pytest.mark.parametrize(
    "sheet, expected",
    [
        ("Payments", r"book\.xlsx: no sheet 'Payments' \(sheets: 'Loans', 'Notes'\)"),
        (
            2,
            r"book\.xlsx: no sheet number 2: the workbook has 2 \('Loans', 'Notes'\); the first is 0",
        ),
    ],
)
def test_a_sheet_that_does_not_exist_lists_those_that_do(workbook, sheet, expected):
    with pytest.raises(DataError, match=expected):
        read_table(workbook, sheet=sheet)


def test_a_spreadsheet_is_known_by_its_zip_signature_whatever_the_name(workbook, tmp_path):
    renamed = tmp_path / "loans.csv"
    renamed.write_bytes(workbook.read_bytes())
    pd.testing.assert_frame_equal(read_table(renamed), read_table(workbook))


def test_damaged_and_unsupported_spreadsheets_are_named(workbook, tmp_path):
    cut = _write(tmp_path, "cut.xlsx", workbook.read_bytes()[:3000])
    with pytest.raises(DataError, match=r"cut\.xlsx: damaged spreadsheet .*truncated"):
        read_table(cut)
    text = _write(tmp_path, "text.xlsx", TABLE)
    with pytest.raises(DataError, match=r"text\.xlsx: not an \.xlsx spreadsheet"):
        read_table(text)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("loans.csv", TABLE)
    with pytest.raises(DataError, match=r"a zip archive, not an \.xlsx spreadsheet"):
        read_table(_write(tmp_path, "loans.zip", archive.getvalue()))
    with pytest.raises(DataError, match=r"old\.xls: an old Excel \.xls workbook"):
        read_table(_write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)))


def test_an_empty_or_header_only_sheet_is_one_line_naming_the_file(tmp_path):
    header_only = _workbook(tmp_path / "header.xlsx", {"Loans": pd.DataFrame(columns=["id", "x"])})
    with pytest.raises(DataError, match=r"header\.xlsx: a header but no rows in sheet 'Loans' "):
        read_table(header_only)
    empty = _workbook(tmp_path / "empty.xlsx", {"Sheet1": pd.DataFrame()})
    with pytest.raises(
        DataError, match=r"empty\.xlsx: sheet 'Sheet1' is empty: no header and no rows"
    ):
        read_table(empty)


@pytest.mark.parametrize("sheet", [None, "Book", 1], ids=["first", "by-name", "by-number"])
def test_an_xlsx_copy_of_my_loans_loads_the_same_canonical_table(tmp_path, sheet):
    csv_loans = load_loans(loans_file=MY_LOANS, mapping=MY_MAPPING)
    # As a user's spreadsheet holds it: numbers as numbers, the dates as the text they were.
    own = pd.read_csv(MY_LOANS, sep=";", dtype={"opened": str, "last_paid": str})
    sheets = {"Book": own} if sheet is None else {"About": pd.DataFrame({"x": [1]}), "Book": own}
    _workbook(tmp_path / "my_loans.xlsx", sheets)
    mapping = yaml.safe_load(MY_MAPPING.read_text())
    if sheet is not None:
        mapping["sheet"] = sheet
    (tmp_path / "mapping.yaml").write_text(yaml.safe_dump(mapping))
    xlsx_loans = load_loans(
        loans_file=tmp_path / "my_loans.xlsx", mapping=tmp_path / "mapping.yaml"
    )
    pd.testing.assert_frame_equal(xlsx_loans, csv_loans)


def test_the_export_saved_as_a_spreadsheet_skips_its_notice_rows(tmp_path):
    # Each line of the export as a row of text cells, the notice, separator and footer lines
    # as one-cell rows, as a spreadsheet program opening the CSV would lay them out.
    rows = list(csv.reader(io.StringIO(EXPORT.read_text())))
    width = max(map(len, rows))
    cells = pd.DataFrame([row + [None] * (width - len(row)) for row in rows])
    cells.to_excel(tmp_path / "export.xlsx", header=False, index=False)
    assert str(cells.iloc[0, 0]).startswith("Notes offered by Prospectus")
    pd.testing.assert_frame_equal(read_loans_csv(tmp_path / "export.xlsx"), read_loans_csv(EXPORT))


# ---------------------------------------------------------------------------------------------
# files that are not tables


@pytest.mark.parametrize("content", ["", "\n\n  \r\n", "\ufeff"], ids=["empty", "blank", "bom"])
def test_an_empty_file(tmp_path, content):
    with pytest.raises(DataError, match=r"e\.csv: empty file$"):
        read_table(_write(tmp_path, "e.csv", content))


def test_a_header_without_rows(tmp_path):
    with pytest.raises(DataError, match=r"h\.csv: a header but no rows \(columns: id, amount\)"):
        read_table(_write(tmp_path, "h.csv", "id;amount\r\n\r\n"))


def test_every_row_unreadable_is_one_line_with_the_first_bad_line(tmp_path):
    path = _write(tmp_path, "shifted.csv", "a,b,c\n\n1,2,3,4\n5,6,7,8\n")
    with pytest.raises(
        DataError,
        match=r"shifted\.csv: no row could be read: .* header's 3 \(first at line 3: 4 fields\)",
    ):
        read_table(path, delimiter=",")


def test_some_malformed_rows_name_the_first_bad_line(tmp_path):
    path = _write(tmp_path, "bad.csv", "a,b\n1,2\n3,4,5\n6,7\n8\n")
    with pytest.raises(
        DataError,
        match=r"bad\.csv: not a well-formed CSV: line 3 has 3 fields, the header 2, and 1 more",
    ):
        read_table(path, delimiter=",")
    unclosed = _write(tmp_path, "quote.csv", 'a,b\n1,2\n3,"4\n5,6\n')
    with pytest.raises(
        DataError, match=r"quote\.csv: not a well-formed CSV: lines 3-4: .*a quote not closed\?"
    ):
        read_table(unclosed, delimiter=",")
    after_quote = _write(tmp_path, "after.csv", 'a,b\n1,2\n3,"4"x\n')
    with pytest.raises(DataError, match=r"after\.csv: not a well-formed CSV: line 3: "):
        read_table(after_quote)


# ---------------------------------------------------------------------------------------------
# the files the project ships read as before


def test_the_lendingclub_export_reads_as_before():
    frame = read_table(EXPORT, skip_line=_NON_LOAN_LINE)
    pd.testing.assert_frame_equal(frame, _as_before(EXPORT))
    assert len(frame) == 36 and frame.columns[0] == "id"


def test_my_loans_reads_as_before_with_the_delimiter_given_or_detected(tmp_path):
    pd.testing.assert_frame_equal(read_table(MY_LOANS), _as_before(MY_LOANS, ";"))
    mapping = yaml.safe_load(MY_MAPPING.read_text())
    assert mapping.pop("delimiter") == ";"
    (tmp_path / "detect.yaml").write_text(yaml.safe_dump(mapping))
    pd.testing.assert_frame_equal(
        load_loans(loans_file=MY_LOANS, mapping=tmp_path / "detect.yaml"),
        load_loans(loans_file=MY_LOANS, mapping=MY_MAPPING),
    )


def test_a_performance_file_reads_with_its_delimiter_detected(tmp_path):
    csv_path = ROOT / "examples" / "my_performance.csv"
    mapping = yaml.safe_load((ROOT / "examples" / "my_performance.yaml").read_text())
    expected = read_performance_csv(
        csv_path, read_performance_mapping(ROOT / "examples" / "my_performance.yaml")
    )
    del mapping["delimiter"]
    (tmp_path / "perf.yaml").write_text(yaml.safe_dump(mapping))
    semicolons = tmp_path / "perf.csv"
    semicolons.write_text(re.sub(",", ";", csv_path.read_text()).replace("\n", "\r\n"))
    panel, accounts = read_performance_csv(
        semicolons, read_performance_mapping(tmp_path / "perf.yaml")
    )
    pd.testing.assert_frame_equal(panel, expected[0])
    pd.testing.assert_frame_equal(accounts, expected[1])
