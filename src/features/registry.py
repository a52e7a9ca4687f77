"""The feature registry: every per-loan feature is a small function declared once, with its family,
unit, source columns, readable label and the unit its effect is reported per; its docstring's
first line is its definition.

The feature dictionary, the features table, the model specifications and the labels of every
table and figure (:mod:`overdue.models.labels`) all read this one registry, so no definition is
written twice. Reported units are chosen as a credit-risk researcher reads effects (FICO per 50
points, income per doubling, utilisation per 10 percentage points …); each choice is stated
beside its feature.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

FAMILIES = ("outcome", "credit", "macro", "purpose", "underwriting", "identity", "control")
#: The tables features are computed on: ``loans`` (the canonical loan table, one row per loan)
#: and ``accounts`` (the account-months of a delinquency panel with their account's attributes,
#: :mod:`overdue.features.accounts`). A feature runs on its own table only.
TABLES = ("loans", "accounts")
#: How each family is headed in tables ("panel": the loan-month panel's own columns).
FAMILY_LABELS = {
    "control": "Controls",
    "credit": "Credit risk",
    "purpose": "Loan purpose",
    "macro": "Economic environment",
    "underwriting": "Platform underwriting",
    "panel": "Loan age",
    "outcome": "Outcome",
    "identity": "Identity",
}
#: What marks formula syntax: a label never contains one of these.
FORMULA_MARKS = ("C(", "Treatment(", "I(", "[T.")


@dataclass
class FeatureContext:
    """What feature functions may need beyond the loan rows themselves.

    Attributes
    ----------
    macro : pandas.DataFrame
        The macro panel (``addr_state, month, state_unemp, national_unemp, …``).
    macro_source : str
        Where the macro panel came from, named in errors (e.g. ``data/raw/fred``).
    fico_grade_cutoffs : list of float
        FICO thresholds that map a FICO score to the grade FICO alone would suggest (see
        :func:`overdue.features.underwriting.fico_grade_cutoffs`); computed once over all loans
        so that partitions of a large table agree.
    params : dict
        Outcome-definition parameters (snapshot month, extra default statuses, charge-off lag).
    shared : dict
        Intermediate results several features of one loan table reuse (the outcome
        classification), keyed by the table's ``id()``; :func:`compute_features` empties it.
    present : frozenset of str or None
        The loan columns the source file gives (any value in any row, judged over the whole
        table so partitions agree); a feature whose source columns are not all present is left
        empty rather than computed (None: all are present).
    """

    macro: pd.DataFrame | None = None
    macro_source: str = "macro panel"
    fico_grade_cutoffs: list[float] | None = None
    params: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict, repr=False)
    present: frozenset[str] | None = None

    def supports(self, feature: Feature) -> bool:
        """Whether every loan column ``feature`` is computed from is present.

        Examples
        --------
        >>> unemp = Feature(name="u", family="macro", unit="%", label="Unemployment", compute=None,
        ...                 sources=("addr_state", "issue_d", "fred/state/XXUR"))
        >>> context = FeatureContext(present=frozenset({"issue_d", "loan_status"}))
        >>> context.supports(unemp), FeatureContext().supports(unemp)
        (False, True)
        """
        return self.present is None or set(feature.columns) <= self.present


def readable_level(level) -> str:
    """A factor level as text: ``2009`` not ``2009.0``, ``debt consolidation`` not
    ``debt_consolidation``.

    Examples
    --------
    >>> readable_level(2009.0), readable_level("small_business")
    ('2009', 'small business')
    """
    if isinstance(level, float) and level.is_integer():
        level = int(level)
    return str(level).replace("_", " ")


@dataclass(frozen=True, kw_only=True)
class Variable:
    """How a model variable reads in tables and figures: its label and the unit its effect is
    reported per.

    Attributes
    ----------
    name : str
        Column name.
    family : str
        One of :data:`FAMILIES`, or ``"panel"`` for the loan-month panel's own columns.
    unit : str
        What the column is measured in (``"points"``, ``"fraction"``, ``"category"`` …).
    label : str
        Readable name, without a unit: ``"FICO score"``.
    per : str or None
        What an effect is reported per. A number's: ``"per 50 points"``, with ``scale`` the
        change of the column that phrase stands for. A 0/1 variable's: the contrast its
        coefficient measures, ``"vs not verified"``. None for a category, whose levels are
        named instead (``levels``).
    scale : float
        Change in the column an effect is reported per: 50 for FICO "per 50 points", 0.1 for a
        fraction "per 10 percentage points", ln 2 for a log column "per doubling". A coefficient
        per unit of the column times ``scale`` is the effect per ``per``, exactly, since the
        model is linear in the column.
    levels : mapping or str or None
        Readable names of a category's levels (``{"RENT": "renting"}``) or a format for them
        (``"{} months"``); a level not named reads as itself, underscores as spaces.

    Examples
    --------
    >>> v = Variable(name="term", family="purpose", unit="months", label="Term",
    ...              per="per month", levels="{} months")
    >>> v.effect_label, v.level_name(60)
    ('Term, per month', '60 months')
    """

    name: str
    family: str
    unit: str
    label: str
    per: str | None = None
    scale: float = 1.0
    levels: Mapping[str, str] | str | None = None

    def __post_init__(self):
        if not self.label or any(mark in self.label for mark in FORMULA_MARKS):
            raise ValueError(f"{self.name}: label {self.label!r} must be readable text")
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"{self.name}: scale must be a positive number, got {self.scale!r}")

    @property
    def effect_label(self) -> str:
        """The label with the unit of its effect: ``"FICO score, per 50 points"``,
        ``"Income verified (vs not verified)"``; a category's label alone."""
        if self.per is None:
            return self.label
        if self.per.startswith("per "):
            return f"{self.label}, {self.per}"
        return f"{self.label} ({self.per})"

    def level_name(self, level) -> str:
        """A level's readable name (see ``levels``)."""
        if isinstance(self.levels, str):
            return self.levels.format(readable_level(level))
        if isinstance(self.levels, Mapping):
            for key in (level, str(level), readable_level(level)):
                if key in self.levels:
                    return self.levels[key]
        return readable_level(level)


