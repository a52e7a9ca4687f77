"""Formulas and design matrices: what a right-hand side mentions, and the matrix it builds.

Every model here takes its covariates as a patsy right-hand side (``"fico + C(grade)"``);
:func:`formula_variables` says which columns one mentions (patsy parses the formula, Python's
``ast`` each factor's code, so string literals such as ``Treatment('refinancing')`` are never
mistaken for columns), :func:`term_names` gives patsy's spelling of its terms, and
:func:`rhs_design` builds the covariate matrix of the models without an intercept (Cox,
Fine–Gray).

Examples
--------
>>> sorted(formula_variables("C(purpose_group, Treatment('refinancing')) + I(emp_years.fillna(0))"))
['emp_years', 'purpose_group']
>>> term_names("C(term) + fico:dti")
['C(term)', 'fico:dti']
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy

from overdue.models.checks import as_column_list, numeric_column

#: Names a formula may use that are not columns: patsy's functions, Python's, and numpy.
_NOT_COLUMNS = frozenset(dir(patsy.builtins)) | frozenset(dir(builtins)) | {"np"}


def code_names(code: str) -> set[str]:
    """Every identifier a Python expression (a patsy factor's code) refers to.

    Examples
    --------
    >>> sorted(code_names("np.log(income) + x"))
    ['income', 'np', 'x']
    """
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def formula_variables(formula: str) -> set[str]:
    """The columns a formula or right-hand side mentions, on either side of ``~``.

    Raises
    ------
    ValueError
        When patsy cannot parse the formula.
    """
    try:
        description = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as error:
        raise ValueError(f"formula {formula!r} does not parse: {error}") from None
    names: set[str] = set()
    for term in description.lhs_termlist + description.rhs_termlist:
        for factor in term.factors:
            try:
                ast.parse(factor.code.strip(), mode="eval")
            except SyntaxError as error:
                raise ValueError(
                    f"formula {formula!r} does not parse: {error.msg} in {factor.code!r}"
                ) from None
            names |= code_names(factor.code)
    return names - _NOT_COLUMNS


def term_names(rhs: str) -> list[str]:
    """patsy's spelling of each term of a right-hand side (its coefficient-name stem)."""
    return [
        term.name()
        for term in patsy.ModelDesc.from_formula(f"y ~ {rhs}").rhs_termlist
        if term.factors
    ]


def check_rhs(rhs: str, model: str) -> str:
    """``rhs`` stripped, after checking it is a right-hand side (nothing left of a ``~``)."""
    if not isinstance(rhs, str) or ("~" in rhs and rhs.split("~", 1)[0].strip()):
        raise ValueError(
            f"{model} takes the covariates as a right-hand side such as "
            f"'fico + C(purpose_group)' (the outcome is a keyword), got {rhs!r}"
        )
    return rhs.strip().lstrip("~").strip()


def missing_values_detail(df: pd.DataFrame, formula: str) -> str:
    """``" (missing values: {'dti': 3})"`` for the formula's columns that have gaps, else ``""``."""
    try:
        mentioned = formula_variables(formula)
    except ValueError:
        return ""
    gaps = {
        name: int(df[name].isna().sum())
        for name in sorted(mentioned)
        if name in df.columns and df[name].isna().any()
    }
    return f" (missing values: {gaps})" if gaps else ""


@dataclass(frozen=True)
class RhsDesign:
    """A covariate matrix without intercept and what its columns are.

    Attributes
    ----------
    matrix : numpy.ndarray
        (n, p) float covariates, row-major.
    names : list of str
        Coefficient names.
    term_columns : dict of str to list of str
        Formula term -> its coefficients.
    formula : str
        The right-hand side (columns joined by ``+`` when a list was given).
    """

    matrix: np.ndarray
    names: list[str]
    term_columns: dict[str, list[str]]
    formula: str


def rhs_design(df: pd.DataFrame, rhs_or_columns: str | Sequence[str], model: str) -> RhsDesign:
    """The covariates of a model without intercept, from a right-hand side or a column list.

    Factors get treatment coding against their first level, as in R (patsy builds the design
    with an intercept, which is then dropped). Missing values raise. A list of numeric columns
    skips patsy, which matters for a million loans.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "g": ["a", "b", "a"]})
    >>> design = rhs_design(frame, "x + C(g)", "Cox")
    >>> design.names, design.term_columns["C(g)"]
    (['C(g)[T.b]', 'x'], ['C(g)[T.b]'])
    """
    if isinstance(rhs_or_columns, str):
        formula = check_rhs(rhs_or_columns, model)
        try:
            design = patsy.dmatrix(formula, df, NA_action="raise", return_type="dataframe")
        except patsy.PatsyError as error:
            raise ValueError(
                f"cannot build the design of {formula!r}"
                f"{missing_values_detail(df, formula)}: {error}"
            ) from None
        term_columns = {
            term: list(design.columns[piece])
            for term, piece in design.design_info.term_name_slices.items()
            if term != "Intercept"
        }
        design = design.drop(columns="Intercept", errors="ignore")
        if design.shape[1] == 0:
            raise ValueError(f"the specification {formula!r} has no covariates")
        values = np.ascontiguousarray(design.to_numpy(dtype=float))
        names = list(design.columns)
    else:
        columns = as_column_list(rhs_or_columns)
        if not columns or not all(isinstance(column, str) for column in columns):
            raise ValueError(
                "no covariates given: pass a right-hand side or a non-empty list of column names"
            )
        column_values = [numeric_column(df, column, "covariate") for column in columns]
        values = np.empty((len(df), len(columns)))
        # Filled a slab of rows at a time, so that each slab stays in cache while every column
        # is written into it (column by column over all rows would stream the matrix p times).
        slab_rows = 32_768
        for lo in range(0, len(df), slab_rows):
            for k, one_column in enumerate(column_values):
                values[lo : lo + slab_rows, k] = one_column[lo : lo + slab_rows]
        names, formula = columns, " + ".join(columns)
        term_columns = {column: [column] for column in columns}
    bad = ~np.isfinite(values).all(axis=0)
    if bad.any():
        raise ValueError(
            f"covariate(s) {[names[k] for k in np.flatnonzero(bad)]} have infinite values"
        )
    return RhsDesign(values, names, term_columns, formula)
