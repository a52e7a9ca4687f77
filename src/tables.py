"""Regression tables as papers print them: models side by side, built with great-tables.

:func:`model_table` sets fits next to each other, one column a model: each cell the ratio (odds
or hazard ratio, as the fit names it) or the coefficient, with significance marks, and its
interval (or standard error) on the line below; rows labelled in the reported units of the
feature registry (:mod:`overdue.models.labels`) and grouped by family of causes; footer rows
with observations, events, clusters, log-likelihood, AIC, pseudo-R², concordance and
out-of-time AUC where a model has them. The :class:`ModelTable` renders as HTML for the page
(``_repr_html_``: a notebook shows it), as LaTeX (booktabs) and as a CSV frame, each from the
same fixed-format strings, so the same fits give byte-identical files.

Examples
--------
>>> from overdue.models.result import FitResult, tidy_summary
>>> fit = FitResult("logit", tidy_summary(["Intercept", "fico"], [2.0, -0.012], [0.5, 0.002]),
...                 n=1200, events=180, converged=True, link="logit", loglik=-480.0)
>>> table = model_table({"Credit": fit})
>>> table.frame()[["label", "Credit"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
[['FICO score, per 50 points', '0.55*** [0.45, 0.67]'], ['Observations', '1,200'],
 ['Events', '180'], ['Log-likelihood', '-480.0'], ['AIC', '964.0']]
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from overdue.features.registry import FAMILY_LABELS, describe
from overdue.models.labels import label_terms, labelled_summary, reading_order

__all__ = [
    "ModelTable",
    "model_table",
    "nested_names",
    "specification_frame",
    "specification_table",
    "STARS",
]

#: Significance marks: p-value thresholds, strictest last (two-sided Wald tests).
STARS: tuple[tuple[float, str], ...] = ((0.05, "*"), (0.01, "**"), (0.001, "***"))
#: Readable names of the columns errors are clustered by (identity columns have no feature).
CLUSTER_NAMES = {"addr_state": "state", "issue_month": "issue month", "id": "loan"}
_FIT_GROUP = "Fit statistics"


def _number(value: float, digits: int) -> str:
    """Fixed format: ``digits`` decimals, or 3 significant digits outside [0.01, 1000)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value != 0 and (abs(value) < 0.01 or abs(value) >= 1000):
        return f"{value:.3g}"
    return f"{value:.{digits}f}"


def _stars(p: float, stars: Sequence[tuple[float, str]]) -> str:
    marks = ""
    for threshold, mark in stars:
        if p < threshold:
            marks = mark
    return marks


def _count(value) -> str:
    return "" if value is None else f"{int(value):,}"


def _stat(value, digits: int) -> str:
    if value is None:
        return ""
    value = float(value)
    return "" if math.isnan(value) else f"{value:,.{digits}f}"


def nested_names(names: Sequence[str], separator: str = "+") -> dict[str, str]:
    """Column headings of a nested sequence: each model by what it adds to the one before.

    Examples
    --------
    >>> nested_names(["credit", "credit+purpose", "credit+purpose+macro"])
    {'credit': 'Credit', 'credit+purpose': '+ Purpose', 'credit+purpose+macro': '+ Macro'}
    """
    out, before = {}, None
    for name in names:
        parts = name.split(separator)
        if before is not None and parts[: len(before)] == before and len(parts) > len(before):
            added = " + ".join(part.strip() for part in parts[len(before) :])
            out[name] = f"+ {added[0].upper()}{added[1:]}"
        else:
            shown = " + ".join(part.strip() for part in parts)
            out[name] = shown[0].upper() + shown[1:]
        before = parts
    return out


