"""Exact out-of-core binomial GLM (logit and complementary log-log links) by streamed IRLS.

The loan-month panel outgrows memory long before the model does: a discrete-time hazard has a
dozen or so coefficients but tens of millions of rows. Iteratively reweighted least squares only
needs, per iteration, the k-by-k matrix ``X'WX``, the k-vector ``X'Wz`` and the log-likelihood,
and all three are sums over rows. So each iteration streams over the partitions, builds the
design matrix of one partition at a time (in blocks of 64k rows), adds its contribution and
forgets it. Peak memory is set by the largest partition (plus one k-vector per cluster for
clustered errors), never by the data; partitions are never concatenated. The estimates are the
same maximum-likelihood estimates an in-memory fit gives (the tests hold them to statsmodels
``GLM`` within 1e-8). benchmarks/bench_irls.py measures time and peak memory on 20 million
loan-months.

Inputs (anything :func:`as_partitions` accepts)
    a pandas DataFrame (one partition), a list of DataFrames, a folder or file of parquet (read
    with :mod:`pyarrow.dataset`, one record batch of at most ``batch_rows`` rows at a time), a
    ``pyarrow.dataset.Dataset``, a dask DataFrame (one partition at a time), or a callable that
    returns a fresh iterable of DataFrames each time it is called (it is called once per pass).

Design matrix
    The formula's right-hand side is turned into columns by patsy. The design is built ONCE,
    before the first iteration, with :func:`patsy.incr_dbuilder`, so that every partition gets
    the same columns in the same order; each pass then evaluates patsy's factors once per
    partition and fills the columns itself, as patsy would (the same floats), without patsy's
    per-block pandas checks, which cost more than the model. Categorical levels must therefore
    be known for the whole data set before fitting. Declare them with
    ``categories={"grade": list("ABCDEFG")}`` (or ``C(grade, levels=[...])`` in the formula):
    each partition's column is then cast to a pandas Categorical with exactly those levels, the
    design is fixed from the first partition alone, and a value outside the declared levels
    raises ValueError. A categorical column you do not declare costs one extra full pass in
    which patsy collects its levels (in pure Python, so slowly), after which it is treated as
    declared; a pandas Categorical coming from a partition is NOT trusted to hold all levels
    (parquet dictionaries and hive partition keys hold only that file's values) and is scanned
    the same way. ``C(x)``, ``C(x, levels=...)`` and, once the design is built, ``C(x,
    Treatment("b"))`` are served by the categorical's codes (patsy's own ``C`` converts row by
    row in Python). Stateful transforms (``center``, ``standardize``, ``bs``, ``cr``) are
    memorised over all partitions by patsy, at the cost of extra passes; prefer explicit knots.

Covariance
    ``nonrobust``: the inverse expected information at the estimate (as R ``glm`` and
    statsmodels ``GLM``). ``cluster``: the CR1 sandwich ``B M B`` with bread ``B`` the inverse
    OBSERVED information (equal to the expected one for the logit link, not for cloglog) and meat
    ``M = sum_g s_g s_g'`` over cluster score sums, times ``G/(G-1) * (N-1)/(N-K)`` - exactly
    statsmodels' ``cov_type="cluster"``. Clusters may span partitions in any order: the score
    sums are accumulated per cluster (keyed by a 64-bit hash of the cluster value) in one array
    of ``n_clusters x k`` floats plus a dict, about 200 MB for a million loans and 12
    coefficients. They are summed in the pass that shows convergence when the step leading to it
    is already below ``tol`` (Newton's usual last step), else in one extra pass after it.

Convergence and problems
    The first step is R's and statsmodels': Fisher scoring from ``mu = (y + 1/2) / 2`` (or from
    ``start_params``), where the working response ``eta + (y - mu) / mu'`` is bounded. A start
    at the overall event share looks cheaper for rare events but is unsafe: its first step is a
    least-squares fit of a working response of about ``1 / share`` for each event, so it moves a
    small cell with many events by about (cell share - share) / share on the linear-predictor
    scale. On the LendingClub panel a 17-row band with 8 events against a 0.5% share moved by
    90, and the deviance of its non-events became ``exp(85)``. The later steps are Newton steps
    with the observed information (identical to Fisher scoring for the logit link; for cloglog,
    Fisher scoring only converges linearly). Both log-likelihoods are concave in the linear
    predictor, so every step points uphill; as in R's ``glm.fit`` (and its ``glm2`` refinement),
    a step after which the deviance is not finite or rises by more than ``tol`` (relative) is
    halved, one pass per halving, at most 10 times. Iterations stop when, after a full step, the
    relative change in deviance, ``|dev - dev_old| / (|dev| + 0.1)``, and the largest parameter
    step, ``max |step_j| / (|beta_j| + 1)``, are both below ``tol``. At scale, ``start_params``
    from a fit on a subsample saves passes.

    A fit that cannot go on - halvings exhausted, sums overflowing at ``start_params`` - stops
    at the last acceptable estimate and says why in ``FitResult.warnings`` instead of raising.
    ``FitResult.warnings`` also says so when the fit did not converge, when fitted probabilities
    are numerically 0 or 1 (separation) and when a coefficient moves the linear predictor by
    more than 20 across its observed range (a level with no events, or only events). A design
    whose columns are linearly dependent (including a declared level absent from the data) and
    infinite values raise ValueError naming the columns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
import scipy.linalg
from scipy import special
from scipy.linalg import blas

from overdue.data.partitions import Partitions, as_partitions
from overdue.models.checks import check_alpha, few_clusters_warning
from overdue.models.design import check_rhs
from overdue.models.result import FitResult, tidy_summary
from overdue.models.streamed_design import (
    CategoricalFactor,
    StreamedDesign,
    build_design,
    projection,
)

__all__ = ["LINKS", "StreamedFit", "fit_glm_irls", "stream_fit"]

LINKS = ("logit", "cloglog")

log = logging.getLogger(__name__)

# A linear-predictor change this large across a covariate's observed range is an odds or hazard
# ratio above e**20 - only separation produces it.
_SEPARATION_ETA_RANGE = 20.0
# Fitted probabilities closer than this to 0 or 1 mean the likelihood is still being pushed
# towards the boundary.
_SATURATION_EPS = 1e-10
# Design matrices are built for this many rows at a time: they are filled column by column, which
# is several times faster while the matrix (64k rows x 15 columns = 8 MB) stays in cache, and the
# weighted copies the sums need stay small next to the partition.
_BLOCK_ROWS = 65_536
# exp(700) is finite; clipping the cloglog linear predictor there keeps every quantity finite and
# moves no fitted probability by more than 1e-300.
_CLOGLOG_ETA_BOUND = 700.0
# Step halvings allowed per iteration. Each costs a pass; on a concave log-likelihood the step
# points uphill, so a step that still raises the deviance after shrinking 1024-fold means the
# quadratic model is useless there (a cloglog event far in the left tail, where the log-likelihood
# is linear and the information vanishes, asks for steps of 1e50).
_MAX_HALVINGS = 10


# ----------------------------------------------------------------------------------- links
def _link_from_mu(mu: np.ndarray, link: str) -> np.ndarray:
    if link == "logit":
        return special.logit(mu)
    return np.log(-np.log1p(-mu))


def _evaluate_link(eta: np.ndarray, y: np.ndarray, link: str):
    """Per-row quantities of the binomial likelihood at linear predictor ``eta``.

    Returns ``mu``, the expected (Fisher) weight ``w = mu'^2 / V``, the score factor
    ``a = mu' / V`` (so the score is ``X' a (y - mu)``), the log-likelihood contributions and
    the observed-information weight ``w - (y - mu) da/deta`` (the same array as ``w`` for the
    canonical logit link). Both log-likelihoods are concave in ``eta``, so the observed weight is
    never negative but for rounding.
    """
    if link == "logit":
        mu = special.expit(eta)
        weight = mu * special.expit(-eta)  # mu (1 - mu) without cancellation near mu = 1
        score_factor = np.ones_like(eta)
        loglik = -np.logaddexp(0.0, np.where(y > 0.5, -eta, eta))
        return mu, weight, score_factor, loglik, weight
    eta = np.clip(eta, -_CLOGLOG_ETA_BOUND, _CLOGLOG_ETA_BOUND)
    cumhaz = np.exp(eta)
    survival = np.exp(-cumhaz)
    mu = -np.expm1(-cumhaz)
    score_factor = cumhaz / mu
    weight = cumhaz * survival * score_factor
    with np.errstate(invalid="ignore", divide="ignore"):
        loglik = np.where(y > 0.5, np.log(mu), -cumhaz)
    d_score_factor = score_factor * (1.0 - cumhaz * survival / mu)
    observed_weight = weight - (y - mu) * d_score_factor
    return mu, weight, score_factor, loglik, observed_weight


# ---------------------------------------------------------------------------- accumulation
@dataclass
class _PassTotals:
    """Sums over all rows of one pass at a fixed parameter vector (see :func:`_stream_pass`)."""

    k: int
    n: int = 0
    events: float = 0.0
    loglik: float = 0.0
    saturated: int = 0
    information: np.ndarray = None
    observed_information: np.ndarray = None
    working_rhs: np.ndarray = None
    column_min: np.ndarray | None = None
    column_max: np.ndarray | None = None
    crossproduct: np.ndarray | None = None

    def __post_init__(self):
        self.information = np.zeros((self.k, self.k))
        self.observed_information = np.zeros((self.k, self.k))
        self.working_rhs = np.zeros(self.k)


class _ClusterScores:
    """Score sums per cluster, over partitions, keyed by a 64-bit hash of the cluster value.

    A dict maps each hash to its row in one growing array of sums: about 100 bytes of dict plus
    ``8 k`` bytes of sums per cluster, and each block only looks up the clusters it holds.
    """

    def __init__(self, k: int):
        self._slot_of: dict[int, int] = {}
        self._sums = np.zeros((1024, k))

    def add(self, keys: pd.Series, scores: np.ndarray) -> None:
        if isinstance(keys.dtype, pd.CategoricalDtype):
            # The same hashes as of the values themselves, one per distinct value.
            hashes = pd.util.hash_array(np.asarray(keys.cat.categories))[keys.cat.codes]
        else:
            hashes = pd.util.hash_array(np.asarray(keys))
        codes, uniques = pd.factorize(hashes)
        sums = np.column_stack(
            [
                np.bincount(codes, weights=scores[:, j], minlength=len(uniques))
                for j in range(scores.shape[1])
            ]
        )
        slot_of = self._slot_of
        # setdefault's default is evaluated before insertion, so a new key gets the next slot.
        slots = np.fromiter(
            (slot_of.setdefault(key, len(slot_of)) for key in uniques.tolist()),
            dtype=np.intp,
            count=len(uniques),
        )
        if len(slot_of) > len(self._sums):
            grown = np.zeros((max(2 * len(self._sums), len(slot_of)), scores.shape[1]))
            grown[: len(self._sums)] = self._sums
            self._sums = grown
        self._sums[slots] += sums

    @property
    def count(self) -> int:
        return len(self._slot_of)

    def meat(self) -> np.ndarray:
        return _crossprod(self._sums[: self.count])


def _crossprod(matrix: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``X' diag(w) X`` for a tall ``X`` through BLAS ``syrk``.

    ``X.T @ X`` calls ``gemm``, whose threads slow it fifty-fold on a busy machine (measured on
    the two shared cores this was written on); ``syrk`` does not, and does half the work. It
    wants ``X`` Fortran-ordered (as :meth:`StreamedDesign.block` builds it): a C-ordered argument would
    be copied, and scaling the contiguous columns is twice as fast as scaling rows.
    Its weights must be non-negative, so negative ones (observed information) get a second call.
    """

    def upper_product(rows):
        return blas.dsyrk(1.0, np.asfortranarray(rows), trans=1)

    if weights is None:
        upper = upper_product(matrix)
    else:
        upper = upper_product(matrix * np.sqrt(np.maximum(weights, 0.0))[:, None])
        if (weights < 0).any():
            upper -= upper_product(matrix * np.sqrt(np.maximum(-weights, 0.0))[:, None])
    return np.triu(upper) + np.triu(upper, 1).T


