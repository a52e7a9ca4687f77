"""Synthetic LendingClub-like loans with a known causal structure, at any size.

Each loan gets borrower, purpose and underwriting attributes drawn to look like the LendingClub
2007–2011 book (shares of states, purposes, grades, terms; FICO, DTI, income and inquiry
distributions), then lives month by month on a **discrete-time competing-risks model** whose
coefficients are known:

- **Default.** In month on book ``m`` a loan still open goes overdue with probability
  ``h_d = 1 - exp(-exp(eta_d))`` (complementary log-log link) where
  ``eta_d = alpha_d(band of m) + beta_d' x + gamma_d * state_unemp_tv``. ``x`` holds the features
  ``fico, dti, log_income, inq_last_6mths, purpose_group, meets_policy, income_verified`` exactly
  as :mod:`overdue.features` computes them from the stored columns, and ``state_unemp_tv`` is the
  real FRED unemployment rate of the loan's state in calendar month ``issue + m - macro_lag`` —
  the convention of :func:`overdue.features.outcomes.build_panel`. The baseline ``alpha_d`` is
  constant within bands of ``band_months`` months on book.
- **Prepayment** competes: a loan that did not default in month ``m`` (and is not in its last
  scheduled month, where paying off is simply paying at term) prepays with probability
  ``h_p = 1 - exp(-exp(eta_p))``, with its own baseline and effects.

``loan_status``, ``last_pymnt_d`` and ``term`` are then written so that the project's outcome
definitions (:mod:`overdue.features.outcomes`) give back the simulated event exactly: a default in
month ``m`` has ``m - 1`` payments (``last_pymnt_d = issue + m - 1`` months; never paid when
``m = 1``), a prepayment in month ``m`` is "Fully Paid" with ``last_pymnt_d = issue + m``, and a
loan reaching its term is "Fully Paid" at ``issue + term``.

Because default is drawn before prepayment within a month, the default hazard is estimated
without bias by a cloglog GLM on **all** rows of the loan-month panel, and the prepayment hazard
by one on the rows with ``event_default == 0`` and ``month_on_book < term``. The truth (``truth``
dict, also written as ``truth.json``) gives the coefficients under the names a fit of
:func:`overdue.models.hazard.fit_discrete_hazard` with ``baseline_form="bands"`` prints:
``Intercept``, ``baseline[7-12]`` …, ``fico``, ``purpose_group[T.business]`` …

The effect sizes are chosen to be plausible (riskier small-business loans, unverified incomes,
loans outside the credit policy; unemployment raising default and slowing prepayment); they
are the simulation's truth, not estimates from the real data.

Examples
--------
>>> from overdue.data.fred import macro_panel
>>> sample = synthetic_loans(1000, seed=1, macro=macro_panel("data/raw/fred"))  # doctest: +SKIP
>>> sample.truth["default"]["coefficients"]["fico"]  # doctest: +SKIP
-0.012
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from overdue.data.schemas import GRADES, LOAN_COLUMNS, POLICY_PREFIX, validate_loans
from overdue.features import credit, purpose, underwriting
from overdue.features.outcomes import EVENT_CODES
from overdue.features.registry import FeatureContext

#: Shares of the LendingClub 2007–2011 loans by state (the real book; states it lent nothing in
#: are absent). Normalised before use.
LENDINGCLUB_STATE_SHARES: dict[str, float] = {
    "CA": 0.1747,
    "NY": 0.0956,
    "FL": 0.0730,
    "TX": 0.0685,
    "NJ": 0.0467,
    "IL": 0.0393,
    "PA": 0.0388,
    "GA": 0.0353,
    "VA": 0.0350,
    "MA": 0.0338,
    "OH": 0.0312,
    "MD": 0.0264,
    "AZ": 0.0219,
    "WA": 0.0209,
    "CO": 0.0201,
    "NC": 0.0195,
    "CT": 0.0192,
    "MI": 0.0187,
    "MO": 0.0180,
    "MN": 0.0153,
    "NV": 0.0124,
    "WI": 0.0121,
    "SC": 0.0115,
    "AL": 0.0114,
    "OR": 0.0110,
    "LA": 0.0108,
    "KY": 0.0084,
    "OK": 0.0075,
    "KS": 0.0070,
    "UT": 0.0065,
    "AR": 0.0061,
    "DC": 0.0053,
    "RI": 0.0049,
    "NM": 0.0048,
    "NH": 0.0044,
    "WV": 0.0044,
    "HI": 0.0043,
    "DE": 0.0032,
    "MT": 0.0023,
    "WY": 0.0020,
    "AK": 0.0020,
    "SD": 0.0016,
    "VT": 0.0013,
    "TN": 0.0008,
    "MS": 0.0006,
    "IN": 0.0004,
    "IA": 0.0003,
    "NE": 0.0003,
    "ID": 0.0002,
    "ME": 0.0001,
}

#: Shares of the LendingClub 2007–2011 loans by purpose.
LENDINGCLUB_PURPOSE_SHARES: dict[str, float] = {
    "debt_consolidation": 0.4649,
    "credit_card": 0.1288,
    "other": 0.1040,
    "home_improvement": 0.0752,
    "major_purchase": 0.0543,
    "small_business": 0.0468,
    "car": 0.0380,
    "wedding": 0.0236,
    "medical": 0.0177,
    "moving": 0.0148,
    "house": 0.0100,
    "educational": 0.0099,
    "vacation": 0.0094,
    "renewable_energy": 0.0025,
}

_GRADE_SHARES = np.array([0.2394, 0.2913, 0.2055, 0.1414, 0.0798, 0.0306, 0.0120])
_EMP_LENGTHS = [
    "< 1 year",
    "1 year",
    "2 years",
    "3 years",
    "4 years",
    "5 years",
    "6 years",
    "7 years",
    "8 years",
    "9 years",
    "10+ years",
    None,
]
_EMP_SHARES = np.array(
    [
        0.1190,
        0.0845,
        0.1115,
        0.1026,
        0.0858,
        0.0813,
        0.0558,
        0.0441,
        0.0374,
        0.0315,
        0.2203,
        0.0262,
    ]
)
_HOME = (
    ["RENT", "MORTGAGE", "OWN", "OTHER", "NONE"],
    np.array([0.4745, 0.4457, 0.0764, 0.0032, 0.0002]),
)
_VERIFICATION = (
    ["Not Verified", "Verified", "Source Verified"],
    np.array([0.441, 0.3167, 0.2423]),
)

#: LendingClub's volume roughly doubled every year from 2007 to 2011: monthly issue weights grow
#: by this rate.
ISSUE_GROWTH_PER_MONTH = 0.055
#: Loans outside the credit policy were issued until late 2010; before this month a loan fails
#: the policy with probability POLICY_EXCEPTION_RATE.
POLICY_EXCEPTIONS_END = pd.Timestamp("2010-11-01")
POLICY_EXCEPTION_RATE = 0.12
#: 60-month loans were offered from May 2010; afterwards a third of loans took them.
SIXTY_MONTH_START = pd.Timestamp("2010-05-01")
SIXTY_MONTH_SHARE = 0.33

PURPOSE_LEVELS = ["consumption", "refinancing", "business"]
#: Terms a cause's effects may name: the features table's columns (and patsy's names for the
#: purpose-group dummies against consumption).
EFFECT_TERMS = (
    "fico",
    "dti",
    "log_income",
    "inq_last_6mths",
    "purpose_group[T.refinancing]",
    "purpose_group[T.business]",
    "meets_policy",
    "income_verified",
    "state_unemp_tv",
)
MAX_TERM = 60
#: The simulated events in the codes the outcome definitions give back (the ``event`` feature).
_CENSORED, _DEFAULT, _PREPAID = (EVENT_CODES[name] for name in ("censored", "default", "prepaid"))


@dataclass(frozen=True)
class CauseHazard:
    """One cause's true monthly hazard.

    Attributes
    ----------
    baseline : tuple of float
        Monthly probability of the event for the reference borrower (see
        :attr:`SyntheticDesign.reference`), one value per band of months on book (1–6, 7–12, …).
    effects : dict
        Log hazard ratio per unit of each feature named in :data:`EFFECT_TERMS`; absent terms have
        no effect.
    """

    baseline: tuple[float, ...]
    effects: dict[str, float]


@dataclass(frozen=True)
class SyntheticDesign:
    """The known truth of the simulation and the book it is drawn for.

    Attributes
    ----------
    default, prepayment : CauseHazard
        The two competing monthly hazards.
    reference : dict
        Feature values of the reference borrower at which the baselines are stated (so the
        baselines read as monthly probabilities of a typical loan).
    band_months : int
        Width of the baseline's bands of months on book.
    issue_start, issue_end : str
        First and last issue month (``YYYY-MM``).
    macro_lag : int
        Months by which the state unemployment rate driving the hazard is lagged.
    """

    default: CauseHazard = field(
        default_factory=lambda: CauseHazard(
            baseline=(
                0.0036,
                0.0054,
                0.0050,
                0.0043,
                0.0036,
                0.0031,
                0.0029,
                0.0025,
                0.0023,
                0.0020,
            ),
            effects={
                "fico": -0.012,
                "dti": 0.015,
                "log_income": -0.30,
                "inq_last_6mths": 0.10,
                "purpose_group[T.refinancing]": -0.10,
                "purpose_group[T.business]": 0.55,
                "meets_policy": -0.35,
                "income_verified": -0.15,
                "state_unemp_tv": 0.08,
            },
        )
    )
    prepayment: CauseHazard = field(
        default_factory=lambda: CauseHazard(
            baseline=(0.013, 0.018, 0.021, 0.022, 0.023, 0.026, 0.021, 0.021, 0.021, 0.021),
            effects={"fico": 0.004, "dti": -0.010, "log_income": 0.25, "state_unemp_tv": -0.04},
        )
    )
    reference: dict = field(
        default_factory=lambda: {
            "fico": 700.0,
            "dti": 15.0,
            "log_income": float(np.log(60_000)),
            "inq_last_6mths": 1.0,
            "purpose_group[T.refinancing]": 0.0,
            "purpose_group[T.business]": 0.0,
            "meets_policy": 1.0,
            "income_verified": 1.0,
            "state_unemp_tv": 6.0,
        }
    )
    band_months: int = 6
    issue_start: str = "2007-06"
    issue_end: str = "2011-12"
    macro_lag: int = 1

    def __post_init__(self):
        missing = [term for term in EFFECT_TERMS if term not in self.reference]
        if missing:
            raise ValueError(
                f"reference: no value for {missing} (it needs every term of {list(EFFECT_TERMS)})"
            )
        for name, cause in (("default", self.default), ("prepayment", self.prepayment)):
            unknown = sorted(set(cause.effects) - set(EFFECT_TERMS))
            if unknown:
                raise ValueError(
                    f"{name} effects: unknown term(s) {unknown}; known: {list(EFFECT_TERMS)}"
                )
            needed = -(-MAX_TERM // self.band_months)
            if len(cause.baseline) != needed:
                raise ValueError(
                    f"{name} baseline: needs {needed} bands of {self.band_months} months "
                    f"to cover {MAX_TERM} months on book, got {len(cause.baseline)}"
                )
            if not all(0 < h < 1 for h in cause.baseline):
                raise ValueError(f"{name} baseline: monthly hazards must lie in (0, 1)")
        if pd.Period(self.issue_start, "M") > pd.Period(self.issue_end, "M"):
            raise ValueError(f"issue_start {self.issue_start} is after issue_end {self.issue_end}")
        if self.macro_lag < 0:
            raise ValueError(f"macro_lag must be 0 or more months, got {self.macro_lag}")


@dataclass
class SyntheticSample:
    """An in-memory synthetic sample.

    Attributes
    ----------
    loans : pandas.DataFrame
        The canonical loan table (:data:`~overdue.data.schemas.LOAN_COLUMNS`).
    events : pandas.DataFrame
        The simulated outcome of every loan: ``id``, ``event`` (0 censored at term, 1 default,
        2 prepaid) and ``time`` (its month on book) — what the feature code must give back.
    truth : dict
        The true model (see :func:`truth_of`).
    """

    loans: pd.DataFrame
    events: pd.DataFrame
    truth: dict


def band_labels(band_months: int, max_month: int = MAX_TERM) -> list[str]:
    """Labels of the baseline bands, as :func:`overdue.models.hazard.baseline_levels` names them.

    Examples
    --------
    >>> band_labels(24)
    ['1-24', '25-48', '49-60']
    """
    return [
        f"{start}-{min(start + band_months - 1, max_month)}"
        for start in range(1, max_month + 1, band_months)
    ]


def _cloglog(p):
    return np.log(-np.log1p(-np.asarray(p, dtype=float)))


def _coefficients(cause: CauseHazard, design: SyntheticDesign) -> dict[str, float]:
    """The cause's true coefficients under the names a banded hazard fit prints."""
    effects = {term: float(cause.effects.get(term, 0.0)) for term in EFFECT_TERMS}
    offset = sum(effects[term] * design.reference[term] for term in EFFECT_TERMS)
    alpha = _cloglog(cause.baseline) - offset
    labels = band_labels(design.band_months)
    coefficients = {"Intercept": float(alpha[0])}
    coefficients.update(
        {f"baseline[{label}]": float(a - alpha[0]) for label, a in zip(labels[1:], alpha[1:])}
    )
    coefficients.update(effects)
    return coefficients


