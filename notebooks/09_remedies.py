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
# # 09 · Remedies: would better risk assessment have prevented it?
#
# The seed's first remedy is stronger risk assessment ("big data and AI"). A credit-risk
# researcher answers it the way the field does: a **scorecard** on optimally binned features
# (weight of evidence, information value), a **gradient-boosted** model beside the four-family
# logit, all three fitted on the loans issued up to the cut-off and judged **out of time** on the
# later ones (AUC with DeLong intervals, KS, Brier, calibration), with **stability monitoring**
# (PSI) and the approval decision valued in **realised money**, not only in default rates. The
# definitions are those of DESIGN.md ("Model assessment").
#
# The same page runs on the Taiwan credit-card accounts (`configs/taiwan.yaml`: default on the
# October payment from the September account features). They carry no issue dates, so the three
# models are fitted on a seeded random split instead (a random split measures how well a model
# ranks, not how it ages); the page then checks fair lending — sex and marital status never enter
# a decision model, and the approval rate of the chosen rule by sex — and stops before the
# LendingClub-only parts (stability by quarter, the drift, profit).

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
history_months: int = 6  # months the payment-history features look back over (the month itself included)
validation_share: float = 0.2  # share of the development loans held out as its latest months (tuning, recalibration)
test_share: float = 0.3  # accounts or loans without issue dates (Taiwan): seeded share held out and scored
pdo: float = 20.0  # scorecard points that double the odds of repaying
base_score: float = 600.0  # scorecard points that stand for the base odds
base_odds: float = 50.0  # repaid-to-defaulted odds the base score stands for
shap_sample: int = 5000  # later loans whose SHAP values are computed (a seeded sample)
profit_boot: int = 200  # bootstrap replications of the profit bands
min_approved_share: float = 0.5  # the default-minimising rule approves at least this share of loans
approved_share: float = 0.8  # the fair-lending check's rule approves this share of accounts, safest first
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from overdue import RunOutput, load_panel_study, load_study, resolve
from overdue.models.boosting import importance_agreement, shap_importance
from overdue.models.comparison import (
    calibration_by_decile,
    calibration_by_period,
    compare_scores,
    fit_out_of_time_models,
    fit_split_models,
)
from overdue.models.fairness import (
    ACCOUNT_DECISION_FEATURES,
    PROTECTED,
    adverse_impact,
    approve_safest,
    check_decision_inputs,
    decision_rhs,
)
from overdue.models.policy import best_cutoffs, profit_curve, realised_profit
from overdue.models.scorecard import candidate_features, iv_by_family
from overdue.models.stability import (
    drift_drivers,
    psi_by_period,
    psi_summary,
    quarter_of,
    shift_contributions,
)
from overdue.report import collected_numbers

out = RunOutput(output_dir, "09_remedies")
study_is_panel = (resolve(data_dir) / "delinquency.parquet").is_file()
if study_is_panel:  # a delinquency panel's accounts (Taiwan): a seeded split
    accounts = load_panel_study(data_dir, sample_frac, seed, history_months).at_month()
    features = list(ACCOUNT_DECISION_FEATURES)  # what a lender may decide on: never sex or marital status
    loans = accounts.dropna(subset=features).reset_index(drop=True)
    models = fit_split_models(loans, decision_rhs(features, loans), features, outcome="default_next_month",
                              test_share=test_share, validation_share=validation_share, pdo=pdo,
                              base_score=base_score, base_odds=base_odds, seed=seed)
else:  # a loan file: out of time, or a seeded split when it has no issue months
    study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag)
    cluster = study.usable_cluster(cluster)  # None when the loans carry no state
    sample = study.model_sample(cluster=cluster)  # the four-family logit's loans and terms
    loans = sample.data
    out.show_left_out(study.left_out(sample))  # terms the loan file cannot support, and why
    features = candidate_features(sample.families)  # the same information, as raw columns
    if study.has_issue_month:
        models = fit_out_of_time_models(loans, sample.rhs, features, cutoff=oot_cutoff, cluster=cluster,
                                        validation_share=validation_share, pdo=pdo, base_score=base_score,
                                        base_odds=base_odds, seed=seed)
    else:
        models = fit_split_models(loans, sample.rhs, features, test_share=test_share, cluster=cluster,
                                  validation_share=validation_share, pdo=pdo, base_score=base_score,
                                  base_odds=base_odds, seed=seed)
