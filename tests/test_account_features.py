"""Features of a delinquency panel's accounts: registered for the ``accounts`` table with labels
and reported units, computed per account-month, and never run on loans."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from overdue.features.accounts import account_features
from overdue.features.registry import (
    REGISTRY,
    feature,
    feature_dictionary,
    features_of,
    names_in,
)
from overdue.models.labels import label_terms

ACCOUNT_FEATURES = [
    "log_credit_line",
    "utilisation",
    "payment_ratio",
    "months_delinquent",
    "worst_mpd",
    "bucket",
    "utilisation_band",
    "credit_line_band",
    "age",
    "education",
    "sex",
    "marital_status",
]


def test_account_features_are_registered_for_their_table_only():
    assert [f.name for f in features_of("accounts")] == ACCOUNT_FEATURES
    loans = {f.name for f in features_of("loans")}
    assert loans.isdisjoint(ACCOUNT_FEATURES)
    assert set(feature_dictionary().index).isdisjoint(ACCOUNT_FEATURES)
    assert list(feature_dictionary("accounts").index) == ACCOUNT_FEATURES
    assert names_in("control", "accounts") == ["sex", "marital_status"]
    assert names_in("control") == []  # no loan feature is a control


def test_an_unknown_table_is_refused():
    with pytest.raises(ValueError, match="unknown feature table 'panel'"):
        feature("credit", "x", ["a"], label="A", table="panel")
    with pytest.raises(ValueError, match="unknown feature table"):
        features_of("nowhere")


def test_a_feature_registered_for_accounts_never_runs_on_loans(processed_dir):
    from overdue.features.build import compute_features, make_context

    loans = pd.read_parquet(processed_dir / "loans.parquet").head(200)
    macro = pd.read_parquet(processed_dir / "macro.parquet")
    calls = []

    @feature("credit", "x", ["balance"], label="Probe", per="per unit", table="accounts")
    def probe_account_feature(frame, context):
        """A probe that records being called."""
        calls.append(len(frame))
        return frame["balance"]

    try:
        features = compute_features(loans, make_context(loans, macro))
    finally:
        REGISTRY.pop("probe_account_feature")
    assert calls == [] and "probe_account_feature" not in features.columns
    assert not set(ACCOUNT_FEATURES) & set(features.columns)


def test_labels_and_units_read_from_the_registry():
    dictionary = feature_dictionary("accounts")
    assert dictionary.loc["log_credit_line", "scale"] == pytest.approx(math.log(2), abs=0)
    assert dictionary.loc[["utilisation", "payment_ratio", "age"], "scale"].tolist() == [
        0.1,
        0.1,
        10,
    ]
    assert set(dictionary.loc[["sex", "marital_status"], "family"]) == {"control"}
    labels = label_terms(
        ["utilisation", "log_credit_line", "C(education)[T.university]", "C(sex)[T.male]"],
        data={"education": ["graduate school", "university"], "sex": ["female", "male"]},
    )
    assert labels["utilisation"].label == "Utilisation, per 10 percentage points"
    assert labels["log_credit_line"].label == "Credit line, per doubling"
    assert (
        labels["C(education)[T.university]"].label == "Education: university (vs graduate school)"
    )
    assert labels["C(sex)[T.male]"].label.startswith("Sex (control): male")


def test_the_bucket_reads_as_a_credit_feature():
    from overdue.models.scorecard import feature_family, feature_label

    assert feature_dictionary("accounts").loc["bucket", "family"] == "credit"
    assert (feature_family("bucket"), feature_label("bucket")) == ("credit", "Delinquency bucket")
    labels = label_terms(["C(bucket)[T.2]"], data={"bucket": ["current", "1", "2"]})
    assert labels["C(bucket)[T.2]"].label == (  # patsy sorts the levels: "1" is the reference
        "Delinquency bucket: 2 months past due (vs 1 month past due)"
    )
    features = account_features(
        _panel([0, 2, 0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]), pd.DataFrame({"account_id": ["a"]})
    )
    assert features["bucket"].tolist() == ["current", "2", "current"]


def _panel(mpd, balance, payment, line=1000.0, account="a"):
    months = pd.date_range("2005-04-01", periods=len(mpd), freq="MS")
    return pd.DataFrame(
        {
            "account_id": account,
            "month": months,
            "mpd": pd.array(mpd, dtype="Int64"),
            "bucket": ["current" if m == 0 else str(min(m, 3)) for m in mpd],
            "balance": balance,
            "payment": payment,
            "credit_line": line,
        }
    )


def test_features_by_hand_with_a_short_history():
    panel = pd.concat(
        [
            _panel([0, 1, 2, 0, 0], [100.0, -50.0, 2000.0, 400.0, 0.0], [0, 0, 10, 500, 0]),
            _panel([3, 0], [900.0, 0.0], [0, 900], line=2000.0, account="b"),
        ]
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "age": [41.0, np.nan],
            "education": [4, 0],
            "sex": [2, 1],
            "marriage": [3, 1],
            "default_next_month": [0, 1],
        }
    )
    features = account_features(panel, accounts, history_months=2)
    a = features[features["account_id"] == "a"]
    assert a["utilisation"].tolist() == [0.1, 0.0, 2.0, 0.4, 0.0]  # a credit balance counts as 0
    # paid / last month's bill, capped at 1; nothing billed (-50) counts as paid in full.
    assert a["payment_ratio"].tolist()[1:] == [0.0, 1.0, 0.25, 0.0]
    assert np.isnan(a["payment_ratio"].iloc[0])
    assert a["months_delinquent"].tolist() == [0, 1, 2, 1, 0]  # last 2 months
    assert a["worst_mpd"].tolist() == [0, 1, 2, 2, 0]
    b = features[features["account_id"] == "b"]
    assert b["months_delinquent"].tolist() == [1, 1]  # the history does not leak across accounts
    assert set(a["education"]) == {"other"} and set(b["education"]) == {"other"}
    assert set(a["marital_status"]) == {"other"} and set(b["marital_status"]) == {"married"}
    assert b["log_credit_line"].iloc[0] == pytest.approx(math.log(2000))
    assert b["default_next_month"].tolist() == [1, 1] and "marriage" not in features.columns


def test_a_panel_without_attributes_gets_the_features_it_can_have():
    panel = _panel([0, 1], [10.0, 20.0], [0.0, 5.0])
    features = account_features(panel, pd.DataFrame({"account_id": ["a"]}))
    assert "age" not in features.columns and "education" not in features.columns
    assert features["utilisation"].tolist() == [0.01, 0.02]


def test_taiwan_features(raw_dir):
    from overdue.data.taiwan import read_taiwan

    panel, accounts = read_taiwan(raw_dir / "taiwan" / "UCI_Credit_Card.csv")
    features = account_features(panel, accounts)
    assert len(features) == 180_000
    # The bucket is an identity column too: it keeps its place among them.
    assert list(features.columns[:4]) == ["account_id", "month", "bucket", "mpd"]
    assert list(features.columns[4:15]) == [f for f in ACCOUNT_FEATURES if f != "bucket"]
    bands = features.loc[features["month"] == "2005-09-01", "credit_line_band"].value_counts()
    assert bands.between(6_000, 9_000).all()  # near quartiles
    september = features[features["month"] == "2005-09-01"].set_index("account_id")
    # ID 1: September balance 3,913 of a 20,000 line; paid 0 of August's 3,102; 2 months
    # delinquent (August and September, status 2) in six.
    assert september.loc["1", "utilisation"] == pytest.approx(3913 / 20000)
    assert september.loc["1", "payment_ratio"] == 0.0
    assert september.loc["1", ["months_delinquent", "worst_mpd"]].tolist() == [2, 2]
    assert features["payment_ratio"].isna().sum() == 30_000  # April has no bill before it
    assert (features.loc[features["month"] > "2005-04-01", "payment_ratio"].between(0, 1)).all()
    assert september["education"].value_counts()["other"] == 468
    assert september["months_delinquent"].max() == 6
    assert int(september["default_next_month"].sum()) == 6_636
