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
    the same columns in the same order. Categorical levels must therefore be known for the whole
    data set before fitting. Declare them with ``categories={"grade": list("ABCDEFG")}`` (or
    ``C(grade, levels=[...])`` in the formula): each partition's column is then cast to a pandas
    Categorical with exactly those levels, the design is fixed from the first partition alone,
    and a value outside the declared levels raises ValueError. A categorical column you do not
    declare costs one extra full pass in which patsy collects its levels (in pure Python, so
    slowly), after which it is treated as declared; a pandas Categorical coming from a partition
    is NOT trusted to hold all levels (parquet dictionaries and hive partition keys hold only
    that file's values) and is scanned the same way. ``C(x)`` and ``C(x, levels=...)`` are
    served by the categorical's codes (patsy's own ``C`` converts row by row in Python); a
    contrast, ``C(x, Treatment("b"))``, goes through patsy. Stateful transforms (``center``,
    ``standardize``, ``bs``, ``cr``) are memorised over all partitions by patsy, at the cost of
    extra passes; prefer explicit knots.

Covariance
    ``nonrobust``: the inverse expected information at the estimate (as R ``glm`` and
    statsmodels ``GLM``). ``cluster``: the CR1 sandwich ``B M B`` with bread ``B`` the inverse
    OBSERVED information (equal to the expected one for the logit link, not for cloglog) and meat
    ``M = sum_g s_g s_g'`` over cluster score sums, times ``G/(G-1) * (N-1)/(N-K)`` - exactly
    statsmodels' ``cov_type="cluster"``. Clusters may span partitions in any order: the score
    sums are accumulated per cluster (keyed by a 64-bit hash of the cluster value) in one array
    of ``n_clusters x k`` floats plus a dict, about 200 MB for a million loans and 12
    coefficients. The cluster pass runs once, after convergence.

Convergence and problems
    The start is the intercept-only fit at the first partition's event share (the textbook
    ``mu = (y + 1/2) / 2`` costs rare events three or four more passes), or ``start_params``;
    without an intercept, the textbook start. Iterations stop when the relative change in deviance, ``|dev - dev_old| / (|dev| + 0.1)``,
    and the largest parameter step, ``max |step_j| / (|beta_j| + 1)``, are both below ``tol``.
    ``FitResult.warnings`` says so when the fit did not converge, when fitted probabilities are
    numerically 0 or 1 (separation) and when a coefficient moves the linear predictor by more
    than 20 across its observed range (a level with no events, or only events). A design whose
    columns are linearly dependent (including a declared level absent from the data) raises
    ValueError naming the columns.
