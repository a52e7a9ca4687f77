"""What a notebook calls to leave results in its run folder: numbers, figures and tables.

Every path is resolved inside the run's ``output_dir``; a name that would escape it (``../x``, an
absolute path) is refused, so a parameter can never make a notebook write elsewhere.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from overdue.errors import ConfigError, NotApplicable
from overdue.io import atomic_path
from overdue.paths import resolve

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class RunOutput:
    """A notebook's handle on its run folder.

    Parameters
    ----------
    output_dir : path
        The run folder (the runner passes ``reports/<run-id>``; interactively the default
        ``reports/interactive``).
    notebook : str
        The notebook's name, prefixing what it writes (``03_logit``).

    Examples
    --------
    >>> import tempfile
    >>> out = RunOutput(tempfile.mkdtemp(), "03_logit")
    >>> out.record("auc", 0.71)
    >>> out.numbers["auc"]
    0.71
    """

    def __init__(self, output_dir: str | os.PathLike, notebook: str):
        if not _SAFE_NAME.match(notebook):
            raise ConfigError(f"notebook name {notebook!r} is not a plain file name")
        self.root = resolve(output_dir).resolve()
        self.notebook = notebook
        self.numbers: dict = {}
        numbers_file = self.path("numbers", f"{notebook}.json")
        if numbers_file.is_file():  # re-running a notebook in the same folder keeps adding
            self.numbers = json.loads(numbers_file.read_text())

    def path(self, kind: str, name: str) -> Path:
        """``<output_dir>/<kind>/<name>``, refusing any name that would leave the run folder."""
        if not _SAFE_NAME.match(name) or not _SAFE_NAME.match(kind):
            raise ConfigError(
                f"output name {kind}/{name} must be a plain file name "
                "(letters, digits, _ . -), not a path"
            )
        target = (self.root / kind / name).resolve()
        if self.root not in target.parents:
            raise ConfigError(
                f"output {kind}/{name} would be written outside the run folder {self.root}"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def record(self, key: str, value) -> None:
        """Record a number (or short text, or a small dict/list of them) the tests and index read."""
        self.numbers[key] = _plain(value)
        with atomic_path(self.path("numbers", f"{self.notebook}.json")) as tmp:
            tmp.write_text(json.dumps(self.numbers, indent=1, sort_keys=True) + "\n")

    def stop_unless(self, condition: bool, reason: str) -> None:
        """Stop the page here, unless ``condition``: add ``reason`` to its headlines and raise
        :class:`~overdue.errors.NotApplicable`, which the runner reports as a page that stopped
        early, for that reason (JupyterLab shows it as the message of the stopped cell).

        Examples
        --------
        >>> import tempfile
        >>> out = RunOutput(tempfile.mkdtemp(), "04_x")
        >>> out.stop_unless(True, "never said")
        >>> out.stop_unless(False, "no payment dates")
        Traceback (most recent call last):
        ...
        overdue.errors.NotApplicable: no payment dates
        >>> out.numbers["headline"]
        ['no payment dates']
        """
        if condition:
            return
        self.record("headline", [*self.numbers.get("headline", []), reason])
        raise NotApplicable(reason)

    def save_figure(self, figure_or_axes, name: str) -> Path:
        """Save a matplotlib figure (or the figure of an Axes) as ``figures/<notebook>_<name>.png``."""
        figure = getattr(figure_or_axes, "figure", figure_or_axes)
        target = self.path("figures", f"{self.notebook}_{name}.png")
        with atomic_path(target) as tmp:
            figure.savefig(
                tmp, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None}
            )  # no version stamp: runs stay comparable
        return target

    def save_table(self, frame: pd.DataFrame, name: str, index: bool = True) -> Path:
        """Save a table as ``tables/<notebook>_<name>.csv`` with fixed float formatting, so the
        same numbers give byte-identical files."""
        target = self.path("tables", f"{self.notebook}_{name}.csv")
        with atomic_path(target) as tmp:
            frame.to_csv(tmp, index=index, float_format="%.10g", lineterminator="\n")
        return target

    def show_left_out(self, left_out: pd.DataFrame) -> Path:
        """Save the terms a page's models leave out (``Study.left_out``) as
        ``tables/<notebook>_left_out.csv`` and, when there are any, show them under a line
        saying why they are not in the models.

        Examples
        --------
        >>> import tempfile
        >>> empty = pd.DataFrame(columns=["family", "term", "why"])
        >>> RunOutput(tempfile.mkdtemp(), "03_logit").show_left_out(empty).name
        '03_logit_left_out.csv'
        """
        target = self.save_table(left_out, "left_out", index=False)
        if len(left_out):
            from IPython.display import display

            print("Left out, as the loan file cannot support them:")
            display(left_out.style.hide(axis="index"))
        return target

    def save_model_table(self, table, name: str) -> dict[str, Path]:
        """Save a side-by-side model table (:class:`overdue.tables.ModelTable`) as
        ``tables/<notebook>_<name>.csv`` (one row a coefficient: label, a cell a model, the
        coefficient's formula name last) and ``.tex`` (booktabs), each written atomically from
        fixed-format strings, so the same fits give byte-identical files.

        Examples
        --------
        >>> import tempfile
        >>> from overdue.models.result import FitResult, tidy_summary
        >>> from overdue.tables import model_table
        >>> fit = FitResult("logit", tidy_summary(["fico"], [-0.012], [0.002]), n=9, events=3,
        ...                 converged=True, link="logit")
        >>> paths = RunOutput(tempfile.mkdtemp(), "03_logit").save_model_table(
        ...     model_table({"Credit": fit}), "nested")
        >>> sorted(path.name for path in paths.values())
        ['03_logit_nested.csv', '03_logit_nested.tex']
        """
        paths = {
            "csv": self.path("tables", f"{self.notebook}_{name}.csv"),
            "tex": self.path("tables", f"{self.notebook}_{name}.tex"),
        }
        # Both rendered before either is written: a table that cannot render leaves neither.
        texts = {
            "csv": table.frame().to_csv(index=False, lineterminator="\n"),
            "tex": table.to_latex(),
        }
        for kind, target in paths.items():
            with atomic_path(target) as tmp:
                tmp.write_text(texts[kind], encoding="utf-8")
        return paths


def _plain(value):
    """JSON-ready value: numpy scalars to Python, NaN to None, 10 significant digits."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, pd.Series, np.ndarray)):
        return [_plain(v) for v in list(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(f"{float(value):.10g}")
    return str(value) if not isinstance(value, str) else value


def collected_numbers(output_dir: str | os.PathLike) -> dict[str, dict]:
    """The numbers every notebook of a run recorded, by notebook, in notebook order.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp(); RunOutput(folder, "01_x").record("headline", ["a"])
    >>> collected_numbers(folder)["01_x"]["headline"]
    ['a']
    """
    folder = resolve(output_dir) / "numbers"
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}
