"""Write the fixtures of tests/test_transitions.py's R references, beside this script.

- ``panel.csv``: a simulated delinquency panel (:func:`overdue.synthetic.synthetic_delinquency`,
  600 accounts over 8 months, with absorbing default and closure): ``account_id, t`` (month
  index 0 … 7), ``bucket``.
- ``pairs.csv``: its one-month transitions out of buckets ``1`` and ``2`` with the covariates at
  the origin month (``account_id, from, move, utilisation, log_credit_line, age``), from 4,000
  accounts over 12 months (enough moves for the multinomial logits).

Seeded and deterministic. Run from the repository root:
``python tests/reference/transitions/make_fixture.py``, then
``Rscript tests/reference/transitions/make_reference.R``.
"""

from pathlib import Path

from overdue.features.accounts import account_features
from overdue.models.transitions import transition_pairs
from overdue.synthetic import DelinquencyDesign, synthetic_delinquency

HERE = Path(__file__).parent
PANEL_SEED, PAIRS_SEED = 20240701, 20240702


def main() -> None:
    small = synthetic_delinquency(600, seed=PANEL_SEED, design=DelinquencyDesign(months=8))
    panel = small.panel
    months = panel["month"].dt.year * 12 + panel["month"].dt.month
    panel = panel.assign(t=months - months.min())[["account_id", "t", "bucket"]]
    panel.to_csv(HERE / "panel.csv", index=False)

    sample = synthetic_delinquency(4000, seed=PAIRS_SEED)
    pairs = transition_pairs(account_features(sample.panel, sample.accounts))
    pairs = pairs[pairs["from"].isin(["1", "2"])]
    columns = ["account_id", "from", "move", "utilisation", "log_credit_line", "age"]
    pairs[columns].to_csv(HERE / "pairs.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
