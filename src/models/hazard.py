"""Discrete-time hazard of default on the loan-month panel.

One row per loan and month on book (see DESIGN.md, "Loan-month panel"); the response is 1 in
the month the loan goes overdue and 0 in every earlier month. A binary GLM on these rows is the
discrete-time hazard model:

    g(h(m | x_m)) = alpha(m) + beta' x_m,

where ``h`` is the probability of going overdue in month on book ``m`` given survival to it,
``alpha`` is the baseline (one level per month, or per band of months) and ``x_m`` may vary over
the loan's life (the state's unemployment that month). With ``g`` the complementary log-log link
this is exactly the grouped-time proportional-hazards model - the continuous-time Cox model
observed in monthly intervals - so ``exp(beta)`` are hazard ratios comparable with a Cox fit.
With the logit link ``exp(beta)`` are odds ratios of the monthly default probability.

Standard errors are clustered by loan: a loan's months are not independent observations.

Every input goes through :func:`overdue.models.irls.fit_glm_irls`, which streams partitions, so
an in-memory panel and a partitioned parquet panel give the same numbers (and both equal
statsmodels ``GLM``; the tests hold them to it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import patsy
from scipy import special

from overdue.data.partitions import as_partitions
from overdue.models.checks import binary_column, check_alpha, check_cluster, require_columns
from overdue.models.design import check_rhs
from overdue.models.irls import LINKS, stream_fit
from overdue.models.result import FitResult

__all__ = ["fit_discrete_hazard", "baseline_levels", "BASELINE_FORMS"]

BASELINE_FORMS = ("dummies", "bands")


def baseline_levels(max_month: int, form: str = "dummies", band_months: int = 6) -> list[str]:
    """Labels of the baseline levels for months on book 1..``max_month`` (first: reference).

    Parameters
    ----------
    max_month : int
        Last month on book in the data (36 or 60 for LendingClub terms).
    form : {"dummies", "bands"}
        One level per month, or one per band of ``band_months`` months.
    band_months : int
        Width of a band; the last band ends at ``max_month``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> baseline_levels(14, "bands", 6)
    ['1-6', '7-12', '13-14']
    >>> baseline_levels(3)
    ['1', '2', '3']
    """
    if form not in BASELINE_FORMS:
        raise ValueError(f"baseline form must be one of {BASELINE_FORMS}, got {form!r}")
    if int(max_month) != max_month or max_month < 1:
        raise ValueError(f"max_month must be a positive integer, got {max_month!r}")
    if form == "dummies":
        return [str(month) for month in range(1, max_month + 1)]
    if int(band_months) != band_months or band_months < 1:
        raise ValueError(f"band_months must be a positive integer, got {band_months!r}")
    starts = range(1, max_month + 1, band_months)
    return [f"{start}-{min(start + band_months - 1, max_month)}" for start in starts]


def _baseline_factor(column: str, max_month: int, form: str, band_months: int):
    """The formula function that maps months on book to categorical baseline levels.

    A function rather than a precomputed column keeps the design stateless, so every partition
    gets the same columns and a parquet source only needs its month column read.
    """
    levels = baseline_levels(max_month, form, band_months)
    width = 1 if form == "dummies" else band_months

    def baseline(months):
        values = np.asarray(months)
        if values.dtype.kind not in "iuf" or np.any(values != np.floor(values)):
            raise ValueError(f"column {column!r} must hold whole months on book")
        if values.size and (values.min() < 1 or values.max() > max_month):
            raise ValueError(
                f"column {column!r} holds months outside 1..{max_month} "
                f"(min {values.min()}, max {values.max()}); pass max_month"
            )
        codes = ((values.astype(np.int64) - 1) // width).astype(np.int64)
        return pd.Categorical.from_codes(codes, categories=levels)

    return baseline


def _check_panel(panel: pd.DataFrame, event: str, time: str, cluster: str | None) -> None:
    """The checks an in-memory panel allows: columns, 0/1 events, one row per loan-month."""
    require_columns(panel, [event, time], "panel")
    check_cluster(panel, cluster)
    values = panel[event]
    binary_column(panel, event, "event")
    if cluster is None:
        return
    if panel.duplicated([cluster, time]).any():
        raise ValueError(
            f"columns ({cluster!r}, {time!r}) must identify rows: the panel has "
            "duplicate loan-months"
        )
    events_per_loan = values.groupby(panel[cluster], sort=False).sum()
    if (events_per_loan > 1).any():
        raise ValueError(
            f"column {event!r} is 1 in more than one month of some loans "
            f"(e.g. {events_per_loan.index[events_per_loan > 1][0]!r}); a loan "
            "leaves the panel at its event"
        )
    last_month = panel[time].groupby(panel[cluster], sort=False).transform("max")
    if (values.astype(bool) & (panel[time] != last_month)).any():
        raise ValueError(
            f"column {event!r} is 1 before a loan's last month in {time!r}; "
            "rows after the event belong out of the panel"
        )


def fit_discrete_hazard(
    panel,
    rhs: str,
    *,
    event: str = "event_default",
    cluster: str | None = "id",
    link: str = "cloglog",
    baseline: str = "month_on_book",
    baseline_form: str = "dummies",
    band_months: int = 6,
    max_month: int | None = None,
    categories: Mapping[str, Sequence] | None = None,
    start_params: Sequence[float] | None = None,
    alpha: float = 0.05,
    max_iter: int = 25,
    tol: float = 1e-10,
    batch_rows: int = 1_000_000,
    eval_env=0,
) -> FitResult:
    """Fit the discrete-time hazard of default on a loan-month panel.

    Parameters
    ----------
    panel : DataFrame, parquet path, pyarrow Dataset, dask DataFrame, list of DataFrame, callable
        The loan-month panel (DESIGN.md). A DataFrame is checked for duplicate loan-months and
        for events before a loan's last month; partitioned input is streamed, never loaded
        whole (see :func:`overdue.data.partitions.as_partitions`), and only its 0/1 response and
        months are checked.
    rhs : str
        Covariates, patsy syntax, e.g. ``"fico_z + state_unemp_tv + C(grade)"``. Use ``"1"``
        for the baseline alone.
    event : str
        The 0/1 column that is 1 in the month of default.
    cluster : str or None
        Loan identifier for loan-clustered standard errors (``None``: model-based).
    link : {"cloglog", "logit"}
        ``cloglog``: grouped-time proportional hazards, ``exp(estimate)`` are hazard ratios.
        ``logit``: ``exp(estimate)`` are odds ratios of the monthly default probability.
    baseline : str
        Column of whole months on book (1, 2, ...).
    baseline_form : {"dummies", "bands"}
        The baseline ``alpha(m)``: one level per month on book, or one per band of
        ``band_months`` months (few columns for big panels; months with no defaults then do not
        produce separation). Month 1 (band 1) is the reference, so ``Intercept`` is its level.
    band_months : int
        Width of the bands.
    max_month : int, optional
        Last month on book the baseline covers. Default: the largest in the data (a scan of
        the month column when the panel is partitioned).
    categories : mapping, optional
        Declared levels of categorical covariates (first level the reference), so a partitioned
        design is fixed up front; see :mod:`overdue.models.irls`.
    start_params, alpha, max_iter, tol, batch_rows, eval_env
        As for :func:`overdue.models.irls.fit_glm_irls`.

    Returns
    -------
    FitResult
        ``model`` ``"hazard_cloglog"`` or ``"hazard_logit"``, ``n`` loan-months, ``events``
        defaults, ``n_clusters`` loans (when clustered by loan); baseline terms are named
        ``baseline[<months>]``. ``extra`` adds ``baseline_terms`` and ``baseline_hazard``: the
        monthly hazard by month on book at covariates 0 (centre covariates to make it a typical
        loan), besides ``deviance``, ``passes`` and ``seconds`` of the streamed fit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for loan in range(600):
    ...     x = rng.normal()
    ...     for month in range(1, 13):
    ...         default = rng.random() < 1 - np.exp(-np.exp(-4 + 0.7 * x))
    ...         rows.append((f"L{loan}", month, x, int(default)))
    ...         if default:
    ...             break
    >>> panel = pd.DataFrame(rows, columns=["id", "month_on_book", "x", "event_default"])
    >>> fit = fit_discrete_hazard(panel, "x", baseline_form="bands", band_months=6)
    >>> fit.model, fit.summary.index.tolist()
    ('hazard_cloglog', ['Intercept', 'baseline[7-12]', 'x'])
    """
    if link not in LINKS:
        raise ValueError(f"link must be one of {LINKS}, got {link!r}")
    if baseline_form not in BASELINE_FORMS:
        raise ValueError(f"baseline_form must be one of {BASELINE_FORMS}, got {baseline_form!r}")
    check_alpha(alpha)
    rhs = check_rhs(rhs, "fit_discrete_hazard")
    if isinstance(panel, pd.DataFrame):
        _check_panel(panel, event, baseline, cluster)
    if max_month is None:
        max_month = _max_month(panel, baseline, batch_rows)

    factor = _baseline_factor(baseline, max_month, baseline_form, band_months)
    env = patsy.EvalEnvironment.capture(eval_env, reference=1).with_outer_namespace(
        {"_baseline": factor}
    )
    fit = stream_fit(
        panel,
        f"{event} ~ _baseline({baseline}) + {rhs}",
        link=link,
        cluster=cluster,
        categories=categories,
        start_params=start_params,
        max_iter=max_iter,
        tol=tol,
        batch_rows=batch_rows,
        eval_env=env,
    )
    prefix = f"_baseline({baseline})[T."
    names = {
        term: f"baseline[{term[len(prefix) : -1]}]"
        for term in fit.terms
        if term.startswith(prefix)
    }
    params = pd.Series(fit.beta, index=[names.get(term, term) for term in fit.terms])
    return fit.result(
        f"hazard_{link}",
        f"baseline({baseline}, {baseline_form}) + {rhs}",
        event,
        alpha,
        names,
        extra={
            "baseline_terms": list(names.values()),
            "baseline_hazard": _baseline_hazard(
                params, max_month, baseline_form, band_months, link
            ),
        },
    )


def _max_month(panel, column: str, batch_rows: int) -> int:
    """Largest month on book, reading only that column of a partitioned panel."""
    if isinstance(panel, pd.DataFrame):
        if column not in panel.columns:
            raise ValueError(f"panel has no column {column!r}")
        largest = panel[column].max()
    else:
        largest = -np.inf
        for part in as_partitions(panel, batch_rows).iter([column]):
            if column not in part.columns:
                raise ValueError(f"panel has no column {column!r}")
            if len(part):
                largest = max(largest, part[column].max())
    if not np.isfinite(largest) or largest < 1:
        raise ValueError(f"column {column!r} holds no months on book >= 1")
    return int(largest)


def _baseline_hazard(
    params: pd.Series, max_month: int, form: str, band_months: int, link: str
) -> pd.Series:
    levels = baseline_levels(max_month, form, band_months)
    width = 1 if form == "dummies" else band_months
    intercept = params.get("Intercept", 0.0)
    months = np.arange(1, max_month + 1)
    eta = np.array(
        [intercept + params.get(f"baseline[{levels[(m - 1) // width]}]", 0.0) for m in months]
    )
    hazard = special.expit(eta) if link == "logit" else -np.expm1(-np.exp(eta))
    return pd.Series(hazard, index=pd.Index(months, name="month_on_book"), name="hazard")