def truth_of(design: SyntheticDesign) -> dict:
    """The simulation's truth as plain JSON-able data.

    Returns
    -------
    dict
        ``link``, ``band_months``, ``macro_lag``, ``issue_start``/``issue_end``, ``reference``,
        ``formula_rhs`` (the covariates of the true model, patsy syntax), ``categories``
        (declared levels, for :func:`~overdue.models.hazard.fit_discrete_hazard`), ``rows`` (which
        panel rows each cause's fit uses) and, per cause (``default``, ``prepayment``),
        ``baseline_hazard`` by band, ``effects`` and ``coefficients`` (``Intercept``,
        ``baseline[<band>]`` relative to the first band, then every term of ``formula_rhs``).

    Examples
    --------
    >>> truth = truth_of(SyntheticDesign())
    >>> truth["formula_rhs"]
    'fico + dti + log_income + inq_last_6mths + purpose_group + meets_policy + income_verified + state_unemp_tv'
    >>> round(truth["default"]["coefficients"]["baseline[7-12]"], 3)
    0.406
    """
    labels = band_labels(design.band_months)
    causes = {}
    for name, cause in (("default", design.default), ("prepayment", design.prepayment)):
        causes[name] = {
            "baseline_hazard": dict(zip(labels, map(float, cause.baseline))),
            "effects": {t: float(v) for t, v in cause.effects.items()},
            "coefficients": _coefficients(cause, design),
        }
    features = list(dict.fromkeys(term.split("[")[0] for term in EFFECT_TERMS))
    return {
        "generator": "overdue.synthetic",
        "link": "cloglog",
        "band_months": design.band_months,
        "macro_lag": design.macro_lag,
        "issue_start": design.issue_start,
        "issue_end": design.issue_end,
        "reference": dict(design.reference),
        "formula_rhs": " + ".join(features),
        "categories": {"purpose_group": PURPOSE_LEVELS},
        "rows": {
            "default": "all loan-month rows",
            "prepayment": "rows with event_default == 0 and month_on_book < term",
        },
        **causes,
    }


