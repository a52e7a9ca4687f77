"""Kaplan–Meier survival curves and the k-group log-rank test.

Both follow R's ``survival`` package (Therneau), so that results can be checked against it
number for number:

* :func:`kaplan_meier` — ``survfit(Surv(time, event) ~ by, conf.type = "log-log")``;
* :func:`logrank_test` — ``survdiff`` (rho = 0), optionally stratified;

and what an honest figure of any such curve needs: :func:`numbers_at_risk` (the table under
the axis, as survminer's ``risk.table`` or lifelines' ``add_at_risk_counts``) and
:func:`until_at_risk` (each curve cut where too few loans remain for it to mean much).

Examples
--------
>>> toy = pd.DataFrame({"time": [1, 2, 2, 3], "defaulted": [1, 1, 0, 0]})
>>> kaplan_meier(toy)[["time", "n_at_risk", "survival"]].values.tolist()
[[1.0, 4.0, 0.75], [2.0, 3.0, 0.5], [3.0, 1.0, 0.5]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import linalg, stats

from overdue.models.checks import (
    binary_column,
    check_alpha,
    check_frame,
    comparison_groups,
    duration_column,
    group_codes,
)
from overdue.models.event_times import natural_times
from overdue.models.result import TestResult, chi2_test

__all__ = ["kaplan_meier", "logrank_test", "numbers_at_risk", "until_at_risk"]

#: Months on book at which figures print the numbers at risk.
AT_RISK_TIMES = (0, 12, 24, 36, 48, 60)

#: Fewest loans at risk for a point of a curve to be drawn: below it one default moves the
#: curve by 2 points or more and its interval spans most of the axis.
MIN_AT_RISK = 50

#: Columns of the table :func:`kaplan_meier` returns (cumulative incidence shares the counts').
KM_COLUMNS = [
    "group",
    "time",
    "n_at_risk",
    "n_events",
    "n_censored",
    "survival",
    "std_err",
    "ci_lower",
    "ci_upper",
]


def kaplan_meier(
    df: pd.DataFrame,
    *,
    duration: str = "time",
    event: str = "defaulted",
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Kaplan–Meier survival curves, one per group, as a tidy table.

    The variance is Greenwood's, on the log scale, and the confidence interval is the
    log-log one, as R's ``survfit(..., conf.type = "log-log")``:
    ``S ** exp(±z * se / log S)``. Like R, the interval is NaN where the survival is 1
    (before the first event) or 0 (after the last subject failed).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject (loan).
    duration : str
        Column of times (months on book to event or censoring), non-negative.
    event : str
        Column of 0/1 event indicators (1 = defaulted, 0 = censored).
    by : str or list of str, optional
        Factor column(s) defining the groups. None gives one curve labelled ``"all"``.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group and distinct time (event or censoring), with columns ``group,
        time, n_at_risk, n_events, n_censored, survival, std_err, ci_lower, ci_upper``;
        ``std_err`` is R's ``std.err``, the standard error of the cumulative hazard
        ``-log S``. A single ``by`` column keeps its values as group labels; several give
        labels ``"a=x, b=y"``.

    Examples
    --------
    >>> toy = pd.DataFrame({"time": [1, 2, 2, 3], "defaulted": [1, 1, 0, 0]})
    >>> kaplan_meier(toy)["survival"].round(3).tolist()
    [0.75, 0.5, 0.5]
    """
    check_alpha(alpha)
    check_frame(df)
    durations = duration_column(df, duration)
    events = binary_column(df, event, "event")
    codes, labels = group_codes(df, by, "grouping")

    frame = pd.DataFrame(
        {"code": codes, "time": natural_times(durations), "event": events.astype(np.int64)}
    )
    table = (
        frame.groupby(["code", "time"], sort=True)["event"]
        .agg(n_events="sum", n_total="size")
        .reset_index()
    )
    # at risk at t: everyone in the group whose time is >= t
    table["n_at_risk"] = table.iloc[::-1].groupby("code")["n_total"].cumsum().iloc[::-1]
    table["n_censored"] = table["n_total"] - table["n_events"]

    at_risk = table["n_at_risk"].to_numpy(dtype=float)
    dead = table["n_events"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["survival"] = 1.0 - dead / at_risk
        greenwood_terms = np.where(dead > 0, dead / (at_risk * (at_risk - dead)), 0.0)
    table["survival"] = table.groupby("code")["survival"].cumprod()
    table["greenwood"] = greenwood_terms
    table["std_err"] = np.sqrt(table.groupby("code")["greenwood"].cumsum())

    survival = table["survival"].to_numpy()
    interior = (survival > 0) & (survival < 1)
    log_survival = np.log(np.where(interior, survival, 0.5))
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", over="ignore"):
        half_width = z * table["std_err"].to_numpy() / log_survival
        lower = np.exp(-np.exp(np.log(-log_survival) - half_width))
        upper = np.exp(-np.exp(np.log(-log_survival) + half_width))
    table["ci_lower"] = np.where(interior, lower, np.nan)
    table["ci_upper"] = np.where(interior, upper, np.nan)

    group_labels = np.empty(len(labels), dtype=object)
    group_labels[:] = labels
    table.insert(0, "group", group_labels[table["code"].to_numpy()])
    return table[KM_COLUMNS].reset_index(drop=True)


def logrank_test(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str],
    duration: str = "time",
    event: str = "defaulted",
    strata: str | Sequence[str] | None = None,
) -> TestResult:
    """k-group log-rank test of equal survival, as R's ``survdiff`` (rho = 0).

    Observed minus expected events per group, with the hypergeometric variance at each
    distinct time; the statistic drops the first group (and groups expected to have no
    events), as R does.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    by : str or list of str
        Factor column(s) whose groups are compared (at least two groups).
    duration, event : str
        Time and 0/1 event columns.
    strata : str or list of str, optional
        Stratify the test: within-stratum sums are added over strata, as
        ``survdiff(Surv(time, event) ~ by + strata(s))``.

    Returns
    -------
    TestResult
        ``test="log-rank"``, the chi-square ``statistic`` on ``df`` degrees of freedom
        (groups with a positive expected count, minus one) and its ``p``; ``table`` holds per
        group ``group, n, observed, expected`` (events, summed over strata).

    Examples
    --------
    >>> toy = pd.DataFrame({"time": [1, 2, 3, 4, 2, 5, 6, 7],
    ...                     "defaulted": [1, 1, 1, 0, 0, 1, 0, 1],
    ...                     "grade": list("AAAABBBB")})
    >>> result = logrank_test(toy, by="grade")
    >>> round(result.statistic, 3), result.df
    (3.801, 1)
    >>> result.table["observed"].tolist()
    [3.0, 2.0]
    """
    check_frame(df)
    group, labels = comparison_groups(df, by)
    durations = duration_column(df, duration)
    events = binary_column(df, event, "event")
    stratum, stratum_labels = group_codes(df, strata, "strata")
    time_code, distinct_times = pd.factorize(durations, sort=True)

    n_groups, n_times, n_strata = len(labels), len(distinct_times), len(stratum_labels)
    cell = (stratum * n_times + time_code) * n_groups + group
    size = n_strata * n_times * n_groups
    ending = np.bincount(cell, minlength=size).reshape(n_strata, n_times, n_groups)
    deaths = np.bincount(cell, weights=events, minlength=size).reshape(ending.shape)
    at_risk = np.cumsum(ending[:, ::-1], axis=1)[:, ::-1].astype(float)

    total_at_risk = at_risk.sum(axis=2)
    total_deaths = deaths.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_at_risk[..., None] > 0, at_risk / total_at_risk[..., None], 0.0)
        hypergeometric = np.where(
            total_at_risk > 1,
            total_deaths * (total_at_risk - total_deaths) / (total_at_risk - 1),
            0.0,
        )
    observed = deaths.sum(axis=(0, 1))
    expected = np.einsum("st,stk->k", total_deaths, share)
    variance = np.diag(np.einsum("st,stk->k", hypergeometric, share)) - np.einsum(
        "st,stk,stl->kl", hypergeometric, share, share
    )

    tested = expected > 0
    difference = (observed - expected)[tested][1:]
    sub_variance = variance[np.ix_(tested, tested)][1:, 1:]
    dof = int(tested.sum()) - 1
    statistic = (
        float(difference @ linalg.solve(sub_variance, difference, assume_a="sym"))
        if dof > 0
        else 0.0
    )
    groups = pd.DataFrame(
        {
            "group": labels,
            "n": np.bincount(group, minlength=n_groups),
            "observed": observed,
            "expected": expected,
        }
    )
    return chi2_test("log-rank", statistic, dof, table=groups)


