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
# # 07 · Dynamics: how overdue moves
#
# "Overdue" means a payment missed its due date. A lender's monthly record shows how accounts
# move between delinquency buckets — current, 1, 2 and 3+ months past due, and where the data
# have them the absorbing default and closure: how often they **roll** forward to a worse
# bucket, how often they **cure** back to current, from which bucket default becomes near
# certain (the evidence behind a 90-days-past-due definition), whether last month's bucket is
# all that matters (the Markov check), and what drives cure against roll.
#
# The Taiwan study (`configs/taiwan.yaml`) reads 30,000 credit-card accounts of a Taiwanese bank,
# April–September 2005, in the card-debt crisis of over-issued cards and consumption on credit;
# its outcome is default on the October payment. Intervals are Wilson's per cell and a
# bootstrap over accounts (an account's months are not independent); the multinomial logits
# cluster their errors by account.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build` (the Taiwan study: data/processed/taiwan)
sample_frac: float = 1.0  # share of accounts analysed (whole accounts); the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)
history_months: int = 6  # months the payment-history features look back over (the month itself included)
bootstrap: int = 200  # bootstrap replicates over accounts for the matrix's and the marginal effects' intervals (0: Wilson and delta method only)
markov_k: int = 2  # months ahead compared in the Markov check
factors: list = ["utilisation_band", "credit_line_band"]  # factors the roll and cure rates are split by
min_moves: int = 100  # an origin bucket with fewer moves than this in a group is not drawn
origins: list = ["current", "2", "3+"]  # origin buckets of the covariate model (bucket 1 has 34 moves in the Taiwan file)
transition_rhs: str = "utilisation + log_credit_line + payment_ratio + months_delinquent + age + C(education) + C(sex) + C(marital_status)"  # covariates of next month's move
origin_rhs: dict = {"3+": "utilisation + log_credit_line + payment_ratio + months_delinquent + age + C(sex) + C(marital_status)"}  # per-origin covariates where transition_rhs cannot be fitted (from 3+ education "other" has 2 moves: separation)
first_overdue_rhs: str = "log_credit_line + utilisation + payment_ratio + age + C(education) + C(sex) + C(marital_status)"  # covariates of the time to first overdue: the line and the holder at the start, utilisation and payment ratio of the month before
default_rhs: str = "C(bucket) + utilisation + log_credit_line + payment_ratio + months_delinquent + age + C(education) + C(sex) + C(marital_status)"  # covariates of the default-next-month logit

# %%
import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Markdown, display

from overdue import RunOutput, load_panel_study, plots
from overdue.data.delinquency import status_table
from overdue.models import (
    absorbing_chain,
    fit_logit,
    fit_transition_logit,
    labelled_marginal_effects,
    labelled_transition_summary,
    late_fee_cures,
    markov_check,
    outcome_by_bucket,
    records_late_fees,
    roll_cure_rates,
    transition_marginal_effects,
    transition_matrix,
    transition_sample,
)
from overdue.models.first_overdue import (
    first_overdue_periods,
    first_overdue_sample,
    first_overdue_table,
    fit_first_overdue,
    labelled_first_overdue,
)
from overdue.models.labels import labelled_summary, readable

out = RunOutput(output_dir, "07_dynamics")
study = load_panel_study(data_dir, sample_frac, seed, history_months)
out.record("has_panel", study.has_panel)

# %% [markdown]
# ## Without a delinquency panel: the loan file's one cure signal
# A loan file records final statuses only. The one cure it shows is a loan that paid late fees
# (at least one payment was late) and was then fully paid.

# %%
if not study.has_panel:
    out.stop_unless(records_late_fees(study.loans),
                    "These loans have no delinquency panel and record no late fees "
                    "(total_rec_late_fee), so they show no cure at all.")
    cures = late_fee_cures(study.loans)
    out.save_table(cures, "late_fee_cures")
    out.record("late_fee_cures", cures.to_dict(orient="index"))
    late = cures.loc["paid a late fee"]
    display(cures)
    out.stop_unless(False,
                    "These loans have no month-by-month delinquency record, so there are no transitions, "
                    "roll or cure rates (build a panel with `overdue build --source taiwan` or "
                    f"`--performance`). Their one cure signal: {late['fully_paid']:,.0f} of the "
                    f"{late['loans']:,.0f} loans that paid a late fee were then fully paid ({late['share']:.1%}, "
                    f"against {cures.loc['no late fee', 'share']:.1%} of the others).")

# %% [markdown]
# ## The panel
# Accounts, account-months and the source's status codes by month (for the Taiwan file: -2 no
# balance, -1 paid duly and 0 revolving are not past due; k ≥ 1 is k months past due).

