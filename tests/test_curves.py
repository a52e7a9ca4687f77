"""Honest curves: numbers at risk under Kaplan–Meier and cumulative-incidence figures, curves cut
where fewer than ``min_at_risk`` loans remain, vintage curves drawn only where the whole vintage
has been observed, and the beta(t) and raw-versus-adjusted figures.

Counts are checked against a direct count over the loans; figures by what their Axes hold.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from overdue import plots
from overdue.models.cox import cox_zph, fit_cox
from overdue.models.descriptive import vintage_curves
from overdue.models.incidence import cumulative_incidence
from overdue.models.survival_curves import kaplan_meier, numbers_at_risk, until_at_risk

matplotlib.use("Agg")

REFERENCE = Path(__file__).parent / "reference" / "survival"
TIMES = (0, 12, 24, 36, 48, 60)


@pytest.fixture(scope="module")
def fixture() -> pd.DataFrame:
    loans = pd.read_csv(REFERENCE / "fixture.csv")
    # competing events for the incidence curves: a prepayment code on some censored loans
    return loans.assign(event=np.where(loans["defaulted"] == 1, 1, (loans["id"] % 3 == 0) * 2))


@pytest.mark.parametrize("curve", ["km", "cif"])
def test_numbers_at_risk_count_the_loans_still_followed(fixture, curve):
    if curve == "km":
        table = kaplan_meier(fixture, by="purpose_group")
    else:
        table = cumulative_incidence(fixture, by="purpose_group")
    counts = numbers_at_risk(table, TIMES)
    for group, loans in fixture.groupby("purpose_group"):
        expected = [int((loans["time"] >= t).sum()) for t in TIMES]
        assert counts.loc[group].tolist() == expected, group
    assert counts.columns.tolist() == list(TIMES)


def test_until_at_risk_cuts_each_curve_at_min_at_risk(fixture):
    table = kaplan_meier(fixture, by="term")
    cut = until_at_risk(table, 100)
    for group, curve in cut.groupby("group"):
        full = table[table["group"] == group]
        assert curve["n_at_risk"].min() >= 100
        assert len(curve) == int((full["n_at_risk"] >= 100).sum())
        assert curve["time"].tolist() == full["time"].iloc[: len(curve)].tolist()  # a prefix
    with pytest.raises(ValueError, match="min_at_risk"):
        until_at_risk(table, -1)


def test_km_figure_carries_the_numbers_at_risk_and_stops_the_curves(fixture):
    table = kaplan_meier(fixture, by="purpose_group")
    ax = plots.km_curves(table, min_at_risk=50)
    texts = [t.get_text() for t in ax.texts]
    counts = numbers_at_risk(table, TIMES)
    assert texts[0] == "Number at risk"
    for group in counts.index:  # a row: the group's name, then its counts at each time
        at = texts.index(group)
        assert texts[at + 1 : at + 1 + len(TIMES)] == [f"{n:,}" for n in counts.loc[group]]
    for line in ax.get_lines():
        group = line.get_label()
        x = line.get_xdata()
        assert x[0] == 0 and line.get_ydata()[0] == 1.0  # from 1 at month 0
        last_kept = table[(table["group"] == group) & (table["n_at_risk"] >= 50)]["time"].max()
        assert x[-1] == last_kept  # and no further than 50 loans at risk
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "business",
        "consumption",
        "refinancing",
    ]


def test_cif_figure_starts_at_zero_and_orders_bands_as_they_read():
    loans = pd.DataFrame(
        {
            "time": np.tile(np.arange(1, 61), 4),
            "event": np.tile(np.r_[1, 2, 0, np.zeros(57, dtype=int)], 4),
            "band": np.repeat(["11%+", "7–9%", "<7%", "9–11%"], 60),
        }
    )
    ax = plots.cif_curves(cumulative_incidence(loans, by="band"), min_at_risk=0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["<7%", "7–9%", "9–11%", "11%+"]
    assert all(line.get_ydata()[0] == 0.0 for line in ax.get_lines())


def test_no_table_without_times(fixture):
    ax = plots.km_curves(kaplan_meier(fixture), at_risk_times=None)
    assert not ax.texts


def test_vintage_figure_draws_only_the_observed_points():
    loans = pd.DataFrame(
        {
            "issue_year": [2011] * 4,
            "issue_d": pd.to_datetime(["2011-01-01", "2011-01-01", "2011-12-01", "2011-12-01"]),
            "time": [36, 14, 36, 30],
            "defaulted": [0, 1, 0, 1],
        }
    )
    curves = vintage_curves(loans, max_month=47, min_observed=1)
    ax = plots.vintage_curves(curves)
    assert ax.lines[0].get_xdata().max() == 36


def test_beta_t_draws_the_smooth_band_and_constant():
    rng = np.random.default_rng(8)
    loans = pd.DataFrame({"x": rng.normal(size=1500)})
    latent = np.ceil(rng.exponential(30 * np.exp(-0.5 * loans["x"]))).astype(int)
    loans["time"], loans["defaulted"] = np.minimum(latent, 40), (latent <= 40).astype(int)
    fit = fit_cox(loans, ["x"])
    zph = cox_zph(fit)
    ax = plots.beta_t(zph, "x", max_time=36)
    smooth_line, constant, zero = ax.get_lines()
    assert constant.get_ydata()[0] == pytest.approx(float(fit.params["x"]))
    assert len(smooth_line.get_xdata()) == 40
    assert [t.get_text() for t in ax.get_xticklabels()] == ["6", "12", "24", "36"]
    axes = plots.beta_t_grid(zph, ["x"], labels={"x": "The x"})
    assert axes[0].get_title() == "The x"


def test_raw_and_adjusted_figure_marks_every_model():
    table = pd.DataFrame(
        {
            "model": ["raw"] * 3 + ["adjusted"] * 3,
            "level": ["<7%", "7–9%", "11%+"] * 2,
            "reference": "<7%",
            "hazard_ratio": [1.0, 0.7, 0.85, 1.0, 0.96, 1.18],
            "ci_lower": [np.nan, 0.6, 0.72, np.nan, 0.88, 1.09],
            "ci_upper": [np.nan, 0.83, 1.02, np.nan, 1.04, 1.29],
        }
    )
    ax = plots.raw_and_adjusted(table)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["raw", "adjusted"]
    assert ax.get_xlabel() == "hazard ratio vs <7% (95% CI)"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in labels and "0.7" in labels and all("^" not in label for label in labels)
