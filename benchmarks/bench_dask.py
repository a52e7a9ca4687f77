"""Dask benchmark (d): features and loan-month panel for 10 million loans on a 2-worker LocalCluster.

For each size (the main run and a smaller peer, both with the same partition size):

1. ``synthesize`` - :func:`overdue.synthetic.write_synthetic` writes the loans as parquet
   parts of ``--partition`` loans (in this process, one partition at a time).
2. ``build`` - :func:`overdue.build.partitioned.build_features_partitioned` with
   ``backend="dask"`` on a fresh ``LocalCluster`` of ``--workers`` single-threaded worker
   processes: the first pass (FICO cut-offs, snapshot) in this process, then one task per part.

While the build runs, a thread in every worker samples its resident memory every 50 ms
(started with ``client.run``); the peak of each worker is reported, with this process's own peak.
If the pipeline is out-of-core, a worker's peak is set by the partition size, not by the number
of loans: the ratio main/peer of the largest worker peak should be close to 1 while the time
ratio follows the ratio of sizes.

Results are printed and appended to ``benchmarks/results/dask.jsonl``.

Usage: ``python benchmarks/bench_dask.py [--loans 10000000] [--peer-loans 1000000]
[--partition 100000] [--workers 2] [--memory-limit 4GB] [--fred data/raw/fred] [--workdir DIR]``
"""

from __future__ import annotations

import os

# One BLAS thread per process: two cores, shared with other work.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import DEFAULT_FRED, PeakMemory  # noqa: E402
from common import append, machine_description  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "dask.jsonl"


def start_memory_sampler(dask_worker, interval: float = 0.05) -> int:
    """Runs in each worker (via ``client.run``): sample its RSS in a thread; return RSS now."""
    import threading

    import psutil

    process = psutil.Process()
    state = {"peak": process.memory_info().rss, "stop": threading.Event()}

    def sample():
        while not state["stop"].is_set():
            state["peak"] = max(state["peak"], process.memory_info().rss)
            state["stop"].wait(interval)

    threading.Thread(target=sample, daemon=True, name="overdue-memory-sampler").start()
    dask_worker.overdue_memory_sampler = state
    return state["peak"]


def stop_memory_sampler(dask_worker) -> int:
    """Stop the worker's sampler and return its peak RSS in bytes."""
    state = dask_worker.overdue_memory_sampler
    state["stop"].set()
    return state["peak"]


def warm_up_worker() -> str:
    """Import the package in the worker, so its import memory is in the baseline, not the peak."""
    import overdue.build.partitioned  # noqa: F401
    import overdue.features  # noqa: F401

    return "ok"


def run_size(n_loans: int, args, workdir: Path) -> dict:
    from distributed import Client, LocalCluster

    from overdue.build.partitioned import build_features_partitioned
    from overdue.data.fred import macro_panel
    from overdue.synthetic import write_synthetic

    macro = macro_panel(args.fred)
    print(f"{n_loans:,} loans", file=sys.stderr, flush=True)
    started = time.perf_counter()
    write_synthetic(
        n_loans,
        workdir / "book",
        seed=args.seed,
        macro=macro,
        partition_size=args.partition,
        overwrite=True,
    )
    synth_seconds = time.perf_counter() - started
    print(f"  synthesize {synth_seconds:8.1f} s", file=sys.stderr, flush=True)

    gb = 2**30
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=args.memory_limit,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(warm_up_worker)
        baseline = client.run(start_memory_sampler)
        # The workers are this process's children: count them apart, not in the client's peak.
        with PeakMemory(children=False) as client_memory:
            started = time.perf_counter()
            built = build_features_partitioned(
                workdir / "book" / "loans",
                macro,
                workdir / "processed",
                backend="dask",
                client=client,
                macro_source=str(args.fred),
            )
            build_seconds = time.perf_counter() - started
        peaks = client.run(stop_memory_sampler)
    worker_peaks = sorted(round(v / gb, 3) for v in peaks.values())
    print(
        f"  build      {build_seconds:8.1f} s   worker peaks {worker_peaks} GB   "
        f"client peak {client_memory.peak / gb:.2f} GB",
        file=sys.stderr,
        flush=True,
    )
    return {
        "n_loans": n_loans,
        "partition_loans": args.partition,
        "partitions": built.partitions,
        "panel_rows": built.n_panel_rows,
        "synthesize_seconds": round(synth_seconds, 1),
        "build_seconds": round(build_seconds, 1),
        "worker_peak_rss_gb": worker_peaks,
        "worker_baseline_rss_gb": sorted(round(v / gb, 3) for v in baseline.values()),
        "client_peak_rss_gb": round(client_memory.peak / gb, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=10_000_000)
    parser.add_argument("--peer-loans", type=int, default=1_000_000)
    parser.add_argument("--partition", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--fred", type=Path, default=DEFAULT_FRED)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the generated parquet")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_dask_"))
    machine = machine_description()
    runs = {}
    try:
        for label, n in (("peer", args.peer_loans), ("main", args.loans)):
            runs[label] = run_size(n, args, workdir / label)
            if not args.keep:
                shutil.rmtree(workdir / label, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    peer, main_run = runs["peer"], runs["main"]
    ratios = {
        "loans": round(main_run["n_loans"] / peer["n_loans"], 2),
        "build_time": round(main_run["build_seconds"] / peer["build_seconds"], 2),
        "worker_peak_memory": round(
            max(main_run["worker_peak_rss_gb"]) / max(peer["worker_peak_rss_gb"]), 2
        ),
        "client_peak_memory": round(
            main_run["client_peak_rss_gb"] / peer["client_peak_rss_gb"], 2
        ),
    }
    record = {
        "benchmark": "dask",
        "machine": machine,
        "cluster": {
            "workers": args.workers,
            "threads_per_worker": 1,
            "processes": True,
            "memory_limit": args.memory_limit,
        },
        "main": main_run,
        "peer": peer,
        "ratios_main_over_peer": ratios,
    }
    print(
        f"\n{main_run['n_loans']:,} loans ({main_run['panel_rows']:,} loan-months) in "
        f"{main_run['build_seconds']:.0f} s on {args.workers} workers; largest worker peak "
        f"{max(main_run['worker_peak_rss_gb']):.2f} GB vs {max(peer['worker_peak_rss_gb']):.2f} GB "
        f"at {peer['n_loans']:,} loans (ratio {ratios['worker_peak_memory']}, "
        f"size ratio {ratios['loans']}, time ratio {ratios['build_time']})"
    )
    print(f"appended to {append(RESULTS, record).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
