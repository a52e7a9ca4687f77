"""How delinquency moves: transitions between buckets of the delinquency panel, month to month.

The panel is :mod:`overdue.data.delinquency`'s (one row per account and calendar month, buckets
``current``, ``1``, ``2``, ``3+`` and the absorbing ``default`` and ``closed``). Here:

- :func:`transition_pairs` — each account-month with the account's bucket ``horizon`` months
  later (its origin columns kept, so covariates and factors ride along);
- :func:`transition_matrix` — one-month (or k-month) transition counts and probabilities, pooled,
  month by month (``by="month"``) or by any factor, with Wilson intervals per cell and, with
  ``bootstrap=B``, percentile intervals from resampling **accounts** (an account's months are
  not independent; the bootstrap keeps them together);
- :func:`roll_cure_rates` — per origin bucket the roll rate (to a worse bucket), the cure rate (from
  MPD ≥ 1 back to current) and the stay rate;
- :func:`outcome_by_bucket` — the point of no return from an account outcome: P(default next
  month | bucket) (for the Taiwan file, default in October by the September bucket);
- :func:`absorbing_chain` — where the panel has absorbing states, the fundamental matrix
  ``N = (I - Q)^-1`` of the absorbing chain: the probability of eventual default (``N R``) and the
  expected months in each delinquent bucket from each bucket;
- :func:`markov_check` — the k-month transitions the one-month matrices imply against those
  observed (a chi-square comparison, and the table);
- :func:`fit_transition_logit` — per origin bucket, a multinomial logit of next month's outcome
  (cure / improve / stay / roll / closed, or the full set of buckets) on covariates, errors
  clustered by account, returning a :class:`~overdue.models.result.FitResult`;
  :func:`transition_marginal_effects` — average marginal effects on each outcome's probability
  with delta-method errors and, optionally, percentile intervals of a bootstrap over accounts.

Examples
--------
>>> panel = pd.DataFrame({"account_id": ["a"] * 3 + ["b"] * 3,
...     "month": pd.to_datetime(["2005-04-01", "2005-05-01", "2005-06-01"] * 2),
...     "bucket": ["current", "1", "current", "current", "current", "1"]})
>>> transition_matrix(panel).probabilities().round(2)
to       current     1
from
current     0.33  0.67
1           1.00  0.00
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from overdue.data.delinquency import ABSORBING_BUCKETS, BUCKETS, TRANSIENT_BUCKETS
from overdue.models.checks import (
    as_column_list,
    check_alpha,
    check_frame,
    few_clusters_warning,
    group_codes,
    require_columns,
)
from overdue.models.descriptive import wilson_interval
from overdue.models.design import check_rhs, formula_variables, missing_values_detail
from overdue.models.result import FitResult, TestResult, chi2_test, tidy_summary

#: Outcomes of a move from an origin bucket, by what they mean for the account, in the order the
#: multinomial logit takes them (the first, ``stay``, is its reference).
MOVES = ("stay", "cure", "improve", "roll", "closed")
_RANK = {bucket: rank for rank, bucket in enumerate(TRANSIENT_BUCKETS + ("default",))}


def move_of(origin: str, destination: str) -> str:
    """What a move from ``origin`` to ``destination`` is: ``stay``, ``cure`` (back to current from
    MPD ≥ 1), ``improve`` (to a better bucket that is not current), ``roll`` (to a worse bucket,
    default included) or ``closed``.

    Examples
    --------
    >>> [move_of("2", b) for b in ["current", "1", "2", "3+", "default"]]
    ['cure', 'improve', 'stay', 'roll', 'roll']
    """
    if destination == origin:
        return "stay"
    if destination == "closed":
        return "closed"
    if destination == "current":
        return "cure"
    return "roll" if _RANK[destination] > _RANK[origin] else "improve"


def _month_number(months: pd.Series) -> np.ndarray:
    months = pd.to_datetime(months)
    return (months.dt.year * 12 + months.dt.month - 1).to_numpy(dtype=np.int64)


def transition_pairs(
    panel: pd.DataFrame, *, horizon: int = 1, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Each account-month with the account's bucket ``horizon`` months later.

    Parameters
    ----------
    panel : pandas.DataFrame
        ``account_id``, ``month``, ``bucket`` (and any other columns), one row per account-month.
    horizon : int
        Months ahead (1: next month).
    columns : sequence of str, optional
        Origin columns to keep (default: all of the panel's).

    Returns
    -------
    pandas.DataFrame
        The origin rows that have an observation ``horizon`` months later, with ``from`` (the
        origin bucket), ``to`` (the bucket then) and ``move`` (:func:`move_of`); rows of accounts
        already absorbed (default or closed at the origin) are left out: they go nowhere.

    Examples
    --------
    >>> panel = pd.DataFrame({"account_id": ["a", "a", "a"], "bucket": ["current", "1", "2"],
    ...     "month": pd.to_datetime(["2005-04-01", "2005-05-01", "2005-06-01"])})
    >>> transition_pairs(panel)[["from", "to", "move"]].values.tolist()
    [['current', '1', 'roll'], ['1', '2', 'roll']]
    """
    check_frame(panel)
    require_columns(panel, ["account_id", "month", "bucket"], "panel")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a whole number of months >= 1, got {horizon!r}")
    keep = list(panel.columns) if columns is None else as_column_list(columns)
    require_columns(panel, keep, "origin")
    ordered = panel.sort_values(["account_id", "month"], kind="stable")
    number = _month_number(ordered["month"])
    account = ordered["account_id"].to_numpy()
    bucket = ordered["bucket"].astype(str).to_numpy()
    # Months are consecutive in a validated panel, so the row `horizon` ahead is the month
    # `horizon` ahead when it belongs to the same account; checked rather than assumed.
    ahead = np.arange(len(ordered)) + horizon
    valid = ahead < len(ordered)
    ahead = np.where(valid, ahead, 0)
    valid &= (account[ahead] == account) & (number[ahead] - number == horizon)
    valid &= ~np.isin(bucket, ABSORBING_BUCKETS)
    pairs = ordered.loc[ordered.index[valid], [c for c in keep if c not in ("from", "to")]]
    pairs = pairs.reset_index(drop=True)
    pairs["from"] = bucket[valid]
    pairs["to"] = bucket[ahead[valid]]
    pairs["move"] = [move_of(a, b) for a, b in zip(pairs["from"], pairs["to"])]
    for column in ("account_id", "month", "bucket"):
        if column not in pairs.columns:
            pairs[column] = ordered[column].to_numpy()[valid]
    return pairs


# ----------------------------------------------------------------------------------------------
# transition matrices


