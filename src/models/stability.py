"""Stability monitoring: how far the loans (and the models' scores of them) moved away from the
development sample, quarter by quarter, and which moves pushed a model's predictions away from
what happened.

:func:`psi_by_period` computes the population stability index of each score or feature between
the development sample and each later period, flagged by DESIGN.md's thresholds
(:func:`~overdue.models.assessment.stability_status`). :func:`shift_contributions` splits the
change in a logit's mean predicted log-odds between the development and the later loans by
term (each term's coefficients times the change of its columns' means, an exact split since the
model is linear in its columns) and sets it beside the log-odds shift the later loans actually
needed (:func:`~overdue.models.comparison.intercept_gap`): a term that moved the predictions
down while the loans needed them up is one the drift goes with.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> development = pd.DataFrame({"x": rng.normal(0, 1, 2000)})
>>> later = pd.DataFrame({"x": rng.normal(0.8, 1, 2000), "quarter": np.repeat(["Q1", "Q2"], 1000)})
>>> table = psi_by_period(development, later, ["x"], period="quarter")
>>> table["status"].tolist()
['shifted', 'shifted']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import patsy

from overdue.models.assessment import population_stability, stability_status
from overdue.models.checks import check_frame, require_columns
from overdue.models.comparison import intercept_gap
from overdue.models.result import FitResult
from overdue.models.scorecard import feature_family, feature_label
from overdue.models.specs import OUTCOME, VINTAGE_COLUMNS

__all__ = ["drift_drivers", "psi_by_period", "psi_summary", "quarter_of", "shift_contributions"]


def quarter_of(dates) -> pd.Series:
    """Calendar quarter of each date, as text (``"2011Q1"``).

    Examples
    --------
    >>> quarter_of(pd.to_datetime(["2011-02-01", "2011-12-01"])).tolist()
    ['2011Q1', '2011Q4']
    """
    return pd.Series(pd.to_datetime(np.asarray(dates))).dt.to_period("Q").astype(str)


def psi_by_period(
    development: pd.DataFrame,
    later: pd.DataFrame,
    columns: Sequence[str],
    *,
    period: str,
    bins: int = 10,
) -> pd.DataFrame:
    """PSI of each column between the development sample and each period of the later loans.

    Parameters
    ----------
    development : pandas.DataFrame
        The development sample.
    later : pandas.DataFrame
        Later loans, with a ``period`` column (a quarter, say: :func:`quarter_of`).
    columns : sequence of str
        Scores or features to compare (numbers are cut at the development deciles, categories
        compared level by level: :func:`~overdue.models.assessment.population_stability`).
    period : str
        Column of ``later`` naming each loan's period.
    bins : int
        Quantile groups of a numeric column.

    Returns
    -------
    pandas.DataFrame
        One row per column and period, in that order: ``column, label, family, period, loans,
        psi, status`` (stable, drifting, shifted).
    """
    check_frame(development)
    check_frame(later)
    require_columns(development, list(columns), "compared")
    require_columns(later, [*columns, period], "compared or period")
    rows = []
    for column in columns:
        for name, part in later.groupby(period, sort=True):
            psi, _ = population_stability(development[column], part[column], bins=bins)
            rows.append(
                {
                    "column": column,
                    "label": feature_label(column),
                    "family": feature_family(column),
                    "period": name,
                    "loans": len(part),
                    "psi": psi,
                    "status": stability_status(psi),
                }
            )
    return pd.DataFrame(rows)


def psi_summary(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`psi_by_period`'s table one row per column: its PSI in each period, the largest and
    that one's status, largest first.

    Examples
    --------
    >>> long = pd.DataFrame({"column": ["x", "x", "y", "y"], "label": ["X", "X", "Y", "Y"],
    ...                      "family": ["credit"] * 4, "period": ["Q1", "Q2"] * 2,
    ...                      "psi": [0.05, 0.3, 0.12, 0.11]})
    >>> psi_summary(long)[["max_psi", "status"]].to_dict(orient="index")
    {'x': {'max_psi': 0.3, 'status': 'shifted'}, 'y': {'max_psi': 0.12, 'status': 'drifting'}}
    """
    wide = table.pivot(index="column", columns="period", values="psi")
    wide.columns = [str(c) for c in wide.columns]
    names = table.drop_duplicates("column").set_index("column")[["label", "family"]]
    summary = names.join(wide)
    summary["max_psi"] = wide.max(axis=1)
    summary["status"] = [stability_status(v) for v in summary["max_psi"]]
    summary.index.name = "column"
    return summary.sort_values("max_psi", ascending=False, kind="stable")


