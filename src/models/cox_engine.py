"""The Cox partial-likelihood engine behind :mod:`overdue.models.cox` (internal).

Loan durations are whole months, so a million loans share a few dozen distinct times. The fit
exploits that: :func:`prepare_cox_data` sorts the rows once by (stratum, time, event), centres
the covariates and cuts the rows into (stratum, time, event) cells; every Newton step
(:func:`cox_sums`) then aggregates per cell the sums of ``w exp(xb)``, ``w exp(xb) x`` and
``w exp(xb) x x'``, turns them into risk-set sums by reverse cumulative sums over time, and
works out the Efron terms of each tied set from a handful of scalar sums. A step costs
O(n p^2) vectorised numpy and no Python loop over subjects.

Counting-process data (delayed entry, the (start, stop] episodes of a split loan) change one
thing: a row is in the risk set at t iff ``entry < t <= stop``. The per-time sums are then the
sums over rows with ``stop >= t`` minus those over rows with ``entry >= t``; the second are
aggregated once per step by each row's *entry slot* (the last distinct time of its stratum at
or before its entry), from a second copy of the entered rows sorted by slot, and subtracted
before the reverse cumulative sums. A fit without entry times pays nothing for it.

What the fit returns is built from these pieces: :func:`newton_raphson` (the estimate),
:func:`robust_covariance` (the sandwich, from :func:`score_residuals`),
:func:`baseline_cumulative_hazard` and :func:`concordance` (Harrell's C); :class:`CoxEngine`
keeps the sorted data and the final sums for :func:`overdue.models.cox.cox_zph`. The names
here are not part of the package's public API; everything follows R's ``survival`` (coxfit6,
``residuals.coxph``, ``basehaz``, ``concordancefit``).

Examples
--------
>>> x = np.array([[2.0], [0.0], [1.5], [1.0], [-1.0], [0.5]])
>>> data = prepare_cox_data(x, np.array([False]), ["x"], time=np.array([1.0, 2, 2, 3, 4, 5]),
...                         event=np.array([True, True, False, True, False, True]),
...                         weight=np.ones(6), stratum=np.zeros(6, dtype=np.int64),
...                         stratum_labels=["all"], cluster=None, ties="efron")
>>> outcome = newton_raphson(data, cox_sums(data, np.zeros(1)), max_iter=50, tol=1e-10)
>>> beta = outcome.beta  # R's coxph: coefficient 0.9656, concordance 8/11
>>> outcome.converged, round(float(beta[0]), 4), round(concordance(data, beta), 4)
(True, 0.9656, 0.7273)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from overdue.models.event_times import natural_times


@dataclass
class CoxData:
    """The fitted data, sorted by (stratum, time, event) and aggregated per distinct time.

    Sorting once makes every (stratum, time, event) cell a contiguous run of subjects, so each
    Newton step needs one small, cache-resident matrix product per cell instead of a loop
    over subjects: ``[1, x]' diag(w exp(xb)) [1, x]`` holds all three moment sums at once.
    Covariates are centred at their weighted means, indicator columns excepted (as R does),
    which keeps ``exp(xb)`` well scaled and leaves the partial likelihood unchanged.
    """

    augmented: np.ndarray  # (1 + p, n) a row of ones, then the centred covariates
    means: np.ndarray  # (p,) centring point removed from the covariates
    weight: np.ndarray  # (n,) case weights
    unit_weights: bool  # every case weight is 1 (weight need not be multiplied in)
    cluster: np.ndarray | None  # (n,) cluster code, or None
    names: list[str]  # coefficient names
    stratum_labels: list
    cell_bounds: np.ndarray  # (cells + 1,) row boundaries of (stratum, time, event) cells
    block_bounds: np.ndarray  # row boundaries of the blocks cells are cut into
    cell_first_block: np.ndarray  # (cells,) index of each cell's first block
    null_block_moments: np.ndarray  # (blocks, 1 + p, 1 + p) each block's moments at beta = 0
    cell_group: np.ndarray  # (cells,) index of the cell's (stratum, time) group
    cell_is_event: np.ndarray  # (cells,) bool
    group_stratum: np.ndarray  # (groups,) stratum code of each (stratum, time) group
    group_time: np.ndarray  # (groups,) its time
    stratum_bounds: np.ndarray  # (strata + 1,) group boundaries of each stratum
    event_groups: np.ndarray  # (J,) groups holding at least one event
    deaths: np.ndarray  # (J,) number of events in each event group
    dead_weight: np.ndarray  # (J,) sum of case weights of those events
    dead_weighted_x: np.ndarray  # (J, p) sum of w x over those events
    tie_starts: np.ndarray  # (J,) position of each event group's first Efron term
    tie_fraction: np.ndarray  # (D,) k / d for the k-th Efron term (0 for Breslow)
    # Delayed entry (counting-process data); all None when every row enters at time 0.
    entry: np.ndarray | None = None  # (n,) entry times, sorted as the rows
    entry_slot: np.ndarray | None = (
        None  # (n,) last group of the stratum at or before entry, or -1
    )
    entry_augmented: np.ndarray | None = None  # (1 + p, m) the m rows with a slot, sorted by slot
    entry_weight: np.ndarray | None = None  # (m,) their case weights
    entry_block_bounds: np.ndarray | None = None  # row boundaries of their blocks
    entry_cell_first_block: np.ndarray | None = None  # (slots,) first block of each slot's run
    entry_cell_group: np.ndarray | None = None  # (slots,) the group each run is removed from

    @property
    def has_entry(self) -> bool:
        """Whether rows enter the risk set late (counting-process data)."""
        return self.entry_slot is not None

    @property
    def X(self) -> np.ndarray:
        """(n, p) centred covariates, sorted."""
        return self.augmented[1:].T

    # Per-row values are constant within cells. The fit itself never needs them, so they are
    # expanded from the cells only when residuals or cox_zph ask, keeping them out of the fit.
    def _per_row(self, cell_values: np.ndarray) -> np.ndarray:
        return np.repeat(cell_values, np.diff(self.cell_bounds))

    @functools.cached_property
    def time(self) -> np.ndarray:
        """(n,) durations, sorted."""
        return self._per_row(self.group_time[self.cell_group])

    @functools.cached_property
    def event(self) -> np.ndarray:
        """(n,) bool event indicators, sorted."""
        return self._per_row(self.cell_is_event)

    @functools.cached_property
    def stratum(self) -> np.ndarray:
        """(n,) stratum code of each sorted row."""
        return self._per_row(self.group_stratum[self.cell_group])

    @functools.cached_property
    def row_group(self) -> np.ndarray:
        """(n,) (stratum, time) group of each sorted row."""
        return self._per_row(self.cell_group)


@dataclass
class CoxSums:
    """Risk-set and tied-event sums at one beta, restricted to the J event groups."""

    loglik: float
    score: np.ndarray  # (p,)
    information: np.ndarray  # (p, p)
    moments: np.ndarray  # (1 + p, 1 + p) sum over all rows of w exp(xb) [1,x][1,x]'
    s1: np.ndarray  # (J, p) risk-set sum of w exp(xb) x
    s2: np.ndarray  # (J, p, p) risk-set sum of w exp(xb) x x'
    e1: np.ndarray  # (J, p) the same sums over the tied events only
    e2: np.ndarray  # (J, p, p)
    inv_sum: np.ndarray  # (J,) sum_k 1/den_k, den_k = s0 - c_k e0
    frac_sum: np.ndarray  # (J,) sum_k c_k/den_k
    inv_sq_sum: np.ndarray  # (J,) sum_k 1/den_k^2
    frac_sq_sum: np.ndarray  # (J,) sum_k c_k/den_k^2
    frac2_sq_sum: np.ndarray  # (J,) sum_k c_k^2/den_k^2


def check_full_rank(moments: np.ndarray, names: list[str]) -> None:
    """Raise a ValueError naming the first covariate that is constant or collinear.

    ``moments`` is the weighted sum of ``[1, x][1, x]'`` over all rows (the null model's)."""
    total = moments[0, 0]
    mean = moments[0, 1:] / total
    second = np.diag(moments)[1:] / total
    covariance = moments[1:, 1:] / total - np.outer(mean, mean)
    scale = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    constant = scale <= 1e-7 * np.sqrt(second) + 1e-300
    if constant.any():
        raise ValueError(
            f"covariate '{names[int(constant.argmax())]}' is constant; "
            "a Cox model has no intercept, drop it"
        )
    correlation = covariance / np.outer(scale, scale)
    for k in range(1, len(names)):
        eigenvalues = np.linalg.eigvalsh(correlation[: k + 1, : k + 1])
        if eigenvalues[0] < 1e-10:
            raise ValueError(
                f"covariate '{names[k]}' is collinear with earlier covariates {names[:k]}"
            )


_BLOCK_ROWS = 4096
#: OpenBLAS runs a matrix product on one thread while m n k <= 65536 * 4 (its
#: GEMM_MULTITHREAD_THRESHOLD); above it, threads that then spin burn the other core.
_SINGLE_THREAD_PRODUCT = 262_144


def block_rows(p: int) -> int:
    """Rows per block for ``p`` covariates: the (1 + p)^2 moment product of a block stays on
    one OpenBLAS thread (4096 rows up to 7 covariates; fewer for wide designs such as the
    band interactions of fit_cox_by_age, where threaded products ran three times slower)."""
    return int(min(_BLOCK_ROWS, max(32, _SINGLE_THREAD_PRODUCT // (p + 1) ** 2)))


def _time_codes(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each time among the distinct times, and those times in increasing order.

    Monthly durations are small whole numbers: a table lookup then beats hashing or sorting.
    """
    whole = time.astype(np.int64)
    if len(time) and whole.min() >= 0 and whole.max() < 100_000 and np.array_equal(whole, time):
        present = np.bincount(whole) > 0
        code_of_value = np.cumsum(present) - 1
        return code_of_value[whole], np.flatnonzero(present).astype(float)
    codes, distinct = pd.factorize(time, sort=True)
    return codes, np.asarray(distinct, dtype=float)


