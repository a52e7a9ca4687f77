"""The delinquency panel: the Taiwan card file and a lender's long-format performance file become
the canonical account-month panel; the real data's counts are those of SOURCES.md; bad input
exits 2 with one line naming the file, the column and examples, and writes nothing."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from overdue.cli import main
from overdue.data.delinquency import BUCKETS, PANEL_COLUMNS, as_panel, validate_panel
from overdue.data.mapping import read_performance_mapping
from overdue.data.performance import read_performance_csv
from overdue.data.taiwan import MONTH_COLUMNS, read_taiwan
from overdue.errors import ConfigError, DataError

EXAMPLE_CSV = ROOT / "examples" / "my_performance.csv"
EXAMPLE_MAPPING = ROOT / "examples" / "my_performance.yaml"

#: SOURCES.md, taiwan/: status counts in September (PAY_0) and April (PAY_6).
SEPTEMBER_STATUS = {-2: 2759, -1: 5686, 0: 14737, 1: 3688, 2: 2667, 3: 322}
SEPTEMBER_STATUS |= {4: 76, 5: 26, 6: 11, 7: 9, 8: 19}
APRIL_STATUS = {-2: 4895, -1: 5740, 0: 16286, 2: 2766, 3: 184, 4: 49, 5: 13, 6: 19, 7: 46, 8: 2}
EDUCATION = {1: 10585, 2: 14030, 3: 4917, 4: 123, 5: 280, 6: 51, 0: 14}
MARRIAGE = {1: 13659, 2: 15964, 3: 323, 0: 54}


@pytest.fixture(scope="module")
def taiwan(raw_dir):
    return read_taiwan(raw_dir / "taiwan" / "UCI_Credit_Card.csv")


def test_taiwan_builds_to_the_counts_of_sources_md(taiwan):
    panel, accounts = taiwan
    assert panel["account_id"].nunique() == 30_000 == len(accounts)
    assert len(panel) == 180_000
    assert int(accounts["default_next_month"].sum()) == 6_636
    months = panel["month"].dt.strftime("%Y-%m")
    assert sorted(months.unique()) == list(MONTH_COLUMNS)
    september = panel.loc[months == "2005-09", "status_code"].value_counts().to_dict()
    assert september == SEPTEMBER_STATUS
    april = panel.loc[months == "2005-04", "status_code"].value_counts().to_dict()
    assert april == APRIL_STATUS
    assert accounts["education"].value_counts().to_dict() == EDUCATION
    assert accounts["marriage"].value_counts().to_dict() == MARRIAGE
    # The quirk: status 1 almost never before September (0, 0, 2, 4, 28 from April to August).
    ones = panel[panel["status_code"] == 1].groupby(months)["account_id"].size()
    assert ones.reindex(list(MONTH_COLUMNS), fill_value=0).tolist() == [0, 0, 2, 4, 28, 3688]


def test_taiwan_codes_read_as_sources_md_says(taiwan):
    panel, _ = taiwan
    assert list(panel.columns) == list(PANEL_COLUMNS)
    assert dict(panel.dtypes.astype(str)) == PANEL_COLUMNS | {
        "account_id": "string",
        "bucket": "string",
    }
    not_past_due = panel["status_code"].isin([-2, -1, 0])
    assert (panel.loc[not_past_due, "mpd"] == 0).all()
    assert (panel.loc[~not_past_due, "mpd"] == panel.loc[~not_past_due, "status_code"]).all()
    september = panel[panel["month"] == "2005-09-01"]["bucket"].value_counts()
    assert september.to_dict() == {
        "current": 2759 + 5686 + 14737,
        "1": 3688,
        "2": 2667,
        "3+": 322 + 76 + 26 + 11 + 9 + 19,
    }
    assert set(panel["bucket"]) <= set(BUCKETS)
    first = panel[panel["account_id"] == "1"].sort_values("month")
    # ID 1: PAY_6 … PAY_0 = -2 -2 -1 -1 2 2; BILL_AMT6 … 1 = 0 0 0 689 3102 3913.
    assert first["status_code"].tolist() == [-2, -2, -1, -1, 2, 2]
    assert first["balance"].tolist() == [0, 0, 0, 689, 3102, 3913]
    assert first["payment"].tolist() == [0, 0, 0, 0, 689, 0]
    assert (first["credit_line"] == 20000).all()


def test_performance_file_reads_through_its_mapping():
    panel, accounts = read_performance_csv(EXAMPLE_CSV, read_performance_mapping(EXAMPLE_MAPPING))
    assert len(panel) == 21 and len(accounts) == 4
    a1 = panel[panel["account_id"] == "A-001"]
    # 0, 0, 12, 41, 72, 103 days past due -> 0, 0, 1, 2, 3, 4 months; then charged off.
    assert a1["mpd"].tolist()[:6] == [0, 0, 1, 2, 3, 4]
    assert a1["bucket"].tolist() == [
        "current",
        "current",
        "1",
        "2",
        "3+",
        "3+",
        "default",
        "default",
    ]
    assert panel.loc[panel["account_id"] == "A-002", "bucket"].iloc[-1] == "closed"
    assert accounts.set_index("account_id")["credit_line"].to_dict()["A-004"] == 2500


def _write(tmp_path, frame: pd.DataFrame, mapping: str, name="perf") -> tuple[Path, Path]:
    csv, yaml = tmp_path / f"{name}.csv", tmp_path / f"{name}.yaml"
    frame.to_csv(csv, index=False)
    yaml.write_text(mapping)
    return csv, yaml


def test_months_past_due_and_status_words_alone(tmp_path):
    frame = pd.DataFrame(
        {
            "loan": ["x", "x", "x", "y", "y"],
            "ym": ["2020-01", "2020-02", "2020-03", "2020-01", "2020-02"],
            "state": ["OK", "LATE30", "WO", "OK", "PAID_OFF"],
            "mpd": [0, 1, 1, 0, 0],
        }
    )
    words = (
        "columns: {account_id: loan, month: ym, status: state}\n"
        "date_format: '%Y-%m'\n"
        "statuses: {current: [OK], 1: [LATE30], default: [WO], closed: [PAID_OFF]}\n"
    )
    panel, _ = read_performance_csv(*_read(tmp_path, frame, words, "words"))
    assert panel["bucket"].tolist() == ["current", "1", "default", "current", "closed"]
    numbers = "columns: {account_id: loan, month: ym, months_past_due: mpd}\n"
    panel, _ = read_performance_csv(*_read(tmp_path, frame, numbers, "numbers"))
    assert panel["mpd"].tolist() == [0, 1, 1, 0, 0]


def _read(tmp_path, frame, mapping, name):
    csv, yaml = _write(tmp_path, frame, mapping, name)
    return csv, read_performance_mapping(yaml)


@pytest.mark.parametrize(
    "mapping, expected",
    [
        ("columns: {month: m, days_past_due: d}", "account_id is required"),
        ("columns: {account_id: a, month: m}", "name one of days_past_due"),
        ("columns: {account_id: a, month: m, dpd: d}", "not performance-file columns"),
        ("columns: {account_id: a, month: m, status: s}", "needs its words listed"),
        (
            "columns: {account_id: a, month: m, status: s}\nstatuses: {late: [L]}",
            "not meanings",
        ),
    ],
)
def test_bad_performance_mappings_are_named(tmp_path, mapping, expected):
    (tmp_path / "m.yaml").write_text(mapping)
    with pytest.raises(ConfigError, match=expected):
        read_performance_mapping(tmp_path / "m.yaml")


def test_validate_panel_names_each_problem():
    good = as_panel(
        pd.DataFrame(
            {
                "account_id": ["1", "1", "2"],
                "month": pd.to_datetime(["2005-04-01", "2005-05-01", "2005-04-01"]),
                "mpd": [0, 1, 0],
                "bucket": ["current", "1", "current"],
            }
        )
    )
    assert len(validate_panel(good, "p")) == 3
    wrong_bucket = good.assign(bucket=pd.array(["current", "2", "current"], dtype="string"))
    with pytest.raises(DataError, match="bucket is not the one"):
        validate_panel(wrong_bucket, "p")
    left = good.assign(
        bucket=pd.array(["default", "1", "current"], dtype="string"),
        mpd=pd.array([None, 1, 0], dtype="Int64"),
    )
    with pytest.raises(DataError, match="leaves an absorbing state"):
        validate_panel(left, "p")
    no_mpd = good.assign(mpd=pd.array([0, None, 0], dtype="Int64"))
    with pytest.raises(DataError, match="months past due missing"):
        validate_panel(no_mpd, "p")


# ---------------------------------------------------------------------------- bad input, CLI


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def small_raw(raw_dir, tmp_path):
    """A raw folder whose Taiwan file holds the first 300 accounts (cases damage it)."""
    raw = tmp_path / "raw" / "taiwan"
    raw.mkdir(parents=True)
    lines = (raw_dir / "taiwan" / "UCI_Credit_Card.csv").read_text().splitlines(keepends=True)
    (raw / "UCI_Credit_Card.csv").write_text("".join(lines[:301]))
    return tmp_path / "raw"


def _wide(raw: Path, change) -> None:
    path = raw / "taiwan" / "UCI_Credit_Card.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def _set(column, row, value):
    def change(frame):
        frame.loc[row, column] = value
        return frame

    return change


PERFORMANCE = pd.read_csv(EXAMPLE_CSV, dtype=str, keep_default_na=False)


def _long(tmp, change):
    path = tmp / "perf.csv"
    change(PERFORMANCE.copy()).to_csv(path, index=False)
    return ["--performance", str(path), "--mapping", str(EXAMPLE_MAPPING)]


def case_wide_unknown_status_code(raw, tmp):
    _wide(raw, _set("PAY_3", 4, "11"))
    return [], ["UCI_Credit_Card.csv", "column 'PAY_3'", "unknown status code", "ID 5: 11"]


def case_wide_words_in_numeric_column(raw, tmp):
    _wide(raw, _set("BILL_AMT3", 7, "n/a yet"))
    return [], ["UCI_Credit_Card.csv", "column 'BILL_AMT3'", "not a number", "'n/a yet'"]


def case_wide_missing_month_column(raw, tmp):
    _wide(raw, lambda f: f.drop(columns="PAY_4"))
    return [], ["UCI_Credit_Card.csv", "column 'PAY_4'", "required column missing", "2005-06"]


def case_wide_duplicated_account(raw, tmp):
    _wide(raw, _set("ID", 9, "3"))
    return [], ["UCI_Credit_Card.csv", "column 'ID'", "duplicated account", "e.g. 3"]


def case_long_duplicated_account_month(raw, tmp):
    argv = _long(tmp, lambda f: pd.concat([f, f.iloc[[3]]]))
    return argv, [
        "perf.csv",
        "column 'period'",
        "duplicated account-month",
        "account A-001 2023-04",
    ]


def case_long_gap_in_months(raw, tmp):
    argv = _long(tmp, lambda f: f.drop(index=16))
    return argv, ["perf.csv", "column 'period'", "gap", "account A-003 2023-03 -> 2023-05"]


def case_long_negative_days_past_due(raw, tmp):
    argv = _long(tmp, _set("dpd", 2, "-12"))
    return argv, ["perf.csv", "column 'dpd'", "negative days past due", "-12"]


def case_long_words_in_numeric_column(raw, tmp):
    argv = _long(tmp, _set("outstanding", 5, "about 1700"))
    return argv, ["perf.csv", "column 'outstanding'", "not a number", "'about 1700'"]


def case_long_unknown_status_word(raw, tmp):
    argv = _long(tmp, _set("state", 6, "WRITTEN_OFF"))
    return argv, ["perf.csv", "column 'state'", "not listed under statuses", "'WRITTEN_OFF'"]


def case_long_leaves_default(raw, tmp):
    argv = _long(tmp, lambda f: _set("state", 7, "OPEN")(_set("dpd", 7, "0")(f)))
    return argv, ["perf.csv", "column 'state'", "leaves an absorbing state", "account A-001"]


def case_long_bad_month(raw, tmp):
    argv = _long(tmp, _set("period", 0, "Jan 23"))
    return argv, ["perf.csv", "column 'period'", "not a date", "'Jan 23'"]


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__[5:])
def test_bad_delinquency_input_exits_2_and_writes_nothing(case, small_raw, tmp_path, capsys):
    out = tmp_path / "processed"
    assert main(["build", "--source", "taiwan", "--raw", str(small_raw), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.parquet")) == [
        "accounts.parquet",
        "delinquency.parquet",
    ]
    before = _digest(out)
    capsys.readouterr()
    argv, expected = case(small_raw, tmp_path)
    status = main(
        ["build", "--source", "taiwan", "--raw", str(small_raw), "--out", str(out), *argv]
    )
    error = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(error) == 1 and error[0].startswith("overdue build: error:")
    for part in expected:
        assert part in error[0], f"{part!r} not in: {error[0]}"
    assert _digest(out) == before


def test_build_taiwan_from_the_command_line(raw_dir, tmp_path):
    """As a scheduler runs it: a subprocess, exit 0, the two tables in the chosen folder."""
    out = tmp_path / "taiwan"
    result = subprocess.run(
        [sys.executable, "-m", "overdue.cli", "build", "--source", "taiwan"]
        + ["--raw", str(raw_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "180,000 account-months of 30,000 accounts" in result.stdout
    panel = pd.read_parquet(out / "delinquency.parquet")
    assert len(panel) == 180_000 and list(panel.columns) == list(PANEL_COLUMNS)
    shutil.rmtree(out)
