"""Bring your own data: a loan file in another format, described by a YAML mapping, runs through
`overdue build` and `overdue run` with no code change — with payment dates and without."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from byod import write_own_format
from conftest import ROOT, make_root
from overdue.data.loans import load_loans

EXAMPLE_MAPPING = ROOT / "examples" / "my_loans.yaml"


def test_example_file_loads_like_the_lendingclub_export():
    from conftest import FIXTURES
    from overdue.data.lendingclub import read_loans_csv

    own = load_loans(loans_file=ROOT / "examples" / "my_loans.csv", mapping=EXAMPLE_MAPPING)
    export = read_loans_csv(FIXTURES / "lendingclub_export.csv")
    for column in [
        "id",
        "loan_amnt",
        "term",
        "int_rate",
        "issue_d",
        "addr_state",
        "purpose",
        "last_pymnt_d",
    ]:
        pd.testing.assert_series_equal(own[column], export[column], check_exact=False, rtol=1e-9)
    assert own["fico_range_low"].tolist() == (export["fico_range_low"] + 2).tolist()
    # "Does not meet the credit policy. Status:Charged Off" is WRITTEN_OFF in the own format.
    assert (own["loan_status"] == "Charged Off").sum() == export["loan_status"].str.contains(
        "Charged Off"
    ).sum()


@pytest.fixture(scope="module")
def own_files(real_loans, tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    chosen = real_loans[real_loans["issue_d"] >= "2009-01-01"].sample(6000, random_state=3)
    write_own_format(chosen, folder / "dated.csv")
    write_own_format(chosen, folder / "undated.csv", with_dates=False)
    mapping = yaml.safe_load(EXAMPLE_MAPPING.read_text())
    del mapping["columns"]["last_pymnt_d"]
    (folder / "undated.yaml").write_text(yaml.safe_dump(mapping))
    return folder, chosen


def _overdue(*argv, cwd):
    return subprocess.run(
        [sys.executable, "-m", "overdue.cli", *argv], cwd=cwd, capture_output=True, text=True
    )


def test_own_file_with_dates_builds_the_same_outcomes(own_files, raw_dir, tmp_path):
    folder, chosen = own_files
    out = tmp_path / "processed"
    result = _overdue(
        "build",
        "--raw",
        str(raw_dir),
        "--out",
        str(out),
        "--loans",
        str(folder / "dated.csv"),
        "--mapping",
        str(EXAMPLE_MAPPING),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    features = pd.read_parquet(out / "features.parquet").set_index("id")
    assert len(features) == 6000 and (out / "panel.parquet").is_file()
    is_default = chosen.set_index("id")["loan_status"].str.contains("Charged Off").astype(int)
    assert features["defaulted"].sort_index().tolist() == is_default.sort_index().tolist()
    assert features["time"].notna().all()


@pytest.mark.smoke
def test_own_file_without_dates_runs_every_notebook(own_files, raw_dir, tmp_path):
    folder, _ = own_files
    root = make_root(tmp_path, sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    out = root / "data" / "processed"
    built = _overdue(
        "build",
        "--raw",
        str(raw_dir),
        "--out",
        str(out),
        "--loans",
        str(folder / "undated.csv"),
        "--mapping",
        str(folder / "undated.yaml"),
        cwd=root,
    )
    assert built.returncode == 0, built.stderr
    assert not (out / "panel.parquet").exists()
    run = _overdue("run", "-p", "n_boot=5", "--run-id", "own", cwd=root)
    assert run.returncode == 0, run.stderr
    numbers = {
        p.stem: json.loads(p.read_text())
        for p in (root / "reports" / "own" / "numbers").glob("*.json")
    }
    assert numbers["00_data"]["loans"] == 6000
    assert numbers["04_survival"]["time_to_event_available"] is False
    assert "no payment dates" in numbers["04_survival"]["headline"][0]
    assert 0.55 < numbers["03_logit"]["oot_auc_first"]["auc"] < 0.80
    assert set(numbers["05_causes"]["attribution"]) == {
        "credit",
        "purpose",
        "macro",
        "underwriting",
    }
    page = (root / "reports" / "own" / "04_survival.html").read_text()
    assert "Not applicable to these data" in page and "Traceback" not in page
    manifest = json.loads((root / "reports" / "own" / "manifest.json").read_text())
    assert manifest["notebooks"]["04_survival"]["status"] == "stopped"
    assert "no payment dates" in manifest["notebooks"]["04_survival"]["reason"]
