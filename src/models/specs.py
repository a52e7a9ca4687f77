"""Model specifications as data: the four factor families and the right-hand sides built from them.

Every loan-level model in the project is assembled here, from one table of formula terms per
factor family, so that the nested sequence, the drop-one tests and the Shapley decomposition all
fit exactly the same terms. Terms use the column names of the features table (the feature
registry, :mod:`overdue.features.registry`); a term is any patsy expression.

The families answer the four research questions of DESIGN.md:

- ``credit`` — the borrower's credit record and capacity to pay;
- ``purpose`` — what the loan is for and how large it is relative to income;
- ``macro`` — the economic environment at origination;
- ``underwriting`` — what the platform decided: its credit policy, income verification, its
  pricing beyond FICO, and the vintage.

Examples
--------
>>> nested_rhs()["credit"].startswith("fico + dti")
True
>>> rhs([])
'1'
>>> len(subset_rhs())
16
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import patsy

from overdue.models.design import formula_variables

OUTCOME = "defaulted"

FAMILIES: dict[str, tuple[str, ...]] = {
    # Grade and interest rate are left out of the credit family on purpose: within a vintage they
    # are step functions of the platform's sub-grade, which is itself driven by FICO, so beside
    # FICO they would be near-collinear and would steal FICO's effect. What the platform's grade
    # adds beyond FICO is measured by `grade_gap` in the underwriting family.
    "credit": (
        "fico",
        "dti",
        "log_income",
        "revol_util",
        "inq_last_6mths",
        "delinq_2yrs",
        "pub_rec",
        "credit_history_years",
        "open_acc",
        # `emp_years` is NaN when the borrower gave no employment length; the missing-indicator
        # method (fill 0, add `emp_missing`) keeps those loans, and `emp_missing` then measures
        # "no employment length" against "less than a year".
        "I(emp_years.fillna(0))",
        "emp_missing",
        # Renting against owning or mortgaged: a binary contrast because the raw
        # `home_ownership` has levels (NONE, OTHER) with a handful of loans, which separate.
        "I(home_ownership == 'RENT')",
    ),
    "purpose": (
        # Refinancing (debt consolidation, credit card) is the bulk of the book and the natural
        # reference: the contrasts read as "consumption / business loans against refinancing".
        "C(purpose_group, Treatment('refinancing'))",
        # 60-month loans are a different product (longer exposure, chosen by riskier borrowers).
        "C(term)",
        # Size relative to income rather than `loan_amnt`: with `log_income` in the credit family
        # the amount itself would mostly re-measure income; `installment_to_income` is left out
        # because within a term it is nearly proportional to `loan_to_income`.
        "loan_to_income",
    ),
    "macro": (
        # The state's unemployment level and its 12-month change vary across states within a
        # month, so they are identified by cross-section as well as by time.
        "state_unemp",
        "state_unemp_change_12m",
        # The national cycle: realised growth and the yield curve's forward-looking slope. Left
        # out: the fed funds rate (0.1–0.2 % from 2009 on, where ~90 % of the loans were issued,
        # so it is identified by the 2007–08 vintages alone; VIF ≈ 9 beside GDP growth and the
        # vintage dummies on the 2007–2011 book), national unemployment (the average of the state
        # rates already in) and the NBER recession flag (a step version of GDP growth that
        # coincides with the 2008–09 vintages). Measured on the 2007–2011 book, the terms kept
        # here have (generalised) VIF below 9 in the full model.
        "gdp_growth_yoy",
        "term_spread",
    ),
    "underwriting": (
        # Loans issued outside the platform's credit policy (the "Does not meet the credit policy"
        # statuses).
        "meets_policy",
        # Verified or source-verified income against not verified.
        "income_verified",
        # Platform pricing beyond FICO: the platform's grade minus the grade FICO alone suggests.
        # `int_rate` is not added beside it: within a vintage the rate is a step function of
        # sub-grade, so with FICO, `grade_gap` and the vintage in the model it is near-collinear.
        "grade_gap",
        # Vintage: looser or tighter years of the platform's underwriting (it also absorbs what
        # the national cycle does not, which is why the national macro terms are kept few).
        "C(issue_year)",
    ),
}

# Credit first (the lender's baseline model), then what the loan is for, then the environment it
# was issued into, and last what the platform added beyond all of that.
NESTED_ORDER: tuple[str, ...] = ("credit", "purpose", "macro", "underwriting")

# Columns whose post-cutoff values cannot be scored by a model fitted before the cutoff: a vintage
# not yet observed has no estimated effect, so out-of-time scoring carries the latest one forward.
VINTAGE_COLUMNS: tuple[str, ...] = ("issue_year", "issue_quarter")


def _check_families(
    families: Iterable[str], family_terms: Mapping[str, Sequence[str]]
) -> list[str]:
    chosen = list(families)
    unknown = [name for name in chosen if name not in family_terms]
    if unknown:
        raise ValueError(f"unknown factor family {unknown}; known: {list(family_terms)}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"factor families repeated in {chosen}")
    return chosen


def rhs(
    families: Iterable[str] = NESTED_ORDER,
    exclude: Iterable[str] = (),
    family_terms: Mapping[str, Sequence[str]] = FAMILIES,
) -> str:
    """Right-hand side with the terms of the given families (``"1"`` when there are none),
    leaving out terms that mention a column in ``exclude`` (e.g. the strata of a stratified Cox).

    Parameters
    ----------
    families : iterable of str
        Family names, keys of ``family_terms``; their terms are joined in this order.
    exclude : iterable of str
        Columns whose terms are left out.
    family_terms : mapping of str to sequence of str
        Terms of each family; defaults to :data:`FAMILIES`.

    Examples
    --------
    >>> rhs(["macro"])
    'state_unemp + state_unemp_change_12m + gdp_growth_yoy + term_spread'
    >>> rhs(["purpose"], exclude=["term"])
    "C(purpose_group, Treatment('refinancing')) + loan_to_income"
    """
    excluded = set(exclude)
    terms = [
        term
        for name in _check_families(families, family_terms)
        for term in family_terms[name]
        if not (formula_variables(term) & excluded)
    ]
    return " + ".join(terms) if terms else "1"


def nested_rhs(
    order: Sequence[str] = NESTED_ORDER,
    family_terms: Mapping[str, Sequence[str]] = FAMILIES,
    exclude: Iterable[str] = (),
) -> dict[str, str]:
    """The nested sequence of models, adding one family at a time.

    Returns
    -------
    dict of str to str
        Ordered ``{"credit": rhs, "credit+purpose": rhs, ...}``; each name lists the families
        in the model.

    Examples
    --------
    >>> list(nested_rhs())
    ['credit', 'credit+purpose', 'credit+purpose+macro', 'credit+purpose+macro+underwriting']
    """
    order = _check_families(order, family_terms)
    return {
        "+".join(order[: k + 1]): rhs(order[: k + 1], exclude, family_terms)
        for k in range(len(order))
    }


def subset_rhs(family_terms: Mapping[str, Sequence[str]] = FAMILIES) -> dict[frozenset[str], str]:
    """A right-hand side for every subset of families, the empty one being ``"1"``.

    Examples
    --------
    >>> subset_rhs()[frozenset()]
    '1'
    """
    names = list(family_terms)
    return {
        frozenset(subset): rhs(subset, family_terms=family_terms)
        for size in range(len(names) + 1)
        for subset in combinations(names, size)
    }


def complete_cases(
    df: pd.DataFrame, rhs_list: str | Iterable[str], columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Rows on which every right-hand side can be evaluated and ``columns`` are not missing.

    Nested comparisons (likelihood-ratio tests, pseudo-R² shares) are only meaningful on one common
    sample; this selects it. Missingness is judged on the evaluated terms, so a term that fills its
    own gaps (``I(emp_years.fillna(0))``) does not drop the rows it fills.

    Parameters
    ----------
    df : pandas.DataFrame
        Data with a unique index.
    rhs_list : str or iterable of str
        Right-hand sides that will be fitted on the result.
    columns : sequence of str
        Further columns that must be present (the duration of a survival model …).

    Returns
    -------
    pandas.DataFrame
        The rows of ``df`` complete for all of them; ``attrs["dropped"]`` holds the number removed.

    Examples
    --------
    >>> frame = pd.DataFrame({"defaulted": [0, 1, 0], "fico": [700.0, None, 650.0]})
    >>> complete_cases(frame, "fico").attrs["dropped"]
    1
    """
    if not df.index.is_unique:
        raise ValueError("data frame index must be unique to select complete cases")
    keep = np.ones(len(df), dtype=bool)
    if len(columns):
        keep &= df[list(columns)].notna().all(axis=1).to_numpy()
    for one_rhs in [rhs_list] if isinstance(rhs_list, str) else rhs_list:
        if not formula_variables(one_rhs):
            continue  # an intercept-only model needs no column (patsy would build one row)
        try:
            design = patsy.dmatrix(one_rhs, df, NA_action="drop", return_type="dataframe")
        except patsy.PatsyError as err:
            raise ValueError(f"cannot evaluate {one_rhs!r} on the data: {err}") from err
        keep &= df.index.isin(design.index)
    selected = df.loc[keep].copy()
    selected.attrs["dropped"] = int((~keep).sum())
    return selected


