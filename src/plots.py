"""Plot functions: ``fn(data_or_result, ..., ax=None) -> Axes``. They draw; notebooks save."""

from __future__ import annotations

import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from overdue.models.survival_curves import (
    AT_RISK_TIMES,
    MIN_AT_RISK,
    numbers_at_risk,
    until_at_risk,
)
from overdue.models.time_varying import beta_smooth

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


def natural_order(labels) -> list:
    """Group labels in reading order: by the first number a label holds ("<7%" before "7–9%"
    before "11%+"), then alphabetically; labels without numbers alphabetically.

    Examples
    --------
    >>> natural_order(["11%+", "7–9%", "9–11%", "<7%"])
    ['<7%', '7–9%', '9–11%', '11%+']
    >>> natural_order(["B", "A", 1, 0])
    [0, 1, 'A', 'B']
    """

    def key(label):
        text = str(label)
        number = re.search(r"\d+(?:\.\d+)?", text)
        if number is None:
            return (1, 0.0, 0, text)
        below = -1 if text.lstrip().startswith("<") else 0
        return (0, float(number.group()), below, text)

    return sorted(labels, key=key)


def level_names(variable, levels) -> dict:
    """Readable names of a grouping variable's levels, for legends and at-risk rows.

    ``variable`` is the registry's description of the column
    (:func:`overdue.features.registry.describe`; None: the levels as they are). A 0/1 column
    whose effect reads "vs <the other case>" names its 1 by its label and its 0 by that case.

    Examples
    --------
    >>> from overdue.features.registry import describe
    >>> level_names(describe("meets_policy"), [0, 1])
    {0: 'Issued outside it', 1: 'Met the credit policy'}
    >>> level_names(describe("term"), [36, 60])
    {36: '36 months', 60: '60 months'}
    >>> level_names(None, ["A"])
    {'A': 'A'}
    """
    if variable is None:
        return {level: str(level) for level in levels}
    binary = set(levels) <= {0, 1} and variable.levels is None
    per = variable.per or ""
    if binary and per.startswith("vs "):
        named = {1: variable.label, 0: per[3:][:1].upper() + per[4:]}
        return {level: named[level] for level in levels}
    return {level: variable.level_name(level) for level in levels}


def _step_curves(
    table: pd.DataFrame,
    value: str,
    ax,
    ylabel: str,
    title: str,
    start: float,
    min_at_risk: int,
    at_risk_times,
    variable=None,
):
    """Step curves by group, cut where fewer than ``min_at_risk`` remain, with the numbers at
    risk under the axis."""
    names = level_names(variable, table["group"].unique().tolist())
    counts = None if not at_risk_times else numbers_at_risk(table, at_risk_times)
    drawn = until_at_risk(table, min_at_risk)
    colours = {}
    order = natural_order(table["group"].unique().tolist())
    if counts is not None:
        counts = counts.loc[order]
    curves_by_group = dict(list(drawn.groupby("group", sort=False)))
    for group in order:
        if group not in curves_by_group:
            continue  # fewer than min_at_risk from the start: nothing to draw
        curve = curves_by_group[group].sort_values("time")
        # every curve starts at time 0 from its known value (no event yet)
        time = np.r_[0.0, curve["time"].to_numpy(dtype=float)]
        (line,) = ax.step(time, np.r_[start, curve[value]], where="post", label=names[group])
        colours[group] = line.get_color()
        if {"ci_lower", "ci_upper"} <= set(curve.columns):
            ax.fill_between(
                time,
                np.r_[start, curve["ci_lower"]],
                np.r_[start, curve["ci_upper"]],
                step="post",
                alpha=0.15,
                color=line.get_color(),
                linewidth=0,
            )
    ax.set_xlabel("months on book")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if at_risk_times:
        ax.set_xticks(list(at_risk_times))
        ax.set_xlim(0, max(max(at_risk_times), drawn["time"].max() if len(drawn) else 0) + 2)
    if table["group"].nunique() > 1:
        ax.legend(fontsize="small", ncol=2)
    if counts is not None:
        at_risk_table(ax, counts.rename(index=names), {names[g]: c for g, c in colours.items()})
    return ax


