"""Tests of counting-process Cox fits (fit_cox(entry=)) and overdue.models.time_varying:
episode splitting, the Cox model with effects by loan-age band, and the beta(t) smooth.

Three kinds of evidence:
* R's survival package — survSplit episodes, coxph on (tstart, time] data with band
  interactions (Efron and Breslow ties, strata, cluster by loan and by state, case weights),
  its cox.zph and plot.cox.zph's smooth, in tests/reference/survival/ written by
  make_split_reference.R from fixture.csv; compared to relative 1e-6;
* invariance — splitting loans without letting any effect vary leaves the partial
  likelihood, and so every estimate, variance, concordance and PH test, unchanged;
* known truth — a seeded simulation whose effect changes at month 12.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overdue.models.cox import cox_zph, fit_cox
from overdue.models.time_varying import (
    age_band_labels,
    age_band_table,
    age_effect_sentences,
    beta_smooth,
    fit_cox_by_age,
    labelled_age_bands,
    split_episodes,
)

REFERENCE = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6  # R agrees to ~1e-12; this leaves room for other BLAS builds
R_SPLIT_MODELS = {
    "dti_band": {
        "rhs": "fico + C(purpose_group) + dti:C(band)",
        "options": {"strata": "term", "cluster": "id"},
    },
    "dti_purpose_band": {
        "rhs": "fico + dti:C(band) + consumption:C(band) + refinancing:C(band)",
        "options": {"ties": "breslow", "cluster": "addr_state"},
    },
    "weighted": {
        "rhs": "fico + C(purpose_group) + dti:C(band)",
        "options": {"strata": "term", "cluster": "id", "weights": "weight"},
    },
}
#: The same models through fit_cox_by_age on the loans (R's band k is the k-th label).
BY_AGE_MODELS = {
    "dti_band": ("fico + C(purpose_group) + dti", ["dti"], {"strata": "term", "cluster": "id"}),
    "dti_purpose_band": (
        "fico + dti + C(purpose_group)",
        ["dti", "C(purpose_group)"],
        {"ties": "breslow", "cluster": "addr_state"},
    ),
    "weighted": (
        "fico + C(purpose_group) + dti",
        ["dti"],
        {"strata": "term", "cluster": "id", "weights": "weight"},
    ),
}
BANDS = age_band_labels([12, 24])


def r_key(name: str) -> str:
    """One spelling for R's and our coefficient names: the parts of an interaction sorted,
    patsy's 'C(band)[2]' and our 'age_band[13–24]' as R's 'band2', 'C(g)[T.x]' as 'gx'."""
    parts = []
    for part in name.split(":"):
        part = re.sub(r"^C\(band\)\[(\d)\]$", r"band\1", part)
        match = re.fullmatch(r"age_band\[(.+)\]", part)
        if match:
            part = f"band{BANDS.index(match.group(1)) + 1}"
        part = re.sub(r"^C\((\w+)\)\[T\.(\w+)\]$", r"\1\2", part)
        part = {"purpose_groupconsumption": "consumption"}.get(part, part)
        part = {"purpose_grouprefinancing": "refinancing"}.get(part, part)
        parts.append(part)
    return ":".join(sorted(parts))


@pytest.fixture(scope="module")
def fixture() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "fixture.csv")


@pytest.fixture(scope="module")
def r_split(fixture) -> pd.DataFrame:
    """R's survSplit episodes with the loans' covariates."""
    episodes = pd.read_csv(REFERENCE / "split_episodes.csv")
    covariates = fixture.drop(columns=["time", "defaulted"])
    episodes = episodes.merge(covariates, on="id", how="left", validate="many_to_one")
    episodes["consumption"] = (episodes["purpose_group"] == "consumption").astype(float)
    episodes["refinancing"] = (episodes["purpose_group"] == "refinancing").astype(float)
    return episodes


@pytest.fixture(scope="module")
def r_coef() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "split_coef.csv")


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_axis([r_key(t) for t in frame.index], axis=0)


# ----------------------------------------------------------------------------------------------
# episode splitting
# ----------------------------------------------------------------------------------------------


def test_split_episodes_matches_survsplit(fixture):
    ours = split_episodes(fixture, [12, 24])
    theirs = pd.read_csv(REFERENCE / "split_episodes.csv")
    assert len(ours) == len(theirs)
    assert ours["id"].tolist() == theirs["id"].tolist()
    for column in ["tstart", "time", "defaulted"]:
        assert ours[column].tolist() == theirs[column].tolist(), column
    assert (ours["age_band"].cat.codes + 1).tolist() == theirs["band"].tolist()
    assert list(ours["age_band"].cat.categories) == ["1–12", "13–24", "25+"]


def test_split_episodes_keeps_events_on_the_last_episode_only():
    loans = pd.DataFrame({"time": [12, 24, 25, 3], "event": [2, 1, 1, 0], "x": [1, 2, 3, 4]})
    episodes = split_episodes(loans, [12, 24], event="event")
    assert episodes["event"].tolist() == [2, 0, 1, 0, 0, 1, 0]
    assert episodes.groupby("x")["event"].sum().tolist() == [2, 1, 1, 0]
    assert (episodes["tstart"] < episodes["time"]).all()


def test_age_band_labels():
    assert age_band_labels([12, 24, 36]) == ["1–12", "13–24", "25–36", "37+"]
    assert age_band_labels([3]) == ["1–3", "4+"]


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda d: split_episodes(d, [24, 12]), "cuts must be increasing"),
        (lambda d: split_episodes(d, []), "cuts must be increasing"),
        (lambda d: split_episodes(d.assign(tstart=0), [12]), "'tstart' is already"),
        (lambda d: fit_cox(d, ["fico"], entry="weight"), "entry column 'weight' must be below"),
        (lambda d: fit_cox_by_age(d, "fico + dti", ["grade"]), "varying terms \\['grade'\\]"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(fixture, call, message):
    with pytest.raises(ValueError, match=message):
        call(fixture.assign(weight=fixture["time"] + 1.0))


# ----------------------------------------------------------------------------------------------
# counting-process Cox against R
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(R_SPLIT_MODELS))
def test_counting_process_cox_matches_r(r_split, r_coef, model):
    spec = R_SPLIT_MODELS[model]
    fit = fit_cox(r_split, spec["rhs"], entry="tstart", **spec["options"])
    expected = r_coef[r_coef["model"] == model].set_index("term")
    expected.index = [r_key(t) for t in expected.index]
    summary = keyed(fit.summary)
    assert sorted(summary.index) == sorted(expected.index)
    summary = summary.loc[expected.index]
    np.testing.assert_allclose(summary["estimate"], expected["estimate"], rtol=RTOL)
    np.testing.assert_allclose(summary["se"], expected["se"], rtol=RTOL)
    naive = np.sqrt(np.diag(keyed(keyed(fit.cov_nonrobust).T).loc[expected.index, expected.index]))
    np.testing.assert_allclose(naive, expected["naive_se"], rtol=RTOL)
    first = expected.iloc[0]
    assert fit.loglik == pytest.approx(first["loglik"], rel=RTOL)
    assert fit.loglik_null == pytest.approx(first["loglik_null"], rel=RTOL)
    assert fit.extra["score_test"].statistic == pytest.approx(first["score_test"], rel=RTOL)
    assert fit.extra["concordance"] == pytest.approx(first["concordance"], rel=RTOL)
    assert fit.cov_type == "cluster" and fit.extra["entry"] == "tstart"


@pytest.mark.parametrize("model", list(BY_AGE_MODELS))
def test_cox_by_age_matches_r(fixture, r_coef, model):
    rhs, varying, options = BY_AGE_MODELS[model]
    fit = fit_cox_by_age(fixture, rhs, varying, cuts=[12, 24], **options)
    expected = r_coef[r_coef["model"] == model].set_index("term")
    expected.index = [r_key(t) for t in expected.index]
    summary = keyed(fit.summary).loc[expected.index]
    np.testing.assert_allclose(summary["estimate"], expected["estimate"], rtol=RTOL)
    np.testing.assert_allclose(summary["se"], expected["se"], rtol=RTOL)
    assert fit.loglik == pytest.approx(expected["loglik"].iloc[0], rel=RTOL)
    assert fit.extra["concordance"] == pytest.approx(expected["concordance"].iloc[0], rel=RTOL)
    assert fit.n == 4544 and fit.extra["n_loans"] == len(fixture)
    assert fit.model == "cox_by_age" and fit.ratio_name == "hazard ratio"


@pytest.mark.parametrize("model", list(R_SPLIT_MODELS))
def test_cox_zph_of_a_counting_process_fit_matches_r(r_split, model):
    spec = R_SPLIT_MODELS[model]
    fit = fit_cox(r_split, spec["rhs"], entry="tstart", **spec["options"])
    table = keyed(cox_zph(fit, terms=False).table.drop(index="GLOBAL"))
    expected = pd.read_csv(REFERENCE / "split_zph.csv")
    expected = expected[(expected["model"] == model) & (expected["term"] != "GLOBAL")]
    expected = expected.set_index("term")
    expected.index = [r_key(t) for t in expected.index]
    np.testing.assert_allclose(table.loc[expected.index, "chisq"], expected["chisq"], rtol=RTOL)


def test_beta_smooth_matches_plot_cox_zph(fixture):
    zph = cox_zph(fit_cox(fixture, "fico + dti + C(purpose_group)"))
    expected = pd.read_csv(REFERENCE / "zph_smooth.csv")
    for term, reference in expected.groupby("term", sort=False):
        name = next(
            n
            for n in zph.detail["var"].index
            if r_key(n) == r_key(term)
            or (
                r_key(n)
                == {
                    "purpose_groupconsumption": "consumption",
                    "purpose_grouprefinancing": "refinancing",
                }.get(term)
            )
        )
        smooth = beta_smooth(zph, name)
        for column in ["transformed_time", "beta", "lower", "upper"]:
            np.testing.assert_allclose(
                smooth[column], reference[column], rtol=RTOL, atol=1e-12, err_msg=column
            )


# ----------------------------------------------------------------------------------------------
# invariance: splitting alone changes nothing
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options", [{}, {"strata": "term", "cluster": "addr_state"}, {"weights": "weight"}]
)
def test_splitting_without_varying_effects_changes_nothing(fixture, options):
    rhs = "fico + dti + C(purpose_group)"
    loans = fit_cox(fixture, rhs, **options)
    episodes = split_episodes(fixture, [6, 12, 24, 36])
    split = fit_cox(
        episodes, rhs, entry="tstart", **{**options, "cluster": options.get("cluster", "id")}
    )
    if "cluster" not in options:
        loans = fit_cox(fixture, rhs, **{**options, "cluster": "id"})
    np.testing.assert_allclose(split.params, loans.params, rtol=1e-10)
    np.testing.assert_allclose(split.summary["se"], loans.summary["se"], rtol=1e-10)
    assert split.loglik == pytest.approx(loans.loglik, rel=1e-12)
    assert split.extra["concordance"] == pytest.approx(loans.extra["concordance"], rel=1e-12)
    np.testing.assert_allclose(
        cox_zph(split).table["chisq"], cox_zph(loans).table["chisq"], rtol=1e-8
    )

    # the baseline is at the covariate means, which are the episodes' in the split fit (as
    # R's basehaz): moved to covariates 0, the two agree
    def at_zero(fit):
        base = fit.extra["baseline_cumulative_hazard"].set_index(["stratum", "time"])
        shift = np.exp(-float(fit.extra["means"] @ fit.params))
        return base["cumulative_hazard"] * shift

    base = at_zero(loans)
    np.testing.assert_allclose(at_zero(split).loc[base.index], base, rtol=1e-9)


def test_counting_process_concordance_counts_every_pair():
    rng = np.random.default_rng(5)
    n = 300
    stop = rng.integers(2, 20, size=n).astype(float)
    d = pd.DataFrame(
        {
            "x": rng.normal(size=n).round(1),  # ties on the score
            "start": np.floor(rng.uniform(0, 1, size=n) * stop),
            "time": stop,
            "event": rng.integers(0, 2, size=n),
            "w": rng.uniform(0.5, 2, size=n),
        }
    )
    fit = fit_cox(d, ["x"], duration="time", event="event", entry="start", weights="w")
    score = d["x"].to_numpy() * float(fit.params["x"])
    concordant = discordant = tied = 0.0
    for i in np.flatnonzero(d["event"]):
        t = d["time"][i]
        at_risk = (d["start"] < t) & ((d["time"] > t) | ((d["time"] == t) & (d["event"] == 0)))
        w = d["w"][i] * d["w"][at_risk]
        concordant += w[score[i] > score[at_risk]].sum()
        discordant += w[score[i] < score[at_risk]].sum()
        tied += w[score[i] == score[at_risk]].sum()
    expected = (concordant + tied / 2) / (concordant + discordant + tied)
    assert fit.extra["concordance"] == pytest.approx(expected, rel=1e-12)


def test_robust_variance_of_episodes_without_a_cluster_warns(fixture):
    episodes = split_episodes(fixture, [12])
    fit = fit_cox(episodes, ["fico"], entry="tstart", weights="weight")
    assert any("own cluster" in w for w in fit.warnings)
    by_age = fit_cox_by_age(fixture, ["fico", "dti"], ["dti"], cuts=[12])
    assert by_age.cluster == "loan" and by_age.cov_type == "cluster"
    assert by_age.n_clusters == len(fixture) and not by_age.warnings


# ----------------------------------------------------------------------------------------------
# known truth
# ----------------------------------------------------------------------------------------------


def simulate_fading(n: int, seed: int) -> pd.DataFrame:
    """Monthly defaults whose x effect is 0.6 up to month 12 and 0.1 after; z acts at 0.3
    throughout; uniform follow-up of 24–48 months."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(size=n)
    follow_up = rng.integers(24, 49, size=n)
    time = follow_up.copy()
    defaulted = np.zeros(n, dtype=int)
    alive = np.ones(n, dtype=bool)
    for month in range(1, 49):
        effect = 0.6 if month <= 12 else 0.1
        hazard = 1 - np.exp(-0.01 * np.exp(effect * x + 0.3 * z))
        now = alive & (month <= follow_up) & (rng.uniform(size=n) < hazard)
        time[now], defaulted[now] = month, 1
        alive &= ~now
    return pd.DataFrame({"x": x, "z": z, "time": time, "defaulted": defaulted})