def is_indicator(values: np.ndarray) -> bool:
    """Are all values in {-1, 0, 1}? A continuous column usually fails on its first few
    rows, so those are checked before the whole column."""

    def in_unit_set(part: np.ndarray) -> bool:
        magnitude = np.abs(part)
        return np.count_nonzero(magnitude == 0) + np.count_nonzero(magnitude == 1) == len(part)

    return in_unit_set(values[:256]) and in_unit_set(values)


def prepare_cox_data(
    X: np.ndarray,
    indicator: np.ndarray,
    names: list[str],
    time: np.ndarray,
    event: np.ndarray,
    weight: np.ndarray,
    stratum: np.ndarray,
    stratum_labels: list,
    cluster: np.ndarray | None,
    ties: str,
    entry: np.ndarray | None = None,
) -> CoxData:
    """Sort, centre and index the data once; everything that does not depend on beta.

    ``entry`` (optional) holds each row's entry time, below its ``time``: the row is at risk
    on ``(entry, time]``."""
    n = len(time)
    time_code, distinct_times = _time_codes(time)
    n_times = len(distinct_times)
    key = (stratum * n_times + time_code) * 2 + event
    # a stable sort keeps the original order within ties, as R does (cox.zph residual order)
    key = key.astype(np.uint16 if key.max(initial=0) < 2**16 else np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]

    unit_weights = bool((weight == 1).all())
    # Summed in slices too small for OpenBLAS to thread: a threaded call leaves its workers
    # spinning, burning the other core through the rest of the fit for no gain in time.
    slice_rows = 65_536
    means = (
        sum(
            weight[lo : lo + slice_rows] @ X[lo : lo + slice_rows]
            for lo in range(0, n, slice_rows)
        )
        / weight.sum()
    )
    # R leaves indicator columns (values in {-1, 0, 1}) uncentred, so that the baseline hazard
    # is at the reference level of every factor and the mean of every other covariate
    means[indicator] = 0.0
    weight = np.ones(n) if unit_weights else weight.take(order)

    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    cell_bounds = np.r_[starts, n]
    cell_key = key[starts].astype(np.int64)
    cell_is_event = (cell_key % 2).astype(bool)
    group_key = cell_key // 2
    group_start = np.r_[True, group_key[1:] != group_key[:-1]]
    cell_group = np.cumsum(group_start) - 1
    group_key = group_key[group_start]
    group_stratum = group_key // n_times
    group_time = distinct_times[group_key % n_times]
    stratum_bounds = np.searchsorted(group_stratum, np.arange(len(stratum_labels) + 1))
    # Cells are cut into blocks of at most block_rows(p) rows: each block's product then
    # stays in cache and below the size at which OpenBLAS spends threads on it.
    block_bounds, cell_first_block = _blocks(cell_bounds, block_rows(X.shape[1]))

    # One row per covariate, so that scaling a block by its risk scores runs along
    # contiguous memory. Whole rows of X are gathered a block at a time and, while the block
    # is in cache, centred, transposed and multiplied out into the null model's moments
    # (beta = 0: the risk scores are the weights), sparing the first Newton step a pass.
    augmented = np.empty((X.shape[1] + 1, n))
    augmented[0] = 1.0
    null_block_moments = np.empty((len(block_bounds) - 1,) + (X.shape[1] + 1,) * 2)
    for block, (lo, hi) in enumerate(zip(block_bounds[:-1].tolist(), block_bounds[1:].tolist())):
        columns = augmented[:, lo:hi]
        np.subtract(X.take(order[lo:hi], axis=0).T, means[:, None], out=columns[1:])
        weighted = columns if unit_weights else columns * weight[lo:hi]
        np.matmul(weighted, columns.T, out=null_block_moments[block])
    X = augmented[1:].T

    event_cells = np.flatnonzero(cell_is_event)
    event_groups = cell_group[event_cells]
    deaths = np.diff(cell_bounds)[event_cells]
    dead_weight = np.empty(len(event_cells))
    dead_weighted_x = np.empty((len(event_cells), X.shape[1]))
    for j, cell in enumerate(event_cells.tolist()):
        lo, hi = cell_bounds[cell], cell_bounds[cell + 1]
        dead_weight[j] = weight[lo:hi].sum()
        dead_weighted_x[j] = weight[lo:hi] @ X[lo:hi]

    # the k-th of d tied events (k = 0..d-1) enters Efron's denominator with weight 1 - k/d
    tie_starts = np.cumsum(deaths) - deaths
    if ties == "efron":
        tie_fraction = (np.arange(deaths.sum()) - np.repeat(tie_starts, deaths)) / np.repeat(
            deaths, deaths
        )
    else:
        tie_fraction = np.zeros(deaths.sum())

    entry_fields = {}
    if entry is not None:
        entry_fields = _entry_structure(
            entry.take(order),
            augmented,
            weight,
            cell_bounds,
            cell_group,
            group_stratum,
            group_time,
            stratum_bounds,
        )

    return CoxData(
        augmented=augmented,
        means=means,
        block_bounds=block_bounds,
        cell_first_block=cell_first_block,
        null_block_moments=null_block_moments,
        weight=weight,
        unit_weights=unit_weights,
        cluster=None if cluster is None else cluster.take(order),
        names=names,
        stratum_labels=stratum_labels,
        cell_bounds=cell_bounds,
        cell_group=cell_group,
        cell_is_event=cell_is_event,
        group_stratum=group_stratum,
        group_time=group_time,
        stratum_bounds=stratum_bounds,
        event_groups=event_groups,
        deaths=deaths,
        dead_weight=dead_weight,
        dead_weighted_x=dead_weighted_x,
        tie_starts=tie_starts,
        tie_fraction=tie_fraction,
        **entry_fields,
    )


