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
# # 04 · Survival: when loans go overdue
#
# Time to the first missed payment, in months on book. A Cox proportional-hazards model (Efron
# ties, cluster-robust errors) with its proportional-hazards check; competing risks, since a
# loan that is prepaid can no longer default: cause-specific Cox models for default and for
# prepayment, and the Fine–Gray model of the cumulative incidence of default; and a
# discrete-time hazard on the loan-month panel, where the state's unemployment changes month by
# month over each loan's life.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
issue_start: str = "2007-01"  # first issue month analysed (YYYY-MM)
issue_end: str = "2011-12"  # last issue month analysed (YYYY-MM)
overdue_statuses: list = []  # open-loan statuses counted as overdue, e.g. ["Late (31-120 days)"]
macro_lag: int = 1  # months of publication lag on monthly unemployment
cluster: str = "addr_state"  # cluster for robust errors of the Cox models: addr_state or issue_month
cox_strata: str = "term"  # Cox strata column ("" for none): 36- and 60-month loans get their own baselines
zph_alpha: float = 0.01  # terms whose proportional-hazards p is below this get β(t) plots and effects by loan age
age_cuts: list = [12, 24]  # loan ages (months) at which those terms' effects may change
beta_max_month: int = 60  # β(t) plots stop at this month: beyond it fewer than 50 loans remain at risk
hazard_link: str = "cloglog"  # discrete-time hazard link: cloglog (grouped-time PH) or logit
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from overdue import RunOutput, load_study, plots, resolve
from overdue.models import (
    age_bands_wide,
    age_effect_sentences,
    cox_zph,
    drifting_terms,
    fit_cause_specific_cox,
    fit_cox,
    fit_cox_by_age,
    fit_discrete_hazard,
    fit_fine_gray,
    labelled_age_bands,
)
from overdue.models.labels import (
    label_terms,
    labelled,
    labelled_summary,
    readable,
    readable_warnings,
)
from overdue.synthetic import compare_to_truth, read_truth
from overdue.tables import model_table

out = RunOutput(output_dir, "04_survival")
study = load_study(data_dir, sample_frac, seed, issue_start, issue_end, overdue_statuses, macro_lag, with_panel=True)
out.record("time_to_event_available", study.has_time_to_event)
out.stop_unless(study.has_time_to_event,
                f"Survival models were not run: these loans have {study.missing_dates}, so there is no time to "
                "overdue (the data, features, descriptive, logit and causes pages still hold).")

# %% [markdown]
# ## Cox proportional hazards
# All four families, stratified by term; hazard ratios with cluster-robust errors.

# %%
strata = [cox_strata] if cox_strata else []
cluster = study.usable_cluster(cluster)  # None when the loans carry no state (or issue month)
sample = study.model_sample(cluster=cluster, exclude=strata, columns=["time"])
out.show_left_out(study.left_out(sample))  # terms the loan file cannot support, and why
cox = fit_cox(sample.data, sample.rhs, duration="time", event="defaulted", ties="efron",
              strata=strata or None, cluster=cluster)
cox_table = labelled_summary(cox, sample.data)  # per the unit in each label: FICO per 50 points …
out.save_table(cox_table, "cox")
out.save_figure(plots.forest(cox_table, title="Cox: hazard ratios of default"), "forest_cox")
business = "C(purpose_group, Treatment('refinancing'))[T.business]"
ratio = ["exp_estimate", "exp_ci_lower", "exp_ci_upper"]
out.record("cox_n", cox.n)
out.record("cox_events", cox.events)
out.record("cox_converged", cox.converged)
out.record("cox_warnings", readable_warnings(cox, sample.data))
out.record("cox_hr_business", cox_table.loc[business, ratio].to_dict())
out.record("cox_hr_fico", cox_table.loc["fico", ratio].to_dict())  # per 50 points

# %% [markdown]
# ### Proportional-hazards check
# Score tests on the scaled Schoenfeld residuals against the Kaplan–Meier time scale, per term and
# global (as R's `cox.zph`). A small p-value says the term's hazard ratio drifts with loan age.

# %%
zph = cox_zph(cox)
zph_table = labelled(zph.table, data=sample.data)  # terms by their labels; the formula in term_formula
out.save_table(zph_table, "cox_zph")
out.record("cox_zph_global_p", zph.table.loc["GLOBAL", "p"])
readable(zph_table)

# %% [markdown]
# #### Effects that change with loan age
# For each term the check rejects at `zph_alpha`: its coefficient over loan age, β(t), smoothed
# from the scaled Schoenfeld residuals with a ±2 SE band (as R's `plot(cox.zph)`; the points are
# the residuals' means per month), against the model's constant estimate (dashed). Then a Cox
# model in which those terms get one hazard ratio per loan-age band: the loans are split into
# (start, stop] episodes at `age_cuts` (as R's `survSplit`), the other terms keep one effect, and
# the errors stay clustered as above, which keeps each loan's episodes together. A β(t) falling
# toward 0, or band ratios closing on 1, is an effect that fades as the loan ages; the sentences
# below the table say which do, from the band estimates and a Wald test of equal bands.

# %%
drifting = drifting_terms(zph, cox, alpha=zph_alpha)
out.record("ph_rejected_terms", list(drifting))
if drifting:
    drifting_labels = label_terms(sum(drifting.values(), []), sample.data)  # titles and units of β(t)
    grid = plots.beta_t_grid(zph, list(drifting_labels), labels=drifting_labels, max_time=beta_max_month)
    out.save_figure(grid[0].figure, "beta_t")
    by_age = fit_cox_by_age(sample.data, sample.rhs, list(drifting), cuts=age_cuts, strata=strata or None,
                            cluster=cluster)
    age_bands = labelled_age_bands(by_age.extra["age_bands"], sample.data)
    out.save_table(age_bands, "cox_by_age", index=False)
    out.record("cox_by_age_warnings", readable_warnings(by_age, sample.data))
    out.record("age_effects", age_effect_sentences(age_bands))
    display(age_bands_wide(age_bands))
    display(Markdown("\n".join(f"- {sentence}" for sentence in out.numbers["age_effects"])))