check_decision_inputs(features, models.logit.fit.formula)  # raises if sex or marital status came in
dated = models.cutoff is not None
unit = "accounts" if study_is_panel else "loans"
scored = f"loans issued after {oot_cutoff}" if dated else f"the held-out {test_share:.0%} of {unit} (seeded)"
names = {"logit": "Four-family logit" if dated else "Logit", "scorecard": "Scorecard (WoE logit)",
         "boosting": "Gradient boosting"}
out.record("study", f"{unit}, " + ("out of time" if dated else "seeded split"))
out.record("loans", {"development": len(models.development), "later": len(models.later)})
out.record("holdout_months", list(models.holdout_months or []))

# %% [markdown]
# ## The scorecard: information value of each feature
# Each candidate feature (on LendingClub the columns the four families' terms use, the vintage
# left out as a later vintage has no bin; on the Taiwan accounts the decision features) is binned
# on the development loans with optbinning, monotonic in the
# default rate unless a free binning is clearly more informative. WoE is the log of the share of
# repaid loans over the share of defaulted loans in a bin; the information value reads (Siddiqi)
# under 0.02 not predictive, to 0.1 weak, to 0.3 medium, above strong. The families' sums
# over-state what a family adds jointly (its features share information): the causes page's
# drop-one tests and Shapley shares measure that.

# %%
binning = models.scorecard.binning
iv = binning.summary
families_iv = iv_by_family(iv)
out.save_table(iv, "information_value")
out.save_table(families_iv, "information_value_by_family")
out.save_table(binning.table, "bins", index=False)
out.save_table(models.scorecard.points, "scorecard_points", index=False)
out.record("iv_top5", iv["iv"].head(5).to_dict())
out.record("iv_by_family", families_iv["iv"].to_dict())
out.record("scorecard_features", models.scorecard.features)
ax = iv["iv"].iloc[::-1].set_axis(iv["label"].iloc[::-1]).plot.barh(figsize=(7, 6), color="#4C72B0")
for bound in (0.02, 0.1, 0.3):
    ax.axvline(bound, color="#888", linewidth=0.8, linestyle="--")
ax.set_xlabel("information value on the development loans (dashed: 0.02, 0.1, 0.3)")
ax.set_ylabel("")
out.save_figure(ax, "information_value")
display(families_iv.round(3))
iv[["label", "family", "trend", "bins", "iv", "strength"]].round(4)

# %% [markdown]
# The scorecard: a logit of default on the WoE of the features with IV of at least 0.02, scaled
# so that a score of `base_score` stands for odds of `base_odds` to one and every `pdo` points
# double them. The points of each bin (the full table is saved) add up to a loan's score.

# %%
display(models.scorecard.fit)
models.scorecard.points[["label", "bin", "count", "default_rate", "woe", "points"]].round(3).head(12)

# %% [markdown]
# ## Out of time: the three models on the loans issued after the cut-off
# (On the Taiwan accounts: on the held-out accounts.) AUC with its DeLong 95% interval, the paired DeLong test of each model against the logit (the
# same loans), KS (largest distance between the score distributions of defaulted and repaid
# loans) and the Brier score.

# %%
comparison = compare_scores(models.y, models.probabilities, reference="logit")
out.save_table(comparison, "out_of_time_comparison")
out.record("out_of_time", comparison[["auc", "auc_ci_lower", "auc_ci_upper", "ks", "brier", "delta_auc",
                                      "delong_p"]].to_dict(orient="index"))
out.save_table(models.boosting.tuning, "boosting_tuning", index=False)
out.record("boosting", {"rounds": models.boosting.rounds, "num_leaves": models.boosting.params["num_leaves"],
                        "validation_months": list(models.boosting.validation_months or [])})
