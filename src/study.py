"""The study sample every notebook analyses, from the shared parameters.

Each notebook calls :func:`load_study` with the same shared parameters (data source, sample
fraction, seed, issue window, default definition, macro lag), so the same parameters mean the same
loans in every notebook, whether the notebook runs alone in JupyterLab or in a report run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

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

    @property
    def missing_dates(self) -> str:
        """What keeps the loans from a time to event, in words ("" when nothing does).

        Examples
        --------
        >>> study.missing_dates  # doctest: +SKIP
        'no issue months or payment dates'
        """
        if self.has_time_to_event:
            return ""
        given = self._given
        dates = {"issue_d": "issue months", "last_pymnt_d": "payment dates"}
        missing = [words for column, words in dates.items() if column not in given]
        return "no " + " or ".join(missing or ["payment dates"])

    @property
    def has_issue_month(self) -> bool:
        """Whether the loans carry issue months: without them there is no vintage, no macro
        family and no out-of-time split (the pages split at random, with the seed)."""
        return "issue_d" in self._given

    @property
    def has_state(self) -> bool:
        """Whether the loans carry the borrower's state: without it macro is national only and
        errors are not clustered by state."""
        return "addr_state" in self._given

    @property
    def _given(self) -> set[str]:
        """The loan columns the file gives (a description without the list, as a study put
        together by hand, counts the issue month and state as given)."""
        return set(self.description.get("loan_columns", ["issue_d", "addr_state"]))

    def usable_cluster(self, cluster: str | None) -> str | None:
        """``cluster`` when the loans carry it (the state, the issue month), else None: errors
        are then not clustered, and the pages say so (:func:`clustering_note`).

        Examples
        --------
        >>> study.usable_cluster("addr_state")  # doctest: +SKIP
        'addr_state'
        """
        carried = {"addr_state": self.has_state, "issue_month": self.has_issue_month}
        return cluster if cluster is None or carried.get(cluster, True) else None

    def left_out(self, sample: ModelSample) -> pd.DataFrame:
        """The terms ``sample``'s models leave out and why (:func:`overdue.tables.left_out_frame`):
        empty when the loan file supports every family.

        Examples
        --------
        >>> study.left_out(study.model_sample()).empty  # doctest: +SKIP
        True
        """
        from overdue.tables import left_out_frame

        given = self.description.get("loan_columns")
        return left_out_frame(sample.left_out, self.features, given)

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
    # The build's features.parquet holds these loans' features, row for row, when it was
    # computed from the same tables and definitions by the same code: then choosing its rows is
    # choosing the loans' (same order, same issue months, same draw) and it replaces computing.
    stored = stored_features(folder, features_key(loans, macro, context))
    table = loans if stored is None else stored
    start, end = (
        pd.Period(issue_start, "M").to_timestamp(),
        pd.Period(issue_end, "M").to_timestamp(),
    )
    # A file without issue months (a course's loan file) has no window to choose by: all its
    # loans are the study, and the pages that need a date say so.
    has_issue_month = "issue_d" in context.present
    in_window = (table["issue_d"] >= start) & (table["issue_d"] <= end)
    chosen = table[in_window] if has_issue_month else table
    if sample_frac < 1:
        chosen = chosen.sample(frac=sample_frac, random_state=np.random.RandomState(seed))
    if chosen.empty:
        raise ConfigError(
            f"no loans issued between {issue_start} and {issue_end} in {paths['loans']}"
        )
    chosen = chosen.sort_values("id", kind="stable").reset_index(drop=True)
    features = compute_features(chosen, context) if stored is None else chosen
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
        "issue_window": [issue_start, issue_end] if has_issue_month else None,
        "overdue_statuses": list(overdue_statuses),
        "macro_lag": macro_lag,
        "defaults": int(features["defaulted"].sum()),
        "loan_columns": sorted(context.present or ()),
        "features_from": "computed" if stored is None else "features.parquet",
    }
    return Study(features, panel, macro, description)


#: The ``DataFrame.attrs`` key (kept in the parquet file) under which the build stamps its
#: features table with :func:`features_key`.
FEATURES_KEY = "overdue_features_key"


def features_key(loans: pd.DataFrame, macro: pd.DataFrame, context) -> str:
    """What a features table is a function of, as one digest: the loan and macro tables' content
    (row order included), the resolved definitions (outcome parameters, FICO-grade cut-offs) and
    the source of the code that computes features (the feature modules and the data schemas),
    with the numpy and pandas versions.

    Examples
    --------
    >>> from overdue.features.build import make_context
    >>> key = features_key(loans, macro, make_context(loans, macro))  # doctest: +SKIP
    """
    import overdue.data.schemas
    import overdue.features

    digest = hashlib.sha256()
    for frame in (loans, macro):
        # One NaN bit pattern: a parquet round trip may change a NaN's payload, not its meaning.
        floats = frame.select_dtypes("floating").columns
        canonical = frame.assign(**{c: frame[c].where(frame[c].notna(), np.nan) for c in floats})
        digest.update(pd.util.hash_pandas_object(canonical, index=False).to_numpy().tobytes())
        digest.update(repr(list(zip(frame.columns, map(str, frame.dtypes)))).encode())
    definitions = {"params": context.params, "fico_grade_cutoffs": context.fico_grade_cutoffs}
    digest.update(json.dumps(definitions, sort_keys=True, default=str).encode())
    code = sorted(Path(overdue.features.__file__).parent.glob("*.py"))
    for path in [*code, Path(overdue.data.schemas.__file__)]:
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(f"numpy {np.__version__} pandas {pd.__version__}".encode())
    return digest.hexdigest()


def stored_features(folder: Path, key: str) -> pd.DataFrame | None:
    """``folder/features.parquet`` when the build stamped it with ``key``, else None."""
    import pyarrow.parquet as pq

    path = folder / "features.parquet"
    try:
        metadata = pq.read_schema(path).metadata or {}
        stamped = json.loads(metadata.get(b"PANDAS_ATTRS", b"{}")).get(FEATURES_KEY)
    except (OSError, ValueError):
        return None
    if stamped != key:
        return None
    features = pd.read_parquet(path)
    features.attrs.clear()
    return features


#: Columns errors may be clustered by, and how each is made from the features table.
CLUSTERS = {"addr_state": "the borrower's state", "issue_month": "the month of issue"}


def clustering_note(cluster: str | None) -> str:
    """How a page's errors are computed, in words.

    Examples
    --------
    >>> clustering_note("addr_state"), clustering_note(None)
    ("errors clustered by the borrower's state", 'errors not clustered (the loans carry no state or issue month)')
    """
    if cluster is None:
        return "errors not clustered (the loans carry no state or issue month)"
    return f"errors clustered by {CLUSTERS[cluster]}"


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


@dataclass
class PanelStudy:
    """The accounts of a delinquency panel under study (the dynamics page's sample): the panel,
    the account table and the account-month features; or, for a loan file without a panel, the
    loans (for the one cure signal they hold)."""

    panel: pd.DataFrame | None
    accounts: pd.DataFrame | None
    features: pd.DataFrame | None
    loans: pd.DataFrame | None
    description: dict

    @property
    def has_panel(self) -> bool:
        """Whether the data record delinquency month by month (``delinquency.parquet``)."""
        return self.panel is not None

    def at_month(self, month: str | None = None) -> pd.DataFrame:
        """The account features of one month (``YYYY-MM``; default the panel's last), one row
        per account: the sample of a model of the outcome the month after."""
        chosen = pd.Period(month, "M").to_timestamp() if month else self.features["month"].max()
        return self.features[self.features["month"] == chosen].reset_index(drop=True)


def load_panel_study(
    data_dir: str = "data/processed",
    sample_frac: float = 1.0,
    seed: int = 2024,
    history_months: int = 6,
) -> PanelStudy:
    """Load a delinquency panel and its accounts from ``data_dir`` (``delinquency.parquet`` and
    ``accounts.parquet``, written by ``overdue build --source taiwan`` or ``--performance``),
    draw whole accounts with ``sample_frac`` and ``seed``, and compute their account-month
    features (:func:`overdue.features.accounts.account_features`).

    A folder without a panel (the LendingClub build) gives a study with ``panel`` None and the
    loan table in ``loans``.

    Examples
    --------
    >>> study = load_panel_study("data/processed/taiwan")  # doctest: +SKIP
    >>> study.description["accounts"], study.description["account_months"]  # doctest: +SKIP
    (30000, 180000)
    """
    from overdue.data.delinquency import panel_summary
    from overdue.features.accounts import account_features

    if not 0 < sample_frac <= 1:
        raise ConfigError(f"sample_frac must be in (0, 1], got {sample_frac}")
    folder = resolve(data_dir)
    panel_path, accounts_path = folder / "delinquency.parquet", folder / "accounts.parquet"
    if not panel_path.is_file():
        loans_path = folder / "loans.parquet"
        if not loans_path.is_file():
            raise DataError(
                folder, None, "no delinquency.parquet or loans.parquet: run `overdue build`"
            )
        description = {"data_dir": str(data_dir), "has_panel": False}
        return PanelStudy(None, None, None, pd.read_parquet(loans_path), description)
    panel = pd.read_parquet(panel_path)
    accounts = (
        pd.read_parquet(accounts_path)
        if accounts_path.is_file()
        else pd.DataFrame({"account_id": panel["account_id"].unique()})
    )
    if sample_frac < 1:
        chosen = accounts.sample(frac=sample_frac, random_state=np.random.RandomState(seed))
        accounts = chosen.sort_values("account_id", kind="stable").reset_index(drop=True)
        panel = panel[panel["account_id"].isin(accounts["account_id"])].reset_index(drop=True)
    features = account_features(panel, accounts, history_months=history_months)
    if (
        "default_next_month" in features.columns
        and not features["default_next_month"].isna().any()
    ):
        features["default_next_month"] = features["default_next_month"].astype("int64")
    description = {
        "data_dir": str(data_dir),
        "has_panel": True,
        "sample_frac": sample_frac,
        "seed": seed,
        "history_months": history_months,
        **panel_summary(panel),
    }
    if "default_next_month" in accounts.columns:
        description["defaults_next_month"] = int(accounts["default_next_month"].sum())
    return PanelStudy(panel, accounts, features, None, description)
