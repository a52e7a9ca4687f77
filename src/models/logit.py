"""Logistic regression of default on loan characteristics, and how well its scores rank and fit.

Fits go through the statsmodels formula API with ``missing="raise"`` (a model never silently
drops loans), optionally with cluster-robust covariance, and come back as a
:class:`~overdue.models.result.FitResult` whose ``warnings`` name every problem a reader must see:
non-convergence, perfect or quasi-complete separation, fitted probabilities of 0 or 1,
implausibly large standard errors, near-collinear terms, too few clusters.

Validation: :func:`out_of_time_auc` fits on the loans issued up to a cutoff month and scores the
later ones; :func:`auc_delong` and :func:`compare_auc_delong` give the AUC with DeLong's variance
(fast midrank algorithm of Sun & Xu, 2014); :func:`calibration_table` gives the deciles-of-risk
table and the Hosmer–Lemeshow statistic.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> loans = pd.DataFrame({"fico": rng.normal(700, 30, 2000)})
>>> loans["defaulted"] = (rng.random(2000) < 1 / (1 + np.exp(-(-2 - 0.02 * (loans.fico - 700))))).astype(int)
>>> fit = fit_logit(loans, "defaulted ~ fico")
>>> fit.converged, bool(fit.summary.loc["fico", "ci_lower"] < -0.02 < fit.summary.loc["fico", "ci_upper"])
(True, True)
"""
from __future__ import annotations

import ast
import builtins
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import patsy
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from overdue.models.result import FitResult, tidy_summary
from overdue.models.specs import VINTAGE_COLUMNS, nested_formulas

# A fitted probability this close to 0 or 1 means a linear predictor beyond ±18: only separation
# (or a data error) pushes a default model there.
EXTREME_PROBABILITY = 1e-8
# SE of the effect of a one-standard-deviation change, on the log-odds scale. Above 5 the odds
# ratio's 95 % interval spans more than e^±10 — an unidentified coefficient, not an estimate.
HUGE_STANDARDISED_SE = 5.0
# Conventional variance-inflation threshold for "near-collinear".
HIGH_VIF = 10.0
# Cluster-robust variances are unreliable with fewer clusters than this (Cameron & Miller, 2015).
FEW_CLUSTERS = 30


# ----------------------------------------------------------------------------------------------
# input checks


def _formula_names(formula: str) -> set[str]:
    """Every identifier the formula's terms mention (columns, and functions such as ``C``)."""
    description = patsy.ModelDesc.from_formula(formula)
    names: set[str] = set()
    for term in description.lhs_termlist + description.rhs_termlist:
        for factor in term.factors:
            tree = ast.parse(factor.code, mode="eval")
            names |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return names


def _outcome_name(formula: str) -> str:
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ValueError(f"formula must be a string 'outcome ~ terms', got {formula!r}")
    return formula.split("~")[0].strip()


def _check_outcome(df: pd.DataFrame, outcome: str) -> None:
    if outcome not in df.columns:
        raise ValueError(f"outcome column '{outcome}' is not in the data frame")
    values = df[outcome]
    if values.isna().any():
        raise ValueError(f"outcome column '{outcome}' has {int(values.isna().sum())} "
                         "missing values")
    if not set(pd.unique(values)) <= {0, 1}:
        raise ValueError(f"outcome column '{outcome}' must be 0/1, found values "
                         f"{sorted(map(str, pd.unique(values)))[:5]}")
    if values.nunique() < 2:
        raise ValueError(f"outcome column '{outcome}' has a single value ({values.iloc[0]}); "
                         "a logit needs both events and non-events")


def _check_frame(df: pd.DataFrame, formula: str, cluster: str | None) -> str:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(df).__name__}")
    if len(df) == 0:
        raise ValueError("data frame has no rows")
    outcome = _outcome_name(formula)
    _check_outcome(df, outcome)
    try:
        mentioned = _formula_names(formula)
    except (patsy.PatsyError, SyntaxError) as err:
        raise ValueError(f"formula {formula!r} does not parse: {err}") from err
    known = set(df.columns) | set(dir(patsy.builtins)) | set(dir(builtins)) | {"np"}
    missing_columns = sorted(mentioned - known)
    if missing_columns:
        raise ValueError(f"formula uses column(s) {missing_columns} that the data frame lacks")
    if cluster is not None:
        if cluster not in df.columns:
            raise ValueError(f"cluster column '{cluster}' is not in the data frame")
        if df[cluster].isna().any():
            raise ValueError(f"cluster column '{cluster}' has {int(df[cluster].isna().sum())} "
                             "missing values")
    return outcome


def _design_error(err: Exception, df: pd.DataFrame, formula: str) -> ValueError:
    with_missing = {name: int(df[name].isna().sum()) for name in sorted(_formula_names(formula))
                    if name in df.columns and df[name].isna().any()}
    detail = f"; columns with missing values: {with_missing}" if with_missing else ""
    return ValueError(f"cannot build the design of {formula!r} (missing='raise'){detail}: {err}")


