"""Out-of-time validation: fit on the loans issued up to a cut-off month, score the later ones.

The test the field holds a default model to (DESIGN.md, "Model assessment"): a model that only
describes its own sample is not a risk assessment. The scores of the later loans are then judged
by :mod:`overdue.models.assessment`.

Examples
--------
>>> rng = np.random.default_rng(6)
>>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 1200),
...                       "issue_d": pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 700, 1200), "D")})
>>> loans["issue_d"] = loans.issue_d.dt.to_period("M").dt.to_timestamp()
>>> loans["defaulted"] = (rng.random(1200) < 1 / (1 + np.exp(1.5 + loans.fico))).astype(int)
>>> result = out_of_time_auc(loans, "fico", cutoff="2010-12")
>>> bool(result.auc.ci_lower < 0.76 < result.auc.ci_upper), result.n_train + result.n_test
(True, 1200)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy

from overdue.models.assessment import AUC, auc_delong
from overdue.models.design import formula_variables
from overdue.models.logit import check_logit_input, fit_logit
from overdue.models.result import FitResult
from overdue.models.specs import OUTCOME, VINTAGE_COLUMNS

__all__ = [
    "OutOfTimeResult",
    "held_out_words",
    "out_of_time_auc",
    "random_split",
    "seeded_mask",
    "time_ordered_split",
]


@dataclass
class OutOfTimeResult:
    """Out-of-time validation of a logit: fitted before a cutoff month, scored after it.

    Attributes
    ----------
    auc : AUC
        Test-period AUC with DeLong interval.
    fit : FitResult
        The model fitted on the training period.
    cutoff : pandas.Period or None
        Last issue month of the training period (None: a seeded random split).
    n_train, n_test, events_train, events_test : int
    y, p : numpy.ndarray
        Test outcomes and predicted probabilities (for calibration and paired AUC tests).
    carried_forward : dict
        Vintage columns whose test values were replaced by the latest training value.
    """

    auc: AUC
    fit: FitResult
    cutoff: pd.Period
    n_train: int
    n_test: int
    events_train: int
    events_test: int
    y: np.ndarray = field(repr=False)
    p: np.ndarray = field(repr=False)
    carried_forward: dict = field(default_factory=dict)


def _split_by_cutoff(df: pd.DataFrame, cutoff, date_col: str) -> tuple[pd.Series, pd.Period]:
    if date_col not in df.columns:
        raise ValueError(f"date column '{date_col}' is not in the data frame")
    if not pd.api.types.is_datetime64_any_dtype(df[date_col]):
        raise ValueError(f"date column '{date_col}' must be datetime64, got {df[date_col].dtype}")
    if df[date_col].isna().any():
        raise ValueError(f"date column '{date_col}' has missing values")
    if isinstance(cutoff, str) and not re.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?", cutoff.strip()):
        raise ValueError(f"cutoff {cutoff!r} is not a month like '2010-12'")
    try:
        cutoff_month = pd.Period(cutoff, freq="M")
    except (ValueError, TypeError) as err:
        raise ValueError(f"cutoff {cutoff!r} is not a month like '2010-12'") from err
    in_training = df[date_col].dt.to_period("M") <= cutoff_month
    return in_training, cutoff_month


def seeded_mask(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``round(share * n)`` of ``n`` rows marked, drawn without replacement from ``rng``.

    Examples
    --------
    >>> int(seeded_mask(10, 0.3, np.random.default_rng(1)).sum())
    3
    """
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[: int(round(share * n))]] = True
    return mask


