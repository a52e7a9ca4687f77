"""Benchmark: Cox PH (Efron ties) on simulated monthly loan durations, ours against peers.

Simulates ``--n`` loans (default 1,000,000) with six covariates, whole-month durations up to
60 and about 15% defaults, then fits the same model with

* ``overdue.models.cox.fit_cox`` (whose time includes Harrell's concordance, which R's
  ``coxph`` computes too),
* R's ``coxph`` (survival), timing only the ``coxph()`` call inside R with ``system.time``
  (data handed over as a raw binary file, so reading it is not timed),
* statsmodels' ``PHReg``,
* lifelines' ``CoxPHFitter`` — on all loans, or on the first ``--lifelines-n`` when given
  (for machines where it is too slow or memory hungry); ours is then also timed on that same
  subset so that the ratio compares like with like.

Prints wall-clock times, ratios (peer time / our time) and the largest absolute difference of
the estimates from ours, and appends them with a machine description to
benchmarks/results/cox.jsonl. Each method runs ``--repeats`` times (lifelines and
statsmodels once) and the fastest run counts. CPU seconds (process time; R's user + system)
are recorded beside wall time, as the machine may be shared: the load average at the start
is part of the record.

Usage: ``python benchmarks/bench_cox.py --n 1000000``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import append, machine_description  # noqa: E402

from overdue.models.cox import fit_cox

RESULTS = Path(__file__).parent / "results" / "cox.jsonl"
COVARIATES = ["fico_z", "dti_z", "log_income_z", "revol_util", "short_term", "verified"]
TRUE_BETA = np.array([-0.45, 0.20, -0.15, 0.60, -0.30, 0.10])


def simulate(n: int, seed: int = 2024) -> pd.DataFrame:
    """Loans with a Cox hazard, monthly durations (1..60) and about 15% defaults."""
    rng = np.random.default_rng(seed)
    loans = pd.DataFrame(
        {
            "fico_z": rng.normal(size=n),
            "dti_z": rng.normal(size=n),
            "log_income_z": rng.normal(size=n),
            "revol_util": rng.uniform(0, 1, size=n),
            "short_term": rng.integers(0, 2, size=n).astype(float),
            "verified": rng.integers(0, 2, size=n).astype(float),
        }
    )
    latent = np.ceil(
        rng.exponential(1 / (0.0042 * np.exp(loans[COVARIATES].to_numpy() @ TRUE_BETA)))
    )
    follow_up = np.where(loans["short_term"] == 1, 36, 60)
    follow_up = np.minimum(follow_up, rng.integers(6, 61, size=n))
    loans["time"] = np.minimum(latent, follow_up).astype(np.int64)
    loans["defaulted"] = (latent <= follow_up).astype(np.int64)
    return loans


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]

    @property
    def best(self) -> float:
        return min(self.wall)

    @property
    def best_cpu(self) -> float:
        return min(self.cpu)


def timed(repeats: int, fit):
    timing, result = Timing([], []), None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fit()
        timing.cpu.append(time.process_time() - cpu)
        timing.wall.append(time.perf_counter() - wall)
    return timing, result


def run_ours(loans: pd.DataFrame, repeats: int):
    timing, fit = timed(repeats, lambda: fit_cox(loans, COVARIATES))
    assert fit.converged and not fit.warnings, fit
    return timing, fit.params.to_numpy()


def run_statsmodels(loans: pd.DataFrame):
    from statsmodels.duration.hazard_regression import PHReg

    timing, fit = timed(
        1,
        lambda: PHReg(
            loans["time"].to_numpy(float),
            loans[COVARIATES].to_numpy(),
            status=loans["defaulted"].to_numpy(float),
            ties="efron",
        ).fit(),
    )
    return timing, np.asarray(fit.params)


def run_lifelines(loans: pd.DataFrame):
    from lifelines import CoxPHFitter

    frame = loans[COVARIATES + ["time", "defaulted"]]
    timing, fit = timed(1, lambda: CoxPHFitter().fit(frame, "time", "defaulted"))
    return timing, fit.params_.loc[COVARIATES].to_numpy()


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); repeats <- as.integer(args[3])
names <- strsplit(args[4], ",")[[1]]
con <- file(args[1], "rb")
values <- readBin(con, "double", n = n * length(names))
close(con)
d <- as.data.frame(matrix(values, nrow = n, dimnames = list(NULL, names)))
formula <- as.formula(paste("Surv(time, defaulted) ~", paste(names[-(1:2)], collapse = " + ")))
elapsed <- cpu <- numeric(repeats)
for (i in seq_len(repeats)) {
  took <- system.time(fit <- coxph(formula, data = d, ties = "efron"))
  elapsed[i] <- took[["elapsed"]]
  cpu[i] <- took[["user.self"]] + took[["sys.self"]]
}
cat("ELAPSED", elapsed, "\n")
cat("CPU", cpu, "\n")
cat("COEF", format(coef(fit), digits = 17), "\n")
cat("VERSION", R.version.string, "|", as.character(packageVersion("survival")), "\n")
"""


