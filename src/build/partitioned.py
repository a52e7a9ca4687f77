"""Build the features table and the loan-month panel from partitioned parquet, on pandas or Dask.

The in-memory build (:func:`overdue.build.tables.build`, through
:func:`overdue.features.build.derive_features`) holds every loan at once. Here the same two
functions, :func:`~overdue.features.build.compute_features` and
:func:`~overdue.features.outcomes.build_panel`, run on one partition of loans at a time, so the
memory needed is set by the partition size, not by the number of loans:

1. **One first pass** over the loans (five columns) resolves everything that depends on the
   whole table into one :class:`~overdue.features.registry.FeatureContext`: the FICO grade
   cut-offs (:func:`~overdue.features.underwriting.fico_grade_cutoffs_from_counts` of the FICO
   and grade counts summed over the partitions) and the snapshot month (latest issue or payment
   month). Every partition gets this same context, so the result equals the in-memory build row
   for row.
2. **Per partition**: features, then the panel of those loans; both written as parquet parts
   ``out_dir/features/part-00000.parquet …`` and ``out_dir/panel/part-00000.parquet …``.

``backend="pandas"`` loops over record batches of at most ``batch_rows`` loans in this process.
``backend="dask"`` maps the same per-partition functions over ``dask.dataframe.read_parquet``
partitions (one file or row group each) with the shared context sent to the cluster once.

Using an existing Dask cluster
------------------------------
Connect a client to the scheduler's address and pass it (or just create it: Dask uses the most
recent client by default)::

    from distributed import Client
    client = Client("tcp://scheduler-host:8786")      # the address `dask scheduler` prints
    build_features_partitioned("data/synthetic/10m/loans", macro, "data/processed/10m",
                               backend="dask", client=client)

The workers read ``loans_dir`` and write ``out_dir`` themselves, so both must be paths every
worker sees identically (a shared file system) or URLs of an object store that fsspec reads
(``s3://bucket/loans``, with ``s3fs`` installed on client and workers). The workers need this
package installed (``pip install -e .``) at the same version as the client. Locally,
``distributed.LocalCluster(n_workers=2, threads_per_worker=1, memory_limit="4GB")`` gives the
same setup on one machine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from overdue.data.loans import as_canonical, loan_partitions
from overdue.data.partitions import columns_with_values
from overdue.features.build import compute_features
from overdue.features.outcomes import build_panel, outcome_params
from overdue.features.registry import FeatureContext
from overdue.features.underwriting import fico_grade_cutoffs_from_counts

BACKENDS = ("pandas", "dask")
#: Columns the first pass reads: what the whole-table parts of the context depend on.
CONTEXT_COLUMNS = ["fico_range_low", "fico_range_high", "grade", "issue_d", "last_pymnt_d"]


@dataclass
class PartitionedBuild:
    """Where a partitioned build wrote its tables, and what it found.

    Attributes
    ----------
    features_dir, panel_dir : pathlib.Path
        Folders of parquet parts (read them with ``pd.read_parquet(folder)``, a
        ``pyarrow.dataset`` or :func:`overdue.data.partitions.as_partitions`).
    context : FeatureContext
        The shared context every partition was built with.
    n_loans, n_panel_rows, partitions : int
        Rows written and number of parts of each table.
    backend : str
        ``"pandas"`` or ``"dask"``.
    seconds : float
        Wall time of the build, first pass included.
    """

    features_dir: Path
    panel_dir: Path
    context: FeatureContext
    n_loans: int
    n_panel_rows: int
    partitions: int
    backend: str
    seconds: float


# ------------------------------------------------------------------------------- first pass
def partitioned_context(
    loans_dir: str | os.PathLike,
    macro: pd.DataFrame,
    macro_source: str = "macro panel",
    batch_rows: int = 1_000_000,
    **outcome_options,
) -> FeatureContext:
    """The context :func:`overdue.features.build.make_context` would give for all loans in
    ``loans_dir`` at once, from one pass over five of their columns in bounded memory.

    Parameters
    ----------
    loans_dir : str or path
        Parquet folder (or file) of the canonical loan table.
    macro : pandas.DataFrame
        The macro panel.
    macro_source : str
        Where the macro panel came from, named in errors.
    batch_rows : int
        Loans read at a time.
    **outcome_options
        ``overdue_statuses``, ``snapshot``, ``charge_off_lag`` as in
        :func:`~overdue.features.outcomes.outcome_params`.

    Examples
    --------
    >>> context = partitioned_context("data/synthetic/1m/loans", macro)  # doctest: +SKIP
    >>> len(context.fico_grade_cutoffs)  # doctest: +SKIP
    6
    """
    fico_counts = pd.Series(dtype="int64")
    grade_counts = pd.Series(dtype="int64")
    latest_issue = latest_payment = pd.NaT
    for part in loan_partitions(loans_dir, batch_rows, columns=CONTEXT_COLUMNS):
        # The same midpoint make_context takes.
        fico_mid = (part["fico_range_low"] + part["fico_range_high"]) / 2
        fico_counts = fico_counts.add(fico_mid.value_counts(), fill_value=0)
        grade_counts = grade_counts.add(part["grade"].value_counts(), fill_value=0)
        latest_issue = _latest(latest_issue, part["issue_d"].max())
        latest_payment = _latest(latest_payment, part["last_pymnt_d"].max())
    if fico_counts.empty:
        raise ValueError(
            f"loans_dir {os.fspath(loans_dir)!r}: column 'fico_range_low' has no "
            "values (no loans, or no FICO scores), so no FICO grade cut-offs"
        )
    cutoffs = fico_grade_cutoffs_from_counts(fico_counts, grade_counts)
    extremes = pd.DataFrame(
        {"issue_d": [latest_issue], "last_pymnt_d": [latest_payment]}, dtype="datetime64[ns]"
    )
    given = columns_with_values(loans_dir) if isinstance(loans_dir, (str, os.PathLike)) else None
    return FeatureContext(
        macro=macro,
        macro_source=macro_source,
        fico_grade_cutoffs=cutoffs,
        params=outcome_params(extremes, **outcome_options),
        present=given,
    )


def _latest(current, candidate):
    if pd.isna(candidate):
        return current
    return candidate if pd.isna(current) else max(current, candidate)


# ----------------------------------------------------------------------------- per partition
def features_partition(loans: pd.DataFrame, context: FeatureContext) -> pd.DataFrame:
    """The features of one partition of loans (canonical types enforced first).

    Examples
    --------
    >>> features = features_partition(next(loan_partitions(folder)), context)  # doctest: +SKIP
    """
    return compute_features(as_canonical(loans), context)


def panel_partition(
    features: pd.DataFrame, context: FeatureContext, macro_lag: int
) -> pd.DataFrame:
    """The loan-month panel of one partition's features.

    Examples
    --------
    >>> panel = panel_partition(features, context, macro_lag=1)  # doctest: +SKIP
    """
    return build_panel(features, context, macro_lag=macro_lag)


def _part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


# ----------------------------------------------------------------------------------- backends
def _build_pandas(loans_dir, context, staging: Path, macro_lag: int, batch_rows: int) -> None:
    for index, loans in enumerate(loan_partitions(loans_dir, batch_rows)):
        features = features_partition(loans, context)
        panel_partition(features, context, macro_lag).to_parquet(
            staging / "panel" / _part_name(index), index=False
        )
        features.to_parquet(staging / "features" / _part_name(index), index=False)


def _build_dask(loans_dir, context, staging: Path, macro_lag: int, client) -> None:
    import dask
    import dask.dataframe as dd

    # Meta (column names and dtypes of the outputs) from a few real loans: Dask's made-up
    # sample rows would fail the feature code's checks (unknown statuses, purposes).
    sample = next(loan_partitions(loans_dir, batch_rows=64))
    features_meta = features_partition(sample, context)
    panel_meta = panel_partition(features_meta, context, macro_lag).iloc[:0]
    # One copy of the context (it holds the macro panel) in the graph, not one per task.
    shared_context = dask.delayed(context, pure=True)
    loans = dd.read_parquet(os.fspath(loans_dir))
    features = loans.map_partitions(
        features_partition, shared_context, meta=features_meta.iloc[:0]
    )
    panel = features.map_partitions(panel_partition, shared_context, macro_lag, meta=panel_meta)
    writes = [
        table.to_parquet(
            os.fspath(staging / name), compute=False, write_index=False, name_function=_part_name
        )
        for name, table in (("features", features), ("panel", panel))
    ]
    if client is None:
        dask.compute(*writes)
    else:
        client.compute(writes, sync=True)


def _count_rows(folder: Path) -> tuple[int, int]:
    import pyarrow.dataset as pads

    files = sorted(folder.glob("*.parquet"))
    return (pads.dataset(folder, format="parquet").count_rows() if files else 0), len(files)


def build_features_partitioned(
    loans_dir: str | os.PathLike,
    macro: pd.DataFrame,
    out_dir: str | os.PathLike,
    backend: str = "pandas",
    client=None,
    macro_lag: int = 1,
    macro_source: str = "macro panel",
    batch_rows: int = 250_000,
    **outcome_options,
) -> PartitionedBuild:
    """Build ``out_dir/features/`` and ``out_dir/panel/`` (partitioned parquet) from the loans
    in ``loans_dir``, in memory bounded by the partition size.

    Parameters
    ----------
    loans_dir : str or path
        Parquet folder (or file) holding the canonical loan table, e.g. the ``loans`` folder of
        :func:`overdue.synthetic.write_synthetic`.
    macro : pandas.DataFrame
        The macro panel (:func:`overdue.data.fred.macro_panel`).
    out_dir : str or path
        Where ``features/`` and ``panel/`` go; existing ones are replaced only once the new
        ones are complete.
    backend : {"pandas", "dask"}
        ``pandas``: batches of ``batch_rows`` loans in this process. ``dask``: the parquet
        partitions as Dask tasks (on ``client``'s cluster, or Dask's current scheduler).
    client : distributed.Client, optional
        Cluster to run on (dask backend only); see the module docstring for remote clusters.
    macro_lag : int
        Months by which the panel's unemployment is lagged (see
        :func:`~overdue.features.outcomes.build_panel`).
    macro_source : str
        Where the macro panel came from, named in errors.
    batch_rows : int
        Loans per partition for the pandas backend (and per read in the first pass).
    **outcome_options
        ``overdue_statuses``, ``snapshot``, ``charge_off_lag``.

    Returns
    -------
    PartitionedBuild

    Examples
    --------
    >>> built = build_features_partitioned("data/synthetic/1m/loans", macro,  # doctest: +SKIP
    ...                                    "data/processed/1m", backend="pandas")
    >>> built.n_panel_rows == pd.read_parquet(built.features_dir, columns=["time"])["time"].sum()  # doctest: +SKIP
    True
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if client is not None and backend != "dask":
        raise ValueError("client is only used by backend='dask'")
    if macro_lag < 0:
        raise ValueError(f"macro_lag must be 0 or more months, got {macro_lag}")
    started = time.perf_counter()
    context = partitioned_context(loans_dir, macro, macro_source, **outcome_options)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir))
    try:
        for name in ("features", "panel"):
            (staging / name).mkdir()
        if backend == "pandas":
            _build_pandas(loans_dir, context, staging, macro_lag, batch_rows)
        else:
            _build_dask(loans_dir, context, staging, macro_lag, client)
        for name in ("features", "panel"):
            if (out_dir / name).exists():
                shutil.rmtree(out_dir / name)
            (staging / name).rename(out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    n_loans, partitions = _count_rows(out_dir / "features")
    n_panel_rows, _ = _count_rows(out_dir / "panel")
    return PartitionedBuild(
        out_dir / "features",
        out_dir / "panel",
        context,
        n_loans,
        n_panel_rows,
        partitions,
        backend,
        time.perf_counter() - started,
    )