def _check_rank(exog: np.ndarray, names: Sequence[str]) -> None:
    scale = np.linalg.norm(exog, axis=0)
    scale[scale == 0] = 1.0
    _, singular, right = np.linalg.svd(exog / scale, full_matrices=False)
    tolerance = singular.max() * max(exog.shape) * np.finfo(float).eps
    null_directions = right[singular <= tolerance]
    if len(null_directions):
        involved = sorted({names[j] for v in null_directions
                           for j in np.flatnonzero(np.abs(v) > 1e-6)})
        raise ValueError(f"design is rank-deficient: columns {involved} are linearly dependent "
                         "(drop one of them from the formula)")


def _variance_inflation(exog: np.ndarray, term_columns: Mapping[str, list[str]],
                        names: Sequence[str]) -> pd.DataFrame:
    """Generalised variance inflation of each term (Fox & Monette, 1992).

    Per term rather than per column: the dummies of a factor with a small reference level have
    large column VIFs whatever the other terms are, while the term's GVIF does not depend on how
    the factor is coded. ``gvif_adjusted = gvif ** (1 / (2 df))`` is comparable across terms
    (its square is the usual VIF for a one-column term).
    """
    position = {name: j for j, name in enumerate(names)}
    varying = [j for j in range(exog.shape[1]) if np.ptp(exog[:, j]) > 0]
    rows = []
    if len(varying) >= 2:
        correlation = np.corrcoef(exog[:, varying], rowvar=False)
        _, logdet_all = np.linalg.slogdet(correlation)
        local = {j: k for k, j in enumerate(varying)}
        for term, columns in term_columns.items():
            inside = [local[position[c]] for c in columns if position[c] in local]
            if not inside:
                continue
            outside = [k for k in range(len(varying)) if k not in inside]
            logdet_inside = np.linalg.slogdet(correlation[np.ix_(inside, inside)])[1]
            logdet_outside = (np.linalg.slogdet(correlation[np.ix_(outside, outside)])[1]
                              if outside else 0.0)
            gvif = float(np.exp(logdet_inside + logdet_outside - logdet_all))
            rows.append({"term": term, "gvif": gvif, "df": len(inside),
                         "gvif_adjusted": gvif ** (1 / (2 * len(inside)))})
    return pd.DataFrame(rows, columns=["term", "gvif", "df", "gvif_adjusted"]).set_index("term")


# ----------------------------------------------------------------------------------------------
# diagnostics


def _separation_warnings(exog: np.ndarray, y: np.ndarray, names: Sequence[str],
                         outcome: str) -> list[str]:
    """Quasi-complete separation through a 0/1 column: one side of it has a constant outcome."""
    found = []
    for j, name in enumerate(names):
        column = exog[:, j]
        if np.ptp(column) == 0 or not np.isin(column, (0.0, 1.0)).all():
            continue
        for level in (1.0, 0.0):
            rows = column == level
            if rows.any() and np.ptp(y[rows]) == 0:
                found.append(
                    f"quasi-complete separation: all {int(rows.sum())} rows with {name}="
                    f"{int(level)} have {outcome}={int(y[rows][0])}; its coefficient is not "
                    "identified (it diverges)")
    return found


def _fit_warnings(sm_result, se: np.ndarray, exog: np.ndarray, y: np.ndarray,
                  names: Sequence[str], outcome: str, caught: list, vif: pd.DataFrame,
                  newton_failed: bool) -> list[str]:
    found: list[str] = []
    kinds = {type(w.message) for w in caught}
    if newton_failed:
        found.append("Newton-Raphson failed (singular Hessian, typical of separation); refitted "
                     "with BFGS")
    if PerfectSeparationWarning in kinds:
        found.append("perfect separation or prediction detected by statsmodels: some "
                     "coefficients are not identified")
    found += _separation_warnings(exog, y, names, outcome)
    if not sm_result.mle_retvals.get("converged", False):
        found.append(f"optimiser did not converge in {sm_result.mle_retvals.get('iterations')} "
                     "iterations")
    if HessianInversionWarning in kinds:
        found.append("the Hessian could not be inverted: standard errors are unreliable")
    fitted = sm_result.predict()
    extreme = int(((fitted < EXTREME_PROBABILITY) | (fitted > 1 - EXTREME_PROBABILITY)).sum())
    if extreme:
        found.append(f"{extreme} fitted probabilities are numerically 0 or 1 (separation)")
    spread = exog.std(axis=0)
    standardised_se = se * spread
    for name, value, sd in zip(names, standardised_se, spread):
        if sd > 0 and not np.isfinite(value):
            found.append(f"no finite standard error for {name}")
        elif sd > 0 and value > HUGE_STANDARDISED_SE:
            found.append(f"implausibly large standard error for {name} (SE x SD = {value:.3g}): "
                         "separation or collinearity")
    collinear = vif[vif["gvif_adjusted"] ** 2 > HIGH_VIF]
    if len(collinear):
        listed = ", ".join(f"{term} ({value:.0f})"
                           for term, value in (collinear["gvif_adjusted"] ** 2).items())
        found.append(f"near-collinear terms, (generalised) variance inflation > {HIGH_VIF:.0f}: "
                     f"{listed}")
    return found


