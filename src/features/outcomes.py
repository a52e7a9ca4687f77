"""Outcomes: the research definitions of DESIGN.md, stated here once in code.

- **Default / overdue event.** A loan is defaulted when its status contains "Charged Off" or
  "Default"; further statuses (e.g. "Late (31-120 days)" for a 30+ days-past-due definition) can be
  added with the ``overdue_statuses`` parameter.
- **Time to overdue.** Months from the issue month to the first missed payment:
  ``months(issue_d -> last_pymnt_d) + 1``; a loan that never paid is overdue at month 1.
  LendingClub charges off about ``charge_off_lag`` (default 4) months later.
- **Competing events.** A fully-paid loan that ended before its last scheduled month was prepaid
  (event 2) at its payoff month (at least month 1); one paid at term is censored at its term; an
  open loan is censored at the data's snapshot month.
- **Without payment dates** (a loan file with an outcome flag only: no ``last_pymnt_d`` at all),
  ``defaulted`` is still defined but time and event codes are missing, and time-to-event models
  report that they cannot run.
- **Loan-month panel.** One row per loan and month on book (1 … time); month on book m is the
  calendar month issue + m, when the m-th payment falls due.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from overdue.data.schemas import POLICY_PREFIX
from overdue.errors import DataError
from overdue.features.credit import months_between
from overdue.features.registry import FeatureContext, feature, panel_variable

DEFAULT_MARKERS = ("Charged Off", "Default")
OPEN_STATUSES = ("Current", "In Grace Period", "Late (16-30 days)", "Late (31-120 days)", "Issued")
#: Competing-risks event codes of the ``event`` feature and the panel.
EVENT_CODES = {"censored": 0, "default": 1, "prepaid": 2}


def outcome_params(
    loans: pd.DataFrame, overdue_statuses=(), snapshot=None, charge_off_lag: int = 4
) -> dict:
    """Outcome-definition parameters, with the snapshot month resolved over the whole loan table.

    Parameters
    ----------
    loans : pandas.DataFrame
        The canonical loan table.
    overdue_statuses : sequence of str
        Statuses of open loans that count as overdue too, e.g. ``["Late (31-120 days)"]``.
    snapshot : str or Timestamp, optional
        The month the data were extracted; open loans are censored there. Defaults to the latest
        issue or payment month in the data.
    charge_off_lag : int
        Months from the first missed payment to LendingClub's charge-off.

    Examples
    --------
    >>> loans = pd.DataFrame({"issue_d": pd.to_datetime(["2010-01-01"]), "last_pymnt_d": pd.to_datetime(["2012-05-01"])})
    >>> outcome_params(loans)["snapshot"]
    Timestamp('2012-05-01 00:00:00')
    """
    # Times need both ends: the issue month and the last payment.
    has_payment_dates = bool(
        loans["last_pymnt_d"].notna().any() and loans["issue_d"].notna().any()
    )
    if snapshot is None:
        snapshot = loans["last_pymnt_d"].max() if has_payment_dates else loans["issue_d"].max()
        snapshot = max(loans["issue_d"].max(), snapshot)
    return {
        "overdue_statuses": tuple(overdue_statuses),
        "snapshot": pd.Timestamp(snapshot),
        "charge_off_lag": int(charge_off_lag),
        "has_payment_dates": has_payment_dates,
    }


def _classify(loans: pd.DataFrame, context: FeatureContext) -> pd.DataFrame:
    """Event type and time of every loan, by the definitions above (computed once per table)."""
    key = ("outcomes", id(loans))
    if key not in context.shared:
        context.shared[key] = _classify_uncached(loans, context.params)
    return context.shared[key]


def _classify_uncached(loans: pd.DataFrame, params: dict) -> pd.DataFrame:
    status = (
        loans["loan_status"]
        .astype("string")
        .str.replace(POLICY_PREFIX, "", regex=False)
        .str.strip()
    )
    overdue_extra = status.isin(params.get("overdue_statuses", ()))
    is_default = (
        status.str.contains("|".join(DEFAULT_MARKERS), regex=True).fillna(False) | overdue_extra
    )
    is_paid = status.str.contains("Fully Paid", regex=False).fillna(False) & ~is_default
    is_open = status.isin(OPEN_STATUSES) & ~is_default
    unknown = ~(is_default | is_paid | is_open)
    if unknown.any():
        raise DataError(
            "loan table",
            "loan_status",
            "status is neither default, paid nor open "
            "(add it to overdue_statuses or map it in the loan-file mapping)",
            int(unknown.sum()),
            status[unknown].drop_duplicates().head(3).tolist(),
        )
    if not params.get("has_payment_dates", bool(loans["last_pymnt_d"].notna().any())):
        kinds = pd.Series("no_default", index=loans.index, dtype="string")
        kinds[is_open] = "open"
        kinds[is_default] = "default"
        return pd.DataFrame(
            {"event_type": kinds, "time": pd.array([pd.NA] * len(loans), "Int64")},
            index=loans.index,
        )
    months_paid = months_between(loans["issue_d"], loans["last_pymnt_d"])
    term = loans["term"].astype("float64")
    prepaid = is_paid & (months_paid < term)
    snapshot = params.get("snapshot") or max(loans["issue_d"].max(), loans["last_pymnt_d"].max())
    months_open = months_between(
        loans["issue_d"], pd.Series(pd.Timestamp(snapshot), index=loans.index)
    )

    event_type = pd.Series("censored_term", index=loans.index, dtype="string")
    event_type[prepaid] = "prepaid"
    event_type[is_open] = "censored_snapshot"
    event_type[is_default] = "default"
    time = term.copy()
    time[is_default] = months_paid[is_default].fillna(0) + 1  # never paid: overdue at month 1
    time[prepaid] = months_paid[prepaid]
    time[is_open] = months_open[is_open]
    bad_paid = is_paid & months_paid.isna()
    if bad_paid.any():
        raise DataError(
            "loan table",
            "last_pymnt_d",
            "a fully paid loan needs its last payment date",
            int(bad_paid.sum()),
            loans.loc[bad_paid, "id"].head(3).tolist(),
        )
    return pd.DataFrame({"event_type": event_type, "time": time.clip(lower=1).astype("int64")})


@feature(
    "outcome",
    "0/1",
    ["loan_status"],
    label="Defaulted",
    per="vs not",
)
def defaulted(loans, context):
    """1 when the loan defaulted: its status contains "Charged Off" or "Default" (or is one of the configured overdue statuses)."""
    return (_classify(loans, context)["event_type"] == "default").astype("int64")


@feature(
    "outcome",
    "months",
    ["issue_d", "last_pymnt_d", "loan_status", "term"],
    label="Months on book to the event",
    per="per month",
    needs=["loan_status"],  # without payment dates: the kind of outcome, no time (see above)
)
def time(loans, context):
    """Months on book to the event: first missed payment (months(issue_d -> last_pymnt_d) + 1, 1 if never paid) for a default, the payoff month for a prepayment, the term or the snapshot month when censored; missing when the data have no payment dates."""
    return _classify(loans, context)["time"]


@feature(
    "outcome",
    "category",
    ["loan_status", "last_pymnt_d", "term"],
    label="How follow-up ended",
    needs=["loan_status"],  # without payment dates: the kind of outcome, no time (see above)
)
def event_type(loans, context):
    """How the loan's follow-up ended: default, prepaid (fully paid before its last scheduled month), censored_term (paid at term) or censored_snapshot (still open)."""
    return _classify(loans, context)["event_type"]