def _stream_pass(
    parts: Partitions,
    design: StreamedDesign,
    link: str,
    beta: np.ndarray | None,
    cluster: str | None = None,
    ranges: bool = False,
) -> tuple[_PassTotals, _ClusterScores | None]:
    """One pass over the data at ``beta`` (``None``: at the start ``mu = (y + 1/2) / 2``).

    Sums the expected and the observed information and ``working_rhs``, the right-hand side of
    the next step: ``X'(W eta + a (y - mu))`` with ``W`` the Fisher weights at the start (the
    first step of R and statsmodels) and the observed-information weights after it (a Newton
    step). ``cluster`` adds the cluster score sums (the final pass); ``ranges`` the design
    columns' minima, maxima and ``X'X`` (the data do not change, so once).
    """
    k = len(design.terms)
    totals = _PassTotals(k)
    if ranges:
        totals.column_min, totals.column_max = np.full(k, np.inf), np.full(k, -np.inf)
        totals.crossproduct = np.zeros((k, k))
    final = cluster is not None
    if final:
        clusters = _ClusterScores(k)
    extra = [cluster] if final else []
    # A runaway step overflows the sums; the caller sees the non-finite deviance or matrices
    # and halves the step or reports, so numpy's warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        for index, raw in enumerate(
            parts.iter(projection(parts, design, extra), categorical=[*design.categories, *extra])
        ):
            part = design.prepare(raw, index, extra)
            del raw  # prepare copied the needed columns
            if not len(part):
                continue
            y_part = design.response_values(part, index)
            values = design.factor_values(part, index)
            keys = part[cluster] if final else None
            del part
            for start in range(0, len(y_part), _BLOCK_ROWS):
                stop = min(start + _BLOCK_ROWS, len(y_part))
                y, x = y_part[start:stop], design.block(values, start, stop)
                if beta is None:
                    # statsmodels' and R's start: mu = (y + 1/2) / 2, so every eta is finite.
                    eta = _link_from_mu((y + 0.5) / 2.0, link)
                else:
                    eta = x @ beta
                mu, weight, score_factor, loglik, observed_weight = _evaluate_link(eta, y, link)
                totals.n += len(y)
                totals.events += y.sum()
                totals.loglik += loglik.sum()
                saturated = np.minimum(mu, 1.0 - mu) < _SATURATION_EPS
                totals.saturated += int(np.count_nonzero(saturated))
                residual_score = score_factor * (y - mu)
                expected_information = _crossprod(x, weight)
                totals.information += expected_information
                totals.observed_information += (
                    expected_information
                    if observed_weight is weight
                    else _crossprod(x, observed_weight)
                )
                step_weight = weight if beta is None else observed_weight
                # X'Wz with z = eta + a (y - mu) / W: W z = W eta + a (y - mu) needs no division.
                totals.working_rhs += x.T @ (step_weight * eta + residual_score)
                if ranges:
                    np.minimum(totals.column_min, x.min(axis=0), out=totals.column_min)
                    np.maximum(totals.column_max, x.max(axis=0), out=totals.column_max)
                    totals.crossproduct += _crossprod(x)
                if final:
                    clusters.add(keys.iloc[start:stop], x * residual_score[:, None])
    if totals.n == 0:
        raise ValueError(f"{parts.description} holds no rows")
    return totals, (clusters if final else None)


