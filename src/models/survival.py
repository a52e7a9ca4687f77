"""Time to overdue: Kaplan–Meier curves, the log-rank test, Cox regression and its PH check.

Everything here follows R's ``survival`` package (Therneau) so that results can be checked
against it number for number:

* :func:`kaplan_meier` — ``survfit(Surv(time, event) ~ by, conf.type = "log-log")``;
* :func:`logrank_test` — ``survdiff`` (rho = 0);
* :func:`fit_cox` — ``coxph`` with Efron or Breslow ties, ``strata()``, ``cluster()`` and case
  weights;
* :func:`cox_zph` — ``cox.zph(fit, transform = "km")`` in its score-test form (survival >= 3.0).

Loan durations are whole months, so a million loans share a few dozen distinct times. The Cox
fit exploits that: every Newton step aggregates per (stratum, distinct time) the sums of
``w exp(xb)``, ``w exp(xb) x`` and ``w exp(xb) x x'`` over the subjects who end there, turns
them into risk-set sums by reverse cumulative sums over time, and works out the Efron terms of
each tied set from a handful of scalar sums. A step costs O(n p^2) vectorised numpy and no
Python loop over subjects.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from overdue.models.result import FitResult, tidy_summary

__all__ = [
    "LogrankResult",
    "ZphResult",
    "cox_zph",
    "fit_cox",
    "kaplan_meier",
    "logrank_test",
]


# ---------------------------------------------------------------------------------------------
# input checks shared by every public function
# ---------------------------------------------------------------------------------------------

def _require_columns(df: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(f"{role} column(s) {missing} not found in the data")


def _numeric_column(df: pd.DataFrame, column: str, role: str) -> np.ndarray:
    _require_columns(df, [column], role)
    values = df[column]
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        raise ValueError(f"column '{column}' ({role}) must be numeric, got dtype {values.dtype}")
    array = values.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(
            f"column '{column}' ({role}) has {int(bad.sum())} missing or infinite values "
            f"(first at index {df.index[int(bad.argmax())]!r})")
    return array


def _duration_column(df: pd.DataFrame, column: str) -> np.ndarray:
    durations = _numeric_column(df, column, "duration")
    if (durations < 0).any():
        raise ValueError(f"column '{column}' (duration) has {int((durations < 0).sum())} "
                         "negative values")
    return durations


def _event_column(df: pd.DataFrame, column: str) -> np.ndarray:
    events = _numeric_column(df, column, "event indicator")
    not_binary = (events != 0) & (events != 1)
    if not_binary.any():
        unexpected = np.unique(events[not_binary])
        raise ValueError(
            f"column '{column}' (event indicator) must be 0/1, found values "
            f"{unexpected[:5].tolist()}; recode competing events before a single-event model")
    return events.astype(bool)


def _as_column_list(columns: str | Sequence[str] | None) -> list[str]:
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def _group_codes(df: pd.DataFrame, columns: str | Sequence[str] | None,
                 role: str) -> tuple[np.ndarray, list]:
    """Integer codes (sorted by value) and one label per group of the given columns.

    A single column keeps its own values as labels; several columns get R-style labels
    ``"a=x, b=y"``; no column means one group labelled ``"all"``.
    """
    names = _as_column_list(columns)
    if not names:
        return np.zeros(len(df), dtype=np.int64), ["all"]
    _require_columns(df, names, role)
    for name in names:
        n_missing = int(df[name].isna().sum())
        if n_missing:
            raise ValueError(f"column '{name}' ({role}) has {n_missing} missing values")
    if len(names) == 1:
        codes, uniques = pd.factorize(df[names[0]], sort=True)
        return codes.astype(np.int64), list(uniques)
    grouped = df[names].groupby(names, sort=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    labels = [", ".join(f"{name}={value}" for name, value in zip(names, key))
              for key in grouped.size().index]
    return codes, labels


def _natural_times(durations: np.ndarray) -> np.ndarray:
    """Durations as integers when they are whole numbers (months), for readable tables."""
    if np.all(durations == np.round(durations)):
        return durations.astype(np.int64)
    return durations


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")


# ---------------------------------------------------------------------------------------------
# Kaplan–Meier and log-rank
# ---------------------------------------------------------------------------------------------

def kaplan_meier(df: pd.DataFrame, duration: str = "time", event: str = "defaulted",
                 by: str | Sequence[str] | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan–Meier survival curves, one per group, as a tidy table.

    The variance is Greenwood's, on the log scale, and the confidence interval is the
    log-log one, as R's ``survfit(..., conf.type = "log-log")``:
    ``S ** exp(±z * se / log S)``. Like R, the interval is NaN where the survival is 1
    (before the first event) or 0 (after the last subject failed).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject (loan).
    duration : str
        Column of times (months on book to event or censoring), non-negative.
    event : str
        Column of 0/1 event indicators (1 = defaulted, 0 = censored).
    by : str or list of str, optional
        Factor column(s) defining the groups. None gives one curve labelled ``"all"``.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group and distinct time (event or censoring), with columns ``group,
        time, n_at_risk, n_events, n_censored, survival, std_err, ci_lower, ci_upper``;
        ``std_err`` is R's ``std.err``, the standard error of the cumulative hazard
        ``-log S``. A single ``by`` column keeps its values as group labels; several give
        labels ``"a=x, b=y"``.

    Examples
    --------
    >>> toy = pd.DataFrame({"time": [1, 2, 2, 3], "defaulted": [1, 1, 0, 0]})
    >>> kaplan_meier(toy)["survival"].round(3).tolist()
    [0.75, 0.5, 0.5]
    """
    _check_alpha(alpha)
    durations = _duration_column(df, duration)
    events = _event_column(df, event)
    codes, labels = _group_codes(df, by, "by")

    frame = pd.DataFrame({"code": codes, "time": _natural_times(durations),
                          "event": events.astype(np.int64)})
    table = (frame.groupby(["code", "time"], sort=True)["event"]
             .agg(n_events="sum", n_total="size").reset_index())
    # at risk at t: everyone in the group whose time is >= t
    table["n_at_risk"] = table.iloc[::-1].groupby("code")["n_total"].cumsum().iloc[::-1]
    table["n_censored"] = table["n_total"] - table["n_events"]

    at_risk = table["n_at_risk"].to_numpy(dtype=float)
    dead = table["n_events"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["survival"] = 1.0 - dead / at_risk
        greenwood_terms = np.where(dead > 0, dead / (at_risk * (at_risk - dead)), 0.0)
    table["survival"] = table.groupby("code")["survival"].cumprod()
    table["greenwood"] = greenwood_terms
    table["std_err"] = np.sqrt(table.groupby("code")["greenwood"].cumsum())

    survival = table["survival"].to_numpy()
    interior = (survival > 0) & (survival < 1)
    log_survival = np.log(np.where(interior, survival, 0.5))
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", over="ignore"):
        half_width = z * table["std_err"].to_numpy() / log_survival
        lower = np.exp(-np.exp(np.log(-log_survival) - half_width))
        upper = np.exp(-np.exp(np.log(-log_survival) + half_width))
    table["ci_lower"] = np.where(interior, lower, np.nan)
    table["ci_upper"] = np.where(interior, upper, np.nan)

    group_labels = np.empty(len(labels), dtype=object)
    group_labels[:] = labels
    table.insert(0, "group", group_labels[table["code"].to_numpy()])
    columns = ["group", "time", "n_at_risk", "n_events", "n_censored", "survival", "std_err",
               "ci_lower", "ci_upper"]
    return table[columns].reset_index(drop=True)


@dataclass(frozen=True)
class LogrankResult:
    """Outcome of :func:`logrank_test`.

    Attributes
    ----------
    statistic : float
        Chi-square statistic.
    df : int
        Degrees of freedom (groups with a positive expected count, minus one).
    p : float
        Upper-tail chi-square p-value.
    groups : pandas.DataFrame
        Per group: ``n``, ``observed`` and ``expected`` events (summed over strata).
    """

    statistic: float
    df: int
    p: float
    groups: pd.DataFrame


def logrank_test(df: pd.DataFrame, duration: str = "time", event: str = "defaulted",
                 by: str | Sequence[str] | None = None,
                 strata: str | Sequence[str] | None = None) -> LogrankResult:
    """k-group log-rank test of equal survival, as R's ``survdiff`` (rho = 0).

    Observed minus expected events per group, with the hypergeometric variance at each
    distinct time; the statistic drops the first group (and groups expected to have no
    events), as R does.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per subject.
    duration, event : str
        Time and 0/1 event columns.
    by : str or list of str
        Factor column(s) whose groups are compared.
    strata : str or list of str, optional
        Stratify the test: within-stratum sums are added over strata, as
        ``survdiff(Surv(time, event) ~ by + strata(s))``.

    Returns
    -------
    LogrankResult
        ``statistic``, ``df``, ``p`` and a per-group table.

    Examples
    --------
    >>> toy = pd.DataFrame({"time": [1, 2, 3, 4, 2, 5, 6, 7],
    ...                     "defaulted": [1, 1, 1, 0, 0, 1, 0, 1],
    ...                     "grade": list("AAAABBBB")})
    >>> result = logrank_test(toy, by="grade")
    >>> round(result.statistic, 3), result.df
    (3.801, 1)
    """
    if by is None or not _as_column_list(by):
        raise ValueError("logrank_test needs a 'by' column defining the groups to compare")
    durations = _duration_column(df, duration)
    events = _event_column(df, event)
    group, labels = _group_codes(df, by, "by")
    if len(labels) < 2:
        raise ValueError(f"'by' column(s) {by!r} hold a single group; nothing to compare")
    stratum, stratum_labels = _group_codes(df, strata, "strata")
    time_code, distinct_times = pd.factorize(durations, sort=True)

    n_groups, n_times, n_strata = len(labels), len(distinct_times), len(stratum_labels)
    cell = (stratum * n_times + time_code) * n_groups + group
    size = n_strata * n_times * n_groups
    ending = np.bincount(cell, minlength=size).reshape(n_strata, n_times, n_groups)
    deaths = np.bincount(cell, weights=events, minlength=size).reshape(ending.shape)
    at_risk = np.cumsum(ending[:, ::-1], axis=1)[:, ::-1].astype(float)

    total_at_risk = at_risk.sum(axis=2)
    total_deaths = deaths.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_at_risk[..., None] > 0, at_risk / total_at_risk[..., None], 0.0)
        hypergeometric = np.where(
            total_at_risk > 1,
            total_deaths * (total_at_risk - total_deaths) / (total_at_risk - 1), 0.0)
    observed = deaths.sum(axis=(0, 1))
    expected = np.einsum("st,stk->k", total_deaths, share)
    variance = (np.diag(np.einsum("st,stk->k", hypergeometric, share))
                - np.einsum("st,stk,stl->kl", hypergeometric, share, share))

    tested = expected > 0
    difference = (observed - expected)[tested][1:]
    sub_variance = variance[np.ix_(tested, tested)][1:, 1:]
    dof = int(tested.sum()) - 1
    statistic = float(difference @ linalg.solve(sub_variance, difference,
                                                assume_a="sym")) if dof > 0 else 0.0
    groups = pd.DataFrame({"group": labels, "n": np.bincount(group, minlength=n_groups),
                           "observed": observed, "expected": expected})
    p_value = float(stats.chi2.sf(statistic, dof)) if dof > 0 else float("nan")
    return LogrankResult(statistic=statistic, df=dof, p=p_value, groups=groups)


