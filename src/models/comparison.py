"""Several models' scores of the same loans, judged side by side (DESIGN.md, "Model
assessment"): AUC with DeLong intervals and paired DeLong tests against a reference model, KS,
Brier score, and calibration by deciles of predicted risk before and after a logistic
recalibration.

Every function takes outcomes and predicted probabilities, never a model, so the logit, the
scorecard and the boosted model are judged by exactly the same code
(:mod:`overdue.models.assessment`).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=4000)
>>> y = (rng.random(4000) < 1 / (1 + np.exp(2 - x))).astype(int)
>>> good, weak = 1 / (1 + np.exp(2 - x)), 1 / (1 + np.exp(2 - 0.3 * x - rng.normal(size=4000)))
>>> table = compare_scores(y, {"good": good, "weak": weak}, reference="good")
>>> bool(table.loc["weak", "delong_p"] < 0.001), bool(table.loc["good", "ks"] > table.loc["weak", "ks"])
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from overdue.models.assessment import (
    auc_delong,
    brier_score,
    calibration_table,
    compare_auc_delong,
    ks_statistic,
    recalibrate,
)
from overdue.models.boosting import BOOSTING_GRID, BoostingResult, fit_boosting
from overdue.models.scorecard import Scorecard, bin_features, fit_scorecard
from overdue.models.specs import OUTCOME
from overdue.models.validation import (
    OutOfTimeResult,
    out_of_time_auc,
    seeded_mask,
    time_ordered_split,
)

__all__ = [
    "OutOfTimeModels",
    "calibration_by_decile",
    "calibration_by_period",
    "compare_scores",
    "fit_out_of_time_models",
    "fit_split_models",
    "intercept_gap",
]


def compare_scores(
    y, probabilities: Mapping[str, np.ndarray], *, reference: str, alpha: float = 0.05
) -> pd.DataFrame:
    """AUC (DeLong interval), KS, Brier score and a paired DeLong test against ``reference``, for
    several models' predicted probabilities of the same loans.

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes.
    probabilities : mapping of str to array-like
        Model name -> predicted probability of default of each loan.
    reference : str
        The model the others are tested against (its own test row is empty).
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by model: ``loans, defaults, auc, auc_se, auc_ci_lower, auc_ci_upper, ks, brier,
        mean_predicted, observed_rate``, and against the reference ``delta_auc,
        delta_ci_lower, delta_ci_upper, delong_z, delong_p``.
    """
    if reference not in probabilities:
        raise ValueError(f"reference model {reference!r} is not among {list(probabilities)}")
    y = np.asarray(y).astype(int)
    rows = {}
    for name, p in probabilities.items():
        p = np.asarray(p, dtype=float)
        auc = auc_delong(y, p, alpha)
        row = {
            "loans": len(y),
            "defaults": int(y.sum()),
            "auc": auc.auc,
            "auc_se": auc.se,
            "auc_ci_lower": auc.ci_lower,
            "auc_ci_upper": auc.ci_upper,
            "ks": ks_statistic(y, p),
            "brier": brier_score(y, p),
            "mean_predicted": float(p.mean()),
            "observed_rate": float(y.mean()),
        }
        if name == reference:
            row.update(dict.fromkeys(["delta_auc", "delta_ci_lower", "delta_ci_upper"], 0.0))
            row.update(delong_z=np.nan, delong_p=np.nan)
        else:
            test = compare_auc_delong(y, p, probabilities[reference], alpha)
            row.update(
                delta_auc=test.estimate,
                delta_ci_lower=test.ci_lower,
                delta_ci_upper=test.ci_upper,
                delong_z=test.statistic,
                delong_p=test.p,
            )
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def calibration_by_decile(
    y,
    probabilities: Mapping[str, np.ndarray],
    recalibrated: Mapping[str, np.ndarray] | None = None,
    bins: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Calibration of each model's out-of-time probabilities by deciles of predicted risk, as
    fitted and after recalibration, with the Hosmer–Lemeshow test of each (out of sample: as many
    degrees of freedom as groups, :func:`~overdue.models.assessment.calibration_table`).

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes of the later loans.
    probabilities : mapping of str to array-like
        Model name -> predicted probabilities as fitted.
    recalibrated : mapping of str to array-like, optional
        Model name -> the same after recalibration (e.g. by
        :func:`~overdue.models.assessment.recalibrate` on the development window).
    bins : int
        Number of risk groups.

    Returns
    -------
    groups : pandas.DataFrame
        One row per model, stage (``"as fitted"``, ``"recalibrated"``) and risk group:
        ``model, stage, group, n, observed_rate, mean_predicted``.
    tests : pandas.DataFrame
        Indexed by model and stage: ``mean_predicted, observed_rate, brier, hl_statistic,
        hl_df, hl_p``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = rng.uniform(0.05, 0.4, 3000); y = (rng.random(3000) < p).astype(int)
    >>> groups, tests = calibration_by_decile(y, {"m": p}, {"m": np.clip(p * 1.5, 0, 0.99)})
    >>> bool(tests.loc[("m", "as fitted"), "hl_p"] > tests.loc[("m", "recalibrated"), "hl_p"])
    True
    """
    y = np.asarray(y).astype(int)
    stages = {"as fitted": probabilities, "recalibrated": recalibrated or {}}
    groups, tests = [], []
    for stage, scores in stages.items():
        for name, p in scores.items():
            p = np.asarray(p, dtype=float)
            result = calibration_table(y, p, bins=bins, in_sample=False)
            table = result.table.reset_index(drop=True)
            groups.append(
                pd.DataFrame(
                    {
                        "model": name,
                        "stage": stage,
                        "group": np.arange(1, len(table) + 1),
                        "n": table["n"].to_numpy(),
                        "observed_rate": table["observed_rate"].to_numpy(),
                        "mean_predicted": table["mean_predicted"].to_numpy(),
                    }
                )
            )
            tests.append(
                {
                    "model": name,
                    "stage": stage,
                    "mean_predicted": float(p.mean()),
                    "observed_rate": float(y.mean()),
                    "brier": brier_score(y, p),
                    "hl_statistic": result.statistic,
                    "hl_df": result.df,
                    "hl_p": result.p,
                }
            )
    return (
        pd.concat(groups, ignore_index=True),
        pd.DataFrame(tests).set_index(["model", "stage"]),
    )


