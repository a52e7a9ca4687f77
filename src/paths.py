"""Where the project is: parameter paths are read relative to its root, wherever code runs from."""

from __future__ import annotations

import os
from pathlib import Path


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The folder holding ``pyproject.toml`` at or above ``start`` (default: the working directory),
    so notebooks find the data whether run from ``notebooks/`` in JupyterLab or by the runner.

    Examples
    --------
    >>> (project_root() / "pyproject.toml").is_file()  # doctest: +SKIP
    True
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").is_file() and (folder / "src").is_dir():
            return folder
    return here


def resolve(path: str | os.PathLike) -> Path:
    """A parameter path, relative to the project root unless absolute.

    Examples
    --------
    >>> resolve("/tmp/x").as_posix()
    '/tmp/x'
    """
    path = Path(path)
    return path if path.is_absolute() else project_root() / path
