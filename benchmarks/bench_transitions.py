"""Transitions at scale: streamed counts, roll rates and per-origin multinomial logits over a
partitioned delinquency panel, against 120 s and 3 GB; statsmodels' in-memory MNLogit as anchor.

1. Simulates a delinquency panel (:func:`overdue.synthetic.write_synthetic_delinquency`: a Markov
   chain over buckets with absorbing default and closure and covariate-dependent moves) of
   ``--accounts`` accounts x ``--months`` months into a temporary parquet folder, 100,000
   accounts a file, never the whole panel in memory (not timed against the budget).
2. In a fresh process: one streaming pass (:func:`overdue.models.transitions_streamed.
   stream_transitions`, 1M-row batches) for the pooled one-month matrix and the transitions out
   of buckets 1, 2 and 3+ with their covariates (utilisation and the log credit line, the
   account features computed batch by batch from the panel's own columns), then the roll and cure
   rates and the three multinomial logits with account-clustered errors
   (:func:`~overdue.models.transitions_streamed.fit_origin_sample`): wall time and peak RSS.
3. The anchor, on the largest subset that fits comfortably in memory (``--subset-accounts``,
   whole files): in one process the in-memory path (read the subset, ``transition_pairs``, the
   features, statsmodels ``MNLogit`` through :func:`~overdue.models.transitions.
   fit_transition_logit`) and in another the streamed path on the same files: times, peak RSS,
   their ratio and the largest coefficient and SE differences.

Every measurement runs in its own spawned process so its ``ru_maxrss`` is its own; BLAS runs
single-threaded. Usage: ``python benchmarks/bench_transitions.py [--accounts 2260000]
[--months 36] [--subset-accounts 300000]``; appends a record with the machine description to
``benchmarks/results/transitions.jsonl``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import append, machine_description  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "transitions.jsonl"
ORIGINS = ["1", "2", "3+"]
COVARIATES = ["utilisation", "log_credit_line"]
ACCOUNTS_PER_FILE = 100_000
BUDGET_SECONDS, BUDGET_GIB = 120, 3.0


def _peak_gib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def prepare(batch):
    """The two account features the logits use, from the panel's own columns."""
    from overdue.features.accounts import log_credit_line, utilisation
    from overdue.features.registry import FeatureContext

    context = FeatureContext()
    return batch.assign(
        utilisation=utilisation(batch, context), log_credit_line=log_credit_line(batch, context)
    )


def _streamed(folder: str, queue) -> None:
    from overdue.models.transitions import roll_cure_rates
    from overdue.models.transitions_streamed import fit_origin_sample, stream_transitions

    started = time.perf_counter()
    streamed = stream_transitions(
        folder,
        origins=ORIGINS,
        covariates=COVARIATES,
        prepare=prepare,
        columns=["balance", "credit_line"],
        batch_rows=1_000_000,
    )
    counted = time.perf_counter() - started
    rates = roll_cure_rates(streamed.matrix)
    fits = {origin: fit_origin_sample(streamed.samples[origin]) for origin in ORIGINS}
    seconds = time.perf_counter() - started
    queue.put(
        {
            "seconds": round(seconds, 2),
            "stream_seconds": round(counted, 2),
            "peak_rss_gib": round(_peak_gib(), 3),
            "rows": streamed.rows,
            "batches": streamed.batches,
            "accounts": streamed.accounts,
            "transitions": int(streamed.matrix.table["count"].sum()),
            "kept_rows": {o: len(s.moves) for o, s in streamed.samples.items()},
            "roll_rates": rates.set_index("from")["roll_rate"].round(5).to_dict(),
            "cure_rates": rates.set_index("from")["cure_rate"].dropna().round(5).to_dict(),
            "iterations": {o: f.iterations for o, f in fits.items()},
            "converged": all(f.converged for f in fits.values()),
            "params": {o: f.params.to_dict() for o, f in fits.items()},
            "se": {o: f.summary["se"].to_dict() for o, f in fits.items()},
        }
    )


