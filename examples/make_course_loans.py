"""Write examples/course_loans.csv: 800 made-up loans in the layout of the loan files handed out
in credit-risk courses (no loan id, amount, issue date or state; income already logged; one FICO
column; purpose words of their own such as ``all_other``; a 0/1 outcome ``not.fully.paid``;
old Mac line endings, CR only). Seeded, so the file is the same on every run:

    .venv/bin/python examples/make_course_loans.py

Defaults follow a logit in FICO, inquiries, utilisation, small-business purpose and the credit
policy flag, so the report has effects to find.
"""

from pathlib import Path

import numpy as np
import pandas as pd

N = 800
PURPOSES = {
    "debt_consolidation": 0.41,
    "all_other": 0.24,
    "credit_card": 0.13,
    "home_improvement": 0.07,
    "small_business": 0.06,
    "major_purchase": 0.05,
    "educational": 0.04,
}

rng = np.random.default_rng(2026)
fico = np.clip(np.round(rng.normal(712, 38, N) / 5) * 5 + 2, 612, 827).astype(int)
int_rate = np.round(np.clip(0.37 - 0.00034 * fico + rng.normal(0, 0.012, N), 0.06, 0.22), 4)
log_income = np.round(rng.normal(10.93, 0.61, N), 6)
dti = np.round(rng.uniform(0, 29.9, N), 2)
revol_util = np.round(np.clip(rng.beta(1.6, 1.5, N) * 100, 0, 108), 1)
inquiries = rng.poisson(1.6, N)
purpose = rng.choice(list(PURPOSES), N, p=list(PURPOSES.values()))
policy = (rng.uniform(size=N) < 0.8).astype(int)
term_months = 36
amount = np.exp(log_income) * rng.uniform(0.05, 0.35, N)
monthly = int_rate / 12
installment = np.round(amount * monthly / (1 - (1 + monthly) ** -term_months), 2)
logit = (
    -1.75
    - 0.012 * (fico - 712)
    + 0.16 * (inquiries - 1.6)
    + 0.006 * (revol_util - 50)
    + 0.8 * (purpose == "small_business")
    - 0.5 * policy
)
outcome = (rng.uniform(size=N) < 1 / (1 + np.exp(-logit))).astype(int)

loans = pd.DataFrame(
    {
        "credit.policy": policy,
        "purpose": purpose,
        "int.rate": int_rate,
        "installment": installment,
        "log.annual.inc": log_income,
        "dti": dti,
        "fico": fico,
        "days.with.cr.line": np.round(rng.gamma(3.0, 1500, N), 2),
        "revol.bal": rng.gamma(1.2, 14000, N).round().astype(int),
        "revol.util": revol_util,
        "inq.last.6mths": inquiries,
        "delinq.2yrs": rng.poisson(0.16, N),
        "pub.rec": rng.poisson(0.06, N),
        "not.fully.paid": outcome,
    }
)
path = Path(__file__).with_name("course_loans.csv")
path.write_bytes(loans.to_csv(index=False, lineterminator="\r").encode())
print(f"{path}: {N} loans, {outcome.sum()} not fully paid")
