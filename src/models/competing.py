"""Competing risks: cumulative incidence, Gray's test, Fine–Gray and cause-specific Cox.

A loan ends in one of two ways before its term: it defaults or it is prepaid. Prepayment is a
*competing* event, not censoring: a prepaid loan can never default afterwards. This module
estimates

* the cumulative incidence of a cause (Aalen–Johansen, :func:`cumulative_incidence`), with the
  variance of R's ``cmprsk::cuminc``, and Gray's k-sample test of equal incidence across groups
  (:func:`gray_test`, ``cuminc``'s test);
* the Fine–Gray proportional subdistribution-hazard regression (:func:`fit_fine_gray`), which
  reproduces ``cmprsk::crr`` (inverse-probability-of-censoring weights from the Kaplan–Meier of
  the censoring times, evaluated just before each time, and crr's robust sandwich variance);
* the cause-specific Cox model (:func:`fit_cause_specific_cox`): the other causes are treated as
  censoring and :func:`overdue.models.survival.fit_cox` does the fitting.

Event coding (the ``event`` column of the features table): 0 censored, 1 default, 2 prepaid; any
positive code other than ``cause`` is a competing event. Durations are event times, typically
integer months on book.

Why the Fine–Gray fit is fast: loan durations take few distinct values (months), so every sum
over the subdistribution risk set — subjects still event-free at ``t`` plus competing-event
subjects that left before ``t``, weighted ``G(t-)/G(T_i-)`` — is a cumulative sum over distinct
times of per-time totals. One Newton step, and the sandwich variance, cost ``O(n p^2)``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
from scipy import stats

from overdue.models.result import FitResult, tidy_summary

__all__ = [
    "cumulative_incidence",
    "gray_test",
    "GrayTestResult",
    "fit_fine_gray",
    "fit_cause_specific_cox",
]

CENSORED = 0


# --------------------------------------------------------------------------------------------
# input checks shared by every public function
# --------------------------------------------------------------------------------------------
def _check_column(df: pd.DataFrame, column: str, numeric: bool = False) -> None:
    """Raise a ValueError naming ``column`` if absent, incomplete or (when asked) not numeric."""
    if column not in df.columns:
        raise ValueError(f"column '{column}' not found in the data frame")
    if numeric and not pd.api.types.is_numeric_dtype(df[column]):
        raise ValueError(f"column '{column}' must be numeric, got dtype {df[column].dtype}")
    missing = int(df[column].isna().sum())
    if missing:
        raise ValueError(f"column '{column}' has {missing} missing values")


def _outcome_arrays(df: pd.DataFrame, duration: str, event: str, cause: int):
    """Validate the outcome columns and return them as float times and integer event codes."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise ValueError("the data frame has no rows")
    _check_column(df, duration, numeric=True)
    _check_column(df, event, numeric=True)
    time = df[duration].to_numpy(dtype=float)
    if not np.isfinite(time).all() or (time < 0).any():
        raise ValueError(f"column '{duration}' must hold finite, non-negative durations")
    codes = df[event].to_numpy(dtype=float)
    if (codes != np.round(codes)).any() or (codes < 0).any():
        raise ValueError(
            f"column '{event}' must hold non-negative integer codes "
            f"({CENSORED} censored, 1, 2, ... causes)"
        )
    codes = codes.astype(int)
    if cause == CENSORED:
        raise ValueError(f"cause={cause} is the censoring code; "
                         f"pick an event code of column '{event}'")
    if not (codes == cause).any():
        raise ValueError(f"column '{event}' has no events of cause {cause}")
    return time, codes


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")


def _distinct_time_blocks(sorted_time: np.ndarray):
    """Distinct values of a sorted array, the start of each block of ties, and each row's block."""
    starts = np.flatnonzero(np.r_[True, sorted_time[1:] != sorted_time[:-1]])
    block_of_row = np.cumsum(np.r_[True, sorted_time[1:] != sorted_time[:-1]]) - 1
    return sorted_time[starts], starts, block_of_row


def _reverse_cumsum(values: np.ndarray) -> np.ndarray:
    """Sum over this and all later entries (along axis 0)."""
    return np.cumsum(values[::-1], axis=0)[::-1]


