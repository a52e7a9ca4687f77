"""Time to first overdue (overdue.models.first_overdue): the person-period rows by hand, known
truth (a seeded simulation of a logit hazard with a fixed and a lagged time-varying covariate),
statsmodels' GLM and Logit on the same rows, and the Taiwan card file's counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import special

from overdue.models.first_overdue import (
    EVENT,
    TIME,
    first_overdue_periods,
    first_overdue_sample,
    first_overdue_table,
    fit_first_overdue,
    labelled_first_overdue,
)
from overdue.models.labels import has_formula_syntax


def _features(paths: dict[str, list], start: str = "2005-04") -> pd.DataFrame:
    """Account-months from MPD paths (an int, or "closed" / "default" with no MPD); the
    utilisation is 0.1 x the month's position, the credit line 1,000 in the first month and
    2,000 after (so the test sees which month each covariate comes from)."""
    rows = []
    for account, path in paths.items():
        for t, state in enumerate(path):
            mpd = state if isinstance(state, int) else None
            if isinstance(state, str):
                bucket = state
            else:
                bucket = "current" if state == 0 else "3+" if state >= 3 else str(state)
            rows.append(
                {
                    "account_id": account,
                    "month": (pd.Period(start, "M") + t).to_timestamp(),
                    "bucket": bucket,
                    "mpd": mpd,
                    "utilisation": 0.1 * t,
                    "log_credit_line": np.log(1000.0 if t == 0 else 2000.0),
                }
            )
    frame = pd.DataFrame(rows)
    frame["mpd"] = frame["mpd"].astype("Int64")
    return frame


PATHS = {
    "a": [0, 0, 2, 0],  # at risk in months 1 and 2, overdue in 2; its cure is after the event
    "b": [1, 0, 0],  # overdue when first seen: left-censored
    "c": [0, 0, 0],  # never overdue: censored at the end after 2 months at risk
    "d": [0, "closed", "closed"],  # closes the month after: never at risk
    "e": [0, 0, "default"],  # a default counts as overdue
    "f": [0],  # a single month: never at risk
    "g": [0, 3, 3],  # overdue in its first month at risk
    "h": [0, 0, "closed"],  # at risk one month, then censored at closure
}


def test_person_periods_by_hand():
    periods, counts = first_overdue_periods(_features(PATHS))
    assert counts == {
        "accounts": 8,
        "left_censored": 1,
        "at_risk": 5,
        "events": 3,
        "censored_closed": 1,
        "censored_end": 1,
        "not_at_risk": 2,
        "periods": 8,
    }
    by_account = periods.groupby("account_id")
    assert by_account.size().to_dict() == {"a": 2, "c": 2, "e": 2, "g": 1, "h": 1}
    assert by_account[EVENT].sum().to_dict() == {"a": 1, "c": 0, "e": 1, "g": 1, "h": 0}
    assert periods[TIME].tolist() == [1, 2, 1, 2, 1, 2, 1, 1]
    assert periods.loc[periods["account_id"] == "a", "month"].dt.strftime("%Y-%m").tolist() == [
        "2005-05",
        "2005-06",
    ]
    # The event is the last row of an account; covariates are known before the month: the
    # utilisation the month before, the credit line the first month's.
    assert (periods.groupby("account_id")[EVENT].apply(lambda e: e.iloc[:-1].sum()) == 0).all()
    np.testing.assert_allclose(periods["utilisation"], 0.1 * (periods[TIME] - 1))
    np.testing.assert_allclose(periods["log_credit_line"], np.log(1000.0))
    assert periods.loc[periods[EVENT] == 1, "mpd"].tolist() == [2, pd.NA, 3]
    table = first_overdue_table(periods)
    assert table[["month", "at_risk", "events"]].values.tolist() == [
        ["2005-05", 5, 1],
        ["2005-06", 3, 2],
    ]
    np.testing.assert_allclose(table["never_overdue"], [4 / 5, 4 / 5 * 1 / 3])


def test_serious_overdue_keeps_accounts_at_one_and_two_months_at_risk():
    periods, counts = first_overdue_periods(_features(PATHS), threshold=3)
    assert counts["left_censored"] == 0  # b is 1 month past due: not serious
    assert periods.loc[periods["account_id"] == "a", EVENT].tolist() == [0, 0, 0]
    assert periods.loc[periods["account_id"] == "b", TIME].tolist() == [1, 2]
    assert counts["events"] == 2  # e's default and g's 3 months past due


def test_bad_panels_are_named():
    features = _features({"a": [0, 0, 0]})
    with pytest.raises(ValueError, match="consecutive"):
        first_overdue_periods(features.drop(index=1))
    with pytest.raises(ValueError, match="threshold"):
        first_overdue_periods(features, threshold=0)
    with pytest.raises(ValueError, match="'mpd'"):
        first_overdue_periods(features.drop(columns="mpd"))
    periods, _ = first_overdue_periods(features)
    with pytest.raises(ValueError, match="lacks"):
        first_overdue_sample(periods, "nowhere")


# ------------------------------------------------------------------------------ known truth

B_X, B_Z, MONTHS = -0.6, 0.8, 7
ALPHA = np.array([-3.0, -2.7, -2.5, -2.6, -2.2, -2.0])  # months at risk 1 .. 6


def simulate(n_accounts: int = 8000, seed: int = 7) -> tuple[pd.DataFrame, int]:
    """Account-months of a panel with a known hazard of first overdue.

    ``x`` is what the account is at the start (it drifts afterwards, so only its first value
    may be used); ``z`` varies month by month (AR(1)); in month at risk t the account first goes
    overdue with probability ``expit(ALPHA[t] + B_X x_start + B_Z z_{t-1})``. A share depending
    on ``x`` is overdue when first seen (left-censored); after the first overdue the path goes
    on at random (cures included), which the rows must ignore."""
    rng = np.random.default_rng(seed)
    rows = []
    left = 0
    for account in range(n_accounts):
        x0 = rng.normal()
        x = x0 + np.concatenate([[0.0], np.cumsum(rng.normal(0, 0.5, MONTHS - 1))])
        z = np.empty(MONTHS)
        z[0] = rng.normal()
        for t in range(1, MONTHS):
            z[t] = 0.6 * z[t - 1] + rng.normal(0, 0.8)
        mpd = np.zeros(MONTHS, dtype=int)
        if rng.random() < special.expit(-2.5 + 0.5 * x0):
            mpd[0] = rng.integers(1, 4)
            left += 1
        else:
            for t in range(1, MONTHS):
                if rng.random() < special.expit(ALPHA[t - 1] + B_X * x0 + B_Z * z[t - 1]):
                    mpd[t] = rng.integers(1, 3)
                    mpd[t + 1 :] = rng.integers(0, 4, MONTHS - t - 1)
                    break
        for t in range(MONTHS):
            rows.append((f"A{account:05d}", t, mpd[t], x[t], z[t]))
    frame = pd.DataFrame(rows, columns=["account_id", "t", "mpd", "x", "z"])
    frame["month"] = pd.Timestamp("2020-01-01") + frame["t"].map(lambda t: pd.DateOffset(months=t))
    frame["bucket"] = np.where(
        frame["mpd"] == 0, "current", frame["mpd"].clip(upper=3).astype(str)
    )
    frame["bucket"] = frame["bucket"].replace("3", "3+")
    return frame.drop(columns="t"), left


@pytest.fixture(scope="module")
def simulated():
    features, left = simulate()
    periods, counts = first_overdue_periods(features, at_start=("x",))
    return periods, counts, left


def test_left_censored_accounts_are_left_out_and_counted(simulated):
    periods, counts, left = simulated
    assert counts["left_censored"] == left > 500
    assert counts["at_risk"] == counts["accounts"] - left == periods["account_id"].nunique()
    assert counts["events"] == periods[EVENT].sum() > 2000


def test_the_fit_recovers_the_simulated_hazard(simulated):
    periods = simulated[0]
    fit = fit_first_overdue(periods, "x + z", link="logit")
    assert fit.ok and fit.model == "hazard_logit" and fit.cov_type == "cluster"
    assert fit.n == len(periods) and fit.n_clusters == periods["account_id"].nunique()
    for term, truth in {"x": B_X, "z": B_Z}.items():
        row = fit.summary.loc[term]
        assert row["ci_lower"] < truth < row["ci_upper"], (term, row)
    baseline = fit.summary.loc[fit.extra["baseline_terms"]]
    truth = ALPHA[1:] - ALPHA[0]
    assert ((baseline["estimate"] - truth).abs() < 4 * baseline["se"]).all()
    assert (
        fit.summary.loc["Intercept", "ci_lower"]
        < ALPHA[0]
        < fit.summary.loc["Intercept", "ci_upper"]
    )


def test_the_previous_months_x_instead_of_the_starts_would_miss_the_truth():
    """Which month a covariate is taken from matters: x as it drifted (the previous month's)
    misses the truth, so the test above checks the construction, not only the fit."""
    features, _ = simulate()
    drifted, _ = first_overdue_periods(features, at_start=())
    fit = fit_first_overdue(drifted, "x + z", link="logit")
    assert not fit.summary.loc["x", "ci_lower"] < B_X < fit.summary.loc["x", "ci_upper"]


@pytest.mark.parametrize("link", ["logit", "cloglog"])
def test_equals_statsmodels_glm_on_the_person_periods(simulated, link):
    periods = simulated[0]
    groups = pd.factorize(periods["account_id"])[0]
    family = sm.families.Binomial(
        sm.families.links.Logit() if link == "logit" else sm.families.links.CLogLog()
    )
    reference = smf.glm(f"{EVENT} ~ C({TIME}) + x + z", periods, family=family).fit(
        tol=1e-13, cov_type="cluster", cov_kwds={"groups": groups}
    )
    fit = fit_first_overdue(periods, "x + z", link=link)
    names = {f"C({TIME})[T.{k}]": f"baseline[{k}]" for k in range(2, MONTHS)}
    np.testing.assert_allclose(fit.params, reference.params.rename(names), rtol=0, atol=1e-6)
    np.testing.assert_allclose(fit.summary["se"], reference.bse.rename(names), rtol=0, atol=1e-6)
    if link == "logit":  # and the plain Logit, an independent code path of statsmodels
        logit = smf.logit(f"{EVENT} ~ C({TIME}) + x + z", periods).fit(
            disp=False, cov_type="cluster", cov_kwds={"groups": groups}
        )
        np.testing.assert_allclose(fit.params, logit.params.rename(names), rtol=0, atol=1e-6)
        np.testing.assert_allclose(fit.summary["se"], logit.bse.rename(names), rtol=0, atol=1e-6)


def test_a_dropped_first_month_moves_the_reference_and_the_labels_say_so(simulated):
    periods = simulated[0].copy()
    periods.loc[periods[TIME] == 1, "z"] = np.nan  # as the payment ratio in the first month
    sample, dropped = first_overdue_sample(periods, "x + z")
    assert dropped == {1: int((periods[TIME] == 1).sum())}
    fit = fit_first_overdue(sample, "x + z", link="logit")
    assert fit.extra["reference_month"] == {"month_at_risk": 2, "calendar": "2020-03"}
    assert fit.extra["baseline_months"]["baseline[2]"] == {
        "month_at_risk": 3,
        "calendar": "2020-04",
    }
    # The reference moved from month 1 to month 2: the others' contrasts move with it.
    truth = ALPHA[2:] - ALPHA[1]
    baseline = fit.summary.loc[fit.extra["baseline_terms"]]
    assert ((baseline["estimate"] - truth).abs() < 4 * baseline["se"]).all()
    table = labelled_first_overdue(fit, sample)
    assert table.loc["baseline[2]", "label"] == "Month: April 2020 (vs March 2020)"
    assert not table["label"].map(has_formula_syntax).any()


def test_accounts_first_seen_in_different_months_read_by_month_at_risk():
    early = _features({"a": [0, 0, 1], "b": [0, 0, 0]}, start="2005-04")
    late = _features({"c": [0, 0, 0], "d": [0, 1]}, start="2005-05")
    periods, _ = first_overdue_periods(pd.concat([early, late], ignore_index=True))
    fit = fit_first_overdue(periods, "1", link="logit")
    assert fit.extra["baseline_months"]["baseline[2]"] == {"month_at_risk": 2, "calendar": None}
    table = labelled_first_overdue(fit)
    assert table.loc["baseline[2]", "label"] == "Month at risk 2 (vs 1)"


def test_taiwan_first_overdue(raw_dir):
    from overdue.data.taiwan import read_taiwan
    from overdue.features.accounts import account_features

    panel, accounts = read_taiwan(raw_dir / "taiwan" / "UCI_Credit_Card.csv")
    periods, counts = first_overdue_periods(account_features(panel, accounts))
    assert counts["accounts"] == 30_000 and counts["left_censored"] == 3_079
    assert counts["at_risk"] == 26_921 and counts["events"] == 6_990
    assert counts["censored_end"] == 19_931 and counts["censored_closed"] == 0
    table = first_overdue_table(periods)
    assert table["month"].tolist() == ["2005-05", "2005-06", "2005-07", "2005-08", "2005-09"]
    assert table["events"].tolist() == [862, 1_234, 1_371, 1_154, 2_369]
    assert table["at_risk"].iloc[0] == 26_921
    assert table["never_overdue"].iloc[-1] == pytest.approx(19_931 / 26_921)
    assert periods["payment_ratio"][periods[TIME] == 1].isna().all()  # April has no bill before
