"""Scale benchmark (b): build + logit + Cox + discrete-time hazard on 2.26 million synthetic loans.

One run, in a fresh child process so that its peak memory is its own:

1. ``synthesize`` - :func:`overdue.synthetic.write_synthetic`: loans on the real FRED state
   unemployment, written partition by partition (``--partition`` loans each).
2. ``build`` - :func:`overdue.build.partitioned.build_features_partitioned` with the pandas
   backend: features and loan-month panel, one partition in memory at a time.
3. ``logit`` - :func:`overdue.models.irls.fit_glm_irls`, logit of ``defaulted`` on the true
   covariates (unemployment at issue), streamed over the features parquet.
4. ``cox`` - :func:`overdue.models.cox.fit_cox` of time to default (prepayment censors),
   on the features' model columns read into memory (one row per loan).
5. ``hazard`` - :func:`overdue.models.hazard.fit_discrete_hazard`, cloglog with 6-month baseline
   bands and time-varying state unemployment, streamed over the panel parquet, loan-clustered
   standard errors, warm-started from a fit on a tenth of the panel parts (timed with it); its
   estimates are compared with the simulation's truth (z-scores).

Each stage reports wall time and peak resident memory (this process and its children, sampled
every 50 ms with psutil); the run reports ``ru_maxrss``. The peer is the same pipeline on a tenth
of the loans, in its own process: the ratios (time per loan, peak memory) show whether the
pipeline scales linearly in time and stays flat in memory. Targets on the project's 2-core
machine: under 5 minutes and 6 GB for 2.26 million loans. The machine is shared; its load
average is recorded with the result.

Results are printed and appended to ``benchmarks/results/scale.jsonl``.

Usage: ``python benchmarks/bench_scale.py [--loans 2260000] [--peer-fraction 0.1]
[--partition 100000] [--fred data/raw/fred] [--workdir DIR] [--keep]``
"""

from __future__ import annotations

import os

# One BLAS thread: the machine has two cores and is shared; threaded BLAS only contends.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import psutil  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from common import append, machine_description  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale.jsonl"
DEFAULT_FRED = next(
    (
        p
        for p in [ROOT / "data" / "raw" / "fred", ROOT.parent / "shared" / "data" / "fred"]
        if (p / "state" / "CAUR.csv").is_file()
    ),
    ROOT / "data" / "raw" / "fred",
)
LOAN_FORMULA_RHS = (
    "fico + dti + log_income + inq_last_6mths + purpose_group + meets_policy"
    " + income_verified + state_unemp"
)


class PeakMemory:
    """Samples the resident memory of this process (and by default its children) in a thread."""

    def __init__(self, interval: float = 0.05, children: bool = True):
        self.interval = interval
        self.children = children
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True) if self.children else []:
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def timed(stages: dict, name: str, action):
    """Run ``action()``, record its wall time and peak memory under ``name``, return its value."""
    with PeakMemory() as memory:
        started = time.perf_counter()
        value = action()
        seconds = time.perf_counter() - started
    stages[name] = {"seconds": round(seconds, 2), "peak_rss_gb": round(memory.peak / 2**30, 3)}
    # Progress goes to stderr, which the parent passes through; stdout carries the result.
    print(
        f"  {name:<10} {seconds:8.1f} s   peak {memory.peak / 2**30:6.2f} GB",
        file=sys.stderr,
        flush=True,
    )
    return value


