"""Shared fixtures: where the real data mirror is, and a fetched copy of it for the session.

Real-data tests read the mirror named by OVERDUE_DATA_MIRROR (CI sets it to ../shared/data), else
the project's data/raw, else ../shared/data beside the checkout. The mirror is read-only: tests
copy it (through `overdue fetch`) before anything writes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).with_name("fixtures")


def find_mirror() -> Path | None:
    """The real-data folder to test against, or None."""
    candidates = [
        os.environ.get("OVERDUE_DATA_MIRROR"),
        ROOT / "data" / "raw",
        ROOT.parent / "shared" / "data",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "lendingclub" / "LendingClubData_2011.rda").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def mirror() -> Path:
    found = find_mirror()
    if found is None:
        pytest.skip("real data mirror not found: set OVERDUE_DATA_MIRROR")
    return found


@pytest.fixture(scope="session")
def raw_dir(mirror, tmp_path_factory) -> Path:
    """A private, writable copy of the raw inputs, fetched from the mirror."""
    from overdue.data.fetch import fetch

    target = tmp_path_factory.mktemp("raw")
    fetch(target, mirror=mirror)
    return target


@pytest.fixture(scope="session")
def real_loans(raw_dir):
    from overdue.data.lendingclub import read_lendingclub_dir

    return read_lendingclub_dir(raw_dir / "lendingclub")


@pytest.fixture(scope="session")
def real_macro(raw_dir):
    from overdue.data.fred import macro_panel

    return macro_panel(raw_dir / "fred")


@pytest.fixture(scope="session")
def processed_dir(raw_dir, tmp_path_factory) -> Path:
    """Processed tables built from the mirror, once per test session (treat as read-only)."""
    from overdue.build.tables import build

    out = tmp_path_factory.mktemp("processed")
    build(raw_dir, out)
    return out


def make_root(tmp_path: Path, notebooks: list[Path]) -> Path:
    """A throwaway project root holding the given notebooks (so runs never touch the repo's reports/)."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'scratch'\n")
    for notebook in notebooks:
        shutil.copy(notebook, root / "notebooks" / notebook.name)
    return root


@pytest.fixture(scope="session")
def smoke_run(processed_dir, raw_dir, tmp_path_factory):
    root = make_root(
        tmp_path_factory.mktemp("smoke"), sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    )
    from overdue.pipeline import run_report

    run_dir = run_report(
        ROOT / "configs" / "smoke.yaml",
        {"data_dir": str(processed_dir), "raw_dir": str(raw_dir)},
        root=root,
        echo=lambda *_: None,
    )
    return root, run_dir


def pytest_addoption(parser):
    parser.addoption(
        "--study-output",
        default=None,
        metavar="DIR",
        help="where slow statistical studies write their records (default: a "
        "temporary folder; `make reference` writes them to tests/reference)",
    )


@pytest.fixture
def study_output(request, tmp_path):
    """Folder a slow study writes its record into: ``--study-output DIR`` (sub-folder per
    reference set, as under tests/reference), else a temporary folder, so a test run never
    overwrites the committed references.

    Use as ``study_output("survival") / "coverage_study.json"``."""
    chosen = request.config.getoption("--study-output")

    def folder(reference_set: str) -> Path:
        path = (Path(chosen) if chosen else tmp_path) / reference_set
        path.mkdir(parents=True, exist_ok=True)
        return path

    return folder