def calibration_by_period(y, probabilities: Mapping[str, np.ndarray], period) -> pd.DataFrame:
    """Calibration in the large of each model, period by period (a quarter, say): observed
    default rate, mean predicted, and the log-odds shift the period needed
    (:func:`intercept_gap`).

    Examples
    --------
    >>> y = np.array([0, 1, 0, 0, 1, 1]); p = np.full(6, 0.3)
    >>> table = calibration_by_period(y, {"m": p}, ["Q1"] * 3 + ["Q2"] * 3)
    >>> table[["observed_rate", "mean_predicted"]].round(3).values.tolist()
    [[0.333, 0.3], [0.667, 0.3]]
    """
    y = np.asarray(y).astype(int)
    period = np.asarray(period)
    rows = []
    for name, p in probabilities.items():
        p = np.asarray(p, dtype=float)
        for value in sorted(pd.unique(period)):
            chosen = period == value
            rows.append(
                {
                    "model": name,
                    "period": value,
                    "loans": int(chosen.sum()),
                    "observed_rate": float(y[chosen].mean()),
                    "mean_predicted": float(p[chosen].mean()),
                    "needed_shift": intercept_gap(y[chosen], p[chosen]),
                }
            )
    return pd.DataFrame(rows).set_index(["model", "period"])


