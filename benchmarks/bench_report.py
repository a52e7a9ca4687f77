"""Benchmark (a): everything `make report` publishes, per notebook, and in total.

`make report` runs `make data` (fetch, build), then one `overdue run` of every config of the
Makefile's ``REPORT_CONFIGS`` (one per study, their notebooks sharing one pool of kernels). This
script does the same steps in child processes, each timed: the data step, then the run (its wall
time, and from each run folder's manifest each notebook's time and when it started, since
notebooks run concurrently). The figure the target is about is ``publish_wall_seconds``: the run,
which is what `make report` publishes. It also records the CPU time the run used (kernels
included), the largest child's peak memory and the machine's load (1-minute load average before
and after, from ``os.getloadavg``: the machine may be shared), then prints the figures and appends
them to ``benchmarks/results/report.jsonl``. With ``--smoke`` it also times the smoke config (5%
sample), so the ratio to it stays comparable across machines.

    .venv/bin/python benchmarks/bench_report.py [--smoke] [--max-workers N] [--no-data]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine_description, record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OVERDUE = [sys.executable, "-m", "overdue.cli"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> float:
    return round(os.getloadavg()[0], 2)


def report_configs() -> list[str]:
    """The configs `make report` runs (the Makefile's REPORT_CONFIGS)."""
    out = subprocess.run(
        ["make", "--no-print-directory", "-s", "report-configs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    return round(time.perf_counter() - started, 1)


def run(configs: list[str], run_id: str, max_workers: int | None) -> dict:
    """One `overdue run` of ``configs`` (as `make report` runs them: at once, on one pool of
    kernels): its wall and CPU time, and each run folder's figures from its manifest."""
    workers = ["--max-workers", str(max_workers)] if max_workers else []
    config_args = [arg for config in configs for arg in ("--config", config)]
    load_before, cpu_before = load(), cpu_seconds()
    wall = timed([*OVERDUE, "run", *config_args, "--run-id", run_id, *workers])
    runs = []
    for config in configs:
        name = run_id if len(configs) == 1 else f"{run_id}-{Path(config).stem}"
        manifest = json.loads((ROOT / "reports" / name / "manifest.json").read_text())
        runs.append(
            {
                "config": config,
                "run_id": name,
                "seconds": manifest.get("seconds"),
                "notebook_seconds": {
                    nb: info["seconds"] for nb, info in manifest["notebooks"].items()
                },
                "notebook_started_after": {
                    nb: info.get("started_after") for nb, info in manifest["notebooks"].items()
                },
            }
        )
    return {
        "wall_seconds": wall,
        "cpu_seconds": round(cpu_seconds() - cpu_before, 1),
        "max_workers": manifest.get("max_workers"),
        "load_1m_before": load_before,
        "load_1m_after": load(),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="also time the smoke config")
    parser.add_argument("--no-data", action="store_true", help="skip the data step")
    parser.add_argument("--max-workers", type=int, default=None, help="notebooks at once")
    args = parser.parse_args()
    machine = machine_description()
    stamp = time.strftime("%Y%m%dT%H%M%S")
    figures: dict = {"load_1m_at_start": load()}
    if not args.no_data:
        figures["data_wall_seconds"] = timed(["make", "--no-print-directory", "-s", "data"])
    configs = report_configs()
    published = run(configs, f"bench-{stamp}", args.max_workers)
    figures |= {
        "report_configs": configs,
        "publish_wall_seconds": published["wall_seconds"],
        "target_seconds": 75,
        "publish": published,
    }
    if args.smoke:
        smoke = run(["configs/smoke.yaml"], f"bench-smoke-{stamp}", args.max_workers)
        figures["smoke"] = smoke
        figures["publish_over_smoke"] = round(published["wall_seconds"] / smoke["wall_seconds"], 2)
    figures["peak_rss_gib_largest_child"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2
    )
    figures["load_1m_at_end"] = load()
    print(json.dumps(figures, indent=1))
    print("recorded in", record("report", figures, machine))


if __name__ == "__main__":
    main()