def test_cox_by_age_recovers_an_effect_that_changes_at_month_12():
    loans = simulate_fading(20_000, seed=3)
    zph = cox_zph(fit_cox(loans, ["x", "z"]))
    assert zph.table.loc["x", "p"] < 1e-6 and zph.table.loc["z", "p"] > 0.01
    fit = fit_cox_by_age(loans, ["x", "z"], ["x"], cuts=[12])
    truth = {"x:age_band[1–12]": 0.6, "x:age_band[13+]": 0.1, "z": 0.3}
    for name, value in truth.items():
        row = fit.summary.loc[name]
        assert row["ci_lower"] < value < row["ci_upper"], (name, row.to_dict())
    table = fit.extra["age_bands"]
    assert table["trend"].unique().tolist() == ["fades"]
    assert table["equal_p"].iloc[0] < 1e-6
    sentences = age_effect_sentences(table, {"x": "X"})
    assert sentences[0].startswith("X: fades with loan age (hazard ratio 1.8")
    # beta(t) of x falls: the smooth early on is near 0.6, late near 0.1
    smooth = beta_smooth(zph, "x")
    assert abs(smooth["beta"].iloc[0] - 0.6) < 0.15
    assert abs(smooth["beta"].iloc[-1] - 0.1) < 0.15


