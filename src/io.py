"""Atomic file writes: a reader never sees a half-written output, and a failed write leaves the
previous file in place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same directory as the target, so os.replace is an atomic rename on one file system.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs should be as readable as any file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet_atomic(frame: pd.DataFrame, target: str | os.PathLike) -> Path:
    """Write ``frame`` to parquet at ``target`` atomically and return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_parquet_atomic(pd.DataFrame({"a": [1]}), pathlib.Path(tempfile.mkdtemp()) / "a.parquet")
    >>> pd.read_parquet(p)["a"].tolist()
    [1]
    """
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(target)


@contextlib.contextmanager
def exclusive_lock(folder: str | os.PathLike, name: str = ".lock"):
    """Hold an exclusive lock on ``folder/name`` for the block (waiting for another holder).

    The lock is an ``flock``: the operating system releases it when its process ends, even by
    SIGKILL, so a killed run never leaves a stale lock behind.

    Examples
    --------
    >>> import tempfile
    >>> with exclusive_lock(tempfile.mkdtemp()):
    ...     pass
    """
    import fcntl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete temporary files :func:`atomic_path` left behind when a process was killed.

    Call it while holding :func:`exclusive_lock` on the folder, so no live writer's file goes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / ".x.parquet.abc.tmp").write_text("half")
    >>> [p.name for p in remove_stale_temporaries(d)]
    ['.x.parquet.abc.tmp']
    """
    stale = sorted(Path(folder).glob(".*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def read_yaml_mapping(path: str | os.PathLike, kind: str, allowed: set[str]) -> dict:
    """Read a YAML file that must hold a mapping with only ``allowed`` top-level keys; any problem
    is a :class:`~overdue.errors.ConfigError` naming the file (``kind`` says what it is for).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"; _ = p.write_text("parameters: {seed: 1}")
    >>> read_yaml_mapping(p, "config", {"parameters"})
    {'parameters': {'seed': 1}}
    """
    import yaml

    from overdue.errors import ConfigError

    path = Path(path)
    try:
        content = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: {kind} file not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from None
    if not isinstance(content, dict):
        raise ConfigError(
            f"{path}: a {kind} file holds a YAML mapping of {', '.join(sorted(allowed))}"
        )
    unknown = sorted(set(content) - allowed)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; known: {sorted(allowed)}")
    return content
