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
# # 05 · Causes: how much each family explains, and what the platform could have done
#
# Three views of how much credit risk, purpose, the economic environment and platform
# underwriting each explain: drop-one likelihood-ratio tests (is the family needed given the
# others?), the loss of out-of-time AUC when it is dropped (does it help predict later loans?),
# and a Shapley decomposition of McFadden's pseudo-R² over the four families (all 16 subsets),
# with bootstrap intervals. Then two policy questions: does the platform's pricing keep up with
# realised risk by grade, and what would a stricter approval cut-off have done to the default rate.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
issue_start: str = "2007-01"  # first issue month analysed (YYYY-MM)
issue_end: str = "2011-12"  # last issue month analysed (YYYY-MM)
overdue_statuses: list = []  # open-loan statuses counted as overdue, e.g. ["Late (31-120 days)"]
macro_lag: int = 1  # months of publication lag on monthly unemployment
oot_cutoff: str = "2010-12"  # out-of-time split: fit on loans issued up to this month, score later ones
cluster: str = "addr_state"  # cluster for robust errors and the bootstrap: addr_state or issue_month
n_boot: int = 50  # bootstrap replications of the Shapley shares
approval_cutoffs: list = [0.10, 0.15, 0.20, 0.25, 0.30]  # maximum predicted default probability approved
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
from IPython.display import display

from overdue import RunOutput, load_study, plots
from overdue.models import (
    approval_tradeoff,
    attribute,
    held_out_words,
    out_of_time_auc,
    pricing_by_grade,
)

out = RunOutput(output_dir, "05_causes")
study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag)
cluster = study.usable_cluster(cluster)  # None when the loans carry no state (or issue month)
cutoff = oot_cutoff if study.has_issue_month else None  # None: a seeded random split
sample = study.model_sample(cluster=cluster)  # all four families, unless a loan file lacks columns
loans = sample.data
out.record("loans", len(loans))
out.record("families", list(sample.families))
out.show_left_out(study.left_out(sample))  # terms the loan file cannot support, and why

# %% [markdown]
# ## Attribution of causes

# %%
attribution = attribute(loans, sample.families, cutoff=cutoff, cluster=cluster, n_boot=n_boot, seed=seed)
out.save_table(attribution.table, "attribution")
out.save_table(attribution.shapley.subsets, "shapley_subsets")
out.record("attribution", attribution.table[["lr_stat", "lr_p", "delta_auc", "shapley_r2", "shapley_share",
                                             "shapley_ci_lower", "shapley_ci_upper"]].to_dict(orient="index"))
out.record("full_pseudo_r2", attribution.shapley.full_r2)
out.record("attribution_warnings", attribution.shapley.warnings)
ax = plots.attribution_bars(attribution.table, "shapley_r2")
out.save_figure(ax, "shapley")
attribution.table.round(4)

# %% [markdown]
# ## Does pricing keep up with realised risk?
# By grade: the rate charged, the share that defaulted, and what the loans paid back per dollar
# lent. Pricing keeps up when the realised multiple holds as grades worsen.

# %%
if study.features["grade"].notna().any() and study.features["realised_multiple"].notna().any():
    pricing = pricing_by_grade(study.features)
    out.save_table(pricing, "pricing_by_grade")
    out.record("pricing_realised_multiple", pricing["realised_multiple"].to_dict())
    out.record("pricing_default_rate", pricing["default_rate"].to_dict())
    display(pricing.round(4))
else:
    print("Not shown: the loan file has no grades, or no payments to measure what loans paid back.")

# %% [markdown]
# ## A stricter approval cut-off
# Scored out of time by the full model fitted on loans issued up to the cut-off month: had the
# platform declined the later loans whose predicted default probability exceeded each threshold,
# how many loans would it have made, and how often would they have defaulted? (A loan file without issue
# months is scored on a seeded random 30% of its loans instead.)

# %%
scored = out_of_time_auc(loans, sample.rhs, cutoff=cutoff, cluster=cluster, seed=seed)
tradeoff = approval_tradeoff(scored.y, scored.p, approval_cutoffs)
out.save_table(tradeoff, "approval_tradeoff")
out.record("approval_tradeoff", tradeoff.to_dict(orient="index"))
out.record("oot_default_rate", float(scored.y.mean()))
tradeoff.round(4)

# %% [markdown]
# ## Headline

# %%
shares = attribution.table["shapley_share"].sort_values(ascending=False)
strict = tradeoff.iloc[len(tradeoff) // 2]
out.record("headline", [
    f"Of what the {['one', 'two', 'three', 'four'][len(sample.families) - 1]} families explain (McFadden R² "
    + f"{attribution.shapley.full_r2:.3f}), "
    + ", ".join(f"{family} {share:.0%}" for family, share in shares.items()) + " (Shapley shares).",
    f"Approving only loans with predicted default risk up to {tradeoff.index[len(tradeoff) // 2]:.0%} would have kept "
    f"{strict['approved_share']:.0%} of {held_out_words(cutoff)} and cut their default rate from "
    f"{scored.y.mean():.1%} to {strict['default_rate_approved']:.1%}.",
])
