"""Recovery rates with known coefficients: the fixture of tests/test_impacts.py and of
make_reference.R. Run from the project root: `.venv/bin/python tests/reference/impacts/make_fixture.py`."""

from pathlib import Path

import numpy as np
import pandas as pd

TRUTH = {"Intercept": -1.6, "fico_z": 0.25, "term_60": -0.3, "unemp": -0.08}


def simulate(n: int = 2000, seed: int = 7) -> pd.DataFrame:
    """Rates whose mean is logistic in the covariates; a point mass at 0 (no recovery) and a
    continuous part, as recoveries look."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "fico_z": rng.normal(size=n),
            "term_60": (rng.random(n) < 0.3).astype(int),
            "unemp": rng.uniform(4, 11, n),
            "state": rng.choice([f"S{k:02d}" for k in range(45)], n),
        }
    )
    eta = (
        TRUTH["Intercept"]
        + TRUTH["fico_z"] * frame["fico_z"]
        + TRUTH["term_60"] * frame["term_60"]
        + TRUTH["unemp"] * frame["unemp"]
    )
    mean = 1 / (1 + np.exp(-eta))
    # A fifth recover nothing; the others a Beta rate (precision 6) of mean mean / 0.8, so that
    # the rate's mean given the covariates is exactly the logistic mean.
    positive = mean / 0.8
    draws = rng.beta(positive * 6, (1 - positive) * 6)
    frame["rate"] = np.where(rng.random(n) < 0.8, draws, 0.0)
    return frame


if __name__ == "__main__":
    simulate().to_csv(Path(__file__).with_name("fixture.csv"), index=False, float_format="%.12g")