@dataclass(frozen=True)
class ModelTable:
    """Models side by side: the printed cells, and the numbers they came from.

    Attributes
    ----------
    columns : list of str
        Column headings, one a model.
    rows : pandas.DataFrame
        One row a coefficient: ``group, label, term_formula`` and, per model, the cell's two
        lines (``<model>`` the estimate with its marks, ``<model> interval`` the interval or
        standard error), empty where the model lacks the term.
    footer : pandas.DataFrame
        Fit statistics: ``label`` and one column a model, as printed.
    quantities : dict of str to str
        What each model's cells are ("odds ratio", "hazard ratio", "coefficient").
    numbers : dict of str to pandas.DataFrame
        Each model's labelled summary in the reported units (the source of the cells).
    notes : list of str
        Lines printed under the table (significance marks, what the rows are).
    table_id : str
        HTML id of the table (fixed, so pages compare run to run).
    """

    columns: list[str]
    rows: pd.DataFrame
    footer: pd.DataFrame
    quantities: dict[str, str]
    numbers: dict[str, pd.DataFrame] = field(repr=False)
    notes: list[str]
    table_id: str = "model-table"

    # ------------------------------------------------------------------ one printed layout
    def frame(self) -> pd.DataFrame:
        """The table as one row a coefficient (estimate and interval in one cell) then the fit
        statistics: ``group, label, <models…>, term_formula`` (what the CSV holds)."""
        body = pd.DataFrame(
            {
                "group": self.rows["group"],
                "label": self.rows["label"],
                **{
                    model: [
                        f"{a} {b}".strip()
                        for a, b in zip(self.rows[model], self.rows[f"{model} interval"])
                    ]
                    for model in self.columns
                },
                "term_formula": self.rows["term_formula"],
            }
        )
        foot = self.footer.assign(group=_FIT_GROUP, term_formula="")
        return pd.concat([body, foot[body.columns]], ignore_index=True)

    def _stacked(self) -> pd.DataFrame:
        """Two lines a coefficient (the interval under the estimate), then the statistics."""
        records = []
        for _, row in self.rows.iterrows():
            records.append(
                {"group": row["group"], "label": row["label"]} | {m: row[m] for m in self.columns}
            )
            records.append(
                {"group": row["group"], "label": ""}
                | {m: row[f"{m} interval"] for m in self.columns}
            )
        for _, row in self.footer.iterrows():
            records.append(
                {"group": _FIT_GROUP, "label": row["label"]} | {m: row[m] for m in self.columns}
            )
        return pd.DataFrame(records, columns=["group", "label", *self.columns])

    def gt(self):
        """The great-tables ``GT`` of the table (rows grouped by family, one spanner per run of
        models whose cells are the same quantity)."""
        from great_tables import GT

        stacked = self._stacked()
        keys = [f"m{k}" for k in range(len(self.columns))]
        stacked.columns = ["group", "label", *keys]
        table = GT(stacked, groupname_col="group", id=self.table_id)
        table = table.cols_label(label="", **dict(zip(keys, self.columns)))
        start = 0
        for k in range(1, len(keys) + 1):
            if (
                k == len(keys)
                or self.quantities[self.columns[k]] != self.quantities[self.columns[start]]
            ):
                quantity = self.quantities[self.columns[start]]
                table = table.tab_spanner(
                    label=quantity[0].upper() + quantity[1:],
                    columns=keys[start:k],
                    id=f"spanner-{start}",  # a quantity may head two runs of columns
                )
                start = k
        table = table.cols_align("left", columns=["label"]).cols_align("center", columns=keys)
        for note in self.notes:
            table = table.tab_source_note(note)
        # The page's stylesheet sets the type; LaTeX gets no font-size command.
        return table.tab_options(
            table_font_size="inherit",
            table_width="auto",
            # Paper style: no rule between a coefficient and its interval, rows set close.
            table_body_hlines_style="none",
            data_row_padding="1px",
            row_group_padding="4px",
            source_notes_font_size="85%",
        )

    def to_html(self) -> str:
        """The table as an HTML fragment with its scoped style block."""
        return self.gt().as_raw_html()

    def to_latex(
        self, font_size: str = "9pt", label_width: float = 4.6, cell_width: float = 2.2
    ) -> str:
        """The table in LaTeX: a ``longtable`` (it may run over a page) with booktabs rules, set
        in ``font_size``; the label column a ragged-right paragraph ``label_width`` cm wide and
        each model a centred one of ``cell_width`` cm, so long labels and headings wrap rather
        than run past the margin (needs ``booktabs``, ``longtable`` and ``array``)."""
        latex = self.gt().tab_options(table_font_size=font_size).as_latex(use_longtable=True)

        def paragraph(width: float, align: str) -> str:
            return f">{{\\{align}\\arraybackslash}}p{{{width:.2f}cm}}"

        columns = paragraph(label_width, "raggedright") + paragraph(cell_width, "centering") * len(
            self.columns
        )
        latex = re.sub(
            r"\\begin\{longtable\}\{l+c+\}",
            lambda _: f"\\begin{{longtable}}{{{columns}}}",
            latex,
            count=1,
        )

        # Spanners over k model columns: k widths and the k - 1 column gaps (2 \tabcolsep each).
        def spanner(match: re.Match) -> str:
            k = int(match.group(1))
            width = paragraph(k * cell_width + (k - 1) * 0.42, "centering")
            return f"\\multicolumn{{{k}}}{{{width}}}"

        latex = re.sub(r"\\multicolumn\{(\d+)\}\{c\}", spanner, latex)
        # The notes' minipage is \linewidth wide: not indented, or it overruns the margin.
        latex = latex.replace("\\begin{minipage}", "\\noindent\\begin{minipage}")
        return latex.rstrip() + "\n"

    def _repr_html_(self) -> str:
        return self.to_html()


