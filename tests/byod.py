"""Write canonical loans in a made-up "own" format (the one examples/my_loans.yaml describes)."""

from __future__ import annotations

import pandas as pd

from overdue.data.schemas import POLICY_PREFIX

MAPPING_COLUMNS = {
    "loan_ref": "id",
    "principal": "loan_amnt",
    "months": "term",
    "apr": "int_rate",
    "monthly_payment": "installment",
    "risk_class": "grade",
    "yearly_income": "annual_inc",
    "opened": "issue_d",
    "state": "loan_status",
    "use_of_funds": "purpose",
    "region": "addr_state",
    "debt_to_income": "dti",
    "score": "fico_range_low",
    "last_paid": "last_pymnt_d",
}
STATUS_WORDS = {"Fully Paid": "REPAID", "Charged Off": "WRITTEN_OFF", "Current": "RUNNING"}


def write_own_format(loans: pd.DataFrame, path, with_dates: bool = True) -> None:
    own = pd.DataFrame({source: loans[canonical] for source, canonical in MAPPING_COLUMNS.items()})
    own["apr"] = (own["apr"] * 100).round(4)
    own["score"] = own["score"] + 2  # one score, the middle of LendingClub's range
    status = loans["loan_status"].str.replace(POLICY_PREFIX, "", regex=False)
    own["state"] = status.map(STATUS_WORDS)
    for column in ["opened", "last_paid"]:
        own[column] = own[column].dt.strftime("%d.%m.%Y")
    if not with_dates:
        own = own.drop(columns=["last_paid"])
    own.to_csv(path, sep=";", index=False)
