"""The ``overdue`` command: fetch the raw data, build the processed tables, run the report.

Errors that are the input's fault print one clear line (file, column, what was wrong) and exit
with status 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import sys
import time

from overdue.errors import OverdueError


def _fetch(args) -> None:
    from overdue.data.fetch import fetch

    sums = fetch(args.raw, mirror=args.mirror, force=args.force)
    print(f"fetched {len(sums)} files into {args.raw}")


def _build(args) -> None:
    from overdue.build.tables import DEFAULT_OUT, build, build_delinquency

    started = time.perf_counter()
    source = "performance" if args.performance else args.source
    out = args.out or DEFAULT_OUT[source]
    if source in ("taiwan", "performance"):
        tables = build_delinquency(args.raw, out, args.performance, args.mapping)
        panel = tables["delinquency"]
        print(
            f"built delinquency {len(panel):,} account-months of "
            f"{panel['account_id'].nunique():,} accounts, accounts {len(tables['accounts']):,} "
            f"rows into {out} in {time.perf_counter() - started:.1f} s"
        )
        return
    tables = build(
        args.raw,
        out,
        loans_file=args.loans,
        mapping=args.mapping,
        macro_lag=args.macro_lag,
        source=args.source,
        n_loans=args.n_loans,
        seed=args.seed,
        overdue_statuses=args.overdue_status,
        snapshot=args.snapshot,
    )
    sizes = ", ".join(
        f"{name} {len(frame):,} rows" for name, frame in tables.items() if frame is not None
    )
    print(f"built {sizes} into {out} in {time.perf_counter() - started:.1f} s")


def _run(args) -> None:
    from overdue.pipeline import parse_overrides, run_reports

    run_reports(
        args.config or [None],
        parse_overrides(args.param),
        run_id=args.run_id,
        max_workers=args.max_workers,
    )


def _screenshots(args) -> None:
    from overdue.pipeline.screenshots import screenshot_run

    shots = screenshot_run(args.run, width=args.width, height=args.height)
    print(f"{len(shots)} screenshots in {args.run}/screenshots")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(prog="overdue", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="put the raw inputs in data/raw (download or copy)")
    fetch.add_argument("--raw", default="data/raw", help="destination folder (default data/raw)")
    fetch.add_argument(
        "--from",
        dest="mirror",
        default=None,
        help="copy from this local mirror instead of downloading "
        "(default: $OVERDUE_DATA_MIRROR when set)",
    )
    fetch.add_argument("--force", action="store_true", help="fetch again files already present")
    fetch.set_defaults(handler=_fetch)

    build = commands.add_parser(
        "build", help="validate raw inputs; write loans, macro, features and panel"
    )
    build.add_argument("--raw", default="data/raw", help="raw inputs folder (default data/raw)")
    build.add_argument(
        "--out",
        default=None,
        help="output folder (default data/processed; data/processed/taiwan for --source taiwan)",
    )
    build.add_argument(
        "--loans",
        default=None,
        help="a loan CSV (LendingClub's export format, or as --mapping describes) "
        "instead of the .rda files",
    )
    build.add_argument(
        "--mapping",
        default=None,
        help="YAML mapping of your loan file's (or performance file's) columns, formats and "
        "statuses",
    )
    build.add_argument(
        "--performance",
        default=None,
        help="a lender's long-format performance file (account, month, days or months past "
        "due or status words), read as --mapping describes; writes delinquency.parquet",
    )
    build.add_argument(
        "--source",
        choices=["lendingclub", "synthetic", "taiwan"],
        default="lendingclub",
        help="real LendingClub loans (default), synthetic loans with a known truth, or the "
        "Taiwan credit-card delinquency panel",
    )
    build.add_argument("--n-loans", type=int, default=50_000, help="synthetic loans to simulate")
    build.add_argument("--seed", type=int, default=2024, help="seed of the synthetic loans")
    build.add_argument(
        "--macro-lag",
        type=int,
        default=1,
        help="months by which the panel's unemployment is lagged (default 1)",
    )
    build.add_argument(
        "--overdue-status",
        action="append",
        default=[],
        help="an open-loan status that counts as overdue, e.g. 'Late (31-120 days)' (repeatable)",
    )
    build.add_argument(
        "--snapshot",
        default=None,
        help="month the data were extracted (YYYY-MM); open loans are censored there",
    )
    build.set_defaults(handler=_build)

    run = commands.add_parser(
        "run", help="execute the notebooks with papermill into reports/<run-id>"
    )
    run.add_argument(
        "--config",
        action="append",
        default=None,
        help="YAML parameter set, e.g. configs/default.yaml; repeat it to run several studies "
        "at once, each into its own run folder (reports/latest ends on the last)",
    )
    run.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one parameter (repeatable); values are YAML literals",
    )
    run.add_argument(
        "--run-id",
        default=None,
        help="name of the run folder (default: time + random; with several configs, "
        "<run-id>-<config name> each)",
    )
    run.add_argument(
        "--max-workers",
        type=int,
        default=None,
        metavar="N",
        help="notebooks executed at once (default: the config's max_workers, else the cores)",
    )
    run.set_defaults(handler=_run)

    shots = commands.add_parser(
        "screenshots", help="render a run's pages in headless Chromium to <run>/screenshots"
    )
    shots.add_argument(
        "run", nargs="?", default="reports/latest", help="run folder (default reports/latest)"
    )
    shots.add_argument("--width", type=int, default=1280, help="window width (default 1280)")
    shots.add_argument("--height", type=int, default=2000, help="window height (default 2000)")
    shots.set_defaults(handler=_screenshots)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``overdue`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except OverdueError as error:
        print(f"overdue {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"overdue {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