# ---------------------------------------------------------------------------------------------
# Cox proportional hazards
# ---------------------------------------------------------------------------------------------

@dataclass
class _CoxData:
    """The fitted data, sorted by (stratum, time, event) and aggregated per distinct time.

    Sorting once makes every (stratum, time, event) cell a contiguous run of subjects, so each
    Newton step needs one small, cache-resident matrix product per cell instead of a loop
    over subjects: ``[1, x]' diag(w exp(xb)) [1, x]`` holds all three moment sums at once.
    Covariates are centred at their weighted means, indicator columns excepted (as R does),
    which keeps ``exp(xb)`` well scaled and leaves the partial likelihood unchanged.
    """

    augmented: np.ndarray         # (1 + p, n) a row of ones, then the centred covariates
    means: np.ndarray             # (p,) centring point removed from the covariates
    weight: np.ndarray            # (n,) case weights
    unit_weights: bool            # every case weight is 1 (weight need not be multiplied in)
    cluster: np.ndarray | None    # (n,) cluster code, or None
    names: list[str]              # coefficient names
    stratum_labels: list
    cell_bounds: np.ndarray       # (cells + 1,) row boundaries of (stratum, time, event) cells
    block_bounds: np.ndarray      # row boundaries of the blocks cells are cut into
    cell_first_block: np.ndarray  # (cells,) index of each cell's first block
    null_block_moments: np.ndarray  # (blocks, 1 + p, 1 + p) each block's moments at beta = 0
    cell_group: np.ndarray        # (cells,) index of the cell's (stratum, time) group
    cell_is_event: np.ndarray     # (cells,) bool
    group_stratum: np.ndarray     # (groups,) stratum code of each (stratum, time) group
    group_time: np.ndarray        # (groups,) its time
    stratum_bounds: np.ndarray    # (strata + 1,) group boundaries of each stratum
    event_groups: np.ndarray      # (J,) groups holding at least one event
    deaths: np.ndarray            # (J,) number of events in each event group
    dead_weight: np.ndarray       # (J,) sum of case weights of those events
    dead_weighted_x: np.ndarray   # (J, p) sum of w x over those events
    tie_starts: np.ndarray        # (J,) position of each event group's first Efron term
    tie_fraction: np.ndarray      # (D,) k / d for the k-th Efron term (0 for Breslow)

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
class _CoxSums:
    """Risk-set and tied-event sums at one beta, restricted to the J event groups."""

    loglik: float
    score: np.ndarray             # (p,)
    information: np.ndarray       # (p, p)
    moments: np.ndarray           # (1 + p, 1 + p) sum over all rows of w exp(xb) [1,x][1,x]'
    s1: np.ndarray                # (J, p) risk-set sum of w exp(xb) x
    s2: np.ndarray                # (J, p, p) risk-set sum of w exp(xb) x x'
    e1: np.ndarray                # (J, p) the same sums over the tied events only
    e2: np.ndarray                # (J, p, p)
    inv_sum: np.ndarray           # (J,) sum_k 1/den_k, den_k = s0 - c_k e0
    frac_sum: np.ndarray          # (J,) sum_k c_k/den_k
    inv_sq_sum: np.ndarray        # (J,) sum_k 1/den_k^2
    frac_sq_sum: np.ndarray       # (J,) sum_k c_k/den_k^2
    frac2_sq_sum: np.ndarray      # (J,) sum_k c_k^2/den_k^2


