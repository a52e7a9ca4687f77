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
# # 08 · Impacts: what overdue costs the borrower and the lender
#
# For the borrower: late fees, and the credit score when LendingClub last pulled it, by how the
# loan ended. For the lender and its investors: exposure at default, what collection recovered,
# loss given default, and the annualised return each loan realised against the rate it was
# charged. And the debt settlements the platform's collectors agreed. The definitions are in
# DESIGN.md ("Impacts"); the loan file has totals, not a payment history, so each loan's cash
# flows are rebuilt from them (see `overdue.features.impacts.realised_return`).

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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from overdue import RunOutput, load_study
from overdue.models import fit_logit, model_sample, out_of_time_auc
from overdue.models.impacts import (
    clopper_pearson,
    expected_and_realised_loss,
    fit_fractional_logit,
    fit_linear,
    impacts_by,
    mean_with_interval,
    rate_by_bins,
)
from overdue.models.labels import labelled_summary, readable

out = RunOutput(output_dir, "08_impacts")
study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag)
features = study.features
cluster = study.usable_cluster(cluster)  # None when the loans carry no state (or issue month)
out.stop_unless(features["exposure_at_default"].notna().any(),
                "Impacts were not measured: this loan file has no principal received, recoveries or "
                "collection fees, so there is no exposure or loss at default.")
defaulted = features[features["defaulted"] == 1]
out.record("defaults_with_exposure", int(defaulted["exposure_at_default"].notna().sum()))
out.record("defaults_with_recoveries", int((defaulted["net_recovery"] > 0).sum()))

# %% [markdown]
# ## The borrower: the credit score after overdue
# FICO when LendingClub last pulled it, minus FICO at origination, by how the loan ended.

# %%
ending = np.select([features["defaulted"] == 1, features["cured_overdue"] == 1],
                   ["charged off", "fully paid after late fees"], "fully paid, never late")
score_change = mean_with_interval(features["credit_score_change"], ending)
out.save_table(score_change, "credit_score_change_by_outcome")
out.record("credit_score_change_by_outcome", score_change["mean"].to_dict())
ax = score_change["mean"].plot.barh(xerr=[score_change["mean"] - score_change["ci_lower"],
                                          score_change["ci_upper"] - score_change["mean"]],
                                    color="#4C72B0", figsize=(6, 2.5))
ax.set_xlabel("change in FICO score, points (95% CI)")
ax.set_ylabel("")
out.save_figure(ax, "credit_score_change")
score_change.round(2)

# %% [markdown]
# Part of that gap is who the borrowers were and how long after issue the score was pulled:
# adjusted for FICO at origination and the months to the last pull, the change still differs by
# how the loan ended (points, against loans fully paid and never late; robust errors).

# %%
borrowers = features.assign(ending=ending).dropna(subset=["credit_score_change", "months_to_last_pull"])
adjusted = fit_linear(borrowers, "C(ending, Treatment('fully paid, never late')) + fico + months_to_last_pull",
                      outcome="credit_score_change", cluster=cluster)
adjusted_table = labelled_summary(adjusted, borrowers)[["label", "estimate", "se", "ci_lower", "ci_upper", "p"]]
out.save_table(adjusted_table, "credit_score_change_adjusted")
readable(adjusted_table).round(3)

# %% [markdown]
# ## Late fees and returns by family of causes
# By a key variable of each family: credit (grade), purpose, the economy (state unemployment at
# issue) and underwriting (the credit policy) — who pays late fees, how often loans default, and
# what they returned against what they were charged.

# %%
by_family = pd.concat({factor: impacts_by(features, factor)[["loans", "late_fee_share", "mean_late_fee_paid",
                                                             "default_rate", "mean_rate", "mean_return"]]
                       for factor in ["grade", "purpose_group", "state_unemp_band", "meets_policy"]},
                      names=["factor", "level"])
out.save_table(by_family, "late_fees_and_returns_by_family")
out.record("late_fee_share", float((features["late_fees"] > 0).mean()))
by_family.round(3)

# %% [markdown]
# ## The lender: exposure, recovery and loss given default
# Pooled LGD weighs defaults by exposure (money lost over money exposed); the loan average weighs
# each default alike.

# %%
by_grade = impacts_by(features, "grade")
out.save_table(by_grade, "impacts_by_grade")
for factor in ["purpose_group", "term", "issue_year"]:
    out.save_table(impacts_by(features, factor), f"impacts_by_{factor}")
