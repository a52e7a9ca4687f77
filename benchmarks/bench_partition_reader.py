"""Partitioned-parquet reader benchmark: which way of reading a folder bounds memory.

Two ways of reading a folder of parquet one batch at a time were in the code, each with a comment
claiming the other held too much in memory:

* ``scanner_bounded`` - a ``pyarrow.dataset`` Scanner with ``batch_readahead=1,
  fragment_readahead=1, use_threads=False`` (what :mod:`overdue.data.partitions` used);
* ``iter_batches`` - file by file, ``pyarrow.parquet.ParquetFile.iter_batches``, synchronously
  (what the partitioned feature build's ``loan_partitions`` used).

For reference it also runs ``scanner_default`` (a Scanner with pyarrow's default read-ahead and
threads) and ``package``: :func:`overdue.data.partitions.as_partitions` as the package reads
today, so a later run shows whether the package's reader is still the bounded one.

A folder of ``--files`` parquet files of ``--rows`` rows each (five numeric columns; 40 bytes a
row in memory, so 458 MiB for the default 12 x 1M), and a peer folder of ``--peer-files`` such
files, are written to a temporary folder. Each reader then consumes each folder in a fresh child
process, ``--batch-rows`` rows at a time, converting every batch to pandas and sleeping
``--delay`` seconds on it (a slow consumer, like a model pass), while a thread samples the
child's resident memory every 10 ms. The figure is the peak RSS above the child's RSS once its
imports are done ("held"), the lowest of ``--repeats`` runs. Two ratios answer the question:

* ``growth`` - held on the folder over held on the peer folder: close to 1 for a reader bounded
  by its batch, close to ``files / peer_files`` for one that holds the folder;
* ``over_iter_batches`` - each reader's held memory over that of ``iter_batches``.

Results are printed and appended to ``benchmarks/results/partition_reader.jsonl``.

Usage: ``python benchmarks/bench_partition_reader.py [--files 12] [--peer-files 3]
[--rows 1000000] [--batch-rows 250000] [--delay 0.1] [--repeats 3] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import append, machine_description  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "partition_reader.jsonl"
READERS = ("scanner_bounded", "iter_batches", "scanner_default", "package")
MB = 2**20


def write_folder(folder: Path, files: int, rows: int, seed: int = 0) -> int:
    """``files`` parquet files of ``rows`` random rows (written with pyarrow's defaults)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(files):
        table = pa.table(
            {
                "id": np.arange(index * rows, (index + 1) * rows, dtype=np.int64),
                **{f"x{k}": rng.standard_normal(rows) for k in range(4)},
            }
        )
        pq.write_table(table, folder / f"part-{index:05d}.parquet")
    return sum(path.stat().st_size for path in folder.glob("*.parquet"))


def batches(reader: str, folder: Path, batch_rows: int):
    """The candidate readers, each yielding pandas DataFrames of at most ``batch_rows`` rows."""
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    if reader == "package":
        from overdue.data.partitions import as_partitions

        yield from as_partitions(folder, batch_rows=batch_rows).iter()
    elif reader == "iter_batches":
        for path in sorted(folder.glob("*.parquet")):
            for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
                yield batch.to_pandas()
    else:
        dataset = pads.dataset(folder, format="parquet")
        options = (
            {}
            if reader == "scanner_default"
            else dict(batch_readahead=1, fragment_readahead=1, use_threads=False)
        )
        scanner = pads.Scanner.from_dataset(dataset, batch_size=batch_rows, **options)
        for batch in scanner.to_batches():
            yield batch.to_pandas()


def child(reader: str, folder: Path, batch_rows: int, delay: float) -> dict:
    """Consume ``folder`` slowly with ``reader`` in this (fresh) process; return its memory."""
    import threading

    import pandas  # noqa: F401  (imports in the baseline, not the peak)
    import psutil
    import pyarrow.dataset  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import overdue.data.partitions  # noqa: F401

    process = psutil.Process()
    baseline = process.memory_info().rss
    state = {"peak": baseline, "stop": threading.Event()}

    def sample():
        while not state["stop"].is_set():
            state["peak"] = max(state["peak"], process.memory_info().rss)
            state["stop"].wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    n_batches = n_rows = 0
    for frame in batches(reader, folder, batch_rows):
        n_batches += 1
        n_rows += len(frame)
        time.sleep(delay)  # the consumer's work on this batch
        del frame
    seconds = time.perf_counter() - started
    state["stop"].set()
    sampler.join()
    peak = max(state["peak"], process.memory_info().rss)
    return {
        "reader": reader,
        "batches": n_batches,
        "rows": n_rows,
        "seconds": round(seconds, 2),
        "baseline_rss_mb": round(baseline / MB, 1),
        "peak_rss_mb": round(peak / MB, 1),
        "held_mb": round((peak - baseline) / MB, 1),
    }


def run_child(reader: str, folder: Path, args) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        reader,
        "--folder",
        str(folder),
        "--batch-rows",
        str(args.batch_rows),
        "--delay",
        str(args.delay),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(folder: Path, args) -> dict[str, dict]:
    """Every reader on ``folder``, ``args.repeats`` times (interleaved, so drift in the machine
    hits all alike): the runs and the lowest held memory of each."""
    rows = len(list(folder.glob("*.parquet"))) * args.rows
    runs: dict[str, list[dict]] = {reader: [] for reader in READERS}
    for _ in range(args.repeats):
        for reader in READERS:
            run = run_child(reader, folder, args)
            if run["rows"] != rows:
                raise RuntimeError(f"{reader} read {run['rows']} rows of {folder}, not {rows}")
            runs[reader].append(run)
            print(
                f"  {folder.name:<5} {reader:<16} held {run['held_mb']:7.1f} MiB   "
                f"peak {run['peak_rss_mb']:7.1f} MiB   {run['seconds']:6.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return {
        reader: {"held_mb": min(run["held_mb"] for run in runs[reader]), "runs": runs[reader]}
        for reader in READERS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--peer-files", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per file")
    parser.add_argument("--batch-rows", type=int, default=250_000)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds spent on each batch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", choices=READERS, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.batch_rows, args.delay)))
        return

    machine = machine_description()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_partition_reader_"))
    sizes = {"main": args.files, "peer": args.peer_files}
    results, data = {}, {}
    try:
        for label, files in sizes.items():
            folder = workdir / label
            on_disk = write_folder(folder, files, args.rows)
            data[label] = {
                "files": files,
                "rows_per_file": args.rows,
                "columns": 5,
                "in_memory_mb": round(files * args.rows * 40 / MB, 1),
                "on_disk_mb": round(on_disk / MB, 1),
            }
            print(
                f"{label}: {files} files x {args.rows:,} rows, {on_disk / MB:.0f} MiB on disk, "
                f"{data[label]['in_memory_mb']:.0f} MiB in memory; batches of "
                f"{args.batch_rows:,} rows, {args.delay} s each",
                file=sys.stderr,
                flush=True,
            )
            results[label] = measure(folder, args)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    held = {
        label: {reader: results[label][reader]["held_mb"] for reader in READERS} for label in sizes
    }
    ratios = {
        "growth_main_over_peer": {
            reader: round(held["main"][reader] / held["peer"][reader], 2) for reader in READERS
        },
        "over_iter_batches": {
            reader: round(held["main"][reader] / held["main"]["iter_batches"], 2)
            for reader in READERS
        },
    }
    entry = {
        "benchmark": "partition_reader",
        "machine": machine,
        "data": data,
        "batch_rows": args.batch_rows,
        "delay_seconds": args.delay,
        "repeats": args.repeats,
        "held_mb": held,
        "ratios": ratios,
        "runs": {
            label: {reader: results[label][reader]["runs"] for reader in READERS}
            for label in sizes
        },
    }
    print(
        f"\npeak RSS above baseline, lowest of {args.repeats} (MiB), {args.files} files vs "
        f"{args.peer_files}:"
    )
    for reader in READERS:
        print(
            f"  {reader:<16} {held['main'][reader]:7.1f} vs {held['peer'][reader]:7.1f}   growth "
            f"x{ratios['growth_main_over_peer'][reader]:<5}  over iter_batches "
            f"x{ratios['over_iter_batches'][reader]}"
        )
    print(f"appended to {append(RESULTS, entry).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
