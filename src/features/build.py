"""Build the per-loan features table and the loan-month panel from the processed tables."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from overdue.features.outcomes import build_panel, outcome_params
from overdue.features.registry import REGISTRY, FeatureContext
from overdue.features.underwriting import fico_grade_cutoffs
from overdue.io import exclusive_lock, remove_stale_temporaries, write_parquet_atomic

IDENTITY_COLUMNS = ["id", "issue_d", "addr_state"]


def make_context(loans: pd.DataFrame, macro: pd.DataFrame, macro_source: str = "macro panel",
                 **outcome_options) -> FeatureContext:
    """The context every partition of ``loans`` shares: macro panel, FICO-grade cut-offs, outcome
    parameters — all resolved over the whole table so partitions agree.

    Examples
    --------
    >>> context = make_context(loans, macro)  # doctest: +SKIP
    """
    fico_mid = (loans["fico_range_low"] + loans["fico_range_high"]) / 2
    return FeatureContext(macro=macro, macro_source=macro_source,
                          fico_grade_cutoffs=fico_grade_cutoffs(fico_mid, loans["grade"]),
                          params=outcome_params(loans, **outcome_options))


def compute_features(loans: pd.DataFrame, context: FeatureContext) -> pd.DataFrame:
    """One row per loan: the identity columns and every registered feature.

    Examples
    --------
    >>> features = compute_features(loans, make_context(loans, macro))  # doctest: +SKIP
    """
    import overdue.features  # noqa: F401  (registers every family)

    columns = {name: loans[name] for name in IDENTITY_COLUMNS}
    for name, spec in REGISTRY.items():
        columns[name] = spec.compute(loans, context)
    features = pd.DataFrame(columns).reset_index(drop=True)
    # Model code (patsy, statsmodels) handles numpy object strings but not pandas' nullable
    # "string" dtype (comparisons on it give a BooleanDtype patsy cannot read).
    for name in features.columns[features.dtypes.map(pd.api.types.is_string_dtype)]:
        text = features[name]
        features[name] = text.astype(object).where(text.notna(), None)
    return features


def build_features(processed_dir: str | os.PathLike = "data/processed", macro_lag: int = 1,
                   macro_source: str = "data/raw/fred", **outcome_options) -> dict[str, pd.DataFrame]:
    """Read ``loans.parquet`` and ``macro.parquet``, write ``features.parquet`` and
    ``panel.parquet`` atomically (only after both are computed), and return both (no panel when
    the loans have no payment dates).

    Examples
    --------
    >>> tables = build_features("data/processed")  # doctest: +SKIP
    """
    processed_dir = Path(processed_dir)
    loans = pd.read_parquet(processed_dir / "loans.parquet")
    macro = pd.read_parquet(processed_dir / "macro.parquet")
    context = make_context(loans, macro, macro_source, **outcome_options)
    features = compute_features(loans, context)
    # Without payment dates there is no time on book, so no panel (see outcomes.py).
    timed = features["time"].notna().all()
    panel = build_panel(features, context, macro_lag=macro_lag) if timed else None
    with exclusive_lock(processed_dir):
        remove_stale_temporaries(processed_dir)
        write_parquet_atomic(features, processed_dir / "features.parquet")
        if panel is not None:
            write_parquet_atomic(panel, processed_dir / "panel.parquet")
        else:   # a panel left from other data would not match these loans
            (processed_dir / "panel.parquet").unlink(missing_ok=True)
    return {"features": features} | ({"panel": panel} if panel is not None else {})
