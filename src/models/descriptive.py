"""Descriptive statistics of default: rates by group with Wilson intervals, vintage curves, and
a raw comparison set beside the same comparison with the other factors held fixed.

Examples
--------
>>> loans = pd.DataFrame({"grade": ["A", "A", "B", "B", "B"], "defaulted": [0, 0, 1, 0, 1]})
>>> default_rates(loans, "grade")["rate"].round(3).tolist()
[0.0, 0.667]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from overdue.models.checks import binary_column, check_alpha, require_columns
from overdue.models.cox import fit_cox


def wilson_interval(events, n, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion.

    Preferred to the Wald interval because it stays inside [0, 1] and keeps its coverage for
    small groups and rates near 0, both common when default rates are split by state or purpose.

    Parameters
    ----------
    events, n : array-like of int
        Events and trials per group (``n > 0``).
    alpha : float
        1 - confidence level.

    Returns
    -------
    lower, upper : numpy.ndarray

    Examples
    --------
    >>> lower, upper = wilson_interval(0, 10)
    >>> float(lower), round(float(upper), 4)
    (0.0, 0.2775)
    """
    events = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0) or np.any(events < 0) or np.any(events > n):
        raise ValueError("Wilson interval needs 0 <= events <= n and n > 0")
    z = stats.norm.ppf(1 - alpha / 2)
    rate = events / n
    centre = (rate + z**2 / (2 * n)) / (1 + z**2 / n)
    half_width = z / (1 + z**2 / n) * np.sqrt(rate * (1 - rate) / n + z**2 / (4 * n**2))
    return np.clip(centre - half_width, 0.0, 1.0), np.clip(centre + half_width, 0.0, 1.0)


