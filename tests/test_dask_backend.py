"""Partitioned feature builds: pandas and Dask backends give exactly the in-memory result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdue.build.partitioned import build_features_partitioned, partitioned_context
from overdue.data.loans import as_canonical, loan_partitions
from overdue.features.build import compute_features, make_context
from overdue.features.outcomes import build_panel
from overdue.features.underwriting import quantile_from_counts
from overdue.synthetic import write_synthetic
from test_synthetic import toy_macro

SHARES = {"CA": 0.6, "TX": 0.4}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """4,500 synthetic loans in three parquet parts, with one open loan so the snapshot matters."""
    folder = tmp_path_factory.mktemp("book")
    write_synthetic(
        4500, folder, seed=3, macro=toy_macro(), partition_size=1500, state_shares=SHARES
    )
    part = folder / "loans" / "part-00001.parquet"
    loans = pd.read_parquet(part)
    loans.loc[5, ["loan_status", "last_pymnt_d"]] = ["Current", pd.Timestamp("2012-03-01")]
    loans.to_parquet(part, index=False)
    return folder


@pytest.fixture(scope="module")
def in_memory(book):
    loans = pd.read_parquet(book / "loans")
    context = make_context(loans, toy_macro(), "toy", snapshot="2013-06-01")
    features = compute_features(loans, context)
    return context, features, build_panel(features, context, macro_lag=2)


@pytest.fixture(scope="module")
def built(book, tmp_path_factory):
    from distributed import Client, LocalCluster

    out = tmp_path_factory.mktemp("built")
    options = dict(macro_lag=2, macro_source="toy", snapshot="2013-06-01")
    # Batches of 1,000 never span the 1,500-loan files (1,000 + 500 each) on pandas; one task
    # per file on Dask.
    by_pandas = build_features_partitioned(
        book / "loans", toy_macro(), out / "pandas", backend="pandas", batch_rows=1000, **options
    )
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            # No memory limit: with in-process workers it would count the whole test process
            # (every earlier test's memory), and a worker past 80 % of it pauses for good.
            memory_limit=0,
        ) as cluster,
        Client(cluster) as client,
    ):
        by_dask = build_features_partitioned(
            book / "loans", toy_macro(), out / "dask", backend="dask", client=client, **options
        )
    return by_pandas, by_dask


def test_context_from_one_pass_equals_whole_table(book, in_memory):
    context, _, _ = in_memory
    partitioned = partitioned_context(
        book / "loans", toy_macro(), "toy", batch_rows=700, snapshot="2013-06-01"
    )
    assert partitioned.fico_grade_cutoffs == context.fico_grade_cutoffs  # bit for bit
    assert partitioned.params == context.params
    # Without a snapshot given, both take the latest issue or payment month of the whole table.
    loans = pd.read_parquet(book / "loans")
    assert (
        partitioned_context(book / "loans", toy_macro(), batch_rows=700).params["snapshot"]
        == make_context(loans, toy_macro()).params["snapshot"]
    )


@pytest.mark.parametrize("seed", range(5))
def test_quantile_from_counts_is_numpys(seed):
    rng = np.random.default_rng(seed)
    scores = rng.choice(np.arange(612, 850, 5.0), size=rng.integers(1, 5000))
    values, counts = np.unique(scores, return_counts=True)
    for q in [0, 1e-9, 0.0123, 0.25, 0.5, 0.7606, 0.9999, 1]:
        assert quantile_from_counts(values, counts, q) == np.quantile(scores, q)


def test_pandas_and_dask_equal_the_in_memory_build(built, in_memory):
    _, features, panel = in_memory
    for result in built:
        assert (
            result.n_loans == 4500 and result.n_panel_rows == len(panel) == features["time"].sum()
        )
        got_features = pd.read_parquet(result.features_dir)
        got_panel = pd.read_parquet(result.panel_dir)
        pd.testing.assert_frame_equal(
            got_features.sort_values("id", ignore_index=True),
            features.sort_values("id", ignore_index=True),
        )
        pd.testing.assert_frame_equal(
            got_panel.sort_values(["id", "month_on_book"], ignore_index=True),
            panel.sort_values(["id", "month_on_book"], ignore_index=True),
        )
    by_pandas, by_dask = built
    assert by_pandas.partitions == 6 and by_dask.partitions == 3
    assert (pd.read_parquet(by_dask.features_dir)["event_type"] == "censored_snapshot").sum() == 1


def test_rebuild_replaces_outputs(book, tmp_path):
    first = build_features_partitioned(book / "loans", toy_macro(), tmp_path, batch_rows=750)
    second = build_features_partitioned(book / "loans", toy_macro(), tmp_path, batch_rows=5000)
    assert first.partitions == 6 and second.partitions == 3
    assert len(list(second.features_dir.glob("*.parquet"))) == 3
    assert len(list(second.panel_dir.glob("*.parquet"))) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features", "panel"]  # no staging left


def test_partitions_arrive_in_canonical_types(book):
    part = next(loan_partitions(book / "loans", batch_rows=100))
    assert len(part) == 100
    assert (
        part.dtypes.astype(str).tolist()
        == as_canonical(pd.read_parquet(book / "loans" / "part-00000.parquet"))
        .dtypes.astype(str)
        .tolist()
    )
    with pytest.raises(ValueError, match="column 'term' cannot be read as int64"):
        as_canonical(pd.DataFrame({"term": ["thirty-six"]}))


def test_bad_arguments(book, tmp_path):
    with pytest.raises(ValueError, match="backend must be one of"):
        build_features_partitioned(book / "loans", toy_macro(), tmp_path, backend="spark")
    with pytest.raises(ValueError, match="client is only used by backend='dask'"):
        build_features_partitioned(book / "loans", toy_macro(), tmp_path, client=object())
    with pytest.raises(ValueError, match="does not exist"):
        build_features_partitioned(tmp_path / "nowhere", toy_macro(), tmp_path)
    pd.DataFrame({"id": ["1"]}).to_parquet(tmp_path / "thin.parquet")
    with pytest.raises(ValueError, match="column 'loan_amnt' missing"):
        build_features_partitioned(tmp_path / "thin.parquet", toy_macro(), tmp_path / "out")