comparison.rename(index=names)[["loans", "defaults", "auc", "auc_ci_lower", "auc_ci_upper", "delta_auc",
                                "delong_p", "ks", "brier"]].round(4)

# %% [markdown]
# ## Calibration, before and after recalibration
# By deciles of predicted risk. The recalibration `logit p' = a + b logit p` is learnt on the
# development window's latest months (held out; on the Taiwan accounts a seeded share of the
# development accounts), as scored by each model fitted on the loans before them, and applied to
# the later loans.

# %%
groups, calibration = calibration_by_decile(models.y, models.probabilities, models.recalibrated)
out.save_table(groups, "calibration_deciles", index=False)
out.save_table(calibration, "calibration")
out.record("calibration", {f"{m} {s}": row for (m, s), row in
                           calibration[["mean_predicted", "brier", "hl_p"]].to_dict(orient="index").items()})
out.record("observed_rate_later", float(models.y.mean()))
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, stage in zip(axes, ["as fitted", "recalibrated"]):
    for name, part in groups[groups["stage"] == stage].groupby("model", sort=False):
        ax.plot(part["mean_predicted"] * 100, part["observed_rate"] * 100, "o-", label=names[name])
    ax.axline((0, 0), slope=1, color="#888", linewidth=0.8)
    ax.set_xlabel("mean predicted default rate, % (decile)")
    ax.set_title(f"{scored[0].upper()}{scored[1:]}: {stage}", fontsize=10)
axes[0].set_ylabel("observed default rate, %")
axes[0].legend()
fig.tight_layout()
out.save_figure(fig, "calibration")
calibration.round(4)

# %% [markdown]
# ## What the boosted model relies on: SHAP, beside the causes page's Shapley shares
# Mean absolute SHAP value (log-odds) of each feature over a seeded sample of the later loans; a
# family's is the mean absolute sum of its features' values. Beside it, each family's Shapley
# share of the four-family logit's pseudo-R² (the causes page; its bootstrap intervals are there).
# The two answer different questions — what a flexible model uses to rank loans, and what each
# family adds to the logit's fit — so agreement on the order is the test, not equal shares. The
# shares are read from the causes page of the same run (the runner runs it first); a run without
# that page shows SHAP alone.

# %%
shap = shap_importance(models.boosting, models.later, sample=shap_sample, seed=seed)
causes = collected_numbers(output_dir).get("05_causes", {}).get("attribution", {})  # the causes page of this run
agreement = importance_agreement(shap.by_family, {family: row["shapley_share"] for family, row in causes.items()})
agreement = agreement.rename(columns={"other_share": "shapley_share", "other_rank": "shapley_rank"})
out.save_table(shap.by_feature, "shap_by_feature")
out.save_table(agreement, "shap_and_shapley_by_family")
out.record("shap_top5", shap.by_feature["mean_abs_shap"].head(5).to_dict())
out.record("shap_family_share", agreement["shap_share"].to_dict())
out.record("shapley_family_share", agreement["shapley_share"].to_dict())
ax = agreement.set_index("family_label")[["shap_share", "shapley_share"]].iloc[::-1].plot.barh(
    figsize=(7, 3.5), color=["#4C72B0", "#DD8452"])
