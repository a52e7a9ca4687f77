"""The report's plan, in one place: which of the four questions each page answers, each section's
key figure, and which pages read other pages' outputs (so the runner starts them after those).

The questions are those of the shared design (``../shared/DESIGN.md``). A new page joins the
report by adding its notebook's name to the ``pages`` of its question below (and, if it reads
other pages' numbers or figures, to :data:`NEEDS`); a page the plan does not place still runs
and is listed on the index under "Pages not yet placed under a question", never dropped.

Examples
--------
>>> [question.key for question in QUESTIONS]
['moves', 'causes', 'impacts', 'remedies']
>>> question_of("04_survival").title
'Causes'
>>> start_after("06_summary", ["00_data", "03_logit", "06_summary"])
['00_data', '03_logit']
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FirstLook:
    """A part of a page placed under another question than the page's own (e.g. the approval
    cut-off of the causes page is a first look at remedies).

    Attributes
    ----------
    page : str
        The notebook's name (``05_causes``).
    anchor : str
        The id of the heading the link goes to (nbconvert's: the heading's words joined by ``-``).
    text : str
        The link's text.
    headlines : str
        Regular expression: the page's headlines it matches are shown under this question instead
        of the page's own.
    """

    page: str
    anchor: str
    text: str
    headlines: str


@dataclass(frozen=True)
class Question:
    """One of the four questions and the pages that answer it.

    Attributes
    ----------
    key : str
        Short id (the index's anchor: ``index.html#causes``).
    title, asks : str
        The question's name and what it asks, as the shared design words them.
    pages : tuple of str
        Notebooks answering it, in reading order.
    key_figures : tuple of str
        Figures (``figures/<name>.png``), best first: the index shows the first the run holds,
        the summary page every one it holds.
    pending : str
        What the section says while none of its pages is in the run.
    first_looks : tuple of FirstLook
        Parts of other questions' pages that touch this one.
    """

    key: str
    title: str
    asks: str
    pages: tuple[str, ...] = ()
    key_figures: tuple[str, ...] = ()
    pending: str = ""
    first_looks: tuple[FirstLook, ...] = ()


QUESTIONS: tuple[Question, ...] = (
    Question(
        key="moves",
        title="What overdue is and how it moves",
        asks="How often payments are missed, how delinquency rolls forward (1 → 2 → 3+ months "
        "past due → default) or cures, and how that changes by vintage.",
        pages=("00_data", "01_features", "02_descriptive", "07_dynamics"),
        # Vintage curves say how overdue moves in a loan file (one without payment dates has only
        # default rates); the transition matrix says it in a delinquency panel.
        key_figures=(
            "02_descriptive_vintage_curves",
            "07_dynamics_transition_matrix",
            "02_descriptive_default_rates",
        ),
        pending="No page of this run describes the loans yet.",
    ),
    Question(
        key="causes",
        title="Causes",
        asks="Credit risk (FICO, grade, DTI, income, delinquencies, inquiries, utilisation, "
        "history length); the economic environment (the state's unemployment month by month, the "
        "cycle); loan purpose (consumption, refinancing, business); platform underwriting (loans "
        "outside the credit policy, unverified income, generous credit lines, pricing).",
        pages=("03_logit", "04_survival", "05_causes"),
        # The attribution answers "how much each family explains" in one picture.
        key_figures=("05_causes_shapley", "04_survival_forest_cox", "03_logit_forest_full"),
        pending="No page of this run models the causes yet.",
    ),
    Question(
        key="impacts",
        title="Impacts",
        asks="On the borrower (late fees, the credit score after overdue), on the lender and its "
        "investors (exposure at default, recoveries, loss given default, realised return), and "
        "what collection and repayment plans recover.",
        pages=("08_impacts",),
        key_figures=("08_impacts_lgd_and_returns", "08_impacts_credit_score_change"),
        pending="No page of this run answers this yet.",
    ),
    Question(
        key="remedies",
        title="Remedies",
        asks="How much better risk assessment (scorecards, machine learning, stability "
        "monitoring) would have done, and at what cost in approvals and profit.",
        pages=("09_remedies",),
        key_figures=("09_remedies_profit_curve", "09_remedies_psi"),
        pending="No page of this run answers this yet.",
        first_looks=(
            FirstLook(
                page="05_causes",
                anchor="A-stricter-approval-cut-off",
                text="A stricter approval cut-off (on the causes page)",
                headlines=r"(?i)\bapprov",
            ),
        ),
    ),
)

#: The summary page: it reads every other page's numbers and figures.
SUMMARY = "06_summary"

#: Every other page of the run (a value of :data:`NEEDS`).
ALL = "all"

#: Pages that read other pages' outputs, and which: the runner starts them only after those
#: finished. Every other page may run concurrently with any other.
NEEDS: dict[str, str | tuple[str, ...]] = {
    SUMMARY: ALL,
    # The remedies page sets SHAP beside the causes page's Shapley shares.
    "09_remedies": ("05_causes",),
}


def question_of(page: str) -> Question | None:
    """The question whose ``pages`` hold ``page`` (None for the summary and unplaced pages)."""
    return next((q for q in QUESTIONS if page in q.pages), None)


def start_after(page: str, pages) -> list[str]:
    """The pages of a run (``pages``) that ``page`` must wait for, in run order."""
    needs = NEEDS.get(page, ())
    if needs == ALL:
        return [other for other in pages if other != page]
    return [other for other in pages if other in needs]


def unplaced(pages) -> list[str]:
    """Pages of a run that no question holds (the summary excepted)."""
    return [p for p in pages if p != SUMMARY and question_of(p) is None]


def findings_by_question(numbers: dict[str, dict]) -> list[tuple[Question | None, list]]:
    """Each page's recorded headlines, placed under its question.

    Parameters
    ----------
    numbers : dict
        What each page recorded, by page (:func:`overdue.report.collected_numbers`).

    Returns
    -------
    list of (Question or None, list of (page, headline))
        One entry per question, in order, then ``(None, …)`` for the headlines of pages the plan
        does not place (present only when there are some). A headline a :class:`FirstLook`
        matches goes under that first look's question instead of the page's own.

    Examples
    --------
    >>> found = findings_by_question({"05_causes": {"headline": ["Shares …", "Approving …"]}})
    >>> [(q.key, lines) for q, lines in found if lines]
    [('causes', [('05_causes', 'Shares …')]), ('remedies', [('05_causes', 'Approving …')])]
    """
    placed: dict[str | None, list] = {q.key: [] for q in QUESTIONS}
    others: list = []
    for page, recorded in numbers.items():
        if page == SUMMARY:
            continue  # it gathers the others' findings
        for line in recorded.get("headline", []) or []:
            line = str(line)
            target = next(
                (
                    q.key
                    for q in QUESTIONS
                    for look in q.first_looks
                    if look.page == page and re.search(look.headlines, line)
                ),
                None,
            )
            own = question_of(page)
            if target is None and own is not None:
                target = own.key
            (placed[target] if target else others).append((page, line))
    found = [(q, placed[q.key]) for q in QUESTIONS]
    return found + [(None, others)] if others else found