def _sample_id(index: pd.Index, y: np.ndarray) -> int:
    """Fingerprint of the rows and outcomes a model was fitted on (to refuse non-nested tests)."""
    return int(pd.util.hash_pandas_object(pd.Series(y, index=index), index=True).sum())


def _term_columns(model) -> dict[str, list[str]]:
    """Formula term name -> the design columns (coefficients) it produced."""
    names = list(model.exog_names)
    slices = getattr(getattr(model.data, "model_spec", None), "term_name_slices", None)
    if slices is None:
        return {name: [name] for name in names}
    return {term: names[piece] for term, piece in slices.items()}


# ----------------------------------------------------------------------------------------------
# fitting


def fit_logit(
    df: pd.DataFrame,
    formula: str,
    cluster: str | None = None,
    alpha: float = 0.05,
    maxiter: int = 100,
) -> FitResult:
    """Fit a logistic regression by maximum likelihood (statsmodels formula API).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan; the outcome is a 0/1 column. Missing values in any term raise.
    formula : str
        patsy formula, e.g. ``"defaulted ~ fico + C(grade)"``.
    cluster : str, optional
        Column whose values define clusters (``"addr_state"``, ``"issue_d"`` for issue month …);
        when given, the covariance is cluster-robust (sandwich with the small-sample factor
        ``G/(G-1) * (N-1)/(N-K)``), otherwise the inverse information.
    alpha : float
        1 - confidence level of the intervals.
    maxiter : int
        Newton–Raphson iterations allowed.

    Returns
    -------
    FitResult
        ``model="logit"``; ``summary`` holds log-odds coefficients and odds ratios (``exp_*``).
        ``extra`` holds ``pseudo_r2`` (McFadden), ``llnull``, ``aic``, ``bic``, ``cov``
        (covariance DataFrame), ``cov_type``, ``n_clusters``, ``vif`` (generalised variance
        inflation per term), ``term_columns`` (formula term -> coefficient names), ``sm_result`` (the statsmodels results) and ``sample_id``.

    Raises
    ------
    ValueError
        On a non-0/1 or constant outcome, an unknown column, missing values, or a rank-deficient
        design (the message names the columns).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> loans = pd.DataFrame({"dti": rng.uniform(0, 30, 500), "addr_state": rng.choice(["CA", "NY", "TX"], 500)})
    >>> loans["defaulted"] = (rng.random(500) < 0.1 + 0.005 * loans.dti).astype(int)
    >>> fit = fit_logit(loans, "defaulted ~ dti", cluster="addr_state")
    >>> fit.extra["n_clusters"], fit.extra["cov_type"]
    (3, 'cluster')
    >>> any("clusters" in w for w in fit.warnings)
    True
    """
    outcome = _check_frame(df, formula, cluster)
    try:
        model = smf.logit(formula, data=df, missing="raise")
    except (patsy.PatsyError, ValueError) as err:
        raise _design_error(err, df, formula) from err
    exog = np.asarray(model.exog, dtype=float)
    y = np.asarray(model.endog, dtype=float)
    names = list(model.exog_names)
    _check_rank(exog, names)
    term_columns = _term_columns(model)
    vif = _variance_inflation(exog, term_columns, names)

    fit_options: dict = {"method": "newton", "maxiter": maxiter, "disp": False}
    n_clusters = None
    if cluster is not None:
        groups = pd.factorize(df[cluster])[0]
        n_clusters = int(groups.max() + 1)
        fit_options.update(cov_type="cluster", cov_kwds={"groups": groups})
    newton_failed = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sm_result = model.fit(**fit_options)
        except (PerfectSeparationError, np.linalg.LinAlgError):
            # Newton's Hessian becomes singular as a separated coefficient runs off; BFGS needs
            # no Hessian inverse, so it returns the (diverging) estimate and the checks below
            # report the separation.
            newton_failed = True
            sm_result = model.fit(**{**fit_options, "method": "bfgs"})
    try:
        covariance = np.asarray(sm_result.cov_params(), dtype=float)
    except ValueError:
        # statsmodels keeps no covariance when the Hessian cannot be inverted (reported below).
        covariance = np.full((len(names), len(names)), np.nan)
    se = np.sqrt(np.diag(covariance))
    problems = _fit_warnings(sm_result, se, exog, y, names, outcome, caught, vif, newton_failed)
    if n_clusters is not None and n_clusters < FEW_CLUSTERS:
        problems.append(f"only {n_clusters} clusters of '{cluster}': cluster-robust standard "
                        f"errors are unreliable below {FEW_CLUSTERS}")

    with np.errstate(over="ignore"):  # odds ratios of a separated (diverging) coefficient
        summary = tidy_summary(names, sm_result.params, se, alpha)
    with warnings.catch_warnings():
        # The null model of a separated fit re-raises the same warnings; they are reported above.
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning))
        llnull = float(sm_result.llnull)
    return FitResult(
        model="logit",
        summary=summary,
        n=int(sm_result.nobs),
        events=int(y.sum()),
        converged=bool(sm_result.mle_retvals.get("converged", False)),
        formula=formula,
        loglik=float(sm_result.llf),
        warnings=problems,
        extra={
            "pseudo_r2": 1.0 - float(sm_result.llf) / llnull,
            "llnull": llnull,
            "aic": float(sm_result.aic),
            "bic": float(sm_result.bic),
            "cov": pd.DataFrame(covariance, index=names, columns=names),
            "cov_type": "cluster" if cluster is not None else "nonrobust",
            "cluster": cluster,
            "n_clusters": n_clusters,
            "vif": vif,
            "term_columns": term_columns,
            "sm_result": sm_result,
            "sample_id": _sample_id(df.index, y),
            "alpha": alpha,
        },
    )


