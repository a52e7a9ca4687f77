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


# ----------------------------------------------------------------------------------------------
# which vintage points are drawn
# ----------------------------------------------------------------------------------------------


def test_vintage_points_are_drawn_only_where_the_whole_vintage_is_observed(open_book):
    curves = descriptive.vintage_curves(open_book, snapshot="2013-06-01", min_observed=1)
    youngest_age = (
        open_book.assign(
            age=(2013 - open_book["issue_d"].dt.year) * 12 + 6 - open_book["issue_d"].dt.month
        )
        .groupby("issue_year")["age"]
        .min()
    )
    for vintage, curve in curves.groupby("issue_year"):
        drawn = curve.loc[curve["drawn"], "month_on_book"]
        # drawn exactly up to the age of the vintage's last-issued loan, each point a share of
        # the whole vintage
        assert drawn.max() == min(youngest_age[vintage], curve["month_on_book"].max())
        assert (curve.loc[curve["drawn"], "n_observed"] == curve["vintage_size"].iloc[0]).all()
        assert not curve.loc[~curve["drawn"], "observed_share"].ge(1).any()


def test_vintage_min_share_and_min_observed(open_book):
    partial = descriptive.vintage_curves(open_book, snapshot="2013-06-01", min_share=0.5)
    rows = partial[partial["drawn"]]
    assert rows["observed_share"].ge(0.5).all() and rows["n_observed"].ge(50).all()
    whole = descriptive.vintage_curves(open_book, snapshot="2013-06-01")
    assert partial["drawn"].sum() > whole["drawn"].sum()  # a looser rule draws further
    none = descriptive.vintage_curves(open_book, snapshot="2013-06-01", min_observed=10_000)
    assert not none["drawn"].any()
    with pytest.raises(ValueError, match="min_share must be in"):
        descriptive.vintage_curves(open_book, snapshot="2013-06-01", min_share=0)


def test_vintage_curves_on_a_closed_book_are_drawn_to_the_last_month_everyone_reached():
    """The artefact this rule removes: the late vintage's few long-observed loans bend it."""
    loans = pd.DataFrame(
        {
            "issue_year": [2011] * 4,
            "issue_d": pd.to_datetime(["2011-01-01", "2011-01-01", "2011-12-01", "2011-12-01"]),
            "time": [36, 14, 36, 30],
            "defaulted": [0, 1, 0, 1],
        }
    )  # snapshot 2014-12: the December loans are observed for 36 months, the January ones 47
    curves = descriptive.vintage_curves(loans, max_month=47, min_observed=1)
    assert curves.loc[curves["drawn"], "month_on_book"].max() == 36
    # beyond month 36 the share would be the January loans' alone
    assert curves.set_index("month_on_book").loc[40, "cum_default_share"] == 0.5


# ----------------------------------------------------------------------------------------------
# raw and adjusted comparisons
# ----------------------------------------------------------------------------------------------


def confounded_book(n: int = 20_000, seed: int = 3) -> pd.DataFrame:
    """A band whose raw effect reverses: 'low' loans are mostly of a riskier old vintage, and
    'high' carries a true log hazard ratio of 0.3 at the same vintage."""
    rng = np.random.default_rng(seed)
    old = rng.uniform(size=n) < 0.4
    band = np.where(rng.uniform(size=n) < np.where(old, 0.85, 0.15), "low", "high")
    rate = 0.01 * np.exp(1.0 * old + 0.3 * (band == "high"))
    latent = np.ceil(rng.exponential(1 / rate))
    return pd.DataFrame(
        {
            "band": band,
            "level": np.where(band == "low", 5.0, 10.0),
            "vintage": np.where(old, 2008, 2011),
            "state": rng.choice([f"S{k}" for k in range(45)], size=n),
            "time": np.minimum(latent, 36),
            "defaulted": (latent <= 36).astype(int),
        }
    )


def test_raw_and_adjusted_recovers_the_effect_a_vintage_mix_hides():
    loans = confounded_book()
    table = descriptive.raw_and_adjusted(
        loans,
        "band",
        {"raw": "", "vintage": "C(vintage)"},
        order_by="level",
        cluster="state",
    ).set_index(["model", "level"])
    assert table.loc[("raw", "high"), "hazard_ratio"] < 1  # raw: the high band looks safer
    adjusted = table.loc[("vintage", "high")]
    assert adjusted["ci_lower"] < np.exp(0.3) < adjusted["ci_upper"]
    assert table.loc[("vintage", "low"), "hazard_ratio"] == 1.0
    assert table["reference"].eq("low").all()
    assert table.loc[("raw", "high"), "n"] == int((loans["band"] == "high").sum())


def test_raw_and_adjusted_raw_row_is_the_unadjusted_cox_fit():
    from overdue.models.cox import fit_cox

    loans = confounded_book(3000)
    table = descriptive.raw_and_adjusted(loans, "band", {"raw": ""}, reference="low")
    direct = fit_cox(loans.assign(high=(loans["band"] == "high") * 1.0), ["high"])
    assert table.set_index("level").loc["high", "hazard_ratio"] == pytest.approx(
        float(direct.summary.loc["high", "exp_estimate"]), rel=1e-12
    )
    with pytest.raises(ValueError, match="reference level 'mid'"):
        descriptive.raw_and_adjusted(loans, "band", {"raw": ""}, reference="mid")


def test_composition_rows_sum_to_one_in_the_stated_order():
    loans = confounded_book(2000)
    shares = descriptive.composition(loans, "band", by="vintage", order_by="level")
    assert shares.index.tolist() == ["low", "high"]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert shares.loc["low", 2008] > shares.loc["high", 2008]