def _carried(frame: pd.DataFrame, reference: pd.DataFrame, columns) -> pd.DataFrame:
    """Vintages the development sample never saw take its latest one (as out-of-time scoring)."""
    frame = frame.copy()
    for column in columns:
        if column in frame.columns and column in reference.columns:
            unseen = ~frame[column].isin(pd.unique(reference[column]))
            if unseen.any():
                frame.loc[unseen, column] = reference[column].max()
    return frame


def shift_contributions(
    fit: FitResult,
    development: pd.DataFrame,
    later: pd.DataFrame,
    *,
    period: str | None = None,
    outcome: str = OUTCOME,
    carry_forward: Sequence[str] = VINTAGE_COLUMNS,
) -> pd.DataFrame:
    """How each term of a logit moved its mean predicted log-odds from the development to the
    later loans, beside the shift the later loans needed.

    For term ``t`` with coefficients ``b_c`` on its design columns ``c``, its contribution is
    ``sum_c b_c (mean of X_c among later loans - mean among development loans)``; the
    contributions add up to the change of the mean linear predictor (``predicted_change``).
    ``needed_shift`` is the log-odds shift that would make the later loans' predicted defaults
    add up to the observed ones (:func:`~overdue.models.comparison.intercept_gap`): the drift.

    Parameters
    ----------
    fit : FitResult
        A logit fitted on ``development`` (:func:`~overdue.models.logit.fit_logit`, or the fit
        of :func:`~overdue.models.validation.out_of_time_auc`).
    development, later : pandas.DataFrame
        The loans it was fitted on, and later loans (with ``outcome``).
    period : str, optional
        Column of ``later`` to split it by (each period gets its own column of contributions).
    outcome : str
        0/1 outcome column.
    carry_forward : sequence of str
        Vintage columns whose later values the development sample never saw: they take its
        latest vintage, as out-of-time scoring does.

    Returns
    -------
    pandas.DataFrame
        Indexed by term (labelled, with ``family``; largest mean absolute contribution first),
        one column per period (``"all"`` without ``period``) of contributions in log-odds, then
        the rows ``predicted_change`` and ``needed_shift``.

    Examples
    --------
    >>> from overdue.models.logit import fit_logit
    >>> rng = np.random.default_rng(3)
    >>> dev = pd.DataFrame({"x": rng.normal(0, 1, 3000)})
    >>> dev["defaulted"] = (rng.random(3000) < 1 / (1 + np.exp(2 - dev.x))).astype(int)
    >>> later = pd.DataFrame({"x": rng.normal(-1, 1, 3000)})
    >>> later["defaulted"] = (rng.random(3000) < 1 / (1 + np.exp(2 - dev.x))).astype(int)
    >>> table = shift_contributions(fit_logit(dev, "x"), dev, later)
    >>> bool(table.loc["X", "all"] < -0.8), bool(table.loc["needed_shift", "all"] > 0.8)
    (True, True)
    """
    if fit.model != "logit" or not fit.formula:
        raise ValueError("shift_contributions needs a logit fitted with a formula")
    require_columns(later, [outcome], "outcome")
    design_info = patsy.dmatrix(fit.formula, development, NA_action="raise").design_info
    development_x = patsy.build_design_matrices(
        [design_info], development, return_type="dataframe"
    )[0]
    later = _carried(later, development, carry_forward)
    params = fit.params
    baseline = development_x.mean()
    groups = [("all", later)] if period is None else list(later.groupby(period, sort=True))
    term_columns = {
        term: [c for c in columns if c in params.index and c != "Intercept"]
        for term, columns in (fit.term_columns or {}).items()
    }
    if not term_columns:
        term_columns = {c: [c] for c in params.index if c != "Intercept"}
    columns = {}
    for name, part in groups:
        x = patsy.build_design_matrices([design_info], part, return_type="dataframe")[0]
        change = (x.mean() - baseline)[params.index] * params
        contributions = {
            term: float(change[cols].sum()) for term, cols in term_columns.items() if cols
        }
        p = 1 / (1 + np.exp(-(x[params.index].to_numpy() @ params.to_numpy())))
        contributions["predicted_change"] = float(sum(contributions.values()))
        contributions["needed_shift"] = intercept_gap(part[outcome].to_numpy(), p)
        columns[str(name)] = contributions
    table = pd.DataFrame(columns)
    summary_rows = ["predicted_change", "needed_shift"]
    # Terms by how far they moved the predictions, on average over the periods.
    terms = list(
        table.drop(index=summary_rows).abs().mean(axis=1).sort_values(ascending=False).index
    )
    table = table.loc[[*terms, *summary_rows]]
    labels = {t: _term_label(t) for t in terms}
    table["family"] = [_term_family(t) if t in labels else "" for t in table.index]
    table.index = [labels.get(t, t) for t in table.index]
    table.index.name = "term"
    return table[["family", *columns]]