#: The discrete-time hazard on the loan-month panel: the loan's credit record, purpose and
#: underwriting at issue (columns the panel carries, see ``PANEL_CARRY`` in features/outcomes.py)
#: plus the state's unemployment in each month on book. The vintage enters as issue-year dummies
#: so that unemployment's effect is identified by its movement over the loan's life and across
#: states, not by the mix of vintages.
HAZARD_TERMS: tuple[str, ...] = (
    "fico",
    "dti",
    "log_income",
    "revol_util",
    "inq_last_6mths",
    "C(purpose_group, Treatment('refinancing'))",
    "C(term)",
    "loan_to_income",
    "meets_policy",
    "income_verified",
    "C(issue_year)",
    "state_unemp_tv",
)


def usable_terms(frame: pd.DataFrame, terms: Iterable[str]) -> list[str]:
    """The terms whose columns are all in ``frame`` with at least two distinct values.

    A loan file of one's own may lack columns (no revolving utilisation, one vintage, no unverified
    incomes); their terms cannot be estimated, so the models go on without them.

    Examples
    --------
    >>> usable_terms(pd.DataFrame({"fico": [700, 720], "dti": [None, None]}), ["fico", "dti", "C(term)"])
    ['fico']
    """

    def usable(term):
        columns = formula_variables(term)
        return all(c in frame.columns and frame[c].nunique(dropna=True) >= 2 for c in columns)

    return [term for term in terms if usable(term)]


