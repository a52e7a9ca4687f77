"""Dependencies run one way (DESIGN.md, "Data flow"): a module of the package imports modules of
its own layer or a lower one only, at module level or inside a function alike.

:data:`LAYERS` is the one statement of the layering; :func:`layer_violations` reads every
``import`` and ``from … import`` of every module under ``src/`` with :mod:`ast` (relative imports
resolved) and names each import against the direction.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "overdue"

#: The layers, lowest first: the top-level modules and sub-packages of ``overdue`` in each.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("errors", "io", "paths")),
    ("data", ("data",)),
    ("features", ("features",)),
    ("models", ("models",)),
    ("presentation", ("plots", "tables")),  # figures and printed tables of results
    ("above the layers", ("build", "synthetic", "study")),  # chain several layers
    ("runner", ("report", "pipeline", "cli")),
]
#: The root ``__init__`` imports nothing itself (its names load lazily) and is exempt as an
#: importer; as a target it re-exports the study, the runner's outputs and the plots, so a name
#: taken from it counts as the top layer.
ROOT_LAYER = len(LAYERS) - 1


def layer_of(module: str, package: str = PACKAGE) -> int | None:
    """The layer index of a module of ``package`` (None when the table does not place it).

    >>> layer_of("overdue.data.loans"), layer_of("overdue.report"), layer_of("overdue.nowhere")
    (1, 6, None)
    """
    if module == package:
        return ROOT_LAYER
    top = module.split(".")[1]
    return next((index for index, (_, members) in enumerate(LAYERS) if top in members), None)


def _describe(index: int | None) -> str:
    return "no layer" if index is None else f"layer {index}, {LAYERS[index][0]}"


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    statement: str
    target: str
    module_layer: int | None
    target_layer: int | None

    def __str__(self) -> str:
        return (
            f"{self.module} ({_describe(self.module_layer)}) imports {self.target} "
            f"({_describe(self.target_layer)}) at line {self.line}: `{self.statement}`"
        )


def package_modules(src: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Every module under ``src`` by its dotted name (``src`` is the package ``package``)."""
    modules = {}
    for path in sorted(src.rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join([package, *parts])] = path
    return modules


def _imported(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]
) -> list[str]:
    """The modules an import statement loads (only those of the package matter to the caller)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        # Relative to the module's package: the module itself for an __init__, else its parent.
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    # ``from pkg import name`` loads the sub-module pkg.name when there is one, else pkg.
    return [
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
    ]


def layer_violations(src: Path, package: str = PACKAGE) -> list[Violation]:
    """Every import, anywhere in any module of the package under ``src``, from a lower layer to a
    higher one, or of or by a module :data:`LAYERS` does not place."""
    modules = package_modules(src, package)
    known = set(modules)
    violations = []
    for module, path in modules.items():
        if module == package:
            continue  # the root __init__ is exempt
        own = layer_of(module, package)
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _imported(node, module, path.name == "__init__.py", known):
                if target != package and not target.startswith(package + "."):
                    continue  # not ours
                theirs = layer_of(target, package)
                if own is None or theirs is None or theirs > own:
                    violations.append(
                        Violation(module, node.lineno, ast.unparse(node), target, own, theirs)
                    )
    return violations


def unplaced_modules(src: Path, package: str = PACKAGE) -> list[str]:
    """Modules of the package under ``src`` that :data:`LAYERS` does not place."""
    return [
        module
        for module in package_modules(src, package)
        if module != package and layer_of(module, package) is None
    ]


def test_every_module_has_a_layer():
    assert len(package_modules(SRC)) > 20  # the walk found the package
    assert unplaced_modules(SRC) == [], "add these modules to LAYERS in tests/test_layers.py"


def test_every_import_in_the_package_runs_down_the_layers():
    violations = layer_violations(SRC)
    assert not violations, "imports against the layers:\n" + "\n".join(map(str, violations))


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


CLEAN_TREE = {
    "__init__.py": "from overdue import study\n",
    "errors.py": "",
    "data/__init__.py": "",
    "data/x.py": "import os\nfrom overdue.errors import OverdueError\nfrom . import z\n",
    "data/z.py": "",
    "features/__init__.py": "from overdue.features import y  # noqa\n",
    "features/y.py": (
        "from ..data import x\n\n\ndef late():\n"
        "    from overdue.data.z import anything\n    import overdue.features\n"
    ),
    "study.py": "from overdue.features.y import late\nfrom .data import x\n",
}


def test_the_checker_passes_a_clean_tree(tmp_path):
    assert layer_violations(_write(tmp_path, CLEAN_TREE)) == []


def test_the_checker_names_each_import_against_the_layers(tmp_path):
    src = _write(
        tmp_path,
        {
            **CLEAN_TREE,
            # module level, absolute: data imports features
            "data/x.py": "import os\nfrom overdue.features import y\n",
            # inside a function, relative: data imports the study (above the layers)
            "data/z.py": "def load():\n    from ..study import late\n    return late\n",
            # a package __init__ importing upward, relative to itself
            "data/__init__.py": "from .. import pipeline\n",
            "pipeline.py": "",
            # a module the table does not place, and an import of one
            "extra.py": "from overdue.errors import OverdueError\n",
            "features/y.py": "import overdue.extra\n",
        },
    )
    found = {
        (v.module, v.target, v.module_layer, v.target_layer, v.line) for v in layer_violations(src)
    }
    assert found == {
        ("overdue.data.x", "overdue.features.y", 1, 2, 2),
        ("overdue.data.z", "overdue.study", 1, 5, 2),
        ("overdue.data", "overdue.pipeline", 1, 6, 1),
        ("overdue.extra", "overdue.errors", None, 0, 1),
        ("overdue.features.y", "overdue.extra", 2, None, 1),
    }
    assert unplaced_modules(src) == ["overdue.extra"]
    message = str(next(v for v in layer_violations(src) if v.module == "overdue.data.z"))
    assert message == (
        "overdue.data.z (layer 1, data) imports overdue.study "
        "(layer 5, above the layers) at line 2: `from ..study import late`"
    )


@pytest.mark.parametrize(
    "module, layer",
    [
        ("overdue.errors", 0),
        ("overdue.paths", 0),
        ("overdue.data.partitions", 1),
        ("overdue.build.partitioned", 5),
        ("overdue.synthetic", 5),
        ("overdue.tables", 4),
        ("overdue.cli", 6),
    ],
)
def test_layer_table(module, layer):
    assert layer_of(module) == layer
