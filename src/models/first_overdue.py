"""Time to first overdue on a delinquency panel: the person-period data and their discrete-time
hazard.

Among accounts that are not overdue when the panel first sees them, how soon does each miss a
payment, and what brings it sooner? The definitions are DESIGN.md's ("Delinquency panel"):
**overdue** is MPD ≥ 1 (``threshold``; 3 for serious overdue), and a month in the ``default``
bucket counts as overdue too (a charged-off account has missed payments, whatever MPD the
source gives it).

:func:`first_overdue_periods` turns the account-month features
(:func:`overdue.features.accounts.account_features`) into the person-period data of "time to
first overdue":

- An account's **first observed month** is its origin, the month that shows it not yet
  overdue. An account already overdue then is **left-censored** (it first went overdue before
  the panel began, nobody knows when): it is left out, and counted.
- From the month after, the account is **at risk**: one row per month while it has not been
  overdue (``month_at_risk`` 1, 2, …), ``event_overdue`` 1 in its first month overdue (its last
  row) and 0 before. An account never overdue is censored at the panel's end; one that closes
  is censored before its closing month (closing is no missed payment, and a closed account is
  at risk no more).
- Covariates are what the bank knew **before** the month at risk: the time-varying features
  (utilisation, the payment ratio …) are the **previous month's**, the last month the account
  was seen not overdue, and the account's attributes (:data:`AT_START`: credit line, age,
  education, sex and marital status) its first observed month's.

:func:`first_overdue_sample` keeps the rows complete for a right-hand side and counts those it
drops (the payment ratio has no value in an account's first month, so a right-hand side with it
loses the first month at risk); :func:`fit_first_overdue` fits
:func:`overdue.models.hazard.fit_discrete_hazard` on them, one baseline level per month at
risk, errors clustered by account; :func:`labelled_first_overdue` labels the result, naming the
baseline by calendar month where every account starts in the same month (the Taiwan file: all
in April 2005, so month at risk 1 is May). With the complementary log-log link (the default)
``exp(estimate)`` are hazard ratios of the grouped-time proportional-hazards model; with the
logit link, odds ratios of the monthly probability of first going overdue.

Examples
--------
>>> features = pd.DataFrame({"account_id": ["a"] * 3 + ["b"] * 3,
...     "month": pd.to_datetime(["2005-04-01", "2005-05-01", "2005-06-01"] * 2),
...     "bucket": ["current", "current", "2", "1", "current", "current"],
...     "mpd": [0, 0, 2, 1, 0, 0], "utilisation": [0.2, 0.9, 1.0, 0.5, 0.5, 0.5]})
>>> periods, counts = first_overdue_periods(features)
>>> periods[["account_id", "month_at_risk", "event_overdue", "utilisation"]].values.tolist()
[['a', 1, 0, 0.2], ['a', 2, 1, 0.9]]
>>> counts["left_censored"], counts["events"]
(1, 1)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from overdue.data.delinquency import is_overdue
from overdue.models.checks import check_alpha, check_frame, require_columns
from overdue.models.descriptive import wilson_interval
from overdue.models.design import check_rhs, formula_variables
from overdue.models.hazard import fit_discrete_hazard
from overdue.models.result import FitResult

__all__ = [
    "AT_START",
    "EVENT",
    "TIME",
    "first_overdue_periods",
    "first_overdue_sample",
    "first_overdue_table",
    "fit_first_overdue",
    "labelled_first_overdue",
]

#: The event column of the person-period rows: 1 in an account's first month overdue.
EVENT = "event_overdue"
#: Months since the account's first observed month (1: the month after, the first at risk).
TIME = "month_at_risk"
#: Account features taken from the first observed month, what the account was at the start (the
#: bank's line, the holder's attributes); every other feature is the previous month's.
AT_START = ("log_credit_line", "credit_line_band", "age", "education", "sex", "marital_status")
#: The rows' own columns: of the month at risk itself, not covariates.
_OWN = ("account_id", "month", "bucket", "mpd")


def _month_number(months: pd.Series) -> np.ndarray:
    months = pd.to_datetime(months)
    return (months.dt.year * 12 + months.dt.month - 1).to_numpy(dtype=np.int64)


def first_overdue_periods(
    features: pd.DataFrame, *, threshold: int = 1, at_start=AT_START
) -> tuple[pd.DataFrame, dict]:
    """The person-period data of time to first overdue: one row per account and month at risk.

    Accounts overdue in their first observed month are **left-censored**: they are left out of
    the rows, and counted (``counts["left_censored"]``). See the module's description for the
    risk set and which month each covariate is taken from.

    Parameters
    ----------
    features : pandas.DataFrame
        Account-months: ``account_id``, ``month``, ``bucket``, ``mpd`` and any covariates (the
        account features of :func:`overdue.features.accounts.account_features`), whole accounts
        with consecutive months.
    threshold : int
        MPD at and above which a month is overdue (1; 3 for serious overdue).
    at_start : sequence of str
        Covariates taken from the account's first observed month (those present); every other
        column is the previous month's.

    Returns
    -------
    periods : pandas.DataFrame
        ``account_id``, ``month`` (the month at risk), ``month_at_risk`` (1: the month after the
        first observed one), ``bucket`` and ``mpd`` of that month, ``event_overdue`` (0/1), then
        the covariates known before the month, under their own names.
    counts : dict
        ``accounts``; ``left_censored`` (overdue in their first month, left out);
        ``at_risk`` (accounts with a month at risk); ``events`` (first overdue seen);
        ``censored_closed`` and ``censored_end`` (at risk, never seen overdue: closed, or at
        the panel's end); ``not_at_risk`` (neither left-censored nor ever at risk: a single
        month, or closed the month after); ``periods`` (rows).

    Examples
    --------
    >>> features = pd.DataFrame({"account_id": ["a", "a", "a", "b", "b"],
    ...     "month": pd.to_datetime(["2005-04-01", "2005-05-01", "2005-06-01"] + ["2005-04-01", "2005-05-01"]),
    ...     "bucket": ["current", "current", "current", "current", "closed"], "mpd": [0, 0, 0, 0, None]})
    >>> periods, counts = first_overdue_periods(features)
    >>> periods["event_overdue"].tolist(), counts["censored_end"], counts["not_at_risk"]
    ([0, 0], 1, 1)
    """
    check_frame(features)
    require_columns(features, list(_OWN), "account-month")
    if int(threshold) != threshold or threshold < 1:
        raise ValueError(f"threshold must be a whole number of months >= 1, got {threshold!r}")
    frame = features.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)
    n = len(frame)
    account = frame["account_id"].to_numpy()
    position = np.arange(n)
    new = np.r_[True, account[1:] != account[:-1]]
    number = _month_number(frame["month"])
    gap = ~new & (number - np.r_[number[0], number[:-1]] != 1)
    if gap.any():
        where = frame.loc[gap, ["account_id", "month"]].iloc[0]
        raise ValueError(
            f"months must be consecutive within an account: account {where['account_id']!r} "
            f"jumps to {where['month']:%Y-%m} ({int(gap.sum())} gaps or repeated months)"
        )
    start = np.maximum.accumulate(np.where(new, position, 0))
    bucket = frame["bucket"].astype(str).to_numpy()
    overdue = is_overdue(frame["mpd"], threshold).to_numpy(dtype=bool) | (bucket == "default")
    closed = bucket == "closed"
    stop = overdue | closed
    # Stops among the account's earlier rows (start .. i-1): the row is at risk only if none.
    total = np.cumsum(stop)
    earlier = (total - stop) - (total[start] - stop[start])
    at_risk = (position > start) & (earlier == 0) & ~closed
    rows = np.flatnonzero(at_risk)
    left_censored = new & overdue

    periods = pd.DataFrame(
        {
            "account_id": frame["account_id"].to_numpy()[rows],
            "month": frame["month"].to_numpy()[rows],
            TIME: (rows - start[rows]).astype(np.int64),
            "bucket": frame["bucket"].to_numpy()[rows],
            "mpd": frame["mpd"].to_numpy()[rows],
            EVENT: overdue[rows].astype(np.int64),
        }
    )
    fixed = set(at_start)
    for column in frame.columns:
        if column in _OWN or column in (TIME, EVENT):
            continue
        source = start[rows] if column in fixed else rows - 1  # the previous month's
        periods[column] = frame[column].iloc[source].to_numpy()
    periods["mpd"] = periods["mpd"].astype(frame["mpd"].dtype)

    accounts = int(new.sum())
    with_rows = len(np.unique(account[rows])) if len(rows) else 0
    censored_closed = int((closed & (earlier == 0) & (position > start)).sum())
    # An account closed in the month after its first has no month at risk: it is not among
    # those censored at closure, which had rows before.
    closed_first = int((closed & (earlier == 0) & (position == start + 1)).sum())
    events = int(periods[EVENT].sum())
    counts = {
        "accounts": accounts,
        "left_censored": int(left_censored.sum()),
        "at_risk": int(with_rows),
        "events": events,
        "censored_closed": censored_closed - closed_first,
        "censored_end": int(with_rows) - events - (censored_closed - closed_first),
        "not_at_risk": accounts - int(left_censored.sum()) - int(with_rows),
        "periods": len(periods),
    }
    return periods, counts


def first_overdue_table(periods: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The life table of first overdue: per month at risk the accounts at risk, the first
    overdues, the monthly hazard (their share, with its Wilson interval) and the share still
    never overdue by the month's end (the product of ``1 - hazard`` so far, Kaplan–Meier's
    estimate in discrete time).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``month_at_risk``: ``month`` (``YYYY-MM`` where the month at risk is one
        calendar month, else empty), ``at_risk``, ``events``, ``hazard``, ``ci_lower``,
        ``ci_upper``, ``never_overdue``.

    Examples
    --------
    >>> periods = pd.DataFrame({"month_at_risk": [1, 1, 1, 1, 2, 2, 2], "event_overdue": [1, 0, 0, 0, 1, 0, 0]})
    >>> first_overdue_table(periods)[["at_risk", "events", "hazard", "never_overdue"]].round(3).values.tolist()
    [[4.0, 1.0, 0.25, 0.75], [3.0, 1.0, 0.333, 0.5]]
    """
    check_alpha(alpha)
    check_frame(periods)
    require_columns(periods, [TIME, EVENT], "person-period")
    grouped = periods.groupby(TIME)[EVENT]
    table = pd.DataFrame({"at_risk": grouped.size(), "events": grouped.sum()})
    table["month"] = ""
    if "month" in periods.columns:
        months = pd.to_datetime(periods["month"]).dt.strftime("%Y-%m").groupby(periods[TIME])
        single = months.nunique() == 1
        table.loc[single[single].index, "month"] = months.first()[single]
    table["hazard"] = table["events"] / table["at_risk"]
    table["ci_lower"], table["ci_upper"] = wilson_interval(
        table["events"], table["at_risk"], alpha
    )
    table["never_overdue"] = (1.0 - table["hazard"]).cumprod()
    return table[["month", "at_risk", "events", "hazard", "ci_lower", "ci_upper", "never_overdue"]]


