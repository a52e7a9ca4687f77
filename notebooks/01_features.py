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
# # 01 · Features: the four families of causes
#
# The feature dictionary is generated from the code that computes the features, so what is
# written here is what the models use. Below it, each family's distributions by outcome.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
issue_start: str = "2007-01"  # first issue month analysed (YYYY-MM)
issue_end: str = "2011-12"  # last issue month analysed (YYYY-MM)
overdue_statuses: list = []  # open-loan statuses counted as overdue, e.g. ["Late (31-120 days)"]
macro_lag: int = 1  # months of publication lag on monthly unemployment
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
import pandas as pd

from overdue import RunOutput, load_study, plots
from overdue.features import feature_dictionary, names_in

out = RunOutput(output_dir, "01_features")
study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag)
features = study.features

# %% [markdown]
# ## Feature dictionary

# %%
dictionary = feature_dictionary()
out.save_table(dictionary, "dictionary")
out.record("features", len(dictionary))
out.record("features_by_family", dictionary["family"].value_counts().to_dict())
pd.set_option("display.max_colwidth", 120)
dictionary

# %% [markdown]
# ## Distributions by family
# Numeric features: density among loans that defaulted (red) and did not (blue).
# Categorical features: the default rate of each level.

# %%
for family in ["credit", "macro", "purpose", "underwriting"]:
    axes = plots.family_grid(features, names_in(family))
    axes[0].figure.suptitle(f"{family} family", y=1.02)
    out.save_figure(axes[0].figure, f"{family}_distributions")

# %% [markdown]
# ## Missing values
# Models drop incomplete loans explicitly and say how many; these are the counts.

# %%
missing_counts = features.isna().sum()
missing = missing_counts[missing_counts > 0].rename("missing loans").to_frame()
out.save_table(missing, "missing")
out.record("missing_by_feature", missing["missing loans"].to_dict())
missing