@dataclass(frozen=True, kw_only=True)
class Feature(Variable):
    """One registered feature: a :class:`Variable` with its source columns and the function that
    computes it."""

    sources: tuple[str, ...]
    compute: Callable[[pd.DataFrame, FeatureContext], pd.Series]
    table: str = "loans"
    needs: tuple[str, ...] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the table the feature cannot be computed without: ``needs`` when it
        was declared (a feature that handles some missing sources itself), else its sources
        (macro series such as ``fred/…`` left out)."""
        if self.needs is not None:
            return self.needs
        return tuple(source for source in self.sources if "/" not in source)

    @property
    def definition(self) -> str:
        """The first paragraph of the function's docstring."""
        doc = (self.compute.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(doc.split())


REGISTRY: dict[str, Feature] = {}
#: Columns of the loan-month panel that are not per-loan features, declared beside the panel's
#: construction (:mod:`overdue.features.outcomes`).
PANEL_VARIABLES: dict[str, Variable] = {}


def feature(
    family: str,
    unit: str,
    sources: list[str] | tuple[str, ...],
    *,
    label: str,
    per: str | None = None,
    scale: float = 1.0,
    levels: Mapping[str, str] | str | None = None,
    table: str = "loans",
    needs: list[str] | tuple[str, ...] | None = None,
):
    """Register ``fn(loans, context) -> Series`` as the feature named after the function.

    ``label``, ``per``, ``scale`` and ``levels`` say how it reads (see :class:`Variable`);
    ``table`` which table it is computed on (:data:`TABLES`: the loan table by default, or the
    ``accounts`` of a delinquency panel), so a feature never runs on rows it was not written for.
    A feature is left empty on a file that lacks one of its ``sources`` (or of ``needs``, the
    fewer columns a feature that handles the others' absence itself cannot do without).

    Examples
    --------
    >>> @feature("credit", "points", ["fico_range_low"], label="Low FICO",
    ...          per="per 50 points", scale=50)
    ... def example_low_fico(loans, context):
    ...     '''Lower end of the FICO range.'''
    ...     return loans["fico_range_low"]
    >>> registered = REGISTRY.pop("example_low_fico")
    >>> registered.definition, registered.effect_label
    ('Lower end of the FICO range.', 'Low FICO, per 50 points')
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown feature family {family!r}; one of {FAMILIES}")
    if table not in TABLES:
        raise ValueError(f"unknown feature table {table!r}; one of {TABLES}")

    def register(fn):
        if fn.__name__ in REGISTRY:
            raise ValueError(f"feature {fn.__name__!r} is registered twice")
        REGISTRY[fn.__name__] = Feature(
            name=fn.__name__,
            family=family,
            unit=unit,
            label=label,
            per=per,
            scale=float(scale),
            levels=levels,
            sources=tuple(sources),
            compute=fn,
            table=table,
            needs=None if needs is None else tuple(needs),
        )
        return fn

    return register


def panel_variable(
    name: str,
    unit: str,
    *,
    label: str,
    family: str = "panel",
    per: str | None = None,
    scale: float = 1.0,
    levels: Mapping[str, str] | str | None = None,
) -> Variable:
    """Declare how a column of the loan-month panel that is not a per-loan feature reads
    (``family``: the family of causes it belongs to, else ``"panel"``).

    Examples
    --------
    >>> panel_variable("example_tv", "percent", label="Example", per="per point").effect_label
    'Example, per point'
    >>> _ = PANEL_VARIABLES.pop("example_tv")
    """
    if name in PANEL_VARIABLES or name in REGISTRY:
        raise ValueError(f"variable {name!r} is declared twice")
    if family not in FAMILIES and family != "panel":
        raise ValueError(f"unknown family {family!r} for panel column {name!r}")
    PANEL_VARIABLES[name] = Variable(
        name=name,
        family=family,
        unit=unit,
        label=label,
        per=per,
        scale=float(scale),
        levels=levels,
    )
    return PANEL_VARIABLES[name]


def describe(name: str) -> Variable | None:
    """The registered feature or panel column of that name (None when there is none).

    Examples
    --------
    >>> describe("revol_util").scale, describe("state_unemp_tv").per, describe("nowhere")
    (0.1, 'per percentage point', None)
    """
    import overdue.features  # noqa: F401  (importing the package registers every family)

    return REGISTRY.get(name) or PANEL_VARIABLES.get(name)


def features_of(table: str = "loans") -> list[Feature]:
    """The registered features of one table (:data:`TABLES`), in registration order.

    Examples
    --------
    >>> [f.name for f in features_of("accounts")][:2]
    ['log_credit_line', 'utilisation']
    """
    import overdue.features  # noqa: F401  (importing the package registers every family)

    if table not in TABLES:
        raise ValueError(f"unknown feature table {table!r}; one of {TABLES}")
    return [f for f in REGISTRY.values() if f.table == table]


def feature_dictionary(table: str = "loans") -> pd.DataFrame:
    """The feature dictionary of one table (the loans by default): for every feature its
    family, label, definition, unit, what its effect is reported per and the scale that stands
    for, and its source columns.

    Examples
    --------
    >>> import overdue.features  # registers the features
    >>> feature_dictionary().loc["fico", ["family", "label", "reported_per", "scale"]].to_dict()
    {'family': 'credit', 'label': 'FICO score', 'reported_per': 'per 50 points', 'scale': 50.0}
    >>> feature_dictionary("accounts").loc["utilisation", "reported_per"]
    'per 10 percentage points'
    """
    import overdue.features  # noqa: F401  (importing the package registers every family)

    rows = [
        {
            "name": f.name,
            "family": f.family,
            "label": f.label,
            "definition": f.definition,
            "unit": f.unit,
            "reported_per": f.per if f.per is not None else "by level",
            "scale": f.scale,
            "source_columns": ", ".join(f.sources),
        }
        for f in features_of(table)
    ]
    return pd.DataFrame(rows).set_index("name")


def names_in(family: str, table: str = "loans") -> list[str]:
    """Names of the registered features of one family (of one table), in registration order."""
    return [f.name for f in REGISTRY.values() if f.family == family and f.table == table]