# %% [markdown]
# ## Competing risks: default against prepayment

# %%
competing = study.model_sample(["credit", "purpose"], exclude=strata, columns=["time"])
cs_default = fit_cause_specific_cox(competing.data, competing.rhs, cause=1, strata=strata or None)
cs_prepaid = fit_cause_specific_cox(competing.data, competing.rhs, cause=2, strata=strata or None)
fine_gray = fit_fine_gray(competing.data, competing.rhs, duration="time", event="event", cause=1)
competing_tables = {name: labelled_summary(fit, competing.data) for name, fit in
                    {"cause_specific_default": cs_default, "cause_specific_prepaid": cs_prepaid,
                     "fine_gray_default": fine_gray}.items()}
fig, axes = plt.subplots(1, 3, figsize=(20, 0.3 * len(fine_gray.summary) + 1.5), sharey=True)
plots.forest(competing_tables["cause_specific_default"], ax=axes[0], title="cause-specific: default")
plots.forest(competing_tables["cause_specific_prepaid"], ax=axes[1], title="cause-specific: prepayment")
plots.forest(competing_tables["fine_gray_default"], ax=axes[2], title="Fine–Gray: subdistribution hazard of default")
fig.tight_layout()
out.save_figure(fig, "competing_risks")
for name, table in competing_tables.items():
    out.save_table(table, name)
out.record("cause_specific_default_warnings", readable_warnings(cs_default, competing.data))
out.record("cause_specific_prepaid_warnings", readable_warnings(cs_prepaid, competing.data))
out.record("fine_gray_default_warnings", readable_warnings(fine_gray, competing.data))
out.record("fine_gray_hr_business", competing_tables["fine_gray_default"].loc[business, ratio].to_dict())

# %% [markdown]
# ## Discrete-time hazard with time-varying unemployment
# One row per loan and month on book; the state's unemployment in each month (lagged by the
# publication delay), a baseline by month on book in 12-month bands, errors clustered by loan.

# %%
months = study.model_sample(panel=True, columns=["event_default"])
hazard = fit_discrete_hazard(months.data, months.rhs, link=hazard_link, baseline_form="bands", band_months=12, cluster="id")
hazard_table = labelled_summary(hazard, months.data)
out.save_table(hazard_table, "discrete_hazard")
out.record("hazard_loan_months", hazard.n)
if "state_unemp_tv" in hazard_table.index:  # a loan file without states has no state's unemployment
    out.record("hazard_unemployment", hazard_table.loc["state_unemp_tv", ["estimate", "se", "ci_lower", "ci_upper", "exp_estimate"]].to_dict())
out.record("hazard_warnings", readable_warnings(hazard, months.data))

# %% [markdown]
# ## The survival models side by side
# Hazard ratios with their 95% intervals: the Cox model of all four families, and for default
# with prepayment as a competing event the cause-specific Cox and Fine–Gray models (credit and
# purpose), and the discrete-time hazard with the state's unemployment month by month. Exported
# beside this page as LaTeX and CSV (`tables/04_survival_survival_models.tex`, `.csv`).

# %%
survival_models = model_table({"Cox": cox, "Cause-specific Cox": cs_default, "Fine–Gray": fine_gray,
                               "Discrete-time hazard": hazard}, data=sample.data, table_id="survival-models")
out.save_model_table(survival_models, "survival_models")
survival_models

# %% [markdown]
# ## Known truth (synthetic loans only)
# Loans simulated by `overdue build --source synthetic` carry their true hazard (`truth.json`);
# the true model is fitted here and each estimate set beside its truth.

# %%
if (resolve(data_dir) / "truth.json").is_file():
    truth = read_truth(resolve(data_dir))
    truth_fit = fit_discrete_hazard(study.panel, truth["formula_rhs"], baseline_form="bands", band_months=truth["band_months"],
                                    categories=truth["categories"], cluster="id")
    comparison = compare_to_truth(truth_fit, truth)
    out.save_table(comparison, "truth_comparison")
    out.record("truth_covered_share", comparison["covered"].mean())
    display(comparison.round(4))

# %% [markdown]
# ## Headline

# %%
headline = []
if business in cox_table.index:
    hr = cox_table.loc[business]
    headline.append(f"Small-business loans default at {hr['exp_estimate']:.2f}× the hazard of refinancing loans "
                    f"(Cox, 95% CI {hr['exp_ci_lower']:.2f}–{hr['exp_ci_upper']:.2f}), other factors equal.")
if "fico" in cox_table.index:
    fico_hr = cox_table.loc["fico"]
    headline.append(f"The default hazard multiplies by {fico_hr['exp_estimate']:.2f} {fico_hr['per']} of FICO score "
                    f"(Cox, 95% CI {fico_hr['exp_ci_lower']:.2f}–{fico_hr['exp_ci_upper']:.2f}).")
if "state_unemp_tv" in hazard_table.index:
    unemployment = hazard_table.loc["state_unemp_tv"]
    headline.append(f"Each point of state unemployment during the loan's life multiplies the monthly default hazard by "
                    f"{unemployment['exp_estimate']:.3f} (95% CI {unemployment['exp_ci_lower']:.3f}–{unemployment['exp_ci_upper']:.3f}).")
else:
    headline.append("The loan file has no state, so the hazard follows no state's unemployment month by month.")
out.record("headline", headline)