def model_table(
    fits: Mapping[str, object],
    *,
    data=None,
    exponentiate: bool = True,
    interval: str = "ci",
    oot_auc: Mapping[str, float] | None = None,
    drop: Sequence[str] = ("Intercept",),
    digits: int = 2,
    stars: Sequence[tuple[float, str]] = STARS,
    notes: Sequence[str] = (),
    table_id: str = "model-table",
) -> ModelTable:
    """Fits side by side, in the reported units of the feature registry.

    Parameters
    ----------
    fits : mapping of str to FitResult
        Column heading -> fit, in column order.
    data : DataFrame, optional
        Data the fits used, to name the reference levels of factors (see
        :func:`overdue.models.labels.label_terms`).
    exponentiate : bool
        Cells are ratios (odds or hazard ratios, each fit's ``ratio_name``); else coefficients.
    interval : {"ci", "se"}
        Second line of a cell: the confidence interval at the fit's level, or the standard
        error in parentheses (in the reported unit of the coefficient).
    oot_auc : mapping of str to float, optional
        Out-of-time AUC by column heading, printed in the footer.
    drop : sequence of str
        Coefficients not shown (the constant by default: its exponent is no ratio).
    digits : int
        Decimals of cells.
    stars : sequence of (threshold, mark)
        Significance marks by p-value, strictest last.
    notes : sequence of str
        Further lines under the table.
    table_id : str
        HTML id (one per table on a page).

    Returns
    -------
    ModelTable
    """
    if interval not in {"ci", "se"}:
        raise ValueError(f"interval must be 'ci' or 'se', got {interval!r}")
    if not fits:
        raise ValueError("no fits to tabulate")
    columns = [str(name) for name in fits]
    fits = dict(zip(columns, fits.values()))
    names = list(dict.fromkeys(t for fit in fits.values() for t in fit.summary.index))
    labels = label_terms(names, data)
    numbers = {name: labelled_summary(fit, data, drop) for name, fit in fits.items()}

    # Rows: grouped by family in the nested order, within a family as the specifications
    # write their terms.
    shown = reading_order(
        [name for name in names if name not in drop],
        [fit.formula for fit in fits.values()],
        labels,
    )
    prefix = "exp_" if exponentiate else ""
    records = []
    for term in shown:
        family = labels[term].family
        record = {
            "group": FAMILY_LABELS.get(family, "Other terms") if family else "Other terms",
            "label": labels[term].label,
            "term_formula": term,
        }
        if family == "panel":
            record["group"] = "Months on book (baseline)"
        for model, table in numbers.items():
            if term not in table.index:
                record[model], record[f"{model} interval"] = "", ""
                continue
            row = table.loc[term]
            record[model] = _number(float(row[f"{prefix}estimate"]), digits) + _stars(
                float(row["p"]), stars
            )
            if interval == "ci":
                low = _number(float(row[f"{prefix}ci_lower"]), digits)
                high = _number(float(row[f"{prefix}ci_upper"]), digits)
                record[f"{model} interval"] = f"[{low}, {high}]"
            else:
                record[f"{model} interval"] = f"({_number(float(row['se']), digits)})"
        records.append(record)
    rows = pd.DataFrame(
        records,
        columns=["group", "label", "term_formula"]
        + [c for model in columns for c in (model, f"{model} interval")],
    )

    footer = _footer(fits, oot_auc or {})
    quantities = {
        name: (fit.ratio_name if exponentiate else "coefficient") for name, fit in fits.items()
    }
    return ModelTable(
        columns,
        rows,
        footer,
        quantities,
        numbers,
        _notes(fits, exponentiate, interval, stars) + list(notes),
        table_id,
    )


