"""The result object every estimator in :mod:`overdue.models` returns.

One shape for all fits (logit, Cox, Fine–Gray, discrete-time hazard) so that notebooks, plots and
reports treat them alike: a tidy ``summary`` table plus what was fitted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

SUMMARY_COLUMNS = ["estimate", "se", "ci_lower", "ci_upper", "z", "p", "exp_estimate",
                   "exp_ci_lower", "exp_ci_upper"]


def tidy_summary(terms, estimate, se, alpha: float = 0.05) -> pd.DataFrame:
    """Build the tidy coefficient table from estimates and standard errors (Wald, normal).

    Parameters
    ----------
    terms : sequence of str
        Term names, used as the index (named ``term``).
    estimate, se : array-like
        Coefficients and their standard errors.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, ci_lower, ci_upper, z, p, exp_estimate, exp_ci_lower,
        exp_ci_upper`` (the exponentiated columns are odds or hazard ratios).

    Examples
    --------
    >>> tidy_summary(["x"], [0.5], [0.1]).round(3).loc["x", ["estimate", "p", "exp_estimate"]].tolist()
    [0.5, 0.0, 1.649]
    """
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    q = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = estimate / se
    table = pd.DataFrame(
        {
            "estimate": estimate,
            "se": se,
            "ci_lower": estimate - q * se,
            "ci_upper": estimate + q * se,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
        },
        index=pd.Index(list(terms), name="term"),
    )
    # Estimates of a separated or diverged fit overflow exp(); inf is the honest ratio there.
    with np.errstate(over="ignore"):
        for column in ["estimate", "ci_lower", "ci_upper"]:
            exp_column = f"exp_{column}" if column != "estimate" else "exp_estimate"
            table[exp_column] = np.exp(table[column])
    return table[SUMMARY_COLUMNS]


@dataclass
class FitResult:
    """What a fit returns: the tidy table and what was fitted.

    Attributes
    ----------
    model : str
        Kind of model, e.g. ``"logit"``, ``"cox"``, ``"fine_gray"``, ``"hazard_cloglog"``.
    summary : pandas.DataFrame
        Tidy coefficient table (see :func:`tidy_summary`), indexed by term.
    n : int
        Observations used (loans; loan-months for panel models).
    events : int or None
        Number of events (defaults), where the model has events.
    converged : bool
        Whether the optimiser converged.
    formula : str or None
        The formula or specification name fitted.
    loglik : float
        Log-(partial-)likelihood at the estimate.
    warnings : list of str
        Problems the reader must see (non-convergence, separation, clusters too few …).
    extra : dict
        Model-specific extras (covariance matrix, baseline hazard, fitted model object …).

    Examples
    --------
    >>> r = FitResult("logit", tidy_summary(["x"], [0.5], [0.1]), n=100, events=10, converged=True)
    >>> r.params.tolist()
    [0.5]
    """

    model: str
    summary: pd.DataFrame
    n: int
    events: int | None
    converged: bool
    formula: str | None = None
    loglik: float = float("nan")
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> pd.Series:
        """Coefficient estimates indexed by term."""
        return self.summary["estimate"]

    @property
    def ok(self) -> bool:
        """True when the fit converged and raised no warnings."""
        return self.converged and not self.warnings

    def __repr__(self) -> str:
        status = "converged" if self.converged else "NOT CONVERGED"
        head = f"<{self.model} fit: n={self.n}, events={self.events}, {status}"
        if self.warnings:
            head += f", warnings: {'; '.join(self.warnings)}"
        return head + ">"