@feature(
    "outcome",
    "code",
    ["loan_status", "last_pymnt_d", "term"],
    label="Event",
    levels={"0": "censored", "1": "default", "2": "prepaid"},
    needs=["loan_status"],  # without payment dates: the kind of outcome, no time (see above)
)
def event(loans, context):
    """Competing-risks event code: 0 censored, 1 default, 2 prepaid."""
    classified = _classify(loans, context)
    codes = classified["event_type"].map(
        {"default": EVENT_CODES["default"], "prepaid": EVENT_CODES["prepaid"]}
    )
    codes = codes.fillna(EVENT_CODES["censored"]).astype("Int64")
    return codes.where(classified["time"].notna(), pd.NA).astype(
        "Int64" if classified["time"].isna().any() else "int64"
    )


@feature(
    "outcome",
    "months",
    ["issue_d", "last_pymnt_d", "loan_status"],
    label="Months on book to charge-off",
    per="per month",
)
def months_to_charge_off(loans, context):
    """For a default, the month on book LendingClub charges it off: time to overdue plus the charge-off lag parameter (NaN otherwise)."""
    classified = _classify(loans, context)
    lag = context.params.get("charge_off_lag", 4)
    return (classified["time"].astype("float64") + lag).where(
        classified["event_type"] == "default"
    )


# How the panel's own columns read in tables (the carried columns read as their features).
panel_variable("month_on_book", "months", label="Months on book", per="per month")
panel_variable("calendar_month", "month", label="Calendar month")
panel_variable("event_default", "0/1", label="Defaulted that month", per="vs not")
panel_variable("event_prepaid", "0/1", label="Prepaid that month", per="vs not")
panel_variable(
    "state_unemp_tv",
    "percent",
    label="State unemployment that month",
    per="per percentage point",
    family="macro",
)
panel_variable(
    "state_unemp_change_since_issue",
    "percentage points",
    family="macro",
    label="Change in state unemployment since issue",
    per="per percentage point",
)