def run_once(n_loans: int, partition: int, fred: Path, workdir: Path, seed: int) -> dict:
    """The whole pipeline on ``n_loans`` synthetic loans; returns stage timings and checks."""
    from overdue.build.partitioned import build_features_partitioned
    from overdue.data.fred import macro_panel
    from overdue.models.cox import fit_cox
    from overdue.models.hazard import fit_discrete_hazard
    from overdue.models.irls import fit_glm_irls
    from overdue.synthetic import write_synthetic

    stages: dict = {}
    macro = macro_panel(fred)
    book = workdir / "book"
    truth = timed(
        stages,
        "synthesize",
        lambda: write_synthetic(
            n_loans, book, seed=seed, macro=macro, partition_size=partition, overwrite=True
        ),
    )
    built = timed(
        stages,
        "build",
        lambda: build_features_partitioned(
            book / "loans",
            macro,
            workdir / "processed",
            backend="pandas",
            macro_source=str(fred),
            batch_rows=partition,
        ),
    )
    categories = truth["categories"]
    logit = timed(
        stages,
        "logit",
        lambda: fit_glm_irls(
            built.features_dir,
            LOAN_FORMULA_RHS,
            outcome="defaulted",
            link="logit",
            categories=categories,
        ),
    )

    def cox():
        import pyarrow.dataset as pads

        columns = [
            "time",
            "defaulted",
            "fico",
            "dti",
            "log_income",
            "inq_last_6mths",
            "purpose_group",
            "meets_policy",
            "income_verified",
            "state_unemp",
        ]
        loans = pads.dataset(built.features_dir).to_table(columns=columns).to_pandas()
        loans["purpose_group"] = pd.Categorical(
            loans["purpose_group"], categories["purpose_group"]
        )
        return fit_cox(loans, LOAN_FORMULA_RHS, duration="time", event="defaulted")

    cox_fit = timed(stages, "cox", cox)

    def hazard_fit():
        import pyarrow.dataset as pads

        options = dict(
            baseline_form="bands",
            band_months=truth["band_months"],
            max_month=60,
            categories=categories,
        )
        # Warm start from a tenth of the panel parts (as irls recommends at scale): the full
        # streamed fit then needs a few passes instead of eight. The parts are exchangeable
        # (every partition is drawn alike), so any tenth will do.
        parts = sorted(built.panel_dir.glob("*.parquet"))
        subsample = pads.dataset(
            [str(p) for p in parts[: max(1, len(parts) // 10)]], format="parquet"
        )
        start = fit_discrete_hazard(subsample, truth["formula_rhs"], cluster=None, **options)
        full = fit_discrete_hazard(
            built.panel_dir, truth["formula_rhs"], start_params=start.params.to_numpy(), **options
        )
        return full, start.iterations

    hazard, warm_start_iterations = timed(stages, "hazard", hazard_fit)

    true = pd.Series(truth["default"]["coefficients"])
    z = (hazard.summary["estimate"] - true[hazard.summary.index]) / hazard.summary["se"]
    effects = [t for t in z.index if not t.startswith(("Intercept", "baseline"))]
    return {
        "n_loans": n_loans,
        "partition_loans": partition,
        "panel_rows": built.n_panel_rows,
        "defaults": int(hazard.events),
        "stages": stages,
        "total_seconds": round(sum(s["seconds"] for s in stages.values()), 1),
        "peak_rss_gb": round(max(s["peak_rss_gb"] for s in stages.values()), 3),
        "ru_maxrss_gb": round(
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 2**20,
            3,
        ),
        "converged": {
            "logit": logit.converged,
            "cox": cox_fit.converged,
            "hazard": hazard.converged,
        },
        "iterations": {
            "logit": logit.iterations,
            "hazard": hazard.iterations,
            "hazard_warm_start": warm_start_iterations,
        },
        "hazard_vs_truth": {
            "max_abs_z": round(float(z.abs().max()), 2),
            "max_abs_z_effects": round(float(z[effects].abs().max()), 2),
            "share_in_95ci": round(float((z.abs() < 1.96).mean()), 3),
            "fico": [
                round(float(hazard.params["fico"]), 5),
                truth["default"]["coefficients"]["fico"],
            ],
            "state_unemp_tv": [
                round(float(hazard.params["state_unemp_tv"]), 4),
                truth["default"]["coefficients"]["state_unemp_tv"],
            ],
        },
        "cox_fico": round(float(cox_fit.params["fico"]), 5),
        "logit_fico": round(float(logit.params["fico"]), 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=2_260_000)
    parser.add_argument("--peer-fraction", type=float, default=0.1)
    parser.add_argument("--partition", type=int, default=100_000)
    parser.add_argument("--fred", type=Path, default=DEFAULT_FRED)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the generated parquet")
    parser.add_argument("--run-one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run_one is not None:  # child: one size, result as the last line of stdout
        result = run_once(args.run_one, args.partition, args.fred, args.workdir, args.seed)
        print(json.dumps(result))
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_scale_"))
    machine = machine_description()
    runs = {}
    try:
        for label, n in (
            ("peer", max(1, round(args.loans * args.peer_fraction))),
            ("main", args.loans),
        ):
            print(f"{label}: {n:,} loans", flush=True)
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--run-one",
                    str(n),
                    "--partition",
                    str(args.partition),
                    "--fred",
                    str(args.fred),
                    "--workdir",
                    str(workdir / label),
                    "--seed",
                    str(args.seed),
                ],
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
            runs[label] = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    peer, main_run = runs["peer"], runs["main"]
    size_ratio = main_run["n_loans"] / peer["n_loans"]
    ratios = {
        "loans": round(size_ratio, 2),
        "time": round(main_run["total_seconds"] / peer["total_seconds"], 2),
        "time_per_loan": round(main_run["total_seconds"] / peer["total_seconds"] / size_ratio, 3),
        "peak_memory": round(main_run["peak_rss_gb"] / peer["peak_rss_gb"], 2),
        "stage_time": {
            s: round(main_run["stages"][s]["seconds"] / max(peer["stages"][s]["seconds"], 1e-9), 2)
            for s in main_run["stages"]
        },
    }
    record = {
        "benchmark": "scale",
        "machine": machine,
        "main": main_run,
        "peer": peer,
        "ratios_main_over_peer": ratios,
        "targets": {"seconds": 300, "peak_rss_gb": 6.0},
        "meets_targets": {
            "time": main_run["total_seconds"] < 300,
            "memory": main_run["peak_rss_gb"] < 6.0,
        },
    }
    print(
        f"\n{main_run['n_loans']:,} loans, {main_run['panel_rows']:,} loan-months: "
        f"{main_run['total_seconds']:.0f} s, peak {main_run['peak_rss_gb']:.2f} GB "
        f"(peer x{size_ratio:.0f} smaller: time ratio {ratios['time']}, memory ratio {ratios['peak_memory']})"
    )
    print(f"hazard vs truth: {main_run['hazard_vs_truth']}")
    print(f"appended to {append(RESULTS, record).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
