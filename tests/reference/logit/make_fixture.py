"""Write fixture.csv: 3,000 simulated loans with a known logit, for the logit/attribution tests.

Seeded and deterministic. Columns use the features-table names: the outcome ``defaulted`` and
``fico``, ``dti``, ``log_income`` (credit), ``purpose_group`` (three levels, refinancing the
reference), ``state_unemp``, ``gdp_growth_yoy`` (macro; the GDP term has no effect), ``meets_policy``
and ``grade`` (A/B/C, underwriting), a cluster ``addr_state`` (40 states with a state-level
unemployment rate) and ``issue_d`` (2009-01 … 2011-12). The outcome is drawn through a Gaussian
copula with a state-level common factor, so loans of one state are correlated while each loan's
marginal default probability is exactly the logit below (the coefficients stay the truth and
cluster-robust errors differ from naive ones).

:func:`contract_frame` simulates, in memory, loans with every column the model specifications
(``overdue.models.specs.FAMILIES``) use; the tests import it from here.

Run from the repository root: ``python tests/reference/logit/make_fixture.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

N_LOANS = 3000
SEED = 20240612
TRUE_COEFFICIENTS = {
    "Intercept": -1.6,
    "fico_std": -0.6,  # per standard deviation of FICO (35 points)
    "dti": 0.03,
    "log_income": -0.4,
    "purpose_consumption": 0.3,
    "purpose_business": 0.8,
    "state_unemp": 0.12,
    "gdp_growth_yoy": 0.0,
    "meets_policy": -0.5,
    "grade_B": 0.25,
    "grade_C": 0.5,
}
WITHIN_STATE_CORRELATION = 0.05


def linear_predictor(loans: pd.DataFrame, beta: dict = TRUE_COEFFICIENTS) -> np.ndarray:
    """The true log-odds of default of each loan."""
    return (
        beta["Intercept"]
        + beta["fico_std"] * (loans["fico"] - 700) / 35
        + beta["dti"] * (loans["dti"] - 15)
        + beta["log_income"] * (loans["log_income"] - 11)
        + beta["purpose_consumption"] * (loans["purpose_group"] == "consumption")
        + beta["purpose_business"] * (loans["purpose_group"] == "business")
        + beta["state_unemp"] * (loans["state_unemp"] - 8)
        + beta["gdp_growth_yoy"] * loans["gdp_growth_yoy"]
        + beta["meets_policy"] * (loans["meets_policy"] - 1)
        + beta["grade_B"] * (loans["grade"] == "B")
        + beta["grade_C"] * (loans["grade"] == "C")
    )


def simulate(n: int = N_LOANS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    states = [f"S{k:02d}" for k in range(40)]
    state_level = dict(zip(states, np.round(rng.uniform(4, 12, len(states)), 1)))
    months = pd.date_range("2009-01-01", "2011-12-01", freq="MS")
    loans = pd.DataFrame(
        {
            "fico": 662 + 5 * rng.integers(0, 30, size=n),
            "dti": np.round(rng.uniform(0, 30, size=n), 2),
            "log_income": np.round(rng.normal(11, 0.5, size=n), 4),
            "purpose_group": rng.choice(
                ["consumption", "refinancing", "business"], size=n, p=[0.25, 0.62, 0.13]
            ),
            "addr_state": rng.choice(states, size=n),
            "issue_d": rng.choice(months, size=n),
            "meets_policy": (rng.uniform(size=n) < 0.9).astype(int),
            "grade": rng.choice(list("ABC"), size=n, p=[0.4, 0.35, 0.25]),
        }
    )
    loans["state_unemp"] = loans["addr_state"].map(state_level) + np.round(
        rng.normal(0, 0.3, size=n), 1
    )
    month_index = (loans["issue_d"].dt.year - 2009) * 12 + loans["issue_d"].dt.month - 1
    loans["gdp_growth_yoy"] = np.round(-3 + 0.15 * month_index + rng.normal(0, 0.3, size=n), 2)
    probability = 1 / (1 + np.exp(-linear_predictor(loans)))
    common = dict(zip(states, rng.normal(size=len(states))))
    latent = np.sqrt(WITHIN_STATE_CORRELATION) * loans["addr_state"].map(common) + np.sqrt(
        1 - WITHIN_STATE_CORRELATION
    ) * rng.normal(size=n)
    loans.insert(0, "defaulted", (stats.norm.cdf(latent) < probability).astype(int))
    loans.insert(0, "id", np.arange(1, n + 1))
    loans["issue_d"] = loans["issue_d"].dt.strftime("%Y-%m-%d")
    return loans


CONTRACT_COEFFICIENTS = {
    "fico": -0.015,
    "dti": 0.02,
    "log_income": -0.4,
    "revol_util": 0.5,
    "inq_last_6mths": 0.1,
    "emp_missing": 0.3,
    "purpose_business": 0.8,
    "term_60": 0.6,
    "loan_to_income": 1.0,
    "state_unemp": 0.1,
    "state_unemp_change_12m": 0.1,
    "gdp_growth_yoy": -0.05,
    "meets_policy": -0.4,
    "grade_gap": 0.15,
}


def contract_frame(n: int = 3000, seed: int = 1, macro_effect: bool = True) -> pd.DataFrame:
    """Loans with all the columns the model specifications use, and a known logit for default.

    ``macro_effect=False`` gives the macro family no effect (its coefficients are 0). Issue months
    run 2009-01 … 2011-12; state unemployment varies by state and month, GDP growth and the term
    spread by month only (national series).
    """
    rng = np.random.default_rng(seed)
    beta = dict(CONTRACT_COEFFICIENTS)
    if not macro_effect:
        beta.update(state_unemp=0.0, state_unemp_change_12m=0.0, gdp_growth_yoy=0.0)
    months = pd.date_range("2009-01-01", "2011-12-01", freq="MS")
    month_of_loan = rng.integers(0, len(months), n)
    states = [f"S{k:02d}" for k in range(35)]
    state_of_loan = rng.integers(0, len(states), n)
    state_level = rng.uniform(4, 12, len(states))
    trend = np.sin(np.arange(len(months)) / 6.0)
    emp_years = rng.integers(0, 11, n).astype(float)
    emp_years[rng.uniform(size=n) < 0.05] = np.nan
    frame = pd.DataFrame(
        {
            "id": [f"L{k}" for k in range(n)],
            "issue_d": months[month_of_loan],
            "addr_state": np.array(states)[state_of_loan],
            "fico": 662.0 + 5 * rng.integers(0, 30, n),
            "dti": rng.uniform(0, 30, n),
            "log_income": rng.normal(11, 0.5, n),
            "revol_util": rng.uniform(0, 1, n),
            "inq_last_6mths": rng.poisson(1.0, n),
            "delinq_2yrs": rng.poisson(0.2, n),
            "pub_rec": rng.poisson(0.05, n),
            "credit_history_years": rng.uniform(2, 30, n),
            "open_acc": rng.poisson(9, n),
            "emp_years": emp_years,
            "emp_missing": np.isnan(emp_years).astype(int),
            "home_ownership": rng.choice(["RENT", "MORTGAGE", "OWN"], n, p=[0.45, 0.45, 0.1]),
            "purpose_group": rng.choice(
                ["refinancing", "consumption", "business"], n, p=[0.6, 0.3, 0.1]
            ),
            "term": rng.choice([36, 60], n, p=[0.75, 0.25]),
            "loan_to_income": rng.gamma(2.0, 0.1, n),
            "state_unemp": state_level[state_of_loan]
            + 1.5 * trend[month_of_loan]
            + rng.normal(0, 0.2, n),
            "state_unemp_change_12m": 1.5 * np.cos(month_of_loan / 6.0) + rng.normal(0, 0.5, n),
            "gdp_growth_yoy": (1.5 * np.sin(np.arange(len(months)) / 2.5))[month_of_loan],
            "term_spread": (2.5 + 0.5 * np.cos(np.arange(len(months)) / 4.0))[month_of_loan],
            "meets_policy": (rng.uniform(size=n) < 0.9).astype(int),
            "income_verified": (rng.uniform(size=n) < 0.6).astype(int),
            "grade_gap": rng.integers(-2, 3, n),
        }
    )
    frame["issue_year"] = frame["issue_d"].dt.year
    log_odds = (
        -1.7
        + beta["fico"] * (frame.fico - 700)
        + beta["dti"] * (frame.dti - 15)
        + beta["log_income"] * (frame.log_income - 11)
        + beta["revol_util"] * (frame.revol_util - 0.5)
        + beta["inq_last_6mths"] * (frame.inq_last_6mths - 1)
        + beta["emp_missing"] * frame.emp_missing
        + beta["purpose_business"] * (frame.purpose_group == "business")
        + beta["term_60"] * (frame.term == 60)
        + beta["loan_to_income"] * (frame.loan_to_income - 0.2)
        + beta["state_unemp"] * (frame.state_unemp - 8)
        + beta["state_unemp_change_12m"] * frame.state_unemp_change_12m
        + beta["gdp_growth_yoy"] * frame.gdp_growth_yoy
        + beta["meets_policy"] * (frame.meets_policy - 1)
        + beta["grade_gap"] * frame.grade_gap
    )
    frame.insert(1, "defaulted", (rng.uniform(size=n) < 1 / (1 + np.exp(-log_odds))).astype(int))
    return frame


if __name__ == "__main__":
    out = Path(__file__).with_name("fixture.csv")
    simulate().to_csv(out, index=False)
    print(f"wrote {out}")
