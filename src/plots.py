"""Plot functions: ``fn(data_or_result, ..., ax=None) -> Axes``. They draw; notebooks save."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

OUTCOME_COLOURS = {0: "#4C72B0", 1: "#C44E52"}


def _axes(ax, size=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def distribution(features: pd.DataFrame, column: str, by: str = "defaulted", ax=None, bins: int = 30):
    """Distribution of one feature, split by outcome: histograms (numeric) or rates (categorical).

    Examples
    --------
    >>> ax = distribution(pd.DataFrame({"x": [1.0, 2, 3, 4], "defaulted": [0, 0, 1, 1]}), "x")
    >>> ax.get_title()
    'x'
    """
    ax = _axes(ax)
    values = features[column]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 12:
        low, high = values.quantile([0.005, 0.995])
        edges = np.linspace(low, high, bins + 1) if high > low else bins
        for level, group in features.groupby(by):
            ax.hist(group[column].dropna().clip(low, high), bins=edges, density=True, alpha=0.55,
                    color=OUTCOME_COLOURS.get(level), label=f"{by}={level}")
        ax.set_ylabel("density")
    else:
        shares = features.groupby(values.astype("string").fillna("missing"))[by].agg(["mean", "size"])
        ax.bar(shares.index.astype(str), shares["mean"], color=OUTCOME_COLOURS[1], alpha=0.8)
        ax.set_ylabel(f"share {by}")
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_title(column)
    ax.legend(fontsize="small") if ax.get_legend_handles_labels()[0] else None
    return ax


def family_grid(features: pd.DataFrame, columns: list[str], by: str = "defaulted", ncols: int = 4):
    """:func:`distribution` for several features on one figure; returns the array of Axes.

    Examples
    --------
    >>> axes = family_grid(pd.DataFrame({"x": [1.0, 2], "y": [3.0, 4], "defaulted": [0, 1]}), ["x", "y"])
    >>> len(axes)
    2
    """
    nrows = int(np.ceil(len(columns) / ncols))
    fig, grid = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3 * nrows), squeeze=False)
    for ax, column in zip(grid.flat, columns):
        distribution(features, column, by=by, ax=ax)
    for ax in grid.flat[len(columns):]:
        ax.set_visible(False)
    fig.tight_layout()
    return grid.flat[: len(columns)]
