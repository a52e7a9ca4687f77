"""Model assessment: how well risk scores rank and fit, whatever model made them.

Functions here take outcomes and scores, never a model, so every model of the project (logit,
hazard, scorecard, boosting) is judged the same way: the AUC with DeLong's variance
(:func:`auc_delong`, and the paired comparison :func:`compare_auc_delong`, by the fast midrank
algorithm of Sun & Xu, 2014), and calibration by groups of predicted risk with the
Hosmer–Lemeshow test (:func:`calibration_table`). Out-of-time validation, which fits a model
before a cut-off and scores it after, is in :mod:`overdue.models.validation`.

Examples
--------
>>> round(auc_delong([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1]).auc, 4)
0.8333
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from overdue.models.checks import check_alpha
from overdue.models.result import TestResult, chi2_test

__all__ = ["AUC", "auc_delong", "calibration_table", "compare_auc_delong", "delong"]


class AUC(NamedTuple):
    """Area under the ROC curve with its DeLong standard error and normal interval."""

    auc: float
    se: float
    ci_lower: float
    ci_upper: float


def _check_scores(y, scores: Sequence) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    if y.ndim != 1 or not np.isin(y, (0, 1)).all():
        raise ValueError("y must be a one-dimensional 0/1 array")
    matrix = np.atleast_2d(np.asarray(scores, dtype=float))
    if matrix.shape[1] != len(y):
        raise ValueError(f"scores have {matrix.shape[1]} values but y has {len(y)}")
    if not np.isfinite(matrix).all():
        raise ValueError("scores contain missing or infinite values")
    if min((y == 1).sum(), (y == 0).sum()) < 2:
        raise ValueError("DeLong's variance needs at least two events and two non-events in y")
    return y.astype(bool), matrix


def delong(y, *scores) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of several scores on the same loans and their DeLong covariance matrix.

    Fast midrank algorithm (Sun & Xu, 2014, IEEE Signal Processing Letters 21:1389): the
    placement values of DeLong, DeLong & Clarke-Pearson (1988) are differences of midranks, so the
    whole computation is a few sorts, O(n log n) per score.

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes (1 = event).
    *scores : array-like
        One or more score vectors, larger meaning more likely an event.

    Returns
    -------
    aucs : numpy.ndarray, shape (k,)
    covariance : numpy.ndarray, shape (k, k)

    Examples
    --------
    >>> aucs, cov = delong([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1])
    >>> float(aucs[0])
    0.8333333333333334
    """
    y, matrix = _check_scores(y, scores)
    events, non_events = matrix[:, y], matrix[:, ~y]
    m, n = events.shape[1], non_events.shape[1]
    rank_events = stats.rankdata(events, axis=1)
    rank_non_events = stats.rankdata(non_events, axis=1)
    rank_all = stats.rankdata(np.hstack([events, non_events]), axis=1)
    aucs = (rank_all[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    # Share of non-events each event out-scores (ties count half), and of events each
    # non-event is out-scored by.
    event_placements = (rank_all[:, :m] - rank_events) / n
    non_event_placements = 1.0 - (rank_all[:, m:] - rank_non_events) / m
    covariance = (
        np.atleast_2d(np.cov(event_placements)) / m
        + np.atleast_2d(np.cov(non_event_placements)) / n
    )
    return aucs, covariance


def auc_delong(y, score, alpha: float = 0.05) -> AUC:
    """AUC with DeLong's standard error and a normal interval clipped to [0, 1] (as pROC).

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes.
    score : array-like
        Risk score (predicted probability).
    alpha : float
        1 - confidence level.

    Returns
    -------
    AUC

    Examples
    --------
    >>> round(auc_delong([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1]).se, 4)
    0.2357
    """
    aucs, covariance = delong(y, score)
    se = float(np.sqrt(covariance[0, 0]))
    q = stats.norm.ppf(1 - check_alpha(alpha) / 2)
    auc = float(aucs[0])
    return AUC(auc, se, max(auc - q * se, 0.0), min(auc + q * se, 1.0))


def compare_auc_delong(y, score_a, score_b, alpha: float = 0.05) -> TestResult:
    """DeLong test of two correlated AUCs measured on the same loans.

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes.
    score_a, score_b : array-like
        The two scores; the difference is ``AUC(a) - AUC(b)``.
    alpha : float
        1 - confidence level.

    Returns
    -------
    TestResult
        ``test="DeLong"``: ``statistic`` is the z of the difference, ``estimate`` the difference
        ``AUC(a) - AUC(b)`` with its ``se`` and interval.

    Examples
    --------
    >>> compare_auc_delong([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1], [0.9, 0.6, 0.5, 0.2, 0.1]).estimate
    -0.16666666666666663
    """
    check_alpha(alpha)
    aucs, covariance = delong(y, score_a, score_b)
    difference = float(aucs[0] - aucs[1])
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    se = float(np.sqrt(max(variance, 0.0)))
    q = stats.norm.ppf(1 - alpha / 2)
    z = (
        difference / se
        if se > 0
        else (0.0 if difference == 0 else np.copysign(np.inf, difference))
    )
    return TestResult(
        "DeLong",
        float(z),
        None,
        float(2 * stats.norm.sf(abs(z))),
        estimate=difference,
        se=se,
        ci_lower=difference - q * se,
        ci_upper=difference + q * se,
    )


def calibration_table(y, p, bins: int = 10, in_sample: bool = True) -> TestResult:
    """Group loans by quantiles of predicted risk and compare observed with expected defaults.

    Groups are cut at the quantiles of ``p`` (duplicate cut points merged), as in R's
    ``ResourceSelection::hoslem.test``. The statistic is
    ``sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g))``; its degrees of freedom are the number of
    groups minus 2 when the model was fitted on these loans, and the number of groups when it was
    not (a validation sample; Hosmer, Lemeshow & Sturdivant 2013, sec. 5.2.2).

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes.
    p : array-like
        Predicted probabilities in (0, 1).
    bins : int
        Number of quantile groups (deciles by default).
    in_sample : bool
        Whether ``p`` comes from a model fitted on these loans.

    Returns
    -------
    TestResult
        ``test="Hosmer–Lemeshow"`` with ``table`` one row per risk group: ``p_min, p_max, n,
        observed, expected, observed_rate, mean_predicted``.

    Examples
    --------
    >>> cal = calibration_table([0, 1, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8], bins=3)
    >>> cal.df, round(cal.statistic, 4)
    (1, 4.2246)
    """
    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("y and p must be one-dimensional and of equal length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be 0/1")
    if not ((p > 0) & (p < 1)).all():
        raise ValueError("p must be probabilities strictly between 0 and 1")
    if not isinstance(bins, (int, np.integer)) or bins < 3:
        raise ValueError(f"bins must be an integer of at least 3, got {bins!r}")
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    group = pd.cut(p, edges, include_lowest=True)
    frame = pd.DataFrame({"y": y, "p": p, "group": group})
    table = frame.groupby("group", observed=True).agg(
        p_min=("p", "min"),
        p_max=("p", "max"),
        n=("y", "size"),
        observed=("y", "sum"),
        expected=("p", "sum"),
    )
    table["observed_rate"] = table["observed"] / table["n"]
    table["mean_predicted"] = table["expected"] / table["n"]
    statistic = float(
        (
            (table["observed"] - table["expected"]) ** 2
            / (table["expected"] * (1 - table["mean_predicted"]))
        ).sum()
    )
    df = len(table) - 2 if in_sample else len(table)
    if df < 1:
        raise ValueError(f"only {len(table)} distinct risk groups: too few for Hosmer–Lemeshow")
    return chi2_test("Hosmer–Lemeshow", statistic, df, table=table)
