"""Write fixture.csv: a seeded loan-like competing-risks sample for the R reference values.

Two thousand loans with a three-level purpose group, FICO and DTI. Default (cause 1) follows a
Fine–Gray model, prepayment (cause 2) an exponential hazard; times are rounded up to whole
months, so there are many ties, and loans are censored at their term (36 or 60 months) or at a
random snapshot month. Run from anywhere: ``python make_fixture.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240611
N_LOANS = 2000
HERE = Path(__file__).resolve().parent


def simulate(n: int, seed: int) -> pd.DataFrame:
    """Loans whose default incidence is ``1 - (1 - p (1 - exp(-t)))^exp(x'b)`` (Fine & Gray)."""
    rng = np.random.default_rng(seed)
    purpose_group = rng.choice(
        ["consumption", "refinancing", "business"], size=n, p=[0.25, 0.6, 0.15]
    )
    fico = rng.choice(np.arange(662, 823, 5), size=n)
    dti = np.round(rng.uniform(0, 30, size=n), 2)
    term = rng.choice([36, 60], size=n, p=[0.7, 0.3])
    fico_z = (fico - 720) / 40
    lin_default = (
        0.5 * (purpose_group == "business")
        - 0.2 * (purpose_group == "consumption")
        - 0.6 * fico_z
        + 0.03 * (dti - 15)
    )
    lin_prepay = 0.3 * fico_z - 0.2 * (purpose_group == "business")
    p_default = 0.25
    u = rng.uniform(size=n)
    ever_default = 1 - (1 - p_default) ** np.exp(lin_default)
    is_default = u < ever_default
    # Inverse of the cause-1 subdistribution, in years, on the default branch.
    with np.errstate(invalid="ignore", divide="ignore"):
        years_default = -np.log(1 - (1 - (1 - u) ** np.exp(-lin_default)) / p_default)
    years_prepay = rng.exponential(1 / (0.35 * np.exp(lin_prepay)))
    years = np.where(is_default, years_default, years_prepay)
    months = np.maximum(1, np.ceil(years * 12)).astype(int)
    snapshot = rng.integers(6, 61, size=n)
    horizon = np.minimum(term, snapshot)
    event = np.where(months <= horizon, np.where(is_default, 1, 2), 0)
    time = np.minimum(months, horizon)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "time": time,
            "event": event,
            "purpose_group": purpose_group,
            "fico": fico,
            "dti": dti,
            "term": term,
        }
    )


if __name__ == "__main__":
    simulate(N_LOANS, SEED).to_csv(HERE / "fixture.csv", index=False)
