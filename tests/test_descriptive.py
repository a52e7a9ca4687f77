"""Tests of overdue.models.descriptive: Wilson intervals against R's prop.test and statsmodels,
default rates by group, and vintage curves against a brute-force count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from overdue.models import descriptive

REFERENCE = Path(__file__).parent / "reference" / "logit"


def test_wilson_matches_r_prop_test():
    reference = pd.read_csv(REFERENCE / "wilson.csv")
    lower, upper = descriptive.wilson_interval(reference["x"], reference["n"])
    np.testing.assert_allclose(lower, reference["lower"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(upper, reference["upper"], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_wilson_matches_statsmodels(alpha):
    events = np.array([0, 1, 3, 25, 40, 99, 100])
    n = np.array([5, 100, 7, 300, 41, 100, 100])
    lower, upper = descriptive.wilson_interval(events, n, alpha)
    reference_lower, reference_upper = proportion_confint(events, n, alpha, method="wilson")
    np.testing.assert_allclose(lower, reference_lower, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(upper, reference_upper, rtol=1e-10, atol=1e-14)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="0 <= events <= n"):
        descriptive.wilson_interval([5], [4])
    with pytest.raises(ValueError, match="n > 0"):
        descriptive.wilson_interval([0], [0])


def test_default_rates_by_group_keeps_missing_groups():
    loans = pd.DataFrame(
        {
            "purpose_group": ["refinancing"] * 6 + ["business"] * 3 + [None],
            "term": [36, 36, 60, 36, 60, 36, 36, 60, 60, 36],
            "defaulted": [0, 1, 0, 0, 1, 0, 1, 1, 0, 1],
        }
    )
    rates = descriptive.default_rates(loans, "purpose_group")
    assert rates["n"].sum() == 10  # the loan without a purpose is its own group
    assert rates.loc["refinancing", ["n", "events"]].tolist() == [6, 2]
    assert rates.loc["business", "rate"] == pytest.approx(2 / 3)
    lower, upper = proportion_confint(2, 6, method="wilson")
    assert rates.loc["refinancing", "ci_lower"] == pytest.approx(lower)
    assert rates.loc["refinancing", "ci_upper"] == pytest.approx(upper)
    two_way = descriptive.default_rates(loans, ["purpose_group", "term"])
    assert two_way.loc[("refinancing", 60), ["n", "events"]].tolist() == [2, 1]
    overall = descriptive.default_rates(loans)
    assert overall.loc["all", ["n", "events"]].tolist() == [10, 5]


@pytest.mark.parametrize(
    "frame, by, message",
    [
        (pd.DataFrame({"grade": ["A"], "defaulted": [2]}), "grade", "'defaulted' must be 0/1"),
        (
            pd.DataFrame({"grade": ["A"], "defaulted": [1]}),
            "sub_grade",
            "column 'sub_grade' not found",
        ),
        (pd.DataFrame({"grade": ["A"], "defaulted": [np.nan]}), "grade", "1 missing"),
    ],
)
def test_default_rates_bad_input(frame, by, message):
    with pytest.raises(ValueError, match=message):
        descriptive.default_rates(frame, by)


def brute_force_curve(loans: pd.DataFrame, snapshot: pd.Timestamp, vintage, month: int):
    """Count, loan by loan, who is observed at ``month`` and who defaulted by then."""
    observed = defaults = 0
    for _, loan in loans[loans["issue_year"] == vintage].iterrows():
        age = (snapshot.year - loan.issue_d.year) * 12 + snapshot.month - loan.issue_d.month
        if age >= month:
            observed += 1
            defaults += int(loan.defaulted == 1 and loan.time <= month)
    return observed, defaults


@pytest.fixture(scope="module")
def open_book() -> pd.DataFrame:
    """Loans of 2010–2012 observed until 2013-06: the 2012 vintage is still young."""
    rng = np.random.default_rng(21)
    n = 400
    issue = pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, n), "D")
    issue = issue.to_period("M").to_timestamp()
    snapshot = pd.Timestamp("2013-06-01")
    age = (snapshot.year - issue.year) * 12 + snapshot.month - issue.month
    default_month = rng.integers(1, 40, n)
    prepay_month = rng.integers(1, 60, n)
    defaulted = (default_month < prepay_month) & (default_month <= np.minimum(age, 36))
    time = np.where(
        defaulted, default_month, np.minimum.reduce([prepay_month, age, np.full(n, 36)])
    )
    return pd.DataFrame(
        {
            "issue_d": issue,
            "issue_year": issue.year,
            "time": time,
            "defaulted": defaulted.astype(int),
        }
    )


def test_vintage_curves_match_brute_force_count(open_book):
    snapshot = pd.Timestamp("2013-06-01")
    curves = descriptive.vintage_curves(open_book, snapshot=snapshot).set_index(
        ["issue_year", "month_on_book"]
    )
    for vintage, month in [(2010, 1), (2010, 12), (2010, 36), (2011, 20), (2012, 5), (2012, 17)]:
        observed, defaults = brute_force_curve(open_book, snapshot, vintage, month)
        row = curves.loc[(vintage, month)]
        assert (row["n_observed"], row["defaults"]) == (observed, defaults), (vintage, month)
        assert row["cum_default_share"] == pytest.approx(defaults / observed)
    young = curves.loc[2012]
    assert young["n_observed"].is_monotonic_decreasing and young["n_observed"].iloc[-1] > 0
    assert young.index.max() < 36  # no 2012 loan has reached month 36 by mid-2013


def test_vintage_denominator_ignores_outcomes_when_every_loan_has_ended():
    loans = pd.DataFrame(
        {
            "issue_year": [2009] * 5,
            "issue_d": pd.to_datetime(["2009-03-01"] * 5),
            "time": [2, 10, 36, 4, 36],
            "defaulted": [1, 1, 0, 0, 0],
        }
    )  # the 4-month loan prepaid
    curves = descriptive.vintage_curves(loans).set_index("month_on_book")
    assert (curves["n_observed"] == 5).all()  # prepaid loans stay in the denominator
    assert curves.loc[[1, 2, 9, 10, 36], "cum_default_share"].tolist() == [0, 0.2, 0.2, 0.4, 0.4]
    assert curves["vintage_size"].eq(5).all()


def test_vintage_curves_bad_input(open_book):
    with pytest.raises(ValueError, match="runs past the snapshot"):
        descriptive.vintage_curves(open_book, snapshot="2011-01-01")
    with pytest.raises(ValueError, match="'time' must hold whole months"):
        descriptive.vintage_curves(open_book.assign(time=0))
    with pytest.raises(ValueError, match="column 'vintage' not found"):
        descriptive.vintage_curves(open_book, by="vintage")
