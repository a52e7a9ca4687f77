"""Write fixture.csv: 2,000 simulated loans with monthly durations, for the survival tests.

Seeded and deterministic. Defaults are drawn month by month from a discrete-time hazard, so
durations are whole months with heavy ties, as in LendingClub data. Columns: ``time``,
``defaulted`` (0/1), covariates ``fico``, ``dti``, ``purpose_group`` (three levels), a
stratum ``term`` (36/60, with its own baseline hazard), a cluster ``addr_state`` (30 states
sharing a gamma frailty, so cluster-robust SEs differ from naive ones) and non-integer case
``weight``. The DTI effect fades after the first year, so the PH test has something to find.

Run from the repository root: ``python tests/reference/survival/make_fixture.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

N_LOANS = 2000
SEED = 20240611


def simulate(n: int = N_LOANS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    states = [f"S{k:02d}" for k in range(30)]
    frailty = dict(zip(states, rng.gamma(shape=4.0, scale=0.25, size=len(states))))
    loans = pd.DataFrame(
        {
            "fico": 662 + 5 * rng.integers(0, 30, size=n),
            "dti": np.round(rng.uniform(0, 30, size=n), 2),
            "purpose_group": rng.choice(
                ["consumption", "refinancing", "business"], size=n, p=[0.25, 0.62, 0.13]
            ),
            "term": rng.choice([36, 60], size=n, p=[0.7, 0.3]),
            "addr_state": rng.choice(states, size=n),
            "weight": np.round(rng.uniform(0.5, 2.0, size=n), 3),
        }
    )
    purpose_effect = (
        loans["purpose_group"]
        .map({"consumption": 0.2, "refinancing": 0.0, "business": 0.6})
        .to_numpy()
    )
    base_lp = (
        -0.012 * (loans["fico"] - 700)
        + purpose_effect
        + np.log(loans["addr_state"].map(frailty).to_numpy())
    )
    follow_up = np.minimum(loans["term"].to_numpy(), rng.integers(12, 61, size=n))
    monthly_base = np.where(loans["term"] == 60, 0.012, 0.008)

    time = follow_up.copy()
    defaulted = np.zeros(n, dtype=int)
    active = np.ones(n, dtype=bool)
    for month in range(1, 61):
        dti_effect = np.where(month <= 12, 0.05, 0.01) * (loans["dti"].to_numpy() - 15)
        hazard = 1 - np.exp(-monthly_base * np.exp(base_lp + dti_effect))
        at_risk = active & (month <= follow_up)
        default_now = at_risk & (rng.uniform(size=n) < hazard)
        prepaid_now = at_risk & ~default_now & (rng.uniform(size=n) < 0.01)
        time[default_now | prepaid_now] = month
        defaulted[default_now] = 1
        active &= ~(default_now | prepaid_now)
    loans.insert(0, "defaulted", defaulted)
    loans.insert(0, "time", time)
    loans.insert(0, "id", np.arange(1, n + 1))
    return loans


if __name__ == "__main__":
    out = Path(__file__).with_name("fixture.csv")
    simulate().to_csv(out, index=False)
    print(f"wrote {out}")