# %%
out.record("panel", study.description)
statuses = status_table(study.panel)
out.save_table(statuses, "status_by_month")
display(Markdown(
    f"**{study.description['accounts']:,} accounts, {study.description['account_months']:,} "
    f"account-months** ({study.description['first_month']} to {study.description['last_month']}); "
    f"{study.description.get('defaults_next_month', 0):,} defaults the month after."))
statuses

# %% [markdown]
# ## One-month transition matrix
# Each row: where the accounts in a bucket are the next month (share, and the count below it).

# %%
matrix = transition_matrix(study.panel, bootstrap=bootstrap, seed=seed)
out.save_table(matrix.table, "transition_matrix", index=False)
out.record("transition_matrix", matrix.probabilities().round(4).to_dict(orient="index"))
out.record("transition_counts", matrix.counts().to_dict(orient="index"))
fig, ax = plt.subplots(figsize=(1.4 * len(matrix.states_to) + 2, 1.1 * len(matrix.states_from) + 1.5))
sns.heatmap(matrix.probabilities(), annot=matrix.cell_labels(), fmt="", cmap="Reds", vmin=0, vmax=1,
            cbar_kws={"label": "share in the bucket next month"}, ax=ax)
ax.set(xlabel="bucket next month", ylabel="bucket this month",
       title=f"One-month transitions, pooled ({int(matrix.table['count'].sum()):,} moves)")
out.save_figure(fig, "transition_matrix")

# %% [markdown]
# ### Month by month
# The pooled matrix stands for every month only if the moves do not change over time.

# %%
monthly = transition_matrix(study.panel, by="month")
out.save_table(monthly.table, "transition_matrix_by_month", index=False)
fig, axes = plt.subplots(1, len(monthly.groups), figsize=(3.6 * len(monthly.groups), 3.6), sharey=True)
for ax, month in zip(axes, monthly.groups):
    sns.heatmap(monthly.probabilities(month), annot=True, fmt=".2f", cmap="Reds", vmin=0, vmax=1,
                cbar=False, ax=ax)
    ax.set(title=f"from {month}", xlabel="next month", ylabel="")
fig.tight_layout()
out.save_figure(fig, "transition_matrix_by_month")

# %% [markdown]
# In the Taiwan file status 1 almost never occurs before September (SOURCES.md): accounts
# seem to move from current straight to 2 months past due until August, and the few in bucket 1
# stay there. The August → September matrix is the only one in which bucket 1 fills.

# %% [markdown]
# ## Roll and cure rates
# Roll: to a worse bucket next month. Cure: from 1+ months past due back to current.

# %%
rates = roll_cure_rates(matrix)
out.save_table(rates, "roll_cure_rates", index=False)
out.record("roll_rates", rates.set_index("from")["roll_rate"].to_dict())
out.record("cure_rates", rates.set_index("from")["cure_rate"].to_dict())
rates

# %%
fig, axes = plt.subplots(2, len(factors), figsize=(6 * len(factors), 7), squeeze=False)
for column, factor in enumerate(factors):
    by_factor = roll_cure_rates(transition_matrix(study.features, by=factor))
    out.save_table(by_factor, f"roll_cure_by_{factor}", index=False)
    for row, kind in enumerate(["roll", "cure"]):
        shown = by_factor[by_factor["n"] >= min_moves].pivot(index="group", columns="from", values=f"{kind}_rate")
        shown.plot.bar(ax=axes[row, column], rot=0, width=0.8, title="")
        axes[row, column].set(title=f"{kind} rate by {factor.replace('_', ' ')}", xlabel="",
                              ylabel=f"{kind} rate next month")
fig.tight_layout()
out.save_figure(fig, "roll_cure_by_factor")

# %% [markdown]
# ## The point of no return
# The share of accounts that default the month after the panel ends, by their bucket in its
# last month (for the Taiwan file: default on the October payment by the September status).

# %%
october = outcome_by_bucket(study.panel, study.accounts)
by_mpd = outcome_by_bucket(study.panel, study.accounts, level="mpd")
out.save_table(october, "default_next_month_by_bucket")
out.save_table(by_mpd, "default_next_month_by_mpd")
out.record("default_next_month_by_bucket", october["rate"].to_dict())
out.record("default_next_month_by_bucket_ci", october[["ci_lower", "ci_upper"]].to_dict(orient="index"))
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plots.default_rates(october, ax=axes[0], title=f"Default next month by bucket in {october.attrs['month']}")
plots.default_rates(by_mpd, ax=axes[1], title=f"… by months past due in {october.attrs['month']}")
fig.tight_layout()
out.save_figure(fig, "point_of_no_return")
october

