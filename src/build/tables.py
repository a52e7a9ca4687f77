"""Build the processed tables from the raw inputs: ``loans``, ``macro``, ``features``, ``panel``;
for a source with a monthly delinquency record, ``delinquency`` and ``accounts``
(:func:`build_delinquency`).

The data layer loads and validates (:func:`~overdue.data.loans.load_loans`,
:func:`~overdue.data.fred.macro_panel`), the feature layer derives
(:func:`~overdue.features.build.derive_features`); this module chains the two and writes.

Raw files are only read; outputs are written atomically, and only after every input loaded and
validated, so a failed build leaves ``data/processed/`` as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from overdue.data.fred import macro_panel
from overdue.data.loans import load_loans
from overdue.data.mapping import read_performance_mapping
from overdue.data.performance import read_performance_csv
from overdue.data.sources import TAIWAN_FILE
from overdue.data.summary import OWN_FILES
from overdue.data.taiwan import read_taiwan
from overdue.errors import ConfigError
from overdue.features.build import derive_features, make_context
from overdue.io import atomic_path, exclusive_lock, remove_stale_temporaries, write_parquet_atomic
from overdue.study import FEATURES_KEY, features_key
from overdue.synthetic import synthetic_loans


def build(
    raw_dir: str | os.PathLike = "data/raw",
    out_dir: str | os.PathLike = "data/processed",
    loans_file: str | os.PathLike | None = None,
    mapping: str | os.PathLike | None = None,
    macro_lag: int = 1,
    source: str = "lendingclub",
    n_loans: int = 50_000,
    seed: int = 2024,
    **outcome_options,
) -> dict[str, pd.DataFrame | None]:
    """Load and validate the raw inputs, derive features and panel, then write all four tables.

    ``source="synthetic"`` simulates ``n_loans`` loans with a known causal structure on the real
    macro series instead (:mod:`overdue.synthetic`) and writes the truth as ``truth.json``
    beside the tables, for notebooks and tests to compare estimates with.

    Everything is computed before anything is written, so a bad input anywhere (a loan file, a
    macro series with a gap) leaves ``out_dir`` exactly as it was. Each table is written
    atomically under a lock on ``out_dir``.

    Examples
    --------
    >>> tables = build("data/raw", "data/processed")  # doctest: +SKIP
    >>> sorted(tables)  # doctest: +SKIP
    ['features', 'loans', 'macro', 'panel']
    """
    macro = macro_panel(Path(raw_dir) / "fred")
    truth = None
    if source == "synthetic":
        sample = synthetic_loans(n_loans, seed, macro)
        loans, truth = sample.loans, sample.truth
    elif source == "lendingclub":
        loans = load_loans(raw_dir, loans_file, mapping)
    else:
        raise ConfigError(f"source must be lendingclub or synthetic, got {source!r}")
    tables = {"loans": loans, "macro": macro}
    context = make_context(loans, macro, str(Path(raw_dir) / "fred"), **outcome_options)
    tables |= derive_features(loans, macro, macro_lag=macro_lag, context=context)
    # Stamp the features with what they were computed from, so load_study can read them instead
    # of recomputing when its loans, macro, definitions and feature code are the same.
    tables["features"].attrs[FEATURES_KEY] = features_key(loans, macro, context)
    write_tables(tables, out_dir, truth, own_files(loans_file, mapping))
    return tables


def own_files(*paths) -> dict | None:
    """The user's own input files of a build (a loan or performance file and its mapping) with
    their SHA-256, for the data page's provenance; None when the build read only the pinned
    public sources.

    Examples
    --------
    >>> own_files("examples/my_loans.csv", None)["files"][0]["role"]  # doctest: +SKIP
    'data'
    """
    from overdue.data.fetch import sha256_of

    files = [
        {"role": role, "file": str(Path(path)), "sha256": sha256_of(path)}
        for role, path in zip(("data", "mapping"), paths)
        if path is not None
    ]
    return {"files": files} if files else None


#: Where ``overdue build --source S`` writes when no ``--out`` is given.
DEFAULT_OUT = {
    "lendingclub": "data/processed",
    "synthetic": "data/processed",
    "taiwan": "data/processed/taiwan",
    "performance": "data/processed/performance",
}


def build_delinquency(
    raw_dir: str | os.PathLike = "data/raw",
    out_dir: str | os.PathLike = DEFAULT_OUT["taiwan"],
    performance_file: str | os.PathLike | None = None,
    mapping: str | os.PathLike | None = None,
) -> dict[str, pd.DataFrame | None]:
    """Load and validate a delinquency source, then write ``delinquency.parquet`` (the canonical
    account-month panel) and ``accounts.parquet`` (one row per account) into ``out_dir``.

    The source is the Taiwan card file under ``raw_dir/taiwan`` unless ``performance_file`` (a
    lender's long-format file, read through the YAML ``mapping``) is given. As :func:`build`,
    everything is read and validated before anything is written.

    Examples
    --------
    >>> tables = build_delinquency("data/raw", "data/processed/taiwan")  # doctest: +SKIP
    >>> len(tables["delinquency"]), len(tables["accounts"])  # doctest: +SKIP
    (180000, 30000)
    """
    if performance_file is not None:
        if mapping is None:
            raise ConfigError(
                "a performance file needs --mapping (a YAML file naming its account, month "
                "and delinquency columns)"
            )
        panel, accounts = read_performance_csv(performance_file, read_performance_mapping(mapping))
    else:
        if mapping is not None:
            raise ConfigError("a mapping describes a performance file: give it with --performance")
        panel, accounts = read_taiwan(Path(raw_dir) / "taiwan" / TAIWAN_FILE)
    tables = {"delinquency": panel, "accounts": accounts}
    write_tables(tables, out_dir, own=own_files(performance_file, mapping))
    return tables


def write_tables(
    tables: dict[str, pd.DataFrame | None],
    out_dir: str | os.PathLike,
    truth: dict | None = None,
    own: dict | None = None,
) -> None:
    """Write each table as ``<name>.parquet``, the synthetic truth as ``truth.json`` and the own
    input files as :data:`OWN_FILES`, each atomically, all under the folder's lock. A table (or
    truth, or file list) that is None is removed, since one left from other data would not
    describe these loans."""
    out_dir = Path(out_dir)
    with exclusive_lock(out_dir):  # one writer at a time; a killed one leaves no stale lock
        remove_stale_temporaries(out_dir)
        for name, frame in tables.items():
            if frame is None:
                (out_dir / f"{name}.parquet").unlink(missing_ok=True)
            else:
                write_parquet_atomic(frame, out_dir / f"{name}.parquet")
        for name, content in (("truth.json", truth), (OWN_FILES, own)):
            if content is None:
                (out_dir / name).unlink(missing_ok=True)
            else:
                with atomic_path(out_dir / name) as tmp:
                    tmp.write_text(json.dumps(content, indent=1) + "\n")
