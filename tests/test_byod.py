"""Bring your own data: a loan file in another format, described by a YAML mapping, runs through
`overdue build` and `overdue run` with no code change — with payment dates and without."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from byod import write_own_format
from conftest import ROOT, make_root
from overdue.data.fetch import sha256_of
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


def test_own_file_without_states_keeps_the_national_macro_series(own_files, raw_dir, tmp_path):
    folder, chosen = own_files
    frame = pd.read_csv(folder / "dated.csv", sep=";", dtype=str).drop(columns=["region"])
    frame.to_csv(tmp_path / "nostate.csv", sep=";", index=False)
    mapping = yaml.safe_load(EXAMPLE_MAPPING.read_text())
    del mapping["columns"]["addr_state"]
    (tmp_path / "nostate.yaml").write_text(yaml.safe_dump(mapping))
    out = tmp_path / "processed"
    built = _overdue(
        "build", "--raw", str(raw_dir), "--out", str(out), "--loans", str(tmp_path / "nostate.csv"),
        "--mapping", str(tmp_path / "nostate.yaml"), cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    features = pd.read_parquet(out / "features.parquet")
    panel = pd.read_parquet(out / "panel.parquet")
    assert features["state_unemp"].isna().all() and features["state_unemp_change_12m"].isna().all()
    assert features["gdp_growth_yoy"].notna().all() and features["term_spread"].notna().all()
    assert panel["state_unemp_tv"].isna().all() and len(panel) == features["time"].sum()
    from overdue.models.specs import usable_families

    assert usable_families(features)["macro"] == ("gdp_growth_yoy", "term_spread")


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


# ------------------------------------------------------------------------------------------------
# A loan file as courses hand it out: no id, amount, issue date or state, logged income, one FICO
# column, purpose words of its own, a 0/1 outcome and CR line endings (examples/course_loans.csv,
# written by examples/make_course_loans.py), through @row, derive, values and default_flag.

COURSE_FILE = ROOT / "examples" / "course_loans.csv"
COURSE_MAPPING = ROOT / "examples" / "course_loans.yaml"


def test_course_file_reads_through_row_derive_values_and_flag():
    raw = pd.read_csv(COURSE_FILE, lineterminator="\r")
    assert b"\n" not in COURSE_FILE.read_bytes()  # old Mac line endings, as committed
    loans = load_loans(loans_file=COURSE_FILE, mapping=COURSE_MAPPING)
    assert len(loans) == len(raw) == 800
    assert loans["id"].tolist() == [str(i) for i in range(1, 801)]
    np.testing.assert_allclose(loans["annual_inc"], np.exp(raw["log.annual.inc"]), rtol=1e-12)
    assert loans["meets_policy"].tolist() == (raw["credit.policy"] == 1).tolist()
    np.testing.assert_allclose(loans["revol_util"], raw["revol.util"] / 100)
    assert (loans["purpose"] == "other").sum() == (raw["purpose"] == "all_other").sum() > 0
    assert "all_other" not in set(loans["purpose"])
    is_default = loans["loan_status"] == "Charged Off"
    assert is_default.tolist() == (raw["not.fully.paid"] == 1).tolist()
    assert (loans["fico_range_low"] == loans["fico_range_high"]).all()
    for absent in ["loan_amnt", "term", "issue_d", "addr_state", "grade", "last_pymnt_d"]:
        assert loans[absent].isna().all(), absent


@pytest.mark.realdata
def test_course_file_runs_the_whole_report(raw_dir, tmp_path):
    root = make_root(tmp_path, sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    out = root / "data" / "processed"
    built = _overdue(
        "build", "--raw", str(raw_dir), "--out", str(out),
        "--loans", str(COURSE_FILE), "--mapping", str(COURSE_MAPPING), cwd=root,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    run = _overdue("run", "-p", "n_boot=5", "--run-id", "course", cwd=root)
    assert run.returncode == 0, run.stderr
    report = root / "reports" / "course"
    numbers = {p.stem: json.loads(p.read_text()) for p in (report / "numbers").glob("*.json")}
    tables = {p.name for p in (report / "tables").glob("*.csv")}
    manifest = json.loads((report / "manifest.json").read_text())["notebooks"]

    # descriptive, logit and causes produce their tables
    for page in ["00_data", "01_features", "03_logit", "05_causes", "06_summary"]:
        assert manifest[page]["status"] == "ok", page
    assert numbers["00_data"]["loans"] == 800
    provenance = pd.read_csv(report / "tables" / "00_data_provenance.csv")
    assert provenance["source"].iloc[:2].tolist() == ["your data file", "your mapping file"]
    assert provenance["sha256"].iloc[0] == sha256_of(COURSE_FILE)
    assert not provenance["file"].str.startswith("lendingclub/").any()
    assert {"02_descriptive_default_rate_by_purpose_group.csv", "03_logit_nested.csv",
            "03_logit_full_model_odds_ratios.csv", "03_logit_out_of_time_auc.csv",
            "05_causes_attribution.csv"} <= tables  # fmt: skip
    assert numbers["02_descriptive"]["factors_left_out"] == ["grade", "state_unemp_band"]
    # without issue months: a seeded random split, said so
    assert "seeded random 30%" in numbers["03_logit"]["validation"]
    validation = pd.read_csv(report / "tables" / "03_logit_out_of_time_auc.csv", index_col=0)
    assert (validation["n_test"] == 240).all()
    assert 0.55 < numbers["03_logit"]["oot_auc_first"]["auc"] < 0.85
    odds = pd.read_csv(report / "tables" / "03_logit_full_model_odds_ratios.csv", index_col=0)
    assert odds.loc["fico", "exp_ci_upper"] < 1  # the simulated FICO effect is found
    assert set(numbers["05_causes"]["attribution"]) == {"credit", "purpose", "underwriting"}
    # the macro family and the survival page say what is missing
    left_out = pd.read_csv(report / "tables" / "05_causes_left_out.csv")
    macro = left_out[left_out["family"] == "Economic environment"]
    assert len(macro) == 4 and macro["why"].str.contains("issue_d").all()
    assert manifest["04_survival"]["status"] == "stopped"
    assert "no issue months or payment dates" in manifest["04_survival"]["reason"]
    assert manifest["09_remedies"]["status"] == "stopped"
    assert numbers["09_remedies"]["study"] == "loans, seeded split"