#: Loan-level columns the panel carries by default (enough for the hazard specifications).
PANEL_CARRY = (
    "addr_state",
    "issue_d",
    "issue_year",
    "term",
    "fico",
    "dti",
    "log_income",
    "grade_code",
    "int_rate",
    "revol_util",
    "inq_last_6mths",
    "purpose_group",
    "loan_to_income",
    "meets_policy",
    "income_verified",
    "state_unemp",
)


def build_panel(
    features: pd.DataFrame, context: FeatureContext, macro_lag: int = 1, carry=PANEL_CARRY
) -> pd.DataFrame:
    """Expand one row per loan into one row per loan and month on book, up to its event.

    Parameters
    ----------
    features : pandas.DataFrame
        The per-loan features (needs ``id, issue_d, addr_state, time, event``).
    context : FeatureContext
        Holds the macro panel.
    macro_lag : int
        Months by which unemployment is lagged, as it is published with a delay: the rate used in
        calendar month t is the state's rate in month t - macro_lag.
    carry : sequence of str
        Loan-level columns copied onto every loan-month row.

    Returns
    -------
    pandas.DataFrame
        ``id, month_on_book, calendar_month, event_default, event_prepaid, state_unemp_tv,
        state_unemp_change_since_issue`` and the carried columns; ``state_unemp_change_since_issue``
        is ``state_unemp_tv`` minus the (equally lagged) rate in the issue month.

    Examples
    --------
    >>> # panel = build_panel(features, context)  → len(panel) == features["time"].sum()
    """
    from overdue.features.macro import state_unemployment_at

    if macro_lag < 0:
        raise ValueError(f"macro_lag must be 0 or more months, got {macro_lag}")
    times = features["time"].to_numpy(dtype="int64")
    rows = np.repeat(np.arange(len(features)), times)
    # Month on book counts 1..time within each loan: position minus the loan's first position.
    starts = np.repeat(np.cumsum(times) - times, times)
    month_on_book = np.arange(len(rows)) - starts + 1
    issue = features["issue_d"].to_numpy(dtype="datetime64[M]")[rows]
    calendar = (issue + month_on_book.astype("timedelta64[M]")).astype("datetime64[ns]")
    last_row = month_on_book == times[rows]
    event = features["event"].to_numpy()[rows]
    panel = pd.DataFrame(
        {
            "id": features["id"].to_numpy()[rows],
            "month_on_book": month_on_book.astype("int16"),
            "calendar_month": calendar,
            "event_default": (last_row & (event == EVENT_CODES["default"])).astype("int8"),
            "event_prepaid": (last_row & (event == EVENT_CODES["prepaid"])).astype("int8"),
        }
    )
    for column in carry:
        if column in features.columns:
            panel[column] = features[column].to_numpy()[rows]
    if not features["addr_state"].notna().any():
        # A loan file without states: no state's unemployment to follow (the hazard pages then
        # leave its term out and say why).
        panel["state_unemp_tv"] = np.nan
        panel["state_unemp_change_since_issue"] = np.nan
        return panel
    states = pd.Series(features["addr_state"].to_numpy()[rows])
    lag = np.timedelta64(macro_lag, "M")
    lagged = pd.Series((calendar.astype("datetime64[M]") - lag).astype("datetime64[ns]"))
    panel["state_unemp_tv"] = state_unemployment_at(states, lagged, context).to_numpy()
    at_issue = state_unemployment_at(
        features["addr_state"],
        pd.Series(
            (features["issue_d"].to_numpy(dtype="datetime64[M]") - lag).astype("datetime64[ns]"),
            index=features.index,
        ),
        context,
    ).to_numpy()
    panel["state_unemp_change_since_issue"] = panel["state_unemp_tv"] - at_issue[rows]
    return panel


# A multiple around 1: 0.1 is ten cents per dollar lent.
@feature(
    "outcome",
    "ratio",
    ["total_pymnt", "funded_amnt"],
    label="Realised multiple",
    per="per 0.1",
    scale=0.1,
)
def realised_multiple(loans, context):
    """What the loan paid back per dollar lent: total payments received over the funded amount (1.2 is a 20% gain over the loan's life; under 1 is a loss)."""
    return loans["total_pymnt"] / loans["funded_amnt"].where(loans["funded_amnt"] > 0)