ax.legend(["boosting: share of mean |SHAP|", "logit: Shapley share of pseudo-R² (causes page)"],
          loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
ax.set_xlabel("share" if causes else "share (the causes page did not run in this run: no Shapley shares)")
ax.set_ylabel("")
out.save_figure(ax, "shap_and_shapley")
display(agreement.round(3))
shap.by_feature.head(10).round(4)

# %% [markdown]
# ## Fair lending
# Sex and marital status never enter a scorecard or a decision model here (the page refuses a
# model that mentions them). Where the data record them (the Taiwan accounts), the rule that
# approves the safest `approved_share` by the best-ranking model is checked group by group: the
# approval rate with its Wilson interval, and the adverse impact ratio (a group's rate over the
# most-approved group's; under 0.8, the four-fifths rule, is the usual flag). LendingClub's file
# records neither.

# %%
recorded = [column for column in PROTECTED if column in models.later.columns]
chosen = comparison["auc"].idxmax()
approved = approve_safest(models.probabilities[chosen], approved_share)
fairness = pd.concat({column: adverse_impact(approved, models.later[column]) for column in recorded},
                     names=["attribute"]) if recorded else pd.DataFrame()
out.save_table(fairness, "fair_lending")
out.record("fair_lending", {"model": chosen, "approved_share": float(approved.mean()),
                            "impact_ratio": {f"{a} {g}": r for (a, g), r in fairness["impact_ratio"].items()}
                            if recorded else {}})
fairness.round(3) if recorded else "This file records neither sex nor marital status: nothing to check them against."

# %% [markdown]
# ## What the data cannot measure
# The seed also names **credit education** (borrowers who understand what overdue costs them) as
# a remedy. Neither the loan file nor the card accounts record whether a borrower had any, so
# its effect cannot be estimated here; neither can supervision or regulation of the platform, which changed for every
# loan at once. What the data can answer — how much better risk assessment would have done, and
# at what cost in approvals and profit — is above.

# %% [markdown]
# ## Headline (both studies)

# %%
logit, card, boost = (comparison.loc[m] for m in ["logit", "scorecard", "boosting"])
headline = [
    f"Scored on {scored}, the {names['logit'].lower()} ranks with AUC {logit['auc']:.3f} "
    f"({logit['auc_ci_lower']:.3f}–{logit['auc_ci_upper']:.3f}) and KS {logit['ks']:.2f}; the scorecard "
    f"{card['auc']:.3f} (KS {card['ks']:.2f}; ΔAUC {card['delta_auc']:+.3f}, DeLong p = {card['delong_p']:.2g}) and "
    f"gradient boosting {boost['auc']:.3f} (KS {boost['ks']:.2f}; ΔAUC {boost['delta_auc']:+.3f}, p = {boost['delong_p']:.2g}).",
    "Most informative features (IV): " + ", ".join(f"{row.label} {row.iv:.2f}" for row in iv.head(5).itertuples())
    + "; the boosted model leans most on " + ", ".join(shap.by_feature["label"].head(5)) + " (mean |SHAP|).",
    (f"SHAP and the causes page's Shapley shares {'agree' if (agreement['shap_rank'] == agreement['shapley_rank']).all() else 'differ'} "
     "on the order of the families: " + ", ".join(f"{row.family_label} {row.shap_share:.0%} against {row.shapley_share:.0%}"
                                                  for row in agreement.itertuples()) + "." if causes else
     "By family, the boosted model's SHAP shares: " + ", ".join(f"{row.family_label} {row.shap_share:.0%}"
                                                              for row in agreement.itertuples())
     + " (no causes page in this run to set its Shapley shares beside them)."),
]
if recorded:  # the fair-lending check, where the data record sex and marital status
    headline.append(
        f"Sex and marital status enter no model; approving the safest {approved.mean():.0%} by {names[chosen].lower()}, "
        + "; ".join(f"{g} {row.approval_rate:.1%} (impact ratio {row.impact_ratio:.2f})"
                    for (a, g), row in fairness.loc[["sex"]].iterrows())
        + (" — no group below four fifths." if not fairness["below_four_fifths"].any()
           else " — a group falls below four fifths."))
headline.append("Credit education, the seed's other remedy, cannot be measured: the data record nothing about it.")
out.record("headline", headline)
out.stop_unless(dated, f"These {unit} carry no issue dates: stability by quarter, the drift and the profit "
                "curve need them (they are on the LendingClub page).")

# %% [markdown]
# ## Stability: PSI of the scores and the features, quarter by quarter
# Population stability index between the development loans and each later quarter (under 0.1
# stable, 0.1–0.25 drifting, above 0.25 shifted). The national-cycle features (GDP growth, the
# term spread) move with the calendar itself, so every later quarter sits outside the
# development range: shifted by construction. First, calibration in the large by quarter of
# issue: each model's mean prediction against the observed rate, and the log-odds shift the
# quarter needed.

# %%
quarters = quarter_of(models.later["issue_d"]).to_numpy()
by_quarter = calibration_by_period(models.y, models.probabilities, quarters)  # calibration in the large
out.save_table(by_quarter, "calibration_by_quarter")
development = models.development.assign(**{f"{m}_score": p for m, p in models.development_probabilities.items()})
later = models.later.assign(quarter=quarters, **{f"{m}_score": p for m, p in models.probabilities.items()})
psi = psi_by_period(development, later, [f"{m}_score" for m in names] + features, period="quarter")
stability = psi_summary(psi)
out.save_table(psi, "psi", index=False)
out.save_table(stability, "psi_summary")
out.record("psi_largest", {"column": stability.index[0], "label": stability["label"].iloc[0],
                           "psi": stability["max_psi"].iloc[0], "status": stability["status"].iloc[0]})
out.record("psi_scores", stability.loc[[f"{m}_score" for m in names], "max_psi"].to_dict())
out.record("psi_status_counts", stability["status"].value_counts().to_dict())
ax = stability["max_psi"].iloc[::-1].set_axis(stability["label"].iloc[::-1]).plot.barh(
    figsize=(7, 7), logx=True, color=stability["status"].iloc[::-1].map(
        {"stable": "#55A868", "drifting": "#DD8452", "shifted": "#C44E52"}))
for bound in (0.1, 0.25):
    ax.axvline(bound, color="#888", linewidth=0.8, linestyle="--")
ax.set_xlabel("largest PSI over the later quarters (log scale; dashed: 0.1, 0.25)")
ax.set_ylabel("")
out.save_figure(ax, "psi")
display(by_quarter.round(4))
stability.round(3)

# %% [markdown]
# ## Which moves go with the logit's 2011 drift?
# The logit's mean predicted log-odds moved from the development loans to each later quarter by
# the sum of its terms' contributions (coefficients times the change of their columns' means);
# `needed_shift` is the log-odds shift each quarter needed for its predicted defaults to add up to
# the observed ones. A feature that moved (PSI of 0.1 or more) while its term pushed the
# predictions against that shift is one the drift goes with.

# %%
contributions = shift_contributions(models.logit.fit, models.development, later, period="quarter")
drivers = drift_drivers(contributions, stability)
out.save_table(contributions, "drift_contributions")
out.save_table(drivers, "drift_drivers")
out.record("drift_needed_shift", contributions.loc["needed_shift"].drop("family").to_dict())
out.record("drift_predicted_change", contributions.loc["predicted_change"].drop("family").to_dict())
out.record("drift_drivers", drivers[drivers["against_drift"]]["contribution"].to_dict())
display(drivers.head(8).round(3))
contributions.round(3)

# %%
driving = drivers[drivers["against_drift"]]
largest = stability.drop(index=[f"{m}_score" for m in names])
headline = headline[:-1] + [
    f"The later loans defaulted at {models.y.mean():.1%}; predicted on average: "
    + ", ".join(f"{names[m]} {comparison.loc[m, 'mean_predicted']:.1%}" for m in names)
    + ". The moved features whose terms pushed the logit's predictions down as the loans needed them up: "
    + (", ".join(f"{t} ({row.contribution:+.2f} log-odds, PSI {row.max_psi:.2g})" for t, row in driving.head(3).iterrows())
       or "none") + ".",
    f"Largest PSI: {largest['label'].iloc[0]} {largest['max_psi'].iloc[0]:.2f} ({largest['status'].iloc[0]}); "
    f"the scores' largest PSI: " + ", ".join(f"{names[m]} {stability.loc[f'{m}_score', 'max_psi']:.2f}" for m in names) + ".",
    headline[-1],
]
out.record("headline", headline)

# %% [markdown]
# ## Profit: the approval cut-off in realised money
# Each loan's realised profit is what the borrower paid (recoveries included) less collection
# fees less the amount funded (`overdue.models.policy.realised_profit`: undiscounted, before the
# platform's fees). For each model, the later loans are approved safest first; approving all of
# them is what the platform actually did. Bands: 95% bootstrap over loans (seeded). The
# profit-maximising cut-off stands beside the one that minimises the default rate while still
# approving at least `min_approved_share` of the loans.

# %%
totals = pd.read_parquet(resolve(data_dir) / "loans.parquet")
out.stop_unless({"total_pymnt", "collection_recovery_fee", "funded_amnt"} <= set(totals.columns),
                "Profit was not measured: this loan file has no total payments, collection fees or funded amounts.")
totals = totals.set_index("id").loc[models.later["id"]]
out.stop_unless(totals[["funded_amnt", "total_pymnt"]].notna().all().all(),
                "Profit was not measured: this loan file lacks the total payments or funded amount of some later loans.")
profit = realised_profit(totals["funded_amnt"], totals["total_pymnt"], totals["collection_recovery_fee"])
curves = pd.concat({m: profit_curve(models.y, p, profit, n_boot=profit_boot, seed=seed)
                    for m, p in models.probabilities.items()}, names=["model"])
best = pd.concat({m: best_cutoffs(curves.loc[m], min_approved_share) for m in names}, names=["model"])
out.save_table(curves, "profit_curve")
out.save_table(best, "profit_best_cutoffs")
out.record("profit_approve_all", float(profit.sum()))
out.record("profit_best", {f"{m} {rule}": row for (m, rule), row in
                           best[["share", "max_score", "approved_share", "default_rate", "total_profit",
                                 "total_ci_lower", "total_ci_upper", "vs_approve_all"]].to_dict(orient="index").items()})
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for m in names:
    curve = curves.loc[m]
    axes[0].plot(curve["approved_share"] * 100, curve["total_profit"] / 1e6, "-", label=names[m])
    axes[0].fill_between(curve["approved_share"] * 100, curve["total_ci_lower"] / 1e6,
                         curve["total_ci_upper"] / 1e6, alpha=0.2)
    axes[1].plot(curve["approved_share"] * 100, curve["default_rate"] * 100, "-", label=names[m])
axes[0].axhline(profit.sum() / 1e6, color="#888", linewidth=0.8, linestyle="--")
axes[0].set_xlabel("loans approved, % (safest first)")
axes[0].set_ylabel("realised profit, $ million")
axes[0].set_title(f"Loans issued after {oot_cutoff} (dashed: approving all)")
axes[1].set_xlabel("loans approved, % (safest first)")
axes[1].set_ylabel("default rate of the approved, %")
axes[1].legend()
fig.tight_layout()
out.save_figure(fig, "profit_curve")
display(best.round(4))
curves.loc["logit"].round(3)

# %% [markdown]
# ## Headline (LendingClub)

# %%
top_profit = best.xs("profit-maximising", level="rule")
leader = top_profit["total_profit"].idxmax()
out.record("headline", headline[:-1] + [
    (f"No stricter cut-off would have raised realised profit: approving every later loan, as the platform did, "
     f"realised ${profit.sum() / 1e6:.1f} million (95% band {top_profit.loc[leader, 'total_ci_lower'] / 1e6:.1f}–"
     f"{top_profit.loc[leader, 'total_ci_upper'] / 1e6:.1f}): by every model, even the riskiest loans repaid more than they lost"
     if (top_profit["approved_share"] == 1).all() else
     f"Approving only the safest {top_profit.loc[leader, 'approved_share']:.0%} of the later loans as ranked by "
     f"{names[leader]} would have realised ${top_profit.loc[leader, 'total_profit'] / 1e6:.1f} million "
     f"(95% band {top_profit.loc[leader, 'total_ci_lower'] / 1e6:.1f}–{top_profit.loc[leader, 'total_ci_upper'] / 1e6:.1f}) "
     f"against ${profit.sum() / 1e6:.1f} million approving all")
    + f"; the default-minimising rule keeping {min_approved_share:.0%} of them (ranked by {names[leader]}) would have "
    f"cut their default rate from {models.y.mean():.1%} to {best.loc[(leader, 'default-minimising'), 'default_rate']:.1%} "
    f"and realised ${best.loc[(leader, 'default-minimising'), 'total_profit'] / 1e6:.1f} million.",
    headline[-1],
])