def intercept_gap(y, p, tol: float = 1e-12, max_iter: int = 100) -> float:
    """Calibration-in-the-large on the log-odds scale: the shift ``d`` of every loan's log-odds
    that makes the predicted defaults add up to the observed ones,
    ``sum_i expit(logit p_i + d) = sum_i y_i`` (Newton's method; positive when the loans
    defaulted more than predicted).

    Examples
    --------
    >>> p = np.full(1000, 0.1); y = np.r_[np.ones(200), np.zeros(800)]
    >>> round(intercept_gap(y, p), 6) == round(float(np.log(0.2 / 0.8) - np.log(0.1 / 0.9)), 6)
    True
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if not ((p > 0) & (p < 1)).all():
        raise ValueError("p must be probabilities strictly between 0 and 1")
    if not 0 < y.sum() < len(y):
        raise ValueError("y must hold both outcomes")
    log_odds = np.log(p / (1 - p))
    shift = 0.0
    for _ in range(max_iter):
        fitted = 1 / (1 + np.exp(-(log_odds + shift)))
        step = (y.sum() - fitted.sum()) / (fitted * (1 - fitted)).sum()
        shift += step
        if abs(step) < tol:
            break
    return float(shift)


# --------------------------------------------------------------------------------------------
# the three models, fitted before the cut-off and scored after it


@dataclass
class OutOfTimeModels:
    """The four-family logit, the scorecard and the boosted model, fitted on the loans issued up
    to a cut-off and scored on the later ones.

    Attributes
    ----------
    logit : OutOfTimeResult
        The logit (:func:`~overdue.models.validation.out_of_time_auc`).
    scorecard : Scorecard
    boosting : BoostingResult
    development, later : pandas.DataFrame
        The loans issued up to the cut-off and after it.
    y : numpy.ndarray
        Outcomes of the later loans.
    probabilities : dict of str to numpy.ndarray
        Each model's predicted default probability of the later loans.
    development_probabilities : dict of str to numpy.ndarray
        The same of the development loans (in sample).
    holdout_months : tuple of str or None
        First and last of the latest development months held out for the recalibration (None
        for a seeded split, :func:`fit_split_models`).
    holdout_y : numpy.ndarray
        Their outcomes.
    holdout_probabilities : dict of str to numpy.ndarray
        Each model, fitted on the development months before them, scoring them.
    recalibrated : dict of str to numpy.ndarray
        The later loans' probabilities after a logistic recalibration fitted on the held-out
        months (:func:`~overdue.models.assessment.recalibrate`).
    cutoff : pandas.Period or None
        Last issue month of the development window (None for a seeded split).
    """

    logit: OutOfTimeResult
    scorecard: Scorecard
    boosting: BoostingResult
    development: pd.DataFrame = field(repr=False)
    later: pd.DataFrame = field(repr=False)
    y: np.ndarray = field(repr=False)
    probabilities: dict = field(repr=False)
    development_probabilities: dict = field(repr=False)
    holdout_months: tuple[str, str] | None
    holdout_y: np.ndarray = field(repr=False)
    holdout_probabilities: dict = field(repr=False)
    recalibrated: dict = field(repr=False)
    cutoff: pd.Period = None

    @property
    def names(self) -> list[str]:
        """The models' names: ``logit``, ``scorecard``, ``boosting``."""
        return list(self.probabilities)


