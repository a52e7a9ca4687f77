"""Streamed transitions (models.transitions_streamed) equal the in-memory ones: counts pooled, by
month and by a factor over a parquet folder whose batches split accounts, and the per-origin
multinomial logit on the kept rows equal to fit_transition_logit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overdue.features.accounts import account_features
from overdue.models.transitions import (
    fit_transition_logit,
    roll_cure_rates,
    transition_matrix,
    transition_pairs,
)
from overdue.models.transitions_streamed import fit_origin_sample, stream_transitions
from overdue.synthetic import PANEL_RHS, synthetic_delinquency, write_synthetic_delinquency


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("panel")
    write_synthetic_delinquency(folder, 6_000, seed=8, accounts_per_file=1_500)
    panel = pd.read_parquet(folder / "delinquency")
    accounts = pd.read_parquet(folder / "accounts.parquet")
    return folder, panel, accounts


@pytest.mark.parametrize("by", [None, "month", "utilisation_band"])
def test_streamed_counts_equal_the_in_memory_matrix(written, by, tmp_path):
    folder, panel, accounts = written
    data = folder / "delinquency"
    if by == "utilisation_band":
        features = account_features(panel, accounts)
        features.to_parquet(tmp_path / "features.parquet", index=False)
        data, panel = tmp_path / "features.parquet", features
    # 7,777-row batches: most batches end inside an account, which is carried over whole.
    streamed = stream_transitions(data, by=by, batch_rows=7_777)
    memory = transition_matrix(panel, by=by)
    assert streamed.batches > 8 and streamed.rows == len(panel)
    pd.testing.assert_frame_equal(streamed.matrix.table, memory.table)
    assert streamed.matrix.groups == memory.groups
    assert streamed.matrix.n_accounts == memory.n_accounts == streamed.accounts
    pd.testing.assert_frame_equal(
        roll_cure_rates(streamed.matrix), roll_cure_rates(memory), check_categorical=True
    )


def test_streamed_logit_equals_the_in_memory_fit(written):
    folder, panel, accounts = written
    covariates = PANEL_RHS.split(" + ")
    streamed = stream_transitions(
        folder / "delinquency",
        origins=["1", "2"],
        covariates=covariates,
        prepare=lambda batch: account_features(batch, accounts),
        batch_rows=5_000,
    )
    pairs = transition_pairs(account_features(panel, accounts))
    for origin in ["1", "2"]:
        sample = streamed.samples[origin]
        assert len(sample.moves) == (pairs["from"] == origin).sum()
        mine = fit_origin_sample(sample)
        reference = fit_transition_logit(pairs, PANEL_RHS, origin=origin, tol=1e-12)
        assert mine.converged and mine.extra["categories"] == reference.extra["categories"]
        assert mine.n_clusters == reference.n_clusters
        np.testing.assert_allclose(mine.params, reference.params, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(mine.summary["se"], reference.summary["se"], rtol=1e-7)
        assert mine.loglik == pytest.approx(reference.loglik, rel=1e-12)
        # statsmodels fits the null model iteratively; the shares give it exactly.
        assert mine.loglik_null == pytest.approx(reference.loglik_null, rel=1e-9)


def test_months_out_of_order_are_refused():
    panel = synthetic_delinquency(50, seed=1).panel
    shuffled = panel.sample(frac=1.0, random_state=0)
    with pytest.raises(ValueError, match="out of order"):
        stream_transitions(shuffled)
