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


def distribution(
    features: pd.DataFrame, column: str, by: str = "defaulted", ax=None, bins: int = 30
):
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
            ax.hist(
                group[column].dropna().clip(low, high),
                bins=edges,
                density=True,
                alpha=0.55,
                color=OUTCOME_COLOURS.get(level),
                label=f"{by}={level}",
            )
        ax.set_ylabel("density")
    else:
        # Numeric levels keep their numeric order and print without a trailing ".0".
        keys = (
            values.map(lambda v: f"{v:g}", na_action="ignore")
            if pd.api.types.is_numeric_dtype(values)
            else values
        )
        order = sorted(values.dropna().unique())
        labels = [f"{v:g}" if pd.api.types.is_numeric_dtype(values) else str(v) for v in order]
        shares = features.groupby(keys.astype(object).fillna("missing"))[by].mean()
        shares = shares.reindex(labels + (["missing"] if values.isna().any() else []))
        ax.bar(shares.index.astype(str), shares.to_numpy(), color=OUTCOME_COLOURS[1], alpha=0.8)
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
    for ax in grid.flat[len(columns) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return grid.flat[: len(columns)]


def _step_curves(table: pd.DataFrame, value: str, ax, ylabel: str, title: str):
    for group, curve in table.groupby("group", sort=True):
        curve = curve.sort_values("time")
        (line,) = ax.step(curve["time"], curve[value], where="post", label=str(group))
        if {"ci_lower", "ci_upper"} <= set(curve.columns):
            ax.fill_between(
                curve["time"],
                curve["ci_lower"],
                curve["ci_upper"],
                step="post",
                alpha=0.15,
                color=line.get_color(),
                linewidth=0,
            )
    ax.set_xlabel("months on book")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if table["group"].nunique() > 1:
        ax.legend(fontsize="small", ncol=2)
    return ax


def km_curves(km: pd.DataFrame, ax=None, title: str = "Kaplan–Meier: share not yet defaulted"):
    """Kaplan–Meier curves with their confidence bands, from :func:`overdue.models.survival_curves.kaplan_meier`.

    Examples
    --------
    >>> km = pd.DataFrame({"group": "all", "time": [1, 2], "survival": [0.9, 0.8]})
    >>> km_curves(km).get_ylabel()
    'survival (no default)'
    """
    return _step_curves(km, "survival", _axes(ax), "survival (no default)", title)


def cif_curves(cif: pd.DataFrame, ax=None, title: str = "Cumulative incidence of default"):
    """Cumulative incidence curves with bands, from :func:`overdue.models.incidence.cumulative_incidence`.

    Examples
    --------
    >>> cif = pd.DataFrame({"group": "all", "time": [1, 2], "cif": [0.01, 0.03]})
    >>> cif_curves(cif).get_ylabel()
    'cumulative incidence'
    """
    return _step_curves(cif, "cif", _axes(ax), "cumulative incidence", title)


#: Candidate ticks of a ratio axis, coarse to fine: the first set with three ticks in view is
#: used, so the axis reads 0.5, 1, 2 rather than 10^0.
_FOREST_TICK_SETS = (
    (1, 2, 5),
    (1, 1.5, 2, 3, 5, 7),
    (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9),
    (1, 1.05, 1.1, 1.15, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2, 2.5, 3, 4, 5, 6, 7, 8, 9),
)


def _forest_ticks(low: float, high: float) -> list[float]:
    """Plain ratio ticks between ``low`` and ``high`` (> 0), at least three where possible."""
    ticks: list[float] = []
    for subs in _FOREST_TICK_SETS:
        ticks = sorted(
            {
                float(f"{s * 10.0**e:.6g}")
                for e in range(int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1)
                for s in subs
            }
        )
        ticks = [t for t in ticks if low <= t <= high]
        if len(ticks) >= 3:
            return ticks
    return ticks


def forest(
    result_or_summary,
    ax=None,
    exponentiate: bool = True,
    title: str | None = None,
    drop: tuple[str, ...] = ("Intercept",),
    alpha: float | None = None,
    data=None,
):
    """Forest plot of odds or hazard ratios (or coefficients) with their intervals, one row a
    term labelled in its reported unit (:func:`overdue.models.labels.labelled_summary`: "FICO
    score, per 50 points", "Purpose: business (vs refinancing)"), never in formula syntax.

    Ratios read on a log scale with plain tick labels (0.5, 1, 2). The axis says which ratio it
    is (``FitResult.ratio_name``: from the model's link, so a logit-link hazard reads "odds
    ratio") and the interval level (the fit's ``alpha``, or ``alpha`` for a bare summary).

    Parameters
    ----------
    result_or_summary : FitResult or pandas.DataFrame
        A fit, its labelled summary, or a bare tidy summary.
    data : DataFrame, optional
        The data fitted, to name factors' reference levels (``Vintage: 2009 (vs 2007)``).

    Examples
    --------
    >>> from overdue.models.result import FitResult, tidy_summary
    >>> ax = forest(tidy_summary(["fico", "dti"], [-0.01, 0.02], [0.002, 0.005]))
    >>> [t.get_text() for t in ax.get_yticklabels()], ax.get_xlabel()
    (['FICO score, per 50 points', 'Debt-to-income, per 10 points'], 'ratio (95% CI)')
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['0.5', '0.7', '1']
    >>> fit = FitResult("hazard_logit", tidy_summary(["x"], [0.1], [0.05], alpha=0.1), n=9,
    ...                 events=3, converged=True, link="logit", alpha=0.1)
    >>> forest(fit).get_xlabel()
    'odds ratio (90% CI)'
    """
    from overdue.models.labels import labelled_summary, reading_order

    summary = result_or_summary
    if "label" not in getattr(summary, "columns", ()):
        summary = labelled_summary(result_or_summary, data, drop)
    summary = summary.drop(index=[t for t in drop if t in summary.index])
    # Grouped by family of causes, each as the specification writes its terms.
    summary = summary.loc[
        reading_order(summary.index, [getattr(result_or_summary, "formula", None)])
    ]
    if alpha is None:
        alpha = getattr(result_or_summary, "alpha", summary.attrs.get("alpha", 0.05))
    prefix = "exp_" if exponentiate else ""
    estimate = summary[f"{prefix}estimate"].to_numpy(dtype=float)
    lower = summary[f"{prefix}ci_lower"].to_numpy(dtype=float)
    upper = summary[f"{prefix}ci_upper"].to_numpy(dtype=float)
    longest = max((len(str(label)) for label in summary["label"]), default=10)
    ax = _axes(ax, size=(4.5 + 0.055 * longest, 0.3 * len(summary) + 1.3))
    rows = np.arange(len(summary))[::-1]
    ax.errorbar(
        estimate,
        rows,
        xerr=[estimate - lower, upper - estimate],
        fmt="o",
        color="#333",
        ecolor="#888",
        capsize=2,
        markersize=4,
    )
    ax.axvline(1.0 if exponentiate else 0.0, color="#C44E52", linewidth=0.8, linestyle="--")
    ax.set_yticks(rows, summary["label"].tolist())
    ax.set_ylim(-0.7, len(summary) - 0.3)
    if exponentiate:
        ax.set_xscale("log")
        finite = np.concatenate([lower, upper, [1.0]])
        finite = finite[np.isfinite(finite) & (finite > 0)]
        low, high = finite.min() / 1.08, finite.max() * 1.08
        ticks = _forest_ticks(low, high)
        ax.xaxis.set_minor_locator(plt.matplotlib.ticker.NullLocator())
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_xlim(low, high)
    ax.grid(axis="x", color="#ddd", linewidth=0.6)
    ax.set_axisbelow(True)
    quantity = (
        getattr(result_or_summary, "ratio_name", summary.attrs.get("ratio_name", "ratio"))
        if exponentiate
        else "coefficient"
    )
    ax.set_xlabel(f"{quantity} ({1 - alpha:.0%} CI)")
    model = getattr(result_or_summary, "model", summary.attrs.get("model", ""))
    ax.set_title(title or model.replace("_", " "))
    return ax


def default_rates(rates: pd.DataFrame, ax=None, title: str = "Default rate"):
    """Default rate by level with Wilson intervals, from :func:`overdue.models.descriptive.default_rates`.

    Examples
    --------
    >>> rates = pd.DataFrame({"rate": [0.1, 0.2], "ci_lower": [0.08, 0.15], "ci_upper": [0.12, 0.25]}, index=["A", "B"])
    >>> len(default_rates(rates).patches)
    2
    """
    ax = _axes(ax)
    labels = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in rates.index]
    ax.bar(
        labels,
        rates["rate"],
        color="#C44E52",
        alpha=0.8,
        yerr=[rates["rate"] - rates["ci_lower"], rates["ci_upper"] - rates["rate"]],
        capsize=3,
    )
    ax.set_ylabel("default rate (95% Wilson CI)")
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=45 if len(labels) > 6 else 0)
    return ax