@dataclass(frozen=True, repr=False)
class TransitionMatrix:
    """Transition counts and probabilities between buckets, pooled or by group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group, origin and destination: ``group`` (``"all"`` when pooled), ``from``,
        ``to``, ``count``, ``n_from`` (transitions out of the origin in the group), ``p``,
        Wilson ``ci_lower``/``ci_upper`` and, with a bootstrap, ``boot_lower``/``boot_upper``.
    states_from, states_to : tuple of str
        Origin and destination buckets, in :data:`~overdue.data.delinquency.BUCKETS` order.
    groups : list
        Group labels (``["all"]`` when pooled; calendar months of origin for ``by="month"``).
    by : str or None
        The grouping column.
    horizon : int
        Months between origin and destination.
    alpha : float
        1 - confidence level.
    n_accounts : int
        Accounts contributing transitions.
    bootstrap : int
        Bootstrap replicates over accounts (0: none).
    replicates : numpy.ndarray or None
        Bootstrap counts, shape ``(B, groups, from, to)``.
    """

    table: pd.DataFrame
    states_from: tuple[str, ...]
    states_to: tuple[str, ...]
    groups: list
    by: str | None
    horizon: int
    alpha: float
    n_accounts: int
    bootstrap: int = 0
    replicates: np.ndarray | None = field(default=None, repr=False)

    def counts(self, group=None) -> pd.DataFrame:
        """The square table of counts (origin rows, destination columns) of one group."""
        return self._square("count", group)

    def probabilities(self, group=None) -> pd.DataFrame:
        """The transition probabilities (rows sum to 1) of one group (default: the only one)."""
        return self._square("p", group)

    def _square(self, column: str, group) -> pd.DataFrame:
        if group is None:
            if len(self.groups) != 1:
                raise ValueError(f"name a group: one of {self.groups}")
            group = self.groups[0]
        if group not in self.groups:
            raise ValueError(f"group {group!r} not among {self.groups}")
        rows = self.table[self.table["group"] == group]
        square = rows.pivot(index="from", columns="to", values=column)
        return square.reindex(index=list(self.states_from), columns=list(self.states_to))

    def cell_labels(self, group=None) -> pd.DataFrame:
        r"""Each cell as ``"93.9%\n123,723"`` (probability over count), for a heatmap's
        annotations; empty where the origin had no one.

        Examples
        --------
        >>> panel = pd.DataFrame({"account_id": ["a", "a"], "bucket": ["current", "1"],
        ...     "month": pd.to_datetime(["2005-04-01", "2005-05-01"])})
        >>> transition_matrix(panel).cell_labels().loc["current", "1"]
        '100.0%\n1'
        """
        p, counts = self.probabilities(group), self.counts(group)
        text = p.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        return text + counts.map(lambda c: "" if pd.isna(c) else f"\n{int(c):,}").where(
            p.notna(), ""
        )

    def count_array(self) -> np.ndarray:
        """Counts as an array ``(groups, from, to)``."""
        shape = (len(self.groups), len(self.states_from), len(self.states_to))
        return self.table["count"].to_numpy().reshape(shape)

    @property
    def absorbing_states(self) -> tuple[str, ...]:
        """Absorbing buckets the panel reaches (``default``, ``closed``)."""
        return tuple(s for s in self.states_to if s in ABSORBING_BUCKETS)

    def __repr__(self) -> str:
        n = int(self.table["count"].sum())
        return (
            f"<TransitionMatrix {self.horizon}-month, {n:,} transitions of {self.n_accounts:,} "
            f"accounts, {len(self.groups)} group(s){', bootstrap ' + str(self.bootstrap) if self.bootstrap else ''}>"
        )


def matrix_from_counts(
    counts: dict, *, by: str | None = None, horizon: int = 1, alpha: float = 0.05, n_accounts: int
) -> TransitionMatrix:
    """A :class:`TransitionMatrix` from counts already added up: ``{group: (6, 6) array}`` over
    :data:`~overdue.data.delinquency.BUCKETS` (origin rows, destination columns), the groups in
    the order given — what a streamed count (:mod:`overdue.models.transitions_streamed`) has.
    The origins are those with a transition in some group; the destinations those and every
    bucket reached, as :func:`transition_matrix` keeps them.

    Examples
    --------
    >>> counts = np.zeros((6, 6), int); counts[0, 0], counts[0, 1] = 3, 1
    >>> matrix_from_counts({"all": counts}, n_accounts=2).probabilities().values.tolist()
    [[0.75, 0.25]]
    """
    check_alpha(alpha)
    stacked = np.stack([np.asarray(c) for c in counts.values()])
    seen_from = stacked.sum(axis=(0, 2)) > 0
    seen_to = seen_from | (stacked.sum(axis=(0, 1)) > 0)
    states_from = tuple(b for b, s in zip(BUCKETS, seen_from) if s)
    states_to = tuple(b for b, s in zip(BUCKETS, seen_to) if s)
    array = stacked[:, seen_from][:, :, seen_to]
    return _matrix(array, states_from, states_to, list(counts), by, horizon, alpha, n_accounts)


def _matrix(
    counts, states_from, states_to, labels, by, horizon, alpha, n_accounts, replicates=None
):
    """The matrix's table (every cell kept: a group whose origin had no one has n_from 0 and
    no estimate) with Wilson intervals, from counts of shape (groups, origins, destinations)."""
    shape = counts.shape
    n_from = counts.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / n_from
    table = pd.DataFrame(
        {
            "group": np.repeat(np.array(labels, dtype=object), shape[1] * shape[2]),
            "from": np.tile(np.repeat(states_from, shape[2]), shape[0]),
            "to": np.tile(states_to, shape[0] * shape[1]),
            "count": counts.ravel(),
            "n_from": np.broadcast_to(n_from, shape).ravel(),
            "p": p.ravel(),
        }
    )
    observed = table["n_from"].to_numpy() > 0
    lower, upper = np.full(len(table), np.nan), np.full(len(table), np.nan)
    lower[observed], upper[observed] = wilson_interval(
        table["count"][observed], table["n_from"][observed], alpha
    )
    table["ci_lower"], table["ci_upper"] = lower, upper
    return TransitionMatrix(
        table=table,
        states_from=tuple(states_from),
        states_to=tuple(states_to),
        groups=list(labels),
        by=by,
        horizon=int(horizon),
        alpha=alpha,
        n_accounts=int(n_accounts),
        bootstrap=0 if replicates is None else int(replicates.shape[0]),
        replicates=replicates,
    )


def _states(values: Sequence[str]) -> tuple[str, ...]:
    present = set(values)
    unknown = sorted(present - set(BUCKETS))
    if unknown:
        raise ValueError(f"bucket values {unknown} are not among {list(BUCKETS)}")
    return tuple(b for b in BUCKETS if b in present)


def _bootstrap_weights(rng, n_accounts: int, replicates: int) -> np.ndarray:
    """Multinomial resampling weights: how often each account is drawn in each replicate."""
    return rng.multinomial(n_accounts, np.full(n_accounts, 1.0 / n_accounts), size=replicates)


