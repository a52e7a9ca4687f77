"""The remedies page's models judged out of time: the comparison table (KS equal to scipy's, the
paired DeLong test), calibration before and after recalibration, PSI by period by hand, the
split of a logit's drift by term, and the profit curve by hand; the whole comparison twice gives
byte-identical tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from overdue.models.assessment import auc_delong, compare_auc_delong
from overdue.models.comparison import (
    calibration_by_decile,
    compare_scores,
    fit_out_of_time_models,
    intercept_gap,
)
from overdue.models.logit import fit_logit
from overdue.models.policy import best_cutoffs, profit_curve, realised_profit
from overdue.models.stability import psi_by_period, quarter_of, shift_contributions


def scored(n: int = 5000, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(1.8 - x))).astype(int)
    return y, {
        "logit": 1 / (1 + np.exp(1.8 - x)),
        "noisy": 1 / (1 + np.exp(1.8 - x - rng.normal(0, 1, n))),
        "tied": np.round(1 / (1 + np.exp(1.8 - x)), 2),
    }


def test_comparison_table_matches_its_parts():
    y, probabilities = scored()
    table = compare_scores(y, probabilities, reference="logit")
    for name, p in probabilities.items():
        ks = stats.ks_2samp(p[y == 1], p[y == 0]).statistic
        assert table.loc[name, "ks"] == pytest.approx(ks, abs=1e-12)
        assert table.loc[name, "auc"] == auc_delong(y, p).auc
        assert table.loc[name, "brier"] == pytest.approx(np.mean((p - y) ** 2), abs=1e-15)
    test = compare_auc_delong(y, probabilities["noisy"], probabilities["logit"])
    assert table.loc["noisy", "delta_auc"] == test.estimate
    assert table.loc["noisy", "delong_p"] == test.p < 0.001
    assert table.loc["logit", "delta_auc"] == 0 and math.isnan(table.loc["logit", "delong_p"])
    with pytest.raises(ValueError, match="reference model"):
        compare_scores(y, probabilities, reference="nowhere")


def test_calibration_before_and_after_and_the_intercept_gap():
    y, probabilities = scored(seed=1)
    low = {"logit": probabilities["logit"] * 0.6}  # predicts 40 % too few defaults
    gap = intercept_gap(y, low["logit"])
    shifted = 1 / (1 + np.exp(-(np.log(low["logit"] / (1 - low["logit"])) + gap)))
    assert shifted.sum() == pytest.approx(y.sum(), rel=1e-10)
    assert gap > 0
    groups, tests = calibration_by_decile(y, low, {"logit": probabilities["logit"]})
    assert len(groups) == 20 and set(groups["stage"]) == {"as fitted", "recalibrated"}
    assert (
        tests.loc[("logit", "recalibrated"), "hl_p"]
        > 0.01
        > tests.loc[("logit", "as fitted"), "hl_p"]
    )
    assert tests.loc[("logit", "as fitted"), "hl_df"] == 10  # out of sample: as many as groups


def test_psi_by_period_by_hand():
    development = pd.DataFrame({"c": ["a", "a", "b", "b"]})
    later = pd.DataFrame({"c": ["a", "b", "b", "b", "a", "a", "b", "b"],
                          "period": ["2011Q1"] * 4 + ["2011Q2"] * 4})  # fmt: skip
    table = psi_by_period(development, later, ["c"], period="period").set_index("period")
    # 2011Q1: shares 1/4, 3/4 against 1/2, 1/2; 2011Q2 the same as development.
    by_hand = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert table.loc["2011Q1", "psi"] == pytest.approx(by_hand, abs=1e-12)
    assert table.loc["2011Q1", "status"] == "shifted"
    assert table.loc["2011Q2", "psi"] == pytest.approx(0.0, abs=1e-12)
    assert table.loc["2011Q2", "status"] == "stable"
    assert quarter_of(pd.to_datetime(["2011-03-01", "2011-04-01"])).tolist() == [
        "2011Q1",
        "2011Q2",
    ]


def test_shift_contributions_split_the_change_of_the_mean_log_odds():
    rng = np.random.default_rng(4)
    n = 6000
    development = pd.DataFrame({"x": rng.normal(0, 1, n), "g": rng.choice(["a", "b"], n),
                                "issue_year": rng.choice([2009, 2010], n)})  # fmt: skip
    risk = -2 + 0.8 * development["x"] + 0.5 * (development["g"] == "b")
    development["defaulted"] = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    fit = fit_logit(development, "x + C(g) + C(issue_year)")
    # Later loans: x moved down by one, g unchanged, an unseen vintage; they default as before
    # their x moved, so the model under-predicts by about 0.8 on the log-odds scale.
    later = development.assign(x=development["x"] - 1, issue_year=2011)
    table = shift_contributions(fit, development, later)
    assert table.loc["X", "all"] == pytest.approx(-fit.params["x"], rel=1e-10)
    assert table.loc["G", "all"] == pytest.approx(0.0, abs=1e-12)
    # The unseen vintage took the latest one: 2010's share rose from about a half to all.
    share_2010 = (development["issue_year"] == 2010).mean()
    assert table.loc["Vintage", "all"] == pytest.approx(
        fit.params["C(issue_year)[T.2010]"] * (1 - share_2010), rel=1e-10
    )
    terms = table.drop(index=["predicted_change", "needed_shift"])
    assert table.loc["predicted_change", "all"] == pytest.approx(terms["all"].sum(), abs=1e-12)
    assert table.loc["needed_shift", "all"] == pytest.approx(0.8, abs=0.1)
    assert table.index[0] == "X"  # largest contribution first


def test_realised_profit_and_the_profit_curve_by_hand():
    profit = realised_profit([1000.0, 500.0, 800.0, 1000.0, 600.0],
                             [1150.0, 560.0, 300.0, 1100.0, 100.0],
                             [0.0, np.nan, 30.0, 0.0, 10.0])  # fmt: skip
    assert profit.tolist() == [150.0, 60.0, -530.0, 100.0, -510.0]
    y = [0, 0, 1, 0, 1]
    score = [0.05, 0.10, 0.30, 0.10, 0.50]  # two loans tie at 0.10
    curve = profit_curve(y, score, profit, [0.2, 0.4, 0.6, 0.8, 1.0], n_boot=0)
    # The tie is approved together: 40 % asks for two loans and gets three.
    assert curve["approved"].tolist() == [1, 3, 3, 4, 5]
    assert curve["total_profit"].tolist() == [150.0, 310.0, 310.0, -220.0, -730.0]
    assert curve.loc[1.0, "total_profit"] == profit.sum()  # approving all: what was earned
    assert curve.loc[0.6, "vs_approve_all"] == pytest.approx(1040.0)
    assert curve["default_rate"].tolist() == pytest.approx([0, 0, 0, 0.25, 0.4])
    best = best_cutoffs(curve, min_approved_share=0.7)
    assert best.loc["profit-maximising", "share"] == 0.4
    assert best.loc["default-minimising", "approved_share"] == 0.8


def test_profit_bands_are_seeded_and_cover_the_estimate():
    rng = np.random.default_rng(9)
    n = 3000
    score = rng.uniform(0, 0.5, n)
    y = (rng.random(n) < score).astype(int)
    profit = np.where(y == 1, -rng.uniform(2000, 6000, n), rng.uniform(200, 1500, n))
    first = profit_curve(y, score, profit, n_boot=100, seed=3)
    second = profit_curve(y, score, profit, n_boot=100, seed=3)
    pd.testing.assert_frame_equal(first, second)
    assert (first["total_ci_lower"] <= first["total_profit"]).all()
    assert (first["total_profit"] <= first["total_ci_upper"]).all()
    assert (first["per_loan_ci_lower"] <= first["profit_per_loan"]).all()
    assert len(first) == 20 and first.index[-1] == 1.0
    # Declining the riskiest loans pays here: the best cut-off approves fewer than all.
    assert first["total_profit"].idxmax() < 1.0


def simulated_book(n: int = 6000, seed: int = 21) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.period_range("2009-01", "2011-12", freq="M")
    loans = pd.DataFrame(
        {
            "fico": rng.normal(700, 35, n).round(),
            "dti": rng.uniform(0, 30, n),
            "purpose_group": rng.choice(["refinancing", "consumption", "business"], n),
            "issue_d": months[rng.integers(0, len(months), n)].to_timestamp(),
            "addr_state": rng.choice(["CA", "NY", "TX", "FL"], n),
        }
    )
    risk = -1.8 - (loans["fico"] - 700) / 30 + 0.03 * (loans["dti"] - 15)
    loans["defaulted"] = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    return loans


def test_out_of_time_models_are_scored_alike_and_twice_the_same():
    loans = simulated_book()
    kwargs = dict(cutoff="2010-12", grid=[{"num_leaves": 4}], seed=5)
    models = fit_out_of_time_models(loans, "fico + dti + C(purpose_group)",
                                    ["fico", "dti", "purpose_group"], **kwargs)  # fmt: skip
    assert models.names == ["logit", "scorecard", "boosting"]
    later = loans[loans["issue_d"] > "2010-12-01"]
    assert len(models.y) == len(later) == len(models.probabilities["boosting"])
    assert models.holdout_months[1] == "2010-12"
    assert len(models.holdout_y) == len(models.holdout_probabilities["scorecard"])
    for name in models.names:
        assert models.recalibrated[name].shape == models.probabilities[name].shape
    table = compare_scores(models.y, models.probabilities, reference="logit")
    assert (table["auc"] > 0.75).all()  # FICO separates these loans well, for every model
    again = fit_out_of_time_models(loans, "fico + dti + C(purpose_group)",
                                   ["fico", "dti", "purpose_group"], **kwargs)  # fmt: skip
    again_table = compare_scores(again.y, again.probabilities, reference="logit")
    csv = table.to_csv(float_format="%.10g", lineterminator="\n")
    assert csv == again_table.to_csv(float_format="%.10g", lineterminator="\n")
    groups = calibration_by_decile(models.y, models.probabilities, models.recalibrated)[0]
    again_groups = calibration_by_decile(again.y, again.probabilities, again.recalibrated)[0]
    assert groups.to_csv() == again_groups.to_csv()


def test_drift_drivers_and_calibration_by_period():
    from overdue.models.comparison import calibration_by_period
    from overdue.models.stability import drift_drivers, psi_summary

    y, probabilities = scored(seed=2)
    period = np.where(np.arange(len(y)) % 2, "2011Q1", "2011Q2")
    low = probabilities["logit"] * 0.7
    table = calibration_by_period(y, {"low": low}, period)
    first = period == "2011Q1"
    assert table.loc[("low", "2011Q1"), "needed_shift"] == intercept_gap(y[first], low[first])
    assert table.loc[("low", "2011Q1"), "observed_rate"] == y[first].mean()
    long = pd.DataFrame({"column": ["x", "x", "z", "z"], "label": ["X", "X", "Z", "Z"],
                         "family": ["macro", "macro", "credit", "credit"],
                         "period": ["2011Q1", "2011Q2"] * 2, "psi": [0.3, 0.4, 0.15, 0.2]})  # fmt: skip
    psi = psi_summary(long)
    assert psi.loc["x", "max_psi"] == 0.4 and psi.index.tolist() == ["x", "z"]
    contributions = pd.DataFrame(
        {"family": ["macro", "credit", "", ""], "2011Q1": [-0.3, 0.1, -0.2, 0.3],
         "2011Q2": [-0.2, 0.1, -0.1, 0.2]},
        index=["X", "Z", "predicted_change", "needed_shift"],
    )  # fmt: skip
    drivers = drift_drivers(contributions, psi)
    # X shifted and pushed predictions down while the loans needed them up; Z pushed them up.
    assert drivers.loc["X", "against_drift"] and not drivers.loc["Z", "against_drift"]
    assert drivers.loc["X", "contribution"] == pytest.approx(-0.25)
    assert drivers.index[0] == "X"
