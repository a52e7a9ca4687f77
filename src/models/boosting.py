"""Gradient boosting of default (LightGBM), tuned out of time inside the development window, and
explained with SHAP.

:func:`fit_boosting` holds out the latest months of the development loans
(:func:`~overdue.models.validation.time_ordered_split`), trains each candidate setting on the
months before them with early stopping on the held-out months' log loss, keeps the best, and
refits it on the whole development window with the number of rounds early stopping chose. The
loans after the cut-off are never seen. Runs are deterministic: LightGBM's seeds are fixed, it
builds histograms column-wise in one thread (``deterministic=True`` with ``force_col_wise=True``,
as its documentation asks for stable results), so two runs give the same trees, byte for byte.

:func:`shap_importance` explains the model with SHAP values (Lundberg et al. 2020, *Nature
Machine Intelligence* 2:56; shap's ``TreeExplainer``, exact for trees): each loan's log-odds of
default, less the average, shared among the features; the mean absolute share is a feature's
importance, and a family's is the mean absolute sum of its features' shares (SHAP values add, so
a family's is exactly what its features together moved the loan's log-odds).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> loans = pd.DataFrame({"fico": rng.normal(700, 30, 3000), "dti": rng.uniform(0, 30, 3000),
...                       "issue_d": pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 365, 3000), "D")})
>>> loans["defaulted"] = (rng.random(3000) < 1 / (1 + np.exp((loans.fico - 640) / 20))).astype(int)
>>> model = fit_boosting(loans, ["fico", "dti"], grid=[{"num_leaves": 4}])
>>> model.validation_months, bool(0 < model.rounds < 1000)
(('2010-10', '2010-12'), True)
>>> importance = shap_importance(model, loans)
>>> importance.by_feature.index[0]
'fico'
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from overdue.features.registry import FAMILY_LABELS
from overdue.models.assessment import auc_delong
from overdue.models.checks import binary_column, check_frame, require_columns
from overdue.models.scorecard import feature_family, feature_label
from overdue.models.specs import OUTCOME
from overdue.models.validation import time_ordered_split

__all__ = [
    "BOOSTING_GRID",
    "BoostingResult",
    "ShapImportance",
    "fit_boosting",
    "importance_agreement",
    "shap_importance",
]

#: What every fit shares: a binary log-loss objective, a small learning rate (early stopping
#: picks the rounds), row and column subsampling with L2 shrinkage against over-fitting, and what
#: makes runs reproducible (fixed seeds, one thread, deterministic column-wise histograms).
BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "binary_logloss",
    "learning_rate": 0.1,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "deterministic": True,
    "force_col_wise": True,
    "num_threads": 1,
    "verbose": -1,
}

#: The settings tried: tree size, from stumps of a few splits (close to an additive model, as a
#: scorecard is) to trees deep enough for three- and four-way interactions.
BOOSTING_GRID: tuple[dict[str, Any], ...] = (
    {"num_leaves": 4},
    {"num_leaves": 15},
    {"num_leaves": 31, "min_data_in_leaf": 200},
)


@dataclass(frozen=True)
class BoostingResult:
    """A LightGBM model of default fitted on the development window.

    Attributes
    ----------
    booster : lightgbm.Booster
        The model refitted on the whole development window.
    features : list of str
        Its features, in order.
    categories : dict of str to list
        Levels of each categorical feature, from the development loans (a later level unseen
        there is read as missing).
    params : dict
        LightGBM's parameters of the chosen setting.
    rounds : int
        Boosting rounds (the best iteration of early stopping on the validation months).
    tuning : pandas.DataFrame
        One row per setting tried: its parameters, ``rounds``, validation ``logloss`` and
        ``auc``; ``chosen`` marks the best.
    validation_months : tuple of str or None
        First and last issue month held out for tuning (None when the held-out loans were
        given as a mask, a seeded split of loans without issue dates).
    validation_y, validation_p : numpy.ndarray
        Outcomes and predictions of the held-out months by the chosen setting trained on the
        months before them (the scores a recalibration on the development window can use).
    n_train, n_validation : int
        Loans in the earlier and the held-out months.
    outcome : str
    """

    booster: Any
    features: list[str]
    categories: dict[str, list]
    params: dict
    rounds: int
    tuning: pd.DataFrame
    validation_months: tuple[str, str] | None
    validation_y: np.ndarray = field(repr=False)
    validation_p: np.ndarray = field(repr=False)
    n_train: int = 0
    n_validation: int = 0
    outcome: str = OUTCOME

    def design(self, df: pd.DataFrame) -> pd.DataFrame:
        """The features of ``df`` as the model reads them (categories fixed to the development
        loans' levels)."""
        return _design(df, self.features, self.categories)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Probability of default of each loan."""
        return self.booster.predict(self.design(df), num_iteration=self.rounds)


def _categories(df: pd.DataFrame, features: Sequence[str]) -> dict[str, list]:
    categorical = {}
    for name in features:
        values = df[name]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            categorical[name] = sorted(values.dropna().astype(str).unique())
    return categorical


def _design(df: pd.DataFrame, features: Sequence[str], categories: Mapping[str, list]):
    require_columns(df, list(features), "feature")
    columns = {}
    for name in features:
        if name in categories:
            values = df[name].astype(object).where(df[name].notna(), None)
            columns[name] = pd.Categorical(
                [None if v is None else str(v) for v in values], categories=categories[name]
            )
        else:
            columns[name] = df[name].to_numpy(dtype=float, na_value=np.nan)
    return pd.DataFrame(columns, index=df.index)


def _train(params, x, y, rounds, valid=None, early_stopping: int | None = None):
    import lightgbm as lgb

    train = lgb.Dataset(x, y, free_raw_data=False)
    callbacks, valid_sets = [], []
    if valid is not None:
        valid_sets = [lgb.Dataset(valid[0], valid[1], reference=train)]
        callbacks = [lgb.early_stopping(early_stopping, first_metric_only=True, verbose=False)]
    return lgb.train(params, train, rounds, valid_sets=valid_sets, callbacks=callbacks)


def _logloss(y, p) -> float:
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_boosting(
    df: pd.DataFrame,
    features: Sequence[str],
    *,
    outcome: str = OUTCOME,
    date_col: str = "issue_d",
    validation_share: float = 0.2,
    grid: Sequence[Mapping[str, Any]] = BOOSTING_GRID,
    max_rounds: int = 1000,
    early_stopping: int = 30,
    seed: int = 2024,
    validation: np.ndarray | None = None,
) -> BoostingResult:
    """Fit LightGBM to the development loans, tuned on their latest months.

    Parameters
    ----------
    df : pandas.DataFrame
        Development loans (issued up to the out-of-time cut-off).
    features : sequence of str
        Feature columns; text columns become categorical, missing values stay missing (LightGBM
        learns which side of each split they go).
    outcome : str
        0/1 outcome column.
    date_col : str
        Issue date column, for the time-ordered split.
    validation_share : float
        Least share of the loans held out, as the latest whole issue months.
    grid : sequence of dict
        Settings to try, each updating :data:`BASE_PARAMS`.
    max_rounds, early_stopping : int
        Most boosting rounds, and rounds without improvement of the validation log loss before
        stopping.
    seed : int
        LightGBM's seed (it derives its bagging, feature-sampling and data seeds from it).
    validation : numpy.ndarray of bool, optional
        The loans to hold out, instead of the latest months (for loans without issue dates:
        a seeded random split); ``date_col`` and ``validation_share`` are then not used.

    Returns
    -------
    BoostingResult
    """
    check_frame(df)
    require_columns(df, list(features), "feature")
    if not grid:
        raise ValueError("grid must hold at least one setting")
    y = binary_column(df, outcome, "outcome").astype(int)
    if validation is None:
        require_columns(df, [date_col], "date")
        in_validation, _ = time_ordered_split(df[date_col], validation_share)
    else:
        in_validation = np.asarray(validation, dtype=bool)
        if in_validation.shape != (len(df),):
            raise ValueError(f"validation must be a mask of the {len(df)} loans")
    if len(np.unique(y[in_validation])) < 2 or len(np.unique(y[~in_validation])) < 2:
        raise ValueError("the training or the validation months hold one outcome value only")
    categories = _categories(df, features)
    x = _design(df, features, categories)
    x_train, y_train = x.loc[~in_validation], y[~in_validation]
    x_valid, y_valid = x.loc[in_validation], y[in_validation]

    rows, best = [], None
    for setting in grid:
        params = {**BASE_PARAMS, **setting, "seed": int(seed)}
        booster = _train(params, x_train, y_train, max_rounds, (x_valid, y_valid), early_stopping)
        rounds = int(booster.best_iteration) or max_rounds
        p_valid = booster.predict(x_valid, num_iteration=rounds)
        row = {
            # The tuned parameters as fitted (the grid's keys and what they default to).
            **{key: params[key] for key in ("num_leaves", "min_data_in_leaf", *setting)},
            "rounds": rounds,
            "logloss": _logloss(y_valid, p_valid),
            "auc": auc_delong(y_valid, p_valid).auc,
        }
        rows.append(row)
        if best is None or row["logloss"] < best[0]["logloss"]:
            best = (row, params, p_valid)
    row, params, p_valid = best
    tuning = pd.DataFrame(rows)
    tuning["chosen"] = [r is row for r in rows]
    booster = _train(params, x, y, row["rounds"])
    months = df[date_col].dt.to_period("M")[in_validation] if validation is None else None
    return BoostingResult(
        booster=booster,
        features=list(features),
        categories=categories,
        params=params,
        rounds=row["rounds"],
        tuning=tuning,
        validation_months=None if months is None else (str(months.min()), str(months.max())),
        validation_y=y_valid,
        validation_p=p_valid,
        n_train=int((~in_validation).sum()),
        n_validation=int(in_validation.sum()),
        outcome=outcome,
    )


# --------------------------------------------------------------------------------------------
# explanation


@dataclass(frozen=True)
class ShapImportance:
    """Mean absolute SHAP values of a boosted model, by feature and by cause family.

    Attributes
    ----------
    values : pandas.DataFrame
        Each explained loan's SHAP value per feature (log-odds of default).
    expected_value : float
        The model's average log-odds over its training loans' tree paths (a loan's SHAP values
        add up to its log-odds less this).
    by_feature : pandas.DataFrame
        Indexed by feature, largest first: ``label, family, mean_abs_shap, share``.
    by_family : pandas.DataFrame
        Indexed by family, largest first: ``family_label, mean_abs_shap, share``.
    """

    values: pd.DataFrame
    expected_value: float
    by_feature: pd.DataFrame
    by_family: pd.DataFrame


def shap_importance(
    model: BoostingResult,
    df: pd.DataFrame,
    *,
    sample: int | None = None,
    seed: int = 2024,
    engine: str = "lightgbm",
) -> ShapImportance:
    """SHAP values of a boosted model on some loans (TreeSHAP, exact for trees), summarised.

    Parameters
    ----------
    model : BoostingResult
    df : pandas.DataFrame
        Loans to explain (the out-of-time loans, say).
    sample : int, optional
        Explain a random sample of this many loans (drawn with ``seed``) instead of all: the
        means settle long before tens of thousands of loans, and the explainer's time grows
        with them.
    seed : int
        Seed of the sample.
    engine : str
        ``"shap"``: shap's ``TreeExplainer``; ``"lightgbm"``: LightGBM's own TreeSHAP
        (``predict(pred_contrib=True)``), which is what ``TreeExplainer`` itself calls for a
        LightGBM model (shap's ``explainers/_tree.py``), without the seconds importing shap
        takes; the tests check the two agree.

    Returns
    -------
    ShapImportance
    """
    check_frame(df)
    if engine not in ("lightgbm", "shap"):
        raise ValueError(f"engine must be 'lightgbm' or 'shap', got {engine!r}")
    if sample is not None and sample < len(df):
        df = df.sample(n=sample, random_state=np.random.RandomState(seed)).sort_index()
    x = model.design(df)
    if engine == "shap":
        import shap

        explainer = shap.TreeExplainer(model.booster)
        with warnings.catch_warnings():
            # shap announces a change in the output shape of LightGBM binary models; the shape
            # used here (one column per feature, log-odds) is checked below.
            warnings.simplefilter("ignore")
            values = np.asarray(explainer.shap_values(x, tree_limit=model.rounds))
        expected = float(np.ravel(explainer.expected_value)[-1])
    else:
        contributions = model.booster.predict(x, num_iteration=model.rounds, pred_contrib=True)
        values, expected = contributions[:, :-1], float(contributions[0, -1])
    if values.shape != x.shape:
        raise ValueError(f"SHAP values of shape {values.shape} for {x.shape} loans")
    frame = pd.DataFrame(values, index=df.index, columns=model.features)
    families = [feature_family(name) for name in model.features]
    mean_abs = frame.abs().mean()
    by_feature = pd.DataFrame(
        {
            "label": [feature_label(name) for name in model.features],
            "family": families,
            "mean_abs_shap": mean_abs.to_numpy(),
            "share": (mean_abs / mean_abs.sum()).to_numpy(),
        },
        index=pd.Index(model.features, name="feature"),
    ).sort_values("mean_abs_shap", ascending=False, kind="stable")
    summed = frame.T.groupby(families, sort=False).sum().T
    family_abs = summed.abs().mean()
    by_family = pd.DataFrame(
        {
            "family_label": [FAMILY_LABELS.get(f, f) for f in family_abs.index],
            "mean_abs_shap": family_abs.to_numpy(),
            "share": (family_abs / family_abs.sum()).to_numpy(),
        },
        index=pd.Index(family_abs.index, name="family"),
    ).sort_values("mean_abs_shap", ascending=False, kind="stable")
    return ShapImportance(frame, expected, by_feature, by_family)


def importance_agreement(by_family: pd.DataFrame, shares: Mapping[str, float]) -> pd.DataFrame:
    """The boosted model's SHAP shares by family beside another attribution's shares (the
    Shapley shares of the logit's pseudo-R² on the causes page), with each one's ranks.

    Examples
    --------
    >>> shap = pd.DataFrame({"family_label": ["Credit risk", "Loan purpose"], "share": [0.6, 0.4]},
    ...                     index=pd.Index(["credit", "purpose"], name="family"))
    >>> table = importance_agreement(shap, {"credit": 0.3, "purpose": 0.7})
    >>> table[["shap_rank", "other_rank"]].values.tolist()
    [[1, 2], [2, 1]]
    """
    table = by_family[["family_label", "share"]].rename(columns={"share": "shap_share"})
    table["other_share"] = [shares.get(family, np.nan) for family in table.index]
    table["shap_rank"] = table["shap_share"].rank(ascending=False, method="min").astype(int)
    table["other_rank"] = table["other_share"].rank(ascending=False, method="min").astype("Int64")
    return table