def at_risk_table(ax, counts: pd.DataFrame, colours: dict | None = None):
    """Print numbers at risk under an axis: one row per group, one column per time.

    ``counts`` is :func:`overdue.models.survival_curves.numbers_at_risk`'s table (groups by
    times); rows take the colour of their group's curve. The rows are placed in points below
    the axis, under the x label, so they keep their spacing whatever the figure's size.

    Examples
    --------
    >>> ax = _axes(None)
    >>> counts = pd.DataFrame([[100, 60], [80, 30]], index=["A", "B"], columns=[0, 12])
    >>> [t.get_text() for t in at_risk_table(ax, counts).texts][:4]
    ['Number at risk', 'A', '100', '60']
    """
    colours = colours or {}
    line = 9  # points between rows
    top = -34  # below the tick labels and the x label
    ax.annotate(
        "Number at risk",
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, top),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=7,
        fontweight="bold",
    )
    for row, (group, values) in enumerate(counts.iterrows(), start=1):
        colour = colours.get(group, "#333")
        offset = (0, top - line * row)
        ax.annotate(
            str(group),
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(-17, offset[1]),  # clear of the count centred on month 0
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=7,
            color=colour,
        )
        for time, count in values.items():
            ax.annotate(
                f"{int(count):,}",
                xy=(time, 0),
                xycoords=("data", "axes fraction"),
                xytext=offset,
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=7,
                color=colour,
            )
    return ax


def km_curves(
    km: pd.DataFrame,
    ax=None,
    title: str = "Kaplan–Meier: share not yet defaulted",
    min_at_risk: int = MIN_AT_RISK,
    at_risk_times=AT_RISK_TIMES,
    variable=None,
):
    """Kaplan–Meier curves with their confidence bands, from
    :func:`overdue.models.survival_curves.kaplan_meier`, and the numbers at risk under the axis.

    Each curve starts at 1 at month 0 and stops at the last time at least ``min_at_risk``
    loans of its group are at risk (:func:`~overdue.models.survival_curves.until_at_risk`);
    the table under the axis counts the loans at risk at ``at_risk_times`` (``None``: no
    table). ``variable`` (the registry's description of the grouping column) names the
    levels in the legend and the table (:func:`level_names`).

    Examples
    --------
    >>> km = pd.DataFrame({"group": "all", "time": [1, 2], "survival": [0.9, 0.8],
    ...                    "n_at_risk": [100, 60]})
    >>> ax = km_curves(km, at_risk_times=(0, 1, 2))
    >>> ax.get_ylabel(), ax.lines[0].get_xdata().tolist()
    ('survival (no default)', [0.0, 1.0, 2.0])
    >>> km_curves(km, min_at_risk=80).lines[0].get_xdata().tolist()  # stops when 60 remain
    [0.0, 1.0]
    """
    return _step_curves(
        km,
        "survival",
        _axes(ax),
        "survival (no default)",
        title,
        1.0,
        min_at_risk,
        at_risk_times,
        variable,
    )