def fit_out_of_time_models(
    df: pd.DataFrame,
    rhs: str,
    features: Sequence[str],
    *,
    cutoff="2010-12",
    outcome: str = OUTCOME,
    date_col: str = "issue_d",
    cluster: str | None = None,
    validation_share: float = 0.2,
    pdo: float = 20.0,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    grid=BOOSTING_GRID,
    seed: int = 2024,
    alpha: float = 0.05,
) -> OutOfTimeModels:
    """Fit the logit, the scorecard and the boosted model on the loans issued up to ``cutoff``,
    score the later ones, and recalibrate each on the development window.

    The recalibration is fitted where the development window can judge a model out of time:
    its latest months (the fewest whole months holding ``validation_share`` of its loans, as
    the boosting's tuning split), scored by each model fitted on the months before them
    (the boosted model's tuning fit is that model; the scorecard keeps the whole window's bins
    and features, its WoE and logit re-estimated on the earlier months); the recalibration ``logit p' = a + b logit
    p`` learnt there is applied to the later loans' probabilities from the models fitted on the
    whole window. (Recalibrating a maximum-likelihood logit on its own fitting sample changes
    nothing: ``a = 0, b = 1`` solve its score equations.)

    Parameters
    ----------
    df : pandas.DataFrame
        Loans complete for ``rhs`` and ``features``.
    rhs : str
        The logit's right-hand side (the four families: :func:`~overdue.models.specs.rhs`).
    features : sequence of str
        The scorecard's and the boosted model's candidate columns
        (:func:`~overdue.models.scorecard.candidate_features`).
    cutoff : str or pandas.Period
        Last issue month of the development window.
    outcome, date_col : str
        0/1 outcome and issue date columns.
    cluster : str, optional
        Cluster column of the logits' covariances.
    validation_share : float
        Share of the development loans in the held-out latest months.
    pdo, base_score, base_odds : float
        The scorecard's scaling (:func:`~overdue.models.scorecard.fit_scorecard`).
    grid : sequence of dict
        The boosted model's settings (:func:`~overdue.models.boosting.fit_boosting`).
    seed : int
        The boosted model's seed.
    alpha : float
        1 - confidence level of the logit's AUC interval.

    Returns
    -------
    OutOfTimeModels
    """
    logit = out_of_time_auc(df, rhs, outcome=outcome, cutoff=cutoff, date_col=date_col,
                            cluster=cluster, alpha=alpha)  # fmt: skip
    months = df[date_col].dt.to_period("M")
    development, later = df.loc[months <= logit.cutoff], df.loc[months > logit.cutoff]
    in_holdout, last_early = time_ordered_split(development[date_col], validation_share)
    early_logit = out_of_time_auc(development, rhs, outcome=outcome, cutoff=last_early,
                                  date_col=date_col, cluster=cluster, alpha=alpha)  # fmt: skip
    held = development.loc[in_holdout, date_col].dt.to_period("M")
    return _fit_beside_logit(
        logit, early_logit.p, development, later, in_holdout, features,
        outcome=outcome, pdo=pdo, base_score=base_score, base_odds=base_odds, cluster=cluster,
        grid=grid, seed=seed, boosting_split={"date_col": date_col,
                                              "validation_share": validation_share},
        holdout_months=(str(held.min()), str(held.max())),
    )  # fmt: skip


def fit_split_models(
    df: pd.DataFrame,
    rhs: str,
    features: Sequence[str],
    *,
    outcome: str = OUTCOME,
    test_share: float = 0.3,
    validation_share: float = 0.2,
    cluster: str | None = None,
    pdo: float = 20.0,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    grid=BOOSTING_GRID,
    seed: int = 2024,
    alpha: float = 0.05,
) -> OutOfTimeModels:
    """The same three models for loans or accounts without issue dates: a seeded random
    ``test_share`` of them is held out and scored, and a seeded ``validation_share`` of the rest
    tunes the boosted model and fits the recalibration (as :func:`fit_out_of_time_models` does
    with the latest months).

    A random split judges a model on loans of the same time as those it learnt from: it measures
    how well the model ranks, not how it ages (which only an out-of-time test can).

    Returns
    -------
    OutOfTimeModels
        With ``cutoff`` and ``holdout_months`` None, and ``logit.cutoff`` None.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> accounts = pd.DataFrame({"utilisation": rng.uniform(0, 1, 3000), "age": rng.uniform(20, 70, 3000)})
    >>> accounts["default_next_month"] = (rng.random(3000) < 0.1 + 0.3 * accounts.utilisation).astype(int)
    >>> models = fit_split_models(accounts, "utilisation + age", ["utilisation", "age"],
    ...                           outcome="default_next_month", grid=[{"num_leaves": 4}])
    >>> len(models.y), len(models.development), models.cutoff
    (900, 2100, None)
    """
    from overdue.models.logit import fit_logit

    if not (0 < test_share < 1 and 0 < validation_share < 1):
        raise ValueError("test_share and validation_share must be in (0, 1)")
    rng = np.random.default_rng(seed)
    in_test = seeded_mask(len(df), test_share, rng)
    development, later = df.loc[~in_test], df.loc[in_test]
    in_holdout = seeded_mask(len(development), validation_share, rng)
    fit = fit_logit(development, rhs, outcome=outcome, cluster=cluster, alpha=alpha)
    y = later[outcome].to_numpy().astype(int)
    p = fit.predict(later)
    logit = OutOfTimeResult(
        auc=auc_delong(y, p, alpha), fit=fit, cutoff=None, n_train=len(development),
        n_test=len(later), events_train=int(development[outcome].sum()),
        events_test=int(y.sum()), y=y, p=p,
    )  # fmt: skip
    early = fit_logit(development.loc[~in_holdout], rhs, outcome=outcome, alpha=alpha)
    return _fit_beside_logit(
        logit, early.predict(development.loc[in_holdout]), development, later, in_holdout,
        features, outcome=outcome, pdo=pdo, base_score=base_score, base_odds=base_odds,
        cluster=cluster, grid=grid, seed=seed, boosting_split={"validation": in_holdout},
        holdout_months=None,
    )  # fmt: skip