def default_rates(
    df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    outcome: str = "defaulted",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Default rate per group with its Wilson interval.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan.
    by : str or sequence of str, optional
        Grouping column(s); ``None`` gives one overall row. Missing group values form their own
        group rather than silently dropping loans.
    outcome : str
        0/1 outcome column.
    alpha : float
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``n, events, rate, ci_lower, ci_upper``.

    Examples
    --------
    >>> loans = pd.DataFrame({"term": [36, 36, 60, 60], "defaulted": [0, 1, 1, 1]})
    >>> default_rates(loans, "term")[["n", "events"]].values.tolist()
    [[2, 1], [2, 2]]
    """
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    require_columns(df, keys, "grouping")
    if len(df) == 0:
        raise ValueError("the data frame has no rows")
    binary_column(df, outcome, "outcome")
    check_alpha(alpha)
    if keys:
        grouped = df.groupby(keys, dropna=False, observed=True, sort=True)[outcome]
        table = pd.DataFrame({"n": grouped.size(), "events": grouped.sum()})
    else:
        table = pd.DataFrame(
            {"n": [len(df)], "events": [int(df[outcome].sum())]},
            index=pd.Index(["all"], name="group"),
        )
    table = table.astype({"n": int, "events": int})
    table["rate"] = table["events"] / table["n"]
    table["ci_lower"], table["ci_upper"] = wilson_interval(table["events"], table["n"], alpha)
    return table


def _month_index(dates) -> np.ndarray:
    """Months since year 0, so that differences of dates are whole months."""
    dates = pd.DatetimeIndex(dates)
    return np.asarray(dates.year * 12 + dates.month - 1)


def vintage_curves(
    df: pd.DataFrame,
    by: str = "issue_year",
    duration: str = "time",
    event: str = "defaulted",
    issue_col: str = "issue_d",
    snapshot=None,
    max_month: int | None = None,
    min_observed: int = 50,
    min_share: float = 1.0,
) -> pd.DataFrame:
    """Cumulative share of each vintage's loans that defaulted by each month on book.

    Denominator: a vintage's month-``k`` point counts the loans issued at least ``k`` months
    before the data's snapshot — the loans whose ``k``-th month on book has been observed,
    whatever happened to them. A loan that prepaid or reached term before month ``k`` stays in
    the denominator (it is known not to have defaulted by ``k``); a loan too young to have reached
    month ``k`` is left out of that point only. The denominator thus depends on issue dates alone,
    never on outcomes, so early payoffs cannot bias the curve.

    Which points to draw: where only part of a vintage has been observed, its share is that of
    the part issued early enough — for the 2011 vintage after month 60, the loans of early
    2011 only, whose lower default share makes the curve drop. Such a point says nothing about
    the vintage as a whole, so a point is marked ``drawn`` only when at least ``min_observed``
    loans and a share ``min_share`` of the vintage have been observed at that month. With the
    default ``min_share=1`` a curve is drawn exactly as far as the whole vintage has been
    observed, and every drawn point is a share of the whole vintage.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan.
    by : str
        Vintage column (``issue_year``, ``issue_quarter`` …).
    duration : str
        Months on book to the event or censoring (``time``, integer >= 1).
    event : str
        0/1 default indicator.
    issue_col : str
        Issue month (datetime64), used to decide which horizons are observed.
    snapshot : str or pandas.Timestamp, optional
        Last calendar month the data observes; defaults to the latest issue month plus duration
        over all loans.
    max_month : int, optional
        Last month on book to report; defaults to the longest duration.
    min_observed : int
        Fewest observed loans for a point to be drawn.
    min_share : float
        Least share of the vintage observed for a point to be drawn (in (0, 1]).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per vintage and month on book with at least one observed loan:
        ``<by>, month_on_book, n_observed, defaults, cum_default_share, vintage_size,
        observed_share`` (``n_observed / vintage_size``) and ``drawn`` (the rule above).

    Examples
    --------
    >>> loans = pd.DataFrame({"issue_year": [2010] * 4, "time": [3, 5, 36, 12],
    ...                       "defaulted": [1, 1, 0, 0],
    ...                       "issue_d": pd.to_datetime(["2010-01-01"] * 4)})
    >>> curves = vintage_curves(loans, snapshot="2013-06-01")
    >>> curves.set_index("month_on_book").loc[[2, 3, 5, 36], "cum_default_share"].tolist()
    [0.0, 0.25, 0.5, 0.5]
    >>> young = loans.assign(issue_d=pd.to_datetime(["2010-01-01"] * 2 + ["2012-06-01"] * 2),
    ...                      time=[3, 5, 10, 12])
    >>> curves = vintage_curves(young, snapshot="2013-06-01", max_month=24, min_observed=1)
    >>> curves.groupby("drawn")["month_on_book"].agg(["min", "max"]).values.tolist()
    [[13, 24], [1, 12]]
    """
    require_columns(df, [by, duration, event, issue_col], "vintage-curve")
    if len(df) == 0:
        raise ValueError("the data frame has no rows")
    binary_column(df, event, "event")
    months = df[duration]
    if months.isna().any() or (months < 1).any() or not np.allclose(months, np.round(months)):
        raise ValueError(f"column '{duration}' must hold whole months >= 1 without missing values")
    if not pd.api.types.is_datetime64_any_dtype(df[issue_col]) or df[issue_col].isna().any():
        raise ValueError(f"column '{issue_col}' must be datetime64 without missing values")
    if df[by].isna().any():
        raise ValueError(f"vintage column '{by}' has missing values")
    months = months.to_numpy().astype(int)
    issue_month = _month_index(df[issue_col])
    if snapshot is None:
        snapshot_month = int((issue_month + months).max())
    else:
        snapshot_month = int(_month_index([pd.Timestamp(snapshot)])[0])
    observable = snapshot_month - issue_month
    if (observable < months).any():
        raise ValueError(
            f"column '{duration}' runs past the snapshot for "
            f"{int((observable < months).sum())} loans"
        )
    max_month = int(months.max()) if max_month is None else int(max_month)
    if max_month < 1:
        raise ValueError(f"max_month must be >= 1, got {max_month}")
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")

    horizon = np.arange(1, max_month + 1)
    rows = []
    defaulted = df[event].to_numpy() == 1
    for vintage, positions in df.groupby(by, sort=True).indices.items():
        # observed[i, k-1]: loan i's k-th month on book is before the snapshot.
        observed = observable[positions, None] >= horizon[None, :]
        defaulted_by = defaulted[positions, None] & (months[positions, None] <= horizon[None, :])
        n_observed = observed.sum(axis=0)
        defaults = (defaulted_by & observed).sum(axis=0)
        keep = n_observed > 0
        rows.append(
            pd.DataFrame(
                {
                    by: vintage,
                    "month_on_book": horizon[keep],
                    "n_observed": n_observed[keep],
                    "defaults": defaults[keep],
                    "cum_default_share": defaults[keep] / n_observed[keep],
                    "vintage_size": len(positions),
                }
            )
        )
    curves = pd.concat(rows, ignore_index=True)
    curves["observed_share"] = curves["n_observed"] / curves["vintage_size"]
    # a share is compared with a little slack so that min_share=1 means "every loan"
    curves["drawn"] = (curves["n_observed"] >= min_observed) & (
        curves["observed_share"] >= min_share - 1e-12
    )
    return curves


def _ordered_levels(df: pd.DataFrame, factor: str, order_by: str | None) -> list:
    """The factor's levels, by the mean of ``order_by`` within each (or sorted)."""
    if order_by is None:
        return sorted(df[factor].dropna().unique().tolist())
    require_columns(df, [order_by], "ordering")
    return df.groupby(factor, observed=True)[order_by].mean().sort_values().index.tolist()


def composition(
    df: pd.DataFrame, factor: str, by: str = "issue_year", order_by: str | None = None
) -> pd.DataFrame:
    """Share of each level's loans in each group of ``by`` (rows sum to 1).

    What a raw comparison mixes: when the levels of ``factor`` hold different vintages, their
    raw curves differ by vintage as well as by the factor.

    Examples
    --------
    >>> loans = pd.DataFrame({"band": ["low", "low", "high"], "issue_year": [2008, 2011, 2011]})
    >>> composition(loans, "band").values.tolist()
    [[0.0, 1.0], [0.5, 0.5]]
    """
    require_columns(df, [factor, by], "composition")
    levels = _ordered_levels(df, factor, order_by)
    shares = pd.crosstab(df[factor], df[by], normalize="index")
    return shares.reindex(levels)


def raw_and_adjusted(
    df: pd.DataFrame,
    factor: str,
    adjustments: dict[str, str],
    *,
    duration: str = "time",
    event: str = "defaulted",
    order_by: str | None = None,
    reference=None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Hazard ratios of a factor's levels, raw and with other factors held fixed.

    One Cox model per entry of ``adjustments`` (name -> the right-hand side added beside the
    factor; ``""`` for the raw comparison), all on the same loans, each giving the factor's
    hazard ratios against ``reference``. Set beside the raw Kaplan–Meier curves, a change of
    ordering between the raw and adjusted rows says the raw curves compare mixes of loans
    (vintages, grades) rather than the factor itself.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan, complete for every term used.
    factor : str
        The categorical column compared.
    adjustments : dict of str to str
        Model name -> right-hand side of the other terms (``""``: none).
    duration, event : str
        Time and 0/1 event columns.
    order_by : str, optional
        Order the levels by this column's mean (e.g. ``state_unemp`` for bands of it);
        default sorted.
    reference : optional
        The reference level; default the first in order.
    strata, cluster, alpha
        As for :func:`overdue.models.cox.fit_cox`.

    Returns
    -------
    pandas.DataFrame
        One row per model and level (the reference included, at ratio 1): ``model, level,
        reference, n, events, hazard_ratio, ci_lower, ci_upper, p``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 4000
    >>> old = rng.uniform(size=n) < 0.5                    # an old vintage, riskier
    >>> band = np.where(rng.uniform(size=n) < np.where(old, 0.8, 0.2), "low", "high")
    >>> rate = 0.02 * np.exp(0.8 * old + 0.3 * (band == "high"))
    >>> latent = np.ceil(rng.exponential(1 / rate))
    >>> loans = pd.DataFrame({"band": band, "old": old.astype(int),
    ...                       "time": np.minimum(latent, 36), "defaulted": (latent <= 36) * 1})
    >>> table = raw_and_adjusted(loans, "band", {"raw": "", "vintage": "old"}, reference="low")
    >>> table.set_index(["model", "level"])["hazard_ratio"].round(1).to_dict()
    {('raw', 'high'): 0.8, ('raw', 'low'): 1.0, ('vintage', 'high'): 1.4, ('vintage', 'low'): 1.0}
    """
    require_columns(df, [factor], "factor")
    check_alpha(alpha)
    levels = _ordered_levels(df, factor, order_by)
    reference = levels[0] if reference is None else reference
    if reference not in levels:
        raise ValueError(f"reference level {reference!r} is not a level of {factor!r}: {levels}")
    codes = {level: f"{factor}_is_{k}" for k, level in enumerate(levels) if level != reference}
    frame = df.assign(
        **{code: (df[factor] == level).astype(float) for level, code in codes.items()}
    )
    counts = df.groupby(factor, observed=True)[event].agg(["size", "sum"])
    rows = []
    for model, others in adjustments.items():
        rhs = " + ".join(list(codes.values()) + ([others] if others.strip() else []))
        fit = fit_cox(
            frame, rhs, duration=duration, event=event, strata=strata, cluster=cluster, alpha=alpha
        )
        for level in levels:
            if level == reference:
                ratio, lower, upper, p = 1.0, np.nan, np.nan, np.nan
            else:
                row = fit.summary.loc[codes[level]]
                ratio, lower, upper, p = (
                    row["exp_estimate"],
                    row["exp_ci_lower"],
                    row["exp_ci_upper"],
                    row["p"],
                )
            rows.append(
                {
                    "model": model,
                    "level": level,
                    "reference": reference,
                    "n": int(counts.loc[level, "size"]),
                    "events": int(counts.loc[level, "sum"]),
                    "hazard_ratio": ratio,
                    "ci_lower": lower,
                    "ci_upper": upper,
                    "p": p,
                }
            )
    return pd.DataFrame(rows)
