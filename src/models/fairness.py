"""Fair lending: what a decision model may not use, and whether its decisions fall unevenly.

Sex and marital status never enter a scorecard or a model used for a decision (the US Equal
Credit Opportunity Act, Regulation B, forbids both as grounds of a credit decision); the account
features keep them only as labelled controls of descriptive models (``family="control"`` in the
registry). :func:`check_decision_inputs` refuses a decision model that mentions them, and
:func:`adverse_impact` reports the approval rate of a rule by group with the *adverse impact
ratio* — each group's approval rate over that of the group approved most often; below 0.8 (the
"four-fifths rule" of the US Uniform Guidelines, 29 CFR 1607.4(D)) is the usual flag of
disparate impact.

Examples
--------
>>> check_decision_inputs(["fico", "dti"], "fico + dti")
>>> adverse_impact([True, True, False, True], ["f", "f", "m", "m"])["impact_ratio"].tolist()
[1.0, 0.5]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from overdue.models.design import formula_variables

__all__ = [
    "ACCOUNT_DECISION_FEATURES",
    "FOUR_FIFTHS",
    "PROTECTED",
    "adverse_impact",
    "approve_safest",
    "check_decision_inputs",
    "decision_rhs",
]

#: Attributes no decision model may use.
PROTECTED: tuple[str, ...] = ("sex", "marital_status", "marriage")

#: A group approved at under this share of the most-approved group's rate is flagged.
FOUR_FIFTHS = 0.8

#: What a lender may decide an account on, from the account features of a delinquency panel
#: (:mod:`overdue.features.accounts`), in the month the decision is made: the bucket and the
#: payment history (months delinquent, the worst status), how much of the line is used and how
#: much of the bill was paid, the line itself (the bank's own underwriting), age and education.
#: The bands of utilisation and credit line are left out: they re-cut columns already in.
ACCOUNT_DECISION_FEATURES: tuple[str, ...] = (
    "bucket",
    "months_delinquent",
    "worst_mpd",
    "utilisation",
    "payment_ratio",
    "log_credit_line",
    "age",
    "education",
)


def check_decision_inputs(features: Iterable[str], rhs: str | None = None) -> None:
    """Raise if a decision model's features or formula mention a protected attribute.

    Examples
    --------
    >>> check_decision_inputs(["age"], "age + C(sex)")
    Traceback (most recent call last):
    ...
    ValueError: a decision model may not use sex or marital status: found ['sex']
    """
    used = set(features) | (formula_variables(rhs) if rhs else set())
    found = sorted(used & set(PROTECTED))
    if found:
        raise ValueError(f"a decision model may not use sex or marital status: found {found}")


def decision_rhs(features: Sequence[str], frame: pd.DataFrame | None = None) -> str:
    """A logit's right-hand side over decision features: text columns as factors.

    Examples
    --------
    >>> decision_rhs(["age", "education"], pd.DataFrame({"age": [30.0], "education": ["university"]}))
    'age + C(education)'
    """
    check_decision_inputs(features)
    terms = []
    for name in features:
        categorical = frame is not None and not (
            pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name])
        )
        terms.append(f"C({name})" if categorical else name)
    return " + ".join(terms)


def adverse_impact(approved, group, alpha: float = 0.05) -> pd.DataFrame:
    """Approval rate by group and each group's adverse impact ratio.

    Parameters
    ----------
    approved : array-like of bool
        Whether the rule approves each applicant.
    group : array-like
        Each applicant's group (sex, say); missing values form no group.
    alpha : float
        1 - confidence level of the Wilson intervals of the rates.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, most approved first: ``applicants, approved, approval_rate,
        ci_lower, ci_upper, impact_ratio`` (the rate over the highest rate) and
        ``below_four_fifths``.
    """
    from overdue.models.descriptive import wilson_interval

    approved = np.asarray(approved, dtype=bool)
    group = pd.Series(np.asarray(group, dtype=object))
    if len(group) != len(approved):
        raise ValueError("approved and group must have one length")
    frame = pd.DataFrame({"group": group, "approved": approved}).dropna(subset=["group"])
    table = frame.groupby("group")["approved"].agg(applicants="size", approved="sum")
    table["approval_rate"] = table["approved"] / table["applicants"]
    table["ci_lower"], table["ci_upper"] = wilson_interval(
        table["approved"], table["applicants"], alpha
    )
    table["impact_ratio"] = table["approval_rate"] / table["approval_rate"].max()
    table["below_four_fifths"] = table["impact_ratio"] < FOUR_FIFTHS
    return table.sort_values("approval_rate", ascending=False, kind="stable")


def approve_safest(p, share: float) -> np.ndarray:
    """The rule that approves the ``share`` of applicants a score ranks safest: every applicant
    whose predicted default probability is at most that of the ``ceil(share n)``-th safest (tied
    scores are approved together, as in :func:`overdue.models.policy.profit_curve`).

    Examples
    --------
    >>> approve_safest([0.1, 0.4, 0.2, 0.2, 0.9], 0.5).tolist()
    [True, False, True, True, False]
    """
    p = np.asarray(p, dtype=float)
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    cutoff = np.sort(p)[max(int(np.ceil(share * len(p))), 1) - 1]
    return p <= cutoff
