"""Loan-purpose family: what the money is for, and how large the loan is for the borrower."""

from __future__ import annotations

from overdue.errors import DataError
from overdue.features.registry import feature

#: LendingClub's 14 purposes and the group each belongs to. Refinancing replaces existing debt
#: (the borrower's payments need not rise); business loans fund a venture whose cash flow is the
#: repayment source; everything else finances spending, so it is consumption — including house,
#: home improvement, car and renewable energy (durable goods bought on credit) and educational and
#: medical bills (spending the borrower could not defer); "other" is mostly consumption by its
#: descriptions and so sits there too.
PURPOSE_GROUPS: dict[str, str] = {
    "debt_consolidation": "refinancing",
    "credit_card": "refinancing",
    "small_business": "business",
    "wedding": "consumption",
    "vacation": "consumption",
    "major_purchase": "consumption",
    "car": "consumption",
    "moving": "consumption",
    "medical": "consumption",
    "house": "consumption",
    "home_improvement": "consumption",
    "renewable_energy": "consumption",
    "educational": "consumption",
    "other": "consumption",
}


@feature("purpose", "category", ["purpose"])
def purpose(loans, context):
    """The purpose the borrower chose, one of LendingClub's 14."""
    values = loans["purpose"].astype("string")
    unknown = ~values.isin(list(PURPOSE_GROUPS))
    if unknown.any():
        raise DataError(
            "loan table",
            "purpose",
            f"unknown loan purpose (known: {', '.join(PURPOSE_GROUPS)})",
            int(unknown.sum()),
            values[unknown].drop_duplicates().head(3).tolist(),
        )
    return values


@feature("purpose", "category", ["purpose"])
def purpose_group(loans, context):
    """Purpose group: consumption, refinancing (debt consolidation, credit card) or business (small business); see PURPOSE_GROUPS."""
    return purpose(loans, context).map(PURPOSE_GROUPS).astype("string")


@feature("purpose", "dollars", ["loan_amnt"])
def loan_amnt(loans, context):
    """Amount the borrower applied for."""
    return loans["loan_amnt"]


@feature("purpose", "months", ["term"])
def term(loans, context):
    """Term of the loan in months (36 or 60)."""
    return loans["term"].astype("int64")


@feature("purpose", "ratio", ["installment", "annual_inc"])
def installment_to_income(loans, context):
    """Monthly instalment over monthly income (annual income / 12)."""
    return loans["installment"] / (loans["annual_inc"].where(loans["annual_inc"] > 0) / 12)


@feature("purpose", "ratio", ["loan_amnt", "annual_inc"])
def loan_to_income(loans, context):
    """Loan amount over annual income."""
    return loans["loan_amnt"] / loans["annual_inc"].where(loans["annual_inc"] > 0)