# ------------------------------------------------------------------------------- the solver
def _check_rank(crossproduct: np.ndarray, terms: list[str]) -> None:
    """Raise ValueError naming the columns when the design ``X'X`` is not of full column rank.

    ``X'X`` rather than ``X'WX``: weights that underflow at a poor ``start_params`` would make
    columns look empty.
    """
    diagonal = np.diag(crossproduct)
    overflowing = [term for term, d in zip(terms, diagonal) if not np.isfinite(d)]
    if overflowing:
        raise ValueError(
            f"design column(s) {overflowing} hold values whose squares overflow; rescale them"
        )
    empty = [term for term, d in zip(terms, diagonal) if d <= 0]
    if empty:
        raise ValueError(
            f"design column(s) {empty} are zero in every row (a declared level "
            "that never occurs?); drop the level or the term"
        )
    scale = 1.0 / np.sqrt(diagonal)
    correlation = crossproduct * scale[:, None] * scale[None, :]
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    if eigenvalues[0] < 1e-10 * eigenvalues[-1]:
        loadings = np.abs(eigenvectors[:, 0])
        involved = [term for term, load in zip(terms, loadings) if load > 0.1]
        raise ValueError(f"design columns are linearly dependent: {involved}")


def _solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``matrix^-1 rhs`` for finite sums (:func:`_acceptable` keeps overflowed ones out)."""
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(matrix), rhs)
    except np.linalg.LinAlgError:
        # Weights that vanish under separation make X'WX numerically singular; the minimum-norm
        # solution keeps iterating so that the problem gets reported instead of crashing.
        return np.linalg.lstsq(matrix, rhs, rcond=None)[0]


def _inverse(matrix: np.ndarray) -> np.ndarray:
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(matrix), np.eye(len(matrix)))
    except np.linalg.LinAlgError:
        return np.linalg.pinv(matrix)


def fit_glm_irls(
    data,
    rhs: str,
    *,
    outcome: str,
    link: str = "logit",
    cluster: str | None = None,
    categories: Mapping[str, Sequence] | None = None,
    start_params: Sequence[float] | None = None,
    alpha: float = 0.05,
    max_iter: int = 25,
    tol: float = 1e-10,
    batch_rows: int = 1_000_000,
    eval_env=0,
) -> FitResult:
    """Fit a binary-response GLM by IRLS, streaming over partitions on every iteration.

    Parameters
    ----------
    data : DataFrame, list of DataFrame, parquet path, pyarrow Dataset, dask DataFrame, callable
        The rows, one partition at a time (see :func:`as_partitions`). Never concatenated.
    rhs : str
        Right-hand side in patsy syntax, e.g. ``"x1 + C(grade)"``.
    outcome : str
        The column holding the 0/1 response.
    link : {"logit", "cloglog"}
        Link of the binomial model.
    cluster : str, optional
        Column whose values identify clusters (e.g. the loan ``id`` in a loan-month panel) for
        CR1 cluster-robust standard errors. Clusters may span partitions. ``None``: model-based
        standard errors.
    categories : mapping of str to sequence, optional
        Declared levels of categorical columns, first level the reference. Declaring every
        categorical column lets the design be fixed from the first partition; see the module
        docstring.
    start_params : sequence of float, optional
        Warm start, in the order of the design columns (e.g. from a fit on a subsample);
        saves passes at scale.
    alpha : float
        1 - confidence level of the intervals.
    max_iter : int
        Most IRLS iterations: one pass over the data each, plus one per step halving (at most
        10 an iteration), the start's and the final cluster pass.
    tol : float
        Convergence tolerance on the relative deviance change and on the parameter step.
    batch_rows : int
        Largest partition read from parquet.
    eval_env : int or patsy.EvalEnvironment
        Where the formula's functions are looked up, as in patsy (0: the caller's namespace).

    Returns
    -------
    FitResult
        ``model="glm_logit"`` or ``"glm_cloglog"``; ``summary`` with the requested standard
        errors, ``n`` rows, ``events`` ones in the response, ``loglik`` and ``loglik_null``,
        ``cov``, ``cov_type``, ``cov_nonrobust``, ``n_clusters``, ``iterations``,
        ``step_halvings`` (one pass each); ``extra`` holds ``deviance``, ``passes`` and
        ``seconds``.
    Raises
    ------
    ValueError
        Unknown link, missing or non-0/1 response, missing values, values outside declared
        levels, linearly dependent design columns, unreadable data.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> frame["y"] = (rng.random(2000) < special.expit(-1 + 0.5 * frame["x"])).astype(int)
    >>> halves = [frame.iloc[:1000], frame.iloc[1000:]]
    >>> fit = fit_glm_irls(halves, "x", outcome="y", link="logit")
    >>> fit.converged, fit.params.round(1).tolist()
    (True, [-1.0, 0.5])
    """
    check_alpha(alpha)
    env = patsy.EvalEnvironment.capture(eval_env, reference=1)
    fit = stream_fit(
        data,
        f"{outcome} ~ {check_rhs(rhs, 'fit_glm_irls')}",
        link=link,
        cluster=cluster,
        categories=categories,
        start_params=start_params,
        max_iter=max_iter,
        tol=tol,
        batch_rows=batch_rows,
        eval_env=env,
    )
    return fit.result(f"glm_{link}", rhs.strip(), outcome, alpha)


@dataclass(frozen=True)
class StreamedFit:
    """What :func:`stream_fit` estimated, before it is named and made a :class:`FitResult`
    (the discrete-time hazard renames its baseline terms first)."""

    terms: list[str]
    beta: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    cov_nonrobust: np.ndarray
    n: int
    events: int
    loglik: float
    deviance: float
    converged: bool
    iterations: int
    halvings: int
    passes: int
    link: str
    cluster: str | None
    n_clusters: int | None
    problems: list[str]
    design_info: patsy.DesignInfo
    seconds: float

    def result(
        self,
        model: str,
        formula: str,
        outcome: str,
        alpha: float,
        names: Mapping[str, str] | None = None,
        extra: Mapping | None = None,
    ) -> FitResult:
        """The FitResult, with terms renamed by ``names`` (in the warnings too)."""
        names = dict(names or {})
        terms = [names.get(term, term) for term in self.terms]
        problems = list(self.problems)
        for old, new in names.items():
            problems = [problem.replace(f"'{old}'", f"'{new}'") for problem in problems]
        events, n = self.events, self.n
        # The intercept-only model's maximum: the share of events, whatever the link.
        loglik_null = (
            float(events * np.log(events / n) + (n - events) * np.log1p(-events / n))
            if 0 < events < n
            else 0.0
        )
        return FitResult(
            model=model,
            summary=tidy_summary(terms, self.beta, self.se, alpha),
            n=n,
            events=events,
            converged=self.converged,
            formula=formula,
            outcome=outcome,
            loglik=self.loglik,
            loglik_null=loglik_null,
            cov=pd.DataFrame(self.cov, index=terms, columns=terms),
            cov_type="nonrobust" if self.cluster is None else "cluster",
            cov_nonrobust=pd.DataFrame(self.cov_nonrobust, index=terms, columns=terms),
            alpha=alpha,
            cluster=self.cluster,
            n_clusters=self.n_clusters,
            iterations=self.iterations,
            step_halvings=self.halvings,
            link=self.link,
            warnings=problems,
            extra={
                "deviance": self.deviance,
                "passes": self.passes,
                "seconds": self.seconds,
                **(extra or {}),
            },
            _engine=self.design_info,
        )


def stream_fit(
    data,
    formula: str,
    *,
    link: str,
    cluster: str | None,
    categories: Mapping[str, Sequence] | None,
    start_params: Sequence[float] | None,
    max_iter: int,
    tol: float,
    batch_rows: int,
    eval_env: patsy.EvalEnvironment,
) -> StreamedFit:
    """The IRLS fit behind :func:`fit_glm_irls` of ``formula`` (``"y ~ rhs"``), unnamed."""
    if link not in LINKS:
        raise ValueError(f"link must be one of {LINKS}, got {link!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter}")
    started = time.perf_counter()
    # An outer namespace, so that a C() the caller defines still wins, as does patsy's own
    # when the caller imported it.
    categorical = CategoricalFactor()
    env = eval_env.with_outer_namespace({"C": categorical})
    parts = as_partitions(data, batch_rows=batch_rows)
    design = build_design(formula, parts, categories, env)
    categorical.design_fixed = True
    terms = design.terms
    k = len(terms)
    if cluster is not None:
        if not isinstance(cluster, str):
            raise ValueError(f"cluster must be a column name, got {cluster!r}")
        if parts.columns is not None and cluster not in parts.columns:
            raise ValueError(f"cluster column {cluster!r} not found in the data")

    run = _run_irls(
        parts, design, link, _start_params(start_params, k), max_iter, tol, started, cluster
    )
    passes, totals, deviance = run.passes, run.final.totals, run.final.deviance
    beta = run.final.beta if run.final.beta is not None else np.full(k, np.nan)
    n_clusters = None
    if run.broke_down:
        cov_nonrobust = cov = np.full((k, k), np.nan)
    else:
        cov_nonrobust = _inverse(totals.information)
    if cluster is not None and not run.broke_down:
        clusters = run.final.clusters
        if clusters is None:
            totals, clusters = _stream_pass(parts, design, link, beta, cluster=cluster)
            passes += 1
        n_clusters = clusters.count
        if n_clusters < 2:
            raise ValueError(
                f"cluster column {cluster!r} has {n_clusters} distinct value(s); "
                "cluster-robust errors need at least 2"
            )
        bread = _inverse(totals.observed_information)
        correction = n_clusters / (n_clusters - 1.0) * (totals.n - 1.0) / (totals.n - k)
        cov = correction * bread @ clusters.meat() @ bread
    elif not run.broke_down:
        cov = cov_nonrobust

    # A numerically singular information (separation) can leave negative variances: NaN then.
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(cov))
    problems = _diagnose(run, max_iter, totals, beta, se, terms) + few_clusters_warning(
        n_clusters, cluster
    )
    for problem in problems:
        log.warning("%s", problem)
    return StreamedFit(
        terms,
        beta,
        se,
        cov,
        cov_nonrobust,
        totals.n,
        int(totals.events),
        totals.loglik,
        deviance,
        run.converged,
        run.iterations,
        run.halvings,
        passes,
        link,
        cluster,
        n_clusters,
        problems,
        design.design_info,
        time.perf_counter() - started,
    )


def _start_params(start_params, k: int) -> np.ndarray | None:
    """The caller's starting values, checked; ``None`` for the start ``mu = (y + 1/2) / 2``."""
    if start_params is None:
        return None
    beta = np.asarray(start_params, dtype=float)
    if beta.shape != (k,):
        raise ValueError(
            f"start_params must have {k} values (one per design column), got shape {beta.shape}"
        )
    return beta


