"""What overdue costs: realised returns, recoveries and loss given default, and their models.

The definitions are DESIGN.md's ("Impacts"): exposure at default EAD = funded amount − principal
received; net recovery = recoveries − collection fees; recovery rate = net recovery / EAD;
LGD = 1 − recovery rate; realised multiple = total payments / funded; realised return = the
annualised internal rate of return of the loan's reconstructed monthly cash flows
(:func:`realised_return` says how they are rebuilt from the totals the loan file gives).

Examples
--------
>>> round(float(realised_return([1000.0], [33.22], [1195.92], [33.22], [0.0], [0.0], [36], [False])[0]), 4)
0.127
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from overdue.models.checks import check_alpha

__all__ = ["clopper_pearson", "fit_fractional_logit", "loss_given_default", "realised_return"]


def realised_return(
    funded,
    installment,
    total_payments,
    last_payment,
    recoveries,
    collection_fees,
    months_paid,
    charged_off,
    charge_off_lag: int = 4,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> np.ndarray:
    """Annualised internal rate of return of each loan's reconstructed monthly cash flows.

    The loan file gives totals, not a payment history, so the flows are rebuilt as follows
    (month 0 is the issue month):

    * month 0: the funded amount goes out;
    * months 1 … m−1, with m = ``months_paid`` (issue to last payment): equal payments that sum
      to what the borrower paid before the last payment, i.e. ``total_payments − recoveries −
      last_payment`` (the scheduled instalment, when the loan kept to its schedule; a prepaid
      loan's extra principal arrives with its last payment);
    * month m: the last payment;
    * charged-off loans: the net recovery (``recoveries − collection_fees``) in month
      ``m + charge_off_lag`` (LendingClub charges off about four months after the last payment).

    A loan that never paid (``months_paid`` 0) has only its net recovery. The monthly rate r
    solving ``sum_t c_t (1 + r)^-t = 0`` is found by Newton's method on all loans at once (the
    net present value falls monotonically in r for these flows: one outflow, then inflows), and
    annualised as ``(1 + r)^12 − 1``. ``installment`` is not needed for the rate (kept for the
    check that regular payments are near it). A loan that recovered nothing of a loan it never
    paid has a return of −100 %.

    Parameters
    ----------
    funded, installment, total_payments, last_payment, recoveries, collection_fees : array-like
        Per loan, in dollars (``total_payments`` includes the recoveries, as LendingClub's
        ``total_pymnt`` does).
    months_paid : array-like of int
        Months from issue to the last payment (0 when nothing was paid).
    charged_off : array-like of bool
        Whether the loan was charged off (its recoveries then arrive after the last payment).
    charge_off_lag : int
        Months from the last payment to the recovery.

    Returns
    -------
    numpy.ndarray
        Annualised returns (0.1 is 10 % a year).

    Examples
    --------
    A 36-month loan of $1,000 at 12 % paid to schedule (instalment $33.21):

    >>> r = realised_return([1000.0], [33.2143], [36 * 33.2143], [33.2143], [0.0], [0.0], [36], [False])
    >>> round(float((1 + 0.12 / 12) ** 12 - 1), 5), round(float(r[0]), 5)
    (0.12683, 0.12682)
    """
    funded = np.asarray(funded, dtype=float)
    total = np.asarray(total_payments, dtype=float)
    last = np.asarray(last_payment, dtype=float)
    recovered = np.asarray(recoveries, dtype=float) - np.asarray(collection_fees, dtype=float)
    months = np.asarray(months_paid, dtype=np.int64)
    charged_off = np.asarray(charged_off, dtype=bool)
    if (months < 0).any():
        raise ValueError("months_paid must be 0 or more")
    regular_total = np.where(months > 1, total - np.asarray(recoveries, float) - last, 0.0)
    regular = np.where(months > 1, regular_total / np.maximum(months - 1, 1), 0.0)
    last = np.where(months >= 1, last, 0.0)
    recovery_month = np.where(charged_off, months + charge_off_lag, 0)
    recovered = np.where(charged_off, recovered, 0.0)
    if np.any(regular_total < -1e-6):
        raise ValueError(
            "the last payment and recoveries exceed the total payments for "
            f"{int((regular_total < -1e-6).sum())} loans"
        )

    def npv_and_slope(rate):
        # Regular payments in months 1 … m−1 form a geometric series in v = 1 / (1 + rate).
        v = 1.0 / (1.0 + rate)
        n = np.maximum(months - 1, 0).astype(float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            near_zero = np.abs(rate) < 1e-9
            annuity = np.where(near_zero, n, v * (1 - v**n) / (1 - v))
            # d annuity / d rate, through v: d v / d rate = -v^2
            d_annuity_dv = np.where(
                near_zero,
                n * (n + 1) / 2,
                ((1 - (n + 1) * v**n) * (1 - v) + v * (1 - v**n)) / (1 - v) ** 2,
            )
        value = -funded + regular * annuity + last * v**months + recovered * v**recovery_month
        slope_v = (
            regular * d_annuity_dv
            + last * months * v ** (months - 1)
            + recovered * recovery_month * v ** (recovery_month - 1.0)
        )
        return value, slope_v * (-(v**2))

    inflows = regular * np.maximum(months - 1, 0) + last + recovered
    rate = np.where(inflows > 0, 0.01, -1.0)
    active = inflows > 0
    for _ in range(max_iter):
        value, slope = npv_and_slope(rate[active])
        step = value / slope
        # Keep the rate above -100 % a month: halve towards -1 rather than stepping past it.
        new = rate[active] - step
        new = np.where(new <= -1.0, (rate[active] - 1.0) / 2.0, new)
        rate[active] = new
        if np.max(np.abs(step), initial=0.0) < tol:
            break
    return (1.0 + rate) ** 12 - 1.0


def loss_given_default(ead, net_recovery) -> pd.DataFrame:
    """Recovery rate and LGD of each defaulted loan (rates clipped to [0, 1]).

    Examples
    --------
    >>> loss_given_default([1000.0, 500.0], [100.0, 0.0]).round(2).values.tolist()
    [[1000.0, 100.0, 0.1, 0.9], [500.0, 0.0, 0.0, 1.0]]
    """
    ead = np.asarray(ead, dtype=float)
    recovery = np.asarray(net_recovery, dtype=float)
    if (ead <= 0).any():
        raise ValueError("exposure at default must be positive for defaulted loans")
    rate = np.clip(recovery / ead, 0.0, 1.0)
    return pd.DataFrame(
        {"ead": ead, "net_recovery": recovery, "recovery_rate": rate, "lgd": 1.0 - rate}
    )


def clopper_pearson(events, n, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) interval of a binomial proportion, for small counts.

    Examples
    --------
    >>> lower, upper = clopper_pearson(14, 160)
    >>> round(float(lower), 4), round(float(upper), 4)
    (0.0487, 0.1425)
    """
    check_alpha(alpha)
    events = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0) or np.any(events < 0) or np.any(events > n):
        raise ValueError("Clopper–Pearson needs 0 <= events <= n and n > 0")
    lower = np.where(events > 0, stats.beta.ppf(alpha / 2, events, n - events + 1), 0.0)
    upper = np.where(events < n, stats.beta.ppf(1 - alpha / 2, events + 1, n - events), 1.0)
    return lower, upper