def vintage_curves(curves: pd.DataFrame, by: str = "issue_year", ax=None):
    """Cumulative default share by month on book, one line per vintage, from
    :func:`overdue.models.descriptive.vintage_curves`.

    Examples
    --------
    >>> curves = pd.DataFrame({"issue_year": [2010, 2010], "month_on_book": [1, 2], "cum_default_share": [0.0, 0.01]})
    >>> len(vintage_curves(curves).lines)
    1
    """
    ax = _axes(ax)
    for vintage, curve in curves.groupby(by, sort=True):
        ax.plot(curve["month_on_book"], curve["cum_default_share"], label=str(vintage))
    ax.set_xlabel("months on book")
    ax.set_ylabel("cumulative share defaulted")
    ax.set_title(f"Vintage curves by {by}")
    ax.legend(fontsize="small", ncol=2)
    return ax


def calibration(calibration_result, ax=None, title: str = "Calibration by risk decile"):
    """Observed against predicted default rate by risk group, with the Hosmer–Lemeshow test.

    Examples
    --------
    >>> from overdue.models.assessment import calibration_table
    >>> cal = calibration_table([0, 1, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8], bins=3)
    >>> calibration(cal).get_xlabel()
    'mean predicted probability'
    """
    ax = _axes(ax, size=(5, 5))
    table = calibration_result.table
    top = float(max(table["mean_predicted"].max(), table["observed_rate"].max())) * 1.05
    ax.plot([0, top], [0, top], color="#888", linestyle="--", linewidth=0.8)
    ax.plot(table["mean_predicted"], table["observed_rate"], "o-", color="#4C72B0")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed default rate")
    ax.set_title(
        f"{title}\nHosmer–Lemeshow χ²={calibration_result.statistic:.1f}, "
        f"df={calibration_result.df}, p={calibration_result.p:.3g}"
    )
    return ax


