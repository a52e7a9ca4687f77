"""Bad input through the command line: a non-zero exit, a message naming file and column, and
nothing written to data/processed."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from overdue.data.lendingclub import read_loans_csv, write_lendingclub_csv

from conftest import FIXTURES


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _overdue(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "overdue.cli", *args], capture_output=True, text=True)


@pytest.fixture
def workspace(raw_dir, tmp_path):
    """A raw folder of our own (so we may damage it) and a processed folder holding a good build."""
    raw = tmp_path / "raw"
    shutil.copytree(raw_dir, raw)
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "loans.parquet").write_bytes(b"last good build")
    return raw, processed


def _bad_csv(tmp_path, change) -> Path:
    frame = change(read_loans_csv(FIXTURES / "lendingclub_export.csv"))
    path = tmp_path / "loans.csv"
    write_lendingclub_csv(frame, path)
    return path


def _truncate_rda(raw: Path, tmp_path: Path):
    path = raw / "lendingclub" / "LendingClubData_2010.rda"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return [], "LendingClubData_2010.rda", None


def _csv_without_status(raw: Path, tmp_path: Path):
    path = tmp_path / "loans.csv"
    pd.read_csv(FIXTURES / "lendingclub_export.csv", skiprows=1, dtype=str).drop(columns="loan_status").to_csv(path, index=False)
    return ["--loans", str(path)], "loans.csv", "loan_status"


def _fico_9999(raw: Path, tmp_path: Path):
    path = _bad_csv(tmp_path, lambda f: f.assign(fico_range_high=f.fico_range_high.where(f.index != 5, 9999)))
    return ["--loans", str(path)], "loans.csv", "fico_range_high"


@pytest.mark.parametrize("damage", [_truncate_rda, _csv_without_status, _fico_9999])
def test_bad_input_exits_non_zero_and_writes_nothing(workspace, tmp_path, damage):
    raw, processed = workspace
    before = _tree_digest(processed)
    extra, file_named, column_named = damage(raw, tmp_path)
    result = _overdue("build", "--raw", str(raw), "--out", str(processed), *extra)
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("overdue build: error:") and file_named in message
    if column_named:
        assert f"column {column_named!r}" in message
    assert "Traceback" not in result.stderr
    assert _tree_digest(processed) == before
