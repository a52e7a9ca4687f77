"""Fine–Gray on the real LendingClub loans: our fit_fine_gray against R's cmprsk::crr.

Default is the event of interest, prepayment competes. Both fits get the same design matrix
(purpose dummies plus a few credit terms, built once with patsy and handed to R as CSV); we time
our whole ``fit_fine_gray`` call (design, fit and sandwich variance) and, in R, only the ``crr``
call (``system.time``). Prints the two times, their ratio and the coefficient/SE agreement, and
appends a record with the machine description to ``benchmarks/results/finegray.jsonl``.

Data: ``data/processed/features.parquet`` when it exists; otherwise a quick frame built from the
raw LendingClub ``.rda`` files with the time-to-event rules of DESIGN.md.

Usage: ``python benchmarks/bench_finegray.py [--sample-frac 0.2] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import patsy

sys.path.insert(0, str(Path(__file__).parent))
from common import append, machine_description  # noqa: E402

from overdue.models.fine_gray import fit_fine_gray

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "data" / "processed" / "features.parquet"
RAW_LENDINGCLUB = Path(
    os.environ.get("OVERDUE_LENDINGCLUB_RDA", ROOT / "data" / "raw" / "lendingclub")
)
RESULTS = ROOT / "benchmarks" / "results" / "finegray.jsonl"
FORMULA = "C(purpose) + fico + dti + log_income + int_rate + C(term)"

R_SCRIPT = r"""
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], check.names = FALSE)
x <- as.matrix(d[, -(1:2)])
elapsed <- system.time(fit <- crr(d$time, d$event, x, failcode = 1, cencode = 0))[["elapsed"]]
out <- data.frame(term = colnames(x), coef = unname(fit$coef), se = sqrt(diag(fit$var)))
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("%.6f %s %s\n", elapsed, fit$converged, as.character(packageVersion("cmprsk"))))
"""


def months_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole calendar months from ``start`` to ``end`` (both first-of-month dates)."""
    return (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)


def loans_from_raw(folder: Path) -> pd.DataFrame:
    """A stand-in for the features table, from the raw ``LendingClubData_<year>.rda`` files.

    Outcomes follow DESIGN.md: default time is months(issue_d -> last_pymnt_d) + 1 (1 if never
    paid); a fully paid loan that ended before its term is prepaid at months(issue_d ->
    last_pymnt_d); one paid at term is censored at the term. All 2007–2011 loans are closed.
    """
    import pyreadr

    frames = [
        frame
        for path in sorted(folder.glob("LendingClubData_*.rda"))
        for frame in pyreadr.read_r(path).values()
    ]
    if not frames:
        raise FileNotFoundError(f"no LendingClubData_*.rda files in {folder}")
    raw = pd.concat(frames, ignore_index=True)
    issue = pd.to_datetime(raw["issue_d"])
    last_payment = pd.to_datetime(raw["last_pymnt_d"])
    term = raw["term"].astype(str).str.extract(r"(\d+)")[0].astype(int)
    defaulted = raw["loan_status"].str.contains("Charged Off|Default", regex=True)
    months_paid = months_between(issue, last_payment)
    default_time = (months_paid + 1).fillna(1)
    payoff_time = months_paid.fillna(term).clip(lower=1)
    prepaid = ~defaulted & (payoff_time < term)
    return pd.DataFrame(
        {
            "time": np.where(defaulted, default_time, np.where(prepaid, payoff_time, term)).astype(
                int
            ),
            "event": np.where(defaulted, 1, np.where(prepaid, 2, 0)),
            "purpose": raw["purpose"].astype(str),
            "fico": (raw["fico_range_low"] + raw["fico_range_high"]) / 2,
            "dti": raw["dti"],
            "log_income": np.log(raw["annual_inc"].where(raw["annual_inc"] > 0)),
            "int_rate": raw["int_rate"],
            "term": term,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-frac", type=float, default=1.0, help="share of loans to use")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of our fit (best kept)")
    args = parser.parse_args()

    source = "features.parquet" if FEATURES.exists() else "raw .rda (features.parquet absent)"
    loans = pd.read_parquet(FEATURES) if FEATURES.exists() else loans_from_raw(RAW_LENDINGCLUB)
    loans = loans[["time", "event", "purpose", "fico", "dti", "log_income", "int_rate", "term"]]
    loans = loans.dropna().reset_index(drop=True)
    if args.sample_frac < 1:
        loans = loans.sample(frac=args.sample_frac, random_state=1).reset_index(drop=True)

    ours_seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fit = fit_fine_gray(loans, FORMULA, cause=1)
        ours_seconds.append(time.perf_counter() - start)

    design = patsy.dmatrix(FORMULA, loans, return_type="dataframe").drop(columns="Intercept")
    with tempfile.TemporaryDirectory() as scratch:
        data_csv, coef_csv = Path(scratch) / "data.csv", Path(scratch) / "coef.csv"
        pd.concat([loans[["time", "event"]], design], axis=1).to_csv(data_csv, index=False)
        script = Path(scratch) / "crr.R"
        script.write_text(R_SCRIPT)
        run = subprocess.run(
            ["Rscript", str(script), str(data_csv), str(coef_csv)],
            capture_output=True,
            text=True,
            check=True,
        )
        crr_seconds, crr_converged, cmprsk_version = run.stdout.split()
        crr = pd.read_csv(coef_csv)
    crr_seconds = float(crr_seconds)

    ours = fit.summary
    coef_rel = np.abs(ours["estimate"].to_numpy() / crr["coef"].to_numpy() - 1)
    se_rel = np.abs(ours["se"].to_numpy() / crr["se"].to_numpy() - 1)
    record = {
        "benchmark": "fine_gray_vs_crr",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "data": source,
        "n": fit.n,
        "defaults": fit.events,
        "prepaid": int((loans["event"] == 2).sum()),
        "distinct_times": int(loans["time"].nunique()),
        "covariates": len(ours),
        "formula": FORMULA,
        "ours_seconds_best": round(min(ours_seconds), 4),
        "ours_seconds_all": [round(s, 4) for s in ours_seconds],
        "crr_seconds": crr_seconds,
        "speedup_crr_over_ours": round(crr_seconds / min(ours_seconds), 1),
        "ours_converged": fit.converged,
        "ours_iterations": fit.iterations,
        "crr_converged": crr_converged == "TRUE",
        "max_rel_diff_coef": float(coef_rel.max()),
        "max_rel_diff_se": float(se_rel.max()),
        "cmprsk": cmprsk_version,
        "machine": machine_description(),
    }
    comparison = pd.DataFrame(
        {
            "ours": ours["estimate"].to_numpy(),
            "crr": crr["coef"].to_numpy(),
            "ours_se": ours["se"].to_numpy(),
            "crr_se": crr["se"].to_numpy(),
        },
        index=ours.index,
    )
    print(comparison.to_string(float_format=lambda v: f"{v:.6g}"))
    print(
        f"\n{fit.n} loans ({source}), {fit.events} defaults, {record['prepaid']} prepaid, "
        f"{len(ours)} covariates"
    )
    print(
        f"ours: {min(ours_seconds):.3f} s (best of {args.repeats})   crr: {crr_seconds:.1f} s   "
        f"ratio crr/ours: {record['speedup_crr_over_ours']}x"
    )
    print(f"max relative difference: coefficients {coef_rel.max():.2e}, SEs {se_rel.max():.2e}")
    append(RESULTS, record)


if __name__ == "__main__":
    main()
