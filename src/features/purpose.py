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


@feature(
    "purpose",
    "category",
    ["purpose"],
    label="Stated purpose",
)
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


@feature(
    "purpose",
    "category",
    ["purpose"],
    label="Purpose",
)
def purpose_group(loans, context):
    """Purpose group: consumption, refinancing (debt consolidation, credit card) or business (small business); see PURPOSE_GROUPS."""
    return purpose(loans, context).map(PURPOSE_GROUPS).astype("string")


# Loans run from $500 to $35,000.
@feature(
    "purpose",
    "dollars",
    ["loan_amnt"],
    label="Loan amount",
    per="per $10,000",
    scale=10_000,
)
def loan_amnt(loans, context):
    """Amount the borrower applied for."""
    return loans["loan_amnt"]


# Used as a factor (36 against 60 months); per month only when entered as a number.
@feature(
    "purpose",
    "months",
    ["term"],
    label="Term",
    per="per month",
    levels="{} months",
)
def term(loans, context):
    """Term of the loan in months (36 or 60)."""
    return loans["term"].astype("int64")


# A ratio (0.06, the median, is 6% of monthly income): 5 percentage points is 0.05.
@feature(
    "purpose",
    "ratio",
    ["installment", "annual_inc"],
    label="Instalment-to-income",
    per="per 5 percentage points",
    scale=0.05,
)
def installment_to_income(loans, context):
    """Monthly instalment over monthly income (annual income / 12)."""
    return loans["installment"] / (loans["annual_inc"].where(loans["annual_inc"] > 0) / 12)


# A ratio (the median is 0.16 of a year's income): 0.1 is a tenth of annual income.
@feature(
    "purpose",
    "ratio",
    ["loan_amnt", "annual_inc"],
    label="Loan-to-income",
    per="per 0.1",
    scale=0.1,
)
def loan_to_income(loans, context):
    """Loan amount over annual income."""
    return loans["loan_amnt"] / loans["annual_inc"].where(loans["annual_inc"] > 0)