def run_r(loans: pd.DataFrame, repeats: int):
    columns = ["time", "defaulted"] + COVARIATES
    with tempfile.TemporaryDirectory() as folder:
        data_path = Path(folder) / "loans.bin"
        script_path = Path(folder) / "fit.R"
        # column-major doubles, as R's matrix() reads them
        loans[columns].to_numpy(dtype=np.float64).T.tofile(data_path)
        script_path.write_text(R_SCRIPT)
        output = subprocess.run(
            [
                "Rscript",
                str(script_path),
                str(data_path),
                str(len(loans)),
                str(repeats),
                ",".join(columns),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    lines = {
        line.split(" ", 1)[0]: line.split(" ", 1)[1].strip()
        for line in output.splitlines()
        if line.strip()
    }
    timing = Timing(
        [float(value) for value in lines["ELAPSED"].split()],
        [float(value) for value in lines["CPU"].split()],
    )
    return timing, np.array([float(v) for v in lines["COEF"].split()]), lines["VERSION"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of loans")
    parser.add_argument(
        "--lifelines-n", type=int, default=None, help="loans given to lifelines (default: all)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of ours and of R's coxph; the fastest counts"
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["r", "statsmodels", "lifelines"],
        help="peers to leave out",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to cox.jsonl")
    args = parser.parse_args()

    loans = simulate(args.n)
    print(
        f"{args.n:,} loans, {loans['defaulted'].mean():.1%} defaults, "
        f"{loans['time'].nunique()} distinct months, {len(COVARIATES)} covariates"
    )
    record = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "benchmark": "cox_efron",
        "n": args.n,
        "covariates": len(COVARIATES),
        "event_rate": round(float(loans["defaulted"].mean()), 4),
        "distinct_times": int(loans["time"].nunique()),
        "machine": machine_description(),
        "wall_s": {},
        "cpu_s": {},
        "ratio_peer_over_ours_wall": {},
        "ratio_peer_over_ours_cpu": {},
        "max_abs_diff_estimates": {},
    }

    def keep(name: str, timing: Timing) -> None:
        record["wall_s"][name] = [round(value, 4) for value in timing.wall]
        record["cpu_s"][name] = [round(value, 4) for value in timing.cpu]

    ours, ours_beta = run_ours(loans, args.repeats)
    keep("ours", ours)
    print(
        f"{'ours':16s} wall {ours.best:7.2f} s  cpu {ours.best_cpu:7.2f} s  "
        f"(best of {args.repeats})"
    )

    def report(
        name: str,
        timing: Timing,
        beta: np.ndarray,
        reference: Timing,
        reference_beta: np.ndarray,
        note: str = "",
    ) -> None:
        keep(name, timing)
        wall_ratio = timing.best / reference.best
        cpu_ratio = timing.best_cpu / reference.best_cpu
        record["ratio_peer_over_ours_wall"][name] = round(wall_ratio, 2)
        record["ratio_peer_over_ours_cpu"][name] = round(cpu_ratio, 2)
        record["max_abs_diff_estimates"][name] = float(np.max(np.abs(beta - reference_beta)))
        print(
            f"{name:16s} wall {timing.best:7.2f} s  cpu {timing.best_cpu:7.2f} s  "
            f"ratio wall {wall_ratio:5.1f}x cpu {cpu_ratio:5.1f}x  "
            f"max |diff| {record['max_abs_diff_estimates'][name]:.1e} {note}"
        )

    if "r" not in args.skip:
        timing, beta, version = run_r(loans, args.repeats)
        record["machine"]["R"] = version
        report(
            "R_coxph",
            timing,
            beta,
            ours,
            ours_beta,
            f"(coxph() call only, best of {args.repeats})",
        )
    if "statsmodels" not in args.skip:
        timing, beta = run_statsmodels(loans)
        report("statsmodels", timing, beta, ours, ours_beta)
    if "lifelines" not in args.skip:
        subset = loans.iloc[: min(args.lifelines_n or args.n, args.n)]
        if len(subset) < len(loans):
            ours_subset, subset_beta = run_ours(subset, args.repeats)
            keep(f"ours_{len(subset)}", ours_subset)
            print(
                f"{'ours on ' + format(len(subset), ','):16s} wall {ours_subset.best:7.2f} s  "
                f"cpu {ours_subset.best_cpu:7.2f} s"
            )
        else:
            ours_subset, subset_beta = ours, ours_beta
        timing, beta = run_lifelines(subset)
        record["lifelines_n"] = len(subset)
        report(
            "lifelines",
            timing,
            beta,
            ours_subset,
            subset_beta,
            f"(on {len(subset):,} loans, against ours on the same)",
        )

    record["estimates_ours"] = dict(zip(COVARIATES, np.round(ours_beta, 8).tolist()))
    if not args.no_record:
        print(f"appended to {append(RESULTS, record)}")


if __name__ == "__main__":
    main()