# %% [markdown]
# Where the panel has absorbing states, the absorbing chain of the pooled matrix gives the
# probability of eventual default and the months an account spends delinquent from each bucket
# (the fundamental matrix N = (I − Q)⁻¹).

# %%
if matrix.absorbing_states:
    chain = absorbing_chain(matrix)
    out.save_table(chain.table, "absorbing_chain")
    out.record("eventual_default", chain.table.get("eventual_default", chain.table.iloc[:, 0]).to_dict())
    display(chain.table)
else:
    out.record("eventual_default", "not defined: the panel has no absorbing state")
    display(Markdown("This panel has no absorbing state (nothing is charged off or closed within it), "
                     "so eventual default and months delinquent until absorption are not defined; the "
                     "outcome the month after stands for them above."))

# %% [markdown]
# ## The Markov check
# If next month depends only on this month's bucket, multiplying the one-month matrices gives
# the k-month moves. Observed against implied (month-by-month products), from each origin month.

# %%
check = markov_check(study.panel, k=markov_k)
pooled_check = markov_check(study.panel, k=markov_k, implied="pooled")
out.record("markov_check", check.to_dict() | check.detail)
out.record("markov_check_pooled", pooled_check.to_dict() | pooled_check.detail)
out.save_table(check.table, "markov_check", index=False)
fig, ax = plt.subplots(figsize=(5, 5))
shown = check.table[check.table["n_from"] >= 30]
sns.scatterplot(data=shown, x="implied", y="observed", hue="from", size="n_from", ax=ax)
ax.plot([0, 1], [0, 1], color="grey", linewidth=1)
ax.set(title=f"{markov_k}-month moves: observed vs implied\n{check}", xlabel="implied by one-month matrices",
       ylabel="observed")
out.save_figure(fig, "markov_check")
check.table.sort_values("difference", key=abs, ascending=False).head(10)

# %% [markdown]
# ## What drives cure and roll
# For each origin bucket, a multinomial logit of next month's move (stay is the reference) on
# the account's features that month, errors clustered by account; below, the average marginal
# effects on the probability of each move, in the reported units (utilisation and the payment
# ratio per 10 percentage points, the credit line per doubling, age per 10 years). Sex and
# marital status are controls. The intervals drawn are the delta method's; the tables add the
# percentile intervals of the bootstrap over accounts (`boot_lower`, `boot_upper`: accounts drawn
# with replacement, each draw refitted). A draw in which a sparse level has no move of some kind
# has no finite estimate and is left out (the numbers record how many draws each origin used).

# %%
pairs, dropped = transition_sample(study.features, transition_rhs)
out.record("transitions_dropped_incomplete", dropped)
fits = {origin: fit_transition_logit(pairs, origin_rhs.get(origin, transition_rhs), origin=origin)
        for origin in origins}
for origin, fit in fits.items():
    out.save_table(labelled_transition_summary(fit, pairs).rename(columns={"term": "term_formula"}),
                   f"transition_logit_from_{origin.replace('+', 'plus')}", index=False)
    out.record(f"transition_logit_from_{origin}", {"n": fit.n, "warnings": list(fit.warnings),
                                                   "pseudo_r2": fit.extra["pseudo_r2"]})
effects = {origin: labelled_marginal_effects(transition_marginal_effects(fit, bootstrap=bootstrap, seed=seed), pairs)
           for origin, fit in fits.items()}
out.record("marginal_effects_bootstrap", {origin: table.attrs.get("bootstrap") for origin, table in effects.items()})
for origin, table in effects.items():
    out.save_table(table.rename(columns={"term": "term_formula"}),
                   f"marginal_effects_from_{origin.replace('+', 'plus')}", index=False)
labelled_transition_summary(fits[origins[0]], pairs).drop(columns=["term"], errors="ignore")

# %%
fig, axes = plt.subplots(1, len(origins), figsize=(6 * len(origins), 6), squeeze=False)
for ax, (origin, table) in zip(axes[0], effects.items()):
    for offset, move in [(-0.15, "cure"), (0.15, "roll")]:
        rows = table[table["outcome"] == move].reset_index(drop=True)
        ax.errorbar(rows["ame"], rows.index + offset, xerr=[rows["ame"] - rows["ci_lower"],
                    rows["ci_upper"] - rows["ame"]], fmt="o", capsize=2, label=move)
    labels = table.drop_duplicates("term")["label"].tolist()
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="grey", linewidth=1)
    ax.set(title=f"from {origin}", xlabel="change in the probability next month (95% CI)")
    ax.legend()
