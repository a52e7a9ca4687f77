# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Descriptive: who goes overdue, and when
#
# Default rates with Wilson intervals, vintage curves, and time-to-default curves by the factors
# that matter most: grade (credit risk), purpose group, the state's unemployment at issue
# (economic environment) and whether the loan met the credit policy (underwriting).
# Kaplan–Meier treats prepayment as censoring; the cumulative-incidence (Aalen–Johansen) curves
# treat it as the competing event it is, and are the honest answer to "what share defaulted".
# Every curve is drawn only as far as enough loans stand behind it, and raw comparisons that
# mix vintages are set beside the same comparison with the vintage held fixed.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
issue_start: str = "2007-01"  # first issue month analysed (YYYY-MM)
issue_end: str = "2011-12"  # last issue month analysed (YYYY-MM)
overdue_statuses: list = []  # open-loan statuses counted as overdue, e.g. ["Late (31-120 days)"]
macro_lag: int = 1  # months of publication lag on monthly unemployment
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)
factors: list = ["grade", "purpose_group", "state_unemp_band", "meets_policy"]  # factors to split by
min_at_risk: int = 50  # curves stop where fewer loans than this remain at risk (vintage points: fewer observed)
vintage_min_share: float = 1.0  # share of a vintage that must be observed for its point at month k to be drawn
cluster: str = "addr_state"  # cluster for robust errors of the adjusted Cox models: addr_state or issue_month

# %%
import matplotlib.pyplot as plt

from overdue import RunOutput, load_study, plots
from overdue.features.registry import describe
from overdue.models import (
    composition,
    cumulative_incidence,
    default_rates,
    gray_test,
    kaplan_meier,
    logrank_test,
    raw_and_adjusted,
    vintage_curves,
)

out = RunOutput(output_dir, "02_descriptive")
study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag)
features = study.features
out.record("loans", len(features))
out.record("default_rate", features["defaulted"].mean())

# %% [markdown]
# ## Default rates by factor

# %%
shown = [factor for factor in factors if features[factor].nunique() >= 2]  # a loan file may lack some
out.record("factors_left_out", [factor for factor in factors if factor not in shown])
if len(shown) < len(factors):
    print("Not in this loan file, or one value only:",
          ", ".join(describe(f).label if describe(f) else f for f in factors if f not in shown))
fig, axes = plt.subplots(1, len(shown), figsize=(4.5 * len(shown), 3.8), squeeze=False)
for ax, factor in zip(axes[0], shown):
    rates = default_rates(features, factor)
    out.save_table(rates, f"default_rate_by_{factor}")
    out.record(f"default_rate_by_{factor}", rates["rate"].to_dict())
    plots.default_rates(rates, ax=ax, title=describe(factor).label if describe(factor) else factor)
fig.tight_layout()
out.save_figure(fig, "default_rates")
first = "grade" if "grade" in shown else shown[0]
by_first = default_rates(features, first)["rate"]
name = "grade" if first == "grade" else describe(first).label.lower()
out.record("headline", [
    f"{features['defaulted'].mean():.1%} of {len(features):,} loans defaulted; from "
    f"{by_first.iloc[0]:.1%} in {name} {by_first.index[0]} to {by_first.iloc[-1]:.1%} in {name} {by_first.index[-1]}."
])
out.stop_unless(study.has_time_to_event,
                f"Vintage and time-to-default curves were not drawn: these loans have {study.missing_dates} "
                "(the default rates above do not need them).")

# %% [markdown]
# ## Vintage curves
# Cumulative share of each issue year's loans that defaulted by month on book. A vintage's point
# at month k is drawn only where its k-th month has been observed for the whole vintage
# (`vintage_min_share` of it, and at least `min_at_risk` loans): beyond that the share would be
# that of the loans issued early in the year alone, and a curve would bend for that reason only
# (the 2011 vintage used to drop after month 60). Undrawn points stay in the table, marked.

# %%
curves = vintage_curves(features, by="issue_year", min_observed=min_at_risk, min_share=vintage_min_share)
out.save_table(curves, "vintage_curves", index=False)
out.save_figure(plots.vintage_curves(curves, by="issue_year"), "vintage_curves")

# %% [markdown]
# ## Time to default: Kaplan–Meier with log-rank tests, and cumulative incidence with Gray's test
# Under each panel, the loans still at risk (not yet defaulted, repaid or censored) at 0, 12, …,
# 60 months; each curve stops where fewer than `min_at_risk` of its loans remain, rather than
# falling to 0 on the last handful.