# ------------------------------------------------------------------------------ the macro side
@dataclass(frozen=True)
class _Unemployment:
    """State unemployment as a dense (state, month) array starting at ``first_month``."""

    states: list[str]
    first_month: pd.Period
    rates: np.ndarray


def _unemployment_grid(
    macro: pd.DataFrame, states: list[str], design: SyntheticDesign
) -> _Unemployment:
    """The unemployment rates the simulation (and the feature code after it) will look up.

    Covers 12 months before the first issue (the 12-month change at issue) to the last month a
    60-month loan issued in ``issue_end`` can reach; a gap is an error naming state and month.
    """
    for column in ("addr_state", "month", "state_unemp"):
        if column not in macro.columns:
            raise ValueError(f"macro panel has no column {column!r}")
    first = pd.Period(design.issue_start, "M") - max(12, design.macro_lag)
    last = pd.Period(design.issue_end, "M") + MAX_TERM
    months = pd.period_range(first, last, freq="M").to_timestamp()
    table = macro[["addr_state", "month", "state_unemp"]].astype({"addr_state": "string"})
    grid = table.pivot_table(
        index="addr_state", columns="month", values="state_unemp", aggfunc="first"
    )
    grid = grid.reindex(index=states, columns=months)
    gaps = grid.isna()
    if gaps.to_numpy().any():
        state = gaps.any(axis=1).idxmax()
        month = gaps.loc[state].idxmax()
        raise ValueError(
            f"macro panel: column 'state_unemp' has no value for {state} in "
            f"{month:%Y-%m} ({int(gaps.loc[state].sum())} months of {state} missing "
            f"between {months[0]:%Y-%m} and {months[-1]:%Y-%m}, which loans issued "
            f"{design.issue_start}–{design.issue_end} need)"
        )
    return _Unemployment(states, first, grid.to_numpy(dtype=float))


# ----------------------------------------------------------------------------- one partition
def _choice(rng, labels, shares, size):
    shares = np.asarray(shares, dtype=float)
    return np.asarray(labels, dtype=object)[
        rng.choice(len(labels), size=size, p=shares / shares.sum())
    ]


def _month_offset(months: np.ndarray, offset) -> np.ndarray:
    """First-of-month datetimes ``offset`` months after ``months`` (datetime64[M] arrays)."""
    return (months + np.asarray(offset).astype("timedelta64[M]")).astype("datetime64[ns]")


