"""A run's pages as a reader's browser shows them: ``index.html`` and every notebook page rendered
by headless Chromium to PNG under ``<run>/screenshots/`` (``make screenshots``).

Chromium runs once per page, with a new empty profile, no network services of its own, and
``--no-sandbox`` only when running as root (where its sandbox cannot start).

Examples
--------
>>> find_chromium() is None or find_chromium().name.startswith(("chromium", "google-chrome"))
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from overdue.errors import ConfigError

#: Executables tried, in order (Debian's package installs ``chromium``).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> Path | None:
    """The first Chromium on ``PATH`` (or ``$CHROMIUM``), or None."""
    for name in ([os.environ["CHROMIUM"]] if os.environ.get("CHROMIUM") else []) + list(BROWSERS):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def pages_of(run_dir: Path) -> list[Path]:
    """``index.html`` first, then the notebook pages in order."""
    pages = sorted(p for p in run_dir.glob("*.html") if p.name != "index.html")
    index = run_dir / "index.html"
    return ([index] if index.is_file() else []) + pages


def screenshot_run(
    run_dir: str | os.PathLike,
    width: int = 1280,
    height: int = 2000,
    browser: Path | None = None,
    echo=print,
) -> list[Path]:
    """Render every page of a run folder to ``<run>/screenshots/<page>.png``.

    Parameters
    ----------
    run_dir : path
        A run folder (``reports/latest``, ``reports/<run-id>``).
    width, height : int
        The browser window, in CSS pixels: a laptop's width, and how much of each page is shot.
    browser : path, optional
        Chromium's executable (default :func:`find_chromium`).

    Raises
    ------
    ConfigError
        No Chromium found, or no page in the folder.
    """
    run_dir = Path(run_dir).resolve()
    browser = browser or find_chromium()
    if browser is None:
        raise ConfigError(
            "no Chromium found (tried " + ", ".join(BROWSERS) + "): install Debian's chromium "
            "(apt-get install chromium) or set CHROMIUM to its path"
        )
    pages = pages_of(run_dir)
    if not pages:
        raise ConfigError(f"{run_dir}: no HTML pages to render")
    out = run_dir / "screenshots"
    out.mkdir(exist_ok=True)
    shots = []
    for page in pages:
        target = out / f"{page.stem}.png"
        with tempfile.TemporaryDirectory(prefix="overdue-chromium-") as profile:
            command = [
                str(browser),
                *FLAGS,
                *(["--no-sandbox"] if os.geteuid() == 0 else []),
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={target}",
                page.as_uri(),
            ]
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or not target.is_file():
            raise ConfigError(
                f"{browser.name} could not render {page.name} (exit {result.returncode}): "
                + (result.stderr.strip().splitlines() or [""])[-1]
            )
        echo(f"{page.name} -> {target.relative_to(run_dir.parent)}")
        shots.append(target)
    return shots