def _footer(fits: Mapping[str, object], oot_auc: Mapping[str, float]) -> pd.DataFrame:
    def extra(fit, key):
        value = fit.extra.get(key) if fit.extra else None
        try:
            return None if value is None else float(value)
        except (TypeError, ValueError):
            return None

    statistics = [
        ("Observations", lambda f: _count(f.n)),
        ("Events", lambda f: _count(f.events)),
        ("Clusters", lambda f: _count(f.n_clusters) if f.cluster else ""),
        (
            "Errors clustered by",
            lambda f: (
                CLUSTER_NAMES.get(f.cluster, _readable_column(f.cluster)) if f.cluster else ""
            ),
        ),
        ("Log-likelihood", lambda f: _stat(f.loglik, 1)),
        ("AIC", lambda f: _stat(f.aic, 1)),
        ("Pseudo-R² (McFadden)", lambda f: _stat(extra(f, "pseudo_r2"), 3)),
        ("Concordance (Harrell's C)", lambda f: _stat(extra(f, "concordance"), 3)),
    ]
    rows = [
        {"label": label, **{name: cell(fit) for name, fit in fits.items()}}
        for label, cell in statistics
    ]
    rows.append({"label": "Out-of-time AUC", **{n: _stat(oot_auc.get(n), 3) for n in fits}})
    footer = pd.DataFrame(rows, columns=["label", *fits])
    filled = footer[list(fits)].ne("").any(axis=1)
    return footer[filled].reset_index(drop=True)


def _readable_column(name: str | None) -> str:
    if name is None:
        return ""
    found = describe(name)
    return found.label if found is not None else name.replace("_", " ")


def _notes(fits, exponentiate: bool, interval: str, stars) -> list[str]:
    levels = sorted({f"{1 - fit.alpha:.0%}" for fit in fits.values()})
    second = (
        f"{' / '.join(levels)} confidence intervals in brackets"
        if interval == "ci"
        else "standard errors in parentheses"
    )
    what = "Ratios (exp of the coefficient)" if exponentiate else "Coefficients"
    # In words rather than "p < 0.05": LaTeX's default font has no "<" in text.
    marks = ", ".join(
        f"{mark} {'significant at ' if k == 0 else ''}{threshold:.1%}".replace(".0%", "%")
        for k, (threshold, mark) in enumerate(stars)
    )
    notes = [f"{what} per the unit in each row's label; {second}. {marks} (two-sided Wald tests)."]
    panel = [name for name, fit in fits.items() if str(fit.model).startswith("hazard")]
    if panel:
        notes.append(
            "Observations of the discrete-time hazard are loan-months; its log-likelihood and "
            "AIC are on those rows."
        )
    partial = [name for name, fit in fits.items() if fit.link is None]
    if partial:
        notes.append(
            "Log-likelihood and AIC of Cox-type models are of the partial likelihood"
            + (
                " (Fine–Gray: weighted)."
                if any(f.model == "fine_gray" for f in fits.values())
                else "."
            )
        )
    strata = {
        ", ".join(_readable_column(s).lower() for s in fit.strata)
        for fit in fits.values()
        if fit.strata
    }
    for stratum in sorted(strata):
        stratified = [
            name
            for name, fit in fits.items()
            if fit.strata and ", ".join(_readable_column(s).lower() for s in fit.strata) == stratum
        ]
        notes.append(f"Stratified by {stratum}: {', '.join(stratified)}.")
    return notes


