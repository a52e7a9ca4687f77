"""The dynamics page (notebooks/07_dynamics) through the runner: on the Taiwan panel it publishes
the transition matrix, rates, the point of no return, the Markov check and the covariate
effects; on the LendingClub loans (no panel) it shows the one cure signal and stops, once."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, make_root

NOTEBOOK = ROOT / "notebooks" / "07_dynamics.ipynb"


def _run(tmp_path, parameters: dict):
    from overdue.pipeline import run_report

    root = make_root(tmp_path, [NOTEBOOK])
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"notebooks": ["07_dynamics"], "parameters": parameters}))
    run_dir = run_report(config, root=root, echo=lambda *_: None, max_workers=1)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    numbers = json.loads((run_dir / "numbers" / "07_dynamics.json").read_text())
    return run_dir, manifest, numbers


@pytest.mark.smoke
def test_the_taiwan_panel_gets_the_whole_page(raw_dir, tmp_path):
    from overdue.build.tables import build_delinquency

    data = tmp_path / "taiwan"
    build_delinquency(raw_dir, data)
    run_dir, manifest, numbers = _run(
        tmp_path, {"data_dir": str(data), "sample_frac": 0.25, "bootstrap": 20}
    )
    assert manifest["notebooks"]["07_dynamics"]["status"] == "ok"
    assert numbers["panel"]["accounts"] == 7_500 and numbers["panel"]["account_months"] == 45_000
    matrix = numbers["transition_matrix"]
    assert set(matrix) == {"current", "1", "2", "3+"}
    assert matrix["current"]["current"] == pytest.approx(0.939, abs=0.01)
    assert numbers["default_next_month_by_bucket"]["2"] == pytest.approx(0.69, abs=0.04)
    assert numbers["markov_check"]["p"] < 0.05
    assert numbers["eventual_default"].startswith("not defined")
    figures = {p.name for p in (run_dir / "figures").glob("*.png")}
    assert {
        "07_dynamics_transition_matrix.png",
        "07_dynamics_roll_cure_by_factor.png",
        "07_dynamics_point_of_no_return.png",
        "07_dynamics_markov_check.png",
        "07_dynamics_cure_roll_effects.png",
    } <= figures
    effects = (run_dir / "tables" / "07_dynamics_marginal_effects_from_2.csv").read_text()
    assert "Utilisation, per 10 percentage points" in effects and "C(" not in effects.split(",")[2]
    assert numbers["headline"][0].startswith("Of accounts 2 months past due in 2005-09")
    first = numbers["first_overdue"]
    assert first["left_censored"] + first["at_risk"] == 7_500 and first["events"] > 1_000
    assert first["dropped_incomplete"]["1"] == first["at_risk"]  # no payment ratio in April
    line = numbers["first_overdue_hazard_ratios"]["log_credit_line"]
    assert line["label"] == "Credit line, per doubling" and line["exp_ci_upper"] < 1
    assert "07_dynamics_forest_first_overdue.png" in figures
    hazard = (run_dir / "tables" / "07_dynamics_first_overdue_hazard.csv").read_text()
    assert "Month: September 2005 (vs June 2005)" in hazard


@pytest.mark.smoke
def test_a_loan_file_without_a_panel_shows_its_cure_signal_and_stops_once(processed_dir, tmp_path):
    run_dir, manifest, numbers = _run(tmp_path, {"data_dir": str(processed_dir)})
    page = manifest["notebooks"]["07_dynamics"]
    assert manifest["status"] == "ok" and page["status"] == "stopped"
    assert "1,375 of the 2,390 loans that paid a late fee were then fully paid" in page["reason"]
    assert numbers["late_fee_cures"]["paid a late fee"]["fully_paid"] == 1_375
    assert numbers["headline"] == [page["reason"]]
    assert (run_dir / "tables" / "07_dynamics_late_fee_cures.csv").is_file()
