"""The study sample every notebook analyses, from the shared parameters.

Each notebook calls :func:`load_study` with the same shared parameters (data source, sample
fraction, seed, issue window, default definition, macro lag), so the same parameters mean the same
loans in every notebook, whether the notebook runs alone in JupyterLab or in a report run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from overdue.errors import ConfigError, DataError
from overdue.features.build import compute_features, make_context
from overdue.features.outcomes import build_panel
from overdue.models.specs import FAMILIES, HAZARD_TERMS, ModelSample, model_sample
from overdue.paths import resolve


@dataclass
class Study:
    """The loans under study: features (one row per loan), optional loan-month panel, and the raw
    macro panel, with a description of how they were chosen."""

    features: pd.DataFrame
    panel: pd.DataFrame | None
    macro: pd.DataFrame
    description: dict

    @property
    def has_time_to_event(self) -> bool:
        """Whether the loans carry payment dates, so survival and hazard models can run."""
        return self.description["has_time_to_event"]

    def model_sample(
        self,
        families=None,
        *,
        cluster: str | None = None,
        exclude=(),
        columns=(),
        panel: bool = False,
        family_terms=None,
    ) -> ModelSample:
        """The complete-case loans (or loan-months) and right-hand sides of some families.

        One call for what every modelling page needs: the families the data support (all four by
        default), their nested right-hand sides and the rows complete for them
        (:func:`overdue.models.specs.model_sample`), with the cluster column present.

        Parameters
        ----------
        families : sequence of str, optional
            Families, in order of entry (default: all).
        cluster : str, optional
            Cluster column the fits will use (``addr_state`` or ``issue_month``).
        exclude : iterable of str
            Columns whose terms are left out (a Cox model's strata).
        columns : sequence of str
            Columns that must also be complete (a survival model's duration).
        panel : bool
            Sample the loan-month panel instead of the loans.
        family_terms : mapping, optional
            Terms of each family (default :data:`overdue.models.specs.FAMILIES`; for the panel
            ``{"hazard": HAZARD_TERMS}`` is the hazard model's).

        Examples
        --------
        >>> study.model_sample(cluster="addr_state").nested  # doctest: +SKIP
        """
        frame = self.panel if panel else self.features
        if frame is None:
            raise ConfigError(
                "this study has no loan-month panel: load it with with_panel=True "
                "(it needs payment dates)"
            )
        if cluster is not None:
            frame = with_cluster_column(frame, cluster)
        if family_terms is None:
            family_terms = {"hazard": HAZARD_TERMS} if panel else FAMILIES
        return model_sample(
            frame, families, exclude=exclude, columns=columns, family_terms=family_terms
        )


def load_study(
    data_dir: str = "data/processed",
    sample_frac: float = 1.0,
    seed: int = 2024,
    issue_start: str = "2007-01",
    issue_end: str = "2011-12",
    overdue_statuses=(),
    macro_lag: int = 1,
    with_panel: bool = False,
) -> Study:
    """Load the processed tables, choose the loans and compute their features (and panel).

    Parameters
    ----------
    data_dir : str
        Folder with ``loans.parquet`` and ``macro.parquet`` (relative to the project root).
    sample_frac : float
        Share of loans kept, drawn at random with ``seed`` (1.0 keeps all).
    seed : int
        Seed of the sample draw.
    issue_start, issue_end : str
        Issue-month window, inclusive (``YYYY-MM``).
    overdue_statuses : sequence of str
        Open-loan statuses that count as overdue (the default definition's parameter).
    macro_lag : int
        Months of publication lag applied to the panel's unemployment.
    with_panel : bool
        Also build the loan-month panel.

    Examples
    --------
    >>> study = load_study(sample_frac=0.05)  # doctest: +SKIP
    >>> study.description["loans"]  # doctest: +SKIP
    2127
    """
    if not 0 < sample_frac <= 1:
        raise ConfigError(f"sample_frac must be in (0, 1], got {sample_frac}")
    folder = resolve(data_dir)
    paths = {name: folder / f"{name}.parquet" for name in ("loans", "macro")}
    for path in paths.values():
        if not path.is_file():
            raise DataError(path, None, "not found: run `overdue build` (or `make data`) first")
    loans = pd.read_parquet(paths["loans"])
    macro = pd.read_parquet(paths["macro"])
    # Definitions that depend on the whole table (snapshot month, FICO-grade cut-offs) are fixed
    # before sampling, so a 5% sample and the full run define features alike.
    context = make_context(loans, macro, str(folder), overdue_statuses=overdue_statuses)
    start, end = (
        pd.Period(issue_start, "M").to_timestamp(),
        pd.Period(issue_end, "M").to_timestamp(),
    )
    chosen = loans[(loans["issue_d"] >= start) & (loans["issue_d"] <= end)]
    if sample_frac < 1:
        chosen = chosen.sample(frac=sample_frac, random_state=np.random.RandomState(seed))
    if chosen.empty:
        raise ConfigError(
            f"no loans issued between {issue_start} and {issue_end} in {paths['loans']}"
        )
    chosen = chosen.sort_values("id", kind="stable").reset_index(drop=True)
    features = compute_features(chosen, context)
    has_time_to_event = bool(features["time"].notna().all())
    panel = (
        build_panel(features, context, macro_lag=macro_lag)
        if with_panel and has_time_to_event
        else None
    )
    description = {
        "has_time_to_event": has_time_to_event,
        "data_dir": str(data_dir),
        "loans": len(features),
        "loans_available": len(loans),
        "sample_frac": sample_frac,
        "seed": seed,
        "issue_window": [issue_start, issue_end],
        "overdue_statuses": list(overdue_statuses),
        "macro_lag": macro_lag,
        "defaults": int(features["defaulted"].sum()),
    }
    return Study(features, panel, macro, description)


#: Columns errors may be clustered by, and how each is made from the features table.
CLUSTERS = {"addr_state": "the borrower's state", "issue_month": "the month of issue"}


def with_cluster_column(features: pd.DataFrame, cluster: str) -> pd.DataFrame:
    """The features with the cluster column present (``issue_month`` is derived from ``issue_d``).

    Examples
    --------
    >>> f = pd.DataFrame({"issue_d": pd.to_datetime(["2010-03-01"])})
    >>> with_cluster_column(f, "issue_month")["issue_month"].tolist()
    ['2010-03']
    """
    if cluster not in CLUSTERS:
        raise ConfigError(f"cluster must be one of {sorted(CLUSTERS)}, got {cluster!r}")
    if cluster == "issue_month" and "issue_month" not in features.columns:
        features = features.assign(issue_month=features["issue_d"].dt.strftime("%Y-%m"))
    return features
