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

from overdue.features.impacts import realised_return
from overdue.models.checks import check_alpha

__all__ = [
    "clopper_pearson",
    "expected_and_realised_loss",
    "fit_linear",
    "rate_by_bins",
    "fit_fractional_logit",
    "impacts_by",
    "loss_given_default",
    "mean_with_interval",
    "realised_return",
]


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


def _sandwich(df: pd.DataFrame, cluster: str | None, robust: str) -> dict:
    """statsmodels' fit options for a cluster-robust variance by ``cluster``, else ``robust``
    (``"HC0"`` for a quasi-likelihood, ``"HC1"`` for least squares)."""
    if cluster:
        return {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(df[cluster])[0]}}
    return {"cov_type": robust}


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
    options = _sandwich(df, cluster, "HC0")
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


def impacts_by(features: pd.DataFrame, by: str, alpha: float = 0.05) -> pd.DataFrame:
    """What overdue cost, by group: default rate, pooled and loan-average LGD of the defaulted
    loans (with a Clopper–Pearson interval of the default rate), mean realised return against
    the mean rate charged, late-fee incidence and amount.

    Pooled LGD weighs loans by their exposure (1 − total net recovery / total EAD), the lender's
    view of money lost; the loan average weighs every default alike.

    Examples
    --------
    >>> f = pd.DataFrame({"grade": ["A", "A", "B"], "defaulted": [0, 1, 1],
    ...                   "exposure_at_default": [np.nan, 100.0, 300.0],
    ...                   "net_recovery": [np.nan, 10.0, 0.0], "loss_given_default": [np.nan, 0.9, 1.0],
    ...                   "realised_annual_return": [0.1, -0.5, -1.0], "int_rate": [0.07, 0.07, 0.12],
    ...                   "late_fees": [0.0, 15.0, 0.0]})
    >>> impacts_by(f, "grade")["pooled_lgd"].round(2).tolist()
    [0.9, 1.0]
    """
    grouped = features.groupby(by, observed=True, sort=True)
    table = pd.DataFrame(
        {
            "loans": grouped.size(),
            "defaults": grouped["defaulted"].sum().astype(int),
            "total_ead": grouped["exposure_at_default"].sum(),
            "total_net_recovery": grouped["net_recovery"].sum(),
            "mean_lgd": grouped["loss_given_default"].mean(),
            "mean_return": grouped["realised_annual_return"].mean(),
            "mean_rate": grouped["int_rate"].mean(),
            "late_fee_share": grouped["late_fees"].apply(lambda v: float((v > 0).mean())),
            "mean_late_fee_paid": grouped["late_fees"].apply(
                lambda v: float(v[v > 0].mean()) if (v > 0).any() else np.nan
            ),
        }
    )
    table["default_rate"] = table["defaults"] / table["loans"]
    table["default_ci_lower"], table["default_ci_upper"] = clopper_pearson(
        table["defaults"], table["loans"], alpha
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        table["pooled_lgd"] = 1 - table["total_net_recovery"].clip(lower=0) / table["total_ead"]
    return table.drop(columns=["total_ead", "total_net_recovery"])


def mean_with_interval(values: pd.Series, groups: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Mean of ``values`` by group with a t interval (e.g. credit-score change by outcome).

    Examples
    --------
    >>> t = mean_with_interval(pd.Series([1.0, 3.0, 10.0, 14.0]), pd.Series(list("aabb")))
    >>> t["mean"].tolist(), t["n"].tolist()
    ([2.0, 12.0], [2, 2])
    """
    check_alpha(alpha)
    grouped = values.groupby(groups, observed=True, sort=True)
    table = pd.DataFrame({"n": grouped.count(), "mean": grouped.mean(), "sd": grouped.std()})
    half = stats.t.ppf(1 - alpha / 2, table["n"] - 1) * table["sd"] / np.sqrt(table["n"])
    table["ci_lower"], table["ci_upper"] = table["mean"] - half, table["mean"] + half
    return table


def fit_linear(
    df: pd.DataFrame, rhs: str, *, outcome: str, cluster: str | None = None, alpha: float = 0.05
):
    """Least squares of a continuous outcome (e.g. the credit-score change) with robust (HC1)
    or cluster-robust errors, as a :class:`~overdue.models.result.FitResult` with
    ``link="identity"``: read its ``estimate`` column, not the exponentiated ones.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"x": rng.normal(size=500)}); d["y"] = 2 + 3 * d.x + rng.normal(size=500)
    >>> fit = fit_linear(d, "x", outcome="y")
    >>> bool(fit.summary.loc["x", "ci_lower"] < 3 < fit.summary.loc["x", "ci_upper"]), fit.cov_type
    (True, 'robust')
    """
    import statsmodels.formula.api as smf

    from overdue.models.checks import check_cluster, check_frame, numeric_column
    from overdue.models.design import check_rhs
    from overdue.models.result import FitResult, tidy_summary

    check_frame(df)
    check_alpha(alpha)
    rhs = check_rhs(rhs, "fit_linear")
    numeric_column(df, outcome, "outcome")
    check_cluster(df, cluster)
    options = _sandwich(df, cluster, "HC1")
    result = smf.ols(f"{outcome} ~ {rhs}", df, missing="raise").fit(**options)
    names = list(result.params.index)
    return FitResult(
        model="linear",
        summary=tidy_summary(names, result.params, result.bse, alpha),
        n=int(result.nobs),
        events=None,
        converged=True,
        formula=rhs,
        outcome=outcome,
        loglik=float(result.llf),
        cov=pd.DataFrame(np.asarray(result.cov_params()), index=names, columns=names),
        cov_type="cluster" if cluster else "robust",
        alpha=alpha,
        cluster=cluster,
        n_clusters=int(df[cluster].nunique()) if cluster else None,
        link="identity",
        extra={"r2": float(result.rsquared)},
        _engine=result,
    )


def expected_and_realised_loss(
    features: pd.DataFrame, pd_score, train: pd.Series, by: str = "grade", lgd_by: str = "grade"
) -> pd.DataFrame:
    """Expected loss PD × LGD × EAD against the loss realised, by group, on scored loans.

    ``pd_score`` is each scored loan's probability of default (from a model fitted on the loans
    where ``train`` is True, e.g. out of time); LGD and the exposure at default as a share of
    the funded amount are the pooled values of the training loans' defaults in the same
    ``lgd_by`` group (the grade), so nothing of the scored loans' outcomes enters the
    expectation; the table is by ``by`` (the grade, or the vintage). Realised loss is the
    exposure at default minus the net recovery (0 for loans that did not default).

    Returns
    -------
    pandas.DataFrame
        Per group: ``loans, funded, expected_loss, realised_loss`` (dollars),
        ``expected_loss_rate, realised_loss_rate`` (per dollar funded) and ``mean_rate``.
    """
    scored = features.loc[~train].assign(pd_score=np.asarray(pd_score, dtype=float))
    history = features.loc[train & (features["defaulted"] == 1)]
    groups = history.groupby(lgd_by, observed=True)
    pooled_lgd = (
        1 - groups["net_recovery"].sum().clip(lower=0) / groups["exposure_at_default"].sum()
    )
    ead_share = groups["exposure_at_default"].sum() / groups["funded_amnt"].sum()
    scored = scored.assign(
        expected=scored["pd_score"]
        * scored[lgd_by].map(pooled_lgd)
        * scored[lgd_by].map(ead_share)
        * scored["funded_amnt"],
        realised=(scored["exposure_at_default"] - scored["net_recovery"]).fillna(0.0),
    )
    table = scored.groupby(by, observed=True).agg(
        loans=("funded_amnt", "size"),
        funded=("funded_amnt", "sum"),
        expected_loss=("expected", "sum"),
        realised_loss=("realised", "sum"),
        mean_rate=("int_rate", "mean"),
    )
    table["expected_loss_rate"] = table["expected_loss"] / table["funded"]
    table["realised_loss_rate"] = table["realised_loss"] / table["funded"]
    return table


def rate_by_bins(
    values: pd.Series, outcome: pd.Series, bins: int = 10, alpha: float = 0.05
) -> pd.DataFrame:
    """A dose–response curve: the outcome's rate by quantile bins of ``values`` with Wilson
    intervals (e.g. default by instalment-to-income burden).

    Examples
    --------
    >>> t = rate_by_bins(pd.Series(range(100)), pd.Series([0] * 50 + [1] * 50), bins=2)
    >>> t["rate"].tolist()
    [0.0, 1.0]
    """
    from overdue.models.descriptive import wilson_interval

    frame = pd.DataFrame({"value": values, "outcome": outcome}).dropna()
    frame["bin"] = pd.qcut(frame["value"], bins, duplicates="drop")
    grouped = frame.groupby("bin", observed=True)
    table = pd.DataFrame(
        {
            "value_mean": grouped["value"].mean(),
            "n": grouped.size(),
            "events": grouped["outcome"].sum(),
        }
    )
    table["rate"] = table["events"] / table["n"]
    table["ci_lower"], table["ci_upper"] = wilson_interval(table["events"], table["n"], alpha)
    return table.reset_index(drop=True)