charge_off_unemployment = pd.cut(features["state_unemp_at_charge_off"], [0, 6, 8, 10, 100],
                                 labels=["under 6%", "6–8%", "8–10%", "10% and over"], right=False)
lgd_by_unemployment = impacts_by(features.assign(unemployment_at_charge_off=charge_off_unemployment),
                                 "unemployment_at_charge_off")[["defaults", "pooled_lgd", "mean_lgd"]]
out.save_table(lgd_by_unemployment, "lgd_by_unemployment_at_charge_off")
out.record("pooled_lgd_by_unemployment_at_charge_off", lgd_by_unemployment["pooled_lgd"].to_dict())
pooled = 1 - defaulted["net_recovery"].clip(lower=0).sum() / defaulted["exposure_at_default"].sum()
distribution = defaulted[["exposure_at_default", "net_recovery", "recovery_rate", "loss_given_default"]].describe(
    percentiles=[0.1, 0.25, 0.5, 0.75, 0.9]).T
out.save_table(distribution, "exposure_recovery_lgd_distribution")
out.record("pooled_lgd", pooled)
out.record("mean_lgd", defaulted["loss_given_default"].mean())
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
defaulted["loss_given_default"].plot.hist(bins=40, ax=axes[0], color="#C44E52")
axes[0].set_xlabel("loss given default (share of exposure lost)")
axes[0].set_ylabel("defaulted loans")
axes[0].set_title(f"LGD of {len(defaulted):,} defaults (pooled {pooled:.1%})")
axes[1].plot(by_grade["mean_rate"] * 100, by_grade["mean_return"] * 100, "o-", color="#4C72B0")
for grade, row in by_grade.iterrows():
    axes[1].annotate(grade, (row["mean_rate"] * 100, row["mean_return"] * 100),
                     textcoords="offset points", xytext=(4, 4))
axes[1].axhline(0, color="#888", linewidth=0.8)
axes[1].set_xlabel("mean interest rate charged, % a year")
axes[1].set_ylabel("mean realised return, % a year")
axes[1].set_title("Realised return against the rate, by grade")
fig.tight_layout()
out.save_figure(fig, "lgd_and_returns")
by_grade.round(4)

# %% [markdown]
# ## What explains the recovery rate
# A fractional logit (Papke–Wooldridge) of each default's recovery rate on the four families of
# causes, with cluster-robust errors: odds ratios of the rate recovered.

# %%
recovery = model_sample(defaulted.reset_index(drop=True), columns=["recovery_rate"])
recovery_fit = fit_fractional_logit(recovery.data, recovery.rhs, outcome="recovery_rate", cluster=cluster)
recovery_table = labelled_summary(recovery_fit, recovery.data)
out.save_table(recovery_table, "recovery_rate_model")
readable(recovery_table)[["exp_estimate", "exp_ci_lower", "exp_ci_upper", "p"]].rename(
    columns={"exp_estimate": "odds ratio", "exp_ci_lower": "95% lower", "exp_ci_upper": "95% upper"}).round(3)

# %% [markdown]
# ## Does the rate premium cover the expected loss?
# Expected loss PD × LGD × EAD of the loans issued after the cut-off, with PD from the
# four-family logit fitted on the earlier loans and LGD and exposure from the earlier defaults of
# the same grade, against the loss the later loans realised, per dollar funded.

# %%
out.stop_unless(study.has_issue_month, "The expected against the realised loss and the repayment plans were "
                "not measured: they compare loans issued before and after a month, and these loans carry no "
                "issue months.")
loans = study.model_sample(cluster=cluster)
scored = out_of_time_auc(loans.data, loans.rhs, cutoff=oot_cutoff, cluster=cluster)
train = loans.data["issue_d"].dt.to_period("M") <= pd.Period(oot_cutoff, "M")
loss = expected_and_realised_loss(loans.data, scored.p, train)
out.save_table(loss, "expected_and_realised_loss")
out.record("expected_loss_rate", loss["expected_loss_rate"].to_dict())
out.record("realised_loss_rate", loss["realised_loss_rate"].to_dict())
by_vintage = expected_and_realised_loss(loans.data, scored.p, train, by="issue_quarter")
out.save_table(by_vintage, "expected_and_realised_loss_by_vintage")
loss.round(4)