def fit_fractional_logit(
    df: pd.DataFrame,
    rhs: str,
    *,
    outcome: str,
    cluster: str | None = None,
    alpha: float = 0.05,
    max_iter: int = 100,
):
    """Papke–Wooldridge fractional logit of a rate in [0, 1] (e.g. the recovery rate).

    The binomial quasi-likelihood with the logit link, fitted by statsmodels' GLM; its mean
    model is right whatever the rate's distribution, so the variance is the robust sandwich
    (HC0), or clustered by ``cluster``. Returns a :class:`~overdue.models.result.FitResult`
    with ``model="fractional_logit"``: ``exp(estimate)`` are odds ratios of the rate.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=800)})
    >>> d["rate"] = 1 / (1 + np.exp(-(-1 + 0.5 * d.x + rng.normal(0, 0.5, 800))))
    >>> fit = fit_fractional_logit(d, "x", outcome="rate")
    >>> fit.cov_type, bool(0.35 < fit.params["x"] < 0.6)
    ('robust', True)
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from overdue.models.checks import check_cluster, check_frame, numeric_column
    from overdue.models.design import check_rhs
    from overdue.models.result import FitResult, tidy_summary

    check_frame(df)
    check_alpha(alpha)
    rhs = check_rhs(rhs, "fit_fractional_logit")
    values = numeric_column(df, outcome, "outcome")
    if ((values < 0) | (values > 1)).any():
        raise ValueError(f"outcome column {outcome!r} must hold rates in [0, 1]")
    check_cluster(df, cluster)
    model = smf.glm(f"{outcome} ~ {rhs}", df, family=sm.families.Binomial(), missing="raise")
    options = (
        {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(df[cluster])[0]}}
        if cluster
        else {"cov_type": "HC0"}
    )
    result = model.fit(maxiter=max_iter, **options)
    names = list(result.params.index)
    cov = pd.DataFrame(np.asarray(result.cov_params()), index=names, columns=names)
    return FitResult(
        model="fractional_logit",
        summary=tidy_summary(names, result.params, result.bse, alpha),
        n=int(result.nobs),
        events=None,
        converged=bool(result.converged),
        formula=rhs,
        outcome=outcome,
        loglik=float(result.llf),
        loglik_null=float(result.llnull),
        cov=cov,
        cov_type="cluster" if cluster else "robust",
        cov_nonrobust=pd.DataFrame(
            np.asarray(result.normalized_cov_params), index=names, columns=names
        ),
        alpha=alpha,
        cluster=cluster,
        n_clusters=int(df[cluster].nunique()) if cluster else None,
        iterations=int(getattr(result, "fit_history", {}).get("iteration", 0)) or None,
        link="logit",
        term_columns={},
        extra={"deviance": float(result.deviance)},
        _engine=result,
    )