def _term_columns(term: str) -> list[str]:
    from overdue.models.design import formula_variables

    return sorted(formula_variables(term))


def _term_label(term: str) -> str:
    columns = _term_columns(term)
    return " × ".join(feature_label(c) for c in columns) if columns else term


def _term_family(term: str) -> str:
    families = {feature_family(c) for c in _term_columns(term)}
    return families.pop() if len(families) == 1 else "mixed"


def drift_drivers(contributions: pd.DataFrame, psi: pd.DataFrame) -> pd.DataFrame:
    """Which moved features go with a logit's drift: each term's average contribution to the
    predicted change (:func:`shift_contributions`) beside the largest PSI of its feature
    (:func:`psi_summary`, matched by label), flagged when the feature drifted or shifted and its
    contribution moved the predictions against the shift the later loans needed.

    Returns
    -------
    pandas.DataFrame
        Indexed by term: ``family, contribution`` (mean over the periods, log-odds),
        ``max_psi, status``, ``against_drift`` (bool); the flagged terms first, by the size of
        their contribution.

    Examples
    --------
    >>> contributions = pd.DataFrame({"family": ["macro", "credit", "", ""], "Q1": [-0.3, 0.01, -0.29, 0.3]},
    ...                              index=["Unemployment", "FICO", "predicted_change", "needed_shift"])
    >>> psi = pd.DataFrame({"label": ["Unemployment", "FICO"], "max_psi": [0.4, 0.02]})
    >>> drift_drivers(contributions, psi)["against_drift"].to_dict()
    {'Unemployment': True, 'FICO': False}
    """
    periods = [c for c in contributions.columns if c != "family"]
    needed = float(contributions.loc["needed_shift", periods].mean())
    terms = contributions.drop(index=["predicted_change", "needed_shift"])
    table = pd.DataFrame({"family": terms["family"], "contribution": terms[periods].mean(axis=1)})
    largest = psi.groupby("label")["max_psi"].max()
    table["max_psi"] = [largest.get(term, np.nan) for term in table.index]
    table["status"] = [
        stability_status(v) if np.isfinite(v) else "not compared" for v in table["max_psi"]
    ]
    table["against_drift"] = (
        table["status"].isin(["drifting", "shifted"])
        & (np.sign(table["contribution"]) == -np.sign(needed))
    ).to_numpy()
    order = table.assign(_size=-table["contribution"].abs()).sort_values(
        ["against_drift", "_size"], ascending=[False, True], kind="stable"
    )
    return order.drop(columns="_size")