def attribution_bars(
    table: pd.DataFrame,
    column: str = "shapley_r2",
    ax=None,
    title: str = "Share of explained variation by family (Shapley, McFadden R²)",
):
    """Bars per factor family with their bootstrap intervals, from the attribution table.

    Examples
    --------
    >>> t = pd.DataFrame({"shapley_r2": [0.03, 0.01], "shapley_ci_lower": [0.02, 0.0],
    ...                   "shapley_ci_upper": [0.04, 0.02]}, index=["credit", "macro"])
    >>> len(attribution_bars(t).patches)
    2
    """
    ax = _axes(ax)
    stem = column.rsplit("_", 1)[0] if column.endswith("_r2") else column
    lower = table.get(f"{stem}_ci_lower", table.get(f"{column}_ci_lower"))
    upper = table.get(f"{stem}_ci_upper", table.get(f"{column}_ci_upper"))
    # A percentile interval need not contain the point estimate; bars show its reach from the point.
    error = (
        None if lower is None else np.clip([table[column] - lower, upper - table[column]], 0, None)
    )
    ax.bar(table.index.astype(str), table[column], yerr=error, capsize=4, color="#55A868")
    ax.axhline(0, color="#333", linewidth=0.6)
    ax.set_ylabel(column)
    ax.set_title(title)
    return ax
