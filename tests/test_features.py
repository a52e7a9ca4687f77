"""Features and outcomes: hand-computed cases for every feature, edge cases, and the real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdue.data.schemas import LOAN_COLUMNS, coerce_loan_types
from overdue.errors import DataError
from overdue.features import feature_dictionary
from overdue.features.build import compute_features, make_context
from overdue.features.outcomes import build_panel

T = pd.Timestamp


def make_loans(*rows: dict) -> pd.DataFrame:
    """Canonical loans from a few fields each; everything else takes a plain default."""
    base = dict(
        loan_amnt=12000.0,
        funded_amnt=12000.0,
        funded_amnt_inv=9000.0,
        term=36,
        int_rate=0.12,
        installment=400.0,
        grade="B",
        sub_grade="B3",
        emp_length="3 years",
        home_ownership="RENT",
        annual_inc=48000.0,
        verification_status="Verified",
        issue_d=T("2010-01-01"),
        loan_status="Fully Paid",
        meets_policy=True,
        purpose="debt_consolidation",
        addr_state="CA",
        dti=15.0,
        delinq_2yrs=0.0,
        earliest_cr_line=T("2000-07-01"),
        fico_range_low=700.0,
        fico_range_high=704.0,
        inq_last_6mths=1.0,
        open_acc=8.0,
        pub_rec=0.0,
        revol_bal=5000.0,
        revol_util=0.5,
        total_acc=20.0,
        last_pymnt_d=T("2013-01-01"),
        total_pymnt=14000.0,
    )
    frame = pd.DataFrame([{**base, "id": str(i), **row} for i, row in enumerate(rows)])
    return coerce_loan_types(frame[[c for c in LOAN_COLUMNS if c in frame.columns]], "test")


def make_macro(states=("CA", "TX"), start="2008-01-01", end="2016-12-01") -> pd.DataFrame:
    """A macro panel where state unemployment = 5 + months since 2008-01 / 10 (+1 for TX)."""
    months = pd.date_range(start, end, freq="MS")
    step = np.arange(len(months)) / 10
    frames = [
        pd.DataFrame({"addr_state": s, "month": months, "state_unemp": 5 + step + (s == "TX")})
        for s in states
    ]
    macro = pd.concat(frames, ignore_index=True)
    macro["national_unemp"] = 6.0
    macro["gdp_growth_yoy"] = 0.02
    macro["fed_funds"] = 0.25
    macro["term_spread"] = 2.5
    macro["recession"] = (macro["month"] < T("2009-07-01")).astype(float)
    macro["addr_state"] = macro["addr_state"].astype("string")
    return macro


def features_of(loans, macro=None, **options):
    context = make_context(loans, make_macro() if macro is None else macro, "fred", **options)
    return compute_features(loans, context), context


def test_outcome_edge_cases():
    loans = make_loans(
        dict(loan_status="Charged Off", last_pymnt_d=pd.NaT),  # never paid
        dict(loan_status="Fully Paid", last_pymnt_d=T("2010-01-01")),  # prepaid in its first month
        dict(loan_status="Fully Paid", last_pymnt_d=T("2010-02-01")),  # prepaid after one payment
        dict(
            loan_status="Fully Paid", term=60, last_pymnt_d=T("2015-01-01")
        ),  # 60-month loan paid at term
        dict(
            loan_status="Charged Off", last_pymnt_d=T("2010-06-01")
        ),  # five payments, then missed
        dict(
            loan_status="Does not meet the credit policy. Status:Charged Off",
            last_pymnt_d=T("2011-01-01"),
        ),
        dict(loan_status="Current", last_pymnt_d=T("2012-02-01")),  # open at the snapshot
        dict(
            loan_status="Late (31-120 days)", last_pymnt_d=T("2011-11-01")
        ),  # overdue only if configured
    )
    plain, _ = features_of(loans, snapshot="2012-03-01")
    assert plain["event_type"].tolist() == [
        "default",
        "prepaid",
        "prepaid",
        "censored_term",
        "default",
        "default",
        "censored_snapshot",
        "censored_snapshot",
    ]
    assert plain["time"].tolist() == [1, 1, 1, 60, 6, 13, 26, 26]
    assert plain["event"].tolist() == [1, 2, 2, 0, 1, 1, 0, 0]
    assert plain["defaulted"].tolist() == [1, 0, 0, 0, 1, 1, 0, 0]
    assert plain["months_to_charge_off"].iloc[[0, 4]].tolist() == [5.0, 10.0]
    strict, _ = features_of(loans, snapshot="2012-03-01", overdue_statuses=["Late (31-120 days)"])
    assert strict.loc[7, ["event_type", "time"]].tolist() == ["default", 23]


def test_unknown_status_is_an_error():
    with pytest.raises(DataError, match="loan_status.*Restructured"):
        features_of(make_loans(dict(loan_status="Restructured")))


def test_credit_features_by_hand():
    loans = make_loans(
        dict(emp_length=None, sub_grade="D4", grade="D", home_ownership="NONE"),
        dict(emp_length="< 1 year"),
        dict(emp_length="10+ years", annual_inc=0.0),
    )
    f, _ = features_of(loans)
    assert f["fico"].tolist() == [702.0] * 3
    assert f["grade_code"].tolist() == [4.0, 2.0, 2.0]
    assert f["sub_grade_code"].tolist() == [19.0, 8.0, 8.0]
    assert f["emp_years"].iloc[1:].tolist() == [0.0, 10.0] and np.isnan(f["emp_years"].iloc[0])
    assert f["emp_missing"].tolist() == [1, 0, 0]
    assert f["home_ownership"].tolist() == ["OTHER", "RENT", "RENT"]
    assert f["log_income"].iloc[0] == pytest.approx(np.log(48000)) and np.isnan(
        f["log_income"].iloc[2]
    )
    assert f["credit_history_years"].iloc[0] == pytest.approx(9.5)  # 2000-07 to 2010-01


def test_purpose_and_underwriting_by_hand():
    loans = make_loans(
        dict(purpose="wedding", verification_status="Not Verified", meets_policy=False),
        dict(purpose="small_business", issue_d=T("2011-08-01"), funded_amnt_inv=12000.0),
        dict(purpose="credit_card", verification_status="Source Verified"),
    )
    f, _ = features_of(loans)
    assert f["purpose_group"].tolist() == ["consumption", "business", "refinancing"]
    assert f["installment_to_income"].tolist() == pytest.approx([0.1] * 3)  # 400 / (48000 / 12)
    assert f["loan_to_income"].tolist() == pytest.approx([0.25] * 3)
    assert f["income_verified"].tolist() == [0, 1, 1]
    assert f["meets_policy"].tolist() == [0, 1, 1]
    assert f["issue_quarter"].tolist() == ["2010Q1", "2011Q3", "2010Q1"]
    assert f["inv_funded_share"].tolist() == pytest.approx([0.75, 1.0, 0.75])
    with pytest.raises(DataError, match="purpose.*crypto"):
        features_of(make_loans(dict(purpose="crypto")))


def test_grade_gap_compares_grade_with_fico_rank():
    # Two A loans, two C loans; the best FICO scores are on a C loan and an A loan.
    loans = make_loans(
        dict(grade="A", fico_range_low=800, fico_range_high=804),
        dict(grade="A", fico_range_low=650, fico_range_high=654),
        dict(grade="C", fico_range_low=780, fico_range_high=784),
        dict(grade="C", fico_range_low=640, fico_range_high=644),
    )
    f, _ = features_of(loans)
    # FICO alone would make the two best A and the two worst C.
    assert f["grade_gap"].tolist() == [0.0, -2.0, 2.0, 0.0]


def test_macro_at_origination_by_hand():
    loans = make_loans(
        dict(issue_d=T("2010-01-01"), addr_state="CA"),
        dict(issue_d=T("2009-03-01"), addr_state="TX"),
    )
    f, _ = features_of(loans)
    assert f["state_unemp"].tolist() == pytest.approx([5 + 24 / 10, 6 + 14 / 10])
    assert f["state_unemp_change_12m"].tolist() == pytest.approx([1.2, 1.2])
    assert f["recession"].tolist() == [0, 1]
    assert f[["national_unemp", "fed_funds", "term_spread", "gdp_growth_yoy"]].iloc[
        0
    ].tolist() == [6.0, 0.25, 2.5, 2.0]


def test_missing_state_unemployment_is_an_error_naming_the_series():
    loans = make_loans(dict(addr_state="NV"))
    with pytest.raises(DataError, match=r"fred/state/NVUR\.csv: column 'state_unemp'.*NV 2010-01"):
        features_of(loans)


def test_panel_rows_lags_and_events():
    loans = make_loans(
        dict(loan_status="Charged Off", last_pymnt_d=T("2010-03-01")),  # default at month 3
        dict(loan_status="Fully Paid", last_pymnt_d=T("2010-03-01")),
    )  # prepaid at month 2
    f, context = features_of(loans)
    panel = build_panel(f, context, macro_lag=1)
    assert len(panel) == f["time"].sum() == 5
    assert panel["month_on_book"].tolist() == [1, 2, 3, 1, 2]
    assert panel["calendar_month"].iloc[:3].tolist() == [
        T("2010-02-01"),
        T("2010-03-01"),
        T("2010-04-01"),
    ]
    assert panel["event_default"].tolist() == [0, 0, 1, 0, 0]
    assert panel["event_prepaid"].tolist() == [0, 0, 0, 0, 1]
    # Month on book 3 is April 2010; lagged one month: March 2010 = 5 + 26/10.
    assert panel["state_unemp_tv"].iloc[2] == pytest.approx(7.6)
    assert panel["state_unemp_change_since_issue"].iloc[2] == pytest.approx(
        0.3
    )  # vs December 2009
    unlagged = build_panel(f, context, macro_lag=0)
    assert unlagged["state_unemp_tv"].iloc[2] == pytest.approx(7.7)


def test_feature_dictionary_covers_every_feature_once():
    dictionary = feature_dictionary()
    f, _ = features_of(make_loans({}))
    assert set(dictionary.index) == set(f.columns) - {"id", "issue_d", "addr_state"}
    assert dictionary.index.is_unique
    assert (dictionary["definition"].str.len() > 10).all() and dictionary["unit"].notna().all()
    assert set(dictionary["family"]) == {"outcome", "credit", "macro", "purpose", "underwriting"}


@pytest.fixture(scope="module")
def real_features(real_loans, real_macro):
    context = make_context(real_loans, real_macro, "fred")
    features = compute_features(real_loans, context)
    return features, build_panel(features, context)


def test_real_outcomes(real_features):
    features, panel = real_features
    assert features["defaulted"].sum() == 6_431
    assert features["defaulted"].mean() == pytest.approx(0.1512, abs=5e-5)
    assert features["event_type"].value_counts().to_dict() == {
        "prepaid": 21_140,
        "censored_term": 14_964,
        "default": 6_431,
    }
    assert (features.loc[features["event_type"] == "default", "time"] >= 1).all()
    assert len(panel) == features["time"].sum()
    assert panel["state_unemp_tv"].notna().all()
    assert panel["event_default"].sum() == 6_431 and panel["event_prepaid"].sum() == 21_140


def test_without_payment_dates_outcomes_keep_default_but_not_time():
    loans = make_loans(
        dict(loan_status="Charged Off", last_pymnt_d=pd.NaT),
        dict(loan_status="Fully Paid", last_pymnt_d=pd.NaT),
    )
    f, _ = features_of(loans)
    assert f["defaulted"].tolist() == [1, 0]
    assert f["event_type"].tolist() == ["default", "no_default"]
    assert f["time"].isna().all() and f["event"].isna().all()
