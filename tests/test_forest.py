"""Forest plots (plots.forest): labelled rows in reported units, a plain log ratio axis, the
interval level from alpha and the ratio name from the fit."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from overdue import plots  # noqa: E402
from overdue.models.labels import has_formula_syntax  # noqa: E402
from overdue.models.result import FitResult, tidy_summary  # noqa: E402

TERMS = [
    "Intercept",
    "fico",
    "C(purpose_group, Treatment('refinancing'))[T.business]",
    "I(emp_years.fillna(0))",
    "C(issue_year)[T.2009]",
]


def fit(alpha=0.05, model="cox", link=None):
    summary = tidy_summary(
        TERMS, [-2.0, -0.011, 0.9, 0.02, -0.3], [0.3, 0.002, 0.2, 0.01, 0.2], alpha
    )
    return FitResult(model, summary, n=900, events=120, converged=True, alpha=alpha, link=link)


def test_rows_are_labelled_in_reported_units():
    ax = plots.forest(fit(), data={"issue_year": [2007, 2009]})
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "FICO score, per 50 points",  # by family of causes: credit, purpose, underwriting
        "Employment length, per year",
        "Purpose: business (vs refinancing)",
        "Vintage: 2009 (vs 2007)",
    ]
    assert not any(has_formula_syntax(label) for label in labels)
    # The point of the FICO row is the hazard ratio per 50 points.
    points = ax.lines[0].get_xdata()
    assert points[0] == pytest.approx(np.exp(-0.011 * 50))


def test_log_axis_with_plain_ticks_the_level_and_the_ratio_name():
    ax = plots.forest(fit(alpha=0.1, model="hazard_logit", link="logit"))
    assert ax.get_xscale() == "log"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) >= 3 and all(re.fullmatch(r"\d+(\.\d+)?", t) for t in ticks)  # not 10^0
    assert ax.get_xlabel() == "odds ratio (90% CI)"
    assert plots.forest(fit(model="fine_gray")).get_xlabel() == (
        "subdistribution hazard ratio (95% CI)"
    )


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (0.4, 3.0, [0.5, 1, 2]),
        (0.85, 1.3, [0.9, 1, 1.2]),
        (0.05, 30, [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]),
    ],
)
def test_ratio_ticks(low, high, expected):
    assert plots._forest_ticks(low, high) == expected
