"""Notebook hygiene: committed without outputs, paired with a py:percent twin, thin, one typed and
commented parameters cell."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PARAMETER_LINE = re.compile(r"^(\w+): (str|int|float|bool|list|dict) = .+  # \S.*$")
SHARED = [
    "data_dir",
    "sample_frac",
    "seed",
    "issue_start",
    "issue_end",
    "overdue_statuses",
    "macro_lag",
    "output_dir",
]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_with_py_percent_and_in_sync(path):
    twin = path.with_suffix(".py")
    assert twin.is_file(), f"{path.name} has no jupytext twin {twin.name}"
    from_ipynb = jupytext.read(path)
    from_py = jupytext.read(twin)
    assert [c.source for c in from_ipynb.cells] == [c.source for c in from_py.cells], (
        f"{path.name} and {twin.name} differ: run `jupytext --sync notebooks/*.ipynb`"
    )
    assert from_ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_typed_commented_parameters_cell(path):
    cells = jupytext.read(path).cells
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = [line for line in tagged[0].source.splitlines() if line.strip()]
    for line in lines:
        assert PARAMETER_LINE.match(line), (
            f"{path.name}: parameter line not 'name: type = literal  # comment': {line}"
        )
        ast.literal_eval(line.split("=", 1)[1].split("  #")[0].strip())  # literals only
    names = [line.split(":")[0] for line in lines]
    for shared in ["data_dir", "sample_frac", "seed", "output_dir"]:
        assert shared in names, f"{path.name} lacks the shared parameter {shared}"


def test_shared_parameters_have_the_same_defaults_everywhere():
    defaults: dict[str, set] = {}
    for path in NOTEBOOKS:
        cell = next(
            c for c in jupytext.read(path).cells if "parameters" in c.metadata.get("tags", [])
        )
        for line in cell.source.splitlines():
            if line.strip():
                name = line.split(":")[0]
                defaults.setdefault(name, set()).add(line.split("=", 1)[1].split("  #")[0].strip())
    for name in SHARED:
        assert len(defaults.get(name, {None})) == 1, (
            f"{name} has different defaults: {defaults[name]}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_define_no_functions_or_classes(path):
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            defined = [
                n
                for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))
            ]
            assert not defined, f"{path.name} defines code; move it to src/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_clustered_errors_follow_the_shared_cluster_parameter(path):
    cells = jupytext.read(path).cells
    parameters = next(c.source for c in cells if "parameters" in c.metadata.get("tags", []))
    code = "\n".join(
        c.source
        for c in cells
        if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
    )
    if "cluster=" not in code:
        return
    assert re.search(r"^cluster: str = ", parameters, re.M), (
        f"{path.name} clusters without the shared parameter"
    )
    for literal in ("addr_state", "issue_month"):
        assert f'"{literal}"' not in code, f"{path.name} hard-codes the cluster {literal!r}"
