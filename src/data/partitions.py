"""Partitioned data, read one partition at a time: the one reader of partitioned parquet.

Whatever holds the rows - an in-memory DataFrame, a list of them, a folder of parquet, a pyarrow
Dataset, a dask DataFrame or a callable - :func:`as_partitions` wraps it as re-iterable
:class:`Partitions`, so that the out-of-core model fits (:mod:`overdue.models.irls`) and the
partitioned feature build (:func:`overdue.data.loans.loan_partitions`) read data the same way,
in memory bounded by one partition.

Parquet is read by a pyarrow dataset Scanner with a read-ahead of one batch and one file, on one
thread (``batch_readahead=1, fragment_readahead=1, use_threads=False``). That bounds memory:
``benchmarks/bench_partition_reader.py`` (figures in ``benchmarks/results/partition_reader.jsonl``)
consumes 250,000-row batches of five numeric columns at 0.1 s each in a fresh process, and this
Scanner held 229 MiB above its baseline on 12 files of 1M rows (458 MiB of data) and 186 MiB on
3 such files - flat in the size of the folder. With pyarrow's default read-ahead and threads it
held 660 and 242 MiB, growing with the folder: that is what the settings prevent. Reading file by
file with ``pyarrow.parquet.ParquetFile.iter_batches`` is flat too, at about half the figure
(121 and 89 MiB), but it reads neither hive partition keys nor an arbitrary pyarrow Dataset, and
its batches run across row groups where the Scanner's stop at them, so it would move the model
fits' partition boundaries and with them the order of their sums. The Scanner is the one reader.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence

import pandas as pd

__all__ = ["Partitions", "as_partitions"]


class Partitions:
    """A re-iterable stream of pandas DataFrame partitions (one pass per ``iter`` call).

    Build one with :func:`as_partitions`; see there for accepted inputs.

    Parameters
    ----------
    make_iter : callable
        ``make_iter(columns, categorical)`` returns an iterator of DataFrames restricted to
        ``columns`` when the source can project (parquet, dask) - ``columns=None`` means all
        columns. String columns named in ``categorical`` may come as pandas Categoricals (of
        the partition's own values) where the source makes that cheap (parquet); other
        sources ignore it.
    columns : list of str or None
        Column names when known without reading data (parquet schema, dask meta).
    description : str
        What the source is, for messages.

    Examples
    --------
    >>> parts = as_partitions([pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [3]})])
    >>> [len(p) for p in parts.iter()]
    [2, 1]
    """

    def __init__(
        self,
        make_iter: Callable[[list[str] | None, Sequence[str]], Iterable[pd.DataFrame]],
        columns: list[str] | None,
        description: str,
    ):
        self._make_iter = make_iter
        self.columns = columns
        self.description = description

    def iter(
        self, columns: Sequence[str] | None = None, categorical: Sequence[str] = ()
    ) -> Iterator[pd.DataFrame]:
        """Iterate over the partitions once, reading only ``columns`` where the source can,
        and string columns in ``categorical`` as pandas Categoricals where that is cheap."""
        wanted = None if columns is None else list(dict.fromkeys(columns))
        for index, part in enumerate(self._make_iter(wanted, list(categorical))):
            if not isinstance(part, pd.DataFrame):
                raise ValueError(
                    f"{self.description}: partition {index} is a "
                    f"{type(part).__name__}, not a pandas DataFrame"
                )
            # A suspended generator keeps its locals alive: yielding ``part`` itself would pin
            # each partition until the next is read. Popping it from a list hands it over.
            handover = [part]
            del part
            yield handover.pop()

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self.iter()

    def __repr__(self) -> str:
        return f"<Partitions: {self.description}>"


def as_partitions(data, batch_rows: int = 1_000_000) -> Partitions:
    """Wrap any supported data source as re-iterable :class:`Partitions`.

    Parameters
    ----------
    data : DataFrame, list of DataFrame, str or path, pyarrow Dataset, dask DataFrame, callable
        A DataFrame is one partition; a list is iterated as given; a path is opened with
        ``pyarrow.dataset.dataset(path, format="parquet", partitioning="hive")``; a dask
        DataFrame is computed one partition at a time; a callable must return a fresh iterable
        of DataFrames on every call. A :class:`Partitions` is returned unchanged.
    batch_rows : int
        Largest partition read from parquet (a record batch never spans row groups, so
        partitions can be smaller).

    Returns
    -------
    Partitions

    Examples
    --------
    >>> as_partitions(pd.DataFrame({"a": [1, 2, 3]}))
    <Partitions: an in-memory DataFrame of 3 rows>
    """
    if isinstance(data, Partitions):
        return data
    if isinstance(data, pd.DataFrame):
        frame = data
        return Partitions(
            lambda columns, categorical: [frame],
            list(frame.columns),
            f"an in-memory DataFrame of {len(frame)} rows",
        )
    if isinstance(data, (list, tuple)):
        frames = list(data)
        return Partitions(
            lambda columns, categorical: iter(frames), None, f"a list of {len(frames)} frames"
        )
    if isinstance(data, (str, os.PathLike)):
        import pyarrow.dataset as pads

        if not os.path.exists(data):
            raise ValueError(f"parquet data set {os.fspath(data)!r} does not exist")
        return _arrow_partitions(
            pads.dataset(data, format="parquet", partitioning="hive"),
            batch_rows,
            f"parquet at {os.fspath(data)}",
        )
    if type(data).__module__.startswith("pyarrow") and hasattr(data, "schema"):
        return _arrow_partitions(data, batch_rows, "a pyarrow dataset")
    if type(data).__module__.startswith("dask") and hasattr(data, "npartitions"):
        return _dask_partitions(data)
    if callable(data):
        name = getattr(data, "__name__", repr(data))
        return Partitions(lambda columns, categorical: data(), None, f"callable {name}")
    raise ValueError(
        f"cannot read partitions from a {type(data).__name__}; pass a DataFrame, a "
        "list of DataFrames, a parquet path, a pyarrow Dataset, a dask DataFrame "
        "or a callable returning an iterable of DataFrames"
    )


def columns_with_values(path: str | os.PathLike) -> frozenset[str]:
    """The columns of a parquet data set that hold a value in some row, from the files' row-group
    statistics (no data is read; a column without statistics counts as holding values).

    What :class:`~overdue.features.registry.FeatureContext` calls ``present``: judged over the
    whole data set, so every partition computes the same features.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"a": [1.0, None], "b": [float("nan")] * 2, "c": [None, None]}).to_parquet(
    ...     folder / "part.parquet")
    >>> sorted(columns_with_values(folder))
    ['a']
    """
    import pyarrow.dataset as pads

    dataset = pads.dataset(path, format="parquet", partitioning="hive")
    present: set[str] = set()
    in_files: set[str] = set()
    for fragment in dataset.get_fragments():
        metadata = fragment.metadata
        for g in range(metadata.num_row_groups):
            group = metadata.row_group(g)
            for j in range(group.num_columns):
                column = group.column(j)
                name = column.path_in_schema
                in_files.add(name)
                stats = column.statistics
                if stats is None or not stats.has_null_count or stats.null_count < group.num_rows:
                    present.add(name)
    import pyarrow as pa

    keys = set(dataset.schema.names) - in_files - {"__index_level_0__"}  # hive partition keys
    untyped = {f.name for f in dataset.schema if pa.types.is_null(f.type)}  # all None, no stats
    return frozenset((present | keys) - untyped)


def _arrow_partitions(dataset, batch_rows: int, description: str) -> Partitions:
    import pyarrow.dataset as pads

    def make_iter(columns, categorical):
        # Read-ahead of one batch and one file, one thread: what bounds memory (module
        # docstring). A pass spends its time on the model, not on decoding, so one thread costs
        # nothing visible.
        scanner = pads.Scanner.from_dataset(
            dataset,
            columns=columns,
            batch_size=batch_rows,
            batch_readahead=1,
            fragment_readahead=1,
            use_threads=False,
        )
        for batch in scanner.to_batches():
            if categorical:
                batch = _dictionary_encoded(batch, categorical)
            handover = [batch.to_pandas()] if batch.num_rows else []
            del batch  # the arrow buffers go now, not when the next batch is read
            if handover:
                yield handover.pop()

    return Partitions(make_iter, list(dataset.schema.names), description)


def _dictionary_encoded(batch, names: Sequence[str]):
    """``batch`` with its string columns among ``names`` dictionary-encoded.

    pandas turns a dictionary column into a Categorical without creating a Python string per
    row, which is what makes a string column slow to read, to check for missing values and to
    cast to declared levels.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays, fields = [], []
    for field_, array in zip(batch.schema, batch.columns):
        if field_.name in names and (
            pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        ):
            array = pc.dictionary_encode(array)
            field_ = field_.with_type(array.type)
        arrays.append(array)
        fields.append(field_)
    schema = pa.schema(fields, metadata=batch.schema.metadata)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _dask_partitions(frame) -> Partitions:
    def make_iter(columns, categorical):
        projected = frame if columns is None else frame[columns]
        for index in range(projected.npartitions):
            yield projected.get_partition(index).compute()

    return Partitions(
        make_iter, list(frame.columns), f"a dask DataFrame of {frame.npartitions} partitions"
    )
