"""The data layer on the real mirror and on written fixtures: counts, formats, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from overdue.data.fred import national_panel, read_fred_series, to_monthly
from overdue.data.lendingclub import (
    parse_percent,
    parse_term,
    read_loans_csv,
    read_rda,
    write_lendingclub_csv,
)
from overdue.errors import DataError


def test_real_loans_match_the_published_counts(real_loans):
    assert len(real_loans) == 42_535
    by_year = real_loans["issue_d"].dt.year.value_counts().sort_index()
    assert by_year.to_dict() == {2007: 603, 2008: 2_393, 2009: 5_281, 2010: 12_537, 2011: 21_721}
    assert real_loans["loan_status"].value_counts().to_dict() == {
        "Fully Paid": 34_116,
        "Charged Off": 5_670,
        "Does not meet the credit policy. Status:Fully Paid": 1_988,
        "Does not meet the credit policy. Status:Charged Off": 761,
    }
    assert real_loans["meets_policy"].sum() == 34_116 + 5_670
    assert real_loans["last_pymnt_d"].isna().sum() == 83
    assert real_loans["id"].is_unique


def test_real_loans_are_typed_as_the_canonical_table(real_loans):
    assert set(real_loans["term"].unique()) == {36, 60}
    assert real_loans["int_rate"].between(0.05, 0.25).all()  # fractions, not percents
    assert real_loans["issue_d"].dt.day.eq(1).all()
    for private in ["desc", "title", "emp_title", "url", "member_id", "zip_code"]:
        assert private not in real_loans.columns


def test_every_loan_has_state_unemployment_at_issue(real_loans, real_macro):
    keys = real_loans[["addr_state", "issue_d"]].rename(columns={"issue_d": "month"})
    joined = keys.merge(real_macro[["addr_state", "month", "state_unemp"]], how="left")
    assert len(joined) == len(real_loans)
    assert joined["state_unemp"].notna().all()
    ca_jan_2010 = real_macro.loc[
        (real_macro.addr_state == "CA") & (real_macro.month == pd.Timestamp("2010-01-01")),
        "state_unemp",
    ]
    assert ca_jan_2010.item() == pytest.approx(
        12.3, abs=0.3
    )  # California's peak of the Great Recession


def test_export_csv_loads_to_the_same_values_as_the_rda(real_loans):
    from_csv = read_loans_csv(FIXTURES / "lendingclub_export.csv")
    assert len(from_csv) == 36
    assert (~from_csv["meets_policy"]).sum() >= 6
    assert from_csv["last_pymnt_d"].isna().sum() >= 3 and from_csv["emp_length"].isna().sum() >= 3
    from_rda = real_loans.set_index("id").loc[from_csv["id"]].reset_index()
    pd.testing.assert_frame_equal(from_csv, from_rda, check_exact=False, rtol=1e-9)


def test_export_quirks_parse():
    assert parse_percent(pd.Series(["10.65%", "83.7%", "0.5"])).tolist() == pytest.approx(
        [0.1065, 0.837, 0.5]
    )
    assert parse_term(pd.Series([" 36 months", " 60 months"])).tolist() == [36, 60]


def test_gzipped_export_reads_the_same(tmp_path):
    import gzip

    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress((FIXTURES / "lendingclub_export.csv").read_bytes()))
    pd.testing.assert_frame_equal(
        read_loans_csv(packed), read_loans_csv(FIXTURES / "lendingclub_export.csv")
    )


@pytest.mark.parametrize(
    "header", ['"Date","CAUR"', "date,value", "observation_date,UNRATE", "DATE,UNRATE"]
)
def test_each_fred_header_variant_loads(tmp_path, header):
    missing = "." if header.startswith("DATE") else ""
    path = tmp_path / "series.csv"
    path.write_text(f"{header}\n2010-01-01,9.8\n2010-02-01,{missing}\n2010-03-01,9.9\n")
    series = read_fred_series(path)
    assert series.index[0] == pd.Timestamp("2010-01-01")
    assert series.iloc[0] == 9.8 and np.isnan(series.iloc[1]) and series.iloc[2] == 9.9


def test_daily_series_become_monthly_means_and_quarterly_repeat():
    daily = pd.Series(
        [1.0, np.nan, 3.0, 10.0],
        index=pd.to_datetime(["2010-01-04", "2010-01-05", "2010-01-06", "2010-02-01"]),
    )
    assert to_monthly(daily).tolist() == [2.0, 10.0]
    quarterly = pd.Series([100.0, 110.0], index=pd.to_datetime(["2010-01-01", "2010-04-01"]))
    assert to_monthly(quarterly).tolist() == [100.0] * 3 + [110.0] * 3


def test_national_panel_derives_gdp_growth(raw_dir):
    panel = national_panel(raw_dir / "fred").set_index("month")
    # Real GDP fell about 3% over the year to 2009Q2 (BEA): the panel must show the recession.
    assert panel.loc["2009-05-01", "gdp_growth_yoy"] == pytest.approx(-0.03, abs=0.015)
    assert panel.loc["2009-05-01", "recession"] == 1.0
    assert panel.loc["2010-06-01", "term_spread"] == pytest.approx(2.3, abs=0.4)


def _export_with(tmp_path, change):
    frame = read_loans_csv(FIXTURES / "lendingclub_export.csv")
    frame = change(frame)
    path = tmp_path / "bad.csv"
    write_lendingclub_csv(frame, path)
    return path


def test_fico_out_of_range_names_file_column_and_value(tmp_path):
    path = _export_with(
        tmp_path, lambda f: f.assign(fico_range_low=f.fico_range_low.where(f.index != 3, 9999))
    )
    with pytest.raises(DataError, match=r"bad\.csv: column 'fico_range_low'.*1 row; e\.g\. 9999"):
        read_loans_csv(path)


def test_missing_loan_status_is_named(tmp_path):
    path = tmp_path / "nostatus.csv"
    frame = pd.read_csv(FIXTURES / "lendingclub_export.csv", skiprows=1, dtype=str).drop(
        columns="loan_status"
    )
    frame.to_csv(path, index=False)
    with pytest.raises(
        DataError, match="nostatus.csv: column 'loan_status': required column missing"
    ):
        read_loans_csv(path)


def test_last_payment_before_issue_is_caught(tmp_path):
    path = _export_with(
        tmp_path,
        lambda f: f.assign(
            last_pymnt_d=f.last_pymnt_d.where(f.index != 0, pd.Timestamp("2001-01-01"))
        ),
    )
    with pytest.raises(DataError, match="last_pymnt_d'.*before issue"):
        read_loans_csv(path)


def test_truncated_rda_is_a_clear_error(raw_dir, tmp_path):
    damaged = tmp_path / "LendingClubData_2007.rda"
    damaged.write_bytes((raw_dir / "lendingclub" / "LendingClubData_2007.rda").read_bytes()[:5000])
    with pytest.raises(DataError, match="LendingClubData_2007.rda.*truncated"):
        read_rda(damaged)


def test_real_loans_carry_what_overdue_cost(real_loans):
    charged_off = real_loans["loan_status"].str.contains("Charged Off")
    exposure = real_loans["funded_amnt"] - real_loans["total_rec_prncp"]
    assert charged_off.sum() == 6_431 and (exposure[charged_off] > 0).sum() == 6_431
    assert (real_loans.loc[charged_off, "recoveries"] > 0).sum() == 6_359
    late_fee = real_loans["total_rec_late_fee"] > 0
    assert late_fee.sum() == 2_390
    assert (late_fee & real_loans["loan_status"].str.contains("Fully Paid")).sum() == 1_375
    assert real_loans["settlement_status"].value_counts().to_dict() == {
        "COMPLETE": 143,
        "BROKEN": 14,
        "ACTIVE": 3,
    }
    assert (real_loans["debt_settlement_flag"] == "Y").sum() == 160
    assert real_loans["settlement_date"].notna().sum() == 160
    # A last FICO of 0 is "no score": missing, never a score of 0.
    assert real_loans["last_fico_range_high"].isna().sum() == 21
    assert (real_loans["last_fico_range_low"].dropna() >= 300).all()
    components = ["total_rec_prncp", "total_rec_int", "total_rec_late_fee", "recoveries"]
    assert (real_loans[components].sum(axis=1) - real_loans["total_pymnt"]).abs().max() < 0.011