def numbers_at_risk(curves: pd.DataFrame, times=AT_RISK_TIMES) -> pd.DataFrame:
    """Loans still at risk at given times, per group, from a curve table.

    The number at risk at ``t`` counts the loans whose time is ``>= t`` (not yet failed,
    censored or ended by a competing event before ``t``), as R's ``summary(survfit, times)``:
    the ``n_at_risk`` of the group's first row at or after ``t``, 0 past its last row.

    Parameters
    ----------
    curves : pandas.DataFrame
        A table of :func:`kaplan_meier` or
        :func:`overdue.models.incidence.cumulative_incidence` (``group, time, n_at_risk``,
        one row per distinct time of each group).
    times : sequence of float
        Times at which to count.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (in the table's order), one integer column per time.

    Examples
    --------
    >>> toy = pd.DataFrame({"time": [1, 2, 2, 3, 14], "defaulted": [1, 1, 0, 0, 1]})
    >>> numbers_at_risk(kaplan_meier(toy), times=[0, 2, 12, 24]).values.tolist()
    [[5, 4, 1, 0]]
    """
    rows = {}
    for group, curve in curves.groupby("group", sort=False):
        curve = curve.sort_values("time")
        position = np.searchsorted(curve["time"].to_numpy(), np.asarray(times), side="left")
        at_risk = np.r_[curve["n_at_risk"].to_numpy(), 0]
        rows[group] = at_risk[position].astype(int)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(times))
    table.index.name = "group"
    return table


def until_at_risk(curves: pd.DataFrame, min_at_risk: int = MIN_AT_RISK) -> pd.DataFrame:
    """The rows of a curve table while at least ``min_at_risk`` loans are at risk.

    At-risk counts only fall with time, so this keeps each group's curve up to the last time
    with ``min_at_risk`` or more loans at risk and drops its tail, where a handful of loans
    would make it jump (to 0 when the last of them fails).

    Examples
    --------
    >>> toy = pd.DataFrame({"time": [1, 2, 3, 4], "defaulted": [0, 1, 0, 1]})
    >>> until_at_risk(kaplan_meier(toy), min_at_risk=2)["time"].tolist()
    [1, 2, 3]
    """
    if min_at_risk < 0:
        raise ValueError(f"min_at_risk must be >= 0, got {min_at_risk}")
    return curves[curves["n_at_risk"] >= min_at_risk]