def _design_matrix(df: pd.DataFrame, formula_or_columns: str | Sequence[str]
                   ) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, list[str]], str]:
    """Covariate matrix, which of its columns are indicators (values in {-1, 0, 1}),
    coefficient names, term -> coefficients, and a formula label.

    The matrix is row-major, so that sorting gathers whole rows (each one cache line) rather
    than p scattered values; the indicator check reads each column while it is contiguous.
    """
    if isinstance(formula_or_columns, str):
        import patsy  # statsmodels' formula engine; imported late as only formulas need it

        formula = formula_or_columns.strip()
        if "~" in formula and formula.split("~", 1)[0].strip():
            raise ValueError(f"the Cox formula takes covariates only (a right-hand side such "
                             f"as 'fico + C(purpose_group)'), got {formula!r}")
        try:
            # Build with an intercept, then drop it, so factors get reference coding as in R.
            design = patsy.dmatrix(formula, df, NA_action="raise", return_type="dataframe")
        except patsy.PatsyError as error:
            raise ValueError(f"cannot build the design for {formula!r}: {error}") from None
        term_columns = {term: list(design.columns[slice_])
                        for term, slice_ in design.design_info.term_name_slices.items()
                        if term != "Intercept"}
        design = design.drop(columns="Intercept", errors="ignore")
        if design.shape[1] == 0:
            raise ValueError(f"formula {formula!r} has no covariates")
        values = design.to_numpy(dtype=float)
        bad = ~np.isfinite(values).all(axis=0)
        if bad.any():
            raise ValueError(f"covariate(s) {list(design.columns[bad])} have infinite values")
        indicator = np.array([_is_indicator(values[:, k]) for k in range(values.shape[1])])
        return (np.ascontiguousarray(values), indicator, list(design.columns), term_columns,
                formula)
    columns = _as_column_list(formula_or_columns)
    if not columns:
        raise ValueError("no covariates given: pass a formula or a non-empty list of columns")
    column_values = [_numeric_column(df, column, "covariate") for column in columns]
    indicator = np.array([_is_indicator(one_column) for one_column in column_values])
    values = np.empty((len(df), len(columns)))
    # filled a slab of rows at a time, so that each slab stays in cache while every column
    # is written into it (column by column over all rows would stream the matrix p times)
    slab_rows = 32_768
    for lo in range(0, len(df), slab_rows):
        for k, one_column in enumerate(column_values):
            values[lo:lo + slab_rows, k] = one_column[lo:lo + slab_rows]
    return (values, indicator, columns, {column: [column] for column in columns},
            " + ".join(columns))


