"""How much of default each factor family explains.

Three complementary answers, all on one common sample of loans:

- :func:`drop_one_lr` — does a family matter given the other three? Likelihood-ratio test of the
  full model against the model without the family (and a joint Wald test, cluster-robust when
  asked).
- :func:`drop_one_auc` — does a family help predict later loans? Change in out-of-time AUC when
  it is dropped, with a paired DeLong interval.
- :func:`shapley_pseudo_r2` — how is the explained variation shared? Shapley decomposition of
  McFadden's pseudo-R² over the families: every subset of families is fitted (the empty one is the
  intercept-only model) and each family gets its average marginal contribution over all orders of
  entry, so the shares add up to the full model's pseudo-R² exactly, whatever the correlation
  between families. Bootstrap intervals resample loans, or whole clusters.

:func:`attribute` runs all three and joins them into one table per family.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> loans = pd.DataFrame({"fico": rng.normal(size=3000), "dti": rng.normal(size=3000)})
>>> loans["defaulted"] = (rng.random(3000) < 1 / (1 + np.exp(1.5 + loans.fico))).astype(int)
>>> result = shapley_pseudo_r2(loans, {"credit": ["fico"], "capacity": ["dti"]}, n_boot=0)
>>> bool(result.table.loc["credit", "shapley"] > 20 * abs(result.table.loc["capacity", "shapley"]))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
import patsy
from scipy import special

from overdue.models.assessment import compare_auc_delong
from overdue.models.checks import FEW_CLUSTERS, check_cluster
from overdue.models.design import term_names
from overdue.models.logit import fit_logit, lr_test, wald_test
from overdue.models.specs import FAMILIES, OUTCOME, rhs
from overdue.models.validation import out_of_time_auc

# ----------------------------------------------------------------------------------------------
# the design shared by every subset fit


@dataclass
class FamilyDesign:
    """The full model's design matrix, with the columns that belong to each family.

    Built once so that every subset model (and every bootstrap replicate) is a column selection
    of the same matrix: the subsets are then fitted on exactly the same loans and codings.

    Attributes
    ----------
    exog : numpy.ndarray
        Design matrix, intercept first, other columns standardised (which leaves every
        log-likelihood unchanged, since each model keeps the intercept, and helps Newton's method).
    y : numpy.ndarray
        0/1 outcome.
    columns : list of str
        Column names.
    family_columns : dict of str to numpy.ndarray
        Column positions of each family.
    index : pandas.Index
        Rows of the data used.
    """

    exog: np.ndarray
    y: np.ndarray
    columns: list[str]
    family_columns: dict[str, np.ndarray]
    index: pd.Index

    def subset_columns(self, families) -> np.ndarray:
        """Intercept plus the columns of the given families."""
        chosen = [self.family_columns[name] for name in families]
        return np.concatenate([[0], *chosen]).astype(int)


def _check_families(families: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    if not isinstance(families, Mapping) or len(families) < 1:
        raise ValueError("families must be a non-empty mapping of name -> list of terms")
    checked = {}
    for name, terms in families.items():
        if isinstance(terms, str) or len(terms) == 0:
            raise ValueError(f"family '{name}' must be a non-empty list of terms, got {terms!r}")
        checked[str(name)] = list(terms)
    owner: dict[str, str] = {}
    for name, terms in checked.items():
        for term in terms:
            for term_name in term_names(term):
                if term_name in owner:
                    raise ValueError(
                        f"term {term_name!r} is in families '{owner[term_name]}' "
                        f"and '{name}'; families must not share terms"
                    )
                owner[term_name] = name
    return checked


def family_design(
    df: pd.DataFrame,
    families: Mapping[str, Sequence[str]] = FAMILIES,
    outcome: str = OUTCOME,
) -> FamilyDesign:
    """Build the full model's design and map each family to its columns.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans, complete for the full model (see :func:`overdue.models.specs.complete_cases`).
    families : mapping of str to sequence of str
        Family name -> formula terms.
    outcome : str
        0/1 outcome column.

    Returns
    -------
    FamilyDesign

    Examples
    --------
    >>> frame = pd.DataFrame({"defaulted": [0, 1, 0, 1], "a": [1., 2., 3., 5.], "g": list("xyxy")})
    >>> design = family_design(frame, {"one": ["a"], "two": ["C(g)"]})
    >>> design.columns, design.family_columns["two"].tolist()
    (['Intercept', 'C(g)[T.y]', 'a'], [1])
    """
    families = _check_families(families)
    full_formula = f"{outcome} ~ {rhs(list(families), family_terms=families)}"
    if outcome not in df.columns:
        raise ValueError(f"outcome column '{outcome}' is not in the data frame")
    if df[outcome].isna().any() or not set(pd.unique(df[outcome])) <= {0, 1}:
        raise ValueError(f"outcome column '{outcome}' must be 0/1 without missing values")
    try:
        response, design = patsy.dmatrices(
            full_formula, df, NA_action="raise", return_type="dataframe"
        )
    except patsy.PatsyError as err:
        raise ValueError(
            f"cannot build the design of {full_formula!r} (missing values? use "
            f"overdue.models.specs.complete_cases first): {err}"
        ) from err
    slices = design.design_info.term_name_slices
    family_columns = {}
    for name, terms in families.items():
        positions = [
            np.arange(design.shape[1])[slices[t]] for term in terms for t in term_names(term)
        ]
        family_columns[name] = np.concatenate(positions)
    exog = design.to_numpy(dtype=float)
    if design.columns[0] != "Intercept":
        raise ValueError("the design must start with an intercept")
    spread = exog[:, 1:].std(axis=0)
    constant = [design.columns[j + 1] for j in np.flatnonzero(spread == 0)]
    if constant:
        raise ValueError(f"design columns {constant} are constant in the data")
    exog[:, 1:] = (exog[:, 1:] - exog[:, 1:].mean(axis=0)) / spread
    return FamilyDesign(
        exog, response.to_numpy()[:, 0], list(design.columns), family_columns, design.index
    )


# ----------------------------------------------------------------------------------------------
# fast weighted logit (log-likelihood only), for the 2^k subsets and their bootstrap replicates


def _log_likelihood(
    exog: np.ndarray, y: np.ndarray, weights: np.ndarray, beta: np.ndarray
) -> float:
    eta = exog @ beta
    return float(weights @ (y * eta - np.logaddexp(0.0, eta)))


def _fit_loglik(
    exog: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    start: np.ndarray | None = None,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> tuple[float, np.ndarray, bool]:
    """Maximise a frequency-weighted logit log-likelihood by damped Newton–Raphson.

    Returns the maximum log-likelihood, the coefficients and whether it converged. Step halving
    keeps every step uphill; a singular Hessian (a bootstrap sample can leave a dummy all-zero)
    falls back to the least-squares step, so the log-likelihood still reaches its supremum.
    """
    beta = np.zeros(exog.shape[1]) if start is None else start.copy()
    if start is None:
        rate = np.clip((weights @ y) / weights.sum(), 1e-12, 1 - 1e-12)
        beta[0] = np.log(rate / (1 - rate))
    loglik = _log_likelihood(exog, y, weights, beta)
    for _ in range(maxiter):
        p = special.expit(exog @ beta)
        gradient = exog.T @ (weights * (y - p))
        hessian = (exog * (weights * p * (1 - p))[:, None]).T @ exog
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        for _ in range(30):
            candidate = _log_likelihood(exog, y, weights, beta + step)
            if candidate >= loglik - 1e-12 * abs(loglik):
                break
            step = step / 2
        else:
            return loglik, beta, False
        beta = beta + step
        improvement = candidate - loglik
        loglik = candidate
        if improvement <= tol * abs(loglik) and np.abs(gradient @ step) <= tol * abs(loglik):
            return loglik, beta, True
    return loglik, beta, False


def _null_loglik(y: np.ndarray, weights: np.ndarray) -> float:
    events, total = weights @ y, weights.sum()
    rate = events / total
    return float(events * np.log(rate) + (total - events) * np.log1p(-rate))


def _subset_logliks(
    design: FamilyDesign, weights: np.ndarray, starts: Mapping[frozenset, np.ndarray] | None = None
) -> tuple[dict[frozenset, float], dict[frozenset, np.ndarray], int]:
    names = list(design.family_columns)
    logliks: dict[frozenset, float] = {frozenset(): _null_loglik(design.y, weights)}
    coefficients: dict[frozenset, np.ndarray] = {}
    not_converged = 0
    for size in range(1, len(names) + 1):
        for subset in combinations(names, size):
            key = frozenset(subset)
            columns = design.subset_columns(subset)
            loglik, beta, converged = _fit_loglik(
                design.exog[:, columns],
                design.y,
                weights,
                start=None if starts is None else starts[key],
            )
            logliks[key], coefficients[key] = loglik, beta
            not_converged += not converged
    return logliks, coefficients, not_converged


# ----------------------------------------------------------------------------------------------
# Shapley decomposition


def shapley_values(value: Mapping[frozenset, float], players: Sequence[str]) -> dict[str, float]:
    """Exact Shapley values of a cooperative game given the value of every coalition.

    ``phi_j = sum over S not containing j of |S|! (n - |S| - 1)! / n! * (v(S + j) - v(S))``.
    They add up to ``v(all) - v(empty)``, give interchangeable players equal values, and give a
    player that never changes the value zero.

    Parameters
    ----------
    value : mapping of frozenset to float
        Value of each of the ``2 ** n`` coalitions.
    players : sequence of str

    Returns
    -------
    dict of str to float

    Examples
    --------
    >>> v = {frozenset(): 0, frozenset("a"): 1, frozenset("b"): 2, frozenset("ab"): 4}
    >>> shapley_values(v, ["a", "b"])
    {'a': 1.5, 'b': 2.5}
    """
    players = list(players)
    n = len(players)
    missing = [
        set(s)
        for size in range(n + 1)
        for s in combinations(players, size)
        if frozenset(s) not in value
    ]
    if missing:
        raise ValueError(f"values missing for coalitions {missing[:3]}")
    result = {}
    for player in players:
        others = [p for p in players if p != player]
        total = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for coalition in combinations(others, size):
                key = frozenset(coalition)
                total += weight * (value[key | {player}] - value[key])
        result[player] = total
    return result


def _pseudo_r2_shapley(
    logliks: Mapping[frozenset, float], players: Sequence[str]
) -> tuple[dict[str, float], dict[frozenset, float]]:
    null = logliks[frozenset()]
    r2 = {key: 1.0 - loglik / null for key, loglik in logliks.items()}
    return shapley_values(r2, players), r2


@dataclass
class ShapleyResult:
    """Shapley decomposition of McFadden's pseudo-R² over factor families.

    Attributes
    ----------
    table : pandas.DataFrame
        Per family: ``shapley`` (pseudo-R² points), ``share`` (of the full pseudo-R²),
        ``ci_lower, ci_upper`` (bootstrap percentile interval of ``shapley``; NaN without
        bootstrap).
    subsets : pandas.DataFrame
        Every subset fit: ``k`` (coefficients), ``loglik``, ``pseudo_r2``.
    full_r2 : float
        The full model's pseudo-R² (the sum of ``shapley``).
    full_r2_ci : tuple of float
        Its bootstrap percentile interval.
    boot : pandas.DataFrame
        Bootstrap replicates of the Shapley values (one row each).
    n : int
        Loans.
    warnings : list of str
    """

    table: pd.DataFrame
    subsets: pd.DataFrame
    full_r2: float
    full_r2_ci: tuple[float, float]
    boot: pd.DataFrame
    n: int
    warnings: list[str] = field(default_factory=list)


def _bootstrap_weights(
    n_rows: int, rng: np.random.Generator, cluster_codes: np.ndarray | None
) -> np.ndarray:
    if cluster_codes is None:
        return np.bincount(rng.integers(0, n_rows, n_rows), minlength=n_rows).astype(float)
    n_clusters = cluster_codes.max() + 1
    times_drawn = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
    return times_drawn[cluster_codes].astype(float)


def _cluster_codes(df: pd.DataFrame, design: FamilyDesign, cluster: str | None):
    if cluster is None:
        return None
    check_cluster(df.loc[design.index], cluster)
    return pd.factorize(df.loc[design.index, cluster])[0]


def shapley_pseudo_r2(
    df: pd.DataFrame,
    families: Mapping[str, Sequence[str]] = FAMILIES,
    outcome: str = OUTCOME,
    n_boot: int = 50,
    seed: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> ShapleyResult:
    """Shapley decomposition of McFadden's pseudo-R² over factor families, with bootstrap CIs.

    Fits all ``2 ** k`` subsets of the ``k`` families by maximum likelihood on the same loans.
    The value of a subset is its pseudo-R² ``1 - loglik / loglik_null``; the empty subset is the
    intercept-only model, whose pseudo-R² is 0, so the shares add up to the full model's
    pseudo-R² exactly.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans, complete for the full model.
    families : mapping of str to sequence of str
        Family name -> terms; defaults to :data:`overdue.models.specs.FAMILIES`.
    outcome : str
        0/1 outcome column.
    n_boot : int
        Bootstrap replicates (each refits every subset; 0 for none).
    seed : int
        Seed of the bootstrap.
    cluster : str, optional
        Resample whole clusters of this column (e.g. ``addr_state``) instead of loans.
    alpha : float
        1 - confidence level of the percentile intervals.

    Returns
    -------
    ShapleyResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> loans = pd.DataFrame({"fico": rng.normal(size=2000), "dti": rng.normal(size=2000)})
    >>> loans["defaulted"] = (rng.random(2000) < 1 / (1 + np.exp(1.5 + loans.fico - 0.5 * loans.dti))).astype(int)
    >>> result = shapley_pseudo_r2(loans, {"a": ["fico"], "b": ["dti"]}, n_boot=20)
    >>> bool(np.isclose(result.table["shapley"].sum(), result.full_r2))
    True
    """
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    design = family_design(df, families, outcome)
    cluster_codes = _cluster_codes(df, design, cluster)
    players = list(design.family_columns)
    weights = np.ones(len(design.y))
    logliks, coefficients, not_converged = _subset_logliks(design, weights)
    shapley, r2 = _pseudo_r2_shapley(logliks, players)
    problems = []
    if not_converged:
        problems.append(f"{not_converged} subset fits did not converge")

    replicates = []
    failed = 0
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        boot_weights = _bootstrap_weights(len(design.y), rng, cluster_codes)
        boot_logliks, _, boot_not_converged = _subset_logliks(design, boot_weights, coefficients)
        failed += boot_not_converged > 0
        boot_shapley, boot_r2 = _pseudo_r2_shapley(boot_logliks, players)
        replicates.append({**boot_shapley, "full_r2": boot_r2[frozenset(players)]})
    boot = pd.DataFrame(replicates, columns=[*players, "full_r2"])
    if failed:
        problems.append(
            f"{failed} of {n_boot} bootstrap replicates had a subset fit that did "
            "not converge (separation in the resample)"
        )
    if cluster_codes is not None and cluster_codes.max() + 1 < FEW_CLUSTERS:
        problems.append(f"only {cluster_codes.max() + 1} clusters of '{cluster}' to resample")

    full_r2 = r2[frozenset(players)]
    bounds = [alpha / 2, 1 - alpha / 2]
    ci = (
        boot[players].quantile(bounds).T.to_numpy()
        if n_boot
        else np.full((len(players), 2), np.nan)
    )
    table = pd.DataFrame(
        {
            "shapley": [shapley[p] for p in players],
            "share": [shapley[p] / full_r2 for p in players],
            "ci_lower": ci[:, 0],
            "ci_upper": ci[:, 1],
        },
        index=pd.Index(players, name="family"),
    )
    subsets = pd.DataFrame(
        [
            {
                "families": "+".join(p for p in players if p in key) or "(intercept only)",
                "n_families": len(key),
                "k": len(design.subset_columns([p for p in players if p in key])),
                "loglik": logliks[key],
                "pseudo_r2": r2[key],
            }
            for key in logliks
        ]
    ).set_index("families")
    full_ci = tuple(boot["full_r2"].quantile(bounds)) if n_boot else (np.nan, np.nan)
    return ShapleyResult(table, subsets, full_r2, full_ci, boot, len(design.y), problems)


# ----------------------------------------------------------------------------------------------
# drop-one tests


def drop_one_lr(
    df: pd.DataFrame,
    families: Mapping[str, Sequence[str]] = FAMILIES,
    outcome: str = OUTCOME,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Test each family given the others: the full model against the model without it.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans, complete for the full model.
    families : mapping of str to sequence of str
        Family name -> terms.
    outcome : str
        0/1 outcome column.
    cluster : str, optional
        Cluster column: the Wald test then uses the cluster-robust covariance. The LR test
        assumes independent loans either way.

    Returns
    -------
    pandas.DataFrame
        Per family: ``df`` (coefficients dropped), ``lr_stat, lr_p, wald_stat, wald_p``,
        ``loglik_without``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"fico": rng.normal(size=1000), "dti": rng.normal(size=1000)})
    >>> loans["defaulted"] = (rng.random(1000) < 1 / (1 + np.exp(1.5 + loans.fico))).astype(int)
    >>> drop_one_lr(loans, {"a": ["fico"], "b": ["dti"]})["df"].tolist()
    [1, 1]
    """
    families = _check_families(families)
    if len(families) < 2:
        raise ValueError("drop-one tests need at least two families")
    names = list(families)
    full = fit_logit(df, rhs(names, family_terms=families), outcome=outcome, cluster=cluster)
    rows = []
    for name in names:
        without = fit_logit(
            df,
            rhs([n for n in names if n != name], family_terms=families),
            outcome=outcome,
            cluster=cluster,
        )
        lr = lr_test(without, full)
        wald = wald_test(full, families[name])
        rows.append(
            {
                "family": name,
                "df": lr.df,
                "lr_stat": lr.statistic,
                "lr_p": lr.p,
                "wald_stat": wald.statistic,
                "wald_p": wald.p,
                "loglik_without": without.loglik,
            }
        )
    return pd.DataFrame(rows).set_index("family")


def drop_one_auc(
    df: pd.DataFrame,
    families: Mapping[str, Sequence[str]] = FAMILIES,
    outcome: str = OUTCOME,
    cutoff="2010-12",
    date_col: str = "issue_d",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Change in out-of-time AUC when each family is dropped (paired DeLong interval).

    Every model is fitted on loans issued up to the cutoff month and scored on the later ones;
    the full and the reduced model are compared on the same test loans.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans, complete for the full model.
    families : mapping of str to sequence of str
        Family name -> terms.
    outcome : str
        0/1 outcome column.
    cutoff : str
        Last issue month of the training period.
    date_col : str
        Issue date column.
    alpha : float
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        Per family: ``auc_full, auc_without, delta_auc`` (full minus without: the family's
        contribution), ``se, ci_lower, ci_upper, p``.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> loans = pd.DataFrame({"fico": rng.normal(size=2000), "dti": rng.normal(size=2000),
    ...                       "issue_d": pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 700, 2000), "D")})
    >>> loans["defaulted"] = (rng.random(2000) < 1 / (1 + np.exp(1.5 + loans.fico))).astype(int)
    >>> table = drop_one_auc(loans, {"a": ["fico"], "b": ["dti"]})
    >>> bool(table.loc["a", "ci_lower"] > 0.1), bool(table.loc["b", "ci_lower"] < 0 < table.loc["b", "ci_upper"])
    (True, True)
    """
    families = _check_families(families)
    if len(families) < 2:
        raise ValueError("drop-one comparisons need at least two families")
    names = list(families)

    def validate(chosen):
        return out_of_time_auc(
            df,
            rhs(chosen, family_terms=families),
            outcome=outcome,
            cutoff=cutoff,
            date_col=date_col,
            alpha=alpha,
        )

    full = validate(names)
    rows = []
    for name in names:
        without = validate([n for n in names if n != name])
        difference = compare_auc_delong(full.y, full.p, without.p, alpha)
        rows.append(
            {
                "family": name,
                "auc_full": full.auc.auc,
                "auc_without": without.auc.auc,
                "delta_auc": difference.estimate,
                "se": difference.se,
                "ci_lower": difference.ci_lower,
                "ci_upper": difference.ci_upper,
                "p": difference.p,
            }
        )
    return pd.DataFrame(rows).set_index("family")


@dataclass
class Attribution:
    """The three attributions of default to factor families, and one table joining them.

    Attributes
    ----------
    lr : pandas.DataFrame
        :func:`drop_one_lr`.
    auc : pandas.DataFrame
        :func:`drop_one_auc`.
    shapley : ShapleyResult
        :func:`shapley_pseudo_r2`.
    table : pandas.DataFrame
        Per family: ``df, lr_stat, lr_p, wald_p, delta_auc, delta_auc_ci_lower,
        delta_auc_ci_upper, shapley_r2, shapley_ci_lower, shapley_ci_upper, shapley_share``.
    """

    lr: pd.DataFrame
    auc: pd.DataFrame
    shapley: ShapleyResult
    table: pd.DataFrame


def attribute(
    df: pd.DataFrame,
    families: Mapping[str, Sequence[str]] = FAMILIES,
    outcome: str = OUTCOME,
    cutoff="2010-12",
    date_col: str = "issue_d",
    cluster: str | None = None,
    n_boot: int = 50,
    seed: int = 0,
    alpha: float = 0.05,
) -> Attribution:
    """Drop-one LR tests, drop-one out-of-time AUC and the Shapley pseudo-R² decomposition.

    Parameters
    ----------
    df : pandas.DataFrame
        Loans, complete for the full model (see :func:`overdue.models.specs.complete_cases`).
    families : mapping of str to sequence of str
        Family name -> terms.
    outcome : str
        0/1 outcome column.
    cutoff, date_col : str
        Out-of-time split (see :func:`drop_one_auc`).
    cluster : str, optional
        Cluster column: cluster-robust Wald tests and a cluster bootstrap.
    n_boot, seed : int
        Bootstrap of the Shapley shares.
    alpha : float
        1 - confidence level.

    Returns
    -------
    Attribution

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> loans = pd.DataFrame({"fico": rng.normal(size=2000), "dti": rng.normal(size=2000),
    ...                       "issue_d": pd.to_datetime("2010-01-01") + pd.to_timedelta(rng.integers(0, 700, 2000), "D")})
    >>> loans["defaulted"] = (rng.random(2000) < 1 / (1 + np.exp(1.5 + loans.fico))).astype(int)
    >>> attribute(loans, {"a": ["fico"], "b": ["dti"]}, n_boot=10).table.shape
    (2, 11)
    """
    lr = drop_one_lr(df, families, outcome, cluster)
    auc = drop_one_auc(df, families, outcome, cutoff, date_col, alpha)
    shapley = shapley_pseudo_r2(df, families, outcome, n_boot, seed, cluster, alpha)
    table = pd.DataFrame(
        {
            "df": lr["df"],
            "lr_stat": lr["lr_stat"],
            "lr_p": lr["lr_p"],
            "wald_p": lr["wald_p"],
            "delta_auc": auc["delta_auc"],
            "delta_auc_ci_lower": auc["ci_lower"],
            "delta_auc_ci_upper": auc["ci_upper"],
            "shapley_r2": shapley.table["shapley"],
            "shapley_ci_lower": shapley.table["ci_lower"],
            "shapley_ci_upper": shapley.table["ci_upper"],
            "shapley_share": shapley.table["share"],
        }
    )
    return Attribution(lr, auc, shapley, table)