def first_overdue_sample(periods: pd.DataFrame, rhs: str) -> tuple[pd.DataFrame, dict]:
    """The person-period rows complete for ``rhs``, and how many each month at risk lost to
    missing values (a model never drops rows silently; the previous month's payment ratio is
    missing in the first month at risk, as an account's first month has no bill before it).

    Dropping whole months at risk leaves the hazard of the others intact: each row's likelihood
    is that month's, given the account was at risk in it.

    Examples
    --------
    >>> periods = pd.DataFrame({"account_id": ["a", "a"], "month_at_risk": [1, 2],
    ...     "event_overdue": [0, 1], "payment_ratio": [np.nan, 0.5]})
    >>> sample, dropped = first_overdue_sample(periods, "payment_ratio")
    >>> len(sample), dropped
    (1, {1: 1})
    """
    check_frame(periods)
    rhs = check_rhs(rhs, "first_overdue_sample")
    require_columns(periods, [TIME, EVENT], "person-period")
    absent = sorted(formula_variables(rhs) - set(periods.columns))
    if absent:
        raise ValueError(f"the right-hand side uses column(s) {absent} that the data frame lacks")
    columns = sorted(formula_variables(rhs) & set(periods.columns))
    incomplete = periods[columns].isna().any(axis=1)
    dropped = periods.loc[incomplete, TIME].value_counts().sort_index()
    sample = periods[~incomplete].reset_index(drop=True)
    return sample, {int(month): int(count) for month, count in dropped.items()}


