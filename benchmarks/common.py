"""What every benchmark script shares: the machine description and the results file."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
PACKAGES = [
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "lifelines",
    "pyarrow",
    "dask",
    "distributed",
]


def machine_description() -> dict:
    """CPU model, cores, memory, load, Python and package versions, date."""

    def first(path: str, prefix: str) -> str | None:
        try:
            return next(
                (
                    line.split(":", 1)[1].strip()
                    for line in Path(path).read_text().splitlines()
                    if line.startswith(prefix)
                ),
                None,
            )
        except OSError:
            return None

    memory = first("/proc/meminfo", "MemTotal")
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "cpu": first("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory.split()[0]) / 2**20, 1) if memory else None,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def append(path: str | os.PathLike, entry: dict) -> Path:
    """Append one JSON line to a results file (creating its folder) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        # numpy scalars become numbers, anything else its text
        handle.write(
            json.dumps(entry, default=lambda v: v.item() if hasattr(v, "item") else str(v)) + "\n"
        )
    return path


def record(name: str, figures: dict, machine: dict | None = None) -> Path:
    """Append ``figures`` with the machine description to ``benchmarks/results/<name>.jsonl``."""
    return append(
        RESULTS / f"{name}.jsonl",
        {"benchmark": name, **figures, "machine": machine or machine_description()},
    )
