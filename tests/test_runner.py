"""The papermill runner: the smoke tier runs every notebook on a 5% sample of the real data and
asserts on the numbers they record; a failing notebook exits non-zero and leaves reports/latest."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import pytest

from conftest import make_root
from overdue.errors import ConfigError
from overdue.pipeline import NotebookFailed, run_report, run_reports

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
    assert data["raw_files"] == data["raw_files_verified"] == 66  # 5 LendingClub, 60 FRED, Taiwan
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


def write_notebook(path: Path, *cells: str) -> Path:
    """A notebook of a parameters cell (``sample_frac``) and the given code cells."""
    source = '# %% tags=["parameters"]\nsample_frac: float = 1.0  # share\n\n' + "".join(
        f"# %%\n{cell}\n\n" for cell in cells
    )
    notebook = jupytext.reads(source, fmt="py:percent")
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    jupytext.write(notebook, path)
    return path


def _failing_notebook(path: Path) -> Path:
    return write_notebook(path, "x = 1", 'raise RuntimeError("deliberate failure")')


def sleeping(seconds: float) -> str:
    """A cell that takes ``seconds`` and can be stopped at any moment."""
    return f"import time\nfor _ in range({int(seconds * 10)}):\n    time.sleep(0.1)"


def kernels_started_by(pid: int) -> list[int]:
    """Processes (Jupyter kernels) whose environment names ``pid`` as their parent."""
    marker = f"JPY_PARENT_PID={pid}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def no_kernel_left(pid: int, within: float = 15.0) -> bool:
    deadline = time.time() + within
    while kernels_started_by(pid) and time.time() < deadline:
        time.sleep(0.2)
    return not kernels_started_by(pid)


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


def _timeline(run_dir: Path) -> dict[str, tuple[float, float]]:
    """(start, end) of each notebook, in seconds from the run's start."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return {
        name: (info["started_after"], info["started_after"] + info["seconds"])
        for name, info in manifest["notebooks"].items()
    }


KERNEL_FACTS = (
    "import json, os, pathlib\n"
    "facts = {name: os.environ.get(name) for name in ['MPLBACKEND', 'OPENBLAS_NUM_THREADS']}\n"
    "pathlib.Path(f'kernel-{os.getpid()}.json').write_text(json.dumps(facts))"
)


@pytest.mark.parametrize("workers", [2, 1])
def test_independent_notebooks_run_concurrently_and_the_summary_after_them(
    tmp_path, workers, monkeypatch
):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as the tests run: the kernels still draw inline
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    root = make_root(tmp_path, [])
    for name in ["01_first", "02_second"]:
        write_notebook(root / "notebooks" / f"{name}.ipynb", KERNEL_FACTS, sleeping(3))
    write_notebook(root / "notebooks" / "06_summary.ipynb", "x = 1")
    lines = []
    run_dir = run_report(None, root=root, echo=lines.append, max_workers=workers)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["max_workers"] == workers
    times = _timeline(run_dir)
    first, second, summary = times["01_first"], times["02_second"], times["06_summary"]
    if workers == 2:  # both start at once and overlap
        assert max(first[0], second[0]) < min(first[1], second[1])
    else:  # one after the other, in order
        assert second[0] >= first[1] - 0.05
    assert summary[0] >= max(first[1], second[1]) - 0.05  # it reads the others' outputs
    # progress: a start line and a done line per notebook, numbered by the notebook's position
    for number, name in enumerate(["01_first", "02_second", "06_summary"], 1):
        assert f"[{number}/3] {name} …" in lines
        assert any(line.startswith(f"[{number}/3] {name} done in ") for line in lines)
    assert lines[0].endswith(f"3 notebooks, up to {workers} at once -> {run_dir}")
    # each kernel ran in the project root, drawing inline, its BLAS on one thread
    facts = [json.loads(p.read_text()) for p in root.glob("kernel-*.json")]
    assert facts == 2 * [
        {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "OPENBLAS_NUM_THREADS": "1"}
    ]
    assert lines[-1].startswith(f"run {run_dir.name} ok in ")


def test_a_page_that_stops_early_beside_another_is_published_as_stopped(tmp_path):
    root = make_root(tmp_path, [])
    write_notebook(root / "notebooks" / "01_runs.ipynb", sleeping(2))
    write_notebook(
        root / "notebooks" / "02_stops.ipynb",
        'from overdue.errors import NotApplicable\nraise NotApplicable("no payment dates")',
    )
    lines = []
    run_dir = run_report(None, root=root, echo=lines.append, max_workers=2)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["notebooks"]["02_stops"]["status"] == "stopped"
    assert manifest["notebooks"]["02_stops"]["reason"] == "no payment dates"
    assert manifest["notebooks"]["01_runs"]["status"] == "ok"
    assert "[2/2] 02_stops stopped early: no payment dates" in lines
    page = (run_dir / "02_stops.html").read_text()
    assert "Not applicable to these data:" in page and "Traceback" not in page
    assert "stopped early: no payment dates" in (run_dir / "index.html").read_text()


