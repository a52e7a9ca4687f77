"""The loan-file mapping's keys: @row, derive (pandas eval), values, default_flag, and the checks
that name the mapping file and the key when one is wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdue.data.mapping import (
    LoanFileMapping,
    evaluate,
    expression_names,
    read_mapping,
    read_performance_mapping,
    translate_values,
)
from overdue.errors import ConfigError, DataError

FILE = pd.DataFrame(
    {
        "log.annual.inc": ["10.5", "11.0", "9.8"],
        "credit.policy": ["1", "0", "1"],
        "purpose": ["all_other", "credit_card", " all_other "],
        "fico": ["702", "680", "751"],
        "not.fully.paid": ["0", "1", "0"],
    }
)


def _mapping(tmp_path, text: str):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return read_mapping(path)


def test_row_derive_values_and_flag_map_a_course_file(tmp_path):
    mapping = _mapping(
        tmp_path,
        """
columns: {id: "@row", fico_range_low: fico, fico_range_high: fico, purpose: purpose}
derive:
  annual_inc: "exp(`log.annual.inc`)"
  meets_policy: "`credit.policy` == 1"
values: {purpose: {all_other: other}}
default_flag: not.fully.paid
""",
    )
    out = mapping.apply(FILE, "loans.csv")
    assert out["id"].tolist() == ["1", "2", "3"]
    np.testing.assert_allclose(out["annual_inc"], np.exp([10.5, 11.0, 9.8]))
    assert out["meets_policy"].tolist() == [True, False, True]
    assert out["purpose"].tolist() == ["other", "credit_card", "other"]  # trimmed before matching
    assert (
        out["fico_range_low"].tolist() == out["fico_range_high"].tolist() == ["702", "680", "751"]
    )
    assert out["loan_status"].tolist() == ["Fully Paid", "Charged Off", "Fully Paid"]
    assert FILE["purpose"].tolist()[0] == "all_other"  # the file's frame is not modified


def test_expressions_read_numbers_and_text():
    assert evaluate("sqrt(abs(fico - 700))", FILE, "m").round(3).tolist() == [1.414, 4.472, 7.141]
    assert evaluate("purpose == 'credit_card'", FILE, "m").tolist() == [False, True, False]
    assert evaluate("log(exp(1))", FILE, "m").tolist() == [1.0, 1.0, 1.0]  # a constant, per row
    assert expression_names("`a b` * c + log(d) > 'e'") == {"a b", "c", "d"}


@pytest.mark.parametrize(
    "expression, message",
    [
        ("exp(`log.income`)", "names 'log.income', not a column of the file"),
        ("fico >", "is not a valid expression"),
        ("__import__('os').system('true')", "names '__import__'"),
        ("fico.astype(int)", "names 'int'"),
        ("@fico + 1", "'@' (local variables) is not allowed"),
    ],
)
def test_a_failing_expression_names_the_mapping_and_the_key(expression, message):
    with pytest.raises(ConfigError) as raised:
        evaluate(expression, FILE, "m.yaml: derive: annual_inc")
    text = str(raised.value)
    assert text.startswith("m.yaml: derive: annual_inc: ") and message in text
    assert "\n" not in text


def test_values_leave_unlisted_values_and_missing_ones_alone():
    values = pd.Series(["A", "b", None, "c"])
    assert translate_values(values, {"A": "x", "c": 3}).tolist() == ["x", "b", None, 3]


@pytest.mark.parametrize(
    "text, message",
    [
        ("columns: {id: loan}\nvalues: {purpose: {all_other: other}}",
         "values: purpose: the mapping gives no column for purpose"),
        ("columns: {id: loan}\nderive: {income: x}", "derive: ['income'] are not canonical loan columns"),
        ("columns: {id: loan}\nderive: {annual_inc: 3}", "derive: must map canonical names to expressions"),
        ("columns: {id: loan}\nvalues: {purpose: other}", "values: must map canonical names to {your value"),
        ("columns: {id: loan}\ndelimiter: ';;'", "delimiter: must be one character"),
        ("columns: {id: loan}\ndelimiter: ','\nthousands: ','", "thousands: cannot be the delimiter"),
        ("columns: {id: loan}\nsheet: [1]", "sheet: a sheet's name or its number"),
    ],
)  # fmt: skip
def test_mapping_mistakes_name_the_file_and_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as raised:
        _mapping(tmp_path, text)
    assert str(raised.value).startswith(str(tmp_path / "m.yaml")) and message in str(raised.value)


def test_values_for_a_flag_outcome_or_a_constant_are_mapped(tmp_path):
    mapping = _mapping(
        tmp_path,
        "columns: {id: '@row'}\nconstants: {purpose: x}\nvalues: {purpose: {x: other}}\n"
        "thousands: ','\nsheet: Loans\n",
    )
    assert (mapping.values, mapping.thousands, mapping.sheet, mapping.delimiter) == (
        {"purpose": {"x": "other"}},
        ",",
        "Loans",
        None,
    )


def test_performance_mappings_take_the_same_keys(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "columns: {account_id: acct, month: period}\n"
        "derive: {months_past_due: 'dpd / 30'}\nvalues: {account_id: {A-1: A1}}\nthousands: ','\n"
    )
    mapping = read_performance_mapping(path)
    assert mapping.measure == "months_past_due" and mapping.thousands == ","
    path.write_text(
        "columns: {account_id: acct, month: period, days_past_due: d}\nvalues: {status: {}}"
    )
    with pytest.raises(ConfigError, match="values: status: the mapping gives no column"):
        read_performance_mapping(path)


def test_a_mapping_without_the_file_columns_it_names_says_which(tmp_path):
    mapping = LoanFileMapping(columns={"id": "@row", "fico_range_low": "score"}, source="m.yaml")
    with pytest.raises(
        DataError, match="column 'score': the mapping m.yaml names a column the file"
    ):
        mapping.apply(FILE, "loans.csv")


def test_a_performance_file_reads_through_derive_and_values(tmp_path):
    from overdue.data.performance import read_performance_csv

    (tmp_path / "perf.csv").write_text(
        "acct;period;dpd;state\n"
        "A-1;2024-01;0;open\nA-1;2024-02;30;open\nA-1;2024-03;60;open\n"
        "B-2;2024-01;0;open\nB-2;2024-02;0;gone\n"
    )
    (tmp_path / "perf.yaml").write_text(
        "columns: {account_id: acct, month: period, status: state}\n"
        "derive: {months_past_due: 'dpd / 30'}\n"
        "values: {account_id: {A-1: A1}}\n"
        "statuses: {current: [open], closed: [gone]}\n"
    )
    mapping = read_performance_mapping(tmp_path / "perf.yaml")
    panel, accounts = read_performance_csv(tmp_path / "perf.csv", mapping)
    assert accounts["account_id"].tolist() == ["A1", "B-2"]
    assert panel["mpd"].tolist()[:3] == [0, 1, 2]
    assert panel["bucket"].tolist() == ["current", "1", "2", "current", "closed"]
    (tmp_path / "perf.csv").write_text("acct;period;dpd;state\nA-1;2024-01;-30;open\n")
    with pytest.raises(DataError, match="column 'derive: months_past_due': negative"):
        read_performance_csv(tmp_path / "perf.csv", mapping)
