"""The models on all 42,535 real loans: three headline numbers must land in ranges the literature
and the data's own descriptive statistics make plausible."""

from __future__ import annotations

import pytest

from overdue import load_study
from overdue.models import fit_cox, fit_discrete_hazard, out_of_time_auc

BUSINESS = "C(purpose_group, Treatment('refinancing'))[T.business]"


@pytest.fixture(scope="module")
def study(processed_dir):
    return load_study(str(processed_dir), with_panel=True)


def test_credit_logit_out_of_time_auc(study):
    credit = study.model_sample(["credit"])
    result = out_of_time_auc(credit.data, credit.rhs, cutoff="2010-12")
    # Application-time credit data rank LendingClub's 2007–2011 loans with AUCs of about
    # 0.62–0.70 in published studies; below 0.62 the credit terms would be doing little, above
    # 0.72 a leak of outcome information would be the likelier explanation.
    assert 0.62 < result.auc.auc < 0.72
    assert result.auc.ci_lower < result.auc.auc < result.auc.ci_upper
    assert result.n_test > 20_000  # the 2011 vintage is scored


def test_cox_hazard_ratio_of_small_business_loans(study):
    sample = study.model_sample(exclude=["term"], columns=["time"])
    cox = fit_cox(sample.data, sample.rhs, strata=["term"], cluster="addr_state")
    hr = cox.summary.loc[BUSINESS]
    # Small-business loans default at 1.7× the rate of refinancing loans in the raw data (about
    # 26% against 15%); with credit terms held equal the ratio should stay clearly above 1 and
    # below 3, as business cash flows are riskier but the platform graded them down already.
    assert cox.converged and not cox.warnings
    assert 1.5 < hr["exp_estimate"] < 3.0
    assert hr["exp_ci_lower"] > 1.0


def test_unemployment_raises_the_monthly_hazard(study):
    months = study.model_sample(panel=True, columns=["event_default"])
    hazard = fit_discrete_hazard(
        months.data, months.rhs, baseline_form="bands", band_months=12, cluster="id"
    )
    coefficient = hazard.summary.loc["state_unemp_tv"]
    # Studies of consumer-loan and mortgage default find 3–10% more default hazard per point of
    # unemployment; a negative or an above-0.15 log-hazard per point would contradict them.
    assert hazard.converged
    assert 0.0 < coefficient["estimate"] < 0.15
    assert coefficient["ci_lower"] > -0.05