def specification_frame(families: Mapping[str, Sequence[str]], data=None) -> pd.DataFrame:
    """What each family of causes puts in the models, in words: one row a family, its terms
    by their labels (a number with the unit its effect is reported per).

    Examples
    --------
    >>> specification_frame({"credit": ["fico", "I(emp_years.fillna(0))"],
    ...                      "purpose": ["C(term)"]})["terms"].tolist()
    ['FICO score, per 50 points; Employment length, per year', 'Term']
    """
    rows = {}
    for family, terms in families.items():
        labels = label_terms(list(terms), data)
        heading = FAMILY_LABELS.get(family, family.replace("_", " ").capitalize())
        rows[heading] = "; ".join(labels[term].label for term in terms)
    table = pd.DataFrame({"terms": pd.Series(rows, dtype=object)})
    table.index.name = "family"
    return table


def left_out_frame(
    left_out: Mapping[str, Sequence[str]], data=None, given: Sequence[str] | None = None
) -> pd.DataFrame:
    """The terms a page's models leave out, and why: the loan file gives none of the columns
    the feature is computed from, or the feature takes one value in these loans.

    Parameters
    ----------
    left_out : mapping of str to sequence of str
        Family -> terms left out (:attr:`overdue.models.specs.ModelSample.left_out`).
    data : pandas.DataFrame, optional
        The features (for labels and to tell an empty column from a constant one).
    given : sequence of str, optional
        The loan columns the file gives (``Study.description["loan_columns"]``), to name the
        missing ones.

    Examples
    --------
    >>> left_out_frame({"macro": ["state_unemp"]}, given=["id", "loan_status"]).iloc[0].tolist()
    ['Economic environment', 'State unemployment at issue, per percentage point', 'the loan file has no addr_state, issue_d']
    """
    from overdue.models.design import formula_variables

    rows = []
    for family, terms in left_out.items():
        labels = label_terms(list(terms), data)
        for term in terms:
            missing = []
            for column in sorted(formula_variables(term)):
                feature = describe(column)
                sources = getattr(feature, "columns", ())
                empty = data is None or column not in data or data[column].isna().all()
                if empty and given is not None:
                    missing += [c for c in sources if c not in given] or [column]
                elif empty:
                    missing.append(column)
            why = (
                f"the loan file has no {', '.join(dict.fromkeys(missing))}"
                if missing
                else "one value only in these loans"
            )
            heading = FAMILY_LABELS.get(family, family.replace("_", " ").capitalize())
            rows.append({"family": heading, "term": labels[term].label, "why": why})
    return pd.DataFrame(rows, columns=["family", "term", "why"])


def specification_table(families: Mapping[str, Sequence[str]], data=None, table_id="specs"):
    """:func:`specification_frame` as a great-tables ``GT`` (a notebook shows it whole, where
    pandas would cut the long lines).

    Examples
    --------
    >>> "Employment length, per year" in specification_table(
    ...     {"credit": ["I(emp_years.fillna(0))"]}).as_raw_html()
    True
    """
    from great_tables import GT

    frame = specification_frame(families, data).reset_index()
    return (
        GT(frame, id=table_id)
        .cols_label(family="Family", terms="Terms (effects reported per)")
        .cols_align("left")
        .tab_options(table_font_size="inherit", data_row_padding="3px")
    )