def fit_first_overdue(
    periods: pd.DataFrame,
    rhs: str,
    *,
    link: str = "cloglog",
    alpha: float = 0.05,
    max_iter: int = 25,
    tol: float = 1e-10,
) -> FitResult:
    """The discrete-time hazard of first going overdue, on person-period rows
    (:func:`first_overdue_periods`, complete for ``rhs``: :func:`first_overdue_sample`).

    :func:`~overdue.models.hazard.fit_discrete_hazard` with the panel's vocabulary: the event
    ``event_overdue``, one baseline level per month at risk (the first month present is the
    reference: months with no complete row are not part of the model), errors clustered by
    account.

    Parameters
    ----------
    periods : pandas.DataFrame
        Person-period rows without missing values in ``rhs``.
    rhs : str
        Covariates, patsy syntax (``"utilisation + log_credit_line + C(education)"``).
    link : {"cloglog", "logit"}
        ``cloglog``: ``exp(estimate)`` are hazard ratios; ``logit``: odds ratios.
    alpha, max_iter, tol
        As for :func:`~overdue.models.hazard.fit_discrete_hazard`.

    Returns
    -------
    FitResult
        The hazard fit (``n`` account-months at risk, ``events`` first overdues,
        ``n_clusters`` accounts); ``extra`` adds ``baseline_months``: each baseline term's
        month at risk and, where every row of it is in one calendar month, that month
        (``YYYY-MM``), and ``reference_month`` the same for the reference level.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> rows = []
    >>> for account in range(800):
    ...     x = rng.normal()
    ...     for month in range(1, 6):
    ...         event = int(rng.random() < 1 / (1 + np.exp(2.5 - 0.5 * x)))
    ...         rows.append((str(account), month, x, event))
    ...         if event:
    ...             break
    >>> periods = pd.DataFrame(rows, columns=["account_id", "month_at_risk", "x", "event_overdue"])
    >>> fit = fit_first_overdue(periods, "x", link="logit")
    >>> fit.summary.index.tolist(), fit.ratio_name
    (['Intercept', 'baseline[2]', 'baseline[3]', 'baseline[4]', 'baseline[5]', 'x'], 'odds ratio')
    """
    check_alpha(alpha)
    check_frame(periods)
    rhs = check_rhs(rhs, "fit_first_overdue")
    require_columns(periods, ["account_id", TIME, EVENT], "person-period")
    first = int(periods[TIME].min())
    # The baseline's first level is its reference, so it starts at the first month present.
    data = periods.assign(baseline_month=periods[TIME].astype(np.int64) - first + 1)
    fit = fit_discrete_hazard(
        data,
        rhs,
        event=EVENT,
        cluster="account_id",
        link=link,
        baseline="baseline_month",
        baseline_form="dummies",
        alpha=alpha,
        max_iter=max_iter,
        tol=tol,
    )
    calendar = {}
    if "month" in data.columns:
        for level, months in data.groupby("baseline_month")["month"]:
            distinct = pd.to_datetime(months).dt.strftime("%Y-%m").unique()
            calendar[int(level)] = distinct[0] if len(distinct) == 1 else None

    def month_of(level: int) -> dict:
        return {"month_at_risk": level + first - 1, "calendar": calendar.get(level)}

    levels = {term: int(term[len("baseline[") : -1]) for term in fit.extra["baseline_terms"]}
    extra = dict(fit.extra)
    extra["baseline_months"] = {term: month_of(level) for term, level in levels.items()}
    extra["reference_month"] = month_of(1)
    return dataclasses.replace(fit, outcome="first overdue", extra=extra)


