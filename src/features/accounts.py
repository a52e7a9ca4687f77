"""Features of a delinquency panel's accounts: one row per account and month.

They run on the ``accounts`` table (``table="accounts"`` in the registry): the account-months of
the canonical delinquency panel (:mod:`overdue.data.delinquency`) joined to their account's
attributes (credit line, age, education … of :mod:`overdue.data.taiwan`), never on loans. Each
is known at the end of its month, so a transition from month t to t + 1 uses month t's values.

The causes they stand for, in the Taiwan card crisis (banks over-issuing cards, holders
overusing them for consumption): the **credit line** (the bank's underwriting generosity),
**utilisation** (consumption on credit), the **payment ratio** (paid against billed), the recent
**payment history** (months delinquent and the worst status in the last ``history_months``), and
the holder's **age** and **education**; **sex** and **marital status** enter only as labelled
controls (family ``control``), never as causes.

Examples
--------
>>> panel = pd.DataFrame({"account_id": ["1"] * 3, "month": pd.to_datetime(["2005-04-01", "2005-05-01", "2005-06-01"]),
...     "mpd": [0, 2, 0], "bucket": ["current", "2", "current"], "balance": [500.0, 1000.0, 200.0],
...     "payment": [0.0, 100.0, 1000.0], "credit_line": 1000.0})
>>> accounts = pd.DataFrame({"account_id": ["1"], "age": [30.0], "education": [2], "sex": [1], "marriage": [1]})
>>> features = account_features(panel, accounts)
>>> features[["utilisation", "payment_ratio", "months_delinquent", "worst_mpd"]].values.tolist()
[[0.5, nan, 0.0, 0.0], [1.0, 0.2, 1.0, 2.0], [0.2, 1.0, 1.0, 2.0]]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from overdue.features.registry import FeatureContext, feature, features_of

#: Months of payment history the history features look back over (the month itself included);
#: the Taiwan file has six months, so six covers all of it by September.
HISTORY_MONTHS = 6
#: Columns of the account-month rows kept beside the features.
IDENTITY_COLUMNS = ["account_id", "month", "bucket", "mpd"]

_EDUCATION = {1: "graduate school", 2: "university", 3: "high school"}
_MARITAL = {1: "married", 2: "single"}
_SEX = {1: "male", 2: "female"}


def _history_window(frame: pd.DataFrame, context: FeatureContext) -> int:
    months = int(context.params.get("history_months", HISTORY_MONTHS))
    if months < 1:
        raise ValueError(f"history_months must be at least 1, got {months}")
    return months


def _lagged(values: np.ndarray, account: np.ndarray, lag: int, fill) -> np.ndarray:
    """``values`` ``lag`` rows back within the same account (rows sorted by account and month,
    months consecutive), ``fill`` where the account has no such month."""
    out = np.full(len(values), fill, dtype=float)
    if lag < len(values):
        same = account[lag:] == account[:-lag] if lag else np.ones(len(values), bool)
        shifted = values[:-lag] if lag else values
        out[lag:] = np.where(same, shifted, fill) if lag else values
    return out


# A doubling of the line is how a bank's generosity reads (NT$10,000 to NT$1,000,000 in the
# Taiwan file: a per-dollar effect would print as 1.0000).
@feature(
    "underwriting",
    "log NT$",
    ["credit_line"],
    label="Credit line",
    per="per doubling",
    scale=math.log(2),
    table="accounts",
)
def log_credit_line(frame, context):
    """Natural log of the account's credit line (the bank's underwriting generosity)."""
    line = frame["credit_line"].astype("float64")
    return np.log(line.where(line > 0))


# Per 10 percentage points of the line, as the loan table's revolving utilisation.
@feature(
    "credit",
    "fraction",
    ["balance", "credit_line"],
    label="Utilisation",
    per="per 10 percentage points",
    scale=0.1,
    table="accounts",
)
def utilisation(frame, context):
    """Statement balance / credit line that month (a credit balance counts as 0; over the
    line is above 1)."""
    return (frame["balance"].clip(lower=0) / frame["credit_line"]).astype("float64")


@feature(
    "credit",
    "fraction",
    ["payment", "balance"],
    label="Payment ratio (paid / billed)",
    per="per 10 percentage points",
    scale=0.1,
    table="accounts",
)
def payment_ratio(frame, context):
    """Paid in the month / the statement balance of the month before, capped at 1 (paid in
    full); 1 when nothing was billed; NaN in an account's first month (no bill before it)."""
    account = frame["account_id"].to_numpy()
    billed = _lagged(frame["balance"].to_numpy(dtype=float), account, 1, np.nan)
    paid = frame["payment"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(billed > 0, np.minimum(paid / billed, 1.0), 1.0)
    return pd.Series(np.where(np.isnan(billed), np.nan, ratio), index=frame.index)


@feature(
    "credit",
    "months",
    ["mpd"],
    label="Months delinquent, recent months",
    per="per month",
    table="accounts",
)
def months_delinquent(frame, context):
    """Months with MPD ≥ 1 among the last ``history_months`` (this month included; fewer when
    the account's record is shorter)."""
    account = frame["account_id"].to_numpy()
    overdue = (frame["mpd"].fillna(0).to_numpy(dtype=float) >= 1).astype(float)
    window = _history_window(frame, context)
    total = sum(_lagged(overdue, account, lag, 0.0) for lag in range(window))
    return pd.Series(total, index=frame.index)


@feature(
    "credit",
    "months",
    ["mpd"],
    label="Worst months past due, recent months",
    per="per month",
    table="accounts",
)
def worst_mpd(frame, context):
    """Highest months past due among the last ``history_months`` (this month included)."""
    account = frame["account_id"].to_numpy()
    mpd = frame["mpd"].fillna(0).to_numpy(dtype=float)
    window = _history_window(frame, context)
    worst = np.max([_lagged(mpd, account, lag, 0.0) for lag in range(window)], axis=0)
    return pd.Series(worst, index=frame.index)


# The bucket is the panel's own column (overdue.data.delinquency reads it from the MPD, so it is
# among the identity columns); registered as well, so that a model or a page using it as a
# feature (the decision models of the remedies page, the default logit of the dynamics page)
# reads it as the credit-risk feature it is, by its label, not as an unknown column.
@feature(
    "credit",
    "category",
    ["bucket"],
    label="Delinquency bucket",
    levels={"1": "1 month past due", "2": "2 months past due", "3+": "3+ months past due"},
    table="accounts",
)
def bucket(frame, context):
    """The account's delinquency bucket that month: current (MPD 0), 1, 2 or 3+ months past
    due, or the absorbing default or closed where the source records them."""
    return frame["bucket"]


#: Utilisation bands (upper edges, fractions of the line) for transitions by factor.
UTILISATION_BANDS = {"under 30%": 0.3, "30–70%": 0.7, "70–100%": 1.0, "over the line": math.inf}
#: Credit-line bands (upper edges, NT$): about the Taiwan file's quartiles (50,000, 140,000 and
#: 240,000), rounded to the limits the bank set.
CREDIT_LINE_BANDS = {
    "NT$50k or less": 50_000,
    "NT$50–140k": 140_000,
    "NT$140–240k": 240_000,
    "over NT$240k": math.inf,
}


def _banded(values: pd.Series, bands: dict[str, float]) -> pd.Series:
    edges = [-math.inf, *bands.values()]
    cut = pd.cut(values, edges, labels=list(bands), right=True)
    return pd.Series(pd.Categorical(cut, categories=list(bands), ordered=True), index=values.index)


@feature(
    "credit",
    "category",
    ["balance", "credit_line"],
    label="Utilisation band",
    table="accounts",
)
def utilisation_band(frame, context):
    """Utilisation that month in bands: under 30%, 30–70%, 70–100% of the line, over it."""
    return _banded(utilisation(frame, context), UTILISATION_BANDS)


@feature(
    "underwriting",
    "category",
    ["credit_line"],
    label="Credit-line band",
    table="accounts",
)
def credit_line_band(frame, context):
    """The credit line in four bands near the Taiwan file's quartiles (NT$50,000, 140,000,
    240,000)."""
    return _banded(frame["credit_line"].astype("float64"), CREDIT_LINE_BANDS)


@feature(
    "credit",
    "years",
    ["age"],
    label="Age",
    per="per 10 years",
    scale=10,
    table="accounts",
)
def age(frame, context):
    """The holder's age in years (NaN where the file has none)."""
    return frame["age"].astype("float64")


@feature(
    "credit",
    "category",
    ["education"],
    label="Education",
    table="accounts",
)
def education(frame, context):
    """Graduate school, university, high school, or other (code 4 and the undocumented 0, 5, 6
    together: 468 accounts in the Taiwan file)."""
    codes = frame["education"].astype("Int64")
    return codes.map(_EDUCATION).astype(object).where(codes.isin(list(_EDUCATION)), "other")


@feature(
    "control",
    "category",
    ["sex"],
    label="Sex (control)",
    table="accounts",
)
def sex(frame, context):
    """Male or female: a control, never read as a cause."""
    return frame["sex"].astype("Int64").map(_SEX).astype(object)


@feature(
    "control",
    "category",
    ["marriage"],
    label="Marital status (control)",
    table="accounts",
)
def marital_status(frame, context):
    """Married, single, or other (code 3 and the undocumented 0 together): a control."""
    codes = frame["marriage"].astype("Int64")
    return codes.map(_MARITAL).astype(object).where(codes.isin(list(_MARITAL)), "other")


def account_features(
    panel: pd.DataFrame, accounts: pd.DataFrame, history_months: int = HISTORY_MONTHS
) -> pd.DataFrame:
    """One row per account-month: the panel's identity columns, every feature registered for the
    ``accounts`` table whose source columns the data have, and the account table's other columns
    (the outcome ``default_next_month`` among them).

    Parameters
    ----------
    panel : pandas.DataFrame
        The canonical delinquency panel (whole accounts: history features look back within an
        account).
    accounts : pandas.DataFrame
        One row per account (``account_id`` and its attributes).
    history_months : int
        Months the history features look back over.
    """
    frame = panel.sort_values(["account_id", "month"], kind="stable").reset_index(drop=True)
    extra = [c for c in accounts.columns if c == "account_id" or c not in frame.columns]
    frame = frame.merge(accounts[extra], on="account_id", how="left", validate="many_to_one")
    context = FeatureContext(params={"history_months": history_months})
    columns = {name: frame[name] for name in IDENTITY_COLUMNS}
    for spec in features_of("accounts"):
        available = all(
            source in frame.columns and frame[source].notna().any() for source in spec.sources
        )
        if available:  # a performance file has no age or education: those features are absent
            columns[spec.name] = spec.compute(frame, context)
    sources = {source for spec in features_of("accounts") for source in spec.sources}
    for column in accounts.columns:  # the outcome and any attribute no feature reads
        if column not in columns and column not in panel.columns and column not in sources:
            columns[column] = frame[column]
    out = pd.DataFrame(columns)
    out["account_id"] = out["account_id"].astype(object)
    return out