def usable_families(
    frame: pd.DataFrame, family_terms: Mapping[str, Sequence[str]] = FAMILIES
) -> dict[str, tuple[str, ...]]:
    """:data:`FAMILIES` restricted to the terms ``frame`` can support; empty families dropped.

    Examples
    --------
    >>> list(usable_families(pd.DataFrame({"fico": [700, 720], "state_unemp": [5.0, 6.0]})))
    ['credit', 'macro']
    """
    kept = {name: tuple(usable_terms(frame, terms)) for name, terms in family_terms.items()}
    return {name: terms for name, terms in kept.items() if terms}


@dataclass(frozen=True)
class ModelSample:
    """The loans a set of models is fitted on, and the right-hand sides they fit.

    Attributes
    ----------
    data : pandas.DataFrame
        The complete cases: rows on which every term (and the required columns) is present.
    families : dict of str to tuple of str
        The families used and their terms, restricted to what the data support.
    rhs : str
        Right-hand side of all those families together.
    nested : dict of str to str
        The nested sequence (one family added at a time), name -> right-hand side.
    dropped : int
        Rows left out for missing values.
    left_out : dict of str to list of str
        Terms of each family the data cannot support (absent or constant columns).
    """

    data: pd.DataFrame
    families: dict[str, tuple[str, ...]]
    rhs: str
    nested: dict[str, str]
    dropped: int
    left_out: dict[str, list[str]]

    @property
    def first(self) -> str:
        """Name of the first model of the nested sequence (the first family alone)."""
        return next(iter(self.nested))

    @property
    def full(self) -> str:
        """Name of the last model of the nested sequence (every family)."""
        return list(self.nested)[-1]


def model_sample(
    frame: pd.DataFrame,
    families: Sequence[str] | None = None,
    *,
    exclude: Iterable[str] = (),
    columns: Sequence[str] = (),
    family_terms: Mapping[str, Sequence[str]] = FAMILIES,
) -> ModelSample:
    """The complete-case sample and right-hand sides of some families, in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        Features (or panel) with a unique index.
    families : sequence of str, optional
        Families to use, in order of entry; default all of ``family_terms``. Families the data
        cannot support at all are left out.
    exclude : iterable of str
        Columns whose terms are left out (a Cox model's strata).
    columns : sequence of str
        Columns that must also be complete (a survival model's duration).
    family_terms : mapping of str to sequence of str
        Terms of each family; default :data:`FAMILIES`.

    Examples
    --------
    >>> frame = pd.DataFrame({"fico": [700.0, 720, None, 680], "dti": [10.0, 12, 9, 30],
    ...                       "defaulted": [0, 1, 0, 1]})
    >>> sample = model_sample(frame, family_terms={"credit": ["fico", "dti"], "macro": ["state_unemp"]})
    >>> sample.rhs, len(sample.data), sample.left_out
    ('fico + dti', 3, {'credit': [], 'macro': ['state_unemp']})
    >>> sample.first, sample.full
    ('credit', 'credit')
    """
    usable = usable_families(frame, family_terms)
    chosen = list(family_terms) if families is None else _check_families(families, family_terms)
    kept = {name: usable[name] for name in chosen if name in usable}
    nested = nested_rhs(list(kept), kept, exclude) if kept else {}
    full = rhs(list(kept), exclude, kept)
    data = complete_cases(frame, [full], columns)
    left_out = {
        name: [term for term in family_terms[name] if term not in usable.get(name, ())]
        for name in chosen
    }
    return ModelSample(data, kept, full, nested, data.attrs["dropped"], left_out)
