"""Cumulative incidence of one cause among competing ones, and Gray's test comparing groups.

A loan ends in one of two ways before its term: it defaults or it is prepaid. Prepayment is a
*competing* event, not censoring: a prepaid loan can never default afterwards, so one minus
the Kaplan–Meier of default (prepayments censored) overstates the share that defaults. This
module estimates

* the cumulative incidence of a cause (Aalen–Johansen, :func:`cumulative_incidence`), with the
  variance of R's ``cmprsk::cuminc``;
* Gray's k-sample test of equal incidence across groups (:func:`gray_test`, ``cuminc``'s
  ``Tests``), optionally stratified.

Event coding (the ``event`` column of the features table): 0 censored, 1 default, 2 prepaid;
any positive code other than ``cause`` is a competing event. The regressions are
:mod:`overdue.models.fine_gray` (subdistribution hazard) and
:func:`overdue.models.cox.fit_cause_specific_cox` (cause-specific hazard).

Examples
--------
>>> d = pd.DataFrame({"time": [1, 2, 2, 3, 4, 5], "event": [1, 2, 0, 1, 0, 1]})
>>> cumulative_incidence(d)[["time", "n_at_risk", "n_events", "cif"]].round(3).values.tolist()[1]
[1.0, 6.0, 1.0, 0.167]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from overdue.models.checks import (
    CENSORED,
    cause_codes,
    check_alpha,
    check_frame,
    comparison_groups,
    duration_column,
    group_codes,
)
from overdue.models.event_times import competing_status, distinct_time_blocks
from overdue.models.result import TestResult, chi2_test

__all__ = ["cumulative_incidence", "gray_test"]

#: Columns of the table :func:`cumulative_incidence` returns; the counts, standard error and
#: limits share the names of :func:`overdue.models.survival_curves.kaplan_meier`'s table.
CIF_COLUMNS = ["group", "time", "n_at_risk", "n_events", "cif", "std_err", "ci_lower", "ci_upper"]


# --------------------------------------------------------------------------------------------
# cumulative incidence (Aalen–Johansen) with cmprsk::cuminc's variance
# --------------------------------------------------------------------------------------------
def _incidence_one_group(time: np.ndarray, codes: np.ndarray, cause: int) -> pd.DataFrame:
    """Port of cmprsk's ``cinc``: incidence and its variance at each distinct time of one group."""
    order = np.argsort(time, kind="stable")
    time, codes = time[order], codes[order]
    times, starts, _ = distinct_time_blocks(time)
    n_cause = np.add.reduceat((codes == cause).astype(float), starts)
    n_other = np.add.reduceat(((codes != cause) & (codes != CENSORED)).astype(float), starts)
    n_any = n_cause + n_other
    at_risk = (len(time) - starts).astype(float)

    surv_after = np.cumprod((at_risk - n_any) / at_risk)  # all-cause KM, right-continuous
    surv_before = np.r_[1.0, surv_after[:-1]]
    cif = np.cumsum(surv_before * n_cause / at_risk)

    # cinc accumulates three sums v1, v2, v3 over event times; var = v1 + F^2 v3 - 2 F v2.
    # The tie corrections (1 - (d-1)/(n-1)) are those of the Fortran.
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_surv_after = np.where(surv_after > 0, 1.0 / surv_after, 0.0)
        other_tie = np.where(n_other > 1, 1 - (n_other - 1) / (at_risk - 1), 1.0)
        cause_tie = np.where(n_cause > 1, 1 - (n_cause - 1) / (at_risk - 1), 1.0)
    other_weight = np.where(
        (n_other > 0) & (surv_after > 0), surv_before**2 * other_tie * n_other / at_risk**2, 0.0
    )
    cause_weight = np.where(n_cause > 0, surv_before**2 * cause_tie * n_cause / at_risk**2, 0.0)
    other_t4 = cif * inv_surv_after
    cause_t4 = 1 + inv_surv_after * cif
    v1 = np.cumsum(other_t4**2 * other_weight + cause_t4**2 * cause_weight)
    v2 = np.cumsum(
        inv_surv_after * other_t4 * other_weight + inv_surv_after * cause_t4 * cause_weight
    )
    v3 = np.cumsum(inv_surv_after**2 * (other_weight + cause_weight))
    variance_at_jump = v1 + cif**2 * v3 - 2 * cif * v2
    # cuminc reports a variance only where the incidence jumps and carries it forward.
    variance = (
        pd.Series(np.where(n_cause > 0, variance_at_jump, np.nan)).ffill().fillna(0.0).to_numpy()
    )
    return pd.DataFrame(
        {
            "time": times,
            "n_at_risk": at_risk.astype(int),
            "n_events": n_cause.astype(int),
            "cif": cif,
            "std_err": np.sqrt(np.clip(variance, 0.0, None)),
        }
    )


