"""Bad input through the command line, table-driven: each case exits non-zero with one line that
names the file, the column and an example of the bad value (where the problem has them), and
leaves data/processed and reports/latest exactly as they were."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from conftest import FIXTURES, ROOT, make_root
from overdue.data.lendingclub import read_loans_csv, write_lendingclub_csv

EXPORT = FIXTURES / "lendingclub_export.csv"


def tree_digest(folder: Path) -> dict[str, str]:
    """Checksums of every file under a folder (following the latest link)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Workspace:
    root: Path  # a project root with the notebooks (for `overdue run`)
    raw: Path  # our own copy of the raw inputs (cases may damage it)
    processed: Path  # a good build
    tmp: Path

    def build(self, *extra: str) -> list[str]:
        return ["build", "--raw", str(self.raw), "--out", str(self.processed), *extra]

    def csv_with(
        self, change: Callable[[pd.DataFrame], pd.DataFrame], name: str = "loans.csv"
    ) -> Path:
        path = self.tmp / name
        write_lendingclub_csv(change(read_loans_csv(EXPORT)), path)
        return path


@pytest.fixture
def workspace(raw_dir, processed_dir, tmp_path) -> Workspace:
    root = make_root(tmp_path, sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    raw = tmp_path / "raw"
    shutil.copytree(raw_dir, raw)
    processed = root / "data" / "processed"
    shutil.copytree(processed_dir, processed)
    good_run = root / "reports" / "run-good"
    good_run.mkdir(parents=True)
    (good_run / "index.html").write_text("<p>last good report</p>")
    (root / "reports" / "latest").symlink_to("run-good")
    return Workspace(root, raw, processed, tmp_path)


def _set(column, row, value):
    return lambda f: f.assign(**{column: f[column].astype(object).where(f.index != row, value)})


def case_missing_file(w):
    return w.build("--loans", str(w.tmp / "nowhere.csv")), ["nowhere.csv", "file not found"]


def case_empty_file(w):
    (w.tmp / "empty.csv").write_text("")
    return w.build("--loans", str(w.tmp / "empty.csv")), ["empty.csv", "empty file"]


def case_truncated_gzip(w):
    packed = gzip.compress(EXPORT.read_bytes())
    (w.tmp / "loans.csv.gz").write_bytes(packed[: len(packed) // 2])
    return w.build("--loans", str(w.tmp / "loans.csv.gz")), [
        "loans.csv.gz",
        "damaged gzip",
        "truncated",
    ]


def case_truncated_rda(w):
    path = w.raw / "lendingclub" / "LendingClubData_2010.rda"
    path.write_bytes(path.read_bytes()[:100_000])
    return w.build(), ["LendingClubData_2010.rda", "truncated"]


def case_wrong_delimiter(w):
    # The delimiter is detected when the mapping gives none; one given wrong must say so.
    frame = pd.read_csv(EXPORT, skiprows=1, dtype=str).head(20)
    frame.to_csv(w.tmp / "semicolons.csv", sep=";", index=False)
    mapping = w.tmp / "comma.yaml"
    mapping.write_text('delimiter: ","\n')
    return w.build("--loans", str(w.tmp / "semicolons.csv"), "--mapping", str(mapping)), [
        "semicolons.csv",
        "wrong delimiter",
        "id;loan_amnt",
    ]


def case_header_only(w):
    (w.tmp / "header.csv").write_text(EXPORT.read_text().splitlines()[1] + "\n")
    return w.build("--loans", str(w.tmp / "header.csv")), [
        "header.csv",
        "a header but no rows",
        "id, loan_amnt",
    ]


def case_every_row_unreadable(w):
    # Every loan carries one field more than the header (a stray trailing comma).
    lines = EXPORT.read_text().splitlines()[1:8]
    (w.tmp / "shifted.csv").write_text("\n".join([lines[0]] + [f"{line}," for line in lines[1:]]))
    mapping = w.tmp / "comma.yaml"
    mapping.write_text('delimiter: ","\n')
    return w.build("--loans", str(w.tmp / "shifted.csv"), "--mapping", str(mapping)), [
        "shifted.csv",
        "no row could be read",
        "first at line 2",
    ]


def case_empty_spreadsheet(w):
    pd.DataFrame().to_excel(w.tmp / "loans.xlsx", index=False)
    return w.build("--loans", str(w.tmp / "loans.xlsx")), [
        "loans.xlsx",
        "is empty: no header and no rows",
    ]


def case_spreadsheet_header_only(w):
    pd.DataFrame(columns=["id", "loan_status", "fico"]).to_excel(w.tmp / "head.xlsx", index=False)
    return w.build("--loans", str(w.tmp / "head.xlsx")), ["head.xlsx", "a header but no rows"]


def case_non_utf8(w):
    text = EXPORT.read_bytes().replace(b"debt_consolidation", b"debt_consolidation\xff", 1)
    (w.tmp / "latin.csv").write_bytes(text)
    return w.build("--loans", str(w.tmp / "latin.csv")), [
        "latin.csv",
        "not UTF-8",
        "0xff",
        "line 3",
    ]


def case_missing_required_column(w):
    pd.read_csv(EXPORT, skiprows=1, dtype=str).drop(columns="loan_status").to_csv(
        w.tmp / "nostatus.csv", index=False
    )
    return w.build("--loans", str(w.tmp / "nostatus.csv")), [
        "nostatus.csv",
        "column 'loan_status'",
        "required column missing",
    ]


def case_duplicated_ids(w):
    path = w.csv_with(lambda f: f.assign(id=f["id"].where(f.index != 1, f["id"].iloc[0])))
    first_id = read_loans_csv(EXPORT)["id"].iloc[0]
    return w.build("--loans", str(path)), ["loans.csv", "column 'id'", "duplicated", first_id]


def case_text_in_numeric_column(w):
    path = w.csv_with(_set("loan_amnt", 4, "lots"))
    return w.build("--loans", str(path)), [
        "loans.csv",
        "column 'loan_amnt'",
        "not a number",
        "'lots'",
    ]


def case_fico_out_of_range(w):
    return w.build("--loans", str(w.csv_with(_set("fico_range_high", 5, 9999)))), [
        "loans.csv",
        "column 'fico_range_high'",
        "out of range [300, 850]",
        "9999",
    ]


def case_rate_out_of_range(w):
    return w.build("--loans", str(w.csv_with(_set("int_rate", 2, 1.5)))), [
        "loans.csv",
        "column 'int_rate'",
        "out of range [0, 1]",
        "1.5",
    ]


def case_dti_out_of_range(w):
    return w.build("--loans", str(w.csv_with(_set("dti", 3, 250.0)))), [
        "loans.csv",
        "column 'dti'",
        "out of range [0, 100]",
        "250",
    ]


def case_last_payment_before_issue(w):
    path = w.csv_with(_set("last_pymnt_d", 0, pd.Timestamp("2001-01-01")))
    return w.build("--loans", str(path)), [
        "loans.csv",
        "column 'last_pymnt_d'",
        "before issue",
        "last paid 2001-01",
    ]


def case_negative_recovery(w):
    return w.build("--loans", str(w.csv_with(_set("recoveries", 4, -12.5)))), [
        "loans.csv",
        "column 'recoveries'",
        "-12.5",
    ]


def case_unknown_settlement_status(w):
    return w.build("--loans", str(w.csv_with(_set("settlement_status", 2, "PENDING")))), [
        "loans.csv",
        "column 'settlement_status'",
        "'PENDING'",
    ]


def case_unknown_state(w):
    return w.build("--loans", str(w.csv_with(_set("addr_state", 6, "ZZ")))), [
        "loans.csv",
        "column 'addr_state'",
        "'ZZ'",
    ]


def case_macro_series_gap(w):
    path = w.raw / "fred" / "state" / "CAUR.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("2009-06-01")))
    return w.build(), ["fred/state/CAUR.csv", "column 'state_unemp'", "CA 2009-06"]


def case_mapping_names_absent_column(w):
    mapping = w.tmp / "mapping.yaml"
    mapping.write_text("columns:\n  id: loan_number\n")
    return w.build("--loans", str(EXPORT), "--mapping", str(mapping)), [
        "lendingclub_export.csv",
        "column 'loan_number'",
        "mapping",
        "does not have",
    ]


COURSE = ROOT / "examples" / "course_loans.csv"


def _course_mapping(w, change: Callable[[str], str]) -> Path:
    mapping = w.tmp / "course.yaml"
    mapping.write_text(change((ROOT / "examples" / "course_loans.yaml").read_text()))
    return mapping


def case_expression_names_absent_column(w):
    mapping = _course_mapping(w, lambda t: t.replace("`log.annual.inc`", "`log.income`"))
    return w.build("--loans", str(COURSE), "--mapping", str(mapping)), [
        "course.yaml: derive: annual_inc",
        "names 'log.income', not a column of the file",
        "log.annual.inc",
    ]


def case_expression_syntax_error(w):
    mapping = _course_mapping(
        w, lambda t: t.replace("`credit.policy` == 1", "`credit.policy` == ")
    )
    return w.build("--loans", str(COURSE), "--mapping", str(mapping)), [
        "course.yaml: derive: meets_policy",
        "is not a valid expression",
    ]


def case_values_for_an_unmapped_column(w):
    mapping = _course_mapping(w, lambda t: t.replace("  purpose: purpose\n", ""))
    return w.build("--loans", str(COURSE), "--mapping", str(mapping)), [
        "course.yaml: values: purpose",
        "the mapping gives no column for purpose",
    ]


def case_mapping_not_yaml(w):
    mapping = w.tmp / "mapping.yaml"
    mapping.write_text("columns: {id: [unclosed\n")
    return w.build("--loans", str(EXPORT), "--mapping", str(mapping)), [
        "mapping.yaml",
        "not valid YAML",
    ]


def case_unknown_parameter(w):
    return ["run", "-p", "sample_fraction=0.1"], [
        "sample_fraction",
        "not declared by any notebook",
        "sample_frac",
    ]


def case_config_not_yaml(w):
    (w.tmp / "broken.yaml").write_text("parameters:\n  sample_frac: [0.1\n")
    return ["run", "--config", str(w.tmp / "broken.yaml")], ["broken.yaml", "not valid YAML"]


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_bad_input_fails_clearly_and_changes_nothing(workspace, case):
    before = tree_digest(workspace.processed), tree_digest(workspace.root / "reports")
    argv, expected = case(workspace)
    result = subprocess.run(
        [sys.executable, "-m", "overdue.cli", *argv],
        cwd=workspace.root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(f"overdue {argv[0]}: error:")
    for part in expected:
        assert part in message, f"{part!r} not in: {message}"
    assert (tree_digest(workspace.processed), tree_digest(workspace.root / "reports")) == before
    assert (workspace.root / "reports" / "latest").resolve().name == "run-good"