def test_a_failure_beside_a_running_notebook_stops_both_and_keeps_latest(tmp_path):
    root = make_root(tmp_path, [])
    write_notebook(root / "notebooks" / "00_quick.ipynb", "x = 1")
    good = run_report(None, root=root, echo=lambda *_: None)
    write_notebook(root / "notebooks" / "01_slow.ipynb", sleeping(120))
    _failing_notebook(root / "notebooks" / "02_fails.ipynb")
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "-m", "overdue.cli", "run", "--run-id", "broken", "--max-workers", "3"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr
    assert time.time() - started < 60  # the slow notebook was stopped, not waited for
    message = stderr.strip().splitlines()[-1]
    assert "02_fails.ipynb failed in cell [3] `raise RuntimeError" in message
    assert (root / "reports" / "latest").resolve() == good.resolve()
    manifest = json.loads((root / "reports" / "broken" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failed_notebook"] == "02_fails"
    assert manifest["notebooks"]["02_fails"]["status"] == "failed"
    assert manifest["notebooks"]["01_slow"]["status"] == "cancelled"
    assert (root / "reports" / "broken" / "notebooks" / "02_fails.ipynb").is_file()
    assert no_kernel_left(process.pid)


def test_max_workers_from_the_config_and_checked(tmp_path):
    root = make_root(tmp_path, [])
    write_notebook(root / "notebooks" / "01_one.ipynb", "x = 1")
    config = tmp_path / "one.yaml"
    config.write_text("max_workers: 1\nparameters: {}\n")
    run_dir = run_report(config, root=root, echo=lambda *_: None)
    assert json.loads((run_dir / "manifest.json").read_text())["max_workers"] == 1
    config.write_text("max_workers: 0\n")
    with pytest.raises(ConfigError, match="max_workers must be a whole number"):
        run_report(config, root=root)


def test_several_studies_share_the_kernels_and_each_publishes(tmp_path):
    root = make_root(tmp_path, [])
    write_notebook(root / "notebooks" / "01_panel.ipynb", sleeping(4))
    write_notebook(root / "notebooks" / "02_loans.ipynb", sleeping(2))
    write_notebook(root / "notebooks" / "06_summary.ipynb", "x = 1")
    panel, loans = tmp_path / "panel.yaml", tmp_path / "loans.yaml"
    panel.write_text("description: The panel study.\nnotebooks: [01_panel]\n")
    loans.write_text("description: The loan study.\nnotebooks: [02_loans, 06_summary]\n")
    lines = []
    runs = run_reports([panel, loans], root=root, run_id="both", echo=lines.append, max_workers=2)
    assert [r.name for r in runs] == ["both-panel", "both-loans"]
    first, second = (_timeline(r) for r in runs)
    assert first["01_panel"][0] < second["02_loans"][1]  # side by side, not one after the other
    assert second["06_summary"][0] >= second["02_loans"][1] - 0.05  # waits for its own run only
    reports = root / "reports"
    assert (reports / "latest").resolve().name == "both-loans"  # the last config's
    assert (reports / "latest-panel").resolve().name == "both-panel"
    assert (reports / "latest-loans").resolve().name == "both-loans"
    assert any(line.startswith("both-panel: [1/1] 01_panel done in") for line in lines)
    index = (reports / "both-loans" / "index.html").read_text()
    assert "../both-panel/index.html" in index and ">The panel study</a>" in index
    assert "../both-loans/index.html" in (reports / "both-panel" / "index.html").read_text()


def test_a_study_that_fails_does_not_stop_the_other(tmp_path):
    root = make_root(tmp_path, [])
    write_notebook(root / "notebooks" / "01_good.ipynb", sleeping(2))
    _failing_notebook(root / "notebooks" / "02_fails.ipynb")
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("notebooks: [01_good]\n")
    bad.write_text("notebooks: [02_fails]\n")
    with pytest.raises(NotebookFailed, match="02_fails.ipynb failed in cell"):
        run_reports([good, bad], root=root, run_id="r", echo=lambda *_: None)
    reports = root / "reports"
    assert json.loads((reports / "r-good" / "manifest.json").read_text())["status"] == "ok"
    assert json.loads((reports / "r-bad" / "manifest.json").read_text())["status"] == "failed"
    assert (reports / "latest").resolve().name == "r-good"  # a failed run never takes latest
    assert not (reports / "latest-bad").exists()