def _in_memory(files: list[str], queue) -> None:
    import pandas as pd

    from overdue.models.transitions import fit_transition_logit, transition_pairs

    started = time.perf_counter()
    read = ["account_id", "month", "bucket", "balance", "credit_line"]
    panel = prepare(
        pd.concat([pd.read_parquet(f, columns=read) for f in files], ignore_index=True)
    )
    pairs = transition_pairs(panel, columns=["account_id", "month", "bucket", *COVARIATES])
    fits = {
        origin: fit_transition_logit(pairs, " + ".join(COVARIATES), origin=origin, tol=1e-12)
        for origin in ORIGINS
    }
    queue.put(
        {
            "seconds": round(time.perf_counter() - started, 2),
            "peak_rss_gib": round(_peak_gib(), 3),
            "rows": len(panel),
            "params": {o: f.params.to_dict() for o, f in fits.items()},
            "se": {o: f.summary["se"].to_dict() for o, f in fits.items()},
        }
    )


def _in_child(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def _largest_difference(a: dict, b: dict) -> float:
    return max(abs(a[o][k] - b[o][k]) / max(1.0, abs(b[o][k])) for o in b for k in b[o])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2_260_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--subset-accounts", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--blas-threads", default="1")
    parser.add_argument("--keep", default=None, help="write the panel here and keep it")
    parser.add_argument("--results", default=str(RESULTS), help="the results file to append to")
    args = parser.parse_args()
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = args.blas_threads

    from overdue.synthetic import DelinquencyDesign, write_synthetic_delinquency

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_transitions_"))
    try:
        started = time.perf_counter()
        write_synthetic_delinquency(
            folder,
            args.accounts,
            seed=args.seed,
            design=DelinquencyDesign(months=args.months),
            accounts_per_file=ACCOUNTS_PER_FILE,
        )
        simulated = time.perf_counter() - started
        panel_dir = folder / "delinquency"
        size = sum(p.stat().st_size for p in panel_dir.glob("*.parquet"))
        print(f"simulated {args.accounts:,} accounts x {args.months} months in {simulated:.0f} s")

        full = _in_child(_streamed, str(panel_dir))
        print(
            f"streamed {full['rows']:,} account-months in {full['seconds']:.1f} s "
            f"(pass {full['stream_seconds']:.1f} s), peak RSS {full['peak_rss_gib']:.2f} GiB"
        )
        files = sorted(str(p) for p in panel_dir.glob("*.parquet"))
        subset = files[: max(1, args.subset_accounts // ACCOUNTS_PER_FILE)]
        subset_dir = folder / "subset"
        subset_dir.mkdir(exist_ok=True)
        for path in subset:
            shutil.copy(path, subset_dir)
        memory = _in_child(_in_memory, subset)
        streamed_subset = _in_child(_streamed, str(subset_dir))
        entry = {
            "benchmark": "transitions",
            "accounts": args.accounts,
            "months": args.months,
            "account_months": full["rows"],
            "parquet_gib": round(size / 2**30, 3),
            "simulate_seconds": round(simulated, 1),
            "full": {k: v for k, v in full.items() if k not in ("params", "se")},
            "budget": {"seconds": BUDGET_SECONDS, "peak_rss_gib": BUDGET_GIB},
            "within_budget": full["seconds"] <= BUDGET_SECONDS
            and full["peak_rss_gib"] <= BUDGET_GIB,
            "anchor": {
                "subset_account_months": memory["rows"],
                "statsmodels_in_memory_seconds": memory["seconds"],
                "statsmodels_in_memory_peak_rss_gib": memory["peak_rss_gib"],
                "streamed_seconds": streamed_subset["seconds"],
                "streamed_peak_rss_gib": streamed_subset["peak_rss_gib"],
                "time_ratio_in_memory_to_streamed": round(
                    memory["seconds"] / streamed_subset["seconds"], 2
                ),
                "max_relative_coefficient_difference": _largest_difference(
                    streamed_subset["params"], memory["params"]
                ),
                "max_relative_se_difference": max(
                    abs(streamed_subset["se"][o][k] / memory["se"][o][k] - 1)
                    for o in memory["se"]
                    for k in memory["se"][o]
                ),
            },
            "machine": machine_description(),
        }
        print(
            f"anchor on {memory['rows']:,} account-months: statsmodels in memory "
            f"{memory['seconds']:.1f} s / {memory['peak_rss_gib']:.2f} GiB, streamed "
            f"{streamed_subset['seconds']:.1f} s / {streamed_subset['peak_rss_gib']:.2f} GiB; "
            f"largest coefficient difference "
            f"{entry['anchor']['max_relative_coefficient_difference']:.2g}"
        )
        print(f"appended to {append(args.results, entry)}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
