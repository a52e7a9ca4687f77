"""Impacts of overdue, per loan: exposure, recovery and loss, realised return, the borrower's
credit score after it, late fees, cures and settlements (DESIGN.md, "Impacts").

They are outcomes of the loan, so they sit in the ``outcome`` family; a loan file without the
columns they need (LendingClub's totals, recoveries, last FICO pull, settlements) gets missing
values, never invented ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from overdue.features.credit import months_between
from overdue.features.outcomes import _classify
from overdue.features.registry import feature

__all__ = ["last_fico_score", "realised_return"]


def realised_return(
    funded,
    installment,
    total_payments,
    last_payment,
    recoveries,
    collection_fees,
    months_paid,
    charged_off,
    charge_off_lag: int = 4,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> np.ndarray:
    """Annualised internal rate of return of each loan's reconstructed monthly cash flows.

    The loan file gives totals, not a payment history, so the flows are rebuilt as follows
    (month 0 is the issue month):

    * month 0: the funded amount goes out;
    * months 1 … m−1, with m = ``months_paid`` (issue to last payment): equal payments that sum
      to what the borrower paid before the last payment, i.e. ``total_payments − recoveries −
      last_payment`` (the scheduled instalment, when the loan kept to its schedule; a prepaid
      loan's extra principal arrives with its last payment);
    * month m: the last payment (capped at what was paid in all: a loan that paid once records
      that payment as its total and its last);
    * charged-off loans: the net recovery (``recoveries − collection_fees``) in month
      ``m + charge_off_lag`` (LendingClub charges off about four months after the last payment).

    A loan that never paid (``months_paid`` 0) has only its net recovery. The monthly rate r
    solving ``sum_t c_t (1 + r)^-t = 0`` is found by Newton's method on all loans at once (the
    net present value falls monotonically in r for these flows: one outflow, then inflows), and
    annualised as ``(1 + r)^12 − 1``. ``installment`` is not needed for the rate (kept for the
    check that regular payments are near it). A loan that recovered nothing of a loan it never
    paid has a return of −100 %.

    Parameters
    ----------
    funded, installment, total_payments, last_payment, recoveries, collection_fees : array-like
        Per loan, in dollars (``total_payments`` includes the recoveries, as LendingClub's
        ``total_pymnt`` does).
    months_paid : array-like of int
        Months from issue to the last payment (0 when nothing was paid).
    charged_off : array-like of bool
        Whether the loan was charged off (its recoveries then arrive after the last payment).
    charge_off_lag : int
        Months from the last payment to the recovery.

    Returns
    -------
    numpy.ndarray
        Annualised returns (0.1 is 10 % a year).

    Examples
    --------
    A 36-month loan of $1,000 at 12 % paid to schedule (instalment $33.21):

    >>> r = realised_return([1000.0], [33.2143], [36 * 33.2143], [33.2143], [0.0], [0.0], [36], [False])
    >>> round(float((1 + 0.12 / 12) ** 12 - 1), 5), round(float(r[0]), 5)
    (0.12683, 0.12682)
    """
    funded = np.asarray(funded, dtype=float)
    total = np.asarray(total_payments, dtype=float)
    last = np.asarray(last_payment, dtype=float)
    recovered = np.asarray(recoveries, dtype=float) - np.asarray(collection_fees, dtype=float)
    months = np.asarray(months_paid, dtype=np.int64)
    charged_off = np.asarray(charged_off, dtype=bool)
    if (months < 0).any():
        raise ValueError("months_paid must be 0 or more")
    paid_before_recovery = total - np.asarray(recoveries, dtype=float)
    # The last payment is capped at what the borrower paid in all: a loan that paid once, a
    # month or two after issue, records that one payment as both its total and its last.
    last = np.where(months >= 1, np.minimum(last, paid_before_recovery), 0.0)
    regular_total = np.where(months > 1, paid_before_recovery - last, 0.0)
    regular = np.where(months > 1, regular_total / np.maximum(months - 1, 1), 0.0)
    recovery_month = np.where(charged_off, months + charge_off_lag, 0)
    recovered = np.where(charged_off, recovered, 0.0)

    inflows = regular * np.maximum(months - 1, 0) + last + recovered
    active = inflows > 0
    # Only loans that got something back have a rate to solve for; the others lost it all.
    funded, regular, last, recovered = (
        funded[active],
        regular[active],
        last[active],
        recovered[active],
    )
    months, recovery_month = months[active], recovery_month[active]

    def npv_and_slope(rate):
        # Regular payments in months 1 … m−1 form a geometric series in v = 1 / (1 + rate).
        v = 1.0 / (1.0 + rate)
        n = np.maximum(months - 1, 0).astype(float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            near_zero = np.abs(rate) < 1e-9
            annuity = np.where(near_zero, n, v * (1 - v**n) / (1 - v))
            # d annuity / d rate, through v: d v / d rate = -v^2
            d_annuity_dv = np.where(
                near_zero,
                n * (n + 1) / 2,
                ((1 - (n + 1) * v**n) * (1 - v) + v * (1 - v**n)) / (1 - v) ** 2,
            )
        value = -funded + regular * annuity + last * v**months + recovered * v**recovery_month
        slope_v = (
            regular * d_annuity_dv
            + last * months * v ** (months - 1)
            + recovered * recovery_month * v ** (recovery_month - 1.0)
        )
        return value, slope_v * (-(v**2))

    rate = np.full(len(funded), 0.01)
    for _ in range(max_iter):
        value, slope = npv_and_slope(rate)
        step = value / slope
        # Keep the rate above -100 % a month: halve towards -1 rather than stepping past it.
        new = rate - step
        rate = np.where(new <= -1.0, (rate - 1.0) / 2.0, new)
        if np.max(np.abs(step), initial=0.0) < tol:
            break
    annual = np.full(len(active), -1.0)
    annual[active] = (1.0 + rate) ** 12 - 1.0
    return annual


def _defaulted(loans, context) -> pd.Series:
    return _classify(loans, context)["event_type"] == "default"


def last_fico_score(low: pd.Series, high: pd.Series) -> pd.Series:
    """The borrower's FICO when last pulled: the midpoint of the range; the upper end when only it
    is known (LendingClub's lowest range, "499 or below", has no lower end); missing when neither
    is (a pull that returned no score).

    Examples
    --------
    >>> last_fico_score(pd.Series([700.0, np.nan, np.nan]), pd.Series([704.0, 499.0, np.nan])).tolist()
    [702.0, 499.0, nan]
    """
    return ((low + high) / 2).where(low.notna(), high)


@feature(
    "outcome",
    "dollars",
    ["funded_amnt", "total_rec_prncp", "loan_status"],
    label="Exposure at default",
    per="per $1,000",
    scale=1000.0,
)
def exposure_at_default(loans, context):
    """For a defaulted loan, the principal still owed when it defaulted: funded amount minus principal received (missing for loans that did not default)."""
    exposure = loans["funded_amnt"] - loans["total_rec_prncp"]
    return exposure.where(_defaulted(loans, context))


@feature(
    "outcome",
    "dollars",
    ["recoveries", "collection_recovery_fee", "loan_status"],
    label="Net recovery",
    per="per $1,000",
    scale=1000.0,
)
def net_recovery(loans, context):
    """For a defaulted loan, what was recovered after charge-off net of what collecting it cost: recoveries minus collection fees."""
    recovered = loans["recoveries"] - loans["collection_recovery_fee"]
    return recovered.where(_defaulted(loans, context))


@feature(
    "outcome",
    "fraction",
    ["recoveries", "collection_recovery_fee", "funded_amnt", "total_rec_prncp", "loan_status"],
    label="Recovery rate",
    per="per 10 percentage points",
    scale=0.1,
)
def recovery_rate(loans, context):
    """Net recovery over exposure at default, clipped to [0, 1] (missing for loans that did not default or had no exposure left)."""
    exposure = exposure_at_default(loans, context)
    rate = net_recovery(loans, context) / exposure.where(exposure > 0)
    return rate.clip(0.0, 1.0)


@feature(
    "outcome",
    "fraction",
    ["recoveries", "collection_recovery_fee", "funded_amnt", "total_rec_prncp", "loan_status"],
    label="Loss given default",
    per="per 10 percentage points",
    scale=0.1,
)
def loss_given_default(loans, context):
    """One minus the recovery rate: the share of the exposure at default that was lost."""
    return 1.0 - recovery_rate(loans, context)


@feature(
    "outcome",
    "fraction per year",
    [
        "funded_amnt",
        "total_pymnt",
        "recoveries",
        "collection_recovery_fee",
        "last_pymnt_amnt",
        "issue_d",
        "last_pymnt_d",
        "loan_status",
    ],
    label="Realised annual return",
    per="per percentage point",
    scale=0.01,
)
def realised_annual_return(loans, context):
    """The annualised internal rate of return of the loan's monthly cash flows, rebuilt from its totals (see :func:`realised_return`): 0.08 is 8 % a year, -1 a total loss."""
    months = months_between(loans["issue_d"], loans["last_pymnt_d"])
    defaulted = _defaulted(loans, context)
    rates = realised_return(
        loans["funded_amnt"].fillna(0.0),
        loans["installment"].fillna(0.0),
        loans["total_pymnt"].fillna(0.0),
        loans["last_pymnt_amnt"].fillna(0.0),
        loans["recoveries"].fillna(0.0),
        loans["collection_recovery_fee"].fillna(0.0),
        months.fillna(0).astype("int64"),
        defaulted.to_numpy(),
        charge_off_lag=context.params.get("charge_off_lag", 4),
    )
    usable = (
        loans["funded_amnt"].gt(0)
        & loans["total_pymnt"].notna()
        & loans["last_pymnt_amnt"].notna()
        & (months.notna() | defaulted)
    )
    return pd.Series(rates, index=loans.index).where(usable)


@feature(
    "outcome",
    "points",
    ["last_fico_range_low", "last_fico_range_high", "fico_range_low", "fico_range_high"],
    label="Credit score change",
    per="per 10 points",
    scale=10.0,
)
def credit_score_change(loans, context):
    """FICO when LendingClub last pulled it (midpoint of the range, see :func:`last_fico_score`) minus FICO at origination."""
    at_issue = (loans["fico_range_low"] + loans["fico_range_high"]) / 2
    return last_fico_score(loans["last_fico_range_low"], loans["last_fico_range_high"]) - at_issue


@feature(
    "outcome",
    "months",
    ["issue_d", "last_credit_pull_d"],
    label="Months from issue to the last FICO pull",
    per="per 12 months",
    scale=12.0,
)
def months_to_last_pull(loans, context):
    """Calendar months from the issue month to the month LendingClub last pulled the borrower's FICO."""
    return months_between(loans["issue_d"], loans["last_credit_pull_d"])


@feature(
    "outcome",
    "dollars",
    ["total_rec_late_fee"],
    label="Late fees paid",
    per="per $10",
    scale=10.0,
)
def late_fees(loans, context):
    """Late fees the borrower paid over the loan's life."""
    return loans["total_rec_late_fee"]


@feature(
    "outcome",
    "0/1",
    ["total_rec_late_fee", "loan_status"],
    label="Cured overdue",
    per="vs not",
)
def cured_overdue(loans, context):
    """1 when the loan went overdue and recovered: the borrower paid late fees and then repaid in full (the one cure signal a loan file without a payment history has)."""
    paid_late = loans["total_rec_late_fee"] > 0
    fully_paid = _classify(loans, context)["event_type"].isin(["prepaid", "censored_term"])
    return (paid_late & fully_paid).astype("int64").where(loans["total_rec_late_fee"].notna())


@feature(
    "outcome",
    "0/1",
    ["debt_settlement_flag"],
    label="Debt settlement",
    per="vs none",
)
def settled(loans, context):
    """1 when the borrower entered a debt settlement with the platform's collectors."""
    flag = loans["debt_settlement_flag"]
    return flag.eq("Y").fillna(False).astype("int64").where(flag.notna())


@feature(
    "outcome",
    "category",
    ["settlement_status"],
    label="Settlement status",
    levels={"COMPLETE": "completed", "BROKEN": "broken", "ACTIVE": "still running"},
)
def settlement_status(loans, context):
    """How a debt settlement stood when the data were extracted: COMPLETE, BROKEN or ACTIVE (missing without a settlement)."""
    return loans["settlement_status"].astype("string")


@feature(
    "outcome",
    "dollars",
    ["funded_amnt"],
    label="Amount funded",
    per="per $1,000",
    scale=1000.0,
)
def funded_amnt(loans, context):
    """What the lender put at risk at origination: the amount funded (the exposure an expected loss is a share of)."""
    return loans["funded_amnt"]


@feature(
    "outcome",
    "percent",
    ["addr_state", "issue_d", "last_pymnt_d", "loan_status", "fred/state/XXUR"],
    label="State unemployment at charge-off",
    per="per percentage point",
)
def state_unemp_at_charge_off(loans, context):
    """For a defaulted loan, the state's unemployment rate in the month it was charged off (the first missed payment plus the charge-off lag), when recoveries were being collected; missing where the macro series do not reach that month."""
    classified = _classify(loans, context)
    lag = context.params.get("charge_off_lag", 4)
    months_on_book = (classified["time"] + lag).where(classified["event_type"] == "default")
    month = loans["issue_d"].dt.to_period("M") + months_on_book.fillna(0).astype("int64")
    keys = pd.DataFrame(
        {
            "addr_state": loans["addr_state"].astype("string").to_numpy(),
            "month": month.dt.to_timestamp().to_numpy(),
        }
    )
    table = context.macro[["addr_state", "month", "state_unemp"]].astype({"addr_state": "string"})
    values = keys.merge(table, on=["addr_state", "month"], how="left")["state_unemp"]
    return pd.Series(values.to_numpy(), index=loans.index).where(months_on_book.notna())


@feature(
    "outcome",
    "fraction",
    ["settlement_percentage"],
    label="Share of the balance settled",
    per="per 10 percentage points",
    scale=0.1,
)
def settlement_share(loans, context):
    """For a debt settlement, the share of the outstanding balance the borrower agreed to pay (LendingClub's settlement percentage over 100)."""
    return loans["settlement_percentage"] / 100