fig.tight_layout()
out.save_figure(fig, "cure_roll_effects")
effects[origins[-1]].drop(columns=["term"], errors="ignore")

# %% [markdown]
# ## Time to first overdue
# How soon does an account that is not overdue first miss a payment, and what brings that
# sooner? Each account enters in its first month; one already overdue then is left-censored (its
# first overdue came before the panel began, nobody knows when) and is left out, counted. The
# others are at risk from the month after, one row a month until their first month overdue
# (MPD ≥ 1) or the panel's end: a discrete-time hazard with one baseline level per month and
# errors clustered by account, its complementary log-log link making the ratios hazard ratios.
# The covariates are what the bank knew before the month: the credit line and the holder (age,
# education; sex and marital status as controls) as they were at the start, and the utilisation
# and payment ratio of the month before. The payment ratio has no value in an account's first
# month (no bill before it), so the model loses the first month at risk. In the Taiwan file
# status 1 is almost never recorded before September, so a first overdue there usually shows as
# 2 months past due, a month after the missed due date, and the hazard jumps in September, when
# one month past due first shows: read the monthly baseline, and the timing of the covariates,
# with that in mind.

# %%
periods, at_risk = first_overdue_periods(study.features)
life_table = first_overdue_table(periods)
hazard_sample, hazard_dropped = first_overdue_sample(periods, first_overdue_rhs)
hazard = fit_first_overdue(hazard_sample, first_overdue_rhs)
hazard_table = labelled_first_overdue(hazard, hazard_sample)
out.save_table(life_table, "first_overdue_life_table")
out.save_table(hazard_table, "first_overdue_hazard")
out.record("first_overdue", at_risk | {"dropped_incomplete": hazard_dropped, "n": hazard.n,
                                       "events_fitted": hazard.events, "warnings": list(hazard.warnings)})
out.record("first_overdue_hazard_ratios", hazard_table.loc[["log_credit_line", "utilisation", "payment_ratio"],
                                                           ["label", "exp_estimate", "exp_ci_lower", "exp_ci_upper", "p"]]
           .to_dict(orient="index"))
line, use = hazard_table.loc["log_credit_line"], hazard_table.loc["utilisation"]
display(Markdown(
    f"**{at_risk['at_risk']:,} accounts at risk** ({at_risk['left_censored']:,} overdue in their first month left out), "
    f"**{at_risk['events']:,} first overdues** in {at_risk['periods']:,} account-months; "
    f"{life_table['never_overdue'].iloc[-1]:.1%} never overdue by the panel's end. "
    f"Hazard ratio of a doubled credit line {line['exp_estimate']:.2f} "
    f"({line['exp_ci_lower']:.2f}–{line['exp_ci_upper']:.2f}), of 10 more percentage points of the line used "
    f"{use['exp_estimate']:.3f} ({use['exp_ci_lower']:.3f}–{use['exp_ci_upper']:.3f}); "
    f"{hazard.n:,} account-months fitted."))
shown = hazard_table.drop(index=["Intercept", *hazard.extra["baseline_terms"]])
out.save_figure(plots.forest(shown, title="First overdue: hazard ratios"), "forest_first_overdue")
display(life_table)
readable(hazard_table)

# %% [markdown]
# ## Default the month after, on the payment history
# A logit of default the month after the panel on the last month's bucket and the account's
# features (one row per account).

# %%
last = study.at_month()
default_fit = fit_logit(last.dropna(subset=["payment_ratio", "age"]), default_rhs, outcome="default_next_month")
default_table = labelled_summary(default_fit)
out.save_table(default_table, "default_next_month_logit")
out.record("default_next_month_logit", {"n": default_fit.n, "auc": default_fit.extra.get("auc"),
                                        "pseudo_r2": default_fit.extra["pseudo_r2"]})
out.save_figure(plots.forest(default_table, title="Default the month after: odds ratios"), "forest_default_next_month")
readable(default_table)

# %%
rate = rates.set_index("from")
out.record("headline", [
    f"Of accounts 2 months past due in {october.attrs['month']}, {october.loc['2', 'rate']:.1%} defaulted the month "
    f"after, against {october.loc['current', 'rate']:.1%} of current accounts; in any month "
    f"{rate.loc['2', 'cure_rate']:.1%} of 2-month-delinquent accounts cured and {rate.loc['2', 'roll_rate']:.1%} rolled "
    f"to 3+ ({check.test}: the one-month matrices {'do not ' if check.p < 0.05 else ''}explain the "
    f"{markov_k}-month moves)."
])