def _sm_result(result: FitResult):
    if result.model != "logit" or "sm_result" not in result.extra:
        raise ValueError("expected a FitResult from fit_logit")
    return result.extra["sm_result"]


def _is_indicator_block(block: np.ndarray) -> bool:
    """0/1 columns with at most one 1 per row: a factor's dummies or a single binary term."""
    return bool(np.isin(block, (0.0, 1.0)).all() and (block.sum(axis=1) <= 1).all())


def average_marginal_effects(result: FitResult, alpha: float | None = None) -> pd.DataFrame:
    """Average marginal effects on the default probability, with delta-method errors.

    For a continuous column, the average over loans of ``d p / d x = p (1 - p) beta``. For a
    binary term or a factor level, the average change in probability when every loan is moved
    from the reference level to that level (all the factor's dummies reset together, so a level is
    always compared with the reference, never combined with another level). Errors come from the
    fit's covariance (cluster-robust if it was) by the delta method.

    statsmodels' ``get_margeff(dummy=True)`` agrees for continuous columns and one-column binary
    terms; for factors with three or more levels it switches one dummy on without resetting the
    others, which mixes levels, hence this implementation.

    Parameters
    ----------
    result : FitResult
        From :func:`fit_logit`.
    alpha : float, optional
        1 - confidence level; defaults to the fit's.

    Returns
    -------
    pandas.DataFrame
        Indexed by coefficient (no intercept): ``ame, se, ci_lower, ci_upper, z, p, kind``
        (``"derivative"`` or ``"discrete"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"dti": rng.uniform(0, 30, 800), "grade": rng.choice(list("ABC"), 800)})
    >>> loans["defaulted"] = (rng.random(800) < 0.05 + 0.005 * loans.dti).astype(int)
    >>> ame = average_marginal_effects(fit_logit(loans, "defaulted ~ dti + C(grade)"))
    >>> ame["kind"].to_dict()
    {'C(grade)[T.B]': 'discrete', 'C(grade)[T.C]': 'discrete', 'dti': 'derivative'}
    """
    sm_result = _sm_result(result)
    alpha = result.extra["alpha"] if alpha is None else alpha
    exog = np.asarray(sm_result.model.exog, dtype=float)
    names = list(sm_result.model.exog_names)
    beta = np.asarray(sm_result.params, dtype=float)
    eta = exog @ beta
    p = 1 / (1 + np.exp(-eta))
    density = p * (1 - p)
    rows, gradients = [], []
    for term, columns in result.extra["term_columns"].items():
        positions = [names.index(c) for c in columns]
        if term == "Intercept":
            continue
        block = exog[:, positions]
        if _is_indicator_block(block):
            eta_reference = eta - block @ beta[positions]
            p0 = 1 / (1 + np.exp(-eta_reference))
            # d mean(p) / d beta at the reference: the term's columns are all 0 there.
            gradient0 = (p0 * (1 - p0)) @ exog / len(eta)
            gradient0[positions] = 0.0
            for j in positions:
                p1 = 1 / (1 + np.exp(-(eta_reference + beta[j])))
                gradient1 = (p1 * (1 - p1)) @ exog / len(eta)
                gradient1[positions] = 0.0
                gradient1[j] = np.mean(p1 * (1 - p1))
                rows.append((names[j], float(np.mean(p1 - p0)), "discrete"))
                gradients.append(gradient1 - gradient0)
        else:
            curvature = (density * (1 - 2 * p)) @ exog / len(eta)
            for j in positions:
                gradient = curvature * beta[j]
                gradient[j] += density.mean()
                rows.append((names[j], float(density.mean() * beta[j]), "derivative"))
                gradients.append(gradient)
    if not rows:
        raise ValueError("the model has no terms besides the intercept")
    jacobian = np.vstack(gradients)
    covariance = result.extra["cov"].loc[names, names].to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", jacobian, covariance, jacobian))
    table = tidy_summary([r[0] for r in rows], [r[1] for r in rows], se, alpha)
    table = table[["estimate", "se", "ci_lower", "ci_upper", "z", "p"]].rename(
        columns={"estimate": "ame"})
    table["kind"] = [r[2] for r in rows]
    return table


