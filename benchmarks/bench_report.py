"""Benchmark (a): the full report on the real data, per notebook.

Runs ``overdue run --config configs/default.yaml`` in a child process (as `make report` does,
after `make data`), reads the per-notebook times from the run's manifest, measures the child's
peak memory, prints them and appends them to ``benchmarks/results/report.jsonl``. As a peer in the
same script it times the smoke config (5% sample), so the ratio full/smoke is comparable across
machines.

    .venv/bin/python benchmarks/bench_report.py
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine_description, record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run(config: str, run_id: str) -> dict:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "overdue.cli", "run", "--config", config, "--run-id", run_id],
        cwd=ROOT,
        check=True,
    )
    wall = time.perf_counter() - started
    manifest = json.loads((ROOT / "reports" / run_id / "manifest.json").read_text())
    return {
        "wall_seconds": round(wall, 1),
        "notebook_seconds": {
            name: info["seconds"] for name, info in manifest["notebooks"].items()
        },
    }


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    machine = machine_description()
    stamp = time.strftime("%Y%m%dT%H%M%S")
    smoke = run("configs/smoke.yaml", f"bench-smoke-{stamp}")
    full = run("configs/default.yaml", f"bench-full-{stamp}")
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    figures = {
        "full": full,
        "smoke": smoke,
        "full_over_smoke": round(full["wall_seconds"] / smoke["wall_seconds"], 2),
        "peak_rss_gib_largest_child": round(peak_gib, 2),
    }
    print(json.dumps(figures, indent=1))
    print("recorded in", record("report", figures, machine))


if __name__ == "__main__":
    main()
