"""Interrupted builds and runs, reproducibility, privacy and output safety."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, make_root
from overdue.errors import ConfigError
from overdue.pipeline import run_report, write_index
from overdue.report import RunOutput
from test_runner import kernels_started_by, no_kernel_left, sleeping, write_notebook

SRC = ROOT / "src"


def _start(argv, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "overdue.cli", *argv],
        cwd=cwd,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("delay", [1.0, 3.0, 4.5])
def test_killed_build_leaves_no_half_written_file_and_next_build_succeeds(
    raw_dir, tmp_path, delay
):
    out = tmp_path / "processed"
    process = _start(["build", "--raw", str(raw_dir), "--out", str(out)], tmp_path)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for table in out.glob("*.parquet"):  # whatever is there under a real name is complete
        pq.read_metadata(table)
    again = subprocess.run(
        [sys.executable, "-m", "overdue.cli", "build", "--raw", str(raw_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.glob("*.parquet")) == [
        "features.parquet",
        "loans.parquet",
        "macro.parquet",
        "panel.parquet",
    ]
    assert not list(out.glob(".*.tmp"))


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_interrupted_run_keeps_latest_and_next_run_succeeds(processed_dir, tmp_path, how):
    root = make_root(
        tmp_path, [ROOT / "notebooks" / "00_data.ipynb", ROOT / "notebooks" / "01_features.ipynb"]
    )
    args = ["run", "-p", f"data_dir={processed_dir}", "-p", "sample_frac=0.02"]
    first = subprocess.run(
        [sys.executable, "-m", "overdue.cli", *args, "--run-id", "good"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr
    process = _start([*args, "--run-id", "interrupted"], root)
    manifest = root / "reports" / "interrupted" / "manifest.json"
    deadline = time.time() + 120
    while not _statuses(manifest).get("00_data") == "ok" and time.time() < deadline:
        time.sleep(0.2)  # interrupt once the run has finished a notebook
    if how == signal.SIGTERM:
        os.kill(process.pid, how)
    else:
        os.killpg(process.pid, how)
    process.wait(timeout=60)
    assert process.returncode == (130 if how == signal.SIGTERM else -signal.SIGKILL)
    assert (root / "reports" / "latest").resolve().name == "good"
    if how == signal.SIGTERM:
        assert json.loads(manifest.read_text())["status"] == "interrupted"
    assert no_kernel_left(process.pid)  # killed with it, or gone when they saw it gone
    after = subprocess.run(
        [sys.executable, "-m", "overdue.cli", *args, "--run-id", "after"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert after.returncode == 0, after.stderr
    assert (root / "reports" / "latest").resolve().name == "after"


def _statuses(manifest) -> dict[str, str]:
    try:
        notebooks = json.loads(manifest.read_text())["notebooks"]
    except (OSError, ValueError):
        return {}
    return {name: info.get("status") for name, info in notebooks.items()}


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupting_concurrent_notebooks_stops_every_kernel(tmp_path, how):
    root = make_root(tmp_path, [])
    write_notebook(root / "notebooks" / "00_quick.ipynb", "x = 1")
    assert _start(["run", "--run-id", "good"], root).wait(timeout=120) == 0
    for name in ["01_slow", "02_slower"]:
        write_notebook(root / "notebooks" / f"{name}.ipynb", sleeping(120))
    process = _start(["run", "--run-id", "interrupted", "--max-workers", "2"], root)
    manifest = root / "reports" / "interrupted" / "manifest.json"
    running = {"00_quick": "ok", "01_slow": "running", "02_slower": "running"}
    deadline = time.time() + 120
    while time.time() < deadline and not (
        _statuses(manifest) == running and len(kernels_started_by(process.pid)) == 2
    ):
        time.sleep(0.2)
    assert _statuses(manifest) == running
    time.sleep(2)  # into their slow cells
    stopped = time.time()
    os.kill(process.pid, how)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert time.time() - stopped < 30  # the kernels were stopped, not waited for
    assert stderr.strip().splitlines()[-1] == "overdue run: interrupted"
    content = json.loads(manifest.read_text())
    assert content["status"] == "interrupted"
    assert _statuses(manifest) == running | {"01_slow": "interrupted", "02_slower": "interrupted"}
    assert (root / "reports" / "latest").resolve().name == "good"
    assert no_kernel_left(process.pid)


@pytest.mark.smoke
def test_same_data_and_parameters_give_identical_results(
    smoke_run, processed_dir, raw_dir, tmp_path
):
    _, first = smoke_run
    root = make_root(tmp_path, sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    second = run_report(
        ROOT / "configs" / "smoke.yaml",
        {"data_dir": str(processed_dir), "raw_dir": str(raw_dir)},
        root=root,
        echo=lambda *_: None,
    )
    tables = sorted(p.name for p in (first / "tables").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (second / "tables").glob("*.csv"))
    for name in tables:
        assert (first / "tables" / name).read_bytes() == (second / "tables" / name).read_bytes(), (
            name
        )
    for name in (first / "numbers").glob("*.json"):
        assert name.read_bytes() == (second / "numbers" / name.name).read_bytes(), name.name
    one, two = (json.loads((run / "manifest.json").read_text()) for run in (first, second))
    volatile = {"run_id", "started", "finished", "seconds", "notebooks"}
    assert {k: v for k, v in one.items() if k not in volatile} == {
        k: v for k, v in two.items() if k not in volatile
    }
    assert {k: v["status"] for k, v in one["notebooks"].items()} == {
        k: v["status"] for k, v in two["notebooks"].items()
    }


@pytest.mark.smoke
def test_no_free_text_or_identifier_reaches_a_report(smoke_run, raw_dir):
    import pyreadr

    _, run_dir = smoke_run
    raw = next(
        iter(pyreadr.read_r(str(raw_dir / "lendingclub" / "LendingClubData_2011.rda")).values())
    )
    secrets = set()
    for column in ["emp_title", "title", "desc"]:
        text = raw[column].dropna().astype(str).str.strip()
        counts = text.value_counts()
        # Borrower-written strings that occur once are distinctive: finding one in a report is a leak.
        secrets |= set(counts[(counts == 1) & (counts.index.str.len() >= 14)].index[:300])
    secrets |= set(raw["url"].dropna().astype(str).head(300))
    files = [
        p
        for p in run_dir.rglob("*")
        if p.is_file() and p.suffix in {".html", ".csv", ".json", ".ipynb"}
    ]
    assert len(files) > 20
    for path in files:
        content = path.read_text(errors="replace")
        assert not re.search(r"\b\d{3}xx\b", content), f"zip code in {path.name}"
        assert "lendingclub.com/browse" not in content, f"loan url in {path.name}"
        leaked = [s for s in secrets if s in content]
        assert not leaked, f"{path.name} contains borrower text: {leaked[:2]}"


def test_index_escapes_strings_from_data_and_parameters(tmp_path):
    out = RunOutput(tmp_path, "05_causes")
    out.record("headline", ["<script>alert('x')</script> defaults", "run `<script>`"])
    manifest = {
        "run_id": "r<1>",
        "git": {"commit": "abc"},
        "finished": "now",
        "seconds": 1,
        "description": "<b>bold</b> study",
        "notebooks": {
            "05_causes": {"title": "<i>it</i>", "status": "stopped", "reason": "<u>why</u>"}
        },
        "beside": [{"run_id": "o'ther", "description": "<s>other</s>"}],
        "parameters": {"issue_start": "<img src=x onerror=alert(1)>"},
    }
    page = write_index(tmp_path, manifest).read_text()
    for raw in ["<script>", "<img src=x", "<b>", "<i>", "<u>", "<s>", "o'ther"]:
        assert raw not in page, raw
    assert "&lt;script&gt;" in page and "r&lt;1&gt;" in page
    assert "<code>&lt;script&gt;</code>" in page  # a code span, still escaped


def test_outputs_stay_inside_the_run_folder(tmp_path):
    out = RunOutput(tmp_path / "run", "00_data")
    for name in ["../escape", "/etc/passwd", "a/b"]:
        with pytest.raises(ConfigError):
            out.save_table(pd.DataFrame({"a": [1]}), name)
    with pytest.raises(ConfigError, match="output_dir is set by the runner"):
        run_report(
            None,
            {"output_dir": "/tmp/elsewhere"},
            root=make_root(tmp_path, [ROOT / "notebooks" / "00_data.ipynb"]),
        )


def test_nothing_is_unpickled():
    offenders = [
        str(p.relative_to(ROOT))
        for p in SRC.rglob("*.py")
        if re.search(r"\b(pickle|cloudpickle|joblib\.load|read_pickle|dill)\b", p.read_text())
    ]
    assert not offenders, f"pickle used in {offenders}"
