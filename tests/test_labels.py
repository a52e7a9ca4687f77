"""Labels and reported units of coefficients (overdue.models.labels, the feature registry):
every term of the specifications reads without formula syntax, and rescaling is exact."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import patsy
import pytest

from overdue.features import feature_dictionary
from overdue.features.registry import FORMULA_MARKS, REGISTRY, describe
from overdue.models import fit_cox, fit_discrete_hazard, fit_logit
from overdue.models.labels import has_formula_syntax, label_terms, labelled, labelled_summary
from overdue.models.specs import FAMILIES, HAZARD_TERMS, rhs


def loans_like(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Loans with every column the default specifications use, all levels present."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "fico": rng.normal(710, 36, n).round(),
            "dti": rng.uniform(0, 30, n),
            "log_income": np.log(rng.lognormal(11, 0.5, n)),
            "revol_util": rng.uniform(0, 1, n),
            "inq_last_6mths": rng.poisson(1, n),
            "delinq_2yrs": rng.poisson(0.2, n),
            "pub_rec": rng.poisson(0.1, n),
            "credit_history_years": rng.uniform(2, 30, n),
            "open_acc": rng.poisson(9, n),
            "emp_years": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 11, n)),
            "home_ownership": rng.choice(["RENT", "MORTGAGE", "OWN", "OTHER"], n),
            "purpose_group": rng.choice(["refinancing", "consumption", "business"], n),
            "term": rng.choice([36, 60], n),
            "loan_to_income": rng.uniform(0.02, 0.5, n),
            "state_unemp": rng.uniform(4, 12, n),
            "state_unemp_change_12m": rng.normal(0, 1, n),
            "gdp_growth_yoy": rng.normal(1, 2, n),
            "term_spread": rng.uniform(0, 3, n),
            "meets_policy": (rng.random(n) < 0.9).astype(int),
            "income_verified": (rng.random(n) < 0.6).astype(int),
            "grade_gap": rng.integers(-2, 3, n).astype(float),
            "issue_year": rng.choice([2007, 2008, 2009, 2010, 2011], n),
            "state_unemp_tv": rng.uniform(4, 12, n),
        }
    )
    frame["emp_missing"] = frame["emp_years"].isna().astype(int)
    eta = -2 - 0.02 * (frame["fico"] - 710) + 0.03 * frame["dti"] - 0.3 * frame["log_income"] + 3.3
    frame["defaulted"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    frame["time"] = rng.integers(1, 37, n)
    return frame


def coefficient_names(frame: pd.DataFrame, right_hand_side: str) -> list[str]:
    return list(patsy.dmatrix(right_hand_side, frame, return_type="dataframe").columns)


def test_every_term_of_the_default_specs_reads_without_formula_syntax():
    frame = loans_like()
    names = coefficient_names(frame, rhs())
    # the intercept, one coefficient a term, and the second purpose and three more vintage dummies
    assert len(names) == 1 + sum(len(t) for t in FAMILIES.values()) + 1 + 3
    labels = label_terms(names, frame)
    for name, label in labels.items():
        assert not has_formula_syntax(label.label), (name, label.label)
        assert label.label and label.label[0].isupper(), (name, label.label)
    assert len({label.label for label in labels.values()}) == len(names)  # no two alike
    read = {name: label.label for name, label in labels.items()}
    assert read["C(purpose_group, Treatment('refinancing'))[T.business]"] == (
        "Purpose: business (vs refinancing)"
    )
    assert read["C(issue_year)[T.2009]"] == "Vintage: 2009 (vs 2007)"
    assert read["C(term)[T.60]"] == "Term: 60 months (vs 36 months)"
    assert read["I(emp_years.fillna(0))"] == "Employment length, per year"
    assert read["I(home_ownership == 'RENT')[T.True]"] == (
        "Home ownership: renting (vs mortgage, owning or other)"
    )
    assert read["fico"] == "FICO score, per 50 points"
    assert read["log_income"] == "Annual income, per doubling"
    assert read["revol_util"] == "Revolving utilisation, per 10 percentage points"
    assert read["dti"] == "Debt-to-income, per 10 points"
    assert read["state_unemp"] == "State unemployment at issue, per percentage point"
    assert read["loan_to_income"] == "Loan-to-income, per 0.1"
    assert read["Intercept"] == "Constant"


def test_every_hazard_term_and_the_baseline_read_without_formula_syntax():
    frame = loans_like(300)
    rows = frame.loc[frame.index.repeat(3)].reset_index(names="id")
    rows["month_on_book"] = rows.groupby("id").cumcount() * 12 + 12
    rows["event_default"] = (
        (rows.groupby("id").cumcount() == 2) & (rows["defaulted"] == 1)
    ).astype(int)
    fit = fit_discrete_hazard(
        rows, " + ".join(HAZARD_TERMS), baseline_form="bands", band_months=12
    )
    labels = label_terms(fit.summary.index, rows)
    for name, label in labels.items():
        assert not has_formula_syntax(label.label), (name, label.label)
    assert labels["baseline[13-24]"].label == "Months on book 13–24 (vs 1–12)"
    assert labels["baseline[25-36]"].label == "Months on book 25–36 (vs 1–12)"
    assert labels["state_unemp_tv"].label == "State unemployment that month, per percentage point"


def test_the_feature_dictionary_shows_label_and_reported_unit_of_every_feature():
    dictionary = feature_dictionary()
    assert dictionary["label"].str.len().gt(2).all()
    assert not dictionary["label"].map(has_formula_syntax).any()
    assert dictionary["reported_per"].notna().all() and (dictionary["scale"] > 0).all()
    numeric = [
        f for f in REGISTRY.values() if f.unit not in {"category", "0/1", "code", "quarter"}
    ]
    assert all(f.per for f in numeric), [f.name for f in numeric if not f.per]
    assert dictionary.loc["log_income", "scale"] == pytest.approx(math.log(2), abs=0)
    assert dictionary.loc[["fico", "dti", "revol_util"], "scale"].tolist() == [50, 10, 0.1]


@pytest.mark.parametrize("mark", FORMULA_MARKS)
def test_a_label_with_formula_syntax_is_refused(mark):
    from overdue.features.registry import Variable

    with pytest.raises(ValueError, match="readable"):
        Variable(name="x", family="credit", unit="u", label=f"bad {mark}x")


def test_unknown_columns_and_other_forms_fall_back_to_readable_text():
    names = [
        "some_col",
        "C(color, Treatment(reference='red'))[T.blue]",
        "C(color, levels=['green', 'red', 'blue'])[T.red]",
        "C(purpose_group)[T.business]:fico",
        "I(fico > 700)[T.True]",
        "I(fico ** 2)",
        "np.log(loan_amnt)",
        "flag[T.True]",
        "income_verified[T.True]",
        "C(color, Sum)[S.blue]",
    ]
    read = {name: label.label for name, label in label_terms(names).items()}
    assert read == {
        "some_col": "Some col, per unit",
        "C(color, Treatment(reference='red'))[T.blue]": "Color: blue (vs red)",
        "C(color, levels=['green', 'red', 'blue'])[T.red]": "Color: red (vs green)",
        "C(purpose_group)[T.business]:fico": (
            "Purpose: business (vs the reference level) × FICO score, per 50 points"
        ),
        "I(fico > 700)[T.True]": "FICO score above 700 (vs 700 or below)",
        "I(fico ** 2)": "FICO score ^ 2, per unit",
        "np.log(loan_amnt)": "Log of loan amount, per unit",
        "flag[T.True]": "Flag: True (vs the reference level)",
        "income_verified[T.True]": "Income verified (vs not verified)",
        "C(color, Sum)[S.blue]": "Color: blue",
    }
    assert not any(has_formula_syntax(text) for text in read.values())
    assert (
        label_terms(["C(purpose_group)[T.business]:fico"])[
            "C(purpose_group)[T.business]:fico"
        ].scale
        == 50
    )


def test_rescaling_is_exact_and_equals_a_refit_on_the_rescaled_columns():
    frame = loans_like(2000, seed=3)
    terms = "fico + dti + log_income + revol_util + C(purpose_group, Treatment('refinancing'))"
    fit = fit_logit(frame, terms)
    table = labelled_summary(fit, frame)
    for name in fit.summary.index:
        scale = describe(name).scale if describe(name) else 1.0
        for column in ["estimate", "se", "ci_lower", "ci_upper"]:
            assert table.loc[name, column] == fit.summary.loc[name, column] * scale
        assert table.loc[name, "exp_estimate"] == np.exp(table.loc[name, "estimate"])
        assert table.loc[name, "exp_ci_upper"] == np.exp(table.loc[name, "ci_upper"])
        assert table.loc[name, "z"] == fit.summary.loc[name, "z"]
        assert table.loc[name, "p"] == fit.summary.loc[name, "p"]
    assert table.attrs == {
        "ratio_name": "odds ratio",
        "alpha": 0.05,
        "model": "logit",
        "formula": terms,
    }
    # The same model on the columns in the reported units: fico / 50, log2 income, utilisation
    # in tens of percentage points, DTI in tens of points.
    rescaled = frame.assign(
        fico_50=frame["fico"] / 50,
        dti_10=frame["dti"] / 10,
        log2_income=frame["log_income"] / math.log(2),
        util_10pp=frame["revol_util"] / 0.1,
    )
    refit = fit_logit(
        rescaled,
        "fico_50 + dti_10 + log2_income + util_10pp + C(purpose_group, Treatment('refinancing'))",
    )
    pairs = {
        "fico": "fico_50",
        "dti": "dti_10",
        "log_income": "log2_income",
        "revol_util": "util_10pp",
    }
    for name, refit_name in pairs.items():
        for column in ["estimate", "se"]:
            assert table.loc[name, column] == pytest.approx(
                refit.summary.loc[refit_name, column], abs=1e-8
            )


def test_rescaling_a_cox_fit_equals_a_refit():
    frame = loans_like(1500, seed=5)
    fit = fit_cox(frame, "fico + revol_util", duration="time", event="defaulted")
    refit = fit_cox(
        frame.assign(f=frame["fico"] / 50, u=frame["revol_util"] / 0.1),
        "f + u",
        duration="time",
        event="defaulted",
    )
    table = labelled_summary(fit)
    assert table.loc["fico", "estimate"] == pytest.approx(
        refit.summary.loc["f", "estimate"], abs=1e-8
    )
    assert table.loc["fico", "se"] == pytest.approx(refit.summary.loc["f", "se"], abs=1e-8)
    assert table.loc["revol_util", "se"] == pytest.approx(refit.summary.loc["u", "se"], abs=1e-8)
    assert table.attrs["ratio_name"] == "hazard ratio"


def test_labelled_tables_keep_the_formula_in_its_own_column():
    table = labelled(pd.DataFrame({"ame": [0.001]}, index=["fico"]), ["ame"])
    assert table.index.name == "term_formula"
    assert list(table.columns[:3]) == ["label", "per", "scale"]
    assert table.loc["fico", "ame"] == pytest.approx(0.05)


def test_formula_terms_and_the_global_test_row_read_too():
    read = {
        name: label.label
        for name, label in label_terms(
            ["C(issue_year)", "C(purpose_group, Treatment('refinancing'))", "GLOBAL", "fico"]
        ).items()
    }
    assert read == {
        "C(issue_year)": "Vintage",
        "C(purpose_group, Treatment('refinancing'))": "Purpose",
        "GLOBAL": "All terms (global test)",
        "fico": "FICO score, per 50 points",
    }