def random_split(n: int, test_share: float = 0.3, seed: int = 2024) -> np.ndarray:
    """Training mask of a seeded random split: exactly ``round(test_share * n)`` rows held out.

    The split of loans without issue dates: it judges how well a model ranks loans of the same
    time as those it learnt from, not how it ages (which only an out-of-time test can).

    Examples
    --------
    >>> in_training = random_split(10, 0.3, seed=1)
    >>> int((~in_training).sum()), bool((random_split(10, 0.3, seed=1) == in_training).all())
    (3, True)
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be in (0, 1), got {test_share!r}")
    return ~seeded_mask(n, test_share, np.random.default_rng(seed))


def held_out_words(cutoff, test_share: float = 0.3) -> str:
    """Which loans a validation scores, in words, for titles and narratives.

    Examples
    --------
    >>> held_out_words("2010-12"), held_out_words(None)
    ('the loans issued after 2010-12', 'a seeded random 30% of the loans (no issue months, so not out of time)')
    """
    if cutoff is None:
        return (
            f"a seeded random {test_share:.0%} of the loans (no issue months, so not out of time)"
        )
    return f"the loans issued after {cutoff}"


def out_of_time_auc(
    df: pd.DataFrame,
    rhs: str,
    *,
    outcome: str = OUTCOME,
    cutoff="2010-12",
    date_col: str = "issue_d",
    cluster: str | None = None,
    alpha: float = 0.05,
    carry_forward: Sequence[str] = VINTAGE_COLUMNS,
    test_share: float = 0.3,
    seed: int = 2024,
) -> OutOfTimeResult:
    """Fit a logit on loans issued up to and including the cutoff month, score the later ones.

    With ``cutoff=None`` (loans without issue dates) a seeded random ``test_share`` of the loans
    is scored instead (:func:`random_split`) and the result's ``cutoff`` is None.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans, complete for the model's columns.
    rhs : str
        Right-hand side of the logit to validate (as :func:`~overdue.models.logit.fit_logit`).
    outcome : str
        0/1 outcome column.
    cutoff : str or pandas.Period
        Last issue month of the training period, e.g. ``"2010-12"``.
    date_col : str
        Issue date column (datetime64).
    cluster : str, optional
        Cluster column for the training fit's covariance.
    alpha : float
        1 - confidence level of the AUC interval.
    carry_forward : sequence of str
        Vintage columns (e.g. ``issue_year``): a vintage issued after the cutoff has no estimated
        effect, so test loans get the latest training vintage's effect. Any other category unseen
        in training raises.
    test_share, seed : float, int
        The random split's held-out share and seed (used only with ``cutoff=None``).

    Returns
    -------
    OutOfTimeResult

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"fico": rng.normal(size=1000)})
    >>> loans["defaulted"] = (rng.random(1000) < 1 / (1 + np.exp(1.5 + loans.fico))).astype(int)
    >>> result = out_of_time_auc(loans, "fico", cutoff=None, seed=3)
    >>> result.n_test, result.cutoff
    (300, None)
    """
    check_logit_input(df, rhs, outcome, cluster)
    if cutoff is None:
        in_training, cutoff_month = random_split(len(df), test_share, seed), None
        split = f"random split (seed {seed})"
    else:
        in_training, cutoff_month = _split_by_cutoff(df, cutoff, date_col)
        split = f"period (cutoff {cutoff_month})"
    train, test = df.loc[in_training], df.loc[~in_training].copy()
    for name, part in (("training", train), ("test", test)):
        if part[outcome].nunique() < 2:
            raise ValueError(
                f"the {name} {split} has {len(part)} loans and not both values of '{outcome}'"
            )
    fit = fit_logit(train, rhs, outcome=outcome, cluster=cluster, alpha=alpha)

    used = formula_variables(rhs)
    carried = {}
    for column in carry_forward:
        if column in used and column in test.columns:
            latest = train[column].max()
            unseen = ~test[column].isin(pd.unique(train[column]))
            if unseen.any():
                test.loc[unseen, column] = latest
                carried[column] = latest
    try:
        p = fit.predict(test)
    except (patsy.PatsyError, ValueError) as err:
        raise ValueError(
            f"cannot score the test period with {rhs!r} (a category unseen "
            f"before {cutoff_month}, or missing values?): {err}"
        ) from err
    if len(p) != len(test) or not np.isfinite(p).all():
        raise ValueError("test period has missing values in the model's columns")
    y = test[outcome].to_numpy().astype(int)
    return OutOfTimeResult(
        auc=auc_delong(y, p, alpha),
        fit=fit,
        cutoff=cutoff_month,
        n_train=len(train),
        n_test=len(test),
        events_train=int(train[outcome].sum()),
        events_test=int(y.sum()),
        y=y,
        p=p,
        carried_forward=carried,
    )


def time_ordered_split(dates, validation_share: float = 0.2) -> tuple[np.ndarray, pd.Period]:
    """Split loans by issue month into an earlier part and the latest months, for tuning a model
    inside its development window without looking past it.

    The validation part is the fewest latest whole months that hold at least
    ``validation_share`` of the loans (a month is never split, so the two parts never share a
    vintage).

    Parameters
    ----------
    dates : array-like of datetime64
        Issue dates.
    validation_share : float
        Least share of the loans in the validation months, in (0, 1).

    Returns
    -------
    in_validation : numpy.ndarray of bool
    last_training_month : pandas.Period
        The last month of the earlier part (a cut-off for :func:`out_of_time_auc`).

    Examples
    --------
    >>> dates = pd.to_datetime(["2010-01-01"] * 5 + ["2010-02-01"] * 3 + ["2010-03-01"] * 2)
    >>> in_validation, last = time_ordered_split(dates, 0.25)
    >>> int(in_validation.sum()), str(last)
    (5, '2010-01')
    """
    if not 0 < validation_share < 1:
        raise ValueError(f"validation_share must be in (0, 1), got {validation_share!r}")
    months = pd.Series(pd.to_datetime(np.asarray(dates))).dt.to_period("M")
    if months.isna().any():
        raise ValueError("issue dates have missing values")
    counts = months.value_counts().sort_index(ascending=False)
    latest_share = counts.cumsum() / counts.sum()
    n_months = int((latest_share < validation_share).sum()) + 1
    if n_months >= len(counts):
        raise ValueError(
            f"the loans span {len(counts)} issue months: too few to hold out "
            f"{validation_share:.0%} of them in whole later months"
        )
    first_validation = counts.index[n_months - 1]
    return (months >= first_validation).to_numpy(), first_validation - 1
