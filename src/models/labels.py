"""Readable labels and reported units for fitted coefficients, from the feature registry.

A fit names its coefficients as patsy spells them: ``fico``,
``C(purpose_group, Treatment('refinancing'))[T.business]``, ``I(emp_years.fillna(0))``,
``I(home_ownership == 'RENT')[T.True]``, ``fico:dti``, and the discrete-time hazard's
``baseline[13-24]``. :func:`label_terms` parses those names - the factor code with Python's
:mod:`ast`, its level from patsy's ``[T.level]`` suffix, interactions split at their top-level
colons - and reads each column's label, reported unit and scale from
:func:`overdue.features.registry.describe`. Nothing here lists coefficient names: a new feature
or specification gets its labels from its registry entry, and a column the registry does not know
reads as its name in words ("some_col" → "Some col, per unit").

:func:`labelled_summary` then rescales a fit's tidy summary exactly to the reported units:
estimate, standard error and interval times the scale (``fico``'s per-point coefficient times 50
is its effect per 50 points), the ratios recomputed as exp of the scaled values, ``z`` and ``p``
unchanged. The coefficient's patsy name stays in the ``term_formula`` column, for machines.

Examples
--------
>>> names = ["fico", "C(purpose_group, Treatment('refinancing'))[T.business]",
...          "I(emp_years.fillna(0))", "I(home_ownership == 'RENT')[T.True]",
...          "C(issue_year)[T.2009]", "baseline[13-24]", "state_unemp_tv", "log_income"]
>>> for name, label in label_terms(names, data={"issue_year": [2007, 2008, 2009]}).items():
...     print(f"{label.scale:<8.4g}{label.label}")
50      FICO score, per 50 points
1       Purpose: business (vs refinancing)
1       Employment length, per year
1       Home ownership: renting (vs mortgage, owning or other)
1       Vintage: 2009 (vs 2007)
1       Months on book 13–24 (vs 1–12)
1       State unemployment that month, per percentage point
0.6931  Annual income, per doubling
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from overdue.features.registry import FORMULA_MARKS, Variable, describe, readable_level
from overdue.models.design import formula_variables

__all__ = [
    "TermLabel",
    "label_terms",
    "labelled",
    "labelled_summary",
    "readable",
    "reading_order",
    "relabel",
    "readable_warnings",
    "has_formula_syntax",
]

#: Methods of a column that leave its unit alone (``I(emp_years.fillna(0))`` reads as
#: ``emp_years``).
_UNIT_KEEPING_METHODS = frozenset({"fillna", "clip", "astype", "round"})
#: Prefix of the discrete-time hazard's baseline coefficients (:mod:`overdue.models.hazard`).
_BASELINE = "baseline"
_COMPARISONS = {
    ast.Eq: ("{level}", "other levels"),
    ast.NotEq: ("not {level}", "{level}"),
    ast.Gt: ("above {value}", "{value} or below"),
    ast.GtE: ("{value} or above", "below {value}"),
    ast.Lt: ("below {value}", "{value} or above"),
    ast.LtE: ("{value} or below", "above {value}"),
}
_OPERATORS = {
    ast.Add: "+",
    ast.Sub: "−",
    ast.Mult: "×",
    ast.Div: "/",
    ast.Pow: "^",
    ast.FloorDiv: "//",
    ast.Mod: "mod",
}


@dataclass(frozen=True)
class TermLabel:
    """How one coefficient reads.

    Attributes
    ----------
    term : str
        The coefficient's name in the fit (patsy's spelling).
    label : str
        Readable label with its unit or contrast: ``"FICO score, per 50 points"``.
    scale : float
        What the per-unit coefficient is multiplied by to be reported in that unit.
    per : str or None
        The reported unit (``"per 50 points"``) or contrast (``"business vs refinancing"``).
    variables : tuple of str
        The columns the coefficient reads (``month_on_book`` for a baseline term).
    """

    term: str
    label: str
    scale: float = 1.0
    per: str | None = None
    variables: tuple[str, ...] = ()

    @property
    def family(self) -> str | None:
        """The registry family of the first column it reads (None for the constant or a
        column the registry does not know)."""
        for name in self.variables:
            found = describe(name)
            if found is not None:
                return found.family
        return None


def has_formula_syntax(text: str) -> bool:
    """Whether ``text`` shows formula syntax (``C(``, ``Treatment(``, ``I(``, ``[T.``).

    Examples
    --------
    >>> has_formula_syntax("C(term)[T.60]"), has_formula_syntax("Term: 60 months (vs 36 months)")
    (True, False)
    """
    return any(mark in str(text) for mark in FORMULA_MARKS)


# --------------------------------------------------------------------------- name parsing
def _split_top_level(text: str, separator: str = ":") -> list[str]:
    """``text`` split at ``separator`` outside brackets and string literals."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(text):
        if quote:
            if char == quote and text[i - 1] != "\\":
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _code_and_level(piece: str) -> tuple[str, str | None]:
    """``"C(x)[T.b]"`` → ``("C(x)", "T.b")``; ``"x"`` → ``("x", None)``."""
    if not piece.endswith("]"):
        return piece, None
    depth, quote = 0, None
    for i in range(len(piece) - 1, -1, -1):
        char = piece[i]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "]":
            depth += 1
        elif char == "[":
            depth -= 1
            if depth == 0:
                return piece[:i], piece[i + 1 : -1]
    return piece, None


def _parse(code: str) -> ast.expr | None:
    try:
        return ast.parse(code.strip(), mode="eval").body
    except SyntaxError:
        return None


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None


def _is_call(node, name: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == name
        and bool(node.args)
    )


def _column_of(node) -> str | None:
    """The column an expression reads unit-for-unit: a name, or a name with unit-keeping
    method calls (``emp_years.fillna(0)``)."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _UNIT_KEEPING_METHODS
    ):
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None


def _variable(name: str) -> Variable:
    """The registry's entry for ``name``, or a readable stand-in for a column it does not know."""
    found = describe(name)
    if found is not None:
        return found
    words = name.replace("_", " ").strip() or name
    return Variable(
        name=name,
        family="unknown",
        unit="unknown",
        label=words[0].upper() + words[1:],
        per="per unit",
    )


# --------------------------------------------------------------------------- factor levels
def _data_levels(data, column: str) -> list | None:
    """The levels patsy gives ``column`` of ``data``: a categorical's categories, else the sorted
    distinct values."""
    if data is None:
        return None
    try:
        values = data[column]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    distinct = pd.unique(pd.Series(values).dropna())
    try:
        return sorted(distinct.tolist())
    except TypeError:
        return sorted(distinct.tolist(), key=str)


def _same_level(a, b) -> bool:
    return a == b or readable_level(a) == readable_level(b)


def _reference(variable: Variable, column: str, explicit, siblings: Sequence, data) -> str:
    """The reference level's readable name: the one given to ``Treatment``, else the first level
    of the data, else the one level of the registry's named levels with no coefficient."""
    if explicit is not None:
        return variable.level_name(explicit)
    levels = _data_levels(data, column)
    if levels:
        return variable.level_name(levels[0])
    if isinstance(variable.levels, Mapping):
        left = [
            level
            for level in variable.levels
            if not any(_same_level(level, sibling) for sibling in siblings)
        ]
        if len(left) == 1:
            return variable.level_name(left[0])
    return "the reference level"


def _factor_call(node: ast.Call) -> tuple[ast.expr, object]:
    """``C(x, Treatment('ref'))`` → (the ``x`` node, ``'ref'``); no reference → None."""
    reference = None
    contrast = node.args[1] if len(node.args) > 1 else None
    for keyword in node.keywords:
        if keyword.arg == "levels":
            levels = _literal(keyword.value)
            if levels:
                reference = list(levels)[0]
        elif keyword.arg == "contrast":
            contrast = keyword.value
    if _is_call(contrast, "Treatment") or (
        isinstance(contrast, ast.Call)
        and isinstance(contrast.func, ast.Name)
        and contrast.func.id == "Treatment"
    ):
        given = contrast.args[0] if contrast.args else None
        for keyword in contrast.keywords:
            if keyword.arg == "reference":
                given = keyword.value
        if given is not None:
            reference = _literal(given)
    return node.args[0], reference


# --------------------------------------------------------------------------- one piece
def _words(node) -> str:
    """An expression in words, columns replaced by their labels."""
    if isinstance(node, ast.Name):
        return _variable(node.id).label
    if isinstance(node, ast.Constant):
        return readable_level(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return f"{_words(node.left)} {_OPERATORS[type(node.op)]} {_words(node.right)}"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"−{_words(node.operand)}"
    if isinstance(node, ast.Call):
        column = _column_of(node)
        if column is not None:
            return _variable(column).label
        function = ast.unparse(node.func).split(".")[-1]
        inner = ", ".join(_words(argument) for argument in node.args)
        if function in {"I", "C"}:
            return _words(node.args[0]) if node.args else inner
        if function in {"log", "log1p"}:
            return f"log of {_lower_first(inner)}"
        return f"{function} of {inner}"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        head, _ = _COMPARISONS.get(type(node.ops[0]), ("{level}", ""))
        value = _literal(node.comparators[0])
        return f"{_words(node.left)} {head.format(level=value, value=value)}"
    if isinstance(node, ast.Attribute):
        return _words(node.value)
    return re.sub(r"[()\[\]]", " ", ast.unparse(node)).strip()


def _lower_first(text: str) -> str:
    """``"Loan amount"`` → ``"loan amount"``, but ``"FICO score"`` stays."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _upper_first(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def _comparison(node: ast.Compare, data) -> TermLabel | None:
    """``home_ownership == 'RENT'`` → "Home ownership: renting (vs mortgage, owning or other)"."""
    column = _column_of(node.left)
    if column is None or len(node.ops) != 1 or type(node.ops[0]) not in _COMPARISONS:
        return None
    value = _literal(node.comparators[0])
    if value is None:
        return None
    variable = _variable(column)
    head, rest = _COMPARISONS[type(node.ops[0])]
    if isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
        level = variable.level_name(value)
        named = list(variable.levels) if isinstance(variable.levels, Mapping) else []
        present = _data_levels(data, column)
        if present is None:
            others = named or None
        else:  # the registry's order, then levels it does not name
            others = [n for n in named if any(_same_level(n, p) for p in present)]
            others += [p for p in present if not any(_same_level(n, p) for n in named)]
        if isinstance(node.ops[0], ast.Eq) and others:
            names = [variable.level_name(o) for o in others if not _same_level(o, value)]
            rest = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        text, contrast = head.format(level=level), rest.format(level=level)
        return TermLabel("", f"{variable.label}: {text} (vs {contrast})", 1.0, f"vs {contrast}")
    shown = readable_level(value)
    text, contrast = head.format(value=shown), rest.format(value=shown)
    return TermLabel("", f"{variable.label} {text} (vs {contrast})", 1.0, f"vs {contrast}")


def _piece_label(code: str, level: str | None, siblings: Sequence, data) -> TermLabel:
    """The label of one factor of a coefficient name: ``code`` with its optional ``[level]``."""
    node = _parse(code)
    treatment = level[2:] if level is not None and level.startswith("T.") else None
    # A factor: C(x, ...)[T.level], or a bare text or boolean column x[T.level].
    if node is not None and (_is_call(node, "C") or isinstance(node, ast.Name)):
        inner, explicit = _factor_call(node) if isinstance(node, ast.Call) else (node, None)
        column = _column_of(inner)
        if level is None and column is not None:
            variable = _variable(column)
            if isinstance(node, ast.Call):  # a factor as a whole (a formula term, not a level)
                return TermLabel("", variable.label, 1.0, None)
            return TermLabel("", variable.effect_label, variable.scale, variable.per)
        if treatment is not None and column is not None:
            variable = _variable(column)
            if treatment in {"True", "False"} and variable.per and not variable.per[:4] == "per ":
                # a 0/1 column patsy read as boolean: its contrast is the registry's
                return TermLabel("", variable.effect_label, 1.0, variable.per)
            reference = _reference(variable, column, explicit, siblings, data)
            name = variable.level_name(_literal_or_text(treatment))
            return TermLabel(
                "", f"{variable.label}: {name} (vs {reference})", 1.0, f"{name} vs {reference}"
            )
    # I(expr): a column kept in its unit, a comparison, or an expression in words.
    if node is not None and _is_call(node, "I"):
        inner = node.args[0]
        column = _column_of(inner)
        if column is not None and level is None:
            variable = _variable(column)
            return TermLabel("", variable.effect_label, variable.scale, variable.per)
        if isinstance(inner, ast.Compare):
            compared = _comparison(inner, data)
            if compared is not None:
                if treatment == "False":
                    return TermLabel("", f"Not: {compared.label}", 1.0, compared.per)
                return compared
        words = _words(inner)
        if treatment in {"True", "False"}:
            return TermLabel("", f"{words} (vs {'not' if treatment == 'True' else 'so'})", 1.0)
        return TermLabel("", f"{words}, per unit", 1.0, "per unit")
    # Anything else (a function of columns, another contrast): in words, per unit of it.
    words = _words(node) if node is not None else re.sub(r"[()\[\]]", " ", code).strip()
    if level is not None:
        shown = level.split(".", 1)[1] if re.match(r"^[A-Z]\.", level) else level
        return TermLabel("", f"{words}: {readable_level(shown)}", 1.0)
    return TermLabel("", f"{words}, per unit", 1.0, "per unit")


def _columns_of_code(code: str) -> list[str]:
    """The columns one factor's code reads, in order of mention."""
    if code == _BASELINE:
        return ["month_on_book"]
    try:
        columns = formula_variables(code)
    except ValueError:
        return []
    node = _parse(code)
    order = [n.id for n in ast.walk(node) if isinstance(n, ast.Name)] if node else []
    return [name for name in dict.fromkeys(order) if name in columns]


def _literal_or_text(text: str):
    """A level as patsy printed it, back to a number where it is one (``2009`` → 2009)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else text


def _baseline_label(level: str, all_levels: Sequence[str]) -> TermLabel:
    """``baseline[13-24]`` → "Months on book 13–24 (vs 1–12)": the reference band is the first,
    which has no coefficient and ends where the earliest one with a coefficient starts."""
    months = _variable("month_on_book").label

    def start(text):
        return int(re.match(r"\d+", text).group()) if re.match(r"\d+", text) else None

    starts = [s for s in (start(one) for one in all_levels) if s is not None]
    first = min(starts) if starts else None
    if first is None or first <= 1:
        reference = "the first months"
    elif first == 2:
        reference = "1"
    else:
        reference = f"1–{first - 1}"
    shown = level.replace("-", "–")
    return TermLabel("", f"{months} {shown} (vs {reference})", 1.0, f"{shown} vs {reference}")


# --------------------------------------------------------------------------- public API
def label_terms(names: Iterable[str], data=None) -> dict[str, TermLabel]:
    """Readable label, reported unit and scale of each coefficient name.

    Parameters
    ----------
    names : iterable of str
        Coefficient names as a fit gives them (its summary's index).
    data : DataFrame or mapping, optional
        The data fitted: names the reference level of a factor whose formula does not
        (``C(issue_year)`` → "vs 2007") and the other levels of a comparison. Without it the
        registry's named levels are used where they settle it, else "the reference level".

    Returns
    -------
    dict of str to TermLabel
        In the order given.

    Examples
    --------
    >>> labels = label_terms(["Intercept", "fico:dti", "C(term)[T.60]", "some_col"])
    >>> [labels[n].label for n in labels]  # doctest: +NORMALIZE_WHITESPACE
    ['Constant', 'FICO score, per 50 points × Debt-to-income, per 10 points',
     'Term: 60 months (vs the reference level)', 'Some col, per unit']
    >>> labels["fico:dti"].scale
    500.0
    """
    names = list(names)
    split = {name: [_code_and_level(piece) for piece in _split_top_level(name)] for name in names}
    # Levels of the same factor code, so a reference can be inferred from what is missing.
    siblings: dict[str, list] = {}
    for pieces in split.values():
        for code, level in pieces:
            if level is not None:
                shown = level[2:] if level.startswith("T.") else level
                siblings.setdefault(code, []).append(_literal_or_text(shown))
    out = {}
    for name in names:
        if name == "Intercept":
            out[name] = TermLabel(name, "Constant", 1.0, None)
            continue
        if name == "GLOBAL":  # the all-terms row of a proportional-hazards check (cox_zph)
            out[name] = TermLabel(name, "All terms (global test)", 1.0, None)
            continue
        parts = []
        for code, level in split[name]:
            if code == _BASELINE and level is not None:
                parts.append(_baseline_label(level, [str(s) for s in siblings[code]]))
            else:
                parts.append(_piece_label(code, level, siblings.get(code, []), data))
        scale = float(np.prod([part.scale for part in parts]))
        per = " × ".join(part.per for part in parts if part.per) or None
        label = _upper_first(" × ".join(part.label for part in parts))
        variables = []
        for code, _ in split[name]:
            for column in _columns_of_code(code):
                if column not in variables:
                    variables.append(column)
        out[name] = TermLabel(name, label, scale, per, tuple(variables))
    return out


#: Order in which rows are read: the families of causes in the nested order, then the
#: baseline (the loan-month panel's own columns), then anything else.
FAMILY_ORDER = ("credit", "purpose", "macro", "underwriting", "panel", None)


def reading_order(
    names: Sequence[str],
    formulas: Sequence[str | None] = (),
    labels: Mapping[str, TermLabel] | None = None,
) -> list[str]:
    """Coefficients in the order a reader expects: by family of causes (credit, purpose,
    macro, underwriting, then the baseline), and within a family as the formulas write their
    terms (patsy puts factors first), the formulas read in turn.

    Examples
    --------
    >>> reading_order(["C(term)[T.60]", "state_unemp", "fico", "dti"], ["fico + dti + C(term)"])
    ['fico', 'dti', 'C(term)[T.60]', 'state_unemp']
    """
    names = list(names)
    labels = labels or label_terms(names)
    written = " + ".join(str(formula or "") for formula in formulas)
    rank = {family: k for k, family in enumerate(FAMILY_ORDER)}

    def position(term: str) -> int:
        code = _code_and_level(_split_top_level(term)[0])[0]
        found = re.search(r"(?<![\w.])" + re.escape(code) + r"(?!\w)", written)
        return found.start() if found else len(written)

    return sorted(
        names, key=lambda t: (rank.get(labels[t].family, len(FAMILY_ORDER) - 1), position(t))
    )


def labelled(
    table: pd.DataFrame,
    scale_columns: Sequence[str] = (),
    data=None,
    labels: Mapping[str, TermLabel] | None = None,
) -> pd.DataFrame:
    """A table indexed by coefficient name, with ``label`` first, the name in ``term_formula``
    (the index) and ``scale_columns`` multiplied by each row's scale.

    Examples
    --------
    >>> ame = pd.DataFrame({"ame": [-0.0004, 0.03]}, index=["fico", "income_verified"])
    >>> labelled(ame, ["ame"])[["label", "ame"]].values.tolist()
    [['FICO score, per 50 points', -0.02], ['Income verified (vs not verified)', 0.03]]
    """
    labels = labels or label_terms(table.index, data)
    scales = np.array([labels[name].scale for name in table.index], dtype=float)
    out = table.copy()
    for column in scale_columns:
        out[column] = out[column].to_numpy(dtype=float) * scales
    out.insert(0, "label", [labels[name].label for name in table.index])
    out.insert(1, "per", [labels[name].per or "" for name in table.index])
    out.insert(2, "scale", scales)
    out.index = pd.Index(list(table.index), name="term_formula")
    return out


def labelled_summary(fit, data=None, drop: Sequence[str] = ()) -> pd.DataFrame:
    """A fit's tidy summary in the reported units, with labels.

    Estimate, standard error and interval are multiplied by each term's scale; the ratio
    columns are exp of the scaled values; ``z`` and ``p`` are unchanged (a rescaling does not
    move a Wald test). Indexed by the coefficient name (``term_formula``); ``attrs`` carry the
    fit's ``ratio_name``, ``alpha`` and ``model`` so a plot or table knows what it shows.

    Parameters
    ----------
    fit : FitResult or pandas.DataFrame
        A fit, or a bare tidy summary (:func:`overdue.models.result.tidy_summary`).
    data : DataFrame, optional
        The data fitted (see :func:`label_terms`).
    drop : sequence of str
        Coefficients left out (e.g. ``["Intercept"]``).

    Examples
    --------
    >>> from overdue.models.result import FitResult, tidy_summary
    >>> fit = FitResult("cox", tidy_summary(["fico"], [-0.01], [0.002]), n=9, events=3,
    ...                 converged=True)
    >>> row = labelled_summary(fit).loc["fico"]
    >>> row["label"], *(round(float(row[c]), 4) for c in ["estimate", "exp_estimate", "z"])
    ('FICO score, per 50 points', -0.5, 0.6065, -5.0)
    """
    summary = getattr(fit, "summary", fit)
    summary = summary.drop(index=[t for t in drop if t in summary.index])
    table = labelled(summary, ["estimate", "se", "ci_lower", "ci_upper"], data)
    # Ratios of a separated fit overflow exp(); inf is the honest ratio there.
    with np.errstate(over="ignore"):
        for column in ["estimate", "ci_lower", "ci_upper"]:
            table[f"exp_{column}"] = np.exp(table[column].to_numpy(dtype=float))
    if hasattr(fit, "summary"):
        table.attrs = {
            "ratio_name": fit.ratio_name,
            "alpha": fit.alpha,
            "model": fit.model,
            "formula": fit.formula,
        }
    else:  # a bare tidy summary: whatever it carried
        table.attrs = dict(summary.attrs)
    return table


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A labelled table as a reader sees it: indexed by label, without the formula column and
    the unit columns (the label says the unit).

    Examples
    --------
    >>> readable(labelled(pd.DataFrame({"x": [1.0]}, index=["fico"]))).index.tolist()
    ['FICO score, per 50 points']
    """
    shown = table.drop(columns=[c for c in ("per", "scale") if c in table.columns])
    shown = shown.set_index("label")
    shown.index.name = None
    return shown


def relabel(text: str, names: Iterable[str], data=None) -> str:
    """``text`` with every coefficient or formula term of ``names`` it mentions replaced by its
    label (longest names first), for messages a reader sees.

    Examples
    --------
    >>> relabel("near-collinear terms: C(issue_year) (12), fico (9)", ["fico", "C(issue_year)"])
    'near-collinear terms: Vintage (12), FICO score, per 50 points (9)'
    """
    names = sorted(set(names), key=len, reverse=True)
    labels = label_terms(names, data)
    # Placeholders first, so a label is never searched for another name.
    marked = str(text)
    for k, name in enumerate(names):
        marked = re.sub(r"(?<![\w.])" + re.escape(name) + r"(?![\w(\[])", f"\x00{k}\x00", marked)
    return re.sub("\x00(\\d+)\x00", lambda m: labels[names[int(m.group(1))]].label, marked)


def readable_warnings(fit, data=None) -> tuple[str, ...]:
    """A fit's warnings with its terms and coefficients named by their labels.

    Examples
    --------
    >>> from overdue.models.result import FitResult, tidy_summary
    >>> fit = FitResult("logit", tidy_summary(["dti"], [0.1], [0.1]), n=9, events=3,
    ...                 converged=True, warnings=["quasi-complete separation: dti"])
    >>> readable_warnings(fit)
    ('quasi-complete separation: Debt-to-income, per 10 points',)
    """
    names = list(fit.summary.index) + list(getattr(fit, "term_columns", {}) or {})
    return tuple(relabel(warning, names, data) for warning in fit.warnings)