def _borrowers(
    n: int,
    rng: np.random.Generator,
    design: SyntheticDesign,
    states: list[str],
    state_shares: np.ndarray,
) -> pd.DataFrame:
    """Draw the loans' attributes (everything but the outcome columns)."""
    issue_months = pd.period_range(design.issue_start, design.issue_end, freq="M")
    weights = np.exp(ISSUE_GROWTH_PER_MONTH * np.arange(len(issue_months)))
    issue = issue_months.to_timestamp().to_numpy(dtype="datetime64[M]")[
        rng.choice(len(issue_months), size=n, p=weights / weights.sum())
    ]
    issue_ts = issue.astype("datetime64[ns]")

    # One latent credit quality drives FICO, the platform's grade, income and inquiries, so the
    # covariates are correlated as in the real book.
    quality = rng.standard_normal(n)
    fico_low = np.clip(5 * np.round((712 + 34 * quality) / 5), 620, 845)
    grade_score = -0.85 * quality + 0.53 * rng.standard_normal(n)
    grade_cuts = special.ndtri(np.cumsum(_GRADE_SHARES)[:-1])  # the real grade mix
    grade_index = np.searchsorted(grade_cuts, grade_score)
    sub_index = rng.integers(0, 5, size=n)
    sub_grade_code = grade_index * 5 + sub_index + 1
    int_rate = np.clip(0.054 + 0.0056 * (sub_grade_code - 1) + rng.normal(0, 0.003, n), 0.05, 0.26)

    log_income = 11.0 + 0.55 * (0.25 * quality + np.sqrt(1 - 0.25**2) * rng.standard_normal(n))
    annual_inc = np.clip(np.round(np.exp(log_income)), 4_000, 2_000_000)
    dti = np.round(30 * rng.beta(2.0, 2.5, n), 2)
    inq_mean = 1.1 * np.exp(-0.25 * quality)
    inquiries = rng.negative_binomial(1.5, 1.5 / (1.5 + inq_mean)).astype(float)

    before_sixty = issue_ts < np.datetime64(SIXTY_MONTH_START)
    term = np.where(~before_sixty & (rng.random(n) < SIXTY_MONTH_SHARE), 60, 36)
    meets_policy = ~(
        (issue_ts < np.datetime64(POLICY_EXCEPTIONS_END)) & (rng.random(n) < POLICY_EXCEPTION_RATE)
    )

    loan_amnt = np.clip(25 * np.round(np.exp(rng.normal(np.log(9_600), 0.7, n)) / 25), 500, 35_000)
    cut = rng.random(n) < 0.03
    funded = np.where(
        cut, np.maximum(500, 25 * np.round(loan_amnt * rng.uniform(0.5, 1, n) / 25)), loan_amnt
    )
    investor_share = np.where(rng.random(n) < 0.75, 1.0, rng.uniform(0.3, 1.0, n))
    monthly_rate = int_rate / 12
    installment = np.round(funded * monthly_rate / (1 - (1 + monthly_rate) ** -term), 2)

    history_months = 36 + np.round(12 * rng.gamma(4.0, 2.6, n)).astype(int)
    open_acc = 1.0 + rng.poisson(8.3, n)
    revol_bal = np.round(np.exp(rng.normal(np.log(8_800), 1.0, n)))
    return pd.DataFrame(
        {
            "loan_amnt": loan_amnt,
            "funded_amnt": funded,
            "funded_amnt_inv": np.round(funded * investor_share, 2),
            "term": term.astype("int64"),
            "int_rate": np.round(int_rate, 4),
            "installment": installment,
            "grade": np.array(list(GRADES), dtype=object)[grade_index],
            "sub_grade": np.char.add(
                np.array(list(GRADES))[grade_index], (sub_index + 1).astype(str)
            ),
            "emp_length": _choice(rng, _EMP_LENGTHS, _EMP_SHARES, n),
            "home_ownership": _choice(rng, *_HOME, n),
            "annual_inc": annual_inc,
            "verification_status": _choice(rng, *_VERIFICATION, n),
            "issue_d": issue_ts,
            "meets_policy": meets_policy,
            "purpose": _choice(
                rng, list(LENDINGCLUB_PURPOSE_SHARES), list(LENDINGCLUB_PURPOSE_SHARES.values()), n
            ),
            "addr_state": _choice(rng, states, state_shares, n),
            "dti": dti,
            "delinq_2yrs": rng.poisson(0.15, n).astype(float),
            "earliest_cr_line": _month_offset(issue, -history_months),
            "fico_range_low": fico_low,
            "fico_range_high": fico_low + 4,
            "inq_last_6mths": inquiries,
            "open_acc": open_acc,
            "pub_rec": rng.poisson(0.06, n).astype(float),
            "revol_bal": revol_bal,
            "revol_util": np.round(rng.beta(1.5, 1.5, n), 3),
            "total_acc": open_acc + rng.negative_binomial(2.0, 2.0 / (2.0 + 12.8), n),
        }
    )


def _effect_columns(loans: pd.DataFrame) -> dict[str, np.ndarray]:
    """Loan-level covariates of the hazards, computed by the project's own feature functions so
    that the truth is stated in exactly the features a model is fitted on."""
    context = FeatureContext()
    group = purpose.purpose_group(loans, context).to_numpy(dtype=object)
    return {
        "fico": credit.fico(loans, context).to_numpy(dtype=float),
        "dti": credit.dti(loans, context).to_numpy(dtype=float),
        "log_income": credit.log_income(loans, context).to_numpy(dtype=float),
        "inq_last_6mths": credit.inq_last_6mths(loans, context).to_numpy(dtype=float),
        "purpose_group[T.refinancing]": (group == "refinancing").astype(float),
        "purpose_group[T.business]": (group == "business").astype(float),
        "meets_policy": underwriting.meets_policy(loans, context).to_numpy(dtype=float),
        "income_verified": underwriting.income_verified(loans, context).to_numpy(dtype=float),
    }