@dataclass
class _Iterate:
    """An estimate (``None``: the start ``mu = (y + 1/2) / 2``) and the pass evaluated at it."""

    beta: np.ndarray | None
    totals: _PassTotals
    deviance: float
    clusters: _ClusterScores | None = None


@dataclass
class _IrlsRun:
    """How the iterations went: the estimate to report and why they stopped."""

    final: _Iterate | None = None
    converged: bool = False
    iterations: int = 0
    halvings: int = 0
    passes: int = 0
    column_range: np.ndarray | None = None
    stop_reason: str | None = None
    broke_down: bool = False  # no estimate with finite sums was reached: no standard errors


def _run_irls(
    parts: Partitions,
    design: StreamedDesign,
    link: str,
    beta: np.ndarray | None,
    max_iter: int,
    tol: float,
    started: float,
    cluster: str | None = None,
) -> _IrlsRun:
    """Fisher scoring, then Newton steps, halved when needed (module docstring, "Convergence").

    Returns at convergence, after ``max_iter`` updates, or - with ``stop_reason`` - when no
    acceptable step can be found; it never raises on a numerical breakdown. With ``cluster``,
    a pass whose full step is already below ``tol`` - the pass that will most likely show
    convergence - also sums the cluster scores, which saves the separate cluster pass.
    """
    run = _IrlsRun()
    accepted = None  # the last _Iterate whose deviance was acceptable
    halvings = 0  # of the current step
    while True:
        likely_last = (
            cluster is not None
            and accepted is not None
            and halvings == 0
            and _step_size(beta, accepted.beta) < tol
        )
        totals, clusters = _stream_pass(
            parts,
            design,
            link,
            beta,
            ranges=run.passes == 0,
            cluster=cluster if likely_last else None,
        )
        run.passes += 1
        current = _Iterate(beta, totals, -2.0 * totals.loglik, clusters)
        if run.passes == 1:
            _check_rank(totals.crossproduct, design.terms)
            run.column_range = totals.column_max - totals.column_min
        acceptable = beta is None or _acceptable(current, accepted, tol)
        log.info(
            "irls pass %d: deviance %.10g%s (%.1f s)",
            run.passes,
            current.deviance,
            "" if acceptable else ", step halved",
            time.perf_counter() - started,
        )
        if not acceptable:
            if accepted is None:
                where = "start_params" if run.iterations == 0 else "the first IRLS iterate"
                run.stop_reason = (
                    f"the fit breaks down numerically at {where} (deviance "
                    f"{current.deviance:.4g}); give start_params nearer the "
                    "estimate or rescale covariates"
                )
                run.final, run.broke_down = current, True
                return run
            if halvings == _MAX_HALVINGS:
                kept = (
                    "start_params" if run.iterations == 1 else f"iteration {run.iterations - 1}'s"
                )
                run.stop_reason = (
                    f"IRLS stopped at iteration {run.iterations}: its step still "
                    f"raised the deviance (to {current.deviance:.4g}) after "
                    f"{_MAX_HALVINGS} halvings; the estimates are {kept}, "
                    f"deviance {accepted.deviance:.10g}"
                )
                run.final = accepted
                return run
            halvings += 1
            run.halvings += 1
            beta = (beta + accepted.beta) / 2.0
            continue
        if beta is not None:
            # A halved step is short by construction, so it cannot show convergence.
            if accepted is not None and halvings == 0 and _converged(current, accepted, tol):
                run.converged, run.final = True, current
                return run
            accepted = current
        halvings = 0
        if run.iterations == max_iter:
            run.final = current
            return run
        # Fisher scoring from the start, Newton after: for cloglog, Fisher scoring converges
        # only linearly (a factor 0.14 a pass on the LendingClub panel: 16 passes, Newton 11).
        step_matrix = totals.information if beta is None else totals.observed_information
        beta = _solve(step_matrix, totals.working_rhs)
        run.iterations += 1


