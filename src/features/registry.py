"""The feature registry: every per-loan feature is a small function declared once, with its family,
unit and source columns; its docstring's first line is its definition.

The feature dictionary, the features table and the model specifications all read this one
registry, so no definition is written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

FAMILIES = ("outcome", "credit", "macro", "purpose", "underwriting", "identity")


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
    """

    macro: pd.DataFrame | None = None
    macro_source: str = "macro panel"
    fico_grade_cutoffs: list[float] | None = None
    params: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Feature:
    """One registered feature."""

    name: str
    family: str
    unit: str
    sources: tuple[str, ...]
    compute: Callable[[pd.DataFrame, FeatureContext], pd.Series]

    @property
    def definition(self) -> str:
        """The first paragraph of the function's docstring."""
        doc = (self.compute.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(doc.split())


REGISTRY: dict[str, Feature] = {}


def feature(family: str, unit: str, sources: list[str] | tuple[str, ...]):
    """Register ``fn(loans, context) -> Series`` as the feature named after the function.

    Examples
    --------
    >>> @feature("credit", "points", ["fico_range_low"])
    ... def example_low_fico(loans, context):
    ...     '''Lower end of the FICO range.'''
    ...     return loans["fico_range_low"]
    >>> REGISTRY.pop("example_low_fico").definition
    'Lower end of the FICO range.'
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown feature family {family!r}; one of {FAMILIES}")

    def register(fn):
        if fn.__name__ in REGISTRY:
            raise ValueError(f"feature {fn.__name__!r} is registered twice")
        REGISTRY[fn.__name__] = Feature(fn.__name__, family, unit, tuple(sources), fn)
        return fn

    return register


def feature_dictionary() -> pd.DataFrame:
    """The feature dictionary: name, family, definition, unit and source columns of every feature.

    Examples
    --------
    >>> import overdue.features  # registers the features
    >>> feature_dictionary().loc["fico", "family"]
    'credit'
    """
    import overdue.features  # noqa: F401  (importing the package registers every family)

    rows = [
        {
            "name": f.name,
            "family": f.family,
            "definition": f.definition,
            "unit": f.unit,
            "source_columns": ", ".join(f.sources),
        }
        for f in REGISTRY.values()
    ]
    return pd.DataFrame(rows).set_index("name")


def names_in(family: str) -> list[str]:
    """Names of the registered features of one family, in registration order."""
    return [f.name for f in REGISTRY.values() if f.family == family]
