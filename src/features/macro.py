"""Economic-environment family: macro conditions at origination, and the state's unemployment over
the loan's life for the loan-month panel."""

from __future__ import annotations

import pandas as pd

from overdue.errors import DataError
from overdue.features.registry import FeatureContext, feature


def state_unemployment_at(
    states: pd.Series, months: pd.Series, context: FeatureContext
) -> pd.Series:
    """The state's unemployment rate (percent) in the given months; a missing value is an error
    naming the state's series file and the months, never a silent NaN.

    Examples
    --------
    >>> macro = pd.DataFrame({"addr_state": ["CA"], "month": [pd.Timestamp("2010-01-01")], "state_unemp": [12.3]})
    >>> state_unemployment_at(pd.Series(["CA"]), pd.Series([pd.Timestamp("2010-01-01")]),
    ...                       FeatureContext(macro=macro)).tolist()
    [12.3]
    """
    keys = pd.DataFrame(
        {
            "addr_state": states.astype("string").to_numpy(),
            "month": pd.to_datetime(months).to_numpy(),
        }
    )
    table = context.macro[["addr_state", "month", "state_unemp"]].astype({"addr_state": "string"})
    values = keys.merge(table, on=["addr_state", "month"], how="left")["state_unemp"]
    _raise_if_missing(values, keys, context, "state_unemp", "{state}UR.csv", "state")
    return pd.Series(values.to_numpy(), index=states.index)


def _raise_if_missing(values, keys, context, column, file_pattern, folder):
    missing = values.isna().to_numpy()
    if missing.any():
        gaps = keys[missing].drop_duplicates()
        first = gaps.iloc[0]
        raise DataError(
            f"{context.macro_source}/{folder}/" + file_pattern.format(state=first.addr_state),
            column,
            "no value for months the loans need",
            int(missing.sum()),
            [f"{row.addr_state} {row.month:%Y-%m}" for row in gaps.head(3).itertuples()],
        )


def national_at(months: pd.Series, column: str, context: FeatureContext) -> pd.Series:
    """A national macro series in the given months (error naming the series when missing)."""
    national = context.macro.drop_duplicates("month").set_index("month")[column]
    values = pd.Series(national.reindex(pd.to_datetime(months)).to_numpy(), index=months.index)
    if values.isna().any():
        bad = months[values.isna()].drop_duplicates()
        raise DataError(
            f"{context.macro_source}/national",
            column,
            "no value for months the loans need",
            int(values.isna().sum()),
            [f"{m:%Y-%m}" for m in bad.head(3)],
        )
    return values


# Percent: rates move by points over a cycle (4.6% to 10% nationally 2007–2009).
@feature(
    "macro",
    "percent",
    ["addr_state", "issue_d", "fred/state/XXUR"],
    label="State unemployment at issue",
    per="per percentage point",
)
def state_unemp(loans, context):
    """State unemployment rate in the issue month (BLS LAUS, seasonally adjusted)."""
    return state_unemployment_at(loans["addr_state"], loans["issue_d"], context)


@feature(
    "macro",
    "percentage points",
    ["addr_state", "issue_d", "fred/state/XXUR"],
    label="Change in state unemployment over the year to issue",
    per="per percentage point",
)
def state_unemp_change_12m(loans, context):
    """Change in the state's unemployment rate over the 12 months up to the issue month."""
    year_before = loans["issue_d"] - pd.DateOffset(months=12)
    return state_unemp(loans, context) - state_unemployment_at(
        loans["addr_state"], year_before, context
    )


@feature(
    "macro",
    "percent",
    ["issue_d", "fred/national/UNRATE"],
    label="National unemployment at issue",
    per="per percentage point",
)
def national_unemp(loans, context):
    """National unemployment rate in the issue month."""
    return national_at(loans["issue_d"], "national_unemp", context)


@feature(
    "macro",
    "percent",
    ["issue_d", "fred/national/GDPC1"],
    label="Real GDP growth at issue (year over year)",
    per="per percentage point",
)
def gdp_growth_yoy(loans, context):
    """Real GDP growth over the same quarter a year before, for the issue month's quarter, in percent (so its coefficient is per point of growth, like unemployment's)."""
    return 100 * national_at(loans["issue_d"], "gdp_growth_yoy", context)


@feature(
    "macro",
    "percent",
    ["issue_d", "fred/national/FEDFUNDS"],
    label="Federal funds rate at issue",
    per="per percentage point",
)
def fed_funds(loans, context):
    """Effective federal funds rate, monthly average, in the issue month."""
    return national_at(loans["issue_d"], "fed_funds", context)


@feature(
    "macro",
    "percentage points",
    ["issue_d", "fred/national/T10Y2Y"],
    label="Term spread at issue (10-year minus 2-year)",
    per="per percentage point",
)
def term_spread(loans, context):
    """10-year minus 2-year Treasury yield, monthly average of daily values, in the issue month."""
    return national_at(loans["issue_d"], "term_spread", context)


@feature(
    "macro",
    "0/1",
    ["issue_d", "fred/national/USREC"],
    label="Issued in a recession",
    per="vs in an expansion",
)
def recession(loans, context):
    """1 when the issue month is in an NBER-dated recession."""
    return national_at(loans["issue_d"], "recession", context).astype("int64")


#: Edges of the state-unemployment bands (percent) used to split curves and rates.
UNEMPLOYMENT_BANDS = (0, 7, 9, 11, 100)


@feature(
    "macro",
    "category",
    ["addr_state", "issue_d", "fred/state/XXUR"],
    label="State unemployment at issue",
)
def state_unemp_band(loans, context):
    """State unemployment at issue in bands: under 7%, 7–9%, 9–11%, 11% and over."""
    labels = [
        f"{low}–{high}%" if high < 100 else f"{low}%+"
        for low, high in zip(UNEMPLOYMENT_BANDS[:-1], UNEMPLOYMENT_BANDS[1:])
    ]
    labels[0] = f"<{UNEMPLOYMENT_BANDS[1]}%"
    bands = pd.cut(state_unemp(loans, context), UNEMPLOYMENT_BANDS, labels=labels, right=False)
    return bands.astype("string")
