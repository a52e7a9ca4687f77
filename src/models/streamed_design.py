"""The design matrix of a streamed GLM: fixed once, then filled partition by partition.

:func:`overdue.models.irls.fit_glm_irls` streams over partitions on every iteration, so it
needs the design to be the same for every partition and cheap to fill. :func:`build_design`
fixes it once with :func:`patsy.incr_dbuilder` (declared or scanned categorical levels, see
:mod:`overdue.models.irls`); :class:`StreamedDesign` then evaluates patsy's factors once per
partition and fills the columns itself, as patsy would (the same floats), without patsy's
per-block pandas checks, which cost more than the model.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy

from overdue.data.partitions import Partitions
from overdue.models.design import code_names

__all__ = ["CategoricalFactor", "StreamedDesign", "build_design", "projection"]


@dataclass
class StreamedDesign:
    """The fixed design: response column, patsy builder and the columns a partition needs."""

    response: str
    design_info: patsy.DesignInfo
    columns: list[str]
    categories: dict[str, list]
    terms: list[str] = field(init=False)
    # Per subterm: first column, (factor, contrast matrix or None) pairs, column combinations.
    _plan: list = field(init=False, default_factory=list)

    def __post_init__(self):
        self.terms = list(self.design_info.column_names)

    def prepare(self, part: pd.DataFrame, index: int, extra: Sequence[str] = ()) -> pd.DataFrame:
        """The needed columns, checked, with declared categories cast; no data are copied."""
        needed = list(dict.fromkeys([*self.columns, *extra]))
        missing = [c for c in needed if c not in part.columns]
        if missing:
            raise ValueError(f"partition {index} has no column(s) {missing}")
        columns = {column: part[column] for column in needed}
        for column, values in columns.items():
            nulls = int(values.isna().sum())
            if nulls:
                raise ValueError(
                    f"column {column!r} has {nulls} missing values in partition "
                    f"{index}; drop or impute them before fitting"
                )
            if values.dtype.kind == "f":
                infinite = int(np.isinf(values.to_numpy(dtype=float)).sum())
                if infinite:
                    raise ValueError(
                        f"column {column!r} has {infinite} infinite values in partition {index}"
                    )
            levels = self.categories.get(column)
            if levels is not None:
                cast = pd.Categorical(values, categories=levels)
                unknown = pd.isna(cast)
                if unknown.any():
                    bad = sorted(pd.unique(values[unknown]).tolist(), key=str)[:5]
                    raise ValueError(
                        f"column {column!r} has values {bad} outside the declared "
                        f"levels {list(levels)} (partition {index})"
                    )
                columns[column] = cast
            elif isinstance(values.dtype, pd.CategoricalDtype):
                # A partition's own categorical dictionary may hold only its values (parquet,
                # hive keys), so undeclared categoricals are handed to patsy as plain values.
                columns[column] = np.asarray(values, dtype=object)
        return pd.DataFrame(columns, index=part.index, copy=False)

    def response_values(self, part: pd.DataFrame, index: int) -> np.ndarray:
        """The 0/1 response of one (prepared) partition as floats."""
        y = pd.to_numeric(part[self.response], errors="coerce").to_numpy(dtype=float)
        valid = (y == 0.0) | (y == 1.0)
        if not valid.all():
            bad = pd.unique(y[~valid])[:5].tolist()
            raise ValueError(
                f"response column {self.response!r} must be 0/1; partition {index} holds {bad}"
            )
        return y

    def factor_values(self, part: pd.DataFrame, index: int) -> dict:
        """Each factor of the design evaluated once on a (prepared) partition.

        patsy's ``build_design_matrices`` spends most of its time checking pandas objects for
        missing values factor by factor and block by block; here every factor is evaluated
        once per partition with patsy's own ``eval`` and reduced to a float matrix (numerical)
        or level codes (categorical), checked with numpy. :meth:`block` then fills the design
        columns exactly as patsy does.
        """
        values = {}
        for factor, info in self.design_info.factor_infos.items():
            try:
                result = factor.eval(info.state, part)
                if info.type == "categorical":
                    values[factor] = self._codes(result, info)
                else:
                    values[factor] = self._numbers(result, info)
            except patsy.PatsyError as error:
                raise ValueError(
                    f"cannot build the design matrix for partition {index}: {error}"
                ) from error
        return values

    @staticmethod
    def _codes(result, info) -> np.ndarray:
        dtype = getattr(result, "dtype", None)
        if isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == list(
            info.categories
        ):
            codes = np.asarray(result.cat.codes if isinstance(result, pd.Series) else result.codes)
        else:
            codes = np.asarray(
                patsy.categorical.categorical_to_int(
                    result, info.categories, patsy.NAAction(), origin=info.factor
                )
            )
        if (codes < 0).any():
            raise patsy.PatsyError(
                "can't build a design matrix containing missing values", info.factor
            )
        return codes

    @staticmethod
    def _numbers(result, info) -> np.ndarray:
        values = np.asarray(result)
        if values.dtype.kind not in "iuf":
            raise patsy.PatsyError(
                f"when evaluating numeric factor {info.factor.name()}, I "
                f"got non-numeric data of type '{values.dtype}'",
                info.factor,
            )
        values = values.astype(float, copy=False)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != info.num_columns:
            raise patsy.PatsyError(
                f"when evaluating factor {info.factor.name()}, I got "
                f"shape {values.shape}, expecting {info.num_columns} "
                "columns",
                info.factor,
            )
        if np.isnan(values).any():
            raise patsy.PatsyError("factor contains missing values", info.factor)
        return values

    def block(self, values: dict, start: int, stop: int) -> np.ndarray:
        """Design matrix rows ``start:stop`` from :meth:`factor_values` (Fortran-ordered), column
        for column as patsy's ``_build_subterm`` fills them (same products in the same order, so
        the same floats)."""
        # Fortran order: every column is filled, scaled and summed as one contiguous run.
        x = np.empty((stop - start, len(self.terms)), order="F")
        for column, factors, combinations in self._plan:
            if len(factors) == 1:
                factor, contrast = factors[0]
                columns = slice(column, column + len(combinations))
                if contrast is None:
                    x[:, columns] = values[factor][start:stop]
                else:
                    x.T[columns] = np.take(contrast.T, values[factor][start:stop], axis=1)
                continue
            for offset, combination in enumerate(combinations):
                out = x[:, column + offset]
                out[...] = 1.0
                for (factor, contrast), which in zip(factors, combination):
                    if contrast is None:
                        out *= values[factor][start:stop, which]
                    else:
                        out *= contrast[values[factor][start:stop], which]
        return x

    def plan(self) -> None:
        """Precompute, per subterm, its first column, factors, contrasts and column products."""
        infos = self.design_info.factor_infos
        self._plan = []
        column = 0
        for subterms in self.design_info.term_codings.values():
            for subterm in subterms:
                factors, widths = [], []
                for factor in subterm.factors:
                    contrast = subterm.contrast_matrices.get(factor)
                    matrix = None if contrast is None else np.asarray(contrast.matrix, float)
                    factors.append((factor, matrix))
                    widths.append(infos[factor].num_columns if matrix is None else matrix.shape[1])
                # patsy's order (as R's): the left-most factor's column varies fastest.
                combinations = [
                    combo[::-1]
                    for combo in itertools.product(*[range(w) for w in reversed(widths)])
                ]
                self._plan.append((column, factors, combinations))
                column += subterm.num_columns
        if column != len(self.terms):
            raise AssertionError("design plan does not cover the design columns")


def build_design(
    formula: str, parts: Partitions, categories: Mapping[str, Sequence] | None, eval_env
) -> StreamedDesign:
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as error:
        raise ValueError(f"cannot parse formula {formula!r}: {error}") from error
    lhs = [factor.code for term in desc.lhs_termlist for factor in term.factors]
    if len(lhs) != 1 or not lhs[0].isidentifier():
        raise ValueError(f"the left-hand side of {formula!r} must be one 0/1 column name")
    response = lhs[0]
    rhs_names = set()
    for term in desc.rhs_termlist:
        for factor in term.factors:
            rhs_names |= code_names(factor.code)
    categories = {column: list(levels) for column, levels in (categories or {}).items()}
    for column, levels in categories.items():
        if len(levels) == 0 or len(set(levels)) != len(levels):
            raise ValueError(
                f"declared levels of column {column!r} must be non-empty and "
                f"distinct, got {levels}"
            )

    if parts.columns is not None:
        available = set(parts.columns)
    else:
        # Without a schema, the first partition tells which names are columns.
        first = next(parts.iter(), None)
        if first is None:
            raise ValueError(f"{parts.description} holds no partitions")
        available = set(first.columns)
        del first
    if response not in available:
        raise ValueError(f"response column {response!r} is not in the data")
    for column in categories:
        if column not in available:
            raise ValueError(f"declared categorical column {column!r} is not in the data")
    columns = [response, *sorted(rhs_names & available)]
    design = StreamedDesign(response, patsy.DesignInfo([]), columns, categories)
    rhs_desc = patsy.ModelDesc([], desc.rhs_termlist)

    def prepared_partitions():
        # patsy's incremental builder reads further partitions only when an undeclared
        # categorical or a stateful transform needs them.
        for index, part in enumerate(
            parts.iter(projection(parts, design), categorical=list(design.categories))
        ):
            prepared = design.prepare(part, index)
            del part
            yield prepared

    try:
        design.design_info = patsy.incr_dbuilder(
            rhs_desc, prepared_partitions, eval_env, NA_action="raise"
        )
    except patsy.PatsyError as error:
        raise ValueError(f"cannot build a design from {formula!r}: {error}") from error
    design.terms = list(design.design_info.column_names)
    design.plan()
    design.categories.update(_scanned_categories(design))
    return design


def _scanned_categories(design: StreamedDesign) -> dict[str, list]:
    """Levels patsy collected for undeclared categorical columns, to declare them from now on.

    Later passes then cast the column to a pandas Categorical by its codes instead of patsy
    looking up every row in Python. Only a column that enters the formula solely as ``x`` or
    ``C(x, ...)`` qualifies; a column also used numerically must stay as it is.
    """
    factors = design.design_info.factor_infos
    uses: dict[str, int] = {}
    for factor in factors:
        for name in code_names(factor.name()):
            uses[name] = uses.get(name, 0) + 1
    scanned = {}
    for factor, info in factors.items():
        match = re.fullmatch(r"C\(\s*(\w+)\s*(?:,.*)?\)|(\w+)", factor.name().strip(), re.DOTALL)
        column = match and (match.group(1) or match.group(2))
        if (
            info.type == "categorical"
            and column in design.columns
            and column not in design.categories
            and uses.get(column) == 1
        ):
            scanned[column] = list(info.categories)
    return scanned


class CategoricalFactor:
    """patsy's ``C()``, minus its row-by-row Python loop for pandas categoricals.

    patsy turns ``C(x)`` into level codes one row at a time in Python - seconds per million
    rows, on every pass - even when ``x`` is a pandas Categorical whose codes it could use, as
    it does for a bare categorical. So a categorical (declared and scanned columns are cast to
    one) is passed on bare, and ``levels=`` makes one. A contrast, ``C(x, Treatment("b"))``,
    must reach patsy while it builds the design; once ``design_fixed``, the contrast matrices
    live in the design and the bare categorical is passed on too (patsy checks its levels).
    """

    def __init__(self):
        self.design_fixed = False

    def __call__(self, data, contrast=None, levels=None):
        is_categorical = isinstance(getattr(data, "dtype", None), pd.CategoricalDtype)
        if contrast is not None:
            if self.design_fixed and levels is None and is_categorical:
                return data
            return patsy.builtins.C(data, contrast, levels)
        if levels is not None:
            values = np.asarray(data)
            cast = pd.Categorical(values, categories=list(levels))
            unknown = pd.isna(cast) & ~pd.isna(values)
            if unknown.any():
                raise ValueError(
                    f"values {pd.unique(values[unknown])[:5].tolist()} are not "
                    f"among the levels {list(levels)} given to C()"
                )
            return cast
        if is_categorical:
            return data
        return patsy.builtins.C(data)


def projection(
    parts: Partitions, design: StreamedDesign, extra: Sequence[str] = ()
) -> list[str] | None:
    """Columns to read, where the source can project (its schema is known)."""
    if parts.columns is None:
        return None
    return list(dict.fromkeys([*design.columns, *extra]))