def _blocks(run_bounds: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row boundaries of blocks of at most ``rows`` rows inside runs, and each run's first
    block."""
    blocks_per_run = -(-np.diff(run_bounds) // rows)
    first_block = np.cumsum(blocks_per_run) - blocks_per_run
    bounds = np.r_[
        np.repeat(run_bounds[:-1], blocks_per_run)
        + rows * (np.arange(blocks_per_run.sum()) - np.repeat(first_block, blocks_per_run)),
        run_bounds[-1],
    ]
    return bounds, first_block


def _entry_structure(
    entry: np.ndarray,
    augmented: np.ndarray,
    weight: np.ndarray,
    cell_bounds: np.ndarray,
    cell_group: np.ndarray,
    group_stratum: np.ndarray,
    group_time: np.ndarray,
    stratum_bounds: np.ndarray,
) -> dict:
    """Entry slots of the sorted rows and the slot-sorted copy of the rows that have one.

    A row whose entry is at or after the t of group g is out of g's risk set; with the slot
    the last group of its stratum whose time is <= entry, that is every group up to its slot,
    so subtracting its moments at the slot before the reverse cumulative sum removes it from
    exactly those risk sets."""
    row_group = np.repeat(cell_group, np.diff(cell_bounds))
    row_stratum = group_stratum[row_group]
    slot = np.full(len(entry), -1, dtype=np.int64)
    row_bounds = np.searchsorted(row_stratum, np.arange(len(stratum_bounds)))
    for s in range(len(stratum_bounds) - 1):
        lo, hi = stratum_bounds[s], stratum_bounds[s + 1]
        rows = slice(row_bounds[s], row_bounds[s + 1])
        position = np.searchsorted(group_time[lo:hi], entry[rows], side="right") - 1
        slot[rows] = np.where(position >= 0, lo + position, -1)
    entered = np.flatnonzero(slot >= 0)
    entered = entered[np.argsort(slot[entered], kind="stable")]
    entered_slot = slot[entered]
    starts = np.flatnonzero(np.r_[True, entered_slot[1:] != entered_slot[:-1]])
    run_bounds = np.r_[starts, len(entered)]
    block_bounds, first_block = _blocks(run_bounds, block_rows(augmented.shape[0] - 1))
    if not len(entered):
        block_bounds, first_block = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return {
        "entry": entry,
        "entry_slot": slot,
        "entry_augmented": np.ascontiguousarray(augmented[:, entered]),
        "entry_weight": weight[entered],
        "entry_block_bounds": block_bounds,
        "entry_cell_first_block": first_block,
        "entry_cell_group": entered_slot[starts] if len(entered) else np.zeros(0, np.int64),
    }


def _block_moments(
    augmented: np.ndarray, weight: np.ndarray, unit_weights: bool, bounds, beta
) -> np.ndarray:
    """(blocks, 1 + p, 1 + p) sums of w exp(xb) [1, x][1, x]' over each block of rows."""
    p = len(beta)
    block_moments = np.empty((len(bounds) - 1, p + 1, p + 1))
    with np.errstate(over="ignore"):
        for block, (lo, hi) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
            columns = augmented[:, lo:hi]
            weighted_risk = np.exp(beta @ columns[1:])
            if not unit_weights:
                weighted_risk *= weight[lo:hi]
            np.matmul(columns * weighted_risk, columns.T, out=block_moments[block])
    return block_moments


def _reverse_cumsum_by_stratum(values: np.ndarray, stratum_bounds: np.ndarray) -> np.ndarray:
    """Sum over later-or-equal groups of the same stratum (the risk set), adding from the end
    so that small late risk sets are not the difference of two large numbers."""
    out = np.empty_like(values)
    for lo, hi in zip(stratum_bounds[:-1], stratum_bounds[1:]):
        out[lo:hi] = np.cumsum(values[lo:hi][::-1], axis=0)[::-1]
    return out


def _cumsum_by_stratum(values: np.ndarray, stratum_bounds: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    for lo, hi in zip(stratum_bounds[:-1], stratum_bounds[1:]):
        out[lo:hi] = np.cumsum(values[lo:hi], axis=0)
    return out


def cox_sums(data: CoxData, beta: np.ndarray) -> CoxSums:
    """Partial log-likelihood, score and information at beta, plus the sums behind them.

    With ``c_k = k/d`` for the k-th of d tied events (Efron; ``c_k = 0`` for Breslow) and
    ``den_k = S0 - c_k E0``, the contribution of a tied set is
    ``sum_D w x b - mean_w * sum_k log den_k``; its score and information need only the
    five scalar sums of ``1/den_k``, ``c_k/den_k``, ``1/den_k^2``, ``c_k/den_k^2`` and
    ``c_k^2/den_k^2`` multiplying the risk-set and tied-set moment sums (as R's coxfit6,
    summed in closed form instead of term by term).
    """
    augmented, weight, bounds = data.augmented, data.weight, data.block_bounds
    p = len(beta)
    if not beta.any():  # the null model's moments were made while gathering the data
        block_moments = data.null_block_moments
    else:
        block_moments = _block_moments(augmented, weight, data.unit_weights, bounds, beta)
    cell_moments = np.add.reduceat(block_moments, data.cell_first_block, axis=0)
    cell0, cell1, cell2 = cell_moments[:, 0, 0], cell_moments[:, 0, 1:], cell_moments[:, 1:, 1:]

    n_groups = len(data.group_stratum)
    group0 = np.bincount(data.cell_group, weights=cell0, minlength=n_groups)
    group1 = np.zeros((n_groups, p))
    np.add.at(group1, data.cell_group, cell1)
    group2 = np.zeros((n_groups, p, p))
    np.add.at(group2, data.cell_group, cell2)
    if data.has_entry and len(data.entry_cell_group):
        # rows that enter at or after a group's time leave its risk set (see _entry_structure)
        entry_moments = np.add.reduceat(
            _block_moments(
                data.entry_augmented,
                data.entry_weight,
                data.unit_weights,
                data.entry_block_bounds,
                beta,
            ),
            data.entry_cell_first_block,
            axis=0,
        )
        slots = data.entry_cell_group
        group0 -= np.bincount(slots, weights=entry_moments[:, 0, 0], minlength=n_groups)
        np.subtract.at(group1, slots, entry_moments[:, 0, 1:])
        np.subtract.at(group2, slots, entry_moments[:, 1:, 1:])

    jg = data.event_groups
    s0 = _reverse_cumsum_by_stratum(group0, data.stratum_bounds)[jg]
    s1 = _reverse_cumsum_by_stratum(group1, data.stratum_bounds)[jg]
    s2 = _reverse_cumsum_by_stratum(group2, data.stratum_bounds)[jg]
    event_cells = data.cell_is_event
    e0, e1, e2 = cell0[event_cells], cell1[event_cells], cell2[event_cells]

    fraction, first_term = data.tie_fraction, data.tie_starts
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = np.repeat(s0, data.deaths) - fraction * np.repeat(e0, data.deaths)
        inverse = 1.0 / denominator
        log_sum = np.add.reduceat(np.log(denominator), first_term)
    fraction_inverse = fraction * inverse
    inverse_sq = inverse * inverse
    fraction_inverse_sq = fraction_inverse * inverse
    inv_sum = np.add.reduceat(inverse, first_term)
    frac_sum = np.add.reduceat(fraction_inverse, first_term)
    inv_sq_sum = np.add.reduceat(inverse_sq, first_term)
    frac_sq_sum = np.add.reduceat(fraction_inverse_sq, first_term)
    frac2_sq_sum = np.add.reduceat(fraction_inverse_sq * fraction, first_term)

    mean_weight = data.dead_weight / data.deaths
    dead_x_total = data.dead_weighted_x.sum(axis=0)
    loglik = float(dead_x_total @ beta - mean_weight @ log_sum)
    score = dead_x_total - ((mean_weight * inv_sum) @ s1 - (mean_weight * frac_sum) @ e1)
    information = _information(
        s1,
        s2,
        e1,
        e2,
        mean_weight * inv_sum,
        mean_weight * frac_sum,
        mean_weight * inv_sq_sum,
        mean_weight * frac_sq_sum,
        mean_weight * frac2_sq_sum,
    )
    return CoxSums(
        loglik=loglik,
        score=score,
        information=information,
        moments=cell_moments.sum(axis=0),
        s1=s1,
        s2=s2,
        e1=e1,
        e2=e2,
        inv_sum=inv_sum,
        frac_sum=frac_sum,
        inv_sq_sum=inv_sq_sum,
        frac_sq_sum=frac_sq_sum,
        frac2_sq_sum=frac2_sq_sum,
    )


def _information(s1, s2, e1, e2, a1, b1, a2, b2, c2) -> np.ndarray:
    """sum_j [a1 S2 - b1 E2 - (a2 S1S1' - b2 (S1E1' + E1S1') + c2 E1E1')] over event groups j;
    the per-group weights carry the tied-event weight and, for cox.zph, a time function."""
    cross = np.einsum("j,ja,jb->ab", b2, s1, e1)
    return (
        np.einsum("j,jab->ab", a1, s2)
        - np.einsum("j,jab->ab", b1, e2)
        - np.einsum("j,ja,jb->ab", a2, s1, s1)
        + cross
        + cross.T
        - np.einsum("j,ja,jb->ab", c2, e1, e1)
    )


def weighted_information(sums: CoxSums, data: CoxData, group_weight: np.ndarray) -> np.ndarray:
    mean_weight = data.dead_weight / data.deaths * group_weight
    return _information(
        sums.s1,
        sums.s2,
        sums.e1,
        sums.e2,
        mean_weight * sums.inv_sum,
        mean_weight * sums.frac_sum,
        mean_weight * sums.inv_sq_sum,
        mean_weight * sums.frac_sq_sum,
        mean_weight * sums.frac2_sq_sum,
    )


@dataclass
class NewtonOutcome:
    beta: np.ndarray
    sums: CoxSums
    converged: bool
    iterations: int
    halvings: int


def newton_raphson(data: CoxData, null_sums: CoxSums, max_iter: int, tol: float) -> NewtonOutcome:
    """Maximise the partial likelihood by Newton–Raphson with step-halving.

    Converged when the log-likelihood changes by at most ``tol`` relative (R's rule) or the
    largest step falls below ``tol`` (absolute plus relative). A step that lowers the
    log-likelihood or overflows is halved, up to 30 times, before giving up.
    """
    beta = np.zeros(data.X.shape[1])
    sums = null_sums
    halvings = 0
    for iteration in range(1, max_iter + 1):
        try:
            step = linalg.solve(sums.information, sums.score, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            return NewtonOutcome(beta, sums, False, iteration, halvings)
        for _ in range(31):
            trial = cox_sums(data, beta + step)
            if np.isfinite(trial.loglik) and trial.loglik >= sums.loglik - 1e-12 * abs(
                sums.loglik
            ):
                break
            step = step / 2
            halvings += 1
        else:
            return NewtonOutcome(beta, sums, False, iteration, halvings)
        previous = sums.loglik
        beta, sums = beta + step, trial
        small_change = abs(1 - previous / sums.loglik) <= tol if sums.loglik else True
        small_step = np.max(np.abs(step) / (1 + np.abs(beta))) <= tol
        if small_change or small_step:
            return NewtonOutcome(beta, sums, True, iteration, halvings)
    return NewtonOutcome(beta, sums, False, max_iter, halvings)


def tie_mean_x(data: CoxData, sums: CoxSums) -> np.ndarray:
    """(J, p) mean over the Efron terms of the risk-set mean of x at each event time: the
    expected covariate an event there is compared with (Schoenfeld residuals)."""
    return (sums.inv_sum[:, None] * sums.s1 - sums.frac_sum[:, None] * sums.e1) / data.deaths[
        :, None
    ]


def score_residuals(data: CoxData, sums: CoxSums, beta: np.ndarray) -> np.ndarray:
    """Weighted score residuals per (sorted) subject, R's ``residuals(fit, "score",
    weighted = TRUE)``: their column sums are the score vector.

    For subject i ending in group g:
    ``w_i [d_i (x_i - xbar_g) - r_i (x_i H0_g - H1_g) + d_i r_i (x_i G0_g - G1_g)]``, where
    H0, H1 accumulate the hazard and hazard-weighted means over earlier-or-equal event times
    of the stratum, and G0, G1 remove the Efron down-weighting of the subject's own tied set.
    """
    n_groups = len(data.group_stratum)
    mean_weight = data.dead_weight / data.deaths
    hazard = mean_weight * sums.inv_sum
    hazard_x = mean_weight[:, None] * (
        sums.inv_sq_sum[:, None] * sums.s1 - sums.frac_sq_sum[:, None] * sums.e1
    )
    tie_hazard = mean_weight * sums.frac_sum
    tie_hazard_x = mean_weight[:, None] * (
        sums.frac_sq_sum[:, None] * sums.s1 - sums.frac2_sq_sum[:, None] * sums.e1
    )
    tie_means = tie_mean_x(data, sums)

    def on_groups(values: np.ndarray) -> np.ndarray:
        full = np.zeros((n_groups,) + values.shape[1:])
        full[data.event_groups] = values
        return full

    cum_hazard = _cumsum_by_stratum(on_groups(hazard), data.stratum_bounds)
    cum_hazard_x = _cumsum_by_stratum(on_groups(hazard_x), data.stratum_bounds)
    g = data.row_group
    X = data.X
    risk = np.exp(X @ beta)
    row_hazard, row_hazard_x = cum_hazard[g], cum_hazard_x[g]
    if data.has_entry:
        # a late entrant's hazard runs from its entry on: drop the hazard up to its slot
        entered = np.flatnonzero(data.entry_slot >= 0)
        row_hazard[entered] -= cum_hazard[data.entry_slot[entered]]
        row_hazard_x[entered] -= cum_hazard_x[data.entry_slot[entered]]
    residuals = -risk[:, None] * (X * row_hazard[:, None] - row_hazard_x)
    dead = np.flatnonzero(data.event)
    own_group = np.repeat(np.arange(len(data.deaths)), data.deaths)
    residuals[dead] += (X[dead] - tie_means[own_group]) + risk[dead, None] * (
        X[dead] * tie_hazard[own_group, None] - tie_hazard_x[own_group]
    )
    return residuals * data.weight[:, None]


def robust_covariance(
    data: CoxData, sums: CoxSums, beta: np.ndarray, naive_cov: np.ndarray, cluster: np.ndarray
) -> np.ndarray:
    """Sandwich variance as R's coxph with cluster(): dfbeta residuals summed per cluster.

    The score residuals are summed per cluster before multiplying by the naive covariance,
    which gives the same dfbeta sums without an n x p matrix product."""
    residuals = score_residuals(data, sums, beta)
    n_clusters = int(cluster.max()) + 1
    score_per_cluster = np.column_stack(
        [np.bincount(cluster, weights=column, minlength=n_clusters) for column in residuals.T]
    )
    dfbeta_per_cluster = score_per_cluster @ naive_cov
    return dfbeta_per_cluster.T @ dfbeta_per_cluster


def baseline_cumulative_hazard(data: CoxData, sums: CoxSums) -> pd.DataFrame:
    """Breslow / Efron-type cumulative baseline hazard at the centring point ``means``, at
    every distinct time of each stratum (R's ``basehaz(fit, centered = TRUE)``)."""
    increments = np.zeros(len(data.group_stratum))
    increments[data.event_groups] = data.dead_weight / data.deaths * sums.inv_sum
    cumulative = _cumsum_by_stratum(increments, data.stratum_bounds)
    labels = np.empty(len(data.stratum_labels), dtype=object)
    labels[:] = data.stratum_labels
    return pd.DataFrame(
        {
            "stratum": labels[data.group_stratum],
            "time": natural_times(data.group_time),
            "cumulative_hazard": cumulative,
        }
    )


def proportional_hazards_score(
    data: CoxData, sums: CoxSums, time_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Score and information, at the fitted beta, of adding ``x * g(t)`` to the model.

    ``time_weight`` is the centred g(t) of each sorted row. Returns the (2p,) score (zero in
    the first p entries: beta maximises the partial likelihood) and the (2p, 2p) information
    of (beta, gamma), from which :func:`overdue.models.cox.cox_zph` forms its score tests.
    """
    event_rows = data.cell_bounds[:-1][data.cell_is_event]
    group_time_weight = time_weight[event_rows]

    mean_weight = data.dead_weight / data.deaths
    expected_x = mean_weight[:, None] * (
        sums.inv_sum[:, None] * sums.s1 - sums.frac_sum[:, None] * sums.e1
    )
    time_score = group_time_weight @ (data.dead_weighted_x - expected_x)
    information = np.block(
        [
            [sums.information, weighted_information(sums, data, group_time_weight)],
            [
                weighted_information(sums, data, group_time_weight),
                weighted_information(sums, data, group_time_weight**2),
            ],
        ]
    )
    score = np.r_[np.zeros(len(data.names)), time_score]
    return score, information


def scaled_schoenfeld_residuals(data: CoxData, sums: CoxSums, beta: np.ndarray) -> np.ndarray:
    """(events, p) scaled Schoenfeld residuals ``beta + D V r`` in sorted event order, as R's
    ``cox.zph(fit)$y``."""
    event_group_of_row = np.repeat(np.arange(len(data.deaths)), data.deaths)
    schoenfeld = data.X[data.event] - tie_mean_x(data, sums)[event_group_of_row]
    return beta + data.event.sum() * schoenfeld @ linalg.inv(sums.information)


#: Row ranges up to this size have every pair compared directly by :func:`_pair_counts`.
_ALL_PAIRS_ROWS = 512


def concordance(data: CoxData, beta: np.ndarray) -> float:
    """Harrell's C of the linear predictor, as R's ``concordance(coxph_fit)``.

    A pair is comparable when the earlier time is an event; it is concordant when the
    subject that failed first has the higher risk score. Pairs in different strata are not
    compared, pairs of events at the same time are left out, pairs tied on the risk score
    count one half, and a pair weighs the product of its case weights (R's
    ``concordancefit(y, lp, strata, weights, reverse = TRUE)`` with ``timewt = "n"``). A
    subject censored at an event time counts as still at risk then, as in R.
    """
    # Summed term by term in a fixed order, so that subjects with equal covariates get
    # bit-equal risk scores (a BLAS product may round rows differently) and tie as in R.
    risk_score = np.zeros(data.X.shape[0])
    for k, coefficient in enumerate(beta.tolist()):
        risk_score += coefficient * data.augmented[k + 1]
    weight = None if data.unit_weights else data.weight
    if data.has_entry:
        return _concordance_counting(data, risk_score, weight)
    counts = np.zeros(3)
    row_bounds = np.searchsorted(data.stratum, np.arange(len(data.stratum_labels) + 1))
    for lo, hi in zip(row_bounds[:-1].tolist(), row_bounds[1:].tolist()):
        if hi > lo:
            counts += _pair_counts(
                risk_score[lo:hi],
                None if weight is None else weight[lo:hi],
                data.row_group[lo:hi],
                data.event[lo:hi],
            )[0]
    concordant, discordant, tied = counts
    pairs = concordant + discordant + tied
    return float((concordant + tied / 2) / pairs) if pairs > 0 else float("nan")


def _concordance_counting(data: CoxData, score: np.ndarray, weight: np.ndarray | None) -> float:
    """Harrell's C over (start, stop] risk sets, as R's concordance of a counting-process fit.

    Each event at t is compared with the rows at risk at t (``entry < t``, and ``stop > t`` or
    censored at t); tied events are left out. A sweep over the stratum's times from the last
    to the first keeps a histogram of the risk set's scores by rank: censored rows are added
    at their stop time, events after they are compared, and a row leaves at its entry slot.
    With monthly times that is a few dozen cumulative sums over the distinct scores.
    """
    w = np.ones(len(score)) if weight is None else weight
    counts = np.zeros(3)
    row_bounds = np.searchsorted(data.stratum, np.arange(len(data.stratum_labels) + 1))
    for s, (lo, hi) in enumerate(zip(row_bounds[:-1].tolist(), row_bounds[1:].tolist())):
        if hi == lo:
            continue
        distinct, rank = np.unique(score[lo:hi], return_inverse=True)
        histogram = np.zeros(len(distinct))
        group = data.row_group[lo:hi]
        event = data.event[lo:hi]
        slot = data.entry_slot[lo:hi]
        weights = w[lo:hi]
        group_lo, group_hi = data.stratum_bounds[s], data.stratum_bounds[s + 1]
        # rows of each group are contiguous (sorted by group); leaving rows are not
        bounds = np.searchsorted(group, np.arange(group_lo, group_hi + 1))
        leaving = np.flatnonzero(slot >= 0)
        leaving = leaving[np.argsort(slot[leaving], kind="stable")]
        leave_bounds = np.searchsorted(slot[leaving], np.arange(group_lo, group_hi + 1))
        for g in range(group_hi - group_lo - 1, -1, -1):
            rows = np.arange(bounds[g], bounds[g + 1])
            dead = rows[event[rows]]
            alive = rows[~event[rows]]
            np.add.at(histogram, rank[alive], weights[alive])
            gone = leaving[leave_bounds[g] : leave_bounds[g + 1]]
            np.subtract.at(histogram, rank[gone], weights[gone])
            if len(dead):
                below = np.r_[0.0, np.cumsum(histogram)]
                r = rank[dead]
                total = below[-1]
                counts += weights[dead] @ np.column_stack(
                    [below[r], total - below[r + 1], histogram[r]]
                )
            np.add.at(histogram, rank[dead], weights[dead])
    concordant, discordant, tied = counts
    pairs = concordant + discordant + tied
    return float((concordant + tied / 2) / pairs) if pairs > 0 else float("nan")


def _pair_counts(
    score: np.ndarray, weight: np.ndarray | None, group: np.ndarray, event: np.ndarray
):
    """(concordant, discordant, tied on score) weights of the comparable pairs among rows
    sorted by (time group, event) — a stratum, or a run of whole time groups of one — and
    the rows' scores, event flags and weights sorted by score.

    A merge sort over time: the rows are halved at the time boundary nearest the middle,
    each half is counted (and sorted) by recursion, and every event of the earlier half is
    compared with all of the later half as the two sorted halves are merged. A range of one
    time compares its events with the subjects censored then; a small range compares every
    pair. O(n log n) in all: with monthly durations, some six merges of the whole data.
    """
    if group[0] == group[-1]:
        # One time: its events are compared with the subjects censored then, no one else.
        order = np.argsort(score)
        sorted_score, sorted_event = score[order], event[order]
        sorted_weight = None if weight is None else weight[order]
        censored = ~sorted_event
        counts = _counts_against(
            sorted_score[sorted_event],
            None if weight is None else sorted_weight[sorted_event],
            sorted_score[censored],
            None if weight is None else sorted_weight[censored],
        )
        return counts, sorted_score, sorted_event, sorted_weight
    if len(score) <= _ALL_PAIRS_ROWS:
        events = np.flatnonzero(event)
        later = (group[None, :] > group[events, None]) | (
            (group[None, :] == group[events, None]) & ~event[None, :]
        )
        pair_weight = later if weight is None else later * np.outer(weight[events], weight)
        difference = score[events, None] - score[None, :]
        counts = np.array(
            [
                (pair_weight * (difference > 0)).sum(),
                (pair_weight * (difference < 0)).sum(),
                (pair_weight * (difference == 0)).sum(),
            ],
            dtype=float,
        )
        order = np.argsort(score)
        return counts, score[order], event[order], None if weight is None else weight[order]

    starts = np.flatnonzero(group[1:] != group[:-1]) + 1
    cut = int(starts[np.argmin(np.abs(starts - len(score) / 2))])
    early = _pair_counts(
        score[:cut], None if weight is None else weight[:cut], group[:cut], event[:cut]
    )
    late = _pair_counts(
        score[cut:], None if weight is None else weight[cut:], group[cut:], event[cut:]
    )
    early_score, early_event, early_weight = early[1:]
    late_score, late_event, late_weight = late[1:]
    counts = early[0] + late[0]
    # The stable merge of the sorted halves puts each early score before the late ones it
    # ties with, so its merged position minus its own rank counts the late scores below it.
    merged = np.argsort(np.concatenate([early_score, late_score]), kind="stable")
    from_early = merged < len(early_score)
    below = np.flatnonzero(from_early) - np.arange(len(early_score))
    if early_event.any():
        counts += _counts_against(
            early_score[early_event],
            None if weight is None else early_weight[early_event],
            late_score,
            late_weight,
            below=below[early_event],
        )
    merged_score = np.concatenate([early_score, late_score])[merged]
    merged_event = np.concatenate([early_event, late_event])[merged]
    merged_weight = None if weight is None else np.concatenate([early_weight, late_weight])[merged]
    return counts, merged_score, merged_event, merged_weight


def _counts_against(
    event_score: np.ndarray,
    event_weight: np.ndarray | None,
    later: np.ndarray,
    later_weight: np.ndarray | None,
    below: np.ndarray | None = None,
) -> np.ndarray:
    """(concordant, discordant, tied) weights of events against later subjects whose risk
    scores ``later`` are sorted (their weights in the same order); ``below`` counts the
    later scores below each event's, when the caller has it."""
    if below is None:
        below = np.searchsorted(later, event_score, side="left")
    up_to = np.searchsorted(later, event_score, side="right")
    if event_weight is None:
        return np.array(
            [below.sum(), (len(later) - up_to).sum(), (up_to - below).sum()], dtype=float
        )
    cumulative = np.r_[0.0, np.cumsum(later_weight)]
    return np.array(
        [
            event_weight @ cumulative[below],
            event_weight @ (cumulative[-1] - cumulative[up_to]),
            event_weight @ (cumulative[up_to] - cumulative[below]),
        ]
    )


@dataclass(frozen=True)
class CoxEngine:
    """What a Cox fit keeps for later use (``FitResult._engine``): the sorted data and the
    risk-set sums at the estimate, which :func:`overdue.models.cox.cox_zph` reuses."""

    data: CoxData
    sums: CoxSums
