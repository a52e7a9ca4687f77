"""Logistic regression of default on loan characteristics: fits, marginal effects and tests.

Fits go through the statsmodels formula API with ``missing="raise"`` (a model never silently
drops loans), optionally with cluster-robust covariance, and come back as a
:class:`~overdue.models.result.FitResult` whose ``warnings`` name every problem a reader must see:
non-convergence, perfect or quasi-complete separation, fitted probabilities of 0 or 1,
implausibly large standard errors, near-collinear terms, too few clusters. How well the scores
rank and fit is :mod:`overdue.models.assessment`; fitting before a cut-off and scoring after it
is :mod:`overdue.models.validation`.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> loans = pd.DataFrame({"fico": rng.normal(700, 30, 2000)})
>>> loans["defaulted"] = (rng.random(2000) < 1 / (1 + np.exp(-(-2 - 0.02 * (loans.fico - 700))))).astype(int)
>>> fit = fit_logit(loans, "fico")
>>> fit.converged, bool(fit.summary.loc["fico", "ci_lower"] < -0.02 < fit.summary.loc["fico", "ci_upper"])
(True, True)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
import statsmodels.formula.api as smf
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from overdue.models.assessment import auc_delong
from overdue.models.checks import (
    binary_column,
    check_alpha,
    check_cluster,
    check_frame,
    few_clusters_warning,
)
from overdue.models.design import check_rhs, formula_variables, missing_values_detail, term_names
from overdue.models.result import FitResult, TestResult, chi2_test, tidy_summary
from overdue.models.specs import OUTCOME, nested_rhs

# A fitted probability this close to 0 or 1 means a linear predictor beyond ±18: only separation
# (or a data error) pushes a default model there.
EXTREME_PROBABILITY = 1e-8
# SE of the effect of a one-standard-deviation change, on the log-odds scale. Above 5 the odds
# ratio's 95 % interval spans more than e^±10 — an unidentified coefficient, not an estimate.
HUGE_STANDARDISED_SE = 5.0
# Conventional variance-inflation threshold for "near-collinear".
HIGH_VIF = 10.0


# ----------------------------------------------------------------------------------------------
# input checks


def check_logit_input(df: pd.DataFrame, rhs: str, outcome: str, cluster: str | None) -> str:
    """Check the data for a logit of ``outcome`` on ``rhs``; return the rhs, stripped.

    Raises a ValueError naming the problem: not a DataFrame or no rows, an outcome that is not
    0/1 or has one value, a right-hand side that does not parse or uses absent columns, a bad
    cluster column.
    """
    check_frame(df)
    rhs = check_rhs(rhs, "fit_logit")
    binary_column(df, outcome, "outcome", both_values=True)
    absent = sorted(formula_variables(rhs) - set(df.columns))
    if absent:
        raise ValueError(f"the right-hand side uses column(s) {absent} that the data frame lacks")
    check_cluster(df, cluster)
    return rhs


def _check_rank(exog: np.ndarray, names: Sequence[str]) -> None:
    scale = np.linalg.norm(exog, axis=0)
    scale[scale == 0] = 1.0
    _, singular, right = np.linalg.svd(exog / scale, full_matrices=False)
    tolerance = singular.max() * max(exog.shape) * np.finfo(float).eps
    null_directions = right[singular <= tolerance]
    if len(null_directions):
        involved = sorted(
            {names[j] for v in null_directions for j in np.flatnonzero(np.abs(v) > 1e-6)}
        )
        raise ValueError(
            f"design is rank-deficient: columns {involved} are linearly dependent "
            "(drop one of them from the formula)"
        )


def _variance_inflation(
    exog: np.ndarray, term_columns: Mapping[str, list[str]], names: Sequence[str]
) -> pd.DataFrame:
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
            logdet_outside = (
                np.linalg.slogdet(correlation[np.ix_(outside, outside)])[1] if outside else 0.0
            )
            gvif = float(np.exp(logdet_inside + logdet_outside - logdet_all))
            rows.append(
                {
                    "term": term,
                    "gvif": gvif,
                    "df": len(inside),
                    "gvif_adjusted": gvif ** (1 / (2 * len(inside))),
                }
            )
    return pd.DataFrame(rows, columns=["term", "gvif", "df", "gvif_adjusted"]).set_index("term")


# ----------------------------------------------------------------------------------------------
# diagnostics


def _separation_warnings(
    exog: np.ndarray, y: np.ndarray, names: Sequence[str], outcome: str
) -> list[str]:
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
                    "identified (it diverges)"
                )
    return found


def _fit_warnings(
    sm_result,
    se: np.ndarray,
    exog: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    outcome: str,
    caught: list,
    vif: pd.DataFrame,
    newton_failed: bool,
) -> list[str]:
    found: list[str] = []
    kinds = {type(w.message) for w in caught}
    if newton_failed:
        found.append(
            "Newton-Raphson failed (singular Hessian, typical of separation); refitted with BFGS"
        )
    if PerfectSeparationWarning in kinds:
        found.append(
            "perfect separation or prediction detected by statsmodels: some "
            "coefficients are not identified"
        )
    found += _separation_warnings(exog, y, names, outcome)
    if not sm_result.mle_retvals.get("converged", False):
        found.append(
            f"optimiser did not converge in {sm_result.mle_retvals.get('iterations')} iterations"
        )
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
            found.append(
                f"implausibly large standard error for {name} (SE x SD = {value:.3g}): "
                "separation or collinearity"
            )
    collinear = vif[vif["gvif_adjusted"] ** 2 > HIGH_VIF]
    if len(collinear):
        listed = ", ".join(
            f"{term} ({value:.0f})" for term, value in (collinear["gvif_adjusted"] ** 2).items()
        )
        found.append(
            f"near-collinear terms, (generalised) variance inflation > {HIGH_VIF:.0f}: {listed}"
        )
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


@dataclass(frozen=True)
class _LogitEngine:
    """What a logit fit keeps for the functions that reuse it: statsmodels' results and a
    fingerprint of the loans it was fitted on (likelihood-ratio tests refuse other samples)."""

    sm_result: object
    sample_id: int

    def predict(self, data: pd.DataFrame | None = None) -> np.ndarray:
        return np.asarray(
            self.sm_result.predict() if data is None else self.sm_result.predict(data), dtype=float
        )


def fit_logit(
    df: pd.DataFrame,
    rhs: str,
    *,
    outcome: str = OUTCOME,
    cluster: str | None = None,
    alpha: float = 0.05,
    max_iter: int = 100,
) -> FitResult:
    """Fit a logistic regression by maximum likelihood (statsmodels formula API).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan. Missing values in any term raise.
    rhs : str
        Right-hand side in patsy syntax, e.g. ``"fico + C(grade)"``.
    outcome : str
        The 0/1 outcome column.
    cluster : str, optional
        Column whose values define clusters (``"addr_state"``, ``"issue_month"`` …); when given,
        the covariance is cluster-robust (sandwich with the small-sample factor
        ``G/(G-1) * (N-1)/(N-K)``), otherwise the inverse information.
    alpha : float
        1 - confidence level of the intervals.
    max_iter : int
        Newton–Raphson iterations allowed.

    Returns
    -------
    FitResult
        ``model="logit"``, ``link="logit"``; ``summary`` holds log-odds coefficients and odds
        ratios (``exp_*``); ``loglik_null``, ``cov``, ``cov_type``, ``n_clusters``,
        ``term_columns`` are filled, and ``extra`` holds ``pseudo_r2`` (McFadden), ``bic``,
        ``auc`` (in sample) and ``vif`` (generalised variance inflation per term).
        :meth:`~overdue.models.result.FitResult.predict` gives fitted probabilities.

    Raises
    ------
    ValueError
        On a non-0/1 or constant outcome, an unknown column, missing values, or a rank-deficient
        design (the message names the columns).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> loans = pd.DataFrame({"dti": rng.uniform(0, 30, 500), "addr_state": rng.choice(["CA", "NY", "TX"], 500)})
    >>> loans["defaulted"] = (rng.random(500) < 0.1 + 0.005 * loans.dti).astype(int)
    >>> fit = fit_logit(loans, "dti", cluster="addr_state")
    >>> fit.n_clusters, fit.cov_type
    (3, 'cluster')
    >>> any("clusters" in w for w in fit.warnings)
    True
    """
    check_alpha(alpha)
    rhs = check_logit_input(df, rhs, outcome, cluster)
    formula = f"{outcome} ~ {rhs}"
    try:
        model = smf.logit(formula, data=df, missing="raise")
    except (patsy.PatsyError, ValueError) as err:
        raise ValueError(
            f"cannot build the design of {formula!r} (missing='raise')"
            f"{missing_values_detail(df, formula)}: {err}"
        ) from err
    exog = np.asarray(model.exog, dtype=float)
    y = np.asarray(model.endog, dtype=float)
    names = list(model.exog_names)
    _check_rank(exog, names)
    term_columns = _term_columns(model)
    vif = _variance_inflation(exog, term_columns, names)

    fit_options: dict = {"method": "newton", "maxiter": max_iter, "disp": False}
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
    problems += few_clusters_warning(n_clusters, cluster)

    with np.errstate(over="ignore"):  # odds ratios of a separated (diverging) coefficient
        summary = tidy_summary(names, sm_result.params, se, alpha)
    with warnings.catch_warnings():
        # The null model of a separated fit re-raises the same warnings; they are reported above.
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning))
        llnull = float(sm_result.llnull)
    engine = _LogitEngine(sm_result, _sample_id(df.index, y))
    extra = {
        "pseudo_r2": 1.0 - float(sm_result.llf) / llnull,
        "bic": float(sm_result.bic),
        "vif": vif,
    }
    if min(y.sum(), len(y) - y.sum()) >= 2:  # DeLong's variance needs two of each
        extra["auc"] = auc_delong(y, engine.predict()).auc
    nonrobust = getattr(sm_result, "normalized_cov_params", None)
    return FitResult(
        model="logit",
        summary=summary,
        n=int(sm_result.nobs),
        events=int(y.sum()),
        converged=bool(sm_result.mle_retvals.get("converged", False)),
        formula=rhs,
        outcome=outcome,
        loglik=float(sm_result.llf),
        loglik_null=llnull,
        cov=pd.DataFrame(covariance, index=names, columns=names),
        cov_type="cluster" if cluster is not None else "nonrobust",
        cov_nonrobust=None
        if nonrobust is None
        else pd.DataFrame(np.asarray(nonrobust, dtype=float), index=names, columns=names),
        alpha=alpha,
        cluster=cluster,
        n_clusters=n_clusters,
        iterations=sm_result.mle_retvals.get("iterations"),
        link="logit",
        term_columns=term_columns,
        warnings=problems,
        extra=extra,
        _engine=engine,
    )


def _sm_result(result: FitResult):
    if result.model != "logit" or not isinstance(result._engine, _LogitEngine):
        raise ValueError("expected a FitResult from fit_logit")
    return result._engine.sm_result


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
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"dti": rng.uniform(0, 30, 800), "grade": rng.choice(list("ABC"), 800)})
    >>> loans["defaulted"] = (rng.random(800) < 0.05 + 0.005 * loans.dti).astype(int)
    >>> ame = average_marginal_effects(fit_logit(loans, "dti + C(grade)"))
    >>> ame["kind"].to_dict()
    {'C(grade)[T.B]': 'discrete', 'C(grade)[T.C]': 'discrete', 'dti': 'derivative'}
    """
    sm_result = _sm_result(result)
    alpha = result.alpha if alpha is None else alpha
    exog = np.asarray(sm_result.model.exog, dtype=float)
    names = list(sm_result.model.exog_names)
    beta = np.asarray(sm_result.params, dtype=float)
    eta = exog @ beta
    p = 1 / (1 + np.exp(-eta))
    density = p * (1 - p)
    rows, gradients = [], []
    for term, columns in result.term_columns.items():
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
    covariance = result.cov.loc[names, names].to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", jacobian, covariance, jacobian))
    table = tidy_summary([r[0] for r in rows], [r[1] for r in rows], se, alpha)
    table = table[["estimate", "se", "ci_lower", "ci_upper", "z", "p"]].rename(
        columns={"estimate": "ame"}
    )
    table["kind"] = [r[2] for r in rows]
    return table


