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

__all__ = [
    "AUC",
    "PSI_THRESHOLDS",
    "auc_delong",
    "brier_score",
    "calibration_table",
    "compare_auc_delong",
    "delong",
    "ks_statistic",
    "population_stability",
    "recalibrate",
    "stability_status",
]


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
    if len(edges) == 1:  # one score for every loan: one risk group (still a test out of sample)
        edges = np.array([edges[0] - 1e-12, edges[0]])
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


# --------------------------------------------------------------------------------------------
# separation, accuracy and stability of a score


def ks_statistic(y, score) -> float:
    """Kolmogorov–Smirnov statistic: the largest distance between the score distributions of
    defaulted (``y = 1``) and repaid (``y = 0``) loans, the credit-scoring KS.

    Equal to ``scipy.stats.ks_2samp(score[y == 1], score[y == 0]).statistic``; computed from
    one sort, with tied scores stepping both distributions together.

    Examples
    --------
    >>> round(ks_statistic([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1]), 6)
    0.666667
    """
    y, matrix = _check_scores(y, [score])
    values = matrix[0]
    order = np.argsort(values, kind="stable")
    values, events = values[order], y[order]
    last_of_tie = np.r_[values[1:] != values[:-1], True]
    cdf_events = np.cumsum(events)[last_of_tie] / events.sum()
    cdf_others = np.cumsum(~events)[last_of_tie] / (~events).sum()
    return float(np.max(np.abs(cdf_events - cdf_others)))


def brier_score(y, p) -> float:
    """Mean squared difference between predicted probabilities and outcomes (lower is better).

    Examples
    --------
    >>> round(brier_score([1, 0, 0, 1], [0.8, 0.1, 0.3, 0.6]), 6)
    0.075
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1 or not np.isin(y, (0, 1)).all():
        raise ValueError("y must be 0/1 and p of the same one-dimensional shape")
    if not ((p >= 0) & (p <= 1)).all():
        raise ValueError("p must be probabilities in [0, 1]")
    return float(np.mean((p - y) ** 2))


#: DESIGN.md's reading of a population stability index: below 0.1 stable, 0.1 to 0.25
#: drifting, above 0.25 shifted.
PSI_THRESHOLDS = {"stable": 0.1, "drifting": 0.25}


def stability_status(psi: float) -> str:
    """``"stable"``, ``"drifting"`` or ``"shifted"``, by :data:`PSI_THRESHOLDS`.

    Examples
    --------
    >>> [stability_status(v) for v in (0.05, 0.1, 0.3)]
    ['stable', 'drifting', 'shifted']
    """
    if psi < PSI_THRESHOLDS["stable"]:
        return "stable"
    return "drifting" if psi <= PSI_THRESHOLDS["drifting"] else "shifted"


def population_stability(
    expected, actual, bins: int = 10, floor: float = 1e-4
) -> tuple[float, pd.DataFrame]:
    """Population stability index of a score or feature between a development sample
    (``expected``) and a later one (``actual``).

    ``PSI = sum_i (a_i - e_i) ln(a_i / e_i)`` over bins, with ``e_i`` and ``a_i`` the shares of
    each sample in bin ``i``. Numeric values are cut at the development sample's quantiles
    (``bins`` groups, duplicate edges merged, open-ended at both ends); anything else is binned
    by its categories (missing values form a bin of their own). A share of 0 is raised to
    ``floor`` so that a bin empty in one sample counts as a large shift instead of an infinite
    one.

    Returns
    -------
    psi : float
    table : pandas.DataFrame
        Per bin: ``expected_share, actual_share, contribution``.

    Examples
    --------
    >>> value, table = population_stability(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> round(value, 4), table["contribution"].round(4).tolist()  # (0.25-0.5) ln(0.5), 0.25 ln(1.5)
    (0.2747, [0.1733, 0.1014])
    """
    expected, actual = pd.Series(expected), pd.Series(actual)
    if len(expected) == 0 or len(actual) == 0:
        raise ValueError("both samples need values to compare their distributions")
    numeric = pd.api.types.is_numeric_dtype(expected) and pd.api.types.is_numeric_dtype(actual)
    numeric = numeric and not pd.api.types.is_bool_dtype(expected)
    if numeric and expected.nunique() > bins:
        inner = np.unique(np.quantile(expected.dropna(), np.linspace(0, 1, bins + 1)[1:-1]))
        edges = np.r_[-np.inf, inner, np.inf]
        expected_bin = pd.cut(expected, edges, right=True).astype(str)
        actual_bin = pd.cut(actual, edges, right=True).astype(str)
    else:
        expected_bin = expected.astype(object).where(expected.notna(), "missing").astype(str)
        actual_bin = actual.astype(object).where(actual.notna(), "missing").astype(str)
    shares = pd.DataFrame(
        {
            "expected_share": expected_bin.value_counts(normalize=True, sort=False),
            "actual_share": actual_bin.value_counts(normalize=True, sort=False),
        }
    ).fillna(0.0)
    e = shares["expected_share"].clip(lower=floor)
    a = shares["actual_share"].clip(lower=floor)
    shares["contribution"] = (a - e) * np.log(a / e)
    shares.index.name = "bin"
    return float(shares["contribution"].sum()), shares


def recalibrate(y_development, p_development, p_new) -> np.ndarray:
    """Logistic recalibration: ``logit p' = a + b logit p``, with ``a, b`` fitted by maximum
    likelihood on the development sample, applied to new scores.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.5, 2000); y = (rng.random(2000) < np.minimum(2 * p, 0.99)).astype(int)
    >>> bool(abs(recalibrate(y, p, p).mean() - y.mean()) < 0.005)
    True
    >>> recalibrate([0, 1, 0, 0], [0.3] * 4, [0.1, 0.9]).tolist()  # a score that ranks nothing
    [0.25, 0.25]
    """
    import statsmodels.api as sm

    p_development = np.asarray(p_development, dtype=float)
    y_development = np.asarray(y_development, dtype=float)
    for name, values in (("p_development", p_development), ("p_new", np.asarray(p_new))):
        if not ((values > 0) & (values < 1)).all():
            raise ValueError(f"{name} must be probabilities strictly between 0 and 1")
    p_new = np.asarray(p_new, dtype=float)
    if np.ptp(p_development) == 0:
        # A model that scores every development loan alike (a boosted model with one leaf on a
        # small file) ranks nothing there: a and b are not identified apart, and the best
        # recalibrated probability is the development default rate.
        return np.full(p_new.shape, y_development.mean())
    design = sm.add_constant(np.log(p_development / (1 - p_development)))
    fit = sm.Logit(y_development, design).fit(disp=0)
    logit_new = np.log(p_new / (1 - p_new))
    return 1 / (1 + np.exp(-(fit.params[0] + fit.params[1] * logit_new)))