def _simulate_events(
    loans: pd.DataFrame,
    rng: np.random.Generator,
    design: SyntheticDesign,
    unemployment: _Unemployment,
) -> tuple[np.ndarray, np.ndarray]:
    """Walk every loan through its months on book; return event codes and event months."""
    n = len(loans)
    covariates = _effect_columns(loans)
    fixed = {}
    for name, cause in (("default", design.default), ("prepayment", design.prepayment)):
        alpha = np.asarray(_cloglog(cause.baseline)) - sum(
            value * design.reference[term] for term, value in cause.effects.items()
        )
        fixed_part = sum(
            (
                value * covariates[term]
                for term, value in cause.effects.items()
                if term != "state_unemp_tv"
            ),
            np.zeros(n),
        )
        fixed[name] = (alpha, fixed_part, cause.effects.get("state_unemp_tv", 0.0))

    state_row = pd.Index(unemployment.states).get_indexer(loans["addr_state"].astype(str))
    first_month = np.datetime64(unemployment.first_month.to_timestamp(), "M")
    issue_col = (loans["issue_d"].to_numpy(dtype="datetime64[M]") - first_month).astype(np.int64)
    term = loans["term"].to_numpy()
    event = np.full(n, _CENSORED, dtype=np.int64)
    time = term.astype(np.int64).copy()
    open_loans = np.arange(n)
    for month in range(1, int(term.max()) + 1):
        open_loans = open_loans[term[open_loans] >= month]
        if not len(open_loans):
            break
        band = (month - 1) // design.band_months
        # The m-th payment falls due in calendar month issue + m; the rate known then is lagged.
        rate = unemployment.rates[
            state_row[open_loans], issue_col[open_loans] + month - design.macro_lag
        ]
        alpha, part, gamma = fixed["default"]
        defaults = rng.random(len(open_loans)) < -np.expm1(
            -np.exp(alpha[band] + part[open_loans] + gamma * rate)
        )
        event[open_loans[defaults]] = _DEFAULT
        time[open_loans[defaults]] = month
        survivors = ~defaults
        # Paying off in the last scheduled month is paying at term, not prepaying.
        can_prepay = survivors & (term[open_loans] > month)
        alpha, part, gamma = fixed["prepayment"]
        eta = alpha[band] + part[open_loans] + gamma * rate
        prepays = can_prepay & (rng.random(len(open_loans)) < -np.expm1(-np.exp(eta)))
        event[open_loans[prepays]] = _PREPAID
        time[open_loans[prepays]] = month
        open_loans = open_loans[survivors & ~prepays]
    return event, time


def _outcome_columns(loans: pd.DataFrame, event: np.ndarray, time: np.ndarray) -> dict:
    """loan_status, last_pymnt_d and total_pymnt that the outcome definitions read back as
    (event, time)."""
    issue = loans["issue_d"].to_numpy(dtype="datetime64[M]")
    term = loans["term"].to_numpy()
    payments = np.select([event == _DEFAULT, event == _PREPAID], [time - 1, time], term)
    last_payment = _month_offset(issue, payments)
    last_payment[(event == _DEFAULT) & (time == 1)] = np.datetime64("NaT")  # never paid
    status = np.where(event == _DEFAULT, "Charged Off", "Fully Paid").astype(object)
    outside = ~loans["meets_policy"].to_numpy(dtype=bool)
    status[outside] = POLICY_PREFIX + status[outside]

    rate = loans["int_rate"].to_numpy() / 12
    installment = loans["installment"].to_numpy()
    principal = loans["funded_amnt"].to_numpy()
    # A prepayment in month m pays m - 1 instalments and then the balance left after them, with
    # that month's interest.
    paid_before = np.where(event == _PREPAID, time - 1, 0)
    balance = (
        principal * (1 + rate) ** paid_before
        - installment * ((1 + rate) ** paid_before - 1) / rate
    )
    total = np.select(
        [event == _DEFAULT, event == _PREPAID],
        [installment * (time - 1), installment * paid_before + balance * (1 + rate)],
        installment * term,
    )
    return {"loan_status": status, "last_pymnt_d": last_payment, "total_pymnt": np.round(total, 2)}


def _partition(
    n: int,
    seed: int,
    index: int,
    first_id: int,
    design: SyntheticDesign,
    unemployment: _Unemployment,
    state_shares: np.ndarray,
) -> SyntheticSample:
    """Partition ``index`` of a synthetic book: its own random stream, so any partition can be
    generated alone and the book never has to be held whole."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    loans = _borrowers(n, rng, design, unemployment.states, state_shares)
    ids = pd.array(np.arange(first_id, first_id + n).astype(str), dtype="string")
    loans.insert(0, "id", ids)
    event, time = _simulate_events(loans, rng, design, unemployment)
    loans = loans.assign(**_outcome_columns(loans, event, time))
    # Every column is generated in its canonical type already; astype only changes containers
    # (object -> string), far cheaper than coerce_loan_types' parsing of text input.
    loans = loans.reindex(columns=list(LOAN_COLUMNS)).astype(LOAN_COLUMNS)
    events = pd.DataFrame({"id": ids, "event": event, "time": time})
    return SyntheticSample(loans, events, {})


def _prepare(macro: pd.DataFrame, design: SyntheticDesign | None, state_shares):
    design = design or SyntheticDesign()
    shares = dict(LENDINGCLUB_STATE_SHARES if state_shares is None else state_shares)
    if not shares or any(v < 0 for v in shares.values()) or sum(shares.values()) <= 0:
        raise ValueError(
            "state_shares must map states to non-negative weights with a positive sum"
        )
    states = sorted(s for s, v in shares.items() if v > 0)
    unemployment = _unemployment_grid(macro, states, design)
    weights = np.array([shares[s] for s in states], dtype=float)
    return design, unemployment, weights / weights.sum()


def synthetic_loans(
    n: int,
    seed: int,
    macro: pd.DataFrame,
    design: SyntheticDesign | None = None,
    state_shares: dict[str, float] | None = None,
    validate: bool = True,
) -> SyntheticSample:
    """Simulate ``n`` loans in memory (for small ``n``; use :func:`write_synthetic` at scale).

    Parameters
    ----------
    n : int
        Number of loans.
    seed : int
        Seed of the random stream; the same seed gives the same loans (and the same loans as
        partition 0 of :func:`write_synthetic` with ``partition_size >= n``).
    macro : pandas.DataFrame
        The macro panel (:func:`overdue.data.fred.macro_panel`): the real state unemployment
        series drive the default and prepayment hazards.
    design : SyntheticDesign, optional
        The true hazards and the issue window; default :class:`SyntheticDesign()`.
    state_shares : dict, optional
        Weights of the states loans are drawn from; default the LendingClub 2007–2011 shares.
        Every state with positive weight needs the macro panel's unemployment over the loans' lives.
    validate : bool
        Check the loans with :func:`~overdue.data.schemas.validate_loans`.

    Returns
    -------
    SyntheticSample
        ``loans`` (canonical table), ``events`` (simulated event and month of every loan) and
        ``truth`` (:func:`truth_of`, plus ``seed`` and ``n_loans``).

    Examples
    --------
    >>> months = pd.date_range("2006-01-01", "2017-12-01", freq="MS")
    >>> macro = pd.DataFrame({"addr_state": "CA", "month": months, "state_unemp": 6.0})
    >>> sample = synthetic_loans(500, seed=3, macro=macro, state_shares={"CA": 1.0})
    >>> len(sample.loans), sorted(sample.events["event"].unique().tolist())
    (500, [0, 1, 2])
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive whole number of loans, got {n!r}")
    design, unemployment, shares = _prepare(macro, design, state_shares)
    sample = _partition(int(n), int(seed), 0, 1, design, unemployment, shares)
    if validate:
        validate_loans(sample.loans, "synthetic loans")
    sample.truth = {**truth_of(design), "seed": int(seed), "n_loans": int(n)}
    return sample