def test_age_band_table_rebuilds_from_the_fit(fixture):
    fit = fit_cox_by_age(fixture, "fico + dti + C(purpose_group)", ["dti", "C(purpose_group)"])
    table = age_band_table(fit)
    assert table.equals(fit.extra["age_bands"])
    assert table.groupby("coefficient").size().tolist() == [3, 3, 3]
    assert set(fit.term_columns) == {"fico", "dti:age_band", "C(purpose_group):age_band"}
    np.testing.assert_allclose(table["exp_estimate"], np.exp(table["estimate"]))


def test_labelled_age_bands_rescale_exactly_and_read_in_words(fixture):
    fit = fit_cox_by_age(fixture, "fico + dti + C(purpose_group)", ["fico", "C(purpose_group)"])
    raw = fit.extra["age_bands"]
    table = labelled_age_bands(raw, fixture)
    fico = table[table["term_formula"] == "fico"]
    assert fico["label"].unique().tolist() == ["FICO score, per 50 points"]
    np.testing.assert_allclose(fico["estimate"], 50 * raw.loc[fico.index, "estimate"])
    np.testing.assert_allclose(fico["exp_ci_upper"], np.exp(50 * raw.loc[fico.index, "ci_upper"]))
    np.testing.assert_allclose(table["equal_p"], raw["equal_p"])
    assert not table["label"].str.contains(r"C\(|\[T\.|I\(").any()
    sentences = age_effect_sentences(table)
    named = " ".join(sentences)
    assert "FICO score, per 50 points" in named and "Purpose: refinancing (vs business)" in named
    assert all("C(" not in s for s in sentences)
