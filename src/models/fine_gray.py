"""Fine–Gray proportional subdistribution-hazard regression, reproducing R's ``cmprsk::crr``.

Where the cause-specific hazard (:func:`overdue.models.cox.fit_cause_specific_cox`) asks how
fast a cause strikes among loans still open, the subdistribution hazard models the
cumulative incidence itself (:func:`overdue.models.incidence.cumulative_incidence`): subjects
who had a competing event stay in its risk set, weighted by the probability ``G(t-)/G(T_i-)``
that they would still be uncensored, with ``G`` the Kaplan–Meier of the censoring times.

Why the fit is fast: loan durations take few distinct values (months), so every sum over the
subdistribution risk set — subjects still event-free at ``t`` plus competing-event subjects
that left before ``t``, weighted ``G(t-)/G(T_i-)`` — is a cumulative sum over distinct times
of per-time totals. One Newton step, and crr's sandwich variance, cost ``O(n p^2)``.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> d = pd.DataFrame({"x": rng.normal(size=300), "time": rng.integers(1, 37, size=300),
...                   "event": rng.choice([0, 1, 2], size=300, p=[0.4, 0.2, 0.4])})
>>> fit = fit_fine_gray(d, "x")
>>> fit.ratio_name, fit.cov_type, fit.cause
('subdistribution hazard ratio', 'robust', 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from overdue.models.checks import cause_codes, check_alpha, check_frame, duration_column
from overdue.models.design import RhsDesign, rhs_design
from overdue.models.event_times import competing_status, distinct_time_blocks
from overdue.models.result import FitResult, tidy_summary

__all__ = ["fit_fine_gray"]


def _reverse_cumsum(values: np.ndarray) -> np.ndarray:
    """Sum over this and all later entries (along axis 0)."""
    return np.cumsum(values[::-1], axis=0)[::-1]


def _exclusive_cumsum(values: np.ndarray) -> np.ndarray:
    """Sum over all earlier entries, excluding this one (along axis 0)."""
    total = np.cumsum(values, axis=0)
    return np.concatenate([np.zeros_like(total[:1]), total[:-1]], axis=0)


def _check_rank_with_constant(design: RhsDesign) -> None:
    """The model has no intercept, so a covariate that is constant (or a set of dummies that
    sums to a constant) is not identified: raise naming it."""
    x = design.matrix
    with_constant = np.column_stack([np.ones(len(x)), x])
    if np.linalg.matrix_rank(with_constant) < with_constant.shape[1]:
        constant = [name for name, flat in zip(design.names, np.ptp(x, axis=0) == 0) if flat]
        which = f"constant columns {constant}" if constant else "collinear columns"
        raise ValueError(
            f"the design of {design.formula!r} is rank deficient once a constant "
            f"is included ({which}); Fine–Gray has no intercept"
        )


@dataclass(frozen=True)
class _SubdistributionRiskSets:
    """What the Fine–Gray risk sets need that does not depend on the coefficients.

    Rows are sorted by time; ``block`` maps each row to its distinct time ``times[block]``.
    ``g_before`` is the Kaplan–Meier of the censoring distribution just before each distinct time,
    ``G(t-)`` — crr's weights, which treat events tied with a censoring as occurring first.
    """

    x: np.ndarray
    status: np.ndarray  # 0 censored, 1 cause of interest, 2 competing
    block: np.ndarray
    starts: np.ndarray
    times: np.ndarray
    g_before: np.ndarray
    n_fail: np.ndarray  # events of the cause of interest per distinct time
    n_censored: np.ndarray
    n_at_risk: np.ndarray

    @classmethod
    def build(cls, time: np.ndarray, codes: np.ndarray, cause: int, x: np.ndarray):
        order = np.argsort(time, kind="stable")
        time, codes, x = time[order], codes[order], x[order]
        status = competing_status(codes, cause)
        times, starts, block = distinct_time_blocks(time)
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
    shift: float  # max(x'b), subtracted before exp() so that it stays finite
    relative_risk: np.ndarray  # exp(x'b - shift)
    xbar: np.ndarray  # weighted covariate mean of the risk set per distinct time
    hazard_jump: np.ndarray  # d_k / S0_k, times exp(shift)
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
    weight = (
        r * np.cumsum(jump)[rs.block]
        + competing * _reverse_cumsum(np.r_[(jump * rs.g_before)[1:], 0.0])[rs.block]
    )
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

    cum_jump = np.cumsum(jump)[block]  # sum over failure times <= T_i
    cum_jump_x = np.cumsum(jump_x, axis=0)[block]
    later_g_jump = _reverse_cumsum(np.r_[(jump * g)[1:], 0.0])  # times > T_i
    later_g_jump_x = _reverse_cumsum(
        np.vstack([(jump_x * g[:, None])[1:], np.zeros((1, x.shape[1]))])
    )
    is_fail = (rs.status == 1)[:, None]
    eta = (
        np.where(is_fail, x - xbar[block], 0.0)
        - r[:, None] * (x * cum_jump[:, None] - cum_jump_x)
        - competing[:, None] * (x * later_g_jump[block][:, None] - later_g_jump_x[block])
    )

    # q(u): how the risk-set sums at failure times >= u move with the censoring KM at u, driven by
    # competing-event subjects who left before u.
    earlier_c0 = _exclusive_cumsum(np.add.reduceat(competing, rs.starts))
    earlier_c1 = _exclusive_cumsum(np.add.reduceat(competing[:, None] * x, rs.starts))
    from_g_jump = _reverse_cumsum(jump * g)
    from_g_jump_x = _reverse_cumsum(jump_x * g[:, None])
    q = earlier_c1 * from_g_jump[:, None] - earlier_c0[:, None] * from_g_jump_x
    per_censoring = np.cumsum(q * (rs.n_censored / rs.n_at_risk**2)[:, None], axis=0)
    is_censored = (rs.status == 0)[:, None]
    psi = (
        np.where(is_censored, q[block] / rs.n_at_risk[block][:, None], 0.0) - per_censoring[block]
    )

    influence = eta + psi
    return influence.T @ influence


def fit_fine_gray(
    df: pd.DataFrame,
    rhs: str | Sequence[str],
    *,
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
        One row per subject; rows with missing values are an error, not dropped.
    rhs : str or list of str
        Right-hand side in patsy syntax (e.g. ``"C(purpose_group) + fico + dti"``; no
        intercept) or a list of numeric columns.
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
        ``model="fine_gray"``: ``summary`` holds log subdistribution hazard ratios and their
        robust SEs; ``loglik`` and ``loglik_null`` are log pseudo-likelihoods; ``cov`` is the
        robust covariance (``cov_type="robust"``), ``cov_nonrobust`` the inverse information;
        ``iterations``, ``step_halvings``, ``cause``, ``term_columns``. ``extra`` holds
        ``score`` (at the estimate) and ``baseline_cumulative_hazard`` (DataFrame: ``time``,
        ``hazard`` jumps — crr's ``bfitj`` — and ``cumulative_hazard`` of the baseline
        subdistribution hazard), from which
        ``F(t | x) = 1 - exp(-exp(x'b) cumulative_hazard(t))``. Non-convergence, likely
        monotone likelihood and too few events per coefficient are in ``warnings``.

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
    check_alpha(alpha)
    check_frame(df)
    time = duration_column(df, duration)
    codes = cause_codes(df, event, cause)
    design = rhs_design(df, rhs, "fit_fine_gray")
    _check_rank_with_constant(design)
    terms = design.names
    rs = _SubdistributionRiskSets.build(time, codes, cause, design.matrix)
    n, n_params = rs.x.shape
    n_events = int(rs.n_fail.sum())
    warnings: list[str] = []

    beta = np.zeros(n_params)
    sums = _risk_set_sums(beta, rs)
    loglik_null = sums.loglik
    converged = False
    iterations = 0
    step_halvings = 0
    step = np.full(n_params, np.nan)
    for iteration in range(1, max_iter + 1):
        iterations = iteration
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
        step_halvings += halvings
        beta, sums = beta + step, candidate
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    if not converged:
        warnings.append(
            f"Newton–Raphson did not converge in {iterations} iterations "
            f"(last step {np.max(np.abs(step)):.2g})"
        )

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
            warnings.append(
                f"estimate for {term!r} is {estimate:.3g} (se {term_se:.3g}): likely "
                f"monotone likelihood, e.g. a category with no events of cause {cause}"
            )
    if n_events < 10 * n_params:
        warnings.append(
            f"only {n_events} events of cause {cause} for {n_params} coefficients "
            f"(fewer than 10 per coefficient); estimates may be unstable"
        )

    fails = rs.n_fail > 0
    hazard = sums.hazard_jump[fails] * np.exp(-sums.shift)
    baseline = pd.DataFrame(
        {"time": rs.times[fails], "hazard": hazard, "cumulative_hazard": np.cumsum(hazard)}
    )
    return FitResult(
        model="fine_gray",
        summary=tidy_summary(terms, beta, se, alpha=alpha),
        n=n,
        events=n_events,
        converged=converged,
        formula=design.formula,
        outcome=event,
        loglik=float(sums.loglik),
        loglik_null=float(loglik_null),
        cov=pd.DataFrame(robust, index=terms, columns=terms),
        cov_type="robust",
        cov_nonrobust=pd.DataFrame(naive, index=terms, columns=terms),
        alpha=alpha,
        iterations=iterations,
        step_halvings=step_halvings,
        cause=cause,
        term_columns=design.term_columns,
        warnings=warnings,
        extra={"score": sums.score, "baseline_cumulative_hazard": baseline},
    )
