"""Side-by-side model tables (overdue.tables) and their export (RunOutput.save_model_table)."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from overdue.models import fit_cox, fit_logit
from overdue.models.labels import has_formula_syntax
from overdue.report import RunOutput
from overdue.tables import STARS, model_table, nested_names


@pytest.fixture(scope="module")
def loans():
    rng = np.random.default_rng(11)
    n = 1500
    frame = pd.DataFrame(
        {
            "fico": rng.normal(710, 36, n),
            "dti": rng.uniform(0, 30, n),
            "purpose_group": rng.choice(["refinancing", "consumption", "business"], n),
            "issue_year": rng.choice([2008, 2009, 2010], n),
            "addr_state": rng.choice(list("ABCDEFGHIJKLMNOPQRST"), n),
            "time": rng.integers(1, 37, n),
        }
    )
    eta = -1.8 - 0.02 * (frame["fico"] - 710) + 0.8 * (frame["purpose_group"] == "business")
    frame["defaulted"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return frame


@pytest.fixture(scope="module")
def fits(loans):
    credit = fit_logit(loans, "fico + dti", cluster="addr_state")
    full = fit_logit(
        loans, "fico + dti + C(purpose_group, Treatment('refinancing')) + C(issue_year)"
    )
    cox = fit_cox(loans, "fico + C(purpose_group, Treatment('refinancing'))", duration="time")
    return {"Credit": credit, "+ Purpose": full, "Cox": cox}


def test_cells_are_the_ratios_in_reported_units_with_marks_and_intervals(fits, loans):
    table = model_table(fits, data=loans, oot_auc={"Credit": 0.61})
    frame = table.frame()
    assert list(frame.columns) == ["group", "label", "Credit", "+ Purpose", "Cox", "term_formula"]
    fico = frame.set_index("term_formula").loc["fico"]
    numbers = table.numbers["Credit"].loc["fico"]
    marks = "".join(m for t, m in STARS if numbers["p"] < t)[-3:]
    assert fico["label"] == "FICO score, per 50 points"
    assert fico["Credit"] == (
        f"{numbers['exp_estimate']:.2f}{marks} "
        f"[{numbers['exp_ci_lower']:.2f}, {numbers['exp_ci_upper']:.2f}]"
    )
    assert numbers["exp_estimate"] == pytest.approx(
        np.exp(50 * fits["Credit"].summary.loc["fico", "estimate"]), rel=1e-12
    )
    # A term a model does not have is an empty cell; the constant is not shown.
    business = frame.set_index("term_formula").loc[
        "C(purpose_group, Treatment('refinancing'))[T.business]"
    ]
    assert business["Credit"] == "" and business["Cox"] != ""
    assert "Intercept" not in set(frame["term_formula"])
    assert not frame["label"].map(has_formula_syntax).any()
    assert "Vintage: 2010 (vs 2008)" in set(frame["label"])
    # Rows grouped by family, in the order the specifications write them.
    body = frame[frame["term_formula"] != ""]
    assert body["group"].tolist()[:2] == ["Credit risk", "Credit risk"]
    assert body["label"].tolist()[:2] == [
        "FICO score, per 50 points",
        "Debt-to-income, per 10 points",
    ]


def test_footer_has_the_statistics_each_model_has(fits, loans):
    table = model_table(fits, data=loans, oot_auc={"Credit": 0.61})
    footer = table.footer.set_index("label")
    assert list(footer.index) == [
        "Observations",
        "Events",
        "Clusters",
        "Errors clustered by",
        "Log-likelihood",
        "AIC",
        "Pseudo-R² (McFadden)",
        "Concordance (Harrell's C)",
        "Out-of-time AUC",
    ]
    assert footer.loc["Observations", "Credit"] == f"{fits['Credit'].n:,}"
    assert footer.loc["Clusters", "Credit"] == "20" and footer.loc["Clusters", "Cox"] == ""
    assert footer.loc["Errors clustered by", "Credit"] == "state"
    assert footer.loc["Pseudo-R² (McFadden)", "Cox"] == ""
    assert footer.loc["Concordance (Harrell's C)", "Cox"] == (
        f"{fits['Cox'].extra['concordance']:.3f}"
    )
    assert footer.loc["Out-of-time AUC", "Credit"] == "0.610"
    assert footer.loc["AIC", "+ Purpose"] == f"{fits['+ Purpose'].aic:,.1f}"
    assert table.quantities == {
        "Credit": "odds ratio",
        "+ Purpose": "odds ratio",
        "Cox": "hazard ratio",
    }


def test_standard_errors_and_coefficients_instead(fits, loans):
    table = model_table(fits, data=loans, exponentiate=False, interval="se")
    row = table.rows.set_index("term_formula").loc["dti"]
    se = table.numbers["Credit"].loc["dti", "se"]
    assert row["Credit interval"] == f"({se:.2f})"
    assert set(table.quantities.values()) == {"coefficient"}
    with pytest.raises(ValueError, match="interval"):
        model_table(fits, interval="sd")


def test_html_and_latex_show_labels_only(fits, loans):
    table = model_table(fits, data=loans, table_id="t1")
    html = table.to_html()
    assert 'id="t1"' in html and "FICO score, per 50 points" in html
    assert not has_formula_syntax(html)
    assert html == model_table(fits, data=loans, table_id="t1")._repr_html_()
    latex = table.to_latex()
    assert not has_formula_syntax(latex)
    for rule in ("\\toprule", "\\midrule", "\\bottomrule", "\\cmidrule"):
        assert rule in latex
    spec = latex.split("\\begin{longtable}")[1].split("\n")[0]
    assert "|" not in spec  # no vertical rules
    assert spec.count("p{") == 4  # the label and each model a paragraph column: long text wraps
    assert "\\fontsize{9.0pt}" in latex
    # Every body line has one cell per column: the label and three models.
    lines = [line for line in latex.splitlines() if line.endswith("\\\\") and "&" in line]
    assert lines and all(
        len(re.findall(r"(?<!\\)&", line)) == 3 for line in lines if "multicolumn" not in line
    )
    assert "Odds ratio" in latex and "Hazard ratio" in latex


def test_save_model_table_writes_csv_and_tex_byte_for_byte(fits, loans, tmp_path):
    written = []
    for run in ("a", "b"):
        out = RunOutput(tmp_path / run, "03_logit")
        paths = out.save_model_table(model_table(fits, data=loans), "nested_logit")
        written.append({kind: path.read_bytes() for kind, path in paths.items()})
        assert paths["csv"].name == "03_logit_nested_logit.csv"
        assert paths["tex"].name == "03_logit_nested_logit.tex"
    assert written[0] == written[1]
    csv = pd.read_csv(
        tmp_path / "a" / "tables" / "03_logit_nested_logit.csv", keep_default_na=False
    )
    assert not csv["label"].map(has_formula_syntax).any()
    assert csv["term_formula"].map(has_formula_syntax).any()  # kept for machines, named so
    assert csv["label"].iloc[-1] == "Concordance (Harrell's C)"


def test_a_quantity_may_head_two_runs_of_columns(fits, loans):
    from overdue.models.result import FitResult

    fine_gray = FitResult(
        "fine_gray", fits["Cox"].summary, n=9, events=3, converged=True, alpha=0.05
    )
    table = model_table({"Cox": fits["Cox"], "Fine–Gray": fine_gray, "Cox again": fits["Cox"]})
    latex = table.to_latex()
    assert latex.count("Hazard ratio") == 2 and "Subdistribution hazard ratio" in latex
    assert "Fine–Gray" in table.to_html()


def test_nested_names():
    assert nested_names(["credit", "credit+purpose", "other"]) == {
        "credit": "Credit",
        "credit+purpose": "+ Purpose",
        "other": "Other",
    }


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_latex_compiles_without_overfull_boxes(fits, loans, tmp_path):
    table = model_table(fits, data=loans, oot_auc={"Credit": 0.61})
    (tmp_path / "table.tex").write_text(table.to_latex(), encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[a4paper,margin=2.5cm]{geometry}\n"
        "\\usepackage{booktabs,longtable,array}\n\\begin{document}\n"
        "\\input{table.tex}\n\\end{document}\n"
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert "Overfull" not in run.stdout
