"""Discrete-time hazard at scale: streamed IRLS on a partitioned parquet panel, and vs statsmodels.

1. Generates a synthetic loan-month panel (36-month loans, ~33 months on book on average, a
   state unemployment path by calendar month) partition by partition with a fixed seed into a
   temporary parquet folder - never the whole panel in memory.
2. Fits the cloglog discrete-time hazard (baseline in 6-month bands plus 9 covariate columns,
   15 design columns) with loan-clustered errors from that folder with
   :func:`overdue.models.hazard.fit_discrete_hazard` (streamed IRLS): wall time, passes, peak RSS.
3. On a subset (the first partitions, ``--subset-rows``): statsmodels ``GLM`` on the in-memory
   frame vs our IRLS on the same frame and streamed from its parquet files - times, peak RSS and
   their ratios, and the largest coefficient and SE differences.

Every fit runs in its own spawned process so that its peak RSS (``ru_maxrss``) is its own (the
parent imports no data library: a spawned child starts with its parent's peak RSS); the RSS of a
process that only imported the libraries is reported beside it. BLAS runs
single-threaded (``--blas-threads``) in every fit so the ratio compares the algorithms, not
thread scheduling on a shared machine.

Usage: ``python benchmarks/bench_irls.py [--rows 20000000] [--subset-rows 2000000]``; appends a
record with the machine description to ``benchmarks/results/irls.jsonl``.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
RESULTS = ROOT / "benchmarks" / "results" / "irls.jsonl"

TERM = 36
BAND_MONTHS = 6
PURPOSES = ["refinancing", "consumption", "business"]
RHS = (
    "fico_z + dti_z + log_income_z + revol_util + emp_missing + C(purpose_group) "
    "+ state_unemp_tv + state_unemp_change_since_issue"
)
CATEGORIES = {"purpose_group": PURPOSES}
# True monthly cloglog hazard: band baseline (months 1-6, 7-12, ... relative to the first) and
# covariate effects; unemployment enters centred at 7 points.
TRUE_BANDS = [-5.6, 0.5, 0.6, 0.45, 0.3, 0.2]
TRUE_BETA = {
    "fico_z": -0.45,
    "dti_z": 0.15,
    "log_income_z": -0.12,
    "revol_util": 0.35,
    "emp_missing": 0.25,
    "consumption": 0.1,
    "business": 0.5,
    "state_unemp_tv": 0.12,
    "state_unemp_change_since_issue": 0.05,
}
PREPAY_MONTHLY = 0.004
N_STATES = 12
ISSUE_MONTHS = 60


def unemployment_paths(seed: int):
    """State unemployment (percent) by calendar month: a recession hump of varying height."""
    import numpy as np

    rng = np.random.default_rng([seed, 0])
    months = np.arange(ISSUE_MONTHS + TERM + 1)
    level = rng.uniform(3.5, 6.0, N_STATES)[:, None]
    height = rng.uniform(2.0, 8.0, N_STATES)[:, None]
    hump = np.exp(-0.5 * ((months[None, :] - 36) / 14.0) ** 2)
    return level + height * hump + rng.normal(0, 0.1, (N_STATES, len(months)))


def generate_partition(folder: Path, index: int, loans: int, first_loan: int, seed: int) -> int:
    """Write one partition of whole loans (every loan's months in one file); returns rows."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, index + 1])
    unemployment = unemployment_paths(seed)
    state = rng.integers(0, N_STATES, loans)
    issued = rng.integers(1, ISSUE_MONTHS + 1, loans)
    covariates = {
        "fico_z": rng.normal(size=loans),
        "dti_z": rng.normal(size=loans),
        "log_income_z": rng.normal(size=loans),
        "revol_util": rng.uniform(0, 1, loans),
        "emp_missing": (rng.random(loans) < 0.05).astype(float),
    }
    purpose = rng.choice(3, loans, p=[0.7, 0.2, 0.1])
    loan_eta = (
        sum(TRUE_BETA[name] * values for name, values in covariates.items())
        + np.array([0.0, TRUE_BETA["consumption"], TRUE_BETA["business"]])[purpose]
    )
    months = np.arange(1, TERM + 1)
    calendar = issued[:, None] + months[None, :] - 1  # unemployment lagged one month
    unemp = unemployment[state[:, None], calendar]
    change = unemp - unemployment[state, issued - 1][:, None]
    band = (months - 1) // BAND_MONTHS
    baseline = TRUE_BANDS[0] + np.where(band > 0, np.asarray(TRUE_BANDS)[band], 0.0)
    eta = (
        baseline[None, :]
        + loan_eta[:, None]
        + TRUE_BETA["state_unemp_tv"] * (unemp - 7.0)
        + TRUE_BETA["state_unemp_change_since_issue"] * change
    )
    defaults = rng.random((loans, TERM)) < -np.expm1(-np.exp(eta))
    first_default = np.where(defaults.any(axis=1), defaults.argmax(axis=1) + 1, TERM + 1)
    prepaid = rng.geometric(PREPAY_MONTHLY, loans)
    last = np.minimum.reduce([first_default, prepaid, np.full(loans, TERM)])
    keep = months[None, :] <= last[:, None]
    rows = np.nonzero(keep)
    frame = pd.DataFrame(
        {
            "id": pd.Series(
                np.char.add("L", np.char.zfill((first_loan + rows[0]).astype(str), 8))
            ),
            "month_on_book": months[rows[1]].astype(np.int64),
            "event_default": (months[rows[1]] == first_default[rows[0]]).astype(np.int8),
            **{name: values[rows[0]] for name, values in covariates.items()},
            "purpose_group": pd.Categorical.from_codes(purpose[rows[0]], PURPOSES),
            "state_unemp_tv": unemp[rows] - 7.0,
            "state_unemp_change_since_issue": change[rows],
        }
    )
    frame.to_parquet(folder / f"part-{index:04d}.parquet", index=False)
    return len(frame)


def generate(queue, folder: Path, rows: int, partition_rows: int, seed: int) -> None:
    """Write partitions of whole loans until ``rows`` loan-months are written (in a child, so
    that the parent stays small: a spawned process starts with its parent's peak RSS)."""
    months_per_loan = 33.0  # a first guess; corrected by what the first partition holds
    written = loans_written = index = 0
    while written < rows:
        wanted = min(partition_rows, rows - written)
        loans = max(1, round(wanted / months_per_loan))
        written += generate_partition(folder, index, loans, loans_written, seed)
        loans_written += loans
        months_per_loan = written / loans_written
        index += 1
    queue.put({"rows": written, "loans": loans_written, "partitions": index})


# ----------------------------------------------------------------------- measured child runs
def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def _imports_only(queue):
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.dataset  # noqa: F401
    import statsmodels.api  # noqa: F401

    import overdue.models.hazard  # noqa: F401

    queue.put({"peak_rss_mb": _peak_rss_mb()})


def _fit_ours(queue, source, files, batch_rows):
    import pandas as pd
    import pyarrow.dataset as pads

    from overdue.models.hazard import fit_discrete_hazard

    started = time.perf_counter()
    if source == "memory":
        panel = pd.concat([pd.read_parquet(file) for file in files], ignore_index=True)
    else:
        panel = pads.dataset([str(file) for file in files], format="parquet")
    loaded = time.perf_counter()
    fit = fit_discrete_hazard(
        panel,
        RHS,
        link="cloglog",
        baseline_form="bands",
        band_months=BAND_MONTHS,
        max_month=TERM,
        categories=CATEGORIES,
        batch_rows=batch_rows,
    )
    queue.put(
        {
            "load_seconds": loaded - started,
            "fit_seconds": time.perf_counter() - loaded,
            "peak_rss_mb": _peak_rss_mb(),
            "passes": fit.extra["passes"],
            "converged": fit.converged,
            "warnings": fit.warnings,
            "n": fit.n,
            "events": fit.events,
            "n_loans": fit.n_clusters,
            "params": fit.params.to_dict(),
            "se": fit.summary["se"].to_dict(),
        }
    )


def _fit_statsmodels(queue, files):
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from overdue.models.hazard import baseline_levels

    started = time.perf_counter()
    panel = pd.concat([pd.read_parquet(file) for file in files], ignore_index=True)
    levels = baseline_levels(TERM, "bands", BAND_MONTHS)
    panel["band"] = pd.Categorical.from_codes((panel["month_on_book"] - 1) // BAND_MONTHS, levels)
    panel["purpose_group"] = pd.Categorical(panel["purpose_group"], PURPOSES)
    groups = pd.factorize(panel["id"])[0]
    loaded = time.perf_counter()
    result = smf.glm(
        f"event_default ~ band + {RHS}",
        panel,
        missing="raise",
        family=sm.families.Binomial(sm.families.links.CLogLog()),
    ).fit(tol=1e-12, cov_type="cluster", cov_kwds={"groups": groups})
    fitted = time.perf_counter()
    names = {f"band[T.{level}]": f"baseline[{level}]" for level in levels}
    queue.put(
        {
            "load_seconds": loaded - started,
            "fit_seconds": fitted - loaded,
            "peak_rss_mb": _peak_rss_mb(),
            "iterations": int(result.fit_history["iteration"]),
            "converged": bool(result.converged),
            "params": result.params.rename(names).to_dict(),
            "se": result.bse.rename(names).to_dict(),
            "n": int(np.asarray(result.nobs)),
        }
    )


def run_child(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(queue, *args))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise RuntimeError(f"{target.__name__} failed with exit code {process.exitcode}")
    return result


def max_difference(left: dict, right: dict) -> float:
    return max(abs(left[name] - right[name]) for name in left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="loan-month rows to fit")
    parser.add_argument(
        "--subset-rows",
        type=int,
        default=2_000_000,
        help="rows for the statsmodels comparison (whole partitions)",
    )
    parser.add_argument(
        "--partition-rows",
        type=int,
        default=1_000_000,
        help="rows per parquet file (and per streamed partition)",
    )
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to write the parquet panel (default: a temporary folder)",
    )
    parser.add_argument("--skip-statsmodels", action="store_true")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="JSON-lines file to append to"
    )
    args = parser.parse_args()
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.blas_threads)  # inherited by the spawned fits

    load_average = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="bench_irls_", dir=args.workdir))
    try:
        started = time.perf_counter()
        written = run_child(generate, workdir, args.rows, args.partition_rows, args.seed)
        generate_seconds = time.perf_counter() - started
        files = sorted(workdir.glob("part-*.parquet"))
        disk_mb = sum(file.stat().st_size for file in files) / 2**20
        print(
            f"generated {written['rows']:,} rows, {written['loans']:,} loans in "
            f"{written['partitions']} files ({disk_mb:,.0f} MB) in {generate_seconds:.1f} s"
        )

        baseline = run_child(_imports_only)
        print(f"imports only: peak RSS {baseline['peak_rss_mb']:.0f} MB")
        full = run_child(_fit_ours, "parquet", files, args.partition_rows)
        print(
            f"IRLS, {full['n']:,} rows from parquet: {full['fit_seconds']:.1f} s, "
            f"{full['passes']} passes ({full['fit_seconds'] / full['passes']:.1f} s each), "
            f"peak RSS {full['peak_rss_mb']:.0f} MB, converged {full['converged']}"
        )
        truth = {"fico_z": TRUE_BETA["fico_z"], "state_unemp_tv": TRUE_BETA["state_unemp_tv"]}
        print(
            "  estimates vs truth: "
            + ", ".join(
                f"{name} {full['params'][name]:.4f} (SE {full['se'][name]:.4f}, true {value})"
                for name, value in truth.items()
            )
        )

        record = {
            "benchmark": "irls_discrete_hazard",
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "rows": written["rows"],
            "loans": written["loans"],
            "partitions": written["partitions"],
            "partition_rows": args.partition_rows,
            "design_columns": len(full["params"]),
            "parquet_mb": round(disk_mb, 1),
            "generate_seconds": round(generate_seconds, 1),
            "blas_threads": args.blas_threads,
            "imports_only_peak_rss_mb": round(baseline["peak_rss_mb"]),
            "full": {
                key: full[key]
                for key in (
                    "fit_seconds",
                    "passes",
                    "peak_rss_mb",
                    "converged",
                    "warnings",
                    "events",
                    "n_loans",
                )
            },
            "full_estimates": {"params": full["params"], "se": full["se"]},
        }

        if not args.skip_statsmodels:
            per_file = written["rows"] / written["partitions"]
            subset = files[: max(1, round(args.subset_rows / per_file))]
            reference = run_child(_fit_statsmodels, subset)
            in_memory = run_child(_fit_ours, "memory", subset, args.partition_rows)
            streamed = run_child(_fit_ours, "parquet", subset, args.partition_rows)
            print(f"subset of {reference['n']:,} rows ({len(subset)} files):")
            for name, run in (
                ("statsmodels GLM, in memory", reference),
                ("IRLS, same frame in memory", in_memory),
                ("IRLS, streamed from parquet", streamed),
            ):
                print(
                    f"  {name:30s} fit {run['fit_seconds']:7.1f} s  (load "
                    f"{run['load_seconds']:.1f} s)  peak RSS {run['peak_rss_mb']:6.0f} MB"
                )
            agreement = {
                "max_abs_diff_params": max_difference(in_memory["params"], reference["params"]),
                "max_abs_diff_se": max_difference(in_memory["se"], reference["se"]),
            }
            ratios = {
                "time_statsmodels_over_irls_memory": reference["fit_seconds"]
                / in_memory["fit_seconds"],
                "time_statsmodels_over_irls_streamed": reference["fit_seconds"]
                / streamed["fit_seconds"],
                "rss_statsmodels_over_irls_memory": reference["peak_rss_mb"]
                / in_memory["peak_rss_mb"],
                "rss_statsmodels_over_irls_streamed": reference["peak_rss_mb"]
                / streamed["peak_rss_mb"],
            }
            print("  ratios: " + ", ".join(f"{key} {value:.2f}" for key, value in ratios.items()))
            print(
                f"  agreement: max |d estimate| {agreement['max_abs_diff_params']:.1e}, "
                f"max |d SE| {agreement['max_abs_diff_se']:.1e}"
            )
            record["subset"] = {
                "rows": reference["n"],
                "files": len(subset),
                "statsmodels": {
                    key: reference[key]
                    for key in ("fit_seconds", "load_seconds", "peak_rss_mb", "iterations")
                },
                "irls_memory": {
                    key: in_memory[key]
                    for key in ("fit_seconds", "load_seconds", "peak_rss_mb", "passes")
                },
                "irls_streamed": {
                    key: streamed[key] for key in ("fit_seconds", "peak_rss_mb", "passes")
                },
                **ratios,
                **agreement,
            }
        record["machine"] = {**machine_description(), "load_average_at_start": load_average}
        print(f"appended to {append(args.results, record)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
