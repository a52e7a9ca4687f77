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
# # 03 · Logit: which factors raise the odds of default
#
# Four nested specifications add one family of causes at a time — credit, then purpose, then the
# economic environment, then platform underwriting — with cluster-robust errors. Each step is
# tested against the previous one by a likelihood-ratio test. The models are then validated
# out of time: fitted on loans issued up to the cut-off month and scored on the later ones.
# The specifications live in `overdue.models.specs`, in one place.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
issue_start: str = "2007-01"  # first issue month analysed (YYYY-MM)
issue_end: str = "2011-12"  # last issue month analysed (YYYY-MM)
overdue_statuses: list = []  # open-loan statuses counted as overdue, e.g. ["Late (31-120 days)"]
macro_lag: int = 1  # months of publication lag on monthly unemployment
oot_cutoff: str = "2010-12"  # out-of-time split: fit on loans issued up to this month, score later ones
cluster: str = "addr_state"  # cluster for robust errors: addr_state or issue_month
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
import pandas as pd
from IPython.display import display

from overdue import RunOutput, load_study, plots
from overdue.models import (
    average_marginal_effects,
    calibration_table,
    fit_nested,
    held_out_words,
    out_of_time_auc,
)
from overdue.models.labels import labelled, labelled_summary, readable, readable_warnings
from overdue.study import clustering_note
from overdue.tables import model_table, nested_names, specification_table

out = RunOutput(output_dir, "03_logit")
study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag)
cluster = study.usable_cluster(cluster)  # None when the loans carry no state (or issue month)
cutoff = oot_cutoff if study.has_issue_month else None  # None: a seeded random split
sample = study.model_sample(cluster=cluster)  # all four families, unless a loan file lacks columns
loans = sample.data
out.record("loans", len(loans))
out.record("loans_dropped_incomplete", sample.dropped)
out.record("validation", held_out_words(cutoff))
left_out = study.left_out(sample)  # terms the loan file cannot support, and why
out.record("left_out", left_out["term"].tolist())
display(specification_table(sample.families, loans))
out.show_left_out(left_out)

# %% [markdown]
# ## Nested specifications
# Pseudo-R², AUC (in sample) and the likelihood-ratio test of each family against the model before it.

# %%
nested = fit_nested(loans, sample.nested, cluster=cluster)
out.save_table(nested.table, "nested")
out.record("nested", nested.table[["pseudo_r2", "auc", "lr_stat", "lr_df", "lr_p"]].to_dict(orient="index"))
for name, fit in nested.fits.items():
    for warning in readable_warnings(fit, loans):
        print(f"[{name}] {warning}")
nested.table

# %% [markdown]
# ## Odds ratios of the full model, with cluster-robust intervals
# Each effect per the unit in its label (FICO per 50 points, income per doubling …), factors
# against their reference level.

# %%
full = nested.fits[sample.full]
full_table = labelled_summary(full, loans)
out.save_table(full_table, "full_model_odds_ratios")
out.record("full_model_converged", full.converged)
out.record("full_model_warnings", readable_warnings(full, loans))
ax = plots.forest(full_table, title=f"Full model: odds ratios ({clustering_note(cluster)})")
out.save_figure(ax, "forest_full")
business = "C(purpose_group, Treatment('refinancing'))[T.business]"
for key, term in {"logit_or_fico": "fico", "logit_or_business": business}.items():
    if term in full_table.index:
        out.record(key, full_table.loc[term, ["label", "exp_estimate", "exp_ci_lower", "exp_ci_upper"]].to_dict())

# %% [markdown]
# ## Average marginal effects
# The average change in the probability of default per the unit in each label (the derivative
# times the unit's size), or for a move from the reference level, over the loans in the sample.

# %%
effects = labelled(average_marginal_effects(full), ["ame", "se", "ci_lower", "ci_upper"], loans)
out.save_table(effects, "marginal_effects")
readable(effects).round(4)

# %% [markdown]
# ## Out-of-time validation
# Fitted on loans issued up to the cut-off month, scored on the loans issued after it; AUC with
# its DeLong interval, then calibration by deciles of predicted risk with the Hosmer–Lemeshow test.
# A loan file without issue months is split at random instead (seeded, 30% held out): that
# judges how well the model ranks loans, not how it ages.

# %%
validation = {name: out_of_time_auc(loans, rhs, cutoff=cutoff, cluster=cluster, seed=seed)
              for name, rhs in sample.nested.items()}
oot = pd.DataFrame({name: {"n_train": v.n_train, "n_test": v.n_test, "events_test": v.events_test,
                           "auc": v.auc.auc, "ci_lower": v.auc.ci_lower, "ci_upper": v.auc.ci_upper}
                    for name, v in validation.items()}).T
out.save_table(oot, "out_of_time_auc")
out.record("oot_auc", oot["auc"].to_dict())
first_auc = validation[sample.first].auc
out.record("oot_auc_first", {"model": sample.first, "auc": first_auc.auc,
                             "ci_lower": first_auc.ci_lower, "ci_upper": first_auc.ci_upper})
oot

# %%
final = validation[sample.full]
calibration = calibration_table(final.y, final.p, bins=10, in_sample=False)
out.save_table(calibration.table, "calibration")
out.record("hosmer_lemeshow", {"statistic": calibration.statistic, "df": calibration.df, "p": calibration.p})
ax = plots.calibration(calibration, title=f"Calibration on {held_out_words(cutoff)}")
out.save_figure(ax, "calibration")
display(calibration)

# %% [markdown]
# ## The four models side by side
# Odds ratios with their 95% intervals (cluster-robust), one column a step of the nested
# sequence; the footer adds the fit statistics and the out-of-time AUC. Exported beside this page
# as LaTeX and CSV (`tables/03_logit_nested_logit.tex`, `.csv`).

# %%
headings = nested_names(list(nested.fits))
side_by_side = model_table({headings[name]: fit for name, fit in nested.fits.items()}, data=loans,
                           oot_auc={headings[name]: v.auc.auc for name, v in validation.items()},
                           table_id="nested-logit")
out.save_model_table(side_by_side, "nested_logit")
side_by_side

# %% [markdown]
# ## Headline

# %%
fico_or = full_table.loc["fico"] if "fico" in full_table.index else None
out.record("headline", [
    f"The {sample.first} factors alone rank {held_out_words(cutoff)} with an AUC of {first_auc.auc:.3f} "
    f"(95% CI {first_auc.ci_lower:.3f}–{first_auc.ci_upper:.3f}); all {['one', 'two', 'three', 'four'][len(sample.families) - 1]} families: {final.auc.auc:.3f}."
] + ([] if fico_or is None else [
    f"The odds of default multiply by {fico_or['exp_estimate']:.2f} {fico_or['per']} of FICO score "
    f"(full model, 95% CI {fico_or['exp_ci_lower']:.2f}–{fico_or['exp_ci_upper']:.2f}), other factors equal."
]))