def _fit_beside_logit(
    logit: OutOfTimeResult,
    early_logit_p: np.ndarray,
    development: pd.DataFrame,
    later: pd.DataFrame,
    in_holdout: np.ndarray,
    features: Sequence[str],
    *,
    outcome: str,
    pdo: float,
    base_score: float,
    base_odds: float,
    cluster: str | None,
    grid,
    seed: int,
    boosting_split: dict,
    holdout_months,
) -> OutOfTimeModels:
    """The scorecard and the boosted model beside a fitted logit, and the recalibration of all
    three on the held-out development loans."""
    card = fit_scorecard(development, features, outcome=outcome, pdo=pdo,
                         base_score=base_score, base_odds=base_odds, cluster=cluster)  # fmt: skip
    boosted = fit_boosting(development, features, outcome=outcome, grid=grid, seed=seed,
                           **boosting_split)  # fmt: skip
    early, holdout = development.loc[~in_holdout], development.loc[in_holdout]
    # The held-out scorecard keeps the whole window's bins (choosing them is the slow part) and
    # re-estimates their WoE and its logit on the earlier loans: only the bin edges saw the
    # held-out loans.
    early_binning = bin_features(early, features, outcome=outcome, splits_from=card.binning)
    early_card = fit_scorecard(early, card.features, outcome=outcome, binning=early_binning,
                               min_iv=0.0)  # fmt: skip
    holdout_probabilities = {
        "logit": np.asarray(early_logit_p, dtype=float),
        "scorecard": early_card.predict(holdout),
        "boosting": boosted.validation_p,
    }
    holdout_y = holdout[outcome].to_numpy().astype(int)
    probabilities = {
        "logit": logit.p,
        "scorecard": card.predict(later),
        "boosting": boosted.predict(later),
    }
    development_probabilities = {
        "logit": logit.fit.predict(),
        "scorecard": card.predict(development),
        "boosting": boosted.predict(development),
    }
    recalibrated = {
        name: recalibrate(holdout_y, holdout_probabilities[name], p)
        for name, p in probabilities.items()
    }
    return OutOfTimeModels(
        logit=logit,
        scorecard=card,
        boosting=boosted,
        development=development,
        later=later,
        y=later[outcome].to_numpy().astype(int),
        probabilities=probabilities,
        development_probabilities=development_probabilities,
        holdout_months=holdout_months,
        holdout_y=holdout_y,
        holdout_probabilities=holdout_probabilities,
        recalibrated=recalibrated,
        cutoff=logit.cutoff,
    )
