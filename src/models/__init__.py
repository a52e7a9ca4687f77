"""Models of default: every estimator, test and assessment a notebook calls, from one place.

Every estimator has one call shape, ``fit_x(df, rhs, *, duration=, event=, cause=, strata=,
cluster=, weights=, alpha=, max_iter=, tol=)`` (the keywords that apply), and returns a
:class:`FitResult`; every test returns a :class:`TestResult`. The modules hold one concern
each: :mod:`~overdue.models.specs` (the families of causes), :mod:`~overdue.models.descriptive`,
:mod:`~overdue.models.logit`, :mod:`~overdue.models.assessment` and
:mod:`~overdue.models.validation`, the survival models (:mod:`~overdue.models.survival_curves`,
:mod:`~overdue.models.cox`, :mod:`~overdue.models.incidence`, :mod:`~overdue.models.fine_gray`),
effects that change with loan age (:mod:`~overdue.models.time_varying`), the discrete-time
:mod:`~overdue.models.hazard` on the streamed GLM of
:mod:`~overdue.models.irls`, :mod:`~overdue.models.attribution`,
:mod:`~overdue.models.policy`, and how delinquency moves between buckets of a delinquency panel
(:mod:`~overdue.models.transitions`, streamed over a partitioned panel by
:mod:`~overdue.models.transitions_streamed`).

Examples
--------
>>> from overdue.models import fit_logit, fit_cox, kaplan_meier
>>> fit_logit.__module__, fit_cox.__module__
('overdue.models.logit', 'overdue.models.cox')
"""

from overdue.models.assessment import (
    AUC,
    auc_delong,
    brier_score,
    calibration_table,
    compare_auc_delong,
    ks_statistic,
    population_stability,
    recalibrate,
    stability_status,
)
from overdue.models.attribution import attribute, drop_one_auc, drop_one_lr, shapley_pseudo_r2
from overdue.models.cox import cox_zph, fit_cause_specific_cox, fit_cox
from overdue.models.descriptive import (
    composition,
    default_rates,
    raw_and_adjusted,
    vintage_curves,
    wilson_interval,
)
from overdue.models.fine_gray import fit_fine_gray
from overdue.models.first_overdue import (
    first_overdue_periods,
    first_overdue_table,
    fit_first_overdue,
)
from overdue.models.hazard import fit_discrete_hazard
from overdue.models.incidence import cumulative_incidence, gray_test
from overdue.models.irls import fit_glm_irls
from overdue.models.logit import (
    average_marginal_effects,
    fit_logit,
    fit_nested,
    lr_test,
    wald_test,
)
from overdue.models.policy import approval_tradeoff, pricing_by_grade
from overdue.models.result import FitResult, TestResult
from overdue.models.specs import FAMILIES, ModelSample, model_sample
from overdue.models.survival_curves import kaplan_meier, logrank_test, numbers_at_risk
from overdue.models.time_varying import (
    age_bands_wide,
    age_effect_sentences,
    beta_smooth,
    drifting_terms,
    fit_cox_by_age,
    labelled_age_bands,
    split_episodes,
)
from overdue.models.transitions import (
    TransitionMatrix,
    absorbing_chain,
    fit_transition_logit,
    implied_matrix,
    labelled_marginal_effects,
    labelled_transition_summary,
    late_fee_cures,
    markov_check,
    outcome_by_bucket,
    records_late_fees,
    roll_cure_rates,
    transition_marginal_effects,
    transition_matrix,
    transition_pairs,
    transition_sample,
)
from overdue.models.transitions_streamed import fit_origin_sample, stream_transitions
from overdue.models.validation import OutOfTimeResult, held_out_words, out_of_time_auc

__all__ = [
    "TransitionMatrix",
    "absorbing_chain",
    "fit_transition_logit",
    "implied_matrix",
    "labelled_marginal_effects",
    "labelled_transition_summary",
    "late_fee_cures",
    "markov_check",
    "records_late_fees",
    "outcome_by_bucket",
    "roll_cure_rates",
    "transition_marginal_effects",
    "transition_matrix",
    "transition_pairs",
    "transition_sample",
    "stream_transitions",
    "fit_origin_sample",
    "AUC",
    "brier_score",
    "ks_statistic",
    "population_stability",
    "recalibrate",
    "stability_status",
    "FAMILIES",
    "FitResult",
    "ModelSample",
    "OutOfTimeResult",
    "TestResult",
    "age_bands_wide",
    "age_effect_sentences",
    "approval_tradeoff",
    "attribute",
    "auc_delong",
    "average_marginal_effects",
    "beta_smooth",
    "calibration_table",
    "compare_auc_delong",
    "composition",
    "cox_zph",
    "cumulative_incidence",
    "default_rates",
    "drifting_terms",
    "drop_one_auc",
    "drop_one_lr",
    "fit_cause_specific_cox",
    "fit_cox",
    "fit_cox_by_age",
    "fit_discrete_hazard",
    "fit_fine_gray",
    "fit_glm_irls",
    "first_overdue_periods",
    "first_overdue_table",
    "fit_first_overdue",
    "fit_logit",
    "fit_nested",
    "gray_test",
    "kaplan_meier",
    "labelled_age_bands",
    "logrank_test",
    "lr_test",
    "model_sample",
    "numbers_at_risk",
    "held_out_words",
    "out_of_time_auc",
    "pricing_by_grade",
    "raw_and_adjusted",
    "shapley_pseudo_r2",
    "split_episodes",
    "vintage_curves",
    "wald_test",
    "wilson_interval",
]