def cif_curves(
    cif: pd.DataFrame,
    ax=None,
    title: str = "Cumulative incidence of default",
    min_at_risk: int = MIN_AT_RISK,
    at_risk_times=AT_RISK_TIMES,
    variable=None,
):
    """Cumulative incidence curves with bands, from
    :func:`overdue.models.incidence.cumulative_incidence`, cut and tabled as :func:`km_curves`
    (at risk: loans with no event of any cause yet).

    Examples
    --------
    >>> cif = pd.DataFrame({"group": "all", "time": [1, 2], "cif": [0.01, 0.03],
    ...                     "n_at_risk": [100, 90]})
    >>> cif_curves(cif).get_ylabel()
    'cumulative incidence'
    """
    return _step_curves(
        cif,
        "cif",
        _axes(ax),
        "cumulative incidence",
        title,
        0.0,
        min_at_risk,
        at_risk_times,
        variable,
    )


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
        reading_order(
            summary.index,
            [getattr(result_or_summary, "formula", summary.attrs.get("formula"))],
        )
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

    Only the points the table marks ``drawn`` are plotted (where enough of the vintage has
    been observed for the share to be the vintage's; all points when the column is absent),
    so a curve ends where its vintage's observation does.

    Examples
    --------
    >>> curves = pd.DataFrame({"issue_year": [2010, 2010, 2010], "month_on_book": [1, 2, 3],
    ...                        "cum_default_share": [0.0, 0.01, 0.005],
    ...                        "drawn": [True, True, False]})
    >>> vintage_curves(curves).lines[0].get_xdata().tolist()
    [1, 2]
    """
    ax = _axes(ax)
    if "drawn" in curves.columns:
        curves = curves[curves["drawn"]]
    for vintage, curve in curves.groupby(by, sort=True):
        ax.plot(curve["month_on_book"], curve["cum_default_share"], label=str(vintage))
    ax.set_xlabel("months on book")
    ax.set_ylabel("cumulative share defaulted")
    ax.set_title(f"Vintage curves by {by.replace('_', ' ')}")
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


def _time_ticks(residuals: pd.DataFrame, months=(6, 12, 24, 36, 48, 60)):
    """Positions on the g(t) axis of whole months, for tick labels in months as R's plot of
    cox.zph labels a transformed axis with the times."""
    times = residuals["time"].to_numpy(dtype=float)
    g = residuals["transformed_time"].to_numpy(dtype=float)
    order = np.argsort(times, kind="stable")
    times, g = times[order], g[order]
    distinct, first = np.unique(times, return_index=True)
    kept = [m for m in months if distinct.min() <= m <= distinct.max()]
    return np.interp(kept, distinct, g[first]), kept


def beta_t(
    zph,
    coefficient: str,
    ax=None,
    label=None,
    df: int = 4,
    max_time: float | None = None,
):
    """The time-varying coefficient beta(t) of one coefficient, as R's ``plot(cox.zph(fit))``.

    The natural-spline smooth of the scaled Schoenfeld residuals and its ±2 SE band
    (:func:`overdue.models.time_varying.beta_smooth`) against g(t), the time scale of the test
    (ticks labelled in months on book), with the model's constant coefficient (dashed) and 0
    (grey). Where R draws every residual, the points here are their means per month on book
    (the residuals themselves scatter far beyond the band); the y-axis spans the band.
    ``max_time`` stops the smooth and the axis at that month
    (:func:`~overdue.models.time_varying.beta_smooth`). ``label`` is a title, or a
    :class:`~overdue.models.labels.TermLabel`, whose ``scale`` puts beta(t) in the reported
    unit (FICO per 50 points: the per-point coefficient times 50).

    Examples
    --------
    >>> from overdue.models.cox import cox_zph, fit_cox
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"x": rng.normal(size=600)})
    >>> latent = np.ceil(rng.exponential(30 * np.exp(-0.4 * loans["x"]))).astype(int)
    >>> loans["time"], loans["defaulted"] = np.minimum(latent, 24), (latent <= 24).astype(int)
    >>> ax = beta_t(cox_zph(fit_cox(loans, ["x"])), "x", label="X")
    >>> ax.get_title(), ax.get_ylabel()
    ('X', 'β(t) (log hazard ratio)')
    """
    ax = _axes(ax, size=(4.5, 3.2))
    scale = float(getattr(label, "scale", 1.0))
    title = getattr(label, "label", label) or coefficient
    smooth = beta_smooth(zph, coefficient, df=df, max_time=max_time)
    smooth[["beta", "lower", "upper"]] *= scale
    residuals = zph.detail["scaled_residuals"]
    if max_time is not None:
        residuals = residuals[residuals["time"] <= max_time]
    monthly = residuals.groupby("time")[["transformed_time", coefficient]].mean()
    monthly[coefficient] *= scale
    ax.scatter(
        monthly["transformed_time"],
        monthly[coefficient],
        s=6,
        color="#999",
        linewidths=0,
        label="mean residual per month",
    )
    x = smooth["transformed_time"]
    ax.fill_between(x, smooth["lower"], smooth["upper"], color="#4C72B0", alpha=0.2, linewidth=0)
    ax.plot(x, smooth["beta"], color="#4C72B0", linewidth=1.6, label="β(t), ±2 SE")
    constant = smooth.attrs["constant"] * scale
    ax.axhline(constant, color="#C44E52", linestyle="--", linewidth=0.9, label="Cox estimate")
    ax.axhline(0.0, color="#888", linewidth=0.6)
    low = min(smooth["lower"].min(), constant, 0.0)
    high = max(smooth["upper"].max(), constant, 0.0)
    margin = 0.25 * (high - low) if high > low else 1.0
    ax.set_ylim(low - margin, high + margin)
    positions, months = _time_ticks(residuals)
    ax.set_xticks(positions, [str(m) for m in months])
    ax.set_xlabel(f"months on book ({zph.detail['transform']} scale)")
    ax.set_ylabel("β(t) (log hazard ratio)")
    ax.set_title(textwrap.fill(str(title), 48), fontsize="medium")
    return ax


def beta_t_grid(
    zph,
    coefficients,
    labels: dict | None = None,
    ncols: int = 4,
    df: int = 4,
    max_time: float | None = None,
):
    """:func:`beta_t` for several coefficients on one figure; returns the array of Axes.

    Examples
    --------
    >>> from overdue.models.cox import cox_zph, fit_cox
    >>> rng = np.random.default_rng(3)
    >>> loans = pd.DataFrame({"x": rng.normal(size=600), "z": rng.normal(size=600)})
    >>> latent = np.ceil(rng.exponential(30 * np.exp(-0.4 * loans["x"]))).astype(int)
    >>> loans["time"], loans["defaulted"] = np.minimum(latent, 24), (latent <= 24).astype(int)
    >>> len(beta_t_grid(cox_zph(fit_cox(loans, ["x", "z"])), ["x", "z"]))
    2

    ``labels`` maps coefficients to titles or :class:`~overdue.models.labels.TermLabel`
    (see :func:`beta_t`).
    """
    coefficients = list(coefficients)
    labels = labels or {}
    ncols = max(1, min(ncols, len(coefficients)))
    nrows = int(np.ceil(len(coefficients) / ncols))
    fig, grid = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.1 * nrows), squeeze=False)
    for ax, coefficient in zip(grid.flat, coefficients):
        label = labels.get(coefficient, coefficient)
        beta_t(zph, coefficient, ax=ax, label=label, df=df, max_time=max_time)
    for ax in grid.flat[len(coefficients) :]:
        ax.set_visible(False)
    grid.flat[0].legend(fontsize="x-small", loc="best")
    fig.tight_layout()
    return grid.flat[: len(coefficients)]


def raw_and_adjusted(table: pd.DataFrame, ax=None, title: str | None = None):
    """Hazard ratios of a factor's levels, raw and adjusted, side by side on a log scale,
    from :func:`overdue.models.descriptive.raw_and_adjusted` (one marker per model and level).

    Examples
    --------
    >>> t = pd.DataFrame({"model": ["raw", "raw", "adjusted", "adjusted"],
    ...                   "level": ["a", "b", "a", "b"], "reference": "a",
    ...                   "hazard_ratio": [1.0, 0.8, 1.0, 1.3], "ci_lower": [None, 0.7, None, 1.1],
    ...                   "ci_upper": [None, 0.9, None, 1.5]})
    >>> ax = raw_and_adjusted(t)
    >>> ax.get_xscale(), [t.get_text() for t in ax.get_yticklabels()]
    ('log', ['a', 'b'])
    """
    levels = list(dict.fromkeys(table["level"]))
    models = list(dict.fromkeys(table["model"]))
    ax = _axes(ax, size=(5, 0.5 * len(levels) + 1.5))
    rows = np.arange(len(levels))[::-1]
    spacing = 0.6 / max(len(models), 1)
    for k, model in enumerate(models):
        part = table[table["model"] == model].set_index("level").reindex(levels)
        y = rows + (len(models) - 1) / 2 * spacing - k * spacing
        ratio = part["hazard_ratio"].to_numpy(dtype=float)
        lower = part["ci_lower"].to_numpy(dtype=float)
        upper = part["ci_upper"].to_numpy(dtype=float)
        error = np.nan_to_num(np.vstack([ratio - lower, upper - ratio]), nan=0.0)
        ax.errorbar(ratio, y, xerr=error, fmt="os^Dv"[k % 5], capsize=2, label=model)
    ax.axvline(1.0, color="#888", linewidth=0.8, linestyle="--")
    _plain_log_axis(ax)
    ax.set_yticks(rows, levels)
    ax.set_xlabel(f"hazard ratio vs {table['reference'].iloc[0]} (95% CI)")
    ax.set_title(title or "Raw and adjusted hazard ratios")
    ax.legend(fontsize="small", loc="best")
    return ax


_RATIO_TICKS = (0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.5, 2, 3, 5, 10)


def _plain_log_axis(ax) -> None:
    """A log-scaled ratio axis with plain tick labels (0.8, 1, 1.2), not powers of ten."""
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    ticks = [t for t in _RATIO_TICKS if low <= t <= high]
    ax.xaxis.set_minor_locator(plt.matplotlib.ticker.NullLocator())
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlim(low, high)


def composition(shares: pd.DataFrame, ax=None, title: str | None = None):
    """Stacked bars of each level's mix (rows of shares summing to 1), from
    :func:`overdue.models.descriptive.composition`.

    Examples
    --------
    >>> shares = pd.DataFrame({2008: [0.6, 0.1], 2011: [0.4, 0.9]}, index=["low", "high"])
    >>> len(composition(shares).patches)
    4
    """
    ax = _axes(ax, size=(5, 0.5 * len(shares) + 1.5))
    rows = np.arange(len(shares))[::-1]
    left = np.zeros(len(shares))
    colours = plt.get_cmap("viridis")(np.linspace(0.1, 0.9, shares.shape[1]))
    for colour, column in zip(colours, shares.columns):
        ax.barh(rows, shares[column], left=left, color=colour, label=str(column), height=0.6)
        left += shares[column].to_numpy()
    ax.set_yticks(rows, [str(i) for i in shares.index])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of loans")
    name = str(shares.columns.name or "group").replace("_", " ")
    ax.set_title(title or f"Loans by {name}")
    ax.legend(
        fontsize="x-small",
        ncol=min(5, shares.shape[1]),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        frameon=False,
    )
    return ax
