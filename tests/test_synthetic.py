"""Synthetic loans: canonical and valid, outcomes read back exactly, and the true hazards recovered."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from overdue.data.schemas import LOAN_COLUMNS, validate_loans
from overdue.features.build import compute_features, make_context
from overdue.features.outcomes import build_panel
from overdue.models.hazard import fit_discrete_hazard
from overdue.synthetic import (
    CauseHazard,
    SyntheticDesign,
    read_truth,
    synthetic_loans,
    truth_of,
    write_synthetic,
)


def toy_macro(states=("CA", "TX")) -> pd.DataFrame:
    """State unemployment that rises and falls (so it is not collinear with time on book)."""
    months = pd.date_range("2005-01-01", "2018-12-01", freq="MS")
    cycle = 6 + 3 * np.sin(np.arange(len(months)) / 9)
    frames = [
        pd.DataFrame({"addr_state": s, "month": months, "state_unemp": cycle + i})
        for i, s in enumerate(states)
    ]
    macro = pd.concat(frames, ignore_index=True)
    macro = macro.assign(
        national_unemp=6.0,
        gdp_growth_yoy=0.02,
        fed_funds=0.25,
        term_spread=2.5,
        recession=0.0,
        addr_state=macro["addr_state"].astype("string"),
    )
    return macro


@pytest.fixture(scope="module")
def toy_sample():
    return synthetic_loans(4000, seed=11, macro=toy_macro(), state_shares={"CA": 0.7, "TX": 0.3})


def test_loans_are_canonical_and_valid(toy_sample):
    loans = toy_sample.loans
    assert list(loans.columns) == list(LOAN_COLUMNS)
    assert loans.dtypes.astype(str).to_dict() == LOAN_COLUMNS
    validate_loans(loans, "synthetic")
    assert loans["id"].is_unique
    assert set(loans["term"]) == {36, 60}
    assert loans.loc[loans["issue_d"] < "2010-05-01", "term"].eq(36).all()
    assert loans["issue_d"].between("2007-06-01", "2011-12-01").all()
    assert (loans["fico_range_high"] - loans["fico_range_low"]).eq(4).all()
    # Loans outside the credit policy are flagged in their status, as LendingClub did.
    outside = ~loans["meets_policy"]
    assert outside.sum() > 0
    assert (
        loans.loc[outside, "loan_status"].str.startswith("Does not meet the credit policy").all()
    )
    assert not loans.loc[~outside, "loan_status"].str.startswith("Does not").any()


def test_feature_code_recovers_simulated_events_exactly(toy_sample):
    loans, events = toy_sample.loans, toy_sample.events
    features = compute_features(loans, make_context(loans, toy_macro(), "toy"))
    assert features["id"].tolist() == events["id"].tolist()
    assert features["event"].tolist() == events["event"].tolist()
    assert features["time"].tolist() == events["time"].tolist()
    counts = events["event"].value_counts()
    assert counts[1] > 300 and counts[2] > 1000 and counts[0] > 1000
    never_paid = (events["event"] == 1) & (events["time"] == 1)
    assert never_paid.any() and loans.loc[never_paid, "last_pymnt_d"].isna().all()
    assert loans["last_pymnt_d"].isna().sum() == never_paid.sum()
    # Prepayments happen before the last scheduled month; censoring is always at term.
    prepaid = events["event"] == 2
    assert (events.loc[prepaid, "time"] < loans.loc[prepaid, "term"]).all()
    assert (
        events.loc[events["event"] == 0, "time"] == loans.loc[events["event"] == 0, "term"]
    ).all()


def test_seeded_and_partitioned_like_in_memory(tmp_path):
    macro, shares = toy_macro(), {"CA": 1.0, "TX": 1.0}
    whole = synthetic_loans(600, seed=5, macro=macro, state_shares=shares)
    again = synthetic_loans(600, seed=5, macro=macro, state_shares=shares)
    pd.testing.assert_frame_equal(whole.loans, again.loans)
    assert not synthetic_loans(600, seed=6, macro=macro, state_shares=shares).loans.equals(
        whole.loans
    )

    truth = write_synthetic(
        1500, tmp_path / "book", seed=5, macro=macro, partition_size=600, state_shares=shares
    )
    files = sorted((tmp_path / "book" / "loans").glob("*.parquet"))
    assert [f.name for f in files] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    first = pd.read_parquet(files[0])
    pd.testing.assert_frame_equal(first, whole.loans)  # partition 0 = the in-memory sample
    book = pd.read_parquet(tmp_path / "book" / "loans")
    events = pd.read_parquet(tmp_path / "book" / "events")
    assert len(book) == len(events) == 1500 and book["id"].is_unique
    assert book["id"].tolist() == events["id"].tolist() == [str(i) for i in range(1, 1501)]
    assert not pd.read_parquet(files[1])[["fico_range_low", "dti"]].equals(
        first[["fico_range_low", "dti"]].iloc[:600]
    )
    assert (
        read_truth(tmp_path / "book")
        == truth
        == json.loads((tmp_path / "book" / "truth.json").read_text())
    )
    assert truth["partitions"] == 3 and truth["n_loans"] == 1500
    with pytest.raises(ValueError, match="not empty"):
        write_synthetic(10, tmp_path / "book", seed=1, macro=macro, state_shares=shares)


def test_truth_is_stated_in_feature_names():
    truth = truth_of(SyntheticDesign())
    coefficients = truth["default"]["coefficients"]
    assert list(coefficients)[:2] == ["Intercept", "baseline[7-12]"]
    assert (
        coefficients["purpose_group[T.business]"] == 0.55
        and coefficients["state_unemp_tv"] == 0.08
    )
    # The baseline is stated for the reference borrower: its monthly hazard in band 1 is 0.0036.
    reference = truth["reference"]
    eta = coefficients["Intercept"] + sum(coefficients[t] * v for t, v in reference.items())
    assert -np.expm1(-np.exp(eta)) == pytest.approx(
        truth["default"]["baseline_hazard"]["1-6"], rel=1e-12
    )
    assert set(truth["prepayment"]["coefficients"]) == set(coefficients)


def test_bad_input_is_named():
    macro = toy_macro()
    with pytest.raises(ValueError, match="state_unemp.*NY"):
        synthetic_loans(10, seed=1, macro=macro, state_shares={"CA": 1.0, "NY": 1.0})
    with pytest.raises(ValueError, match="state_unemp.*CA in 2004-06"):
        synthetic_loans(
            10,
            seed=1,
            macro=macro,
            state_shares={"CA": 1.0},
            design=SyntheticDesign(issue_start="2005-06", issue_end="2006-06"),
        )
    with pytest.raises(ValueError, match="unknown term.*grade"):
        SyntheticDesign(default=CauseHazard(baseline=(0.01,) * 10, effects={"grade": 1.0}))
    with pytest.raises(ValueError, match="needs 10 bands"):
        SyntheticDesign(default=CauseHazard(baseline=(0.01,) * 3, effects={}))
    with pytest.raises(ValueError, match="n must be"):
        synthetic_loans(0, seed=1, macro=macro, state_shares={"CA": 1.0})
    with pytest.raises(ValueError, match="macro panel has no column 'state_unemp'"):
        synthetic_loans(10, seed=1, macro=macro.drop(columns="state_unemp"))


def fit_cause(panel: pd.DataFrame, truth: dict, cause: str):
    """The banded cloglog hazard of one cause on its rows of the panel (see the module docstring
    of overdue.synthetic for which rows), with its true coefficients beside the estimates."""
    if cause == "default":
        rows, event = panel, "event_default"
    else:
        rows, event = (
            panel[(panel["event_default"] == 0) & (panel["month_on_book"] < panel["term"])],
            "event_prepaid",
        )
    options = dict(
        event=event,
        baseline_form="bands",
        band_months=truth["band_months"],
        categories=truth["categories"],
        max_month=60,
    )
    true = pd.Series(truth[cause]["coefficients"])
    # The binomial cloglog log-likelihood is concave, so starting at the truth only saves
    # iterations: the maximum is the same from any start. A one-iteration fit on a few rows
    # gives the design's column order.
    order = fit_discrete_hazard(
        rows.iloc[:20_000], truth["formula_rhs"], max_iter=1, cluster=None, **options
    ).summary.index
    # A tolerance far below the standard errors (relative ~1e-2) is all a check against the truth needs.
    fit = fit_discrete_hazard(
        rows, truth["formula_rhs"], start_params=true[order].to_numpy(), tol=1e-7, **options
    )
    return fit, fit.summary.join(true.rename("truth"))


@pytest.fixture(scope="module")
def real_panel(real_macro):
    """20,000 synthetic loans on the real FRED state unemployment, and their loan-month panel."""
    sample = synthetic_loans(20_000, seed=2024, macro=real_macro)
    context = make_context(sample.loans, real_macro, "fred")
    features = compute_features(sample.loans, context)
    return sample, features, build_panel(features, context)


def test_real_macro_outcomes_and_panel(real_panel):
    sample, features, panel = real_panel
    assert (features["event"].to_numpy() == sample.events["event"].to_numpy()).all()
    assert (features["time"].to_numpy() == sample.events["time"].to_numpy()).all()
    assert len(panel) == features["time"].sum()
    assert panel["event_default"].sum() == (sample.events["event"] == 1).sum()
    # A book like LendingClub's 2007–2011 one: about 14% default, half prepay.
    shares = sample.events["event"].value_counts(normalize=True)
    assert 0.10 < shares[1] < 0.18 and 0.40 < shares[2] < 0.60


@pytest.mark.parametrize("cause", ["default", "prepayment"])
def test_true_hazard_recovered(real_panel, cause):
    """Every true coefficient lies in its 95% confidence interval, the 19 intervals of a cause
    taken simultaneously (Bonferroni); and jointly, the Wald distance of the estimates from the
    truth is below its chi-squared 95% point.

    Marginal 95% intervals are each right (see the coverage study below), but all 19 cover at
    once in only about 40% of samples (0.95**19); in 25 replications 10 seeds had all default
    coefficients covered and 2 had all 38. A fixed-seed test on them would pass or fail by the
    choice of seed, so it uses the simultaneous intervals and the slow study checks coverage.
    """
    sample, _, panel = real_panel
    fit, table = fit_cause(panel, sample.truth, cause)
    assert fit.converged and not fit.warnings
    assert table["truth"].notna().all() and len(table) == 19
    critical = stats.norm.ppf(1 - 0.05 / (2 * len(table)))
    z = (table["estimate"] - table["truth"]) / table["se"]
    assert (z.abs() < critical).all(), (
        f"true {cause} coefficients outside their 95% CI:\n{z[z.abs() >= critical]}"
    )
    difference = (table["estimate"] - table["truth"]).to_numpy()
    wald = difference @ np.linalg.solve(
        fit.cov.loc[table.index, table.index].to_numpy(), difference
    )
    assert wald < stats.chi2.ppf(0.95, len(table))
    # And not trivially: the main effects are estimated precisely enough to be told from zero.
    assert (table.loc[["fico", "log_income", "state_unemp_tv"], "p"] < 1e-3).all()


@pytest.mark.slow
def test_ci_coverage_over_replications(real_macro):
    """Each marginal 95% CI covers its true coefficient in about 95% of replications
    (25 x 20,000 loans, 38 coefficients each; about two minutes)."""
    z_scores = []
    for seed in range(25):
        sample = synthetic_loans(20_000, seed=seed, macro=real_macro)
        context = make_context(sample.loans, real_macro, "fred")
        panel = build_panel(compute_features(sample.loans, context), context)
        for cause in ("default", "prepayment"):
            _, table = fit_cause(panel, sample.truth, cause)
            z_scores.append((table["estimate"] - table["truth"]) / table["se"])
    z = pd.concat(z_scores)
    coverage = (z.abs() < stats.norm.ppf(0.975)).mean()
    assert 0.93 < coverage < 0.97, f"coverage {coverage:.3f} over {len(z)} intervals"
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1