def _check_full_rank(moments: np.ndarray, names: list[str]) -> None:
    """Raise a ValueError naming the first covariate that is constant or collinear.

    ``moments`` is the weighted sum of ``[1, x][1, x]'`` over all rows (the null model's)."""
    total = moments[0, 0]
    mean = moments[0, 1:] / total
    second = np.diag(moments)[1:] / total
    covariance = moments[1:, 1:] / total - np.outer(mean, mean)
    scale = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    constant = scale <= 1e-7 * np.sqrt(second) + 1e-300
    if constant.any():
        raise ValueError(f"covariate '{names[int(constant.argmax())]}' is constant; "
                         "a Cox model has no intercept, drop it")
    correlation = covariance / np.outer(scale, scale)
    for k in range(1, len(names)):
        eigenvalues = np.linalg.eigvalsh(correlation[: k + 1, : k + 1])
        if eigenvalues[0] < 1e-10:
            raise ValueError(f"covariate '{names[k]}' is collinear with earlier covariates "
                             f"{names[:k]}")


_BLOCK_ROWS = 4096


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


def _is_indicator(values: np.ndarray) -> bool:
    """Are all values in {-1, 0, 1}? A continuous column usually fails on its first few
    rows, so those are checked before the whole column."""
    def in_unit_set(part: np.ndarray) -> bool:
        magnitude = np.abs(part)
        return np.count_nonzero(magnitude == 0) + np.count_nonzero(magnitude == 1) == len(part)
    return in_unit_set(values[:256]) and in_unit_set(values)