"""
from __future__ import annotations

import ast
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy
import scipy.linalg
from scipy import special
from scipy.linalg import blas

from overdue.models.result import FitResult, tidy_summary

__all__ = ["Partitions", "as_partitions", "fit_glm_irls", "LINKS"]

LINKS = ("logit", "cloglog")

log = logging.getLogger(__name__)

# A linear-predictor change this large across a covariate's observed range is an odds or hazard
# ratio above e**20 - only separation produces it.
_SEPARATION_ETA_RANGE = 20.0
# Fitted probabilities closer than this to 0 or 1 mean the likelihood is still being pushed
# towards the boundary.
_SATURATION_EPS = 1e-10
# Design matrices are built for this many rows at a time: patsy fills them column by column, which
# is several times faster while the matrix (64k rows x 15 columns = 8 MB) stays in cache, and the
# temporaries stay small next to the partition.
_BLOCK_ROWS = 65_536
# exp(700) is finite; clipping the cloglog linear predictor there keeps every quantity finite and
# moves no fitted probability by more than 1e-300.
_CLOGLOG_ETA_BOUND = 700.0


# --------------------------------------------------------------------------------- partitions
class Partitions:
    """A re-iterable stream of pandas DataFrame partitions (one pass per ``iter`` call).

    Build one with :func:`as_partitions`; see there for accepted inputs.

    Parameters
    ----------
    make_iter : callable
        ``make_iter(columns)`` returns an iterator of DataFrames restricted to ``columns`` when
        the source can project (parquet, dask) - ``columns=None`` means all columns.
    columns : list of str or None
        Column names when known without reading data (parquet schema, dask meta).
    description : str
        What the source is, for messages.

    Examples
    --------
    >>> parts = as_partitions([pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [3]})])
    >>> [len(p) for p in parts.iter()]
    [2, 1]
    """

    def __init__(self, make_iter: Callable[[list[str] | None], Iterable[pd.DataFrame]],
                 columns: list[str] | None, description: str):
        self._make_iter = make_iter
        self.columns = columns
        self.description = description

    def iter(self, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """Iterate over the partitions once, reading only ``columns`` where the source can."""
        wanted = None if columns is None else list(dict.fromkeys(columns))
        for index, part in enumerate(self._make_iter(wanted)):
            if not isinstance(part, pd.DataFrame):
                raise ValueError(f"{self.description}: partition {index} is a "
                                 f"{type(part).__name__}, not a pandas DataFrame")
            # A suspended generator keeps its locals alive: yielding ``part`` itself would pin
            # each partition until the next is read. Popping it from a list hands it over.
            handover = [part]
            del part
            yield handover.pop()

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return self.iter()

    def __repr__(self) -> str:
        return f"<Partitions: {self.description}>"


def as_partitions(data, batch_rows: int = 1_000_000) -> Partitions:
    """Wrap any supported data source as re-iterable :class:`Partitions`.

    Parameters
    ----------
    data : DataFrame, list of DataFrame, str or path, pyarrow Dataset, dask DataFrame, callable
        A DataFrame is one partition; a list is iterated as given; a path is opened with
        ``pyarrow.dataset.dataset(path, format="parquet", partitioning="hive")``; a dask
        DataFrame is computed one partition at a time; a callable must return a fresh iterable
        of DataFrames on every call. A :class:`Partitions` is returned unchanged.
    batch_rows : int
        Largest partition read from parquet (a record batch never spans row groups, so
        partitions can be smaller).

    Returns
    -------
    Partitions

    Examples
    --------
    >>> as_partitions(pd.DataFrame({"a": [1, 2, 3]}))
    <Partitions: an in-memory DataFrame of 3 rows>
    """
    if isinstance(data, Partitions):
        return data
    if isinstance(data, pd.DataFrame):
        frame = data
        return Partitions(lambda columns: [frame], list(frame.columns),
                          f"an in-memory DataFrame of {len(frame)} rows")
    if isinstance(data, (list, tuple)):
        frames = list(data)
        return Partitions(lambda columns: iter(frames), None, f"a list of {len(frames)} frames")
    if isinstance(data, (str, os.PathLike)):
        import pyarrow.dataset as pads

        if not os.path.exists(data):
            raise ValueError(f"parquet data set {os.fspath(data)!r} does not exist")
        return _arrow_partitions(pads.dataset(data, format="parquet", partitioning="hive"),
                                 batch_rows, f"parquet at {os.fspath(data)}")
    if type(data).__module__.startswith("pyarrow") and hasattr(data, "schema"):
        return _arrow_partitions(data, batch_rows, "a pyarrow dataset")
    if type(data).__module__.startswith("dask") and hasattr(data, "npartitions"):
        return _dask_partitions(data)
    if callable(data):
        name = getattr(data, "__name__", repr(data))
        return Partitions(lambda columns: data(), None, f"callable {name}")
    raise ValueError(f"cannot read partitions from a {type(data).__name__}; pass a DataFrame, a "
                     "list of DataFrames, a parquet path, a pyarrow Dataset, a dask DataFrame "
                     "or a callable returning an iterable of DataFrames")


def _arrow_partitions(dataset, batch_rows: int, description: str) -> Partitions:
    import pyarrow.dataset as pads

    def make_iter(columns):
        # A threaded scanner reads ahead of a slow consumer without bound (measured: 1.4 GB
        # held for 1M-row batches consumed at 0.3 s each, 0.6 GB unthreaded), and the default
        # read-ahead (16 batches, 4 files) would too: either breaks the bound on memory. A pass
        # spends its time on the model, not on decoding, so one thread costs nothing visible.
        scanner = pads.Scanner.from_dataset(dataset, columns=columns, batch_size=batch_rows,
                                            batch_readahead=1, fragment_readahead=1,
                                            use_threads=False)
        for batch in scanner.to_batches():
            handover = [batch.to_pandas()] if batch.num_rows else []
            del batch  # the arrow buffers go now, not when the next batch is read
            if handover:
                yield handover.pop()

    return Partitions(make_iter, list(dataset.schema.names), description)


def _dask_partitions(frame) -> Partitions:
    def make_iter(columns):
        projected = frame if columns is None else frame[columns]
        for index in range(projected.npartitions):
            yield projected.get_partition(index).compute()

    return Partitions(make_iter, list(frame.columns),
                      f"a dask DataFrame of {frame.npartitions} partitions")


# ----------------------------------------------------------------------------------- links
def _link_from_mu(mu: np.ndarray, link: str) -> np.ndarray:
    if link == "logit":
        return special.logit(mu)
    return np.log(-np.log1p(-mu))


def _evaluate_link(eta: np.ndarray, y: np.ndarray, link: str, observed: bool):
    """Per-row quantities of the binomial likelihood at linear predictor ``eta``.

    Returns ``mu``, the expected (Fisher) weight ``w = mu'^2 / V``, the score factor
    ``a = mu' / V`` (so the score is ``X' a (y - mu)``), the log-likelihood contributions and,
    if ``observed``, the observed-information weight ``w - (y - mu) da/deta``.
    """
    if link == "logit":
        mu = special.expit(eta)
        weight = mu * special.expit(-eta)  # mu (1 - mu) without cancellation near mu = 1
        score_factor = np.ones_like(eta)
        loglik = -np.logaddexp(0.0, np.where(y > 0.5, -eta, eta))
        observed_weight = weight if observed else None
        return mu, weight, score_factor, loglik, observed_weight
    eta = np.clip(eta, -_CLOGLOG_ETA_BOUND, _CLOGLOG_ETA_BOUND)
    cumhaz = np.exp(eta)
    survival = np.exp(-cumhaz)
    mu = -np.expm1(-cumhaz)
    score_factor = cumhaz / mu
    weight = cumhaz * survival * score_factor
    with np.errstate(invalid="ignore", divide="ignore"):
        loglik = np.where(y > 0.5, np.log(mu), -cumhaz)
    observed_weight = None
    if observed:
        d_score_factor = score_factor * (1.0 - cumhaz * survival / mu)
        observed_weight = weight - (y - mu) * d_score_factor
    return mu, weight, score_factor, loglik, observed_weight


# ------------------------------------------------------------------------------- the design
def _formula_names(code: str) -> set[str]:
    """Identifiers a patsy factor's Python code refers to (columns, functions, modules)."""
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


@dataclass
class _Design:
    """The fixed design: response column, patsy builder and the columns a partition needs."""

    response: str
    design_info: patsy.DesignInfo
    columns: list[str]
    categories: dict[str, list]
    first_mean: float
    terms: list[str] = field(init=False)

    def __post_init__(self):
        self.terms = list(self.design_info.column_names)

    def prepare(self, part: pd.DataFrame, index: int, extra: Sequence[str] = ()) -> pd.DataFrame:
        """The needed columns, checked, with declared categories cast; no data are copied."""
        needed = list(dict.fromkeys([*self.columns, *extra]))
        missing = [c for c in needed if c not in part.columns]
        if missing:
            raise ValueError(f"partition {index} has no column(s) {missing}")
        columns = {column: part[column] for column in needed}
        for column, values in columns.items():
            nulls = int(values.isna().sum())
            if nulls:
                raise ValueError(f"column {column!r} has {nulls} missing values in partition "
                                 f"{index}; drop or impute them before fitting")
            levels = self.categories.get(column)
            if levels is not None:
                cast = pd.Categorical(values, categories=levels)
                unknown = pd.isna(cast)
                if unknown.any():
                    bad = sorted(pd.unique(values[unknown]).tolist(), key=str)[:5]
                    raise ValueError(f"column {column!r} has values {bad} outside the declared "
                                     f"levels {list(levels)} (partition {index})")
                columns[column] = cast
            elif isinstance(values.dtype, pd.CategoricalDtype):
                # A partition's own categorical dictionary may hold only its values (parquet,
                # hive keys), so undeclared categoricals are handed to patsy as plain values.
                columns[column] = np.asarray(values, dtype=object)
        return pd.DataFrame(columns, index=part.index, copy=False)

    def matrices(self, part: pd.DataFrame, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Response vector and design matrix of one (prepared) partition."""
        y = pd.to_numeric(part[self.response], errors="coerce").to_numpy(dtype=float)
        if not np.isin(y, (0.0, 1.0)).all():
            bad = pd.unique(y[~np.isin(y, (0.0, 1.0))])[:5].tolist()
            raise ValueError(f"response column {self.response!r} must be 0/1; partition "
                             f"{index} holds {bad}")
        try:
            (x,) = patsy.build_design_matrices([self.design_info], part, NA_action="raise")
        except patsy.PatsyError as error:
            raise ValueError(f"cannot build the design matrix for partition {index}: "
                             f"{error}") from error
        return y, np.asarray(x, dtype=float)


def _build_design(formula: str, parts: Partitions, categories: Mapping[str, Sequence] | None,
                  eval_env) -> _Design:
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as error:
        raise ValueError(f"cannot parse formula {formula!r}: {error}") from error
    lhs = [factor.code for term in desc.lhs_termlist for factor in term.factors]
    if len(lhs) != 1 or not lhs[0].isidentifier():
        raise ValueError(f"the left-hand side of {formula!r} must be one 0/1 column name")
    response = lhs[0]
    rhs_names = set()
    for term in desc.rhs_termlist:
        for factor in term.factors:
            rhs_names |= _formula_names(factor.code)
    categories = {column: list(levels) for column, levels in (categories or {}).items()}
    for column, levels in categories.items():
        if len(levels) == 0 or len(set(levels)) != len(levels):
            raise ValueError(f"declared levels of column {column!r} must be non-empty and "
                             f"distinct, got {levels}")

    if parts.columns is not None:
        available = set(parts.columns)
    else:
        # Without a schema, the first partition tells which names are columns.
        first = next(parts.iter(), None)
        if first is None:
            raise ValueError(f"{parts.description} holds no partitions")
        available = set(first.columns)
        del first
    if response not in available:
        raise ValueError(f"response column {response!r} is not in the data")
    for column in categories:
        if column not in available:
            raise ValueError(f"declared categorical column {column!r} is not in the data")
    columns = [response, *sorted(rhs_names & available)]
    design = _Design(response, patsy.DesignInfo([]), columns, categories, first_mean=0.5)
    rhs_desc = patsy.ModelDesc([], desc.rhs_termlist)

    def prepared_partitions():
        # patsy's incremental builder reads further partitions only when an undeclared
        # categorical or a stateful transform needs them.
        for index, part in enumerate(parts.iter(_projection(parts, design))):
            prepared = design.prepare(part, index)
            del part
            if index == 0:
                design.first_mean = _event_share(prepared[response])
            yield prepared

    try:
        design.design_info = patsy.incr_dbuilder(rhs_desc, prepared_partitions, eval_env,
                                                 NA_action="raise")
    except patsy.PatsyError as error:
        raise ValueError(f"cannot build a design from {formula!r}: {error}") from error
    design.terms = list(design.design_info.column_names)
    design.categories.update(_scanned_categories(design))
    return design


def _event_share(response: pd.Series) -> float:
    """Share of ones, kept half a row away from 0 and 1 (it seeds the intercept)."""
    values = pd.to_numeric(response, errors="coerce").to_numpy(dtype=float)
    half_row = 0.5 / max(len(values), 1)
    share = np.nanmean(values) if np.isfinite(values).any() else 0.5
    return float(np.clip(share, half_row, 1.0 - half_row))


def _scanned_categories(design: _Design) -> dict[str, list]:
    """Levels patsy collected for undeclared categorical columns, to declare them from now on.

    Later passes then cast the column to a pandas Categorical by its codes instead of patsy
    looking up every row in Python. Only a column that enters the formula solely as ``x`` or
    ``C(x)`` qualifies; a column also used numerically must stay as it is.
    """
    factors = design.design_info.factor_infos
    uses: dict[str, int] = {}
    for factor in factors:
        for name in _formula_names(factor.name()):
            uses[name] = uses.get(name, 0) + 1
    scanned = {}
    for factor, info in factors.items():
        match = re.fullmatch(r"C\(\s*(\w+)\s*\)|(\w+)", factor.name().strip())
        column = match and (match.group(1) or match.group(2))
        if (info.type == "categorical" and column in design.columns
                and column not in design.categories and uses.get(column) == 1):
            scanned[column] = list(info.categories)
    return scanned


def _categorical(data, contrast=None, levels=None):
    """patsy's ``C()``, minus its row-by-row Python loop for pandas categoricals.

    patsy turns ``C(x)`` into level codes one row at a time in Python - seconds per million
    rows, on every pass - even when ``x`` is a pandas Categorical whose codes it could use, as
    it does for a bare categorical. So a categorical (declared columns are cast to one) is
    passed on bare, and ``levels=`` makes one. A contrast still goes through patsy, slowly.
    """
    if contrast is not None:
        return patsy.builtins.C(data, contrast, levels)
    if levels is not None:
        values = np.asarray(data)
        cast = pd.Categorical(values, categories=list(levels))
        unknown = pd.isna(cast) & ~pd.isna(values)
        if unknown.any():
            raise ValueError(f"values {pd.unique(values[unknown])[:5].tolist()} are not among "
                             f"the levels {list(levels)} given to C()")
        return cast
    if isinstance(getattr(data, "dtype", None), pd.CategoricalDtype):
        return data
    return patsy.builtins.C(data)


def _projection(parts: Partitions, design: _Design, extra: Sequence[str] = ()) -> list[str] | None:
    """Columns to read, where the source can project (its schema is known)."""
    if parts.columns is None:
        return None
    return list(dict.fromkeys([*design.columns, *extra]))


# ---------------------------------------------------------------------------- accumulation
@dataclass
class _PassTotals:
    """Sums over all rows of one pass at a fixed parameter vector."""

    k: int
    n: int = 0
    events: float = 0.0
    loglik: float = 0.0
    saturated: int = 0
    information: np.ndarray = None
    working_rhs: np.ndarray = None
    observed_information: np.ndarray | None = None
    column_min: np.ndarray | None = None
    column_max: np.ndarray | None = None

    def __post_init__(self):
        self.information = np.zeros((self.k, self.k))
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
        codes, uniques = pd.factorize(pd.util.hash_array(np.asarray(keys)))
        sums = np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=len(uniques))
                                for j in range(scores.shape[1])])
        slot_of = self._slot_of
        # setdefault's default is evaluated before insertion, so a new key gets the next slot.
        slots = np.fromiter((slot_of.setdefault(key, len(slot_of)) for key in uniques.tolist()),
                            dtype=np.intp, count=len(uniques))
        if len(slot_of) > len(self._sums):
            grown = np.zeros((max(2 * len(self._sums), len(slot_of)), scores.shape[1]))
            grown[:len(self._sums)] = self._sums
            self._sums = grown
        self._sums[slots] += sums

    @property
    def count(self) -> int:
        return len(self._slot_of)

    def meat(self) -> np.ndarray:
        return _crossprod(self._sums[:self.count])


def _crossprod(matrix: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``X' diag(w) X`` for a tall ``X`` through BLAS ``syrk``.

    ``X.T @ X`` calls ``gemm``, whose threads slow it fifty-fold on a busy machine (measured on
    the two shared cores this was written on); ``syrk`` does not, and does half the work. It is
    handed ``X.T``, which is Fortran-ordered, because a C-ordered argument would be copied.
    Its weights must be non-negative, so negative ones (observed information) get a second call.
    """
    def upper_product(rows):
        return blas.dsyrk(1.0, np.ascontiguousarray(rows).T, trans=0)

    if weights is None:
        upper = upper_product(matrix)
    else:
        upper = upper_product(matrix * np.sqrt(np.maximum(weights, 0.0))[:, None])
        if (weights < 0).any():
            upper -= upper_product(matrix * np.sqrt(np.maximum(-weights, 0.0))[:, None])
    return np.triu(upper) + np.triu(upper, 1).T


def _stream_pass(parts: Partitions, design: _Design, link: str, beta: np.ndarray | None,
                 cluster: str | None = None,
                 ranges: bool = False) -> tuple[_PassTotals, _ClusterScores | None]:
    """One pass over the data at ``beta`` (``None``: at the IRLS starting values).

    ``cluster`` adds the observed information and the cluster score sums (the final pass);
    ``ranges`` the design columns' minima and maxima (the data do not change, so once).
    """
    k = len(design.terms)
    totals = _PassTotals(k)
    if ranges:
        totals.column_min, totals.column_max = np.full(k, np.inf), np.full(k, -np.inf)
    final = cluster is not None
    if final:
        totals.observed_information = np.zeros((k, k))
        clusters = _ClusterScores(k)
    extra = [cluster] if final else []
    for index, raw in enumerate(parts.iter(_projection(parts, design, extra))):
        part = design.prepare(raw, index, extra)
        del raw  # prepare copied the needed columns
        for start in range(0, len(part), _BLOCK_ROWS):
            block = part.iloc[start:start + _BLOCK_ROWS]
            y, x = design.matrices(block, index)
            if beta is None:
                # statsmodels' and R's start: mu = (y + 1/2) / 2, so every eta is finite.
                eta = _link_from_mu((y + 0.5) / 2.0, link)
            else:
                eta = x @ beta
            mu, weight, score_factor, loglik, observed_weight = _evaluate_link(eta, y, link,
                                                                               final)
            totals.n += len(y)
            totals.events += y.sum()
            totals.loglik += loglik.sum()
            totals.saturated += int(np.count_nonzero(np.minimum(mu, 1.0 - mu) < _SATURATION_EPS))
            residual_score = score_factor * (y - mu)
            totals.information += _crossprod(x, weight)
            # X'Wz with z = eta + (y - mu) / mu': W z = w eta + a (y - mu) needs no 1 / mu'.
            totals.working_rhs += x.T @ (weight * eta + residual_score)
            if ranges:
                np.minimum(totals.column_min, x.min(axis=0), out=totals.column_min)
                np.maximum(totals.column_max, x.max(axis=0), out=totals.column_max)
            if final:
                totals.observed_information += _crossprod(x, observed_weight)
                clusters.add(block[cluster], x * residual_score[:, None])
    if totals.n == 0:
        raise ValueError(f"{parts.description} holds no rows")
    return totals, (clusters if final else None)


# ------------------------------------------------------------------------------- the solver
def _check_rank(information: np.ndarray, terms: list[str]) -> None:
    """Raise ValueError naming the columns when the design is not of full column rank."""
    diagonal = np.diag(information)
    empty = [term for term, d in zip(terms, diagonal) if d <= 0]
    if empty:
        raise ValueError(f"design column(s) {empty} are zero in every row (a declared level "
                         "that never occurs?); drop the level or the term")
    scale = 1.0 / np.sqrt(diagonal)
    correlation = information * scale[:, None] * scale[None, :]
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    if eigenvalues[0] < 1e-10 * eigenvalues[-1]:
        loadings = np.abs(eigenvectors[:, 0])
        involved = [term for term, load in zip(terms, loadings) if load > 0.1]
        raise ValueError(f"design columns are linearly dependent: {involved}")


def _solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
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


def fit_glm_irls(data, formula: str, *, link: str = "logit", cluster: str | None = None,
                 categories: Mapping[str, Sequence] | None = None,
                 start_params: Sequence[float] | None = None, maxiter: int = 25,
                 tol: float = 1e-10, batch_rows: int = 1_000_000, model: str | None = None,
                 eval_env=0) -> FitResult:
    """Fit a binary-response GLM by IRLS, streaming over partitions on every iteration.

    Parameters
    ----------
    data : DataFrame, list of DataFrame, parquet path, pyarrow Dataset, dask DataFrame, callable
        The rows, one partition at a time (see :func:`as_partitions`). Never concatenated.
    formula : str
        Patsy formula ``"y ~ x1 + C(grade)"``; the left side must be one column holding 0/1.
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
    maxiter : int
        Most IRLS iterations (passes over the data, the final cluster pass not counted).
    tol : float
        Convergence tolerance on the relative deviance change and on the parameter step.
    batch_rows : int
        Largest partition read from parquet.
    model : str, optional
        ``FitResult.model``; default ``"glm_logit"`` or ``"glm_cloglog"``.
    eval_env : int or patsy.EvalEnvironment
        Where the formula's functions are looked up, as in patsy (0: the caller's namespace).

    Returns
    -------
    FitResult
        ``summary`` with the requested standard errors; ``n`` rows, ``events`` ones in the
        response, ``loglik``; ``extra`` holds ``cov`` (DataFrame), ``cov_type``,
        ``cov_nonrobust``, ``deviance``, ``aic``, ``cluster``, ``n_clusters``, ``iterations``,
        ``passes``, ``link``, ``design_info`` (patsy, to build matrices for prediction) and
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
    >>> fit = fit_glm_irls(halves, "y ~ x", link="logit")
    >>> fit.converged, fit.params.round(1).tolist()
    (True, [-1.0, 0.5])
    """
    if link not in LINKS:
        raise ValueError(f"link must be one of {LINKS}, got {link!r}")
    if maxiter < 1:
        raise ValueError(f"maxiter must be at least 1, got {maxiter}")
    started = time.perf_counter()
    # An outer namespace, so that a C() the caller defines still wins, as does patsy's own
    # when the caller imported it.
    env = patsy.EvalEnvironment.capture(eval_env, reference=1).with_outer_namespace(
        {"C": _categorical})
    parts = as_partitions(data, batch_rows=batch_rows)
    design = _build_design(formula, parts, categories, env)
    terms = design.terms
    k = len(terms)
    if cluster is not None:
        if not isinstance(cluster, str):
            raise ValueError(f"cluster must be a column name, got {cluster!r}")
        if parts.columns is not None and cluster not in parts.columns:
            raise ValueError(f"cluster column {cluster!r} is not in the data")

    beta = _start_params(start_params, design, link)
    converged = False
    previous_deviance = previous_beta = None
    passes = iterations = 0
    problems: list[str] = []
    for iterations in range(1, maxiter + 1):
        totals, _ = _stream_pass(parts, design, link, beta, ranges=passes == 0)
        passes += 1
        deviance = -2.0 * totals.loglik
        if passes == 1:
            _check_rank(totals.information, terms)
            column_range = totals.column_max - totals.column_min
        log.info("irls pass %d: deviance %.10g (%.1f s)", passes, deviance,
                 time.perf_counter() - started)
        if beta is not None and previous_beta is not None:
            deviance_change = abs(deviance - previous_deviance) / (abs(deviance) + 0.1)
            step = np.max(np.abs(beta - previous_beta) / (np.abs(beta) + 1.0))
            if deviance_change < tol and step < tol:
                converged = True
                break
        if not np.isfinite(deviance) and beta is not None:
            problems.append(f"the deviance became {deviance} at iteration {iterations}")
            break
        previous_deviance, previous_beta = deviance, beta
        beta = _solve(totals.information, totals.working_rhs)
    else:
        # The last update was never evaluated: one more pass gives the statistics at it.
        totals, _ = _stream_pass(parts, design, link, beta)
        passes += 1
        deviance = -2.0 * totals.loglik

    cov_nonrobust = _inverse(totals.information)
    n_clusters = None
    if cluster is not None:
        totals, clusters = _stream_pass(parts, design, link, beta, cluster=cluster)
        passes += 1
        n_clusters = clusters.count
        if n_clusters < 2:
            raise ValueError(f"cluster column {cluster!r} has {n_clusters} distinct value(s); "
                             "cluster-robust errors need at least 2")
        bread = _inverse(totals.observed_information)
        correction = n_clusters / (n_clusters - 1.0) * (totals.n - 1.0) / (totals.n - k)
        cov = correction * bread @ clusters.meat() @ bread
        if n_clusters < 50:
            problems.append(f"only {n_clusters} clusters in {cluster!r}: cluster-robust "
                            "standard errors are unreliable with fewer than about 50")
    else:
        cov = cov_nonrobust

    se = np.sqrt(np.diag(cov))
    problems = _diagnose(converged, maxiter, totals, column_range, beta, se, terms) + problems
    for problem in problems:
        log.warning("%s", problem)
    name = model or f"glm_{link}"
    return FitResult(
        model=name,
        summary=tidy_summary(terms, beta, se),
        n=totals.n,
        events=int(totals.events),
        converged=converged,
        formula=formula,
        loglik=totals.loglik,
        warnings=problems,
        extra={
            "cov": pd.DataFrame(cov, index=terms, columns=terms),
            "cov_type": "nonrobust" if cluster is None else "cluster",
            "cov_nonrobust": pd.DataFrame(cov_nonrobust, index=terms, columns=terms),
            "deviance": deviance,
            "aic": deviance + 2 * k,
            "n_clusters": n_clusters,
            "cluster": cluster,
            "iterations": iterations,
            "passes": passes,
            "link": link,
            "design_info": design.design_info,
            "seconds": time.perf_counter() - started,
        },
    )


def _start_params(start_params, design: _Design, link: str) -> np.ndarray | None:
    """Starting values: the caller's, else intercept-only at the first partition's event share.

    The textbook start, mu = (y + 1/2) / 2, puts every non-event row at a 25% probability; with
    defaults a few percent a month or rarer that costs three or four extra passes over the data.
    Without an intercept the textbook start is used (``None``).
    """
    k = len(design.terms)
    if start_params is not None:
        beta = np.asarray(start_params, dtype=float)
        if beta.shape != (k,):
            raise ValueError(f"start_params must have {k} values (one per design column "
                             f"{design.terms}), got shape {beta.shape}")
        return beta
    if "Intercept" not in design.terms:
        return None
    beta = np.zeros(k)
    beta[design.terms.index("Intercept")] = _link_from_mu(np.array(design.first_mean), link)
    return beta


def _diagnose(converged: bool, maxiter: int, totals: _PassTotals, column_range: np.ndarray,
              beta: np.ndarray, se: np.ndarray, terms: list[str]) -> list[str]:
    """Human-readable warnings: non-convergence and the symptoms of separation."""
    problems = []
    if not converged:
        problems.append(f"IRLS did not converge in {maxiter} iterations")
    if totals.saturated:
        problems.append(f"{totals.saturated} of {totals.n} rows have fitted probabilities "
                        "numerically 0 or 1: (quasi-)complete separation, estimates may be "
                        "infinite")
    eta_range = np.abs(beta) * column_range
    for term, moves, estimate, error in zip(terms, eta_range, beta, se):
        if moves > _SEPARATION_ETA_RANGE and term != "Intercept":
            problems.append(f"term {term!r} has estimate {estimate:.3g} (SE {error:.3g}), "
                            "a separation symptom: a level or range with no events, or only "
                            "events")
    return problems