def labelled_first_overdue(fit: FitResult, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """A :func:`fit_first_overdue` summary in reported units with readable labels
    (:func:`overdue.models.labels.labelled_summary`), its baseline rows named by calendar month
    ("Month: July 2005 (vs May 2005)") where each is one calendar month, else by month at risk
    ("Month at risk 3 (vs 1)").

    Examples
    --------
    >>> from overdue.models.result import tidy_summary
    >>> fit = FitResult("hazard_cloglog", tidy_summary(["Intercept", "baseline[2]", "utilisation"],
    ...     [-3.0, 0.4, 0.5], [0.1, 0.1, 0.1]), n=9, events=3, converged=True, link="cloglog",
    ...     extra={"baseline_months": {"baseline[2]": {"month_at_risk": 3, "calendar": "2005-07"}},
    ...            "reference_month": {"month_at_risk": 2, "calendar": "2005-06"}})
    >>> labelled_first_overdue(fit)["label"].tolist()
    ['Constant', 'Month: July 2005 (vs June 2005)', 'Utilisation, per 10 percentage points']
    """
    from overdue.models.labels import labelled_summary

    table = labelled_summary(fit, data)
    months = fit.extra.get("baseline_months")
    reference = fit.extra.get("reference_month")
    if not months or not reference:
        return table

    dated = all(m["calendar"] is not None for m in [reference, *months.values()])

    def spelled(month: dict) -> str:
        if dated:
            return pd.Timestamp(month["calendar"]).strftime("%B %Y")
        return str(month["month_at_risk"])

    for term, month in months.items():
        if term in table.index:
            level, versus = spelled(month), spelled(reference)
            name = f"Month: {level}" if dated else f"Month at risk {level}"
            table.loc[term, "label"] = f"{name} (vs {versus})"
            table.loc[term, "per"] = f"{level} vs {versus}"
    return table
