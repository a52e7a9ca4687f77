"""The papermill runner: the smoke tier runs every notebook on a 5% sample of the real data and
asserts on the numbers they record; a failing notebook exits non-zero and leaves reports/latest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from conftest import make_root
from overdue.errors import ConfigError
from overdue.pipeline import run_report

ROOT = Path(__file__).resolve().parents[1]


def numbers(run_dir: Path, notebook: str) -> dict:
    return json.loads((run_dir / "numbers" / f"{notebook}.json").read_text())


@pytest.mark.smoke
def test_smoke_run_publishes_everything(smoke_run):
    root, run_dir = smoke_run
    assert (root / "reports" / "latest").resolve() == run_dir.resolve()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    notebooks = sorted(p.stem for p in (root / "notebooks").glob("*.ipynb"))
    assert sorted(manifest["notebooks"]) == notebooks
    for name in notebooks:
        assert (run_dir / f"{name}.html").is_file() and (
            run_dir / "notebooks" / f"{name}.ipynb"
        ).is_file()
        assert (run_dir / "numbers" / f"{name}.json").is_file()
    assert manifest["data"]["raw"]["lendingclub/LendingClubData_2011.rda"].startswith("946ecd75")
    assert set(manifest["data"]["processed"]) == {"loans.parquet", "macro.parquet"}
    assert {"pandas", "statsmodels", "papermill"} <= set(manifest["packages"])
    index = (run_dir / "index.html").read_text()
    assert "00_data.html" in index and "<img" in index
    html_page = (run_dir / "00_data.html").read_text()
    assert "load_study(" not in html_page  # rendered without code


@pytest.mark.smoke
def test_smoke_numbers_data_and_features(smoke_run):
    _, run_dir = smoke_run
    data = numbers(run_dir, "00_data")
    assert data["loans_available"] == 42_535
    assert data["loans"] == round(0.05 * 42_535)
    assert data["raw_files"] == data["raw_files_verified"] == 65
    assert 0.10 < data["default_rate"] < 0.20  # 15.1% in the full data; a 5% sample stays close
    features = numbers(run_dir, "01_features")
    assert features["features"] >= 40
    assert set(features["features_by_family"]) == {
        "outcome",
        "credit",
        "macro",
        "purpose",
        "underwriting",
    }


def _failing_notebook(path: Path) -> Path:
    notebook = jupytext.reads(
        '# %% tags=["parameters"]\nsample_frac: float = 1.0  # share\n\n'
        '# %%\nx = 1\n\n# %%\nraise RuntimeError("deliberate failure")\n',
        fmt="py:percent",
    )
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    jupytext.write(notebook, path)
    return path


def test_failing_notebook_exits_non_zero_and_keeps_latest(processed_dir, tmp_path):
    root = make_root(tmp_path, [ROOT / "notebooks" / "01_features.ipynb"])
    good = run_report(
        None,
        {"data_dir": str(processed_dir), "sample_frac": 0.02},
        root=root,
        echo=lambda *_: None,
    )
    latest = root / "reports" / "latest"
    assert latest.resolve() == good.resolve()
    _failing_notebook(root / "notebooks" / "02_fails.ipynb")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "overdue.cli",
            "run",
            "-p",
            f"data_dir={processed_dir}",
            "-p",
            "sample_frac=0.02",
            "--run-id",
            "broken",
        ],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert (
        "02_fails.ipynb failed in cell [4] `raise RuntimeError" in message
        and "deliberate failure" in message
    )
    assert latest.resolve() == good.resolve()
    assert (root / "reports" / "broken" / "notebooks" / "02_fails.ipynb").is_file()
    assert (
        json.loads((root / "reports" / "broken" / "manifest.json").read_text())["status"]
        == "failed"
    )


def test_unknown_parameter_is_rejected_before_anything_runs(tmp_path):
    root = make_root(tmp_path, [ROOT / "notebooks" / "00_data.ipynb"])
    with pytest.raises(ConfigError, match="sample_fraction not declared by any notebook"):
        run_report(None, {"sample_fraction": 0.1}, root=root)
    assert not (root / "reports").exists()


def test_invalid_yaml_config_is_named(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("parameters: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        run_report(config, root=make_root(tmp_path, [ROOT / "notebooks" / "00_data.ipynb"]))