def _exclusive_cumsum(values: np.ndarray) -> np.ndarray:
    """Sum over all earlier entries, excluding this one (along axis 0)."""
    total = np.cumsum(values, axis=0)
    return np.concatenate([np.zeros_like(total[:1]), total[:-1]], axis=0)


# --------------------------------------------------------------------------------------------
# cumulative incidence (Aalen–Johansen) with cmprsk::cuminc's variance
# --------------------------------------------------------------------------------------------
def _incidence_one_group(time: np.ndarray, codes: np.ndarray, cause: int) -> pd.DataFrame:
    """Port of cmprsk's ``cinc``: incidence and its variance at each distinct time of one group."""
    order = np.argsort(time, kind="stable")
    time, codes = time[order], codes[order]
    times, starts, _ = _distinct_time_blocks(time)
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
    other_weight = np.where((n_other > 0) & (surv_after > 0),
                            surv_before**2 * other_tie * n_other / at_risk**2, 0.0)
    cause_weight = np.where(n_cause > 0, surv_before**2 * cause_tie * n_cause / at_risk**2, 0.0)
    other_t4 = cif * inv_surv_after
    cause_t4 = 1 + inv_surv_after * cif
    v1 = np.cumsum(other_t4**2 * other_weight + cause_t4**2 * cause_weight)
    v2 = np.cumsum(inv_surv_after * other_t4 * other_weight
                   + inv_surv_after * cause_t4 * cause_weight)
    v3 = np.cumsum(inv_surv_after**2 * (other_weight + cause_weight))
    variance_at_jump = v1 + cif**2 * v3 - 2 * cif * v2
    # cuminc reports a variance only where the incidence jumps and carries it forward.
    variance = (
        pd.Series(np.where(n_cause > 0, variance_at_jump, np.nan)).ffill().fillna(0.0).to_numpy()
    )
    return pd.DataFrame({"time": times, "n_risk": at_risk.astype(int),
                         "n_event": n_cause.astype(int), "cif": cif,
                         "se": np.sqrt(np.clip(variance, 0.0, None))})


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
    duration: str = "time",
    event: str = "event",
    cause: int = 1,
    by: str | None = None,
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
    by : str, optional
        Grouping column; one curve per distinct value (sorted).
    alpha : float
        1 - confidence level of the pointwise intervals.
    conf_type : {"log-log", "plain"}
        Scale of the intervals: ``log(-log F)`` (stays inside (0, 1)) or ``F`` itself.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, time, n_risk, n_event, cif, se, ci_lower, ci_upper``: one row per group
        and distinct observed time, preceded by a time-0 row (``cif = 0``) for plotting.
        ``group`` is ``"all"`` when ``by`` is None; ``n_event`` counts events of ``cause``.

    Examples
    --------
    >>> d = pd.DataFrame({"time": [1, 2, 2, 3, 4, 5], "event": [1, 2, 0, 1, 0, 1]})
    >>> cumulative_incidence(d).loc[:, ["time", "cif"]].round(3).values.tolist()[-1]
    [5.0, 0.833]
    """
    if conf_type not in ("log-log", "plain"):
        raise ValueError(f"conf_type must be 'log-log' or 'plain', got {conf_type!r}")
    _check_alpha(alpha)
    time, codes = _outcome_arrays(df, duration, event, cause)
    if by is None:
        labels = np.full(len(df), "all", dtype=object)
    else:
        _check_column(df, by)
        labels = df[by].to_numpy()

    pieces = []
    for group in pd.unique(labels):
        in_group = labels == group
        curve = _incidence_one_group(time[in_group], codes[in_group], cause)
        if curve["time"].iloc[0] > 0:
            start = pd.DataFrame({"time": [0.0], "n_risk": [int(in_group.sum())], "n_event": [0],
                                  "cif": [0.0], "se": [0.0]})
            curve = pd.concat([start, curve], ignore_index=True)
        curve.insert(0, "group", group)
        pieces.append(curve)
    table = pd.concat(pieces, ignore_index=True)
    table["ci_lower"], table["ci_upper"] = _incidence_interval(
        table["cif"].to_numpy(), table["se"].to_numpy(), alpha, conf_type)
    return table.sort_values(["group", "time"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Gray's k-sample test (port of cmprsk's crstm / crst)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GrayTestResult:
    """Gray's test of equal cumulative incidence across groups.

    Attributes
    ----------
    statistic : float
        ``s' V^{-1} s``, approximately chi-square with ``df`` degrees of freedom under the null
        (NaN when ``V`` is singular).
    df : int
        Number of groups minus one.
    p : float
        Upper-tail chi-square probability of ``statistic``.
    cause : int
        The cause tested.
    groups : list
        Group labels, sorted; the last one is the reference left out of ``scores``.
    scores : numpy.ndarray
        Score of each group but the last (observed minus expected, weighted).
    covariance : numpy.ndarray
        Estimated covariance of ``scores``.
    """

    statistic: float
    df: int
    p: float
    cause: int
    groups: list
    scores: np.ndarray = field(repr=False)
    covariance: np.ndarray = field(repr=False)


def _gray_one_stratum(time, status, group, n_groups, rho):
    """Scores and covariance of one stratum: a line-by-line port of cmprsk's ``crst``.

    ``status`` is 0 censored, 1 cause of interest, 2 other cause; ``group`` codes 0..n_groups-1.
    The loop runs over distinct times; each step is vectorised over groups.
    """
    m = n_groups - 1
    at_risk = np.bincount(group, minlength=n_groups).astype(float)
    scores = np.zeros(m)
    cov = np.zeros((m, m))
    cif_before = np.zeros(n_groups)          # f1m: group incidence, left-continuous
    cif_after = np.zeros(n_groups)           # f1
    surv_before = np.ones(n_groups)          # skmm: group all-cause KM, left-continuous
    surv_after = np.ones(n_groups)           # skm
    v3 = np.zeros(n_groups)
    v2 = np.zeros((m, n_groups))
    c = np.zeros((n_groups, n_groups))
    pooled_before = pooled = 0.0             # fm, f: pooled incidence
    _, starts, _ = _distinct_time_blocks(time)
    ends = np.r_[starts[1:], len(time)]
    for start, end in zip(starts, ends):
        counts = np.zeros((3, n_groups))
        np.add.at(counts, (status[start:end], group[start:end]), 1.0)
        d1, d2 = counts[1], counts[2]
        nd1, nd2 = d1.sum(), d2.sum()
        if nd1 > 0 or nd2 > 0:
            active = at_risk > 0
            safe_risk = np.where(active, at_risk, 1.0)
            surv_after = np.where(active, surv_before * (at_risk - d1 - d2) / safe_risk, surv_after)
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
    by: str,
    duration: str = "time",
    event: str = "event",
    cause: int = 1,
    rho: float = 0.0,
    strata: str | None = None,
) -> GrayTestResult:
    """Gray's (1988) test that the cumulative incidence of a cause is equal across groups.

    Reproduces the test ``cmprsk::cuminc`` reports (``Tests``), including its stratified form.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    by : str
        Column defining the groups compared (at least two distinct values).
    duration, event : str
        Time and event-code columns (0 censored).
    cause : int
        The cause tested.
    rho : float
        Power of the weight ``(1 - F(t-))^rho``; 0 gives the log-rank-like test.
    strata : str, optional
        Column of strata; scores and variances are summed over strata.

    Returns
    -------
    GrayTestResult

    Examples
    --------
    >>> d = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8], "event": [1, 1, 2, 1, 0, 2, 0, 1],
    ...                   "g": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    >>> round(gray_test(d, by="g").statistic, 3)  # cuminc(...)$Tests gives 3.7740300
    3.774
    """
    time, codes = _outcome_arrays(df, duration, event, cause)
    for column in (by, strata):
        if column is not None:
            _check_column(df, column)
    groups = sorted(pd.unique(df[by]))
    if len(groups) < 2:
        raise ValueError(f"column '{by}' needs at least two groups, found {len(groups)}")
    group_code = pd.Categorical(df[by], categories=groups).codes.astype(int)
    status = np.where(codes == cause, 1, np.where(codes == CENSORED, 0, 2))
    stratum = (np.zeros(len(df), dtype=int) if strata is None
               else pd.factorize(df[strata], sort=True)[0])

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
    return GrayTestResult(statistic=statistic, df=dof, p=float(stats.chi2.sf(statistic, dof)),
                          cause=cause, groups=list(groups), scores=scores, covariance=covariance)


# --------------------------------------------------------------------------------------------
# Fine–Gray subdistribution-hazard regression (reproduces cmprsk::crr)
# --------------------------------------------------------------------------------------------
def _design(df: pd.DataFrame, formula_or_columns) -> tuple[pd.DataFrame, str]:
    """Covariate matrix without intercept, from an RHS formula (patsy) or a list of columns."""
    if isinstance(formula_or_columns, str):
        formula = formula_or_columns
        try:
            design = patsy.dmatrix(formula, df, return_type="dataframe", NA_action="raise")
        except patsy.PatsyError as error:
            missing = [c for c in df.columns if c in formula and df[c].isna().any()]
            detail = f" (missing values in {', '.join(map(repr, missing))})" if missing else ""
            raise ValueError(f"cannot build the design for formula {formula!r}{detail}: "
                             f"{error}") from error
        design = design.drop(columns="Intercept", errors="ignore")
    elif (isinstance(formula_or_columns, Sequence)
          and all(isinstance(column, str) for column in formula_or_columns)):
        columns = list(formula_or_columns)
        formula = " + ".join(columns)
        for column in columns:
            _check_column(df, column, numeric=True)
        design = df[columns].astype(float)
    else:
        raise ValueError("formula_or_columns must be an RHS formula string "
                         "or a list of column names")
    if design.shape[1] == 0:
        raise ValueError(f"the specification {formula!r} has no covariates")
    x = design.to_numpy()
    if not np.isfinite(x).all():
        bad = design.columns[~np.isfinite(x).all(axis=0)].tolist()
        raise ValueError(f"covariates {bad} hold infinite values")
    # The model has no intercept, so a covariate that is constant (or a set of dummies that sums
    # to a constant) is not identified.
    with_constant = np.column_stack([np.ones(len(x)), x])
    if np.linalg.matrix_rank(with_constant) < with_constant.shape[1]:
        constant = design.columns[np.ptp(x, axis=0) == 0].tolist()
        which = f"constant columns {constant}" if constant else "collinear columns"
        raise ValueError(f"the design of {formula!r} is rank deficient once a constant is "
                         f"included ({which}); Fine–Gray has no intercept")
    return design, formula


@dataclass(frozen=True)
class _SubdistributionRiskSets:
    """What the Fine–Gray risk sets need that does not depend on the coefficients.

    Rows are sorted by time; ``block`` maps each row to its distinct time ``times[block]``.
    ``g_before`` is the Kaplan–Meier of the censoring distribution just before each distinct time,
    ``G(t-)`` — crr's weights, which treat events tied with a censoring as occurring first.
    """

    x: np.ndarray
    status: np.ndarray            # 0 censored, 1 cause of interest, 2 competing
    block: np.ndarray
    starts: np.ndarray
    times: np.ndarray
    g_before: np.ndarray
    n_fail: np.ndarray            # events of the cause of interest per distinct time
    n_censored: np.ndarray
    n_at_risk: np.ndarray

    @classmethod
    def build(cls, time: np.ndarray, codes: np.ndarray, cause: int, x: np.ndarray):
        order = np.argsort(time, kind="stable")
        time, codes, x = time[order], codes[order], x[order]
        status = np.where(codes == cause, 1, np.where(codes == CENSORED, 0, 2))
        times, starts, block = _distinct_time_blocks(time)
        n_fail = np.add.reduceat((status == 1).astype(float), starts)
        n_censored = np.add.reduceat((status == 0).astype(float), starts)
        n_at_risk = (len(time) - starts).astype(float)
        g_after = np.cumprod(1 - n_censored / n_at_risk)
        g_before = np.r_[1.0, g_after[:-1]]
        return cls(x, status, block, starts, times, g_before, n_fail, n_censored, n_at_risk)


@dataclass
class _RiskSetSums:
    """Risk-set sums at one coefficient vector (the quantities every crr subroutine uses)."""

    loglik: float
    score: np.ndarray
    information: np.ndarray
    shift: float                  # max(x'b), subtracted before exp() so that it stays finite
    relative_risk: np.ndarray     # exp(x'b - shift)
    xbar: np.ndarray              # weighted covariate mean of the risk set per distinct time
    hazard_jump: np.ndarray       # d_k / S0_k, times exp(shift)
    competing_weight: np.ndarray  # relative_risk / G(T_i-) for competing events, 0 otherwise


def _risk_set_sums(beta: np.ndarray, rs: _SubdistributionRiskSets) -> _RiskSetSums:
    linear = rs.x @ beta
    shift = linear.max()
    r = np.exp(linear - shift)
    competing = np.where(rs.status == 2, r / rs.g_before[rs.block], 0.0)
    # Per distinct time: everyone still at risk contributes r, x r; competing-event subjects who
    # left earlier contribute with weight G(t-)/G(T_i-), added through a running sum.
    r0 = np.add.reduceat(r, rs.starts)
    r1 = np.add.reduceat(r[:, None] * rs.x, rs.starts)
    c0 = np.add.reduceat(competing, rs.starts)
    c1 = np.add.reduceat(competing[:, None] * rs.x, rs.starts)
    s0 = _reverse_cumsum(r0) + rs.g_before * _exclusive_cumsum(c0)
    s1 = _reverse_cumsum(r1) + rs.g_before[:, None] * _exclusive_cumsum(c1)
    fails = rs.n_fail > 0
    xbar = np.where(fails[:, None], s1 / np.where(s0 > 0, s0, 1.0)[:, None], 0.0)
    jump = np.where(fails, rs.n_fail / np.where(s0 > 0, s0, 1.0), 0.0)

    is_fail = rs.status == 1
    loglik = linear[is_fail].sum() - (rs.n_fail[fails] * (np.log(s0[fails]) + shift)).sum()
    score = rs.x[is_fail].sum(axis=0) - rs.n_fail @ xbar
    # sum_k d_k/S0_k sum_j w_jk x_j x_j' collapses to X' diag(weight_j) X, where weight_j adds up
    # subject j's weight over the failure times at which it is in the risk set.
    weight = (r * np.cumsum(jump)[rs.block]
              + competing * _reverse_cumsum(np.r_[(jump * rs.g_before)[1:], 0.0])[rs.block])
    information = (rs.x * weight[:, None]).T @ rs.x - (xbar * rs.n_fail[:, None]).T @ xbar
    return _RiskSetSums(loglik, score, information, shift, r, xbar, jump, competing)


def _crr_sandwich_meat(sums: _RiskSetSums, rs: _SubdistributionRiskSets) -> np.ndarray:
    """Sum of outer products of crr's influence terms (eta_i + psi_i), as in its ``crrvv``.

    eta_i is subject i's score residual (its own event minus its share of every event's
    expected covariate); psi_i accounts for the censoring distribution having been estimated.
    """
    x, r, block, g = rs.x, sums.relative_risk, rs.block, rs.g_before
    jump, xbar, competing = sums.hazard_jump, sums.xbar, sums.competing_weight
    jump_x = jump[:, None] * xbar

    cum_jump = np.cumsum(jump)[block]                     # sum over failure times <= T_i
    cum_jump_x = np.cumsum(jump_x, axis=0)[block]
    later_g_jump = _reverse_cumsum(np.r_[(jump * g)[1:], 0.0])         # times > T_i
    later_g_jump_x = _reverse_cumsum(np.vstack([(jump_x * g[:, None])[1:],
                                                np.zeros((1, x.shape[1]))]))
    is_fail = (rs.status == 1)[:, None]
    eta = (np.where(is_fail, x - xbar[block], 0.0)
           - r[:, None] * (x * cum_jump[:, None] - cum_jump_x)
           - competing[:, None] * (x * later_g_jump[block][:, None] - later_g_jump_x[block]))

    # q(u): how the risk-set sums at failure times >= u move with the censoring KM at u, driven by
    # competing-event subjects who left before u.
    earlier_c0 = _exclusive_cumsum(np.add.reduceat(competing, rs.starts))
    earlier_c1 = _exclusive_cumsum(np.add.reduceat(competing[:, None] * x, rs.starts))
    from_g_jump = _reverse_cumsum(jump * g)
    from_g_jump_x = _reverse_cumsum(jump_x * g[:, None])
    q = earlier_c1 * from_g_jump[:, None] - earlier_c0[:, None] * from_g_jump_x
    per_censoring = np.cumsum(q * (rs.n_censored / rs.n_at_risk**2)[:, None], axis=0)
    is_censored = (rs.status == 0)[:, None]
    psi = np.where(is_censored, q[block] / rs.n_at_risk[block][:, None], 0.0) - per_censoring[block]

    influence = eta + psi
    return influence.T @ influence


def fit_fine_gray(
    df: pd.DataFrame,
    formula_or_columns,
    duration: str = "time",
    event: str = "event",
    cause: int = 1,
    alpha: float = 0.05,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> FitResult:
    """Fine–Gray proportional subdistribution-hazard regression, as R's ``cmprsk::crr``.

    Subjects who had a competing event stay in the risk set after it, weighted by
    ``G(t-)/G(T_i-)`` with ``G`` the Kaplan–Meier of the censoring times (crr's weights, one
    censoring group). Ties use Breslow's form. The variance is crr's robust sandwich, which
    includes the term for estimating ``G``. Newton–Raphson with step halving on the
    log pseudo-likelihood; convergence when the largest Newton step is below ``tol``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    formula_or_columns : str or list of str
        Right-hand-side formula (patsy, e.g. ``"C(purpose_group) + fico + dti"``; the intercept
        is dropped) or a list of numeric columns.
    duration, event : str
        Time and event-code columns (0 censored; codes other than ``cause`` compete).
    cause : int
        The cause whose subdistribution hazard is modelled.
    alpha : float
        1 - confidence level of the intervals in ``summary``.
    max_iter : int
        Maximum Newton iterations.
    tol : float
        Convergence threshold on the largest absolute Newton step.

    Returns
    -------
    FitResult
        ``model="fine_gray"``; ``summary`` holds log subdistribution hazard ratios and their
        robust SEs. ``loglik`` is the log pseudo-likelihood. ``extra`` holds ``cov`` (the robust
        covariance behind the SEs), ``naive_cov`` (inverse information), ``loglik_null``,
        ``score``, ``iterations``, ``cause`` and ``baseline_cumulative_hazard`` (DataFrame:
        ``time``, ``hazard`` jumps — crr's ``bfitj`` — and ``cumulative_hazard`` of the baseline
        subdistribution hazard), from which ``F(t | x) = 1 - exp(-exp(x'b) cumulative_hazard(t))``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=300)})
    >>> d["time"] = rng.integers(1, 37, size=300)
    >>> d["event"] = rng.choice([0, 1, 2], size=300, p=[0.4, 0.2, 0.4])
    >>> fit = fit_fine_gray(d, ["x"])
    >>> fit.model, fit.converged, list(fit.summary.index)
    ('fine_gray', True, ['x'])
    """
    _check_alpha(alpha)
    time, codes = _outcome_arrays(df, duration, event, cause)
    design, formula = _design(df, formula_or_columns)
    terms = list(design.columns)
    rs = _SubdistributionRiskSets.build(time, codes, cause, design.to_numpy(dtype=float))
    n, n_params = rs.x.shape
    n_events = int(rs.n_fail.sum())
    warnings: list[str] = []

    beta = np.zeros(n_params)
    sums = _risk_set_sums(beta, rs)
    loglik_null = sums.loglik
    converged = False
    iterations = 0
    step = np.full(n_params, np.nan)
    for iterations in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(sums.information, sums.score)
        except np.linalg.LinAlgError:
            warnings.append("the information matrix became singular during Newton–Raphson")
            break
        candidate = _risk_set_sums(beta + step, rs)
        halvings = 0
        # Step halving as crr does, allowing for round-off in a flat log-likelihood.
        floor = sums.loglik - 1e-12 * abs(sums.loglik)
        while not np.isfinite(candidate.loglik) or candidate.loglik < floor:
            if halvings == 30:
                break
            step = step / 2
            halvings += 1
            candidate = _risk_set_sums(beta + step, rs)
        beta, sums = beta + step, candidate
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    if not converged:
        warnings.append(f"Newton–Raphson did not converge in {iterations} iterations "
                        f"(last step {np.max(np.abs(step)):.2g})")

    try:
        naive = np.linalg.inv(sums.information)
        robust = naive @ _crr_sandwich_meat(sums, rs) @ naive
    except np.linalg.LinAlgError:
        naive = robust = np.full((n_params, n_params), np.nan)
        warnings.append("the information matrix is singular at the estimate; no standard errors")
    with np.errstate(invalid="ignore"):
        # a coefficient drifting to infinity can leave round-off negative variances: NaN SEs
        se = np.sqrt(np.diag(robust))
    for term, estimate, term_se in zip(terms, beta, se):
        if abs(estimate) > 10 or term_se > 100:
            warnings.append(f"estimate for {term!r} is {estimate:.3g} (se {term_se:.3g}): likely "
                            f"monotone likelihood, e.g. a category with no events of cause {cause}")
    if n_events < 10 * n_params:
        warnings.append(f"only {n_events} events of cause {cause} for {n_params} coefficients "
                        f"(fewer than 10 per coefficient); estimates may be unstable")

    fails = rs.n_fail > 0
    hazard = sums.hazard_jump[fails] * np.exp(-sums.shift)
    baseline = pd.DataFrame({"time": rs.times[fails], "hazard": hazard,
                             "cumulative_hazard": np.cumsum(hazard)})
    return FitResult(
        model="fine_gray",
        summary=tidy_summary(terms, beta, se, alpha=alpha),
        n=n,
        events=n_events,
        converged=converged,
        formula=formula,
        loglik=float(sums.loglik),
        warnings=warnings,
        extra={
            "cov": pd.DataFrame(robust, index=terms, columns=terms),
            "naive_cov": pd.DataFrame(naive, index=terms, columns=terms),
            "loglik_null": float(loglik_null),
            "score": sums.score,
            "iterations": iterations,
            "cause": cause,
            "baseline_cumulative_hazard": baseline,
        },
    )


# --------------------------------------------------------------------------------------------
# cause-specific Cox
# --------------------------------------------------------------------------------------------
def fit_cause_specific_cox(
    df: pd.DataFrame,
    formula_or_columns,
    cause: int = 1,
    duration: str = "time",
    event: str = "event",
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
) -> FitResult:
    """Cox model for the cause-specific hazard of one cause; other causes count as censoring.

    The cause-specific hazard answers "among loans still open, how fast does this cause strike",
    whereas Fine–Gray answers "how does the probability of this cause by time t change".
    The fit is :func:`overdue.models.survival.fit_cox` on an indicator of ``cause``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    formula_or_columns : str or list of str
        Right-hand side, as for :func:`overdue.models.survival.fit_cox`.
    cause : int
        The cause whose hazard is modelled.
    duration, event : str
        Time and event-code columns (0 censored).
    ties, strata, cluster, weights, alpha
        As for :func:`overdue.models.survival.fit_cox` (Efron ties by default, as R's ``coxph``).

    Returns
    -------
    FitResult
        ``fit_cox``'s result, with ``model="cause_specific_cox"`` and ``extra["cause"]``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=300), "time": rng.integers(1, 37, size=300),
    ...                   "event": rng.choice([0, 1, 2], size=300, p=[0.4, 0.2, 0.4])})
    >>> fit_cause_specific_cox(d, ["x"], cause=1).model
    'cause_specific_cox'
    """
    from overdue.models.survival import fit_cox

    _, codes = _outcome_arrays(df, duration, event, cause)
    indicator = f"_{event}_is_cause_{cause}"
    if indicator in df.columns:
        raise ValueError(f"column '{indicator}' already exists; "
                         "it is needed for the cause indicator")
    data = df.assign(**{indicator: (codes == cause).astype(int)})
    result = fit_cox(data, formula_or_columns, duration=duration, event=indicator, ties=ties,
                     strata=strata, cluster=cluster, weights=weights, alpha=alpha)
    result.model = "cause_specific_cox"
    result.extra["cause"] = cause
    return result
