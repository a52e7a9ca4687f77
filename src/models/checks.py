"""Input checks every estimator and test in :mod:`overdue.models` shares.

Each check raises a ``ValueError`` whose message names the column, its role and what is wrong,
so that the same mistake reads the same whichever model it was made in.

Examples
--------
>>> loans = pd.DataFrame({"time": [3, 5, 2], "defaulted": [1, 0, 2]})
>>> duration_column(loans, "time").tolist()
[3.0, 5.0, 2.0]
>>> binary_column(loans, "defaulted", "event")
Traceback (most recent call last):
...
ValueError: event column 'defaulted' must be 0/1, found values [2.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: The event code of a censored subject in an event-code column (causes are 1, 2, ...).
CENSORED = 0

#: Cluster-robust (sandwich) variances are biased downwards with few clusters; below this many
#: the fit warns (Cameron & Miller 2015 put the danger zone at a few dozen clusters).
FEW_CLUSTERS = 40


def check_frame(df, *, rows: bool = True) -> pd.DataFrame:
    """``df`` itself, after checking it is a DataFrame (with rows, unless ``rows=False``)."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(df).__name__}")
    if rows and len(df) == 0:
        raise ValueError("the data frame has no rows")
    return df


def as_column_list(columns: str | Sequence[str] | None) -> list[str]:
    """``None`` -> ``[]``, ``"a"`` -> ``["a"]``, a sequence -> a list."""
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def require_columns(df: pd.DataFrame, columns: str | Sequence[str], role: str) -> None:
    """Raise naming the ``role`` (``"duration"``, ``"grouping"`` …) of columns ``df`` lacks.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "grouping")
    Traceback (most recent call last):
    ...
    ValueError: grouping column 'b' not found in the data frame
    """
    check_frame(df, rows=False)
    missing = [column for column in as_column_list(columns) if column not in df.columns]
    if len(missing) == 1:
        raise ValueError(f"{role} column {missing[0]!r} not found in the data frame")
    if missing:
        raise ValueError(f"{role} columns {missing} not found in the data frame")


def numeric_column(df: pd.DataFrame, column: str, role: str) -> np.ndarray:
    """The column as finite floats; missing, infinite or non-numeric values raise."""
    require_columns(df, [column], role)
    values = df[column]
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise ValueError(f"{role} column {column!r} must be numeric, got dtype {values.dtype}")
    array = values.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(
            f"{role} column {column!r} has {int(bad.sum())} missing or infinite "
            f"values (first at index {df.index[int(bad.argmax())]!r})"
        )
    return array


def duration_column(df: pd.DataFrame, column: str) -> np.ndarray:
    """Non-negative finite durations."""
    durations = numeric_column(df, column, "duration")
    if (durations < 0).any():
        raise ValueError(
            f"duration column {column!r} has {int((durations < 0).sum())} negative values"
        )
    return durations


def binary_column(
    df: pd.DataFrame, column: str, role: str = "event", both_values: bool = False
) -> np.ndarray:
    """A 0/1 column as booleans; with ``both_values``, a constant column raises too."""
    values = numeric_column(df, column, role)
    not_binary = (values != 0) & (values != 1)
    if not_binary.any():
        raise ValueError(
            f"{role} column {column!r} must be 0/1, found values "
            f"{np.unique(values[not_binary])[:5].tolist()}"
        )
    if both_values and len(values) and (values.min() == values.max()):
        raise ValueError(
            f"{role} column {column!r} has a single value ({values[0]:g}): the "
            "model needs both events and non-events"
        )
    return values.astype(bool)


def cause_codes(df: pd.DataFrame, column: str, cause: int) -> np.ndarray:
    """Integer event codes (``CENSORED`` = 0, causes 1, 2, ...), with ``cause`` among them."""
    codes = numeric_column(df, column, "event")
    if (codes != np.round(codes)).any() or (codes < 0).any():
        raise ValueError(
            f"event column {column!r} must hold non-negative integer codes "
            f"({CENSORED} censored, 1, 2, ... causes)"
        )
    if cause == CENSORED:
        raise ValueError(
            f"cause={cause} is the censoring code; pick an event code of column {column!r}"
        )
    codes = codes.astype(int)
    if not (codes == cause).any():
        raise ValueError(f"event column {column!r} has no events of cause {cause}")
    return codes


def check_alpha(alpha: float) -> float:
    """``alpha`` itself, after checking it lies strictly between 0 and 1."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    return alpha


def group_codes(
    df: pd.DataFrame, columns: str | Sequence[str] | None, role: str
) -> tuple[np.ndarray, list]:
    """Integer codes (sorted by value) and one label per group of the given columns.

    A single column keeps its own values as labels; several columns get R-style labels
    ``"a=x, b=y"``; no column means one group labelled ``"all"``. Missing values raise.

    Examples
    --------
    >>> codes, labels = group_codes(pd.DataFrame({"g": ["b", "a", "b"]}), "g", "grouping")
    >>> codes.tolist(), labels
    ([1, 0, 1], ['a', 'b'])
    """
    names = as_column_list(columns)
    if not names:
        return np.zeros(len(df), dtype=np.int64), ["all"]
    require_columns(df, names, role)
    for name in names:
        n_missing = int(df[name].isna().sum())
        if n_missing:
            raise ValueError(f"{role} column {name!r} has {n_missing} missing values")
    if len(names) == 1:
        codes, uniques = pd.factorize(df[names[0]], sort=True)
        return codes.astype(np.int64), list(uniques)
    grouped = df[names].groupby(names, sort=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    labels = [
        ", ".join(f"{name}={value}" for name, value in zip(names, key))
        for key in grouped.size().index
    ]
    return codes, labels


def check_cluster(df: pd.DataFrame, cluster: str | None) -> None:
    """Check the cluster column (if any) is present and complete."""
    if cluster is None:
        return
    if not isinstance(cluster, str):
        raise ValueError(f"cluster must be a column name, got {cluster!r}")
    require_columns(df, [cluster], "cluster")
    n_missing = int(df[cluster].isna().sum())
    if n_missing:
        raise ValueError(f"cluster column {cluster!r} has {n_missing} missing values")


def few_clusters_warning(n_clusters: int | None, cluster: str | None) -> list[str]:
    """The warning a cluster-robust fit carries when it has fewer than :data:`FEW_CLUSTERS`.

    Examples
    --------
    >>> few_clusters_warning(12, "addr_state")
    ["only 12 clusters in 'addr_state': cluster-robust standard errors are unreliable with fewer than 40"]
    """
    if cluster is None or n_clusters is None or n_clusters >= FEW_CLUSTERS:
        return []
    return [
        f"only {n_clusters} clusters in {cluster!r}: cluster-robust standard errors are "
        f"unreliable with fewer than {FEW_CLUSTERS}"
    ]


def comparison_groups(df: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[np.ndarray, list]:
    """:func:`group_codes` of the ``by`` column(s) a k-sample test compares (log-rank, Gray),
    after checking there are at least two groups.

    Examples
    --------
    >>> comparison_groups(pd.DataFrame({"term": [36, 36]}), "term")
    Traceback (most recent call last):
    ...
    ValueError: grouping column 'term' needs at least two groups, found 1
    """
    names = as_column_list(by)
    if not names:
        raise ValueError("a k-sample test needs a 'by' column defining the groups to compare")
    codes, labels = group_codes(df, names, "grouping")
    if len(labels) < 2:
        what = f"grouping column {names[0]!r}" if len(names) == 1 else f"grouping columns {names}"
        raise ValueError(f"{what} needs at least two groups, found {len(labels)}")
    return codes, labels