def transition_matrix(
    panel: pd.DataFrame,
    *,
    by: str | None = None,
    horizon: int = 1,
    alpha: float = 0.05,
    bootstrap: int = 0,
    seed: int = 0,
) -> TransitionMatrix:
    """Transition counts and probabilities between buckets, with Wilson and bootstrap intervals.

    Parameters
    ----------
    panel : pandas.DataFrame
        The delinquency panel (``account_id, month, bucket``), plus the ``by`` column if any.
    by : str, optional
        Group by this column's value at the origin month: ``"month"`` gives the matrix month by
        month (labelled by the origin month), a factor (utilisation band …) one matrix per level.
    horizon : int
        Months between origin and destination (1: the one-month matrix).
    alpha : float
        1 - confidence level of the intervals.
    bootstrap : int
        Replicates of the bootstrap over accounts (0: Wilson intervals only). Each replicate
        draws accounts with replacement and keeps all of an account's months.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    TransitionMatrix

    Examples
    --------
    >>> panel = pd.DataFrame({"account_id": ["a", "a", "b", "b"], "bucket": ["current", "1"] * 2,
    ...     "month": pd.to_datetime(["2005-04-01", "2005-05-01"] * 2)})
    >>> m = transition_matrix(panel)
    >>> m.table[["from", "to", "count", "p"]].values.tolist()
    [['current', 'current', 0, 0.0], ['current', '1', 2, 1.0]]
    """
    check_alpha(alpha)
    pairs = transition_pairs(panel, horizon=horizon, columns=[by] if by else [])
    if pairs.empty:
        raise ValueError(f"the panel has no {horizon}-month transitions")
    states_from = _states(pairs["from"])
    states_to = _states(np.concatenate([pairs["from"].to_numpy(), pairs["to"].to_numpy()]))
    if by == "month":
        pairs["month"] = pairs["month"].dt.strftime("%Y-%m")
    group, labels = group_codes(pairs, by, "grouping")
    i = pd.Categorical(pairs["from"], categories=states_from).codes
    j = pd.Categorical(pairs["to"], categories=states_to).codes
    shape = (len(labels), len(states_from), len(states_to))
    cell = np.ravel_multi_index((group, i, j), shape)
    counts = np.bincount(cell, minlength=int(np.prod(shape))).reshape(shape)
    account_codes, accounts = pd.factorize(pairs["account_id"])
    replicates = None
    if bootstrap:
        weights = _bootstrap_weights(np.random.default_rng(seed), len(accounts), int(bootstrap))
        # Counts of each replicate = weights (B x accounts) @ per-account cell counts.
        from scipy import sparse

        per_account = sparse.csr_matrix(
            (np.ones(len(cell)), (account_codes, cell)), shape=(len(accounts), counts.size)
        )
        replicates = np.asarray((per_account.T @ weights.T).T).reshape((int(bootstrap), *shape))
    matrix = _matrix(
        counts, states_from, states_to, labels, by, horizon, alpha, len(accounts), replicates
    )
    if bootstrap:
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = replicates / replicates.sum(axis=3, keepdims=True)
        flat = shares.reshape(int(bootstrap), -1)  # the table's cells, in its order
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a row absent from a replicate
            matrix.table["boot_lower"] = np.nanquantile(flat, alpha / 2, axis=0)
            matrix.table["boot_upper"] = np.nanquantile(flat, 1 - alpha / 2, axis=0)
    return matrix


# ----------------------------------------------------------------------------------------------
# roll and cure rates


def roll_cure_rates(matrix: TransitionMatrix) -> pd.DataFrame:
    """Roll, cure and stay rates by origin bucket (and group), with intervals.

    The **roll rate** of bucket k is the share of transitions out of k into a worse bucket
    (default included); the **cure rate** the share from MPD ≥ 1 back to current; the stay rate
    the share still in k. Wilson intervals, and bootstrap percentile intervals over accounts when
    the matrix has them.

    Returns
    -------
    pandas.DataFrame
        One row per group and transient origin: ``group, from, n, roll, roll_rate,
        roll_lower, roll_upper, cure, cure_rate, cure_lower, cure_upper, stay_rate`` (and
        ``roll_boot_lower`` … with a bootstrap).

    Examples
    --------
    >>> panel = pd.DataFrame({"account_id": list("aabbcc"), "bucket": ["1", "current", "1", "2", "1", "1"],
    ...     "month": pd.to_datetime(["2005-04-01", "2005-05-01"] * 3)})
    >>> roll_cure_rates(transition_matrix(panel))[["from", "roll_rate", "cure_rate", "stay_rate"]].round(3).values.tolist()
    [['1', 0.333, 0.333, 0.333]]
    """
    counts = matrix.count_array()
    rows = []
    for g, group in enumerate(matrix.groups):
        for i, origin in enumerate(matrix.states_from):
            if origin not in TRANSIENT_BUCKETS:
                continue
            n = int(counts[g, i].sum())
            if n == 0:
                continue
            moves = [move_of(origin, destination) for destination in matrix.states_to]
            roll = int(sum(c for c, m in zip(counts[g, i], moves) if m == "roll"))
            cure = int(sum(c for c, m in zip(counts[g, i], moves) if m == "cure"))
            stay = int(sum(c for c, m in zip(counts[g, i], moves) if m == "stay"))
            rows.append((group, origin, n, roll, cure, stay, g, i, moves))
    table = pd.DataFrame(
        [r[:6] for r in rows], columns=["group", "from", "n", "roll", "cure", "stay"]
    )
    # Ordered as the matrix orders them (bands low to high, buckets by MPD), so a pivot or a
    # plot of the table keeps that order rather than the alphabet's.
    table["group"] = pd.Categorical(table["group"], categories=matrix.groups, ordered=True)
    present = [b for b in BUCKETS if b in set(table["from"])]
    table["from"] = pd.Categorical(table["from"], categories=present, ordered=True)
    for kind in ("roll", "cure"):
        table[f"{kind}_rate"] = table[kind] / table["n"]
        lower, upper = wilson_interval(table[kind], table["n"], matrix.alpha)
        table[f"{kind}_lower"], table[f"{kind}_upper"] = lower, upper
    table["stay_rate"] = table["stay"] / table["n"]
    # Current cannot cure: no rate rather than a zero that reads as a finding.
    not_curable = table["from"] == "current"
    table.loc[not_curable, ["cure_rate", "cure_lower", "cure_upper"]] = np.nan
    if matrix.replicates is not None:
        for kind in ("roll", "cure"):
            lows, highs = [], []
            for *_, g, i, moves in rows:
                chosen = [k for k, m in enumerate(moves) if m == kind]
                replicate = matrix.replicates[:, g, i, :]
                with np.errstate(invalid="ignore", divide="ignore"):
                    share = replicate[:, chosen].sum(axis=1) / replicate.sum(axis=1)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    lows.append(np.nanquantile(share, matrix.alpha / 2))
                    highs.append(np.nanquantile(share, 1 - matrix.alpha / 2))
            table[f"{kind}_boot_lower"], table[f"{kind}_boot_upper"] = lows, highs
        table.loc[not_curable, ["cure_boot_lower", "cure_boot_upper"]] = np.nan
    return table


# ----------------------------------------------------------------------------------------------
# the point of no return