# %% [markdown]
# ## Repayment plans: 60 against 36 months, and the instalment burden
# Among loans issued from May 2010, when 60-month loans appear: the odds of default and the
# realised return of the longer term, adjusted for the credit family; and the default rate by
# deciles of the instalment-to-income burden.

# %%
recent = features[features["issue_d"] >= "2010-05-01"].reset_index(drop=True)
credit = model_sample(recent, ["credit"], columns=["realised_annual_return"])
term_default = fit_logit(credit.data, f"C(term) + {credit.rhs}", cluster=cluster)
term_return = fit_linear(credit.data, f"C(term) + {credit.rhs}", outcome="realised_annual_return", cluster=cluster)
terms = pd.DataFrame({"odds ratio of default": term_default.summary.loc["C(term)[T.60]", ["exp_estimate", "exp_ci_lower", "exp_ci_upper"]].to_numpy(),
                      "realised return difference": term_return.summary.loc["C(term)[T.60]", ["estimate", "ci_lower", "ci_upper"]].to_numpy()},
                     index=["estimate", "95% lower", "95% upper"]).T
out.save_table(terms, "term_60_vs_36")
out.record("term_60_default_odds_ratio", terms.loc["odds ratio of default", "estimate"])
out.record("term_60_return_difference", terms.loc["realised return difference", "estimate"])
burden = rate_by_bins(features["installment_to_income"], features["defaulted"], bins=10)
out.save_table(burden, "default_by_instalment_burden", index=False)
ax = plt.figure(figsize=(6, 3.8)).gca()
ax.plot(burden["value_mean"] * 100, burden["rate"] * 100, "o-", color="#C44E52")
ax.fill_between(burden["value_mean"] * 100, burden["ci_lower"] * 100, burden["ci_upper"] * 100, alpha=0.2, color="#C44E52")
ax.set_xlabel("instalment as a share of monthly income, %")
ax.set_ylabel("default rate, % (95% Wilson band)")
ax.set_title("Default by instalment burden (deciles)")
out.save_figure(ax, "default_by_burden")
terms.round(4)

# %% [markdown]
# ## Debt settlements
# Borrowers who settled with the platform's collectors, by how the settlement stood; exact
# (Clopper–Pearson) intervals, as the counts are small.

# %%
settled = features.loc[features["settled"] == 1]
table = settled["settlement_status"].value_counts().rename("settlements").to_frame()
table["share"] = table["settlements"] / len(settled)
table["ci_lower"], table["ci_upper"] = clopper_pearson(table["settlements"], len(settled))
table["mean_share_of_balance_settled"] = settled.groupby("settlement_status")["settlement_share"].mean()
entered = defaulted.groupby("grade").agg(defaults=("defaulted", "size"), settled=("settled", "sum"))
entered["ci_lower"], entered["ci_upper"] = clopper_pearson(entered["settled"], entered["defaults"])
entered["settled_share"] = entered["settled"] / entered["defaults"]
out.save_table(entered, "settlements_by_grade")
out.save_table(table, "settlements_by_status")
out.record("settlements", len(settled))
out.record("settled_share_of_defaults", float(defaulted["settled"].mean()))
out.record("settlements_by_status", table["settlements"].to_dict())
table.round(3)

# %% [markdown]
# ## What these data cannot answer
# The loan file records totals at the end of each loan, not its payments month by month: when a
# payment was missed, how long it stayed overdue and what collection did in between are not
# observed (the Taiwan card panel shows that dynamics). 160 settlements are too few to say what
# makes one complete, and nothing records the credit education or hardship plans the platform
# may have offered.

# %% [markdown]
# ## Headline

# %%
change = score_change["mean"]
out.record("headline", [
    f"Lenders lost {pooled:.0%} of the exposure at default (pooled LGD, {len(defaulted):,} charged-off loans); "
    f"borrowers who were charged off saw their FICO fall {-change['charged off']:.0f} points, against "
    f"{-change['fully paid, never late']:.0f} for those who repaid and were never late.",
    f"Realised returns fall from {by_grade['mean_return'].iloc[0]:.1%} a year in grade {by_grade.index[0]} to "
    f"{by_grade['mean_return'].iloc[-1]:.1%} in grade {by_grade.index[-1]}, though the rate charged rises "
    f"from {by_grade['mean_rate'].iloc[0]:.1%} to {by_grade['mean_rate'].iloc[-1]:.1%}: pricing did not cover the riskiest grades' losses.",
])
