"""Scorecard: optimal binning, weight of evidence, information value and a points table.

The credit-scoring practice (Siddiqi, *Credit Risk Scorecards*, 2006; Anderson, *The Credit
Scoring Toolkit*, 2007): each candidate feature is cut into a few bins, optimally, with
optbinning's mathematical-programming binning (Navas-Palencia 2020, arXiv:2001.08025), monotonic
in the default rate where the relation is; each bin's *weight of evidence* replaces the feature's
value, a logistic regression on the WoE columns gives the scorecard, and its log-odds are scaled
into points (``pdo`` points double the odds, ``base_score`` points stand for odds of
``base_odds`` to one).

Conventions, as optbinning's:

- ``WoE_i = ln(share of repaid loans in bin i / share of defaulted loans in bin i)``: positive
  is safer than average;
- ``IV = sum_i (repaid share_i - defaulted share_i) * WoE_i`` (Kullback's divergence, the
  "information value" of DESIGN.md's "Model assessment"); a bin with no defaults or no repaid
  loans carries WoE 0 and no IV;
- the IV of a cause family is the sum of its features' IV (features of a family share
  information, so the sum over-states what the family adds jointly; the logit's drop-one tests
  and Shapley shares measure that).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> loans = pd.DataFrame({"fico": rng.normal(700, 30, 4000)})
>>> loans["defaulted"] = (rng.random(4000) < 1 / (1 + np.exp((loans.fico - 640) / 20))).astype(int)
>>> binning = bin_features(loans, ["fico"])
>>> binning.summary.loc["fico", "trend"], bool(binning.summary.loc["fico", "iv"] > 0.3)
('descending', True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from overdue.features.registry import FAMILY_LABELS, describe
from overdue.models.checks import binary_column, check_frame, require_columns
from overdue.models.design import formula_variables
from overdue.models.logit import fit_logit
from overdue.models.result import FitResult
from overdue.models.specs import FAMILIES, OUTCOME, VINTAGE_COLUMNS

__all__ = [
    "IV_STRENGTH",
    "Binning",
    "Scorecard",
    "bin_features",
    "candidate_features",
    "feature_family",
    "feature_label",
    "fit_scorecard",
    "iv_by_family",
    "iv_strength",
]

#: Siddiqi's reading of a feature's information value: below 0.02 not predictive, up to 0.1
#: weak, up to 0.3 medium, above it strong (upper bounds of each reading).
IV_STRENGTH = {"not predictive": 0.02, "weak": 0.1, "medium": 0.3}

#: Columns the families mention that are not scorecard candidates: the vintage (a vintage issued
#: after the cut-off has no bin to fall in) and ``emp_missing``, which once ``emp_years`` is
#: binned is its missing bin.
NOT_CANDIDATES: tuple[str, ...] = (*VINTAGE_COLUMNS, "emp_missing")


def iv_strength(iv: float) -> str:
    """Siddiqi's reading of an information value (:data:`IV_STRENGTH`).

    Examples
    --------
    >>> [iv_strength(v) for v in (0.01, 0.05, 0.2, 0.5)]
    ['not predictive', 'weak', 'medium', 'strong']
    """
    for reading, upper in IV_STRENGTH.items():
        if iv < upper:
            return reading
    return "strong"


def candidate_features(
    family_terms: Mapping[str, Sequence[str]] = FAMILIES, exclude: Iterable[str] = NOT_CANDIDATES
) -> list[str]:
    """The columns the families' terms mention, in family order, as scorecard and boosting
    candidates: the same information the four-family logit uses, as raw columns (a binning or a
    tree finds its own shape, so ``I(emp_years.fillna(0))`` is ``emp_years`` and ``C(term)`` is
    ``term``), less ``exclude``.

    Examples
    --------
    >>> candidate_features({"credit": ["fico", "I(emp_years.fillna(0))", "emp_missing"],
    ...                     "underwriting": ["C(issue_year)", "grade_gap"]})
    ['fico', 'emp_years', 'grade_gap']
    """
    excluded = set(exclude)
    chosen: list[str] = []
    for terms in family_terms.values():
        for term in terms:
            for column in sorted(formula_variables(term)):
                if column not in excluded and column not in chosen:
                    chosen.append(column)
    return chosen


def feature_family(name: str) -> str:
    """The cause family of a feature, from the registry (``"other"`` for a column it lacks).

    Examples
    --------
    >>> feature_family("fico"), feature_family("grade_gap"), feature_family("nowhere")
    ('credit', 'underwriting', 'other')
    """
    variable = describe(name)
    return variable.family if variable is not None else "other"


def feature_label(name: str) -> str:
    """A feature's readable label, from the registry (its name in words when it lacks one).

    Examples
    --------
    >>> feature_label("fico"), feature_label("some_column")
    ('FICO score', 'Some column')
    """
    variable = describe(name)
    return variable.label if variable is not None else name.replace("_", " ").capitalize()


def _is_categorical(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values))


def _as_input(values: pd.Series, categorical: bool) -> np.ndarray:
    if categorical:
        # optbinning reads categories as strings; a missing value stays missing (its own bin).
        return values.astype(object).where(values.notna(), np.nan).to_numpy()
    return values.to_numpy(dtype=float, na_value=np.nan)


def _trend(event_rates: np.ndarray) -> str:
    """Direction of the default rate over the ordered bins."""
    if len(event_rates) < 2:
        return "flat"
    steps = np.diff(event_rates)
    if (steps >= 0).all():
        return "ascending"
    if (steps <= 0).all():
        return "descending"
    turns = np.diff(np.sign(steps[steps != 0]))
    if len(turns[turns != 0]) == 1:
        return "peak" if steps[steps != 0][0] > 0 else "valley"
    return "non-monotone"


@dataclass(frozen=True)
class Binning:
    """Optimal binnings of several features, fitted on one sample.

    Attributes
    ----------
    binners : dict of str to optbinning.OptimalBinning
        The fitted binning of each feature.
    table : pandas.DataFrame
        One row per feature and bin (bins in order, then the missing bin, empty when the sample
        had no missing values): ``feature, bin, count, repaid, defaulted, default_rate, woe,
        iv``.
    summary : pandas.DataFrame
        Indexed by feature, largest IV first: ``label, family, kind`` (numerical or categorical),
        ``trend`` (of the default rate over the ordered bins: ascending, descending, peak,
        valley; "categories" for a categorical feature), ``monotonic`` (whether a numerical
        feature's binning is monotone), ``bins, iv, strength``.
    outcome : str
        The 0/1 outcome binned against.
    """

    binners: dict
    table: pd.DataFrame
    summary: pd.DataFrame
    outcome: str

    @property
    def features(self) -> list[str]:
        """The binned features, in the order they were given."""
        return list(self.binners)

    def woe(self, df: pd.DataFrame, features: Sequence[str] | None = None) -> pd.DataFrame:
        """Each loan's weight of evidence per feature, columns ``woe_<feature>``.

        A missing value takes the WoE of the missing bin when the binning sample had missing
        values (0, the average, when it had none); a category the binning never saw takes 0.
        """
        chosen = self.features if features is None else list(features)
        require_columns(df, chosen, "feature")
        columns = {}
        for name in chosen:
            binner = self.binners[name]
            values = _as_input(df[name], binner.dtype == "categorical")
            columns[f"woe_{name}"] = binner.transform(
                values, metric="woe", metric_missing="empirical", metric_special="empirical"
            )
        return pd.DataFrame(columns, index=df.index)

    def bins(self, df: pd.DataFrame, features: Sequence[str] | None = None) -> pd.DataFrame:
        """Each loan's bin per feature, as :attr:`table`'s ``bin`` column names it (``"unseen"``
        for a category the binning never saw)."""
        chosen = self.features if features is None else list(features)
        require_columns(df, chosen, "feature")
        columns = {}
        for name in chosen:
            binner = self.binners[name]
            values = _as_input(df[name], binner.dtype == "categorical")
            index = binner.transform(values, metric="indices", metric_missing="empirical")
            labels = self.table.loc[self.table["feature"] == name, "bin"].to_numpy()
            # optbinning numbers the bins 0 … k-1, then the special bin k and the missing bin
            # k + 1; the table leaves out the special bin, so the missing bin is its row k.
            k = len(labels) - 1
            position = np.where(index == k + 1, k, index)
            columns[name] = np.where(position >= 0, labels[np.clip(position, 0, k)], "unseen")
        return pd.DataFrame(columns, index=df.index)


def _bin_text(label) -> str:
    if isinstance(label, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in label)
    return str(label)


def _fit_one(x, y, name, categorical, trend, min_bin_size, max_n_bins, splits=None):
    from optbinning import OptimalBinning

    fixed = {}
    if splits is not None and len(splits) == 0:
        # The given binning is one bin (no cut point was worth it); optbinning cannot take an
        # empty list of fixed splits, but one bin at most is the same binning.
        splits, max_n_bins, min_bin_size = None, 1, None
    if splits is not None:
        # Keep the given bins: optbinning then only counts the loans in each.
        splits = [list(group) for group in splits] if categorical else list(splits)
        fixed = {"user_splits": splits, "user_splits_fixed": [True] * len(splits)}
    binner = OptimalBinning(
        name=name,
        dtype="categorical" if categorical else "numerical",
        monotonic_trend=trend,
        min_bin_size=min_bin_size if splits is None else None,
        max_n_bins=max_n_bins if splits is None else None,
        **fixed,
    )
    with warnings.catch_warnings():
        # optbinning warns about its own defaults for categorical inputs; the fit is checked below.
        warnings.simplefilter("ignore")
        try:
            binner.fit(x, y)
        except ValueError as err:
            if "pure prebins" not in str(err):
                raise
            # A kept bin with no defaults (or no repaid loans) in this sample: optbinning will
            # not fix it, so the given cut points become candidates it may merge.
            binner.set_params(user_splits_fixed=None)
            binner.fit(x, y)
    if binner.status not in ("OPTIMAL", "FEASIBLE"):
        raise ValueError(f"binning of {name!r} failed: solver status {binner.status}")
    return binner


def _bin_rows(binner) -> pd.DataFrame:
    built = binner.binning_table.build(add_totals=False)
    rows = built.rename(
        columns={
            "Bin": "bin",
            "Count": "count",
            "Non-event": "repaid",
            "Event": "defaulted",
            "Event rate": "default_rate",
            "WoE": "woe",
            "IV": "iv",
        }
    )[["bin", "count", "repaid", "defaulted", "default_rate", "woe", "iv"]]
    rows = rows.assign(bin=[_bin_text(b) for b in rows["bin"]])
    # The special-codes bin is never used here. The missing bin stays even when empty: a later
    # loan with a missing value falls in it (WoE 0, the average).
    rows = rows.loc[rows["bin"] != "Special"].reset_index(drop=True)
    return rows.astype({"count": int, "repaid": int, "defaulted": int, "woe": float, "iv": float})


def bin_features(
    df: pd.DataFrame,
    features: Sequence[str],
    *,
    outcome: str = OUTCOME,
    min_bin_size: float = 0.05,
    max_n_bins: int | None = 10,
    min_iv_gain: float = 0.2,
    min_iv_step: float = 0.01,
    splits_from: Binning | None = None,
) -> Binning:
    """Optimal binning of each feature against a 0/1 outcome (optbinning), with WoE and IV.

    A numerical feature is first binned free to rise and fall (optbinning's ``"auto"``: the
    trend, peaks and valleys allowed, chosen to carry the most information). When that binning
    is not monotone in the default rate, the best monotone one (``"auto_asc_desc"``: ascending
    or descending) replaces it unless the free one carries more information by both
    ``min_iv_gain`` (relative) and ``min_iv_step`` (absolute): the relation is treated as
    monotone unless the data say clearly that it is not (a free binning of pure noise gains IV
    of a few thousandths, hence the absolute step). Categories are ordered by their default rate and merged
    where too small or too alike.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans (the development sample).
    features : sequence of str
        Columns to bin; text or categorical columns are binned as categories, the rest as numbers
        (missing values form a bin of their own).
    outcome : str
        0/1 outcome column.
    min_bin_size : float
        Smallest bin, as a share of the loans (5 % is the field's usual floor).
    max_n_bins : int or None
        Most bins per feature.
    min_iv_gain, min_iv_step : float
        Relative and absolute gain in IV a non-monotone binning needs to be kept instead of the
        monotone one.
    splits_from : Binning, optional
        Keep this binning's bins (its cut points and groups of categories) and only re-estimate
        their counts, WoE and IV on ``df`` (a model refitted on part of its sample keeps its
        bins; ``monotonic`` is then the given binning's). A bin holding no defaults or no repaid
        loans of ``df`` is merged into a neighbour, as optbinning cannot keep it.

    Returns
    -------
    Binning

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> loans = pd.DataFrame({"dti": rng.uniform(0, 30, 3000), "term": rng.choice([36, 60], 3000)})
    >>> loans["defaulted"] = (rng.random(3000) < 0.05 + 0.005 * loans.dti + 0.1 * (loans.term == 60)).astype(int)
    >>> binning = bin_features(loans, ["dti", "term"])
    >>> binning.summary[["trend", "bins"]].to_dict(orient="index")
    {'term': {'trend': 'ascending', 'bins': 2}, 'dti': {'trend': 'ascending', 'bins': 8}}
    """
    check_frame(df)
    require_columns(df, list(features), "feature")
    if len(set(features)) != len(features):
        raise ValueError(f"features repeated in {list(features)}")
    y = binary_column(df, outcome, "outcome").astype(int)
    if y.min() == y.max():
        raise ValueError(f"outcome {outcome!r} has one value only: nothing to bin against")
    if not (min_iv_gain >= 0 and min_iv_step >= 0):
        raise ValueError("min_iv_gain and min_iv_step must be 0 or more")
    binners, tables, rows = {}, [], []
    for name in features:
        categorical = _is_categorical(df[name])
        x = _as_input(df[name], categorical)
        if splits_from is not None:
            if name not in splits_from.binners:
                raise ValueError(f"feature {name!r} is not in the binning given as splits_from")
            source = splits_from.binners[name]
            binner = _fit_one(x, y, name, categorical, None, None, None, source.splits)
            monotonic = bool(splits_from.summary.loc[name, "monotonic"])
        elif categorical:
            binner, monotonic = (
                _fit_one(x, y, name, True, None, min_bin_size, max_n_bins),
                False,
            )
        else:
            free = _fit_one(x, y, name, False, "auto", min_bin_size, max_n_bins)
            if _trend(_bin_rows(free).query("bin != 'Missing'")["default_rate"].to_numpy()) in (
                "ascending",
                "descending",
                "flat",
            ):
                # The best free binning is monotone already: it is the binning.
                binner, monotonic = free, True
            else:
                binner = _fit_one(x, y, name, False, "auto_asc_desc", min_bin_size, max_n_bins)
                iv_monotone = binner.binning_table.build().loc["Totals", "IV"]
                iv_free = free.binning_table.build().loc["Totals", "IV"]
                monotonic = not (
                    iv_free > (1 + min_iv_gain) * iv_monotone
                    and iv_free - iv_monotone > min_iv_step
                )
                binner = binner if monotonic else free
        binners[name] = binner
        table = _bin_rows(binner)
        ordered = table[~table["bin"].isin(["Missing"])]
        tables.append(table.assign(feature=name))
        iv = float(table["iv"].sum())
        rows.append(
            {
                "feature": name,
                "label": feature_label(name),
                "family": feature_family(name),
                "kind": "categorical" if categorical else "numerical",
                "trend": "categories"
                if categorical
                else _trend(ordered["default_rate"].to_numpy()),
                "monotonic": monotonic,
                "bins": len(ordered),
                "iv": iv,
                "strength": iv_strength(iv),
            }
        )
    table = pd.concat(tables, ignore_index=True)[
        ["feature", "bin", "count", "repaid", "defaulted", "default_rate", "woe", "iv"]
    ]
    summary = (
        pd.DataFrame(rows).set_index("feature").sort_values("iv", ascending=False, kind="stable")
    )
    return Binning(binners, table, summary, outcome)


def iv_by_family(summary: pd.DataFrame) -> pd.DataFrame:
    """Information value summed by cause family (see the module's note on what a sum means).

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`Binning.summary` (columns ``family, iv, label``).

    Returns
    -------
    pandas.DataFrame
        Indexed by family, largest first: ``family_label, features, iv, share`` (of the summed
        IV of all families), ``strongest`` (label of its feature with the largest IV).

    Examples
    --------
    >>> s = pd.DataFrame({"family": ["credit", "credit", "macro"], "iv": [0.2, 0.1, 0.1],
    ...                   "label": ["FICO", "DTI", "Unemployment"]})
    >>> iv_by_family(s)[["iv", "share", "strongest"]].round(2).to_dict(orient="index")
    {'credit': {'iv': 0.3, 'share': 0.75, 'strongest': 'FICO'}, 'macro': {'iv': 0.1, 'share': 0.25, 'strongest': 'Unemployment'}}
    """
    ordered = summary.sort_values("iv", ascending=False, kind="stable")
    grouped = ordered.groupby("family", sort=False)
    table = pd.DataFrame(
        {
            "family_label": [FAMILY_LABELS.get(f, f) for f in grouped.groups],
            "features": grouped.size(),
            "iv": grouped["iv"].sum(),
            "strongest": grouped["label"].first(),
        }
    )
    table["share"] = table["iv"] / table["iv"].sum()
    table.index.name = "family"
    return table.sort_values("iv", ascending=False, kind="stable")[
        ["family_label", "features", "iv", "share", "strongest"]
    ]


# --------------------------------------------------------------------------------------------
# the scorecard


@dataclass(frozen=True)
class Scorecard:
    """A logistic scorecard on WoE features, with its points.

    Attributes
    ----------
    binning : Binning
        The binning its WoE come from.
    fit : FitResult
        Logit of the outcome on the ``woe_<feature>`` columns (coefficients are negative when
        the WoE and the logit agree: WoE is positive for safer bins).
    features : list of str
        The features in the scorecard.
    points : pandas.DataFrame
        The points table: one row per feature and bin, ``feature, label, family, bin, count,
        default_rate, woe, coefficient, points``; a loan's score is the sum of its bins' points.
    pdo, base_score, base_odds : float
        Scaling: ``base_score`` points stand for repaid-to-defaulted odds of ``base_odds`` to
        one, and every ``pdo`` points more double those odds.
    """

    binning: Binning
    fit: FitResult
    features: list[str]
    points: pd.DataFrame
    pdo: float
    base_score: float
    base_odds: float

    @property
    def factor(self) -> float:
        """Points per unit of log-odds: ``pdo / ln 2``."""
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        """Score at even odds: ``base_score - factor * ln(base_odds)``."""
        return self.base_score - self.factor * math.log(self.base_odds)

    def log_odds(self, df: pd.DataFrame) -> np.ndarray:
        """Log-odds of default ``intercept + sum_j beta_j WoE_j`` of each loan."""
        woe = self.binning.woe(df, self.features)
        params = self.fit.params
        return params["Intercept"] + woe.to_numpy() @ params[woe.columns].to_numpy()

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Probability of default of each loan."""
        return 1 / (1 + np.exp(-self.log_odds(df)))

    def score(self, df: pd.DataFrame) -> np.ndarray:
        """Each loan's score in points (higher is safer): ``offset - factor * log-odds``, which
        is the sum of the loan's bins' points in :attr:`points`."""
        return self.offset - self.factor * self.log_odds(df)


def fit_scorecard(
    df: pd.DataFrame,
    features: Sequence[str],
    *,
    outcome: str = OUTCOME,
    binning: Binning | None = None,
    min_iv: float = IV_STRENGTH["not predictive"],
    pdo: float = 20.0,
    base_score: float = 600.0,
    base_odds: float = 50.0,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Scorecard:
    """Fit a logistic scorecard on the WoE of binned features and scale it into points.

    The features whose IV reaches ``min_iv`` enter a logit of the outcome on their WoE
    (:func:`~overdue.models.logit.fit_logit`). Its log-odds of default ``a + sum_j b_j WoE_j``
    become a score ``offset - factor * (a + sum_j b_j WoE_j)`` with ``factor = pdo / ln 2`` and
    ``offset = base_score - factor * ln(base_odds)``, shared among the features as the points
    of each bin ``-(b_j WoE_ij + a / k) * factor + offset / k`` (k features; optbinning's
    ``Scorecard`` scaling), so the score is the sum of a loan's points.

    Parameters
    ----------
    df : pandas.DataFrame
        Development loans.
    features : sequence of str
        Candidate features.
    outcome : str
        0/1 outcome column.
    binning : Binning, optional
        A binning of the features on ``df`` (default: :func:`bin_features` with its defaults).
    min_iv : float
        Least information value for a feature to enter (default: Siddiqi's "not predictive"
        bound, 0.02).
    pdo, base_score, base_odds : float
        Points to double the odds, and the score that stands for odds of ``base_odds`` to one.
    cluster : str, optional
        Cluster column of the logit's covariance.
    alpha : float
        1 - confidence level of the logit's intervals.

    Returns
    -------
    Scorecard
        Its fit's warnings name any feature whose coefficient has the wrong sign (positive: its
        WoE then works against its own bins, a sign of collinearity with other features).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"fico": rng.normal(700, 30, 3000), "dti": rng.uniform(0, 30, 3000)})
    >>> risk = -1.5 - (loans.fico - 700) / 25 + 0.03 * (loans.dti - 15)
    >>> loans["defaulted"] = (rng.random(3000) < 1 / (1 + np.exp(-risk))).astype(int)
    >>> card = fit_scorecard(loans, ["fico", "dti"])
    >>> card.features, bool(np.allclose(card.score(loans), card.offset - card.factor * card.log_odds(loans)))
    (['fico', 'dti'], True)
    """
    for name, value in (("pdo", pdo), ("base_score", base_score), ("base_odds", base_odds)):
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if pdo <= 0 or base_odds <= 0:
        raise ValueError("pdo and base_odds must be positive")
    if binning is None:
        binning = bin_features(df, features, outcome=outcome)
    missing = [name for name in features if name not in binning.binners]
    if missing:
        raise ValueError(f"features {missing} are not in the binning given")
    chosen = [name for name in features if binning.summary.loc[name, "iv"] >= min_iv]
    if not chosen:
        raise ValueError(f"no feature reaches an information value of {min_iv}")
    woe = binning.woe(df, chosen)
    # A feature binned into one bin has a constant WoE, which a logit with an intercept cannot
    # separate; its IV is 0, so min_iv > 0 has already left it out.
    design = pd.concat([woe, df[[outcome] + ([cluster] if cluster else [])]], axis=1)
    fit = fit_logit(design, " + ".join(woe.columns), outcome=outcome, cluster=cluster, alpha=alpha)
    wrong = [name for name in chosen if fit.params[f"woe_{name}"] > 0]
    if wrong:
        fit = replace(
            fit,
            warnings=(
                *fit.warnings,
                *(
                    f"{feature_label(name)}: positive WoE coefficient (its bins work against their "
                    "own default rates once the other features are in)"
                    for name in wrong
                ),
            ),
        )
    card = Scorecard(binning, fit, chosen, pd.DataFrame(), float(pdo), base_score, base_odds)
    intercept = float(fit.params["Intercept"])
    k = len(chosen)
    rows = []
    for name in chosen:
        coefficient = float(fit.params[f"woe_{name}"])
        bins = binning.table[binning.table["feature"] == name]
        rows.append(
            pd.DataFrame(
                {
                    "feature": name,
                    "label": feature_label(name),
                    "family": feature_family(name),
                    "bin": bins["bin"].to_numpy(),
                    "count": bins["count"].to_numpy(),
                    "default_rate": bins["default_rate"].to_numpy(),
                    "woe": bins["woe"].to_numpy(),
                    "coefficient": coefficient,
                    "points": -(coefficient * bins["woe"].to_numpy() + intercept / k) * card.factor
                    + card.offset / k,
                }
            )
        )
    return replace(card, points=pd.concat(rows, ignore_index=True))
