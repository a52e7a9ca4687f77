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
# # 00 · Data: provenance, validation and the sample
#
# Where the loans and the macro series come from, what validation found, and which loans this
# report studies. The raw inputs are LendingClub's 2007–2011 loans and FRED's state and national
# series, fetched by `overdue fetch` and checked against pinned checksums.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
raw_dir: str = "data/raw"  # raw inputs from `overdue fetch` (for provenance)
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
issue_start: str = "2007-01"  # first issue month analysed (YYYY-MM)
issue_end: str = "2011-12"  # last issue month analysed (YYYY-MM)
overdue_statuses: list = []  # open-loan statuses counted as overdue, e.g. ["Late (31-120 days)"]
macro_lag: int = 1  # months of publication lag on monthly unemployment
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
import pandas as pd

from overdue import RunOutput, load_study, resolve
from overdue.data.summary import provenance_table, sample_description, validation_summary

out = RunOutput(output_dir, "00_data")
study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag)
loans = pd.read_parquet(resolve(data_dir) / "loans.parquet")

# %% [markdown]
# ## Provenance
# Every raw file, its public address and the SHA-256 recorded when it was fetched. LendingClub's
# files are pinned; FRED revises its series, so their sums are recorded, not pinned. A build from
# your own loan file lists that file and its mapping first, with the SHA-256 the build read.

# %%
provenance = provenance_table(resolve(raw_dir), resolve(data_dir))
out.save_table(provenance, "provenance", index=False)
out.record("raw_files", len(provenance))
out.record("raw_files_verified", int(provenance["verified"].sum()))
provenance.head(8)

# %% [markdown]
# ## Validation
# The canonical loan table passed its schema (types, ranges, unique ids, dates, state codes);
# this is what the checks saw, column by column.

# %%
validation = validation_summary(loans)
out.save_table(validation, "validation")
validation

# %% [markdown]
# ## The sample

# %%
description = sample_description(study.features)
out.save_table(description, "sample")
out.record("loans_available", len(loans))
out.record("loans", study.description["loans"])
out.record("defaults", study.description["defaults"])
out.record("default_rate", study.description["defaults"] / study.description["loans"])
out.record("loans_by_year", description["loans"].drop("total").to_dict())
description