def write_synthetic(
    n_loans: int,
    out_dir: str | os.PathLike,
    seed: int,
    macro: pd.DataFrame,
    partition_size: int = 100_000,
    design: SyntheticDesign | None = None,
    state_shares: dict[str, float] | None = None,
    validate: bool = True,
    overwrite: bool = False,
) -> dict:
    """Simulate ``n_loans`` loans into partitioned parquet, one partition in memory at a time.

    Writes ``out_dir/loans/part-00000.parquet`` … (the canonical loan table),
    ``out_dir/events/part-00000.parquet`` … (``id, event, time``: the simulated outcomes) and
    ``out_dir/truth.json``. Partition ``k`` draws from its own stream (seed ``seed``, spawn key
    ``k``), so peak memory is set by ``partition_size``, not ``n_loans``. The folder appears
    complete or not at all (written beside it, then renamed).

    Parameters
    ----------
    n_loans : int
        Number of loans.
    out_dir : str or path
        Folder to create.
    seed : int
        Seed of the whole book.
    macro : pandas.DataFrame
        The macro panel (real FRED state unemployment).
    partition_size : int
        Loans per partition (and per parquet file).
    design, state_shares, validate
        As in :func:`synthetic_loans`.
    overwrite : bool
        Replace ``out_dir`` if it exists (otherwise that is an error).

    Returns
    -------
    dict
        The truth (as written to ``truth.json``), with ``seed``, ``n_loans``,
        ``partition_size`` and ``partitions``.

    Examples
    --------
    >>> truth = write_synthetic(1_000_000, "data/synthetic/1m", seed=0, macro=macro)  # doctest: +SKIP
    >>> pd.read_parquet("data/synthetic/1m/loans/part-00000.parquet").shape  # doctest: +SKIP
    (100000, 31)
    """
    if int(n_loans) != n_loans or n_loans < 1:
        raise ValueError(f"n_loans must be a positive whole number, got {n_loans!r}")
    if int(partition_size) != partition_size or partition_size < 1:
        raise ValueError(f"partition_size must be a positive whole number, got {partition_size!r}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(
            f"out_dir {out_dir} exists and is not empty; pass overwrite=True to replace it"
        )
    design, unemployment, shares = _prepare(macro, design, state_shares)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (staging / "loans").mkdir()
        (staging / "events").mkdir()
        partitions = -(-int(n_loans) // int(partition_size))
        for index in range(partitions):
            first = index * int(partition_size)
            size = min(int(partition_size), int(n_loans) - first)
            part = _partition(size, int(seed), index, first + 1, design, unemployment, shares)
            if validate:
                validate_loans(part.loans, f"synthetic partition {index}")
            part.loans.to_parquet(staging / "loans" / f"part-{index:05d}.parquet", index=False)
            part.events.to_parquet(staging / "events" / f"part-{index:05d}.parquet", index=False)
        truth = {
            **truth_of(design),
            "seed": int(seed),
            "n_loans": int(n_loans),
            "partition_size": int(partition_size),
            "partitions": partitions,
        }
        (staging / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return truth


def read_truth(out_dir: str | os.PathLike) -> dict:
    """The truth stored beside a synthetic book by :func:`write_synthetic`.

    Examples
    --------
    >>> read_truth("data/synthetic/1m")["default"]["coefficients"]["fico"]  # doctest: +SKIP
    -0.012
    """
    path = Path(out_dir) / "truth.json"
    if not path.is_file():
        raise ValueError(f"{path} not found: is {out_dir} a folder written by write_synthetic?")
    return json.loads(path.read_text())


def compare_to_truth(fit, truth: dict, cause: str = "default") -> pd.DataFrame:
    """Estimates of a fit beside the simulation's true coefficients, and whether each 95%
    interval covers its truth.

    Parameters
    ----------
    fit : FitResult
        A :func:`~overdue.models.hazard.fit_discrete_hazard` fit of ``truth["formula_rhs"]``.
    truth : dict
        :func:`read_truth` or ``SyntheticSample.truth``.
    cause : str
        ``"default"`` or ``"prepayment"``.

    Examples
    --------
    >>> from overdue.models.result import FitResult, tidy_summary
    >>> fit = FitResult("hazard_cloglog", tidy_summary(["fico"], [-0.011], [0.001]), 1, 1, True)
    >>> compare_to_truth(fit, {"default": {"coefficients": {"fico": -0.012}}})["covered"].tolist()
    [True]
    """
    true = pd.Series(truth[cause]["coefficients"], name="truth")
    table = fit.summary[["estimate", "ci_lower", "ci_upper"]].join(true, how="inner")
    table["covered"] = (table["ci_lower"] <= table["truth"]) & (
        table["truth"] <= table["ci_upper"]
    )
    return table[["truth", "estimate", "ci_lower", "ci_upper", "covered"]]


# ==============================================================================================
# Synthetic delinquency panels: a Markov chain over buckets with covariate-dependent moves
#
# Each account lives ``months`` calendar months in the buckets of the delinquency panel
# (:mod:`overdue.data.delinquency`). From a transient bucket it makes one of the moves open
# there (:data:`PANEL_MOVES`: stay, cure, improve, roll; closure from current), drawn from a
# multinomial logit whose coefficients are the truth; default and closure are absorbing, and the
# account's rows continue in them. The covariates are the account features of
# :mod:`overdue.features.accounts` as they are computed from the stored columns: utilisation
# (balance / credit line, that month), the log of the credit line and the holder's age, so
# ``fit_transition_logit(pairs, PANEL_RHS, origin=...)`` on the account features estimates
# exactly the coefficients the truth states, under the names it prints ("roll: utilisation").

#: The moves open in each transient bucket and where each leads; ``stay`` is the reference.
PANEL_MOVES: dict[str, dict[str, str]] = {
    "current": {"stay": "current", "roll": "1", "closed": "closed"},
    "1": {"stay": "1", "cure": "current", "roll": "2"},
    "2": {"stay": "2", "cure": "current", "improve": "1", "roll": "3+"},
    "3+": {"stay": "3+", "cure": "current", "improve": "2", "roll": "default"},
}
#: The covariates of the transition logits, as the account features name them.
PANEL_RHS = "utilisation + log_credit_line + age"
#: Where the covariates are centred in :attr:`DelinquencyDesign.moves` (so an intercept there is
#: the log relative risk of a typical account: utilisation 0.5, a line of e^11.5 ≈ NT$99,000,
#: age 40); the truth is restated on the raw columns the fits use.
PANEL_CENTRES = {"utilisation": 0.5, "log_credit_line": 11.5, "age": 40.0}


def _default_moves() -> dict[str, dict[str, dict[str, float]]]:
    # Plausible effects, the simulation's truth: utilisation pushes accounts forward and keeps
    # them from curing; a generous line (a better-vetted holder) and age the other way.
    return {
        "current": {
            "roll": {"Intercept": -3.0, "utilisation": 2.0, "log_credit_line": -0.3, "age": -0.01},
            "closed": {
                "Intercept": -4.5,
                "utilisation": -1.0,
                "log_credit_line": 0.2,
                "age": 0.01,
            },
        },
        "1": {
            "cure": {"Intercept": 0.3, "utilisation": -1.5, "log_credit_line": 0.3, "age": 0.005},
            "roll": {"Intercept": -0.5, "utilisation": 1.5, "log_credit_line": -0.2, "age": 0.0},
        },
        "2": {
            "cure": {"Intercept": -0.8, "utilisation": -1.2, "log_credit_line": 0.3, "age": 0.0},
            "improve": {
                "Intercept": -1.5,
                "utilisation": -0.5,
                "log_credit_line": 0.0,
                "age": 0.0,
            },
            "roll": {"Intercept": -0.9, "utilisation": 1.2, "log_credit_line": -0.3, "age": 0.0},
        },
        "3+": {
            "cure": {"Intercept": -2.0, "utilisation": -1.0, "log_credit_line": 0.3, "age": 0.0},
            "improve": {"Intercept": -1.5, "utilisation": 0.0, "log_credit_line": 0.0, "age": 0.0},
            "roll": {"Intercept": -0.7, "utilisation": 1.0, "log_credit_line": -0.4, "age": 0.0},
        },
    }


@dataclass(frozen=True)
class DelinquencyDesign:
    """The truth of a synthetic delinquency panel.

    Attributes
    ----------
    months : int
        Calendar months each account is observed (from ``start``).
    start : str
        First month, ``YYYY-MM``.
    initial : dict
        Shares of accounts in each transient bucket in the first month.
    moves : dict
        Origin bucket -> move -> {term: coefficient} of its log relative risk against staying,
        on covariates centred at :data:`PANEL_CENTRES`.
    utilisation_sd : float
        Month-to-month spread of an account's utilisation around its own level.
    """

    months: int = 12
    start: str = "2020-01"
    initial: dict = field(
        default_factory=lambda: {"current": 0.85, "1": 0.07, "2": 0.05, "3+": 0.03}
    )
    moves: dict = field(default_factory=_default_moves)
    utilisation_sd: float = 0.12


def delinquency_truth(design: DelinquencyDesign) -> dict:
    """The truth as the fits name it: per origin bucket, the categories (``stay`` first, the
    reference) and ``"<move>: <term>"`` coefficients on the raw columns of :data:`PANEL_RHS`.

    Examples
    --------
    >>> truth = delinquency_truth(DelinquencyDesign())
    >>> truth["transitions"]["1"]["categories"], truth["transitions"]["1"]["coefficients"]["roll: utilisation"]
    (['stay', 'cure', 'roll'], 1.5)
    """
    from overdue.models.transitions import MOVES

    transitions = {}
    for origin, moves in design.moves.items():
        coefficients = {}
        for move in (m for m in MOVES if m in moves):
            beta = moves[move]
            shift = sum(beta[term] * centre for term, centre in PANEL_CENTRES.items())
            coefficients[f"{move}: Intercept"] = beta["Intercept"] - shift
            for term in PANEL_CENTRES:
                coefficients[f"{move}: {term}"] = beta[term]
        transitions[origin] = {
            "categories": [m for m in MOVES if m == "stay" or m in moves],
            "coefficients": coefficients,
        }
    return {
        "kind": "delinquency panel",
        "rhs": PANEL_RHS,
        "months": design.months,
        "start": design.start,
        "initial": design.initial,
        "moves": design.moves,
        "centres": PANEL_CENTRES,
        "transitions": transitions,
    }


def _simulate_accounts(
    rng: np.random.Generator, n: int, first_id: int, design: DelinquencyDesign
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One block of accounts: the canonical panel rows and the account table."""
    from overdue.data.delinquency import BUCKETS, TOP_MPD

    codes = {bucket: k for k, bucket in enumerate(BUCKETS)}
    # MPD on entering each bucket (one more month behind while staying in 3+, set below).
    mpd_of_bucket = np.array([0.0, 1.0, 2.0, float(TOP_MPD), np.nan, np.nan])
    log_line = rng.normal(11.5, 0.9, n)
    line = np.round(np.exp(log_line), -3).clip(1000)
    log_line = np.log(line)
    age = rng.integers(21, 71, n).astype(float)
    own_level = rng.beta(2.0, 2.5, n) * 1.2
    shares = np.array([design.initial.get(b, 0.0) for b in BUCKETS[:4]], dtype=float)
    state = rng.choice(4, size=n, p=shares / shares.sum())
    mpd = state.astype(float).copy()  # current 0, then 1, 2, 3 months past due
    months = design.months
    states = np.empty((months, n), dtype=np.int8)
    mpds = np.empty((months, n))
    utilisation = np.empty((months, n))
    for t in range(months):
        u = np.clip(own_level + rng.normal(0.0, design.utilisation_sd, n), 0.0, 1.5)
        states[t], mpds[t], utilisation[t] = state, mpd, u
        if t == months - 1:
            break
        draw = rng.random(n)
        new_state, new_mpd = state.copy(), mpd.copy()
        for origin, moves in design.moves.items():
            rows = np.flatnonzero(state == codes[origin])
            if not len(rows):
                continue
            x = {
                "utilisation": u[rows] - PANEL_CENTRES["utilisation"],
                "log_credit_line": log_line[rows] - PANEL_CENTRES["log_credit_line"],
                "age": age[rows] - PANEL_CENTRES["age"],
            }
            names = ["stay", *moves]
            eta = np.zeros((len(rows), len(names)))
            for k, move in enumerate(names[1:], start=1):
                beta = moves[move]
                eta[:, k] = beta["Intercept"] + sum(beta[term] * x[term] for term in x)
            probabilities = special.softmax(eta, axis=1)
            chosen = (draw[rows, None] > np.cumsum(probabilities, axis=1)).sum(axis=1)
            chosen = np.minimum(chosen, len(names) - 1)
            destination = np.array(
                [codes[PANEL_MOVES[origin][m]] for m in names], dtype=state.dtype
            )[chosen]
            new_state[rows] = destination
            # MPD: one more month behind on a roll (and while staying in 3+), back on a cure.
            staying_top = (destination == codes["3+"]) & (state[rows] == codes["3+"])
            new_mpd[rows] = mpd_of_bucket[destination]
            new_mpd[rows[staying_top]] = mpd[rows[staying_top]] + 1
        state, mpd = new_state, new_mpd
    ids = (np.arange(n) + first_id).astype(str)
    first = pd.Period(design.start, "M")
    calendar = pd.PeriodIndex([first + t for t in range(months)]).to_timestamp()
    labels = np.array(BUCKETS, dtype=object)
    # Account-major rows (an account's months together, in order), as the build writes panels
    # and the streamed transition counts read them.
    panel = pd.DataFrame(
        {
            "account_id": pd.array(np.repeat(ids, months), dtype="string"),
            "month": np.tile(calendar.to_numpy(dtype="datetime64[ns]"), n),
            "mpd": pd.array(mpds.T.ravel(), dtype="Float64").astype("Int64"),
            "bucket": pd.array(labels[states.T.ravel()], dtype="string"),
            "balance": (utilisation * line).T.ravel(),
            "payment": np.nan,
            "credit_line": np.repeat(line, months),
            "status_code": pd.Series(pd.NA, index=range(n * months), dtype="Int64").array,
        }
    )
    accounts = pd.DataFrame(
        {"account_id": pd.array(ids, dtype="string"), "credit_line": line, "age": age}
    )
    return panel, accounts


@dataclass
class SyntheticPanel:
    """A simulated delinquency panel, its account table and the truth that generated it."""

    panel: pd.DataFrame
    accounts: pd.DataFrame
    truth: dict


def synthetic_delinquency(
    n_accounts: int, seed: int = 0, design: DelinquencyDesign | None = None
) -> SyntheticPanel:
    """Simulate ``n_accounts`` accounts over ``design.months`` months (:class:`DelinquencyDesign`).

    The panel is in the canonical form and passes
    :func:`~overdue.data.delinquency.validate_panel`; the accounts have ``credit_line`` and
    ``age``; the truth is :func:`delinquency_truth`.

    Examples
    --------
    >>> sample = synthetic_delinquency(200, seed=1, design=DelinquencyDesign(months=4))
    >>> len(sample.panel), sample.panel["bucket"].isin(["default", "closed"]).any()
    (800, np.True_)
    """
    from overdue.data.delinquency import validate_panel

    design = design or DelinquencyDesign()
    panel, accounts = _simulate_accounts(np.random.default_rng(seed), int(n_accounts), 1, design)
    panel = validate_panel(panel, "synthetic delinquency panel")
    return SyntheticPanel(panel, accounts, delinquency_truth(design))


def write_synthetic_delinquency(
    out_dir: str | os.PathLike,
    n_accounts: int,
    seed: int = 0,
    design: DelinquencyDesign | None = None,
    accounts_per_file: int = 100_000,
) -> dict:
    """Write a simulated panel in bounded memory: ``out_dir/delinquency/part-NNNNN.parquet``
    (each file whole accounts, so history features and transitions never straddle files),
    ``out_dir/accounts.parquet`` and ``out_dir/truth.json``; returns the truth.

    Examples
    --------
    >>> write_synthetic_delinquency("data/synthetic/panel", 2_260_000)  # doctest: +SKIP
    """
    design = design or DelinquencyDesign()
    out_dir = Path(out_dir)
    folder = out_dir / "delinquency"
    folder.mkdir(parents=True, exist_ok=True)
    streams = np.random.SeedSequence(seed).spawn(-(-int(n_accounts) // accounts_per_file))
    accounts = []
    for part, stream in enumerate(streams):
        first = part * accounts_per_file
        n = min(accounts_per_file, int(n_accounts) - first)
        panel, block = _simulate_accounts(np.random.default_rng(stream), n, first + 1, design)
        panel.to_parquet(folder / f"part-{part:05d}.parquet", index=False)
        accounts.append(block)
    pd.concat(accounts, ignore_index=True).to_parquet(out_dir / "accounts.parquet", index=False)
    truth = delinquency_truth(design)
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth
