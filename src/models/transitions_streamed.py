"""Transitions of a delinquency panel too large for memory, in one streaming pass.

:func:`stream_transitions` reads a partitioned panel (a parquet folder, or anything
:func:`overdue.data.partitions.as_partitions` takes) one batch at a time and, in the same pass,

- adds up the one-month (or k-month) transition counts, pooled or by a column, into the
  :class:`~overdue.models.transitions.TransitionMatrix` that :func:`transition_matrix` gives in
  memory (so :func:`roll_cure_rates`, :func:`absorbing_chain` … apply unchanged);
- keeps, for each origin bucket asked for, only the transitions out of it with their covariates
  (:class:`OriginSample`: a design matrix, the move codes and the account of each row) — the
  rows a per-origin multinomial logit uses, a small share of the panel.

:func:`fit_origin_sample` then fits that logit by Newton's method on the kept arrays, with the
cluster-robust (by account) sandwich of :func:`~overdue.models.transitions.fit_transition_logit`,
which it equals (tests: to 1e-8). Memory is bounded by one batch plus the kept samples, whatever
the panel's size.

An account's rows must be together and in month order (as the build, the simulator and
:func:`~overdue.data.delinquency.as_panel` write them); an account split across two batches is
carried into the next, so every account is read whole — the ``prepare`` hook (account features
from the panel's own columns) may look back over its history.

Examples
--------
>>> from overdue.synthetic import synthetic_delinquency
>>> panel = synthetic_delinquency(500, seed=2).panel
>>> streamed = stream_transitions([panel.iloc[:2000], panel.iloc[2000:]])
>>> streamed.matrix.counts().equals(transition_matrix(panel).counts())
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from overdue.data.delinquency import ABSORBING_BUCKETS, BUCKETS
from overdue.data.partitions import as_partitions
from overdue.models.checks import check_alpha, few_clusters_warning
from overdue.models.result import FitResult, tidy_summary
from overdue.models.transitions import (
    MOVES,
    TransitionMatrix,
    matrix_from_counts,
    move_of,
    transition_matrix,  # noqa: F401  (the in-memory twin, named in the examples)
)

_N = len(BUCKETS)
#: Move of each (origin, destination) pair of bucket codes, as codes into MOVES.
_MOVE_CODE = np.array(
    [
        [MOVES.index(move_of(a, b)) if a not in ABSORBING_BUCKETS else -1 for b in BUCKETS]
        for a in BUCKETS
    ]
)


@dataclass
class OriginSample:
    """The transitions out of one bucket, kept while streaming: what its logit needs.

    Attributes
    ----------
    origin : str
    names : list of str
        Columns of ``X``: ``Intercept`` then the covariates.
    X : numpy.ndarray
        (n, K) design.
    moves : numpy.ndarray
        Codes into :data:`~overdue.models.transitions.MOVES` of each row's move.
    accounts : numpy.ndarray
        A running number of each row's account (the cluster).
    """

    origin: str
    names: list[str]
    X: np.ndarray
    moves: np.ndarray
    accounts: np.ndarray


@dataclass
class StreamedTransitions:
    """What :func:`stream_transitions` returns: the matrix, the kept samples, and the pass."""

    matrix: TransitionMatrix
    samples: dict[str, OriginSample]
    rows: int
    batches: int
    accounts: int
    detail: dict = field(default_factory=dict)


class _Collector:
    def __init__(self, origins, covariates):
        self.origins = list(origins)
        self.names = ["Intercept", *covariates]
        self.parts = {o: {"X": [], "moves": [], "accounts": []} for o in self.origins}

    def add(self, origin, X, moves, accounts):
        part = self.parts[origin]
        part["X"].append(X)
        part["moves"].append(moves.astype(np.int8))
        part["accounts"].append(accounts)

    def samples(self) -> dict[str, OriginSample]:
        out = {}
        for origin, part in self.parts.items():
            k = len(self.names)
            out[origin] = OriginSample(
                origin,
                self.names,
                np.concatenate(part["X"]) if part["X"] else np.empty((0, k)),
                np.concatenate(part["moves"]) if part["moves"] else np.empty(0, np.int8),
                np.concatenate(part["accounts"]) if part["accounts"] else np.empty(0, np.int64),
            )
        return out


def stream_transitions(
    data,
    *,
    origins: Sequence[str] = (),
    covariates: Sequence[str] = (),
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    by: str | None = None,
    horizon: int = 1,
    alpha: float = 0.05,
    batch_rows: int = 1_000_000,
    columns: Sequence[str] | None = None,
) -> StreamedTransitions:
    """One pass over a partitioned delinquency panel: transition counts, and the transitions out
    of each of ``origins`` with their ``covariates``.

    Parameters
    ----------
    data : path, DataFrame, list of DataFrames, Partitions …
        The panel (``account_id, month, bucket`` and the columns ``prepare`` or the covariates
        need), an account's rows together and in month order.
    origins : sequence of str
        Origin buckets whose transitions (with covariates) are kept for :func:`fit_origin_sample`.
    covariates : sequence of str
        Numeric columns (after ``prepare``) of the kept transitions, at the origin month.
    prepare : callable, optional
        ``prepare(batch) -> batch`` adding the covariates (e.g. account features computed from
        the panel's columns); it sees whole accounts.
    by : str, optional
        Count by this column's value at the origin month (``"month"``: month by month).
    horizon : int
        Months between origin and destination.
    alpha : float
        1 - confidence level of the matrix's Wilson intervals.
    batch_rows : int
        Rows read at a time from parquet.
    columns : sequence of str, optional
        Columns to read (what ``prepare`` needs besides ``account_id, month, bucket``); default
        all of them with a ``prepare`` hook, only the needed ones without. Reading fewer is
        most of a pass's time.

    Returns
    -------
    StreamedTransitions
    """
    check_alpha(alpha)
    covariates = list(covariates)
    unknown = sorted(set(origins) - set(BUCKETS) | set(origins) & set(ABSORBING_BUCKETS))
    if unknown:
        raise ValueError(f"origins {unknown} are not transient buckets of {list(BUCKETS)}")
    partitions = as_partitions(data, batch_rows=batch_rows)
    needed = None  # with a prepare hook, every column (it may need any) unless told
    extra = [by] if by and by != "month" else []
    if prepare is None:
        needed = list(dict.fromkeys(["account_id", "month", "bucket", *covariates, *extra]))
    elif columns is not None:
        needed = list(dict.fromkeys(["account_id", "month", "bucket", *columns, *extra]))
    counts: dict = {}
    order: dict = {}  # the by column's categories, when it has them (bands low to high)
    collector = _Collector(origins, covariates)
    carry = None
    rows = batches = accounts_seen = 0
    bucket_index = {b: k for k, b in enumerate(BUCKETS)}
    iterator = partitions.iter(needed, categorical=["account_id", "bucket"])

    def process(frame: pd.DataFrame, account: np.ndarray | None = None) -> None:
        nonlocal accounts_seen
        if frame.empty:
            return
        if account is None:
            account = pd.factorize(frame["account_id"])[0]
        if prepare is not None:
            frame = prepare(frame)
        accounts_seen = _count_batch(
            frame,
            account,
            by,
            horizon,
            counts,
            order,
            collector,
            covariates,
            bucket_index,
            accounts_seen,
        )

    # Each batch is processed where it lies; only the rows of an account that straddles two
    # batches are copied (the carry, joined to the next batch's first rows), so a pass copies
    # almost nothing.
    batch = next(iterator, None)
    while batch is not None:
        following = next(iterator, None)
        batches += 1
        rows += len(batch)
        account = pd.factorize(batch["account_id"])[0]
        first_other = np.flatnonzero(account != account[0])
        head = int(first_other[0]) if len(first_other) else len(batch)
        begin = 0
        if carry is not None:
            if str(carry["account_id"].iloc[-1]) == str(batch["account_id"].iloc[0]):
                joined = pd.concat([carry, _plain(batch.iloc[:head])], ignore_index=True)
                if head == len(batch) and following is not None:
                    carry, batch = joined, following  # the account runs on further
                    continue
                process(joined)
                begin = head
            else:
                process(carry)
            carry = None
        end = len(batch)
        if following is not None:
            last_other = np.flatnonzero(account[begin:] != account[-1])
            end = begin + int(last_other[-1]) + 1 if len(last_other) else begin
            carry = _plain(batch.iloc[end:])
        process(batch.iloc[begin:end], account[begin:end])
        batch = following
    if not counts:
        raise ValueError(f"{partitions.description}: no {horizon}-month transitions")
    labels = list(counts)
    if "categories" in order:
        rank = {c: i for i, c in enumerate(order["categories"])}
        labels.sort(key=lambda label: rank.get(label, len(rank)))
    else:
        labels.sort()
    matrix = matrix_from_counts(
        {label: counts[label] for label in labels},
        by=by,
        horizon=horizon,
        alpha=alpha,
        n_accounts=accounts_seen,
    )
    return StreamedTransitions(matrix, collector.samples(), rows, batches, accounts_seen)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A few rows with their categorical columns as plain values (so rows of two batches, with
    different categories, concatenate)."""
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype({c: object for c in categorical}) if categorical else frame.copy()


def _count_batch(
    batch, account, by, horizon, counts, order, collector, covariates, bucket_index, start
):
    n = len(batch)
    if n == 0:
        return start
    month = batch["month"]
    number = month.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    bucket_values = batch["bucket"]
    if isinstance(bucket_values.dtype, pd.CategoricalDtype):
        lookup = np.array([bucket_index.get(str(c), -1) for c in bucket_values.cat.categories])
        code = lookup[bucket_values.cat.codes.to_numpy()]
    else:
        code = bucket_values.astype(str).map(bucket_index).fillna(-1).to_numpy(np.int64)
    if (code < 0).any():
        bad = bucket_values[code < 0].astype(str).unique()[:3].tolist()
        raise ValueError(f"bucket values {bad} are not among {list(BUCKETS)}")
    if horizon >= n:
        return start
    if ((account[1:] == account[:-1]) & (number[1:] <= number[:-1])).any():
        raise ValueError(
            "an account's months are repeated or out of order: sort the panel by account and month"
        )
    same = account[horizon:] == account[:-horizon]
    step = number[horizon:] - number[:-horizon]
    origin_code, destination = code[:-horizon], code[horizon:]
    valid = same & (step == horizon) & (origin_code < 4)
    if by is None:
        groups = np.zeros(n - horizon, dtype=np.int64)
        labels = ["all"]
    else:
        values = batch[by].iloc[: n - horizon]
        if isinstance(values.dtype, pd.CategoricalDtype):
            order.setdefault("categories", list(values.cat.categories))
        if by == "month":
            values = month.iloc[: n - horizon].dt.strftime("%Y-%m")
        groups, labels = pd.factorize(values, sort=True)
        labels = list(labels)
    for g, label in enumerate(labels):
        chosen = valid & (groups == g)
        if chosen.any():
            cell = origin_code[chosen] * _N + destination[chosen]
            counts[label] = counts.get(label, np.zeros((_N, _N), np.int64)) + np.bincount(
                cell, minlength=_N * _N
            ).reshape(_N, _N)
    contributing = np.unique(account[:-horizon][valid])
    global_account = np.full(int(account.max()) + 1, -1, dtype=np.int64)
    global_account[contributing] = start + np.arange(len(contributing))
    for origin in collector.origins:
        chosen = valid & (origin_code == bucket_index[origin])
        if not chosen.any():
            continue
        index = np.flatnonzero(chosen)
        X = np.empty((len(index), len(covariates) + 1))
        X[:, 0] = 1.0
        for k, column in enumerate(covariates, start=1):
            X[:, k] = batch[column].to_numpy(dtype=float)[index]
        if not np.isfinite(X).all():
            missing = [c for k, c in enumerate(covariates, 1) if not np.isfinite(X[:, k]).all()]
            raise ValueError(
                f"covariates {missing} have missing or infinite values at origin {origin!r}"
            )
        moves = _MOVE_CODE[origin_code[index], destination[index]]
        collector.add(origin, X, moves, global_account[account[index]])
    return start + len(contributing)


def fit_origin_sample(
    sample: OriginSample,
    *,
    cluster: bool = True,
    alpha: float = 0.05,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> FitResult:
    """The multinomial logit of the moves out of one bucket on the kept covariates (``stay``
    the reference), by Newton's method on the arrays, with the cluster-robust sandwich by
    account (small-sample factor ``G/(G-1) (N-1)/(N-K)``, as statsmodels) — the estimates and
    errors of :func:`~overdue.models.transitions.fit_transition_logit` on the same rows.

    Examples
    --------
    >>> from overdue.synthetic import synthetic_delinquency
    >>> panel = synthetic_delinquency(3000, seed=2).panel
    >>> panel["balance_k"] = panel["balance"] / 1000
    >>> streamed = stream_transitions(panel, origins=["1"], covariates=["balance_k"])
    >>> fit = fit_origin_sample(streamed.samples["1"])
    >>> fit.summary.index.tolist()
    ['cure: Intercept', 'cure: balance_k', 'roll: Intercept', 'roll: balance_k']
    """
    check_alpha(alpha)
    present = [m for m in range(len(MOVES)) if (sample.moves == m).any()]
    if not present:
        raise ValueError(f"no transitions out of bucket {sample.origin!r}")
    categories = [MOVES[m] for m in present]  # stay first when present (MOVES order)
    y = np.searchsorted(present, sample.moves)
    X, n, k = sample.X, len(sample.moves), sample.X.shape[1]
    j = len(categories) - 1
    if j < 1:
        raise ValueError(
            f"the moves out of {sample.origin!r} take a single value: nothing to model"
        )
    Y = np.zeros((n, j))
    rows = y > 0
    Y[np.flatnonzero(rows), y[rows] - 1] = 1.0
    beta = np.zeros((k, j))
    converged, iterations = False, 0
    while not converged and iterations < max_iter:
        iterations += 1
        p = _probabilities(X, beta)
        gradient = (X.T @ (Y - p)).ravel(order="F")
        hessian = _information(X, p)
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step.reshape(k, j, order="F")
        converged = np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta)))
    p = _probabilities(X, beta)
    information = _information(X, p)
    bread = np.linalg.inv(information)
    params = beta.ravel(order="F")
    names = [f"{c}: {t}" for c in categories[1:] for t in sample.names]
    warnings = [] if converged else [f"optimiser did not converge in {max_iter} iterations"]
    n_clusters = None
    if cluster:
        scores = np.concatenate([X * (Y - p)[:, [c]] for c in range(j)], axis=1)
        codes, uniques = pd.factorize(sample.accounts)
        sums = np.column_stack(
            [np.bincount(codes, weights=column, minlength=len(uniques)) for column in scores.T]
        )
        g, kk = len(uniques), len(params)
        meat = sums.T @ sums * g / (g - 1) * (n - 1) / (n - kk)
        covariance = bread @ meat @ bread
        n_clusters = g
        warnings += few_clusters_warning(g, "account_id")
    else:
        covariance = bread
    loglik = float(np.sum(np.log(p_full(p)[np.arange(n), y])))
    shares = np.bincount(y, minlength=j + 1) / n
    loglik_null = float(np.sum(np.log(shares[y])))
    return FitResult(
        model="mnlogit",
        summary=tidy_summary(names, params, np.sqrt(np.diag(covariance)), alpha),
        n=n,
        events=None,
        converged=bool(converged),
        formula=" + ".join(sample.names[1:]),
        outcome=f"move from {sample.origin}",
        loglik=loglik,
        loglik_null=loglik_null,
        cov=pd.DataFrame(covariance, index=names, columns=names),
        cov_type="cluster" if cluster else "nonrobust",
        cov_nonrobust=pd.DataFrame(bread, index=names, columns=names),
        alpha=alpha,
        cluster="account_id" if cluster else None,
        n_clusters=n_clusters,
        iterations=iterations,
        link="logit",
        warnings=warnings,
        extra={
            "categories": categories,
            "reference": categories[0],
            "origin": sample.origin,
            "pseudo_r2": 1.0 - loglik / loglik_null,
            "counts": dict(zip(categories, np.bincount(y, minlength=j + 1).tolist())),
            "engine": "streamed Newton",
        },
    )


def _probabilities(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """P of the non-reference categories, (n, J-1)."""
    eta = X @ beta
    top = np.maximum(eta.max(axis=1, keepdims=True), 0.0)
    expd = np.exp(eta - top)
    return expd / (np.exp(-top) + expd.sum(axis=1, keepdims=True))


def p_full(p: np.ndarray) -> np.ndarray:
    """All categories' probabilities from the non-reference ones."""
    return np.column_stack([1.0 - p.sum(axis=1), p])


def _information(X: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Minus the Hessian of the log-likelihood, blocks by category pair (column-major order)."""
    k, j = X.shape[1], p.shape[1]
    out = np.empty((k * j, k * j))
    for a in range(j):
        for b in range(a, j):
            weight = p[:, a] * ((a == b) - p[:, b])
            block = (X * weight[:, None]).T @ X
            out[a * k : (a + 1) * k, b * k : (b + 1) * k] = block
            out[b * k : (b + 1) * k, a * k : (a + 1) * k] = block.T
    return out