def _prepare_cox_data(X: np.ndarray, indicator: np.ndarray, names: list[str],
                      time: np.ndarray, event: np.ndarray, weight: np.ndarray,
                      stratum: np.ndarray, stratum_labels: list,
                      cluster: np.ndarray | None, ties: str) -> _CoxData:
    """Sort, centre and index the data once; everything that does not depend on beta."""
    n = len(time)
    time_code, distinct_times = _time_codes(time)
    n_times = len(distinct_times)
    key = (stratum * n_times + time_code) * 2 + event
    # a stable sort keeps the original order within ties, as R does (cox.zph residual order)
    key = key.astype(np.uint16 if key.max(initial=0) < 2 ** 16 else np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]

    unit_weights = bool((weight == 1).all())
    # Summed in slices too small for OpenBLAS to thread: a threaded call leaves its workers
    # spinning, burning the other core through the rest of the fit for no gain in time.
    slice_rows = 65_536
    means = sum(weight[lo:lo + slice_rows] @ X[lo:lo + slice_rows]
                for lo in range(0, n, slice_rows)) / weight.sum()
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
    # Cells are cut into blocks of at most _BLOCK_ROWS rows: each block's product then stays
    # in cache and below the size at which OpenBLAS spends threads on a 7x7 result.
    blocks_per_cell = -(-np.diff(cell_bounds) // _BLOCK_ROWS)
    cell_first_block = np.cumsum(blocks_per_cell) - blocks_per_cell
    block_bounds = np.r_[np.repeat(cell_bounds[:-1], blocks_per_cell) + _BLOCK_ROWS * (
        np.arange(blocks_per_cell.sum()) - np.repeat(cell_first_block, blocks_per_cell)), n]

    # One row per covariate, so that scaling a block by its risk scores runs along
    # contiguous memory. Whole rows of X are gathered a block at a time and, while the block
    # is in cache, centred, transposed and multiplied out into the null model's moments
    # (beta = 0: the risk scores are the weights), sparing the first Newton step a pass.
    augmented = np.empty((X.shape[1] + 1, n))
    augmented[0] = 1.0
    null_block_moments = np.empty((len(block_bounds) - 1,) + (X.shape[1] + 1,) * 2)
    for block, (lo, hi) in enumerate(zip(block_bounds[:-1].tolist(),
                                         block_bounds[1:].tolist())):
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
        tie_fraction = ((np.arange(deaths.sum()) - np.repeat(tie_starts, deaths))
                        / np.repeat(deaths, deaths))
    else:
        tie_fraction = np.zeros(deaths.sum())

    return _CoxData(
        augmented=augmented, means=means, block_bounds=block_bounds,
        cell_first_block=cell_first_block, null_block_moments=null_block_moments,
        weight=weight, unit_weights=unit_weights,
        cluster=None if cluster is None else cluster.take(order),
        names=names, stratum_labels=stratum_labels, cell_bounds=cell_bounds,
        cell_group=cell_group, cell_is_event=cell_is_event, group_stratum=group_stratum,
        group_time=group_time, stratum_bounds=stratum_bounds,
        event_groups=event_groups, deaths=deaths, dead_weight=dead_weight,
        dead_weighted_x=dead_weighted_x, tie_starts=tie_starts, tie_fraction=tie_fraction)


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


def _cox_sums(data: _CoxData, beta: np.ndarray) -> _CoxSums:
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
        block_moments = np.empty((len(bounds) - 1, p + 1, p + 1))
        with np.errstate(over="ignore"):
            for block, (lo, hi) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
                columns = augmented[:, lo:hi]
                weighted_risk = np.exp(beta @ columns[1:])
                if not data.unit_weights:
                    weighted_risk *= weight[lo:hi]
                np.matmul(columns * weighted_risk, columns.T, out=block_moments[block])
    cell_moments = np.add.reduceat(block_moments, data.cell_first_block, axis=0)
    cell0, cell1, cell2 = cell_moments[:, 0, 0], cell_moments[:, 0, 1:], cell_moments[:, 1:, 1:]

    n_groups = len(data.group_stratum)
    group0 = np.bincount(data.cell_group, weights=cell0, minlength=n_groups)
    group1 = np.zeros((n_groups, p))
    np.add.at(group1, data.cell_group, cell1)
    group2 = np.zeros((n_groups, p, p))
    np.add.at(group2, data.cell_group, cell2)

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
    score = dead_x_total - (
        (mean_weight * inv_sum) @ s1 - (mean_weight * frac_sum) @ e1)
    information = _information(s1, s2, e1, e2, mean_weight * inv_sum, mean_weight * frac_sum,
                               mean_weight * inv_sq_sum, mean_weight * frac_sq_sum,
                               mean_weight * frac2_sq_sum)
    return _CoxSums(loglik=loglik, score=score, information=information,
                    moments=cell_moments.sum(axis=0), s1=s1, s2=s2, e1=e1, e2=e2,
                    inv_sum=inv_sum, frac_sum=frac_sum, inv_sq_sum=inv_sq_sum,
                    frac_sq_sum=frac_sq_sum, frac2_sq_sum=frac2_sq_sum)


def _information(s1, s2, e1, e2, a1, b1, a2, b2, c2) -> np.ndarray:
    """sum_j [a1 S2 - b1 E2 - (a2 S1S1' - b2 (S1E1' + E1S1') + c2 E1E1')] over event groups j;
    the per-group weights carry the tied-event weight and, for cox.zph, a time function."""
    cross = np.einsum("j,ja,jb->ab", b2, s1, e1)
    return (np.einsum("j,jab->ab", a1, s2) - np.einsum("j,jab->ab", b1, e2)
            - np.einsum("j,ja,jb->ab", a2, s1, s1) + cross + cross.T
            - np.einsum("j,ja,jb->ab", c2, e1, e1))


def _weighted_information(sums: _CoxSums, data: _CoxData, group_weight: np.ndarray
                          ) -> np.ndarray:
    mean_weight = data.dead_weight / data.deaths * group_weight
    return _information(sums.s1, sums.s2, sums.e1, sums.e2, mean_weight * sums.inv_sum,
                        mean_weight * sums.frac_sum, mean_weight * sums.inv_sq_sum,
                        mean_weight * sums.frac_sq_sum, mean_weight * sums.frac2_sq_sum)


@dataclass
class _NewtonOutcome:
    beta: np.ndarray
    sums: _CoxSums
    converged: bool
    iterations: int
    halvings: int


def _newton_raphson(data: _CoxData, null_sums: _CoxSums, max_iter: int,
                    tol: float) -> _NewtonOutcome:
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
            return _NewtonOutcome(beta, sums, False, iteration, halvings)
        for _ in range(31):
            trial = _cox_sums(data, beta + step)
            if np.isfinite(trial.loglik) and trial.loglik >= sums.loglik - 1e-12 * abs(
                    sums.loglik):
                break
            step = step / 2
            halvings += 1
        else:
            return _NewtonOutcome(beta, sums, False, iteration, halvings)
        previous = sums.loglik
        beta, sums = beta + step, trial
        small_change = abs(1 - previous / sums.loglik) <= tol if sums.loglik else True
        small_step = np.max(np.abs(step) / (1 + np.abs(beta))) <= tol
        if small_change or small_step:
            return _NewtonOutcome(beta, sums, True, iteration, halvings)
    return _NewtonOutcome(beta, sums, False, max_iter, halvings)


def _tie_mean_x(data: _CoxData, sums: _CoxSums) -> np.ndarray:
    """(J, p) mean over the Efron terms of the risk-set mean of x at each event time: the
    expected covariate an event there is compared with (Schoenfeld residuals)."""
    return (sums.inv_sum[:, None] * sums.s1
            - sums.frac_sum[:, None] * sums.e1) / data.deaths[:, None]


def _score_residuals(data: _CoxData, sums: _CoxSums, beta: np.ndarray) -> np.ndarray:
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
    hazard_x = mean_weight[:, None] * (sums.inv_sq_sum[:, None] * sums.s1
                                       - sums.frac_sq_sum[:, None] * sums.e1)
    tie_hazard = mean_weight * sums.frac_sum
    tie_hazard_x = mean_weight[:, None] * (sums.frac_sq_sum[:, None] * sums.s1
                                           - sums.frac2_sq_sum[:, None] * sums.e1)
    tie_mean_x = _tie_mean_x(data, sums)

    def on_groups(values: np.ndarray) -> np.ndarray:
        full = np.zeros((n_groups,) + values.shape[1:])
        full[data.event_groups] = values
        return full

    cum_hazard = _cumsum_by_stratum(on_groups(hazard), data.stratum_bounds)
    cum_hazard_x = _cumsum_by_stratum(on_groups(hazard_x), data.stratum_bounds)
    g = data.row_group
    X = data.X
    risk = np.exp(X @ beta)
    residuals = -risk[:, None] * (X * cum_hazard[g][:, None] - cum_hazard_x[g])
    dead = np.flatnonzero(data.event)
    own_group = np.repeat(np.arange(len(data.deaths)), data.deaths)
    residuals[dead] += (X[dead] - tie_mean_x[own_group]) + risk[dead, None] * (
        X[dead] * tie_hazard[own_group, None] - tie_hazard_x[own_group])
    return residuals * data.weight[:, None]


def _robust_covariance(data: _CoxData, sums: _CoxSums, beta: np.ndarray,
                       naive_cov: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Sandwich variance as R's coxph with cluster(): dfbeta residuals summed per cluster.

    The score residuals are summed per cluster before multiplying by the naive covariance,
    which gives the same dfbeta sums without an n x p matrix product."""
    residuals = _score_residuals(data, sums, beta)
    n_clusters = int(cluster.max()) + 1
    score_per_cluster = np.column_stack([
        np.bincount(cluster, weights=column, minlength=n_clusters) for column in residuals.T])
    dfbeta_per_cluster = score_per_cluster @ naive_cov
    return dfbeta_per_cluster.T @ dfbeta_per_cluster


def _baseline_cumulative_hazard(data: _CoxData, sums: _CoxSums) -> pd.DataFrame:
    """Breslow / Efron-type cumulative baseline hazard at the centring point ``means``, at
    every distinct time of each stratum (R's ``basehaz(fit, centered = TRUE)``)."""
    increments = np.zeros(len(data.group_stratum))
    increments[data.event_groups] = data.dead_weight / data.deaths * sums.inv_sum
    cumulative = _cumsum_by_stratum(increments, data.stratum_bounds)
    labels = np.empty(len(data.stratum_labels), dtype=object)
    labels[:] = data.stratum_labels
    return pd.DataFrame({"stratum": labels[data.group_stratum],
                         "time": _natural_times(data.group_time),
                         "cumulative_hazard": cumulative})


def fit_cox(df: pd.DataFrame, formula_or_columns: str | Sequence[str],
            duration: str = "time", event: str = "defaulted", ties: str = "efron",
            strata: str | Sequence[str] | None = None, cluster: str | None = None,
            weights: str | None = None, robust: bool | None = None, alpha: float = 0.05,
            max_iter: int = 50, tol: float = 1e-10) -> FitResult:
    """Fit a Cox proportional-hazards model of time to default.

    Estimates match R's ``coxph`` (same centring, tie handling, convergence rule and robust
    variance). The work is done per (stratum, distinct time), so a million monthly loans with
    six covariates fit in about 0.15 s (benchmarks/bench_cox.py). A formula goes through
    patsy, which adds a few seconds at that size; a list of columns does not.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan; rows with missing values are an error, not dropped.
    formula_or_columns : str or list of str
        Either a right-hand-side formula in patsy syntax, e.g.
        ``"fico + C(purpose_group) + dti"`` (factors get treatment coding against their first
        level, as in R; no intercept), or a list of numeric columns.
    duration, event : str
        Time (months) and 0/1 event columns.
    ties : {"efron", "breslow"}
        Approximation for tied event times.
    strata : str or list of str, optional
        Column(s) whose groups get their own baseline hazard (R's ``strata()``).
    cluster : str, optional
        Column of cluster ids (e.g. ``addr_state``) for cluster-robust sandwich standard
        errors, as R's ``cluster()``.
    weights : str, optional
        Column of positive case weights.
    robust : bool, optional
        Report the sandwich variance. Default as R: True when ``cluster`` is given or the
        weights are not whole numbers (then each row is its own cluster).
    alpha : float
        1 - confidence level of the intervals.
    max_iter : int
        Newton–Raphson iterations allowed.
    tol : float
        Convergence tolerance (relative log-likelihood change, or largest step).

    Returns
    -------
    FitResult
        ``model="cox"``, the tidy ``summary`` (hazard ratios in ``exp_estimate``; robust SEs
        when robust), ``loglik`` at the estimate, and ``extra`` holding ``cov`` (the
        covariance behind the SEs), ``naive_cov``, ``robust``, ``n_clusters``,
        ``loglik_null``, ``lr_test``/``score_test``/``wald_test`` (statistic, df, p),
        ``baseline_cumulative_hazard`` (stratum, time, cumulative_hazard at covariates equal
        to ``means``: the weighted mean of each covariate, but 0 for indicator columns, i.e.
        the reference level of factors, as R's ``basehaz``), ``means``, ``ties``,
        ``iterations``, ``step_halvings``, ``term_columns`` (formula term -> coefficients),
        and ``model_data``/``final_sums`` (the sorted data and the risk-set sums at the
        estimate, which :func:`cox_zph` reuses).
        Non-convergence and coefficients drifting to infinity (monotone likelihood) are
        reported in ``warnings``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> loans = pd.DataFrame({"x": rng.normal(size=2000)})
    >>> latent = np.ceil(rng.exponential(40 * np.exp(-0.5 * loans["x"]))).astype(int)
    >>> loans["time"] = np.minimum(latent, 36)
    >>> loans["defaulted"] = (latent <= 36).astype(int)
    >>> fit = fit_cox(loans, ["x"])
    >>> fit.converged, round(float(fit.params["x"]), 2)
    (True, 0.5)
    """
    _check_alpha(alpha)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if len(df) == 0:
        raise ValueError("the data has no rows")
    durations = _duration_column(df, duration)
    events = _event_column(df, event)
    X, indicator, names, term_columns, formula = _design_matrix(df, formula_or_columns)
    if weights is None:
        case_weights = np.ones(len(df))
        whole_weights = True
    else:
        case_weights = _numeric_column(df, weights, "weights")
        if (case_weights <= 0).any():
            raise ValueError(f"column '{weights}' (weights) must be positive; "
                             f"{int((case_weights <= 0).sum())} values are not")
        whole_weights = bool(np.all(case_weights == np.round(case_weights)))
    stratum, stratum_labels = _group_codes(df, strata, "strata")
    cluster_codes = None
    if cluster is not None:
        cluster_codes, _ = _group_codes(df, cluster, "cluster")
    if robust is None:
        robust = cluster is not None or not whole_weights
    if robust and cluster_codes is None:
        cluster_codes = np.arange(len(df))
    if not events.any():
        raise ValueError(f"column '{event}' has no events; a Cox model needs some")

    data = _prepare_cox_data(X, indicator, names, durations, events, case_weights, stratum,
                             stratum_labels, cluster_codes, ties)
    null_sums = _cox_sums(data, np.zeros(len(names)))
    _check_full_rank(null_sums.moments, names)
    outcome = _newton_raphson(data, null_sums, max_iter, tol)
    beta, sums = outcome.beta, outcome.sums

    problems = []
    try:
        naive_cov = linalg.inv(sums.information)
    except (linalg.LinAlgError, ValueError):
        naive_cov = np.full((len(names), len(names)), np.nan)
        problems.append("the information matrix is singular at the estimate")
    if not outcome.converged:
        problems.append(f"Cox fit did not converge in {outcome.iterations} Newton-Raphson "
                        "iterations")
    # R's monotone-likelihood check: the next Newton step is still large relative to beta
    next_step = np.abs(naive_cov @ sums.score)
    drifting = ~np.isfinite(next_step) | ((next_step > 1e-9)
                                          & (next_step > np.sqrt(1e-9) * np.abs(beta)))
    if outcome.converged and drifting.any():
        problems.append("log-likelihood converged while coefficient(s) "
                        f"{[names[k] for k in np.flatnonzero(drifting)]} kept growing: they "
                        "may be infinite (monotone likelihood, e.g. a group without events)")
    elif not outcome.converged and (np.abs(data.X @ beta).max() > 500 or drifting.all()):
        problems.append("one or more coefficients may be infinite")

    cov = naive_cov
    n_clusters = None
    if robust:
        cov = _robust_covariance(data, sums, beta, naive_cov, data.cluster)
        n_clusters = int(data.cluster.max()) + 1  # codes run 0..K-1
        # the sandwich is biased downwards with few clusters (a common rule of thumb: < 40)
        if cluster is not None and n_clusters < 40:
            problems.append(f"only {n_clusters} clusters in '{cluster}': the sandwich "
                            "variance may be too small")

    se = np.sqrt(np.diag(cov))
    with np.errstate(over="ignore"):  # a diverging coefficient's hazard ratio is inf; warned
        summary = tidy_summary(names, beta, se, alpha=alpha)
    n_coef = len(names)
    lr_statistic = 2 * (sums.loglik - null_sums.loglik)
    try:
        score_statistic = float(null_sums.score @ linalg.solve(null_sums.information,
                                                               null_sums.score))
    except (linalg.LinAlgError, ValueError):
        score_statistic = float("nan")
    with np.errstate(invalid="ignore"):
        wald_statistic = float(beta @ linalg.pinv(cov) @ beta)

    def test(statistic: float) -> dict:
        return {"statistic": statistic, "df": n_coef, "p": float(stats.chi2.sf(statistic,
                                                                              n_coef))}

    cov_frame = pd.DataFrame(cov, index=names, columns=names)
    extra = {
        "cov": cov_frame,
        "naive_cov": pd.DataFrame(naive_cov, index=names, columns=names),
        "robust": robust,
        "n_clusters": n_clusters,
        "loglik_null": null_sums.loglik,
        "lr_test": test(lr_statistic),
        "score_test": test(score_statistic),
        "wald_test": test(wald_statistic),
        "baseline_cumulative_hazard": _baseline_cumulative_hazard(data, sums),
        "means": pd.Series(data.means, index=names),
        "ties": ties,
        "strata": _as_column_list(strata),
        "cluster": cluster,
        "iterations": outcome.iterations,
        "step_halvings": outcome.halvings,
        "term_columns": term_columns,
        "model_data": data,
        "final_sums": sums,
    }
    return FitResult(model="cox", summary=summary, n=len(df), events=int(events.sum()),
                     converged=outcome.converged, formula=formula, loglik=sums.loglik,
                     warnings=problems, extra=extra)


# ---------------------------------------------------------------------------------------------
# proportional-hazards check
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ZphResult:
    """Outcome of :func:`cox_zph`.

    Attributes
    ----------
    table : pandas.DataFrame
        ``chisq``, ``df``, ``p`` per term and a final ``GLOBAL`` row.
    scaled_residuals : pandas.DataFrame
        One row per event: ``time``, ``transformed_time`` (g(t), uncentred), ``stratum``
        and the scaled Schoenfeld residual of each coefficient (``beta + D V r``), i.e.
        R's ``cox.zph(fit, terms = FALSE)$y`` — plot them against ``transformed_time`` to
        see how each log hazard ratio moves over time.
    transform : str
        The time transform used.
    """

    table: pd.DataFrame
    scaled_residuals: pd.DataFrame
    transform: str


def _time_transform(data: _CoxData, transform: str | Callable) -> tuple[np.ndarray, str]:
    """g(t) for each sorted subject, as cox.zph computes it (unweighted, ignoring strata)."""
    times = data.time
    if callable(transform):
        return np.asarray(transform(times), dtype=float), getattr(transform, "__name__",
                                                                  "user")
    if transform == "identity":
        return times.astype(float), transform
    if transform == "log":
        return np.log(times), transform
    if transform == "rank":
        return stats.rankdata(times), transform
    if transform == "km":
        # 1 - KM(t-): the left-continuous overall Kaplan–Meier, as R's transform = "km"
        distinct, code = np.unique(times, return_inverse=True)
        ending = np.bincount(code)
        deaths = np.bincount(code, weights=data.event)
        at_risk = np.cumsum(ending[::-1])[::-1]
        survival = np.cumprod(1 - deaths / at_risk)
        survival_before = np.r_[1.0, survival[:-1]]
        return 1 - survival_before[code], transform
    raise ValueError(f"transform must be 'km', 'identity', 'rank', 'log' or a function, "
                     f"got {transform!r}")


def cox_zph(result: FitResult, transform: str | Callable = "km",
            terms: bool = True) -> ZphResult:
    """Test proportional hazards from scaled Schoenfeld residuals (Grambsch–Therneau).

    The score test, at the fitted coefficients, of adding ``x * g(t)`` for each term:
    R's ``cox.zph`` as rewritten in survival 3.0 (Debian's R ships survival 3.x; earlier
    versions used an approximate regression of the residuals on g(t) instead). Per term and a
    global test; small p-values say the hazard ratio drifts with time. Like R, the
    model-based information is used even for fits with a robust variance.

    Parameters
    ----------
    result : FitResult
        A fit from :func:`fit_cox` (it keeps the data it was fitted on).
    transform : {"km", "identity", "rank", "log"} or callable
        Time scale g(t); ``"km"`` is 1 minus the left-continuous Kaplan–Meier of all data.
    terms : bool
        Test each formula term as a whole (a factor's dummies jointly, with as many degrees
        of freedom) as R does by default; False tests each coefficient.

    Returns
    -------
    ZphResult
        ``table`` (chisq, df, p per term and GLOBAL) and ``scaled_residuals``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"x": rng.normal(size=1500)})
    >>> latent = np.ceil(rng.exponential(30 * np.exp(-0.4 * loans["x"]))).astype(int)
    >>> loans["time"], loans["defaulted"] = np.minimum(latent, 24), (latent <= 24).astype(int)
    >>> zph = cox_zph(fit_cox(loans, ["x"]))
    >>> zph.table.index.tolist(), bool(zph.table.loc["GLOBAL", "p"] > 0.01)
    (['x', 'GLOBAL'], True)
    """
    if not isinstance(result, FitResult) or result.model != "cox" or \
            "model_data" not in result.extra:
        raise ValueError("cox_zph needs the FitResult of fit_cox")
    data: _CoxData = result.extra["model_data"]
    sums: _CoxSums = result.extra["final_sums"]
    beta = result.params.to_numpy()
    n_coef = len(beta)

    transformed, transform_name = _time_transform(data, transform)
    centred = transformed - transformed[data.event].mean()
    event_rows = data.cell_bounds[:-1][data.cell_is_event]
    group_time_weight = centred[event_rows]

    mean_weight = data.dead_weight / data.deaths
    expected_x = mean_weight[:, None] * (sums.inv_sum[:, None] * sums.s1
                                        - sums.frac_sum[:, None] * sums.e1)
    time_score = group_time_weight @ (data.dead_weighted_x - expected_x)
    information = np.block([
        [sums.information, _weighted_information(sums, data, group_time_weight)],
        [_weighted_information(sums, data, group_time_weight),
         _weighted_information(sums, data, group_time_weight ** 2)]])
    score = np.r_[np.zeros(n_coef), time_score]

    index = {name: k for k, name in enumerate(data.names)}
    if terms:
        groups = {term: [index[c] for c in columns]
                  for term, columns in result.extra["term_columns"].items()}
    else:
        groups = {name: [k] for name, k in index.items()}
    rows = []
    for members in list(groups.values()) + [list(range(n_coef))]:
        keep = np.r_[np.arange(n_coef), n_coef + np.asarray(members)]
        sub_score = score[keep]
        statistic = float(sub_score @ linalg.solve(information[np.ix_(keep, keep)], sub_score,
                                                   assume_a="sym"))
        rows.append((statistic, len(members), float(stats.chi2.sf(statistic, len(members)))))
    table = pd.DataFrame(rows, columns=["chisq", "df", "p"],
                         index=pd.Index(list(groups) + ["GLOBAL"], name="term"))

    tie_mean_x = _tie_mean_x(data, sums)
    event_group_of_row = np.repeat(np.arange(len(data.deaths)), data.deaths)
    schoenfeld = data.X[data.event] - tie_mean_x[event_group_of_row]
    scaled = beta + data.event.sum() * schoenfeld @ linalg.inv(sums.information)
    labels = np.empty(len(data.stratum_labels), dtype=object)
    labels[:] = data.stratum_labels
    residuals = pd.DataFrame(scaled, columns=data.names)
    residuals.insert(0, "stratum", labels[data.stratum[data.event]])
    residuals.insert(0, "transformed_time", transformed[data.event])
    residuals.insert(0, "time", _natural_times(data.time[data.event]))
    return ZphResult(table=table, scaled_residuals=residuals, transform=transform_name)