def _incidence_interval(cif: np.ndarray, se: np.ndarray, alpha: float, conf_type: str):
    """Pointwise confidence limits, on the log(-log) scale or plain (clipped to [0, 1])."""
    q = stats.norm.ppf(1 - alpha / 2)
    if conf_type == "plain":
        return np.clip(cif - q * se, 0, 1), np.clip(cif + q * se, 0, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.exp(q * se / (cif * np.abs(np.log(cif))))
        lower, upper = cif**spread, cif ** (1 / spread)
    degenerate = (cif <= 0) | (cif >= 1) | (se <= 0)
    return np.where(degenerate, cif, lower), np.where(degenerate, cif, upper)


def cumulative_incidence(
    df: pd.DataFrame,
    *,
    duration: str = "time",
    event: str = "event",
    cause: int = 1,
    by: str | Sequence[str] | None = None,
    alpha: float = 0.05,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Aalen–Johansen cumulative incidence of one cause, optionally by group.

    Estimates and variances are those of R's ``cmprsk::cuminc`` (Gray's delta-method variance,
    with its tie corrections); like ``cuminc``, the variance is updated where the incidence
    jumps and carried forward between jumps.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    duration : str
        Column of event or censoring times (non-negative).
    event : str
        Column of event codes: 0 censored, any other value an event of that cause.
    cause : int
        The cause whose incidence is estimated; other non-zero codes compete.
    by : str or list of str, optional
        Grouping column(s); one curve per group, in sorted order, labelled as by
        :func:`overdue.models.survival_curves.kaplan_meier` (``"all"`` without ``by``).
    alpha : float
        1 - confidence level of the pointwise intervals.
    conf_type : {"log-log", "plain"}
        Scale of the intervals: ``log(-log F)`` (stays inside (0, 1)) or ``F`` itself.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, time, n_at_risk, n_events, cif, std_err, ci_lower, ci_upper``: one
        row per group and distinct observed time, preceded by a time-0 row (``cif = 0``) for
        plotting. ``n_events`` counts events of ``cause``; ``std_err`` is the standard error
        of ``cif`` itself (cuminc's ``sqrt(var)``; Kaplan–Meier's ``std_err`` is that of the
        cumulative hazard).

    Examples
    --------
    >>> d = pd.DataFrame({"time": [1, 2, 2, 3, 4, 5], "event": [1, 2, 0, 1, 0, 1]})
    >>> cumulative_incidence(d).loc[:, ["time", "cif"]].round(3).values.tolist()[-1]
    [5.0, 0.833]
    """
    if conf_type not in ("log-log", "plain"):
        raise ValueError(f"conf_type must be 'log-log' or 'plain', got {conf_type!r}")
    check_alpha(alpha)
    check_frame(df)
    time = duration_column(df, duration)
    codes = cause_codes(df, event, cause)
    group_code, labels = group_codes(df, by, "grouping")

    pieces = []
    for code, group in enumerate(labels):
        in_group = group_code == code
        curve = _incidence_one_group(time[in_group], codes[in_group], cause)
        if curve["time"].iloc[0] > 0:
            start = pd.DataFrame(
                {
                    "time": [0.0],
                    "n_at_risk": [int(in_group.sum())],
                    "n_events": [0],
                    "cif": [0.0],
                    "std_err": [0.0],
                }
            )
            curve = pd.concat([start, curve], ignore_index=True)
        curve.insert(0, "group", group)
        pieces.append(curve)
    # groups in code order (sorted, as Kaplan–Meier's), each curve in time order
    table = pd.concat(pieces, ignore_index=True)
    table["ci_lower"], table["ci_upper"] = _incidence_interval(
        table["cif"].to_numpy(), table["std_err"].to_numpy(), alpha, conf_type
    )
    return table[CIF_COLUMNS]


# --------------------------------------------------------------------------------------------
# Gray's k-sample test (port of cmprsk's crstm / crst)
# --------------------------------------------------------------------------------------------
def _gray_one_stratum(time, status, group, n_groups, rho):
    """Scores and covariance of one stratum: a line-by-line port of cmprsk's ``crst``.

    ``status`` is 0 censored, 1 cause of interest, 2 other cause; ``group`` codes 0..n_groups-1.
    The loop runs over distinct times; each step is vectorised over groups.
    """
    m = n_groups - 1
    at_risk = np.bincount(group, minlength=n_groups).astype(float)
    scores = np.zeros(m)
    cov = np.zeros((m, m))
    cif_before = np.zeros(n_groups)  # f1m: group incidence, left-continuous
    cif_after = np.zeros(n_groups)  # f1
    surv_before = np.ones(n_groups)  # skmm: group all-cause KM, left-continuous
    surv_after = np.ones(n_groups)  # skm
    v3 = np.zeros(n_groups)
    v2 = np.zeros((m, n_groups))
    c = np.zeros((n_groups, n_groups))
    pooled_before = pooled = 0.0  # fm, f: pooled incidence
    _, starts, _ = distinct_time_blocks(time)
    ends = np.r_[starts[1:], len(time)]
    for start, end in zip(starts, ends):
        counts = np.zeros((3, n_groups))
        np.add.at(counts, (status[start:end], group[start:end]), 1.0)
        d1, d2 = counts[1], counts[2]
        nd1, nd2 = d1.sum(), d2.sum()
        if nd1 > 0 or nd2 > 0:
            active = at_risk > 0
            safe_risk = np.where(active, at_risk, 1.0)
            surv_after = np.where(
                active, surv_before * (at_risk - d1 - d2) / safe_risk, surv_after
            )
            cif_after = np.where(active, cif_before + surv_before * d1 / safe_risk, cif_after)
            with np.errstate(divide="ignore", invalid="ignore"):
                h = np.where(active, at_risk / surv_before, 0.0)
            tr = h.sum()
            tq = (h * (1 - cif_before)).sum()
            pooled = pooled_before + nd1 / tr
            fb = (1 - pooled_before) ** rho
            a = fb * (np.diag(h) - np.outer(h, h) / tr)
            c += a * nd1 / (tr * (1 - pooled_before))
            expected = nd1 * h * (1 - cif_before) / tq
            scores += np.where(active, fb * (d1 - expected), 0.0)[:m]
            if nd1 > 0:
                with np.errstate(divide="ignore", invalid="ignore"):
                    t4 = np.where(surv_after > 0, 1 - (1 - pooled) / surv_after, 1.0)
                    t5 = 1 - (nd1 - 1) / (tr * surv_before - 1) if nd1 > 1 else np.ones(n_groups)
                    t3 = np.where(active, t5 * surv_before * nd1 / (tr * safe_risk), 0.0)
                v3 += t4**2 * t3
                t1 = a[:m] - c[:m] * t4
                v2 += t1 * t4 * t3
                cov += (t1 * t3) @ t1.T
            if nd2 > 0:
                hit = (surv_after > 0) & (d2 > 0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    t4 = np.where(hit, (1 - pooled) / surv_after, 0.0)
                    t5 = np.where(d2 > 1, 1 - (d2 - 1) / (at_risk - 1), 1.0)
                    t3 = np.where(hit, t5 * surv_before**2 * d2 / safe_risk**2, 0.0)
                v3 += t4**2 * t3
                t1 = c[:m] * t4
                v2 -= t1 * t4 * t3
                cov += (t1 * t3) @ t1.T
        if end >= len(time):
            break
        at_risk -= np.bincount(group[start:end], minlength=n_groups)
        pooled_before = pooled
        cif_before = cif_after.copy()
        surv_before = surv_after.copy()
    cov += (c[:m] * v3) @ c[:m].T + c[:m] @ v2.T + v2 @ c[:m].T
    return scores, cov


def gray_test(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str],
    duration: str = "time",
    event: str = "event",
    cause: int = 1,
    rho: float = 0.0,
    strata: str | Sequence[str] | None = None,
) -> TestResult:
    """Gray's (1988) test that the cumulative incidence of a cause is equal across groups.

    Reproduces the test ``cmprsk::cuminc`` reports (``Tests``), including its stratified form.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    by : str or list of str
        Column(s) defining the groups compared (at least two groups).
    duration, event : str
        Time and event-code columns (0 censored).
    cause : int
        The cause tested.
    rho : float
        Power of the weight ``(1 - F(t-))^rho``; 0 gives the log-rank-like test.
    strata : str or list of str, optional
        Column(s) of strata; scores and variances are summed over strata.

    Returns
    -------
    TestResult
        ``test="Gray"``: ``s' V^{-1} s``, approximately chi-square on ``df`` = groups - 1
        under the null (NaN when ``V`` is singular), and ``p``. ``table`` holds per group
        ``group, n, events`` (of ``cause``) and ``score``; ``detail`` holds ``cause``,
        ``groups`` (sorted labels; the last one is the reference left out of the scores),
        ``scores`` (observed minus expected, weighted, of each group but the last) and
        ``covariance`` (their estimated covariance).

    Examples
    --------
    >>> d = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8], "event": [1, 1, 2, 1, 0, 2, 0, 1],
    ...                   "g": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    >>> result = gray_test(d, by="g")
    >>> round(result.statistic, 3), result.df  # cuminc(...)$Tests gives 3.7740300
    (3.774, 1)
    """
    check_frame(df)
    group_code, groups = comparison_groups(df, by)
    time = duration_column(df, duration)
    codes = cause_codes(df, event, cause)
    status = competing_status(codes, cause)
    stratum, _ = group_codes(df, strata, "strata")

    scores = np.zeros(len(groups) - 1)
    covariance = np.zeros((len(groups) - 1, len(groups) - 1))
    for level in np.unique(stratum):
        rows = np.flatnonzero(stratum == level)
        rows = rows[np.argsort(time[rows], kind="stable")]
        s, v = _gray_one_stratum(time[rows], status[rows], group_code[rows], len(groups), rho)
        scores += s
        covariance += v
    dof = len(groups) - 1
    try:
        statistic = float(scores @ np.linalg.solve(covariance, scores))
    except np.linalg.LinAlgError:
        statistic = float("nan")
    table = pd.DataFrame(
        {
            "group": groups,
            "n": np.bincount(group_code, minlength=len(groups)),
            "events": np.bincount(group_code, weights=codes == cause, minlength=len(groups)),
            "score": np.r_[scores, np.nan],
        }
    )
    return chi2_test(
        "Gray",
        statistic,
        dof,
        table=table,
        detail={
            "cause": cause,
            "groups": list(groups),
            "scores": scores,
            "covariance": covariance,
        },
    )