# %%
fig, axes = plt.subplots(2, len(shown), figsize=(4.5 * len(shown), 11.5), squeeze=False)
for column, factor in enumerate(shown):
    variable = describe(factor)  # its label and the names of its levels
    name = variable.label if variable else factor
    km = kaplan_meier(features, duration="time", event="defaulted", by=factor)
    logrank = logrank_test(features, by=factor, duration="time", event="defaulted")
    plots.km_curves(km, ax=axes[0, column], title=f"{name}: log-rank χ²={logrank.statistic:.0f}, p={logrank.p:.2g}",
                    min_at_risk=min_at_risk, variable=variable)
    cif = cumulative_incidence(features, duration="time", event="event", cause=1, by=factor)
    gray = gray_test(features, by=factor, duration="time", event="event", cause=1)
    plots.cif_curves(cif, ax=axes[1, column], title=f"{name}: Gray χ²={gray.statistic:.0f}, p={gray.p:.2g}",
                     min_at_risk=min_at_risk, variable=variable)
    out.save_table(km, f"km_by_{factor}", index=False)
    out.save_table(cif, f"cif_by_{factor}", index=False)
    out.record(f"logrank_{factor}", logrank.to_dict())
    out.record(f"gray_{factor}", gray.to_dict())
fig.tight_layout()
out.save_figure(fig, "survival_curves")

# %% [markdown]
# ## Raw and adjusted: unemployment at issue
# Raw, the loans issued where the state's unemployment was lowest default fastest — the
# opposite of what unemployment does. They are mostly the 2007–08 vintages: issued before the
# recession raised unemployment, they met it while on book, and the platform lent more loosely
# then. Held at the same vintage (and then at every other factor of the models), the ordering
# turns round: loans issued into high unemployment carry the higher hazard. Hazard ratios from
# Cox models on the same loans, against the lowest band, with errors clustered by `cluster`.

# %%
out.stop_unless(study.has_state, "Unemployment at issue, raw and adjusted, was not compared: the loan file "
                "has no state (addr_state), so no state's unemployment.")
sample = study.model_sample(cluster=cluster, exclude=["state_unemp"], columns=["time"])
adjusted = raw_and_adjusted(sample.data, "state_unemp_band",
                            {"raw": "", "vintage held fixed": "C(issue_year)", "all other factors held fixed": sample.rhs},
                            order_by="state_unemp", cluster=cluster)
mix = composition(sample.data, "state_unemp_band", by="issue_year", order_by="state_unemp")
out.save_table(adjusted, "unemployment_raw_and_adjusted", index=False)
out.save_table(mix, "unemployment_band_vintages")
fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), gridspec_kw={"width_ratios": [1.2, 1, 1]})
plots.km_curves(kaplan_meier(sample.data, by="state_unemp_band"), ax=axes[0],
                title="Raw: Kaplan–Meier by state unemployment at issue", min_at_risk=min_at_risk)
plots.composition(mix, ax=axes[1], title="Vintages of each band")
plots.raw_and_adjusted(adjusted, ax=axes[2], title="Hazard ratio: raw and adjusted")
fig.tight_layout()
out.save_figure(fig, "unemployment_raw_and_adjusted")
low, high = mix.index[0], mix.index[-1]
early = mix.loc[:, mix.columns <= 2008].sum(axis=1)
ratios = adjusted.set_index(["model", "level"])
out.record("unemployment_band_hazard_ratios", adjusted.pivot(index="level", columns="model", values="hazard_ratio").to_dict())
out.record("unemployment_band_share_2007_08", early.to_dict())
out.record("headline", out.numbers["headline"] + [
    f"Raw, loans issued at state unemployment {high} have {ratios.loc[('raw', high), 'hazard_ratio']:.2f}× the default "
    f"hazard of loans issued at {low}; with the vintage held fixed it is {ratios.loc[('vintage held fixed', high), 'hazard_ratio']:.2f}× "
    f"(95% CI {ratios.loc[('vintage held fixed', high), 'ci_lower']:.2f}–{ratios.loc[('vintage held fixed', high), 'ci_upper']:.2f}): "
    f"{early[low]:.0%} of the {low} loans were issued in 2007–08 and met the recession, against {early[high]:.0%} of the {high} loans."
])
adjusted.round(3)