def _acceptable(current: _Iterate, accepted: _Iterate | None, tol: float) -> bool:
    """Finite sums, and a deviance no more than ``tol`` (relative) above the last accepted one.

    The allowance is relative, as in the convergence test, so that rounding in the sums near
    the maximum does not trigger halvings. The start ``mu = (y + 1/2) / 2`` always has finite
    sums: its weights are below 1 and ``X'X`` is finite (:func:`_check_rank`).
    """
    totals = current.totals
    finite = (
        np.isfinite(current.deviance)
        and np.isfinite(totals.working_rhs).all()
        and np.isfinite(totals.information).all()
        and np.isfinite(totals.observed_information).all()
    )
    if not finite:
        return False
    return (
        accepted is None
        or (current.deviance - accepted.deviance) / (abs(current.deviance) + 0.1) <= tol
    )


def _step_size(beta: np.ndarray, previous: np.ndarray) -> float:
    return float(np.max(np.abs(beta - previous) / (np.abs(beta) + 1.0)))


def _converged(current: _Iterate, previous: _Iterate, tol: float) -> bool:
    deviance_change = abs(current.deviance - previous.deviance) / (abs(current.deviance) + 0.1)
    return deviance_change < tol and _step_size(current.beta, previous.beta) < tol


def _diagnose(
    run: _IrlsRun,
    max_iter: int,
    totals: _PassTotals,
    beta: np.ndarray,
    se: np.ndarray,
    terms: list[str],
) -> list[str]:
    """Human-readable warnings: non-convergence and the symptoms of separation."""
    problems = []
    if not run.converged:
        problems.append(run.stop_reason or f"IRLS did not converge in {max_iter} iterations")
    if totals.saturated:
        problems.append(
            f"{totals.saturated} of {totals.n} rows have fitted probabilities "
            "numerically 0 or 1: (quasi-)complete separation, estimates may be "
            "infinite"
        )
    with np.errstate(invalid="ignore"):
        eta_range = np.abs(beta) * run.column_range
    for term, moves, estimate, error in zip(terms, eta_range, beta, se):
        if moves > _SEPARATION_ETA_RANGE and term != "Intercept":
            problems.append(
                f"term {term!r} has estimate {estimate:.3g} (SE {error:.3g}), "
                "a separation symptom: a level or range with no events, or only "
                "events"
            )
    return problems
