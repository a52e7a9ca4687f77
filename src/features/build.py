"""Build the per-loan features table and the loan-month panel from the canonical loan table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from overdue.features.outcomes import build_panel, outcome_params
from overdue.features.registry import FeatureContext, features_of
from overdue.features.underwriting import fico_grade_cutoffs

IDENTITY_COLUMNS = ["id", "issue_d", "addr_state"]


def make_context(
    loans: pd.DataFrame, macro: pd.DataFrame, macro_source: str = "macro panel", **outcome_options
) -> FeatureContext:
    """The context every partition of ``loans`` shares: macro panel, FICO-grade cut-offs, outcome
    parameters — all resolved over the whole table so partitions agree.

    Examples
    --------
    >>> context = make_context(loans, macro)  # doctest: +SKIP
    """
    present = frozenset(loans.columns[loans.notna().any().to_numpy()])
    fico_mid = (loans["fico_range_low"] + loans["fico_range_high"]) / 2
    graded = {"fico_range_low", "fico_range_high", "grade"} <= present
    return FeatureContext(
        macro=macro,
        macro_source=macro_source,
        fico_grade_cutoffs=fico_grade_cutoffs(fico_mid, loans["grade"]) if graded else None,
        params=outcome_params(loans, **outcome_options),
        present=present,
    )


def compute_features(loans: pd.DataFrame, context: FeatureContext) -> pd.DataFrame:
    """One row per loan: the identity columns and every feature registered for the loan table
    (features of other tables, such as a delinquency panel's accounts, never run on loans).

    Examples
    --------
    >>> features = compute_features(loans, make_context(loans, macro))  # doctest: +SKIP
    """
    import overdue.features  # noqa: F401  (registers every family)

    columns = {name: loans[name] for name in IDENTITY_COLUMNS}
    try:
        for spec in features_of("loans"):
            # A feature whose source columns the file does not give is left empty; the models
            # then leave its terms out and say so (models.specs.usable_terms).
            if context.supports(spec):
                columns[spec.name] = spec.compute(loans, context)
            else:
                columns[spec.name] = pd.Series(np.nan, index=loans.index, dtype="float64")
    finally:
        context.shared.pop(("outcomes", id(loans)), None)
    features = pd.DataFrame(columns).reset_index(drop=True)
    # Model code (patsy, statsmodels) handles numpy object strings but not pandas' nullable
    # "string" dtype (comparisons on it give a BooleanDtype patsy cannot read).
    for name in features.columns[features.dtypes.map(pd.api.types.is_string_dtype)]:
        text = features[name]
        features[name] = text.astype(object).where(text.notna(), None)
    return features


def derive_features(
    loans: pd.DataFrame,
    macro: pd.DataFrame,
    macro_lag: int = 1,
    macro_source: str = "data/raw/fred",
    context: FeatureContext | None = None,
    **outcome_options,
) -> dict[str, pd.DataFrame | None]:
    """The features table and the loan-month panel of validated loans (panel None when the loans
    have no payment dates, see outcomes.py), in ``context`` when one was made already (else
    :func:`make_context` of ``macro_source`` and ``outcome_options``).

    Examples
    --------
    >>> tables = derive_features(loans, macro)  # doctest: +SKIP
    >>> len(tables["panel"]) == tables["features"]["time"].sum()  # doctest: +SKIP
    True
    """
    if context is None:
        context = make_context(loans, macro, macro_source, **outcome_options)
    features = compute_features(loans, context)
    timed = features["time"].notna().all()
    panel = build_panel(features, context, macro_lag=macro_lag) if timed else None
    return {"features": features, "panel": panel}