class LRTest(NamedTuple):
    """Likelihood-ratio test of a restricted model against a full one."""

    statistic: float
    df: int
    p: float


class WaldTest(NamedTuple):
    """Joint Wald test that a set of coefficients are zero."""

    statistic: float
    df: int
    p: float


def lr_test(restricted: FitResult, full: FitResult) -> LRTest:
    """Likelihood-ratio test for nested models fitted on the same loans.

    The statistic ``2 (loglik_full - loglik_restricted)`` is chi-squared with as many degrees of
    freedom as the full model has extra coefficients. It assumes independent loans; with clustered
    data use :func:`wald_test` on a cluster-robust fit.

    Parameters
    ----------
    restricted, full : FitResult
        Fits from :func:`fit_logit`; the restricted model's coefficients must all be in the full.

    Returns
    -------
    LRTest
        ``statistic, df, p``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 600), "dti": rng.normal(0, 1, 600)})
    >>> loans["defaulted"] = (rng.random(600) < 1 / (1 + np.exp(1.5 + 0.8 * loans.fico))).astype(int)
    >>> test = lr_test(fit_logit(loans, "defaulted ~ dti"), fit_logit(loans, "defaulted ~ dti + fico"))
    >>> test.df, bool(test.p < 0.001)
    (1, True)
    """
    for name, fit in (("restricted", restricted), ("full", full)):
        if not isinstance(fit, FitResult):
            raise ValueError(f"{name} must be a FitResult, got {type(fit).__name__}")
    if restricted.n != full.n or (restricted.extra.get("sample_id")
                                  != full.extra.get("sample_id")):
        raise ValueError("the models were fitted on different loans; a likelihood-ratio test "
                         "needs the same sample (see specs.complete_cases)")
    extra_terms = set(restricted.summary.index) - set(full.summary.index)
    if extra_terms:
        raise ValueError(f"models are not nested: the restricted model has terms "
                         f"{sorted(extra_terms)} that the full model lacks")
    df = len(full.summary) - len(restricted.summary)
    if df <= 0:
        raise ValueError("the full model must have more coefficients than the restricted one")
    statistic = max(2.0 * (full.loglik - restricted.loglik), 0.0)
    return LRTest(statistic, df, float(stats.chi2.sf(statistic, df)))


def _coefficient_names(result: FitResult, terms: Sequence[str]) -> list[str]:
    term_columns = result.extra.get("term_columns", {})
    chosen: list[str] = []
    for term in terms:
        if term in result.summary.index:
            chosen.append(term)
            continue
        # Terms written as in a formula are matched through patsy's own spelling of them.
        normalised = patsy.ModelDesc.from_formula(f"y ~ {term}").rhs_termlist[-1].name()
        if normalised not in term_columns:
            raise ValueError(f"term {term!r} is not in the model (terms: {list(term_columns)})")
        chosen += term_columns[normalised]
    return list(dict.fromkeys(chosen))


def wald_test(result: FitResult, terms: Sequence[str]) -> WaldTest:
    """Joint Wald test that the coefficients of some terms are all zero.

    Uses the fit's covariance, so it is cluster-robust when the fit was.

    Parameters
    ----------
    result : FitResult
        From :func:`fit_logit`.
    terms : sequence of str
        Formula terms (``"C(issue_year)"`` tests all its dummies) or coefficient names.

    Returns
    -------
    WaldTest
        ``statistic, df, p``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 600), "grade": rng.choice(list("ABC"), 600)})
    >>> loans["defaulted"] = (rng.random(600) < 1 / (1 + np.exp(1.5 + 0.8 * loans.fico))).astype(int)
    >>> wald_test(fit_logit(loans, "defaulted ~ fico + C(grade)"), ["C(grade)"]).df
    2
    """
    names = _coefficient_names(result, terms)
    estimate = result.summary.loc[names, "estimate"].to_numpy()
    covariance = result.extra["cov"].loc[names, names].to_numpy()
    statistic = float(estimate @ np.linalg.solve(covariance, estimate))
    return WaldTest(statistic, len(names), float(stats.chi2.sf(statistic, len(names))))


