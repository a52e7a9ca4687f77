"""The two result shapes every function in :mod:`overdue.models` returns.

:class:`FitResult` is what an estimator returns (logit, Cox, cause-specific Cox, Fine–Gray, the
discrete-time hazard, the streamed GLM): a tidy coefficient table plus typed fields for what
every fit has — the covariance and its type, the interval level, the log-likelihoods, clusters,
iterations — and a printed summary. :class:`TestResult` is what a test returns (log-rank, Gray,
likelihood ratio, Wald, score, Hosmer–Lemeshow, DeLong). Both are frozen: a result is built
whole by its estimator and never edited afterwards.

Examples
--------
>>> fit = FitResult("logit", tidy_summary(["Intercept", "x"], [-2.0, 0.5], [0.2, 0.1]), n=100,
...                 events=10, converged=True, formula="x", outcome="defaulted", loglik=-30.0,
...                 loglik_null=-32.5, link="logit")
>>> fit.ratio_name, round(fit.aic, 1)
('odds ratio', 64.0)
>>> fit.conf_int(0.1).round(3).loc["x"].tolist()
[0.336, 0.664]
>>> print(chi2_test("likelihood-ratio", 5.0, 1))
likelihood-ratio test: statistic 5.000 on 1 df, p = 0.0253
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

SUMMARY_COLUMNS = [
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "z",
    "p",
    "exp_estimate",
    "exp_ci_lower",
    "exp_ci_upper",
]

#: What ``exp(estimate)`` is, by model kind and link.
_RATIO_NAMES = {
    "identity": "exp(coefficient)",  # a linear model's effects are its coefficients
    "logit": "odds ratio",
    "cloglog": "hazard ratio",
    "cox": "hazard ratio",
    "fine_gray": "subdistribution hazard ratio",
}


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


def _number(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return (
        f"{value:.{digits}g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:,.{digits}f}"
    )


def _html_rows(pairs) -> str:
    return "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
        for k, v in pairs
    )


@dataclass(frozen=True, repr=False, eq=False)
class FitResult:
    """What a fit returns: the tidy table, typed fields every fit has, and a printed summary.

    Attributes
    ----------
    model : str
        Kind of model: ``"logit"``, ``"cox"``, ``"cause_specific_cox"``, ``"fine_gray"``,
        ``"hazard_cloglog"``, ``"hazard_logit"``, ``"glm_logit"``, ``"glm_cloglog"``.
    summary : pandas.DataFrame
        Tidy coefficient table (see :func:`tidy_summary`), indexed by term.
    n : int
        Observations used (loans; loan-months for panel models).
    events : int or None
        Number of events (defaults), where the model has events.
    converged : bool
        Whether the optimiser converged.
    formula : str or None
        The right-hand side fitted (or a readable description of it).
    outcome : str or None
        The 0/1 outcome or event column (for competing risks: the event-code column).
    loglik, loglik_null : float
        Log-(partial- or pseudo-)likelihood at the estimate and of the model without covariates.
    cov : pandas.DataFrame or None
        Covariance of the estimates behind ``summary``'s standard errors.
    cov_type : str
        ``"nonrobust"`` (inverse information), ``"cluster"`` (cluster-robust sandwich) or
        ``"robust"`` (sandwich with every row its own cluster).
    cov_nonrobust : pandas.DataFrame or None
        The inverse information, whatever ``cov_type`` is.
    alpha : float
        1 - confidence level of the intervals in ``summary``.
    cluster : str or None
        Column the errors are clustered by.
    n_clusters : int or None
        Its number of distinct values.
    iterations : int or None
        Newton (or IRLS) iterations taken.
    step_halvings : int
        Steps halved because they lowered the likelihood.
    link : str or None
        ``"logit"`` or ``"cloglog"`` for binary GLMs; None for Cox-type models.
    ties : str or None
        Tie handling of Cox-type models (``"efron"``, ``"breslow"``).
    strata : tuple of str
        Stratification columns (Cox).
    cause : int or None
        The cause modelled, for competing-risks models.
    term_columns : mapping of str to list of str
        Formula term -> the coefficients it produced (a factor's dummies).
    warnings : tuple of str
        Problems the reader must see (non-convergence, separation, clusters too few …).
    extra : mapping
        Model-specific results a reader may use (e.g. ``pseudo_r2`` and ``vif`` of a logit,
        ``baseline_cumulative_hazard`` of a Cox fit, ``baseline_hazard`` of a hazard model).

    Examples
    --------
    >>> r = FitResult("logit", tidy_summary(["x"], [0.5], [0.1]), n=100, events=10, converged=True)
    >>> r.params.tolist(), r.ok
    ([0.5], True)
    """

    model: str
    summary: pd.DataFrame
    n: int
    events: int | None
    converged: bool
    formula: str | None = None
    outcome: str | None = None
    loglik: float = float("nan")
    loglik_null: float = float("nan")
    cov: pd.DataFrame | None = None
    cov_type: str = "nonrobust"
    cov_nonrobust: pd.DataFrame | None = None
    alpha: float = 0.05
    cluster: str | None = None
    n_clusters: int | None = None
    iterations: int | None = None
    step_halvings: int = 0
    link: str | None = None
    ties: str | None = None
    strata: tuple[str, ...] = ()
    cause: int | None = None
    term_columns: Mapping[str, list[str]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Engine state (the Cox engine's sorted data and sums, statsmodels' results …) that other
    #: functions of this package reuse; not part of the public result.
    _engine: Any = field(default=None, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "strata", tuple(self.strata))

    @property
    def params(self) -> pd.Series:
        """Coefficient estimates indexed by term."""
        return self.summary["estimate"]

    @property
    def ok(self) -> bool:
        """True when the fit converged and raised no warnings."""
        return self.converged and not self.warnings

    @property
    def ratio_name(self) -> str:
        """What ``exp(estimate)`` is: ``"odds ratio"``, ``"hazard ratio"`` or
        ``"subdistribution hazard ratio"`` (from the link and the model, not its name)."""
        if self.model == "fine_gray":
            return _RATIO_NAMES["fine_gray"]
        if self.link is not None:
            return _RATIO_NAMES[self.link]
        return _RATIO_NAMES["cox"]

    @property
    def aic(self) -> float:
        """Akaike's criterion ``-2 loglik + 2 k`` (k coefficients; for Cox-type fits on the
        partial likelihood, as R's ``AIC(coxph)``)."""
        return -2.0 * (self.loglik - len(self.summary))

    def conf_int(self, alpha: float | None = None) -> pd.DataFrame:
        """Wald intervals of the estimates at level ``1 - alpha`` (default: the fit's).

        Examples
        --------
        >>> fit = FitResult("cox", tidy_summary(["x"], [0.5], [0.1]), n=10, events=3, converged=True)
        >>> fit.conf_int().round(3).values.tolist()
        [[0.304, 0.696]]
        """
        from overdue.models.checks import check_alpha

        alpha = self.alpha if alpha is None else check_alpha(alpha)
        table = tidy_summary(
            self.summary.index, self.summary["estimate"], self.summary["se"], alpha
        )
        return table[["ci_lower", "ci_upper"]]

    def predict(self, data: pd.DataFrame | None = None):
        """Predicted probabilities of a logit on ``data`` (default: the loans it was fitted on).

        Examples
        --------
        >>> FitResult("cox", tidy_summary(["x"], [0.5], [0.1]), n=10, events=3, converged=True).predict()
        Traceback (most recent call last):
        ...
        ValueError: a cox fit does not predict probabilities
        """
        predict = getattr(self._engine, "predict", None)
        if predict is None:
            raise ValueError(f"a {self.model} fit does not predict probabilities")
        return np.asarray(predict() if data is None else predict(data), dtype=float)

    # ------------------------------------------------------------------------ printed summary
    def _header(self) -> list[tuple[str, str]]:
        rows = [("model", self.model.replace("_", " ")), ("formula", self.formula or "–")]
        if self.outcome:
            rows.append(
                (
                    "outcome" if self.link or self.model == "logit" else "event",
                    self.outcome + (f" (cause {self.cause})" if self.cause is not None else ""),
                )
            )
        rows.append(("observations", _number(self.n)))
        if self.events is not None:
            rows.append(("events", _number(self.events)))
        if self.ties:
            rows.append(("ties", self.ties))
        if self.strata:
            rows.append(("strata", ", ".join(self.strata)))
        variance = {
            "nonrobust": "model-based (inverse information)",
            "robust": "robust sandwich",
            "cluster": "cluster-robust sandwich",
        }.get(self.cov_type, self.cov_type)
        if self.cluster:
            variance += f", by {self.cluster} ({_number(self.n_clusters)} clusters)"
        rows.append(("variance", variance))
        rows.append(
            (
                "converged",
                f"{'yes' if self.converged else 'NO'}"
                + (f" in {self.iterations} iterations" if self.iterations is not None else ""),
            )
        )
        return rows

    def _footer(self) -> list[tuple[str, str]]:
        rows = [
            ("log-likelihood", _number(self.loglik)),
            ("null log-likelihood", _number(self.loglik_null)),
            ("AIC", _number(self.aic)),
        ]
        for key, label in (
            ("pseudo_r2", "McFadden pseudo-R²"),
            ("auc", "AUC (in sample)"),
            ("concordance", "concordance"),
        ):
            if key in self.extra:
                rows.append((label, _number(float(self.extra[key]))))
        rows += [("warning", warning) for warning in self.warnings]
        return rows

    def _table(self) -> pd.DataFrame:
        level = f"{1 - self.alpha:.0%}"
        table = self.summary[
            ["estimate", "se", "z", "p", "exp_estimate", "exp_ci_lower", "exp_ci_upper"]
        ]
        return table.rename(
            columns={
                "exp_estimate": self.ratio_name,
                "exp_ci_lower": f"{level} lower",
                "exp_ci_upper": f"{level} upper",
            }
        )

    def summary_text(self) -> str:
        """The printed summary: header, coefficient table and footer, as plain text."""
        width = max(len(k) for k, _ in self._header() + self._footer())
        indent = " " * (width + 2)
        lines = [
            textwrap.fill(f"{k:<{width}}  {v}", 99, subsequent_indent=indent)
            for k, v in self._header()
        ]
        with pd.option_context(
            "display.width", 140, "display.max_columns", 20, "display.max_rows", 500
        ):
            lines += ["", self._table().to_string(float_format=lambda v: f"{v:.4g}"), ""]
        lines += [
            textwrap.fill(f"{k:<{width}}  {v}", 99, subsequent_indent=indent)
            for k, v in self._footer()
        ]
        return "\n".join(lines)

    def print_summary(self) -> None:
        """Print :meth:`summary_text` (as lifelines' ``print_summary``)."""
        print(self.summary_text())

    def _repr_html_(self) -> str:
        table = self._table().to_html(float_format=lambda v: f"{v:.4g}", border=0)
        return (
            f"<div><table>{_html_rows(self._header())}</table>{table}"
            f"<table>{_html_rows(self._footer())}</table></div>"
        )

    def __repr__(self) -> str:
        status = "converged" if self.converged else "NOT CONVERGED"
        head = f"<{self.model} fit: n={self.n}, events={self.events}, {status}"
        if self.warnings:
            head += f", warnings: {'; '.join(self.warnings)}"
        return head + ">"


@dataclass(frozen=True, repr=False, eq=False)
class TestResult:
    """What a test returns: the statistic, its degrees of freedom and p-value, and detail.

    Attributes
    ----------
    test : str
        Which test, e.g. ``"log-rank"``, ``"Gray"``, ``"likelihood-ratio"``, ``"Wald"``,
        ``"score"``, ``"Hosmer–Lemeshow"``, ``"DeLong"``.
    statistic : float
        Chi-square statistic (``z`` for DeLong's comparison of two AUCs).
    df : float or None
        Degrees of freedom (None for a normal statistic).
    p : float
        p-value.
    estimate, se, ci_lower, ci_upper : float or None
        The quantity tested and its interval, where there is one (DeLong: the difference of
        two AUCs).
    table : pandas.DataFrame or None
        Per-group or per-bin detail (log-rank's observed and expected events by group; the
        Hosmer–Lemeshow risk groups; Gray's groups).
    detail : mapping
        Anything else the test computed (Gray's scores and their covariance, its cause).

    Examples
    --------
    >>> t = TestResult("Wald", statistic=4.0, df=2, p=0.135)
    >>> t.to_dict()
    {'statistic': 4.0, 'df': 2, 'p': 0.135}
    """

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    df: float | None
    p: float
    estimate: float | None = None
    se: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    table: pd.DataFrame | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """``statistic, df, p`` (and the estimate and interval where there is one)."""
        out = {"statistic": self.statistic, "df": self.df, "p": self.p}
        if self.estimate is not None:
            out |= {
                "estimate": self.estimate,
                "se": self.se,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
            }
        return out

    def __str__(self) -> str:
        on = f" on {_number(self.df)} df" if self.df is not None else ""
        text = f"{self.test} test: statistic {self.statistic:.3f}{on}, p = {self.p:.3g}"
        if self.estimate is not None:
            text += f"; estimate {self.estimate:.4g} ({self.ci_lower:.4g} to {self.ci_upper:.4g})"
        return text

    def __repr__(self) -> str:
        return f"<{self}>"

    def _repr_html_(self) -> str:
        detail = "" if self.table is None else self.table.to_html(border=0)
        return f"<div><p>{html.escape(str(self))}</p>{detail}</div>"


def chi2_test(test: str, statistic: float, df: float, **fields) -> TestResult:
    """A :class:`TestResult` whose p-value is the upper chi-square tail (NaN without df).

    Examples
    --------
    >>> chi2_test("Wald", 4.0, 1).p < 0.05
    True
    """
    statistic = float(statistic)
    p = float(stats.chi2.sf(statistic, df)) if df and df > 0 else float("nan")
    return TestResult(test, statistic, df, p, **fields)
