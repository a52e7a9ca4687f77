"""Fetch the raw inputs into ``data/raw/``: from their public addresses or from a local mirror.

Pinned files (LendingClub, the Taiwan card panel) are verified against their SHA-256; a mismatch is an error naming the
file and both sums, and the bad file is not kept. Files already present and verified are not
fetched again. Every fetch writes ``data/raw/CHECKSUMS.json`` with the SHA-256 of each file, so a
run can record exactly which inputs it used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import requests
from tqdm import tqdm  # tqdm.auto warns (no ipywidgets) on each page importing this

from overdue.data.sources import FRED_URL, LENDINGCLUB_URL, TAIWAN_URL, RawFile, raw_files
from overdue.errors import FetchError
from overdue.io import atomic_path

MIRROR_ENV = "OVERDUE_DATA_MIRROR"
CHECKSUMS_NAME = "CHECKSUMS.json"


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a"; _ = p.write_bytes(b"abc")
    >>> sha256_of(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _copy_from_mirror(source: Path, tmp: Path) -> None:
    if not source.is_file():
        raise FetchError(
            f"{source}: not in the local mirror (expected the mirror's layout: "
            "lendingclub/*.rda, fred/state/XXUR.csv, fred/national/*.csv, "
            "taiwan/UCI_Credit_Card.csv)"
        )
    shutil.copyfile(source, tmp)


def _download(url: str, tmp: Path, label: str, timeout: float) -> None:
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            total = int(response.headers.get("content-length", 0)) or None
            with (
                open(tmp, "wb") as out,
                tqdm(
                    total=total, unit="B", unit_scale=True, desc=label, leave=False, disable=None
                ) as bar,
            ):
                for block in response.iter_content(1 << 16):
                    out.write(block)
                    bar.update(len(block))
    except requests.RequestException as error:
        raise FetchError(f"{url}: download of {label} failed: {error}") from error


def fetch(
    raw_dir: str | os.PathLike = "data/raw",
    mirror: str | os.PathLike | None = None,
    lendingclub_url: str = LENDINGCLUB_URL,
    fred_url: str = FRED_URL,
    taiwan_url: str = TAIWAN_URL,
    force: bool = False,
    timeout: float = 60.0,
) -> dict[str, str]:
    """Put every raw input in ``raw_dir``, verified, and return ``{relpath: sha256}``.

    Parameters
    ----------
    raw_dir : path
        Destination (``data/raw``). Existing verified files are kept as they are.
    mirror : path, optional
        A local folder with the mirror's layout to copy from instead of downloading; defaults to
        the environment variable ``OVERDUE_DATA_MIRROR`` when set.
    lendingclub_url, fred_url, taiwan_url : str
        URL templates for downloads (overridable, e.g. for a test server).
    force : bool
        Fetch again even files that are present.
    timeout : float
        Seconds before a download attempt gives up.

    Raises
    ------
    FetchError
        A file is missing from the mirror, a download failed, or a checksum does not match
        (the bad file is deleted, never kept).

    Examples
    --------
    >>> sums = fetch("data/raw", mirror="../shared/data")  # doctest: +SKIP
    """
    raw_dir = Path(raw_dir)
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    checksums: dict[str, str] = {}
    files = raw_files(lendingclub_url, fred_url, taiwan_url)
    with tqdm(files, desc="fetch", unit="file", disable=None) as bar:
        for item in bar:
            bar.set_postfix_str(item.relpath)
            checksums[item.relpath] = _fetch_one(item, raw_dir, mirror, force, timeout)
    with atomic_path(raw_dir / CHECKSUMS_NAME) as tmp:
        tmp.write_text(json.dumps(checksums, indent=1, sort_keys=True) + "\n")
    return checksums


def _fetch_one(item: RawFile, raw_dir: Path, mirror, force: bool, timeout: float) -> str:
    target = raw_dir / item.relpath
    if target.is_file() and not force:
        digest = sha256_of(target)
        if item.sha256 is None or digest == item.sha256:
            return digest
        # A present file with the wrong sum is replaced, never trusted.
    with atomic_path(target) as tmp:
        if mirror:
            _copy_from_mirror(Path(mirror) / item.relpath, tmp)
            origin = str(Path(mirror) / item.relpath)
        else:
            _download(item.url, tmp, item.relpath, timeout)
            origin = item.url
        digest = sha256_of(tmp)
        if item.sha256 is not None and digest != item.sha256:
            # Raising inside atomic_path deletes the temporary file: nothing bad is kept.
            raise FetchError(
                f"{origin}: checksum mismatch for {item.relpath}: expected sha256 "
                f"{item.sha256}, got {digest}; the file was not kept"
            )
    return digest


def read_checksums(raw_dir: str | os.PathLike = "data/raw") -> dict[str, str]:
    """The ``{relpath: sha256}`` recorded by the last :func:`fetch` (empty if never fetched)."""
    path = Path(raw_dir) / CHECKSUMS_NAME
    return json.loads(path.read_text()) if path.is_file() else {}