def outcome_by_bucket(
    panel: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    outcome: str = "default_next_month",
    month: str | None = None,
    level: str = "bucket",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The share of accounts with ``outcome`` by their bucket (or MPD, or the source's status code)
    in one month — for the Taiwan file, P(default in October | September bucket).

    Parameters
    ----------
    panel, accounts : pandas.DataFrame
        The delinquency panel and the account table (``account_id`` and the 0/1 ``outcome``).
    outcome : str
        The account outcome (default: default on the payment due the month after the panel).
    month : str, optional
        ``YYYY-MM`` of the bucket (default: the panel's last month).
    level : str
        ``"bucket"``, ``"mpd"`` or ``"status_code"``.
    alpha : float
        1 - confidence level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by the level: ``n, events, rate, ci_lower, ci_upper``.

    Examples
    --------
    >>> panel = pd.DataFrame({"account_id": ["a", "b", "c"], "month": pd.to_datetime(["2005-09-01"] * 3),
    ...     "bucket": ["current", "2", "2"]})
    >>> accounts = pd.DataFrame({"account_id": ["a", "b", "c"], "default_next_month": [0, 1, 0]})
    >>> outcome_by_bucket(panel, accounts)["rate"].tolist()
    [0.0, 0.5]
    """
    check_alpha(alpha)
    require_columns(panel, ["account_id", "month", level], "panel")
    require_columns(accounts, ["account_id", outcome], "account")
    chosen = pd.Period(month, "M").to_timestamp() if month else panel["month"].max()
    rows = panel.loc[panel["month"] == chosen, ["account_id", level]]
    if rows.empty:
        raise ValueError(f"the panel has no rows in {month}")
    joined = rows.merge(accounts[["account_id", outcome]], on="account_id", how="inner")
    grouped = joined.groupby(level, observed=True)[outcome].agg(["size", "sum"])
    grouped.columns = ["n", "events"]
    if level == "bucket":
        grouped = grouped.reindex([b for b in BUCKETS if b in grouped.index])
    grouped["rate"] = grouped["events"] / grouped["n"]
    lower, upper = wilson_interval(grouped["events"], grouped["n"], alpha)
    grouped["ci_lower"], grouped["ci_upper"] = lower, upper
    grouped.attrs["month"] = f"{chosen:%Y-%m}"
    return grouped


@dataclass(frozen=True, repr=False)
class AbsorbingChain:
    """The absorbing Markov chain of one transition matrix.

    Attributes
    ----------
    transient, absorbing : tuple of str
    fundamental : pandas.DataFrame
        ``N = (I - Q)^-1``: expected months in each transient bucket (columns) from each
        (rows), the starting month counted.
    absorption : pandas.DataFrame
        ``N R``: probability of ending in each absorbing state from each transient bucket.
    table : pandas.DataFrame
        Per transient bucket: ``eventual_<state>`` for each absorbing state,
        ``expected_months`` (until absorbed) and ``expected_months_delinquent`` (in buckets
        with MPD ≥ 1), with bootstrap intervals when the matrix has replicates.
    """

    transient: tuple[str, ...]
    absorbing: tuple[str, ...]
    fundamental: pd.DataFrame
    absorption: pd.DataFrame
    table: pd.DataFrame


def _absorbing_quantities(probabilities: np.ndarray, transient: list[int], absorbing: list[int]):
    q = probabilities[np.ix_(transient, transient)]
    r = probabilities[np.ix_(transient, absorbing)]
    fundamental = np.linalg.inv(np.eye(len(transient)) - q)
    return fundamental, fundamental @ r


def absorbing_chain(matrix: TransitionMatrix, group=None) -> AbsorbingChain:
    """Eventual default (or closure) and expected months delinquent from each bucket, from the
    fundamental matrix of the absorbing chain the one-month matrix defines (time-homogeneous:
    the pooled matrix stands for every month).

    Raises
    ------
    ValueError
        When the panel has no absorbing state (the Taiwan file has none), or the chain is not
        absorbing (some bucket never reaches default or closure).

    Examples
    --------
    >>> panel = pd.DataFrame({"account_id": list("aabbcc"), "bucket": ["3+", "default", "3+", "3+", "3+", "current"],
    ...     "month": pd.to_datetime(["2005-04-01", "2005-05-01"] * 3)})
    >>> chain = absorbing_chain(transition_matrix(panel))  # doctest: +SKIP
    """
    if matrix.horizon != 1:
        raise ValueError("the absorbing chain is of the one-month matrix (horizon=1)")
    absorbing = matrix.absorbing_states
    if not absorbing:
        raise ValueError(
            "the panel has no absorbing state (default or closed): eventual default and "
            "months delinquent until absorption are not defined"
        )
    states = [s for s in BUCKETS if s in set(matrix.states_from) | set(matrix.states_to)]
    square = matrix.probabilities(group).reindex(index=states, columns=states).fillna(0.0)
    for state in absorbing:
        square.loc[state] = 0.0
        square.loc[state, state] = 1.0
    transient = [k for k, s in enumerate(states) if s not in ABSORBING_BUCKETS]
    absorbing_at = [k for k, s in enumerate(states) if s in ABSORBING_BUCKETS]
    try:
        fundamental, absorption = _absorbing_quantities(square.to_numpy(), transient, absorbing_at)
    except np.linalg.LinAlgError:
        raise ValueError(
            "the chain is not absorbing: some bucket never reaches default or closure"
        ) from None
    names_t = [states[k] for k in transient]
    names_a = [states[k] for k in absorbing_at]
    delinquent = [k for k, s in enumerate(names_t) if s != "current"]
    table = pd.DataFrame(index=pd.Index(names_t, name="from"))
    for a, name in enumerate(names_a):
        table[f"eventual_{name}"] = absorption[:, a]
    table["expected_months"] = fundamental.sum(axis=1)
    table["expected_months_delinquent"] = fundamental[:, delinquent].sum(axis=1)
    if matrix.replicates is not None:
        g = matrix.groups.index(group) if group is not None else 0
        index_from = [
            matrix.states_from.index(s) if s in matrix.states_from else -1 for s in states
        ]
        index_to = [matrix.states_to.index(s) for s in states]
        draws = []
        for replicate in matrix.replicates[:, g]:
            counts = np.zeros((len(states), len(states)))
            for row, i in enumerate(index_from):
                if i >= 0:
                    counts[row] = replicate[i, index_to]
            with np.errstate(invalid="ignore", divide="ignore"):
                p = counts / counts.sum(axis=1, keepdims=True)
            p = np.nan_to_num(p)
            for k in absorbing_at:
                p[k] = 0.0
                p[k, k] = 1.0
            try:
                n_b, b_b = _absorbing_quantities(p, transient, absorbing_at)
            except np.linalg.LinAlgError:
                continue
            draws.append(np.column_stack([b_b, n_b.sum(axis=1), n_b[:, delinquent].sum(axis=1)]))
        if draws:
            stacked = np.stack(draws)
            for c, column in enumerate(list(table.columns)):
                table[f"{column}_lower"] = np.quantile(stacked[:, :, c], matrix.alpha / 2, axis=0)
                table[f"{column}_upper"] = np.quantile(
                    stacked[:, :, c], 1 - matrix.alpha / 2, axis=0
                )
    return AbsorbingChain(
        transient=tuple(names_t),
        absorbing=tuple(names_a),
        fundamental=pd.DataFrame(fundamental, index=names_t, columns=names_t),
        absorption=pd.DataFrame(absorption, index=names_t, columns=names_a),
        table=table,
    )


# ----------------------------------------------------------------------------------------------
# the Markov check


def implied_matrix(panel: pd.DataFrame, start: str, k: int, *, implied: str = "monthly"):
    """The k-month transition matrix from the one-month matrices, starting in month ``start``:
    the product of the month-by-month matrices ``P(start) P(start+1) … P(start+k-1)``
    (``implied="monthly"``, the Aalen–Johansen product a non-homogeneous chain gives) or the
    pooled matrix to the k-th power (``implied="pooled"``, a homogeneous chain).

    Returns a square DataFrame over the buckets of the panel (absorbing rows kept absorbing).
    """
    states = _states(panel["bucket"].astype(str))
    if implied == "pooled":
        matrices = [transition_matrix(panel)] * k
        groups = [None] * k
    elif implied == "monthly":
        by_month = transition_matrix(panel, by="month")
        first = pd.Period(start, "M")
        groups = [str(first + step) for step in range(k)]
        missing = [g for g in groups if g not in by_month.groups]
        if missing:
            raise ValueError(f"no one-month transitions out of {missing}")
        matrices = [by_month] * k
    else:
        raise ValueError(f"implied must be 'monthly' or 'pooled', got {implied!r}")
    product = np.eye(len(states))
    for matrix, group in zip(matrices, groups):
        step = matrix.probabilities(group).reindex(index=states, columns=states).fillna(0.0)
        for state in states:
            if state in ABSORBING_BUCKETS or step.loc[state].sum() == 0:
                # An absorbing row stays put; an origin no one was in that month cannot be left.
                step.loc[state] = 0.0
                step.loc[state, state] = 1.0
        product = product @ step.to_numpy()
    return pd.DataFrame(product, index=list(states), columns=list(states))


def markov_check(
    panel: pd.DataFrame, *, k: int = 2, implied: str = "monthly", alpha: float = 0.05
) -> TestResult:
    """Do the one-month matrices explain the k-month moves? The k-month transitions observed
    against those implied by multiplying one-month matrices (:func:`implied_matrix`).

    For each origin month ``t`` with k months ahead, the observed counts out of each bucket are
    compared with ``n_from x implied row``: Pearson's chi-square summed over cells with expected
    count > 0, on (cells - rows) degrees of freedom. The implied matrices are estimated from the
    same panel and an account's moves are not independent, so read the statistic as a measure
    of misfit; the table (observed and implied probabilities side by side, with Wilson intervals
    of the observed) is the finding. A first-order chain gives the same k-month probabilities;
    accounts whose past beyond last month matters (a history of delinquency) do not.

    Returns
    -------
    TestResult
        ``test="Markov (k-month) check"``; ``table``: ``start, from, to, n_from, observed,
        implied, difference, ci_lower, ci_upper``; ``detail``: ``k``, ``implied``, the maximum
        absolute difference.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> panel = pd.DataFrame({"account_id": np.repeat(np.arange(400).astype(str), 4),
    ...     "month": pd.to_datetime(np.tile(["2005-04-01", "2005-05-01", "2005-06-01", "2005-07-01"], 400)),
    ...     "bucket": rng.choice(["current", "1"], 1600)})
    >>> markov_check(panel, k=2).p > 0.01
    True
    """
    check_alpha(alpha)
    observed = transition_matrix(panel, by="month", horizon=k, alpha=alpha)
    rows, statistic, cells, row_count = [], 0.0, 0, 0
    for start in observed.groups:
        implied_k = implied_matrix(panel, start, k, implied=implied)
        counts = observed.counts(start).fillna(0)
        for origin in counts.index:
            n = counts.loc[origin].sum()
            if n == 0:
                continue
            expected_p = implied_k.loc[origin].reindex(counts.columns).fillna(0.0)
            expected = n * expected_p
            used = expected > 0
            statistic += float(
                ((counts.loc[origin][used] - expected[used]) ** 2 / expected[used]).sum()
            )
            cells += int(used.sum())
            row_count += 1
            lower, upper = wilson_interval(
                counts.loc[origin], np.full(len(counts.columns), n), alpha
            )
            for j, destination in enumerate(counts.columns):
                rows.append(
                    {
                        "start": start,
                        "from": origin,
                        "to": destination,
                        "n_from": int(n),
                        "observed": counts.loc[origin, destination] / n,
                        "implied": expected_p[destination],
                        "ci_lower": lower[j],
                        "ci_upper": upper[j],
                    }
                )
    table = pd.DataFrame(rows)
    table["difference"] = table["observed"] - table["implied"]
    df = cells - row_count
    return chi2_test(
        f"Markov ({k}-month) check",
        statistic,
        df,
        table=table,
        detail={
            "k": k,
            "implied": implied,
            "max_abs_difference": float(table["difference"].abs().max()),
        },
    )


# ----------------------------------------------------------------------------------------------
# the covariate model of transitions


@dataclass(frozen=True)
class _MNLogitEngine:
    sm_result: object
    categories: tuple[str, ...]
    names: list[str]
    term_columns: dict
    #: Cluster (account) code of each transition, what a bootstrap resamples; None unclustered.
    groups: np.ndarray | None = None


def _separation_warnings(exog: np.ndarray, terms, y: np.ndarray, cats) -> list[str]:
    """Quasi-complete separation through a 0/1 column: among its rows (or the others) some move
    never happens, so that move's coefficient on it runs off to infinity."""
    found = []
    for j, term in enumerate(terms):
        column = exog[:, j]
        if np.ptp(column) == 0 or not np.isin(column, (0.0, 1.0)).all():
            continue
        for level in (1.0, 0.0):
            rows = column == level
            seen = np.bincount(y[rows], minlength=len(cats))
            missing = [cats[k] for k in range(1, len(cats)) if seen[k] == 0]
            if rows.any() and missing:
                found.append(
                    f"quasi-complete separation: no {' or '.join(missing)} among the "
                    f"{int(rows.sum())} transitions with {term}={int(level)}; "
                    "those coefficients are not identified (they diverge)"
                )
    return found


def _outcome_codes(pairs: pd.DataFrame, outcome: str, categories: Sequence[str] | None):
    values = pairs[outcome].astype(str)
    present = set(values)
    if categories is None:
        order = MOVES if outcome == "move" else BUCKETS
        categories = [c for c in order if c in present]
    categories = list(categories)
    unknown = sorted(present - set(categories))
    if unknown:
        raise ValueError(f"outcome values {unknown} are not among the categories {categories}")
    if len(categories) < 2:
        raise ValueError(
            f"the outcome {outcome!r} takes a single value ({categories}): nothing to model"
        )
    return pd.Categorical(values, categories=categories).codes, tuple(categories)


def fit_transition_logit(
    pairs: pd.DataFrame,
    rhs: str,
    *,
    origin: str,
    outcome: str = "move",
    categories: Sequence[str] | None = None,
    cluster: str | None = "account_id",
    alpha: float = 0.05,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> FitResult:
    """Multinomial logit of where accounts in bucket ``origin`` go next month, on covariates.

    Parameters
    ----------
    pairs : pandas.DataFrame
        From :func:`transition_pairs`, with the covariates at the origin month.
    rhs : str
        Right-hand side in patsy syntax (``"utilisation + np.log(credit_line)"``).
    origin : str
        The origin bucket modelled (one model per origin: the moves open to an account depend on
        where it is).
    outcome : str
        ``"move"`` (cure / improve / stay / roll / closed) or ``"to"`` (the full set of buckets).
    categories : sequence of str, optional
        The outcome's categories in order; the first is the reference (default: ``stay`` first
        for moves, bucket order for ``"to"``; only those observed).
    cluster : str or None
        Errors clustered by this column (default the account: its months are not independent);
        None for the inverse information.
    alpha : float
        1 - confidence level.
    max_iter, tol : int, float
        Newton iterations and the convergence tolerance on the parameters.

    Returns
    -------
    FitResult
        ``model="mnlogit"``, ``link="logit"``: coefficients named ``"<category>: <term>"`` (log
        relative-risk ratios against the reference category; ``exp_*`` are relative-risk
        ratios), ``extra``: ``categories``, ``reference``, ``origin``, ``pseudo_r2``, ``counts``
        (transitions per category).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> pairs = pd.DataFrame({"account_id": np.arange(900) % 300, "x": rng.normal(size=900),
    ...     "from": "1", "move": rng.choice(["stay", "cure", "roll"], 900)})
    >>> fit = fit_transition_logit(pairs, "x", origin="1")
    >>> fit.summary.index.tolist()
    ['cure: Intercept', 'cure: x', 'roll: Intercept', 'roll: x']
    """
    import patsy
    import statsmodels.api as sm

    check_alpha(alpha)
    check_frame(pairs)
    rhs = check_rhs(rhs, "fit_transition_logit")
    require_columns(pairs, ["from", outcome], "transition")
    absent = sorted(formula_variables(rhs) - set(pairs.columns))
    if absent:
        raise ValueError(f"the right-hand side uses column(s) {absent} that the data frame lacks")
    rows = pairs[pairs["from"].astype(str) == origin]
    if rows.empty:
        raise ValueError(f"no transitions out of bucket {origin!r}")
    y, cats = _outcome_codes(rows, outcome, categories)
    try:
        design = patsy.dmatrix(rhs, rows, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as error:
        raise ValueError(
            f"cannot build the design of {rhs!r}{missing_values_detail(rows, rhs)}: {error}"
        ) from None
    terms = list(design.columns)
    term_columns = {
        term: list(design.columns[piece])
        for term, piece in design.design_info.term_name_slices.items()
    }
    model = sm.MNLogit(y, design.to_numpy(dtype=float))
    options: dict = {"method": "newton", "maxiter": max_iter, "disp": False, "tol": tol}
    n_clusters, groups = None, None
    if cluster is not None:
        require_columns(rows, [cluster], "cluster")
        groups = pd.factorize(rows[cluster])[0]
        n_clusters = int(groups.max() + 1)
        options |= {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(**options)
    names = [f"{cat}: {term}" for cat in cats[1:] for term in terms]
    params = np.asarray(result.params).ravel(order="F")
    covariance = np.asarray(result.cov_params(), dtype=float)
    se = np.sqrt(np.diag(covariance))
    problems = [
        str(w.message).splitlines()[0] for w in caught if "converge" in str(w.message).lower()
    ]
    converged = bool(result.mle_retvals.get("converged", False))
    if not converged:
        problems.append(f"optimiser did not converge in {max_iter} iterations")
    counts = pd.Series(np.bincount(y, minlength=len(cats)), index=list(cats))
    rare = [c for c in cats if counts[c] < 10]
    if rare:
        problems.append(f"categories with fewer than 10 transitions: {rare} (unstable estimates)")
    problems += _separation_warnings(design.to_numpy(dtype=float), terms, y, cats)
    problems += few_clusters_warning(n_clusters, cluster)
    summary = tidy_summary(names, params, se, alpha)
    try:
        nonrobust = np.linalg.inv(-model.hessian(params))
    except np.linalg.LinAlgError:
        nonrobust = np.full((len(names), len(names)), np.nan)
    return FitResult(
        model="mnlogit",
        summary=summary,
        n=int(len(y)),
        events=None,
        converged=converged,
        formula=rhs,
        outcome=f"{outcome} from {origin}",
        loglik=float(result.llf),
        loglik_null=float(result.llnull),
        cov=pd.DataFrame(covariance, index=names, columns=names),
        cov_type="cluster" if cluster is not None else "nonrobust",
        cov_nonrobust=pd.DataFrame(nonrobust, index=names, columns=names),
        alpha=alpha,
        cluster=cluster,
        n_clusters=n_clusters,
        iterations=result.mle_retvals.get("iterations"),
        link="logit",
        term_columns={
            f"{cat}: {term}": [f"{cat}: {c}" for c in columns]
            for cat in cats[1:]
            for term, columns in term_columns.items()
        },
        warnings=problems,
        extra={
            "categories": list(cats),
            "reference": cats[0],
            "origin": origin,
            "pseudo_r2": 1.0 - float(result.llf) / float(result.llnull),
            "counts": counts.to_dict(),
        },
        _engine=_MNLogitEngine(result, cats, terms, term_columns, groups),
    )


def _softmax(eta: np.ndarray) -> np.ndarray:
    """Every category's probability, ``(categories, n)``, from the linear predictors of the
    non-reference ones, ``(categories - 1, n)``. Transitions run along the second axis: with
    a handful of categories, reductions across them are then elementwise over long rows
    rather than per row over short ones (several times faster at 100,000 transitions)."""
    eta = np.vstack([np.zeros((1, eta.shape[1])), eta])
    eta -= eta.max(axis=0)
    expd = np.exp(eta)
    return expd / expd.sum(axis=0)


def _average(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """The mean over transitions (the last axis), each counted ``weights`` times."""
    return values.mean(axis=-1) if weights is None else values @ weights / weights.sum()


def _effect_function(engine: _MNLogitEngine, exog_t: np.ndarray):
    """The effects of a fit: ``(term, kind)`` for each coefficient column but the intercept, and
    ``effects(params, weights) -> (effects, categories)``, every average marginal effect on
    every category's probability at once (weights: how often each transition counts, a
    bootstrap's draws; None: once each).

    All effects share one linear predictor, and a factor level's reference and level predictors
    differ from it by the factor's columns alone: one pass serves every effect, and no copy of
    the design is made (the delta method calls it twice per parameter, a bootstrap once per
    replicate). ``exog_t`` is the design transposed, ``(columns, transitions)``."""
    k = exog_t.shape[0]
    labels, factors, slopes = [], [], []
    for term, columns in engine.term_columns.items():
        if term == "Intercept":
            continue
        positions = [engine.names.index(c) for c in columns]
        block = exog_t[positions]
        indicator = bool(np.isin(block, (0.0, 1.0)).all() and (block.sum(axis=0) <= 1).all())
        if indicator:
            factors.append((len(labels), positions))
            labels += [(engine.names[j], "discrete") for j in positions]
        else:
            slopes += [(len(labels) + i, j) for i, j in enumerate(positions)]
            labels += [(engine.names[j], "derivative") for j in positions]

    def effects(b, weights=None, design=None) -> np.ndarray:
        """``design``: the transitions averaged over (default: the fit's), ``weights`` theirs."""
        design = exog_t if design is None else design
        beta = b.reshape(k, -1, order="F")
        eta = beta.T @ design
        out = np.empty((len(labels), beta.shape[1] + 1))
        if slopes:
            p = _softmax(eta)
            for row, j in slopes:
                slope = np.r_[0.0, beta[j]]
                out[row] = _average(p * (slope[:, None] - slope @ p), weights)
        for first, positions in factors:
            reference = eta - beta[positions].T @ design[positions]
            base = _softmax(reference)
            for i, j in enumerate(positions):
                out[first + i] = _average(_softmax(reference + beta[j][:, None]) - base, weights)
        return out

    return labels, effects


def _weighted_mnlogit(
    exog_t: np.ndarray,
    y: np.ndarray,
    n_cat: int,
    weights: np.ndarray,
    start: np.ndarray,
    max_iter: int = 15,
    tol: float = 1e-8,
) -> np.ndarray | None:
    """The multinomial logit's estimate with frequency weights, by Newton's method from
    ``start`` (the full sample's estimate: a replicate's is near it, and Newton's steps
    shrink quadratically, so ``max_iter`` is generous); None when it does not converge or its
    information is singular (a factor level without some move in the replicate, whose
    coefficient then runs off to infinity). ``exog_t``: the design transposed."""
    k, j = exog_t.shape[0], n_cat - 1
    outcome = (y[None, :] == np.arange(1, n_cat)[:, None]).astype(float)
    beta = start.reshape(k, j, order="F").copy()
    for _ in range(max_iter):
        p = _softmax(beta.T @ exog_t)[1:]
        gradient = (exog_t @ (weights * (outcome - p)).T).ravel(order="F")
        information = np.empty((k * j, k * j))
        for a in range(j):
            for c in range(a, j):
                piece = (exog_t * (weights * p[a] * ((a == c) - p[c]))) @ exog_t.T
                information[a * k : (a + 1) * k, c * k : (c + 1) * k] = piece
                information[c * k : (c + 1) * k, a * k : (a + 1) * k] = piece.T
        try:
            step = np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            return None
        beta += step.reshape(k, j, order="F")
        if not np.isfinite(beta).all():
            return None
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            return beta.ravel(order="F")
    return None


def _bootstrap_effects(engine, exog_t, params, effects, replicates: int, seed: int):
    """Each replicate's average marginal effects: accounts drawn with replacement (an account's
    transitions together), the logit refitted on the draw, its effects averaged over the draw.
    Returns the draws ``(used replicates, effects, categories)`` and how many failed."""
    y = np.asarray(engine.sm_result.model.endog, dtype=np.int64)
    n_cat = len(engine.categories)
    groups = engine.groups
    draws = _bootstrap_weights(np.random.default_rng(seed), int(groups.max()) + 1, replicates)
    out, failed = [], 0
    for account_weights in draws:
        weights = account_weights[groups].astype(float)
        rows = np.flatnonzero(weights > 0)  # only the drawn transitions enter refit and means
        counts = np.bincount(y[rows], weights=weights[rows], minlength=n_cat)
        estimate = None
        if (counts > 0).all():  # an outcome absent from the draw has no finite estimate
            drawn, w = exog_t[:, rows], weights[rows]
            estimate = _weighted_mnlogit(drawn, y[rows], n_cat, w, params)
        if estimate is None:
            failed += 1
            continue
        out.append(effects(estimate, w, drawn))
    return np.array(out), failed


def transition_marginal_effects(
    fit: FitResult, alpha: float | None = None, *, bootstrap: int = 0, seed: int = 0
) -> pd.DataFrame:
    """Average marginal effects of each covariate on the probability of each outcome (cure,
    roll …), with delta-method errors from the fit's (cluster-robust) covariance and, with
    ``bootstrap=B``, percentile intervals from resampling accounts.

    For a continuous column the average over transitions of ``d P_j / d x``; for a 0/1 term or
    a factor's level the average change in ``P_j`` when every transition moves from the
    reference level to that level. The Jacobian of the averages in the parameters is taken by
    central differences.

    The bootstrap draws the fit's clusters (its accounts) with replacement, ``B`` times with a
    generator seeded by ``seed``, refits the logit on each draw by Newton's method from the
    fit's estimate and averages the effects over the draw; ``boot_lower`` and ``boot_upper``
    are the draws' ``alpha/2`` and ``1 - alpha/2`` quantiles. A draw in which some outcome
    does not occur, or whose refit does not converge (a rare factor level absent), has no
    finite estimate and is left out; ``attrs["bootstrap"]`` says how many were used. It costs
    ``B`` refits: off by default.

    Parameters
    ----------
    fit : FitResult
        From :func:`fit_transition_logit` (clustered, for a bootstrap).
    alpha : float, optional
        1 - confidence level (default: the fit's).
    bootstrap : int
        Bootstrap replicates over accounts (0: delta-method intervals only).
    seed : int
        Seed of the bootstrap's draws (the same seed, the same intervals).

    Returns
    -------
    pandas.DataFrame
        ``outcome, term, ame, se, ci_lower, ci_upper, z, p, kind`` (and ``boot_lower,
        boot_upper`` with a bootstrap).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> pairs = pd.DataFrame({"account_id": np.arange(900) % 300, "x": rng.normal(size=900),
    ...     "from": "1", "move": rng.choice(["stay", "cure", "roll"], 900)})
    >>> ame = transition_marginal_effects(fit_transition_logit(pairs, "x", origin="1"))
    >>> ame[["outcome", "term"]].values.tolist()
    [['stay', 'x'], ['cure', 'x'], ['roll', 'x']]
    >>> bool(abs(ame["ame"].sum()) < 1e-12)  # the effects on all outcomes add to zero
    True
    >>> boot = transition_marginal_effects(fit_transition_logit(pairs, "x", origin="1"), bootstrap=50)
    >>> boot.attrs["bootstrap"]["used"], bool((boot["boot_lower"] < boot["ame"]).all())
    (50, True)
    """
    engine = fit._engine
    if fit.model != "mnlogit" or not isinstance(engine, _MNLogitEngine):
        raise ValueError("expected a FitResult from fit_transition_logit")
    alpha = fit.alpha if alpha is None else check_alpha(alpha)
    if int(bootstrap) != bootstrap or bootstrap < 0:
        raise ValueError(f"bootstrap must be a whole number of replicates >= 0, got {bootstrap!r}")
    if bootstrap and engine.groups is None:
        raise ValueError(
            "the bootstrap resamples the fit's accounts: fit with cluster='account_id'"
        )
    exog_t = np.ascontiguousarray(np.asarray(engine.sm_result.model.exog, dtype=float).T)
    params = fit.summary["estimate"].to_numpy()
    labels, effects = _effect_function(engine, exog_t)
    if not labels:
        raise ValueError("the model has no terms besides the intercept")
    values = effects(params)
    jacobian = np.empty((*values.shape, len(params)))  # (effects, categories, parameters)
    for m in range(len(params)):
        h = 1e-6 * max(1.0, abs(params[m]))
        up, down = params.copy(), params.copy()
        up[m] += h
        down[m] -= h
        jacobian[:, :, m] = (effects(up) - effects(down)) / (2 * h)
    covariance = fit.cov.to_numpy()
    se = np.sqrt(np.einsum("ecj,jk,eck->ec", jacobian, covariance, jacobian))
    n_cat = len(engine.categories)
    frame = pd.DataFrame(
        {
            "outcome": np.tile(engine.categories, len(labels)),
            "term": np.repeat([term for term, _ in labels], n_cat),
            "ame": values.ravel(),
            "se": se.ravel(),
            "kind": np.repeat([kind for _, kind in labels], n_cat),
        }
    )
    q = stats.norm.ppf(1 - alpha / 2)
    frame["ci_lower"] = frame["ame"] - q * frame["se"]
    frame["ci_upper"] = frame["ame"] + q * frame["se"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["z"] = frame["ame"] / frame["se"]
    frame["p"] = 2 * stats.norm.sf(np.abs(frame["z"]))
    columns = ["outcome", "term", "ame", "se", "ci_lower", "ci_upper", "z", "p", "kind"]
    failed = 0
    if bootstrap:
        draws, failed = _bootstrap_effects(engine, exog_t, params, effects, int(bootstrap), seed)
        if len(draws):
            flat = draws.reshape(len(draws), -1)  # (replicates, effect x category): rows' order
            frame["boot_lower"] = np.quantile(flat, alpha / 2, axis=0)
            frame["boot_upper"] = np.quantile(flat, 1 - alpha / 2, axis=0)
        else:
            frame["boot_lower"] = frame["boot_upper"] = np.nan
        columns += ["boot_lower", "boot_upper"]
    order = {c: i for i, c in enumerate(engine.categories)}
    frame = frame.sort_values(
        ["term", "outcome"],
        key=lambda s: s.map(order) if s.name == "outcome" else s,
        kind="stable",
    )
    frame = frame[columns].reset_index(drop=True)
    if bootstrap:
        frame.attrs["bootstrap"] = {
            "replicates": int(bootstrap),
            "used": int(bootstrap) - failed,
            "seed": int(seed),
        }
    return frame


def transition_sample(
    features: pd.DataFrame, rhs: str, *, horizon: int = 1
) -> tuple[pd.DataFrame, dict]:
    """The transitions of an account-month features table that are complete for ``rhs``, and
    how many each origin lost to missing values (a model never drops rows silently; the payment
    ratio is missing in an account's first month, which has no bill before it).

    Examples
    --------
    >>> features = pd.DataFrame({"account_id": ["a"] * 3, "bucket": ["current", "1", "current"],
    ...     "month": pd.to_datetime(["2005-04-01", "2005-05-01", "2005-06-01"]), "x": [np.nan, 1.0, 2.0]})
    >>> pairs, dropped = transition_sample(features, "x")
    >>> len(pairs), dropped
    (1, {'current': 1})
    """
    rhs = check_rhs(rhs, "transition_sample")
    pairs = transition_pairs(features, horizon=horizon)
    columns = sorted(formula_variables(rhs) & set(pairs.columns))
    absent = sorted(formula_variables(rhs) - set(pairs.columns))
    if absent:
        raise ValueError(f"the right-hand side uses column(s) {absent} that the data frame lacks")
    incomplete = pairs[columns].isna().any(axis=1)
    dropped = pairs.loc[incomplete, "from"].value_counts()
    order = [b for b in BUCKETS if b in dropped.index]
    return pairs[~incomplete].reset_index(drop=True), {b: int(dropped[b]) for b in order}


def labelled_marginal_effects(ame: pd.DataFrame, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`transition_marginal_effects` in reported units, with readable labels: a derivative
    times its term's scale (utilisation per 10 percentage points, the credit line per doubling);
    a discrete change as it is.

    Examples
    --------
    >>> ame = pd.DataFrame({"outcome": ["roll"], "term": ["utilisation"], "ame": [0.2], "se": [0.05],
    ...     "ci_lower": [0.1], "ci_upper": [0.3], "z": [4.0], "p": [0.0], "kind": ["derivative"]})
    >>> row = labelled_marginal_effects(ame).iloc[0]
    >>> row["label"], round(float(row["ame"]), 3)
    ('Utilisation, per 10 percentage points', 0.02)
    """
    from overdue.models.labels import label_terms

    labels = label_terms(list(dict.fromkeys(ame["term"])), data)
    table = ame.copy()
    scale = table["term"].map(lambda t: labels[t].scale).where(table["kind"] == "derivative", 1.0)
    scaled = ["ame", "se", "ci_lower", "ci_upper", "boot_lower", "boot_upper"]
    for column in [c for c in scaled if c in table.columns]:
        table[column] = table[column] * scale
    table.insert(2, "label", table["term"].map(lambda t: labels[t].label))
    return table


def late_fee_cures(loans: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The one cure signal a loan file without a delinquency panel has: loans that paid late
    fees (``total_rec_late_fee > 0``: at least one payment was late) and were then fully paid,
    beside the loans that paid none.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``paid a late fee`` / ``no late fee``: ``loans``, ``fully_paid``, ``share``
        and its Wilson interval.

    Raises
    ------
    ValueError
        When the loan file has no ``total_rec_late_fee`` column (see :func:`records_late_fees`).

    Examples
    --------
    >>> loans = pd.DataFrame({"total_rec_late_fee": [15.0, 0.0, 30.0, 0.0],
    ...     "loan_status": ["Fully Paid", "Fully Paid", "Charged Off", "Charged Off"]})
    >>> late_fee_cures(loans)[["loans", "fully_paid"]].values.tolist()
    [[2, 1], [2, 1]]
    """
    check_alpha(alpha)
    require_columns(loans, ["total_rec_late_fee", "loan_status"], "loan")
    paid_fee = loans["total_rec_late_fee"].fillna(0) > 0
    # "Does not meet the credit policy. Status:Fully Paid" is fully paid too.
    fully_paid = loans["loan_status"].astype(str).str.endswith("Fully Paid")
    rows = {}
    for name, chosen in [("paid a late fee", paid_fee), ("no late fee", ~paid_fee)]:
        rows[name] = {"loans": int(chosen.sum()), "fully_paid": int((chosen & fully_paid).sum())}
    table = pd.DataFrame.from_dict(rows, orient="index")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share"] = table["fully_paid"] / table["loans"]
    table["ci_lower"], table["ci_upper"] = np.nan, np.nan
    some = table["loans"] > 0  # a group with no loans has no share
    if some.any():
        lower, upper = wilson_interval(
            table.loc[some, "fully_paid"], table.loc[some, "loans"], alpha
        )
        table.loc[some, "ci_lower"], table.loc[some, "ci_upper"] = lower, upper
    return table


def records_late_fees(loans: pd.DataFrame) -> bool:
    """Whether a loan table records late fees at all (the column present and not empty: a loan
    file in another format may leave it out, and the canonical table then holds it empty).

    Examples
    --------
    >>> records_late_fees(pd.DataFrame({"total_rec_late_fee": [np.nan, np.nan]}))
    False
    """
    return "total_rec_late_fee" in loans.columns and bool(
        loans["total_rec_late_fee"].notna().any()
    )


def labelled_transition_summary(fit: FitResult, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """A :func:`fit_transition_logit` summary in reported units with readable labels: one block
    per move (against the reference, ``stay``), each term labelled and rescaled as
    :func:`overdue.models.labels.labelled_summary` does (estimates and intervals times the
    term's scale; ratios are relative-risk ratios per reported unit).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> pairs = pd.DataFrame({"account_id": np.arange(900) % 300, "utilisation": rng.random(900),
    ...     "from": "1", "move": rng.choice(["stay", "cure", "roll"], 900)})
    >>> table = labelled_transition_summary(fit_transition_logit(pairs, "utilisation", origin="1"))
    >>> table.loc[table["term"] == "utilisation", ["outcome", "label"]].values.tolist()
    [['cure', 'Utilisation, per 10 percentage points'], ['roll', 'Utilisation, per 10 percentage points']]
    """
    from overdue.models.labels import labelled_summary

    if fit.model != "mnlogit":
        raise ValueError("expected a FitResult from fit_transition_logit")
    blocks = []
    split = fit.summary.index.str.split(": ", n=1)
    outcomes, terms = split.str[0], split.str[1]
    for outcome in dict.fromkeys(outcomes):
        rows = fit.summary[outcomes == outcome].copy()
        rows.index = pd.Index(terms[outcomes == outcome], name="term")
        table = labelled_summary(rows, data)
        table.insert(0, "outcome", outcome)
        table.insert(1, "term", rows.index)
        blocks.append(table.reset_index(drop=True))
    return pd.concat(blocks, ignore_index=True)