@dataclass
class NestedFits:
    """Fits of a nested model sequence and their comparison table.

    Attributes
    ----------
    fits : dict of str to FitResult
        In the order of entry.
    table : pandas.DataFrame
        One row per model: ``n, events, k, loglik, pseudo_r2, aic, bic, auc, lr_stat, lr_df,
        lr_p`` (likelihood-ratio test against the previous model), ``converged, n_warnings``.
    """

    fits: dict[str, FitResult]
    table: pd.DataFrame


def fit_nested(
    df: pd.DataFrame,
    formulas: Mapping[str, str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> NestedFits:
    """Fit a nested sequence of logits on the same loans and compare consecutive models.

    Parameters
    ----------
    df : pandas.DataFrame
        Complete for every formula (see :func:`overdue.models.specs.complete_cases`).
    formulas : mapping of str to str, optional
        Ordered name -> formula, each nested in the next; defaults to
        :func:`overdue.models.specs.nested_formulas`.
    cluster : str, optional
        Cluster column for robust covariance (the LR tests still assume independence).
    alpha : float
        1 - confidence level.

    Returns
    -------
    NestedFits

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 600), "dti": rng.normal(0, 1, 600)})
    >>> loans["defaulted"] = (rng.random(600) < 1 / (1 + np.exp(1.5 + 0.8 * loans.fico))).astype(int)
    >>> nested = fit_nested(loans, {"fico": "defaulted ~ fico", "+dti": "defaulted ~ fico + dti"})
    >>> nested.table["lr_df"].tolist()
    [nan, 1.0]
    """
    formulas = nested_formulas() if formulas is None else dict(formulas)
    if not formulas:
        raise ValueError("no formulas to fit")
    fits = {name: fit_logit(df, one_formula, cluster=cluster, alpha=alpha)
            for name, one_formula in formulas.items()}
    rows = []
    previous = None
    for name, fit in fits.items():
        test = lr_test(previous, fit) if previous is not None else None
        y = np.asarray(fit.extra["sm_result"].model.endog)
        rows.append({
            "model": name, "n": fit.n, "events": fit.events, "k": len(fit.summary),
            "loglik": fit.loglik, "pseudo_r2": fit.extra["pseudo_r2"], "aic": fit.extra["aic"],
            "bic": fit.extra["bic"], "auc": auc_delong(y, fit.extra["sm_result"].predict()).auc,
            "lr_stat": test.statistic if test else np.nan, "lr_df": test.df if test else np.nan,
            "lr_p": test.p if test else np.nan, "converged": fit.converged,
            "n_warnings": len(fit.warnings)})
        previous = fit
    return NestedFits(fits, pd.DataFrame(rows).set_index("model"))


# ----------------------------------------------------------------------------------------------
# discrimination: AUC with DeLong's variance


class AUC(NamedTuple):
    """Area under the ROC curve with its DeLong standard error and normal interval."""

    auc: float
    se: float
    ci_lower: float
    ci_upper: float


class AUCDifference(NamedTuple):
    """Difference of two correlated AUCs on the same loans (first minus second)."""

    difference: float
    se: float
    ci_lower: float
    ci_upper: float
    z: float
    p: float


def _check_scores(y, scores: Sequence) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    if y.ndim != 1 or not np.isin(y, (0, 1)).all():
        raise ValueError("y must be a one-dimensional 0/1 array")
    matrix = np.atleast_2d(np.asarray(scores, dtype=float))
    if matrix.shape[1] != len(y):
        raise ValueError(f"scores have {matrix.shape[1]} values but y has {len(y)}")
    if not np.isfinite(matrix).all():
        raise ValueError("scores contain missing or infinite values")
    if min((y == 1).sum(), (y == 0).sum()) < 2:
        raise ValueError("DeLong's variance needs at least two events and two non-events in y")
    return y.astype(bool), matrix


def delong(y, *scores) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of several scores on the same loans and their DeLong covariance matrix.

    Fast midrank algorithm (Sun & Xu, 2014, IEEE Signal Processing Letters 21:1389): the
    placement values of DeLong, DeLong & Clarke-Pearson (1988) are differences of midranks, so the
    whole computation is a few sorts, O(n log n) per score.

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes (1 = event).
    *scores : array-like
        One or more score vectors, larger meaning more likely an event.

    Returns
    -------
    aucs : numpy.ndarray, shape (k,)
    covariance : numpy.ndarray, shape (k, k)

    Examples
    --------
    >>> aucs, cov = delong([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1])
    >>> float(aucs[0])
    0.8333333333333334
    """
    y, matrix = _check_scores(y, scores)
    events, non_events = matrix[:, y], matrix[:, ~y]
    m, n = events.shape[1], non_events.shape[1]
    rank_events = stats.rankdata(events, axis=1)
    rank_non_events = stats.rankdata(non_events, axis=1)
    rank_all = stats.rankdata(np.hstack([events, non_events]), axis=1)
    aucs = (rank_all[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    # Share of non-events each event out-scores (ties count half), and of events each
    # non-event is out-scored by.
    event_placements = (rank_all[:, :m] - rank_events) / n
    non_event_placements = 1.0 - (rank_all[:, m:] - rank_non_events) / m
    covariance = (np.atleast_2d(np.cov(event_placements)) / m
                  + np.atleast_2d(np.cov(non_event_placements)) / n)
    return aucs, covariance


def auc_delong(y, score, alpha: float = 0.05) -> AUC:
    """AUC with DeLong's standard error and a normal interval clipped to [0, 1] (as pROC).

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes.
    score : array-like
        Risk score (predicted probability).
    alpha : float
        1 - confidence level.

    Returns
    -------
    AUC

    Examples
    --------
    >>> round(auc_delong([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1]).se, 4)
    0.2357
    """
    aucs, covariance = delong(y, score)
    se = float(np.sqrt(covariance[0, 0]))
    q = stats.norm.ppf(1 - alpha / 2)
    auc = float(aucs[0])
    return AUC(auc, se, max(auc - q * se, 0.0), min(auc + q * se, 1.0))


def compare_auc_delong(y, score_a, score_b, alpha: float = 0.05) -> AUCDifference:
    """DeLong test of two correlated AUCs measured on the same loans.

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes.
    score_a, score_b : array-like
        The two scores; the difference is ``AUC(a) - AUC(b)``.
    alpha : float
        1 - confidence level.

    Returns
    -------
    AUCDifference

    Examples
    --------
    >>> compare_auc_delong([1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.2, 0.1], [0.9, 0.6, 0.5, 0.2, 0.1]).difference
    -0.16666666666666663
    """
    aucs, covariance = delong(y, score_a, score_b)
    difference = float(aucs[0] - aucs[1])
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    se = float(np.sqrt(max(variance, 0.0)))
    q = stats.norm.ppf(1 - alpha / 2)
    z = difference / se if se > 0 else (0.0 if difference == 0 else np.copysign(np.inf, difference))
    return AUCDifference(difference, se, difference - q * se, difference + q * se, float(z),
                         float(2 * stats.norm.sf(abs(z))))


# ----------------------------------------------------------------------------------------------
# out-of-time validation


@dataclass
class OutOfTimeResult:
    """Out-of-time validation of a logit: fitted before a cutoff month, scored after it.

    Attributes
    ----------
    auc : AUC
        Test-period AUC with DeLong interval.
    fit : FitResult
        The model fitted on the training period.
    cutoff : pandas.Period
        Last issue month of the training period.
    n_train, n_test, events_train, events_test : int
    y, p : numpy.ndarray
        Test outcomes and predicted probabilities (for calibration and paired AUC tests).
    carried_forward : dict
        Vintage columns whose test values were replaced by the latest training value.
    """

    auc: AUC
    fit: FitResult
    cutoff: pd.Period
    n_train: int
    n_test: int
    events_train: int
    events_test: int
    y: np.ndarray = field(repr=False)
    p: np.ndarray = field(repr=False)
    carried_forward: dict = field(default_factory=dict)


def _split_by_cutoff(df: pd.DataFrame, cutoff, date_col: str) -> tuple[pd.Series, pd.Period]:
    if date_col not in df.columns:
        raise ValueError(f"date column '{date_col}' is not in the data frame")
    if not pd.api.types.is_datetime64_any_dtype(df[date_col]):
        raise ValueError(f"date column '{date_col}' must be datetime64, got {df[date_col].dtype}")
    if df[date_col].isna().any():
        raise ValueError(f"date column '{date_col}' has missing values")
    if isinstance(cutoff, str) and not re.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?", cutoff.strip()):
        raise ValueError(f"cutoff {cutoff!r} is not a month like '2010-12'")
    try:
        cutoff_month = pd.Period(cutoff, freq="M")
    except (ValueError, TypeError) as err:
        raise ValueError(f"cutoff {cutoff!r} is not a month like '2010-12'") from err
    in_training = df[date_col].dt.to_period("M") <= cutoff_month
    return in_training, cutoff_month


def out_of_time_auc(
    df: pd.DataFrame,
    formula: str,
    cutoff="2010-12",
    date_col: str = "issue_d",
    cluster: str | None = None,
    alpha: float = 0.05,
    carry_forward: Sequence[str] = VINTAGE_COLUMNS,
) -> OutOfTimeResult:
    """Fit on loans issued up to and including the cutoff month, score the later ones.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans, complete for the formula.
    formula : str
        Model to validate.
    cutoff : str or pandas.Period
        Last issue month of the training period, e.g. ``"2010-12"``.
    date_col : str
        Issue date column (datetime64).
    cluster : str, optional
        Cluster column for the training fit's covariance.
    alpha : float
        1 - confidence level of the AUC interval.
    carry_forward : sequence of str
        Vintage columns (e.g. ``issue_year``): a vintage issued after the cutoff has no estimated
        effect, so test loans get the latest training vintage's effect. Any other category unseen
        in training raises.

    Returns
    -------
    OutOfTimeResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(6)
    >>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 1200),
    ...                       "issue_d": pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 700, 1200), "D")})
    >>> loans["issue_d"] = loans.issue_d.dt.to_period("M").dt.to_timestamp()
    >>> loans["defaulted"] = (rng.random(1200) < 1 / (1 + np.exp(1.5 + loans.fico))).astype(int)
    >>> result = out_of_time_auc(loans, "defaulted ~ fico", cutoff="2010-12")
    >>> bool(result.auc.ci_lower < 0.76 < result.auc.ci_upper), result.n_train + result.n_test
    (True, 1200)
    """
    outcome = _check_frame(df, formula, cluster)
    in_training, cutoff_month = _split_by_cutoff(df, cutoff, date_col)
    train, test = df.loc[in_training], df.loc[~in_training].copy()
    for name, part in (("training", train), ("test", test)):
        if part[outcome].nunique() < 2:
            raise ValueError(f"the {name} period (cutoff {cutoff_month}) has {len(part)} loans "
                             f"and not both values of '{outcome}'")
    fit = fit_logit(train, formula, cluster=cluster, alpha=alpha)

    used = _formula_names(formula)
    carried = {}
    for column in carry_forward:
        if column in used and column in test.columns:
            latest = train[column].max()
            unseen = ~test[column].isin(pd.unique(train[column]))
            if unseen.any():
                test.loc[unseen, column] = latest
                carried[column] = latest
    try:
        p = np.asarray(fit.extra["sm_result"].predict(test), dtype=float)
    except (patsy.PatsyError, ValueError) as err:
        raise ValueError(f"cannot score the test period with {formula!r} (a category unseen "
                         f"before {cutoff_month}, or missing values?): {err}") from err
    if len(p) != len(test) or not np.isfinite(p).all():
        raise ValueError("test period has missing values in the model's columns")
    y = test[outcome].to_numpy().astype(int)
    return OutOfTimeResult(
        auc=auc_delong(y, p, alpha), fit=fit, cutoff=cutoff_month, n_train=len(train),
        n_test=len(test), events_train=int(train[outcome].sum()), events_test=int(y.sum()),
        y=y, p=p, carried_forward=carried)


# ----------------------------------------------------------------------------------------------
# calibration


@dataclass
class Calibration:
    """Deciles-of-risk table and the Hosmer–Lemeshow goodness-of-fit test.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per risk group: ``p_min, p_max, n, observed, expected, observed_rate,
        mean_predicted``.
    statistic : float
        Hosmer–Lemeshow chi-squared statistic.
    df : int
        Degrees of freedom (groups - 2 in sample, groups out of sample).
    p : float
    """

    table: pd.DataFrame
    statistic: float
    df: int
    p: float


def calibration_table(y, p, bins: int = 10, in_sample: bool = True) -> Calibration:
    """Group loans by quantiles of predicted risk and compare observed with expected defaults.

    Groups are cut at the quantiles of ``p`` (duplicate cut points merged), as in R's
    ``ResourceSelection::hoslem.test``. The statistic is
    ``sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g))``; its degrees of freedom are the number of
    groups minus 2 when the model was fitted on these loans, and the number of groups when it was
    not (a validation sample; Hosmer, Lemeshow & Sturdivant 2013, sec. 5.2.2).

    Parameters
    ----------
    y : array-like of 0/1
        Outcomes.
    p : array-like
        Predicted probabilities in (0, 1).
    bins : int
        Number of quantile groups (deciles by default).
    in_sample : bool
        Whether ``p`` comes from a model fitted on these loans.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> cal = calibration_table([0, 1, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8], bins=3)
    >>> cal.df, round(cal.statistic, 4)
    (1, 4.2246)
    """
    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("y and p must be one-dimensional and of equal length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be 0/1")
    if not ((p > 0) & (p < 1)).all():
        raise ValueError("p must be probabilities strictly between 0 and 1")
    if not isinstance(bins, (int, np.integer)) or bins < 3:
        raise ValueError(f"bins must be an integer of at least 3, got {bins!r}")
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    group = pd.cut(p, edges, include_lowest=True)
    frame = pd.DataFrame({"y": y, "p": p, "group": group})
    table = frame.groupby("group", observed=True).agg(
        p_min=("p", "min"), p_max=("p", "max"), n=("y", "size"), observed=("y", "sum"),
        expected=("p", "sum"))
    table["observed_rate"] = table["observed"] / table["n"]
    table["mean_predicted"] = table["expected"] / table["n"]
    statistic = float(((table["observed"] - table["expected"]) ** 2
                       / (table["expected"] * (1 - table["mean_predicted"]))).sum())
    df = len(table) - 2 if in_sample else len(table)
    if df < 1:
        raise ValueError(f"only {len(table)} distinct risk groups: too few for Hosmer–Lemeshow")
    return Calibration(table, statistic, df, float(stats.chi2.sf(statistic, df)))