def lr_test(restricted: FitResult, full: FitResult) -> TestResult:
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
    TestResult
        ``test="likelihood-ratio"``: ``statistic, df, p``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 600), "dti": rng.normal(0, 1, 600)})
    >>> loans["defaulted"] = (rng.random(600) < 1 / (1 + np.exp(1.5 + 0.8 * loans.fico))).astype(int)
    >>> test = lr_test(fit_logit(loans, "dti"), fit_logit(loans, "dti + fico"))
    >>> test.df, bool(test.p < 0.001)
    (1, True)
    """
    for name, fit in (("restricted", restricted), ("full", full)):
        if not isinstance(fit, FitResult):
            raise ValueError(f"{name} must be a FitResult, got {type(fit).__name__}")
    if restricted.n != full.n or (
        getattr(restricted._engine, "sample_id", None) != getattr(full._engine, "sample_id", None)
    ):
        raise ValueError(
            "the models were fitted on different loans; a likelihood-ratio test "
            "needs the same sample (see overdue.models.specs.complete_cases)"
        )
    extra_terms = set(restricted.summary.index) - set(full.summary.index)
    if extra_terms:
        raise ValueError(
            f"models are not nested: the restricted model has terms "
            f"{sorted(extra_terms)} that the full model lacks"
        )
    df = len(full.summary) - len(restricted.summary)
    if df <= 0:
        raise ValueError("the full model must have more coefficients than the restricted one")
    statistic = max(2.0 * (full.loglik - restricted.loglik), 0.0)
    return chi2_test("likelihood-ratio", statistic, df)


def _coefficient_names(result: FitResult, terms: Sequence[str]) -> list[str]:
    term_columns = result.term_columns
    chosen: list[str] = []
    for term in terms:
        if term in result.summary.index:
            chosen.append(term)
            continue
        # Terms written as in a formula are matched through patsy's own spelling of them.
        normalised = term_names(term)[-1]
        if normalised not in term_columns:
            raise ValueError(f"term {term!r} is not in the model (terms: {list(term_columns)})")
        chosen += term_columns[normalised]
    return list(dict.fromkeys(chosen))


def wald_test(result: FitResult, terms: Sequence[str]) -> TestResult:
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
    TestResult
        ``test="Wald"``: ``statistic, df, p``.

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 600), "grade": rng.choice(list("ABC"), 600)})
    >>> loans["defaulted"] = (rng.random(600) < 1 / (1 + np.exp(1.5 + 0.8 * loans.fico))).astype(int)
    >>> wald_test(fit_logit(loans, "fico + C(grade)"), ["C(grade)"]).df
    2
    """
    names = _coefficient_names(result, terms)
    estimate = result.summary.loc[names, "estimate"].to_numpy()
    covariance = result.cov.loc[names, names].to_numpy()
    statistic = float(estimate @ np.linalg.solve(covariance, estimate))
    return chi2_test("Wald", statistic, len(names))


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
    models: Mapping[str, str] | None = None,
    *,
    outcome: str = OUTCOME,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> NestedFits:
    """Fit a nested sequence of logits on the same loans and compare consecutive models.

    Parameters
    ----------
    df : pandas.DataFrame
        Complete for every model (see :func:`overdue.models.specs.complete_cases`).
    models : mapping of str to str, optional
        Ordered name -> right-hand side, each nested in the next; defaults to
        :func:`overdue.models.specs.nested_rhs`.
    outcome : str
        0/1 outcome column.
    cluster : str, optional
        Cluster column for robust covariance (the LR tests still assume independence).
    alpha : float
        1 - confidence level.

    Returns
    -------
    NestedFits

    Examples
    --------
    >>> rng = np.random.default_rng(5)
    >>> loans = pd.DataFrame({"fico": rng.normal(0, 1, 600), "dti": rng.normal(0, 1, 600)})
    >>> loans["defaulted"] = (rng.random(600) < 1 / (1 + np.exp(1.5 + 0.8 * loans.fico))).astype(int)
    >>> nested = fit_nested(loans, {"fico": "fico", "+dti": "fico + dti"})
    >>> nested.table["lr_df"].tolist()
    [nan, 1.0]
    """
    models = nested_rhs() if models is None else dict(models)
    if not models:
        raise ValueError("no models to fit")
    fits = {
        name: fit_logit(df, rhs, outcome=outcome, cluster=cluster, alpha=alpha)
        for name, rhs in models.items()
    }
    rows = []
    previous = None
    for name, fit in fits.items():
        test = lr_test(previous, fit) if previous is not None else None
        rows.append(
            {
                "model": name,
                "n": fit.n,
                "events": fit.events,
                "k": len(fit.summary),
                "loglik": fit.loglik,
                "pseudo_r2": fit.extra["pseudo_r2"],
                "aic": fit.aic,
                "bic": fit.extra["bic"],
                "auc": fit.extra["auc"],
                "lr_stat": test.statistic if test else np.nan,
                "lr_df": test.df if test else np.nan,
                "lr_p": test.p if test else np.nan,
                "converged": fit.converged,
                "n_warnings": len(fit.warnings),
            }
        )
        previous = fit
    return NestedFits(fits, pd.DataFrame(rows).set_index("model"))
