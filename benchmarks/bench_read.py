"""Benchmark: reading a loan file as it comes (``data.textfile.read_table``) against pandas'
own C parser reading the same file as text, the ratio being the figure (machines here are noisy).

The file is LendingClub's export format (notice line, credit-policy separator, footer) written
from real loans repeated to ``--rows`` rows (default 400,000, about ten times the 2007–2011
book). pandas reads the same rows without the export's extra lines (it cannot skip them), so the
ratio is the cost of line endings, the quirk lines, delimiter detection and exact line numbers in
errors. Also timed: the whole ``read_loans_csv`` (reading, typing, validation).

    .venv/bin/python benchmarks/bench_read.py [--rows N] [--raw data/raw]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import machine_description, record  # noqa: E402

from overdue.data.lendingclub import (  # noqa: E402
    _NON_LOAN_LINE,
    read_lendingclub_dir,
    read_loans_csv,
    write_lendingclub_csv,
)
from overdue.data.textfile import read_table  # noqa: E402


def timed(fn, repeats: int = 2) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--raw", default="data/raw")
    args = parser.parse_args()

    loans = read_lendingclub_dir(Path(args.raw) / "lendingclub")
    copies = -(-args.rows // len(loans))
    many = pd.concat([loans] * copies, ignore_index=True).head(args.rows)
    many["id"] = [str(i) for i in range(len(many))]
    folder = Path(tempfile.mkdtemp())
    export, plain = folder / "export.csv", folder / "plain.csv"
    write_lendingclub_csv(many, export)
    lines = export.read_text().splitlines()
    plain.write_text("\n".join(line for line in lines if not _NON_LOAN_LINE.match(line)) + "\n")

    ours, table = timed(lambda: read_table(export, skip_line=_NON_LOAN_LINE))
    theirs, frame = timed(
        lambda: pd.read_csv(plain, dtype=str, keep_default_na=False, na_values=[""])
    )
    assert table.shape == frame.shape, (table.shape, frame.shape)
    whole, canonical = timed(lambda: read_loans_csv(export), repeats=1)
    figures = {
        "rows": len(table),
        "columns": table.shape[1],
        "file_mib": round(export.stat().st_size / 2**20, 1),
        "read_table_seconds": round(ours, 2),
        "pandas_c_parser_seconds": round(theirs, 2),
        "ratio_read_table_to_pandas": round(ours / theirs, 2),
        "read_loans_csv_seconds": round(whole, 2),
        "rows_per_second_read_loans_csv": round(len(canonical) / whole),
    }
    for name, value in figures.items():
        print(f"{name:34s} {value}")
    print("recorded in", record("read", figures, machine_description()))


if __name__ == "__main__":
    main()
