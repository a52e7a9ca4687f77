"""Effects that change with loan age: the proportional-hazards check acted on.

When :func:`overdue.models.cox.cox_zph` rejects proportional hazards for a term, its hazard
ratio drifts with months on book. This module shows how and fits it:

* :func:`drifting_terms` — the terms the check rejects at a level, with their coefficients;
* :func:`beta_smooth` — the term's time-varying coefficient beta(t), a natural-spline smooth of
  its scaled Schoenfeld residuals against g(t) with a band of two standard errors, as R's
  ``plot(cox.zph(fit))``;
* :func:`split_episodes` — each loan cut into (start, stop] episodes at loan-age cut points,
  as R's ``survSplit``;
* :func:`fit_cox_by_age` — a Cox model on those episodes in which the chosen terms get one
  coefficient per loan-age band, as ``coxph(Surv(tstart, time, event) ~ ... + x:band)``, with
  their hazard ratios by band (:func:`age_band_table`, in reported units with labels:
  :func:`labelled_age_bands`) and what they say in words (:func:`age_effect_sentences`).

Examples
--------
>>> loans = pd.DataFrame({"time": [5, 30], "defaulted": [1, 0], "x": [0.5, 1.0]})
>>> split_episodes(loans, [12, 24])[["tstart", "time", "defaulted", "age_band"]].values.tolist()
[[0, 5, 1, '1–12'], [0, 12, 0, '1–12'], [12, 24, 0, '13–24'], [24, 30, 0, '25+']]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import interpolate, linalg, stats

from overdue.models.checks import (
    as_column_list,
    binary_column,
    check_alpha,
    check_frame,
    duration_column,
    require_columns,
)
from overdue.models.cox import fit_cox
from overdue.models.design import RhsDesign, rhs_design
from overdue.models.labels import label_terms
from overdue.models.result import FitResult, TestResult

__all__ = [
    "age_band_labels",
    "age_band_table",
    "age_bands_wide",
    "age_effect_sentences",
    "labelled_age_bands",
    "beta_smooth",
    "drifting_terms",
    "fit_cox_by_age",
    "split_episodes",
]

#: Name of the loan-age band column :func:`split_episodes` adds.
BAND = "age_band"


def drifting_terms(zph: TestResult, fit: FitResult, alpha: float = 0.01) -> dict[str, list[str]]:
    """The terms whose proportional-hazards test rejects at ``alpha``, with their coefficients.

    Parameters
    ----------
    zph : TestResult
        :func:`overdue.models.cox.cox_zph` of ``fit``, per term (``terms=True``).
    fit : FitResult
        The Cox fit tested (its ``term_columns`` name each term's coefficients).
    alpha : float
        Level below which a term's p-value counts as a rejection.

    Returns
    -------
    dict of str to list of str
        Term -> its coefficients, in the order of the test's table (``GLOBAL`` left out).

    Examples
    --------
    >>> from overdue.models.result import FitResult, tidy_summary
    >>> fit = FitResult("cox", tidy_summary(["a", "g[T.x]"], [0.1, 0.2], [0.1, 0.1]), n=9,
    ...                 events=3, converged=True, term_columns={"a": ["a"], "g": ["g[T.x]"]})
    >>> zph = TestResult("proportional-hazards", 9.0, 2, 0.01, table=pd.DataFrame(
    ...     {"p": [0.5, 0.001, 0.01]}, index=["a", "g", "GLOBAL"]))
    >>> drifting_terms(zph, fit, alpha=0.01)
    {'g': ['g[T.x]']}
    """
    check_alpha(alpha)
    table = zph.table.drop(index="GLOBAL", errors="ignore")
    rejected = table.index[table["p"] < alpha]
    return {term: list(fit.term_columns[term]) for term in rejected}


def age_band_labels(cuts: Sequence[float]) -> list[str]:
    """Readable labels of the loan-age bands that cut points make, in months on book.

    Band k holds months ``(cut[k-1], cut[k]]``; with whole months that is ``cut[k-1] + 1`` to
    ``cut[k]``.

    Examples
    --------
    >>> age_band_labels([12, 24])
    ['1–12', '13–24', '25+']
    >>> age_band_labels([6.5])
    ['≤6.5', '>6.5']
    """
    cuts = _check_cuts(cuts)
    whole = all(float(c).is_integer() for c in cuts)
    if not whole:
        edges = [f"{c:g}" for c in cuts]
        return (
            [f"≤{edges[0]}"] + [f"{a}–{b}" for a, b in zip(edges, edges[1:])] + [f">{edges[-1]}"]
        )
    ints = [int(c) for c in cuts]
    lows = [1] + [c + 1 for c in ints]
    return [f"{lo}–{hi}" for lo, hi in zip(lows, ints)] + [f"{lows[-1]}+"]


def _check_cuts(cuts: Sequence[float]) -> list[float]:
    cuts = [float(c) for c in cuts]
    if not cuts or any(c <= 0 for c in cuts) or sorted(set(cuts)) != cuts:
        raise ValueError(f"cuts must be increasing positive loan ages, got {cuts}")
    return cuts


def _episode_index(durations: np.ndarray, cuts: list[float]):
    """Row of each episode, its start, stop and band index (0-based), and whether it is the
    row's last episode: survSplit's rule, a cut splits (start, stop] only when start < cut <
    stop."""
    edges = np.asarray(cuts)
    n_episodes = 1 + np.searchsorted(edges, durations, side="left")  # cuts strictly below
    row = np.repeat(np.arange(len(durations)), n_episodes)
    band = np.arange(len(row)) - np.repeat(np.cumsum(n_episodes) - n_episodes, n_episodes)
    lower = np.r_[0.0, edges]
    start = lower[band]
    last = band == n_episodes[row] - 1
    stop = np.where(last, durations[row], np.r_[edges, np.inf][band])
    return row, start, stop, band, last


def split_episodes(
    df: pd.DataFrame,
    cuts: Sequence[float],
    *,
    duration: str = "time",
    event: str = "defaulted",
    start: str = "tstart",
    band: str = BAND,
) -> pd.DataFrame:
    """Cut each loan's follow-up into (start, stop] episodes at loan-age cut points.

    R's ``survSplit(Surv(time, event) ~ ., data, cut = cuts, episode = "band")``: a loan
    followed to month ``t`` gets one episode per band it reaches, ``(0, c1], (c1, c2], ...,
    (ck, t]``; a cut equal to ``t`` does not split. Only the last episode carries the event;
    every other column is repeated. Fitting a Cox model to the episodes (``entry=start``)
    gives the same partial likelihood as the loans; the point is that a covariate may then
    act differently in each band.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan, followed from time 0.
    cuts : sequence of float
        Increasing loan ages (months) at which to cut.
    duration, event : str
        Time and event columns; the event column may hold 0/1 or cause codes (only the last
        episode keeps its value, the others get 0).
    start : str
        Name of the new column of episode start times.
    band : str
        Name of the new band column: an ordered categorical labelled by
        :func:`age_band_labels`.

    Returns
    -------
    pandas.DataFrame
        One row per episode, in loan order, with a fresh index; ``duration`` holds the
        episode's stop time.

    Examples
    --------
    >>> loans = pd.DataFrame({"id": [1, 2], "time": [12, 13], "defaulted": [0, 1]})
    >>> split_episodes(loans, [12]).values.tolist()
    [[1, 12, 0, 0, '1–12'], [2, 12, 0, 0, '1–12'], [2, 13, 1, 12, '13+']]
    """
    check_frame(df)
    cuts = _check_cuts(cuts)
    for name in (start, band):
        if name in df.columns:
            raise ValueError(f"column {name!r} is already in the data frame; name it otherwise")
    durations = duration_column(df, duration)
    require_columns(df, [event], "event")
    row, begin, stop, band_index, last = _episode_index(durations, cuts)
    episodes = df.iloc[row].reset_index(drop=True)
    episodes[duration] = stop.astype(df[duration].dtype) if _whole(stop) else stop
    events = episodes[event].to_numpy()
    episodes[event] = np.where(last, events, np.zeros_like(events))
    episodes[start] = begin.astype(np.int64) if _whole(begin) else begin
    labels = age_band_labels(cuts)
    episodes[band] = pd.Categorical.from_codes(band_index, categories=labels, ordered=True)
    return episodes


def _whole(values: np.ndarray) -> bool:
    return bool(np.all(values == np.round(values)))


def fit_cox_by_age(
    df: pd.DataFrame,
    rhs: str | Sequence[str],
    varying: Sequence[str],
    *,
    cuts: Sequence[float] = (12, 24),
    duration: str = "time",
    event: str = "defaulted",
    ties: str = "efron",
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    alpha: float = 0.05,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> FitResult:
    """Cox model whose ``varying`` terms have one effect per loan-age band.

    The loans are split at ``cuts`` (:func:`split_episodes`) and each coefficient of a
    varying term is replaced by one coefficient per band, the covariate times the band's
    indicator — R's ``coxph(Surv(tstart, time, event) ~ other + x:factor(band) +
    strata(s), cluster = id)`` on the ``survSplit`` data, without a main effect of ``x``, so
    each band's coefficient is that band's log hazard ratio. The other terms keep one
    effect. The design is built once on the loans and repeated per episode, so the split
    costs no second pass through patsy.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per loan.
    rhs : str or list of str
        All the terms, as for :func:`overdue.models.cox.fit_cox`.
    varying : sequence of str
        Terms of ``rhs`` (their spelling in ``FitResult.term_columns``, e.g. the index of
        ``cox_zph(fit).table``) whose effects differ by band.
    cuts : sequence of float
        Loan ages (months) where the bands change.
    duration, event, ties, strata, weights, alpha, max_iter, tol
        As for :func:`overdue.models.cox.fit_cox`.
    cluster : str, optional
        Cluster column for the robust variance. Without one the sandwich is still used, with
        each *loan* its own cluster (its episodes are not independent rows), as R's
        ``cluster(id)``.

    Returns
    -------
    FitResult
        ``model="cox_by_age"``: coefficients of the constant terms under their usual names,
        and of each varying coefficient ``c`` as ``c:age_band[<band>]``;
        ``term_columns`` groups a varying term's band coefficients under ``term:age_band``;
        ``n`` counts episodes. ``extra`` holds what :func:`fit_cox` gives plus ``cuts``,
        ``bands`` (labels), ``varying`` (term -> its coefficients), ``n_loans`` and
        ``age_bands`` (:func:`age_band_table`).

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> loans = pd.DataFrame({"x": rng.normal(size=3000)})
    >>> early = np.ceil(rng.exponential(60 * np.exp(-0.8 * loans["x"])))
    >>> late = 12 + np.ceil(rng.exponential(60, size=3000))  # x has no effect after month 12
    >>> latent = np.where(early <= 12, early, late)
    >>> loans["time"], loans["defaulted"] = np.minimum(latent, 36), (latent <= 36).astype(int)
    >>> fit = fit_cox_by_age(loans, ["x"], ["x"], cuts=[12])
    >>> fit.summary["exp_estimate"].round(1).to_dict()
    {'x:age_band[1–12]': 2.3, 'x:age_band[13+]': 0.9}
    >>> fit.extra["age_bands"]["trend"].iloc[0]
    'fades'
    """
    check_alpha(alpha)
    check_frame(df)
    varying = list(varying)
    cuts = _check_cuts(cuts)
    durations = duration_column(df, duration)
    binary_column(df, event, "event")
    design = rhs_design(df, rhs, "fit_cox_by_age")
    unknown = [term for term in varying if term not in design.term_columns]
    if unknown:
        raise ValueError(
            f"varying terms {unknown} are not terms of the model; its terms are "
            f"{list(design.term_columns)}"
        )
    row, begin, stop, band_index, last = _episode_index(durations, cuts)
    labels = age_band_labels(cuts)
    column_of = {name: k for k, name in enumerate(design.names)}
    varying_columns = {term: design.term_columns[term] for term in varying}
    varied = {c for columns in varying_columns.values() for c in columns}

    columns: dict[str, np.ndarray] = {}  # the episodes' covariates, built once here
    term_columns: dict[str, list[str]] = {}
    for term, coefficients in design.term_columns.items():
        if term in varying_columns:
            names = []
            for coefficient in coefficients:
                values = design.matrix[row, column_of[coefficient]]
                for b, label in enumerate(labels):
                    name = f"{coefficient}:{BAND}[{label}]"
                    columns[name] = np.where(band_index == b, values, 0.0)
                    names.append(name)
            term_columns[f"{term}:{BAND}"] = names
        else:
            for coefficient in coefficients:
                if coefficient not in varied:
                    columns[coefficient] = design.matrix[row, column_of[coefficient]]
            term_columns[term] = coefficients
    loan = "__loan__"
    names = list(columns)
    matrix = np.empty((len(row), len(names)))
    for k, name in enumerate(names):
        matrix[:, k] = columns[name]
    episode_design = RhsDesign(matrix, names, term_columns, design.formula)
    episodes = pd.DataFrame({duration: stop})
    episodes["__entry__"] = begin
    episodes[event] = np.where(last, df[event].to_numpy()[row], 0)
    for column in as_column_list(strata) + as_column_list(weights):
        episodes[column] = df[column].to_numpy()[row]
    if cluster is None:
        episodes[loan] = row
    else:
        require_columns(df, [cluster], "cluster")
        episodes[cluster] = df[cluster].to_numpy()[row]
    fit = fit_cox(
        episodes,
        episode_design,
        duration=duration,
        event=event,
        entry="__entry__",
        ties=ties,
        strata=strata,
        cluster=cluster if cluster is not None else loan,
        weights=weights,
        alpha=alpha,
        max_iter=max_iter,
        tol=tol,
    )
    extra = dict(fit.extra)
    extra.update(
        entry="tstart",
        cuts=cuts,
        bands=labels,
        varying={term: term_columns[f"{term}:{BAND}"] for term in varying},
        n_loans=len(df),
    )
    warnings = [w.replace("'__loan__'", "the loan") for w in fit.warnings]
    result = dataclasses.replace(
        fit,
        model="cox_by_age",
        formula=f"{design.formula}; by loan-age band ({', '.join(labels)}): " + ", ".join(varying),
        term_columns=term_columns,
        cluster=cluster if cluster is not None else "loan",
        warnings=warnings,
        extra=extra,
    )
    extra["age_bands"] = age_band_table(result)
    return result


def age_band_table(fit: FitResult) -> pd.DataFrame:
    """Hazard ratios of each varying coefficient by loan-age band, and how they change.

    Parameters
    ----------
    fit : FitResult
        From :func:`fit_cox_by_age`.

    Returns
    -------
    pandas.DataFrame
        One row per varying coefficient and band: ``term`` (the model term),
        ``coefficient``, ``band``, the columns of the tidy summary (``estimate, se, ...,
        exp_estimate, exp_ci_lower, exp_ci_upper``), and per coefficient the Wald test that
        its effect is equal in every band (``equal_chisq, equal_df, equal_p``, on the fit's
        variance) and the ``trend`` :func:`age_trend` reads from the first and last band.

    Examples
    --------
    >>> from overdue.models.result import FitResult, tidy_summary
    >>> names = ["x:age_band[1–12]", "x:age_band[13+]"]
    >>> fit = FitResult("cox_by_age", tidy_summary(names, [0.8, 0.1], [0.1, 0.1]), n=9,
    ...                 events=3, converged=True, cov=pd.DataFrame(np.eye(2) / 100, names, names),
    ...                 extra={"varying": {"x": names}, "bands": ["1–12", "13+"]})
    >>> age_band_table(fit)[["band", "trend"]].values.tolist()
    [['1–12', 'fades'], ['13+', 'fades']]
    """
    bands = fit.extra["bands"]
    cov = fit.cov
    rows = []
    for term, names in fit.extra["varying"].items():
        for start in range(0, len(names), len(bands)):
            members = names[start : start + len(bands)]
            coefficient = members[0].rsplit(f":{BAND}[", 1)[0]
            beta = fit.summary.loc[members, "estimate"].to_numpy()
            contrast = np.diff(np.eye(len(members)), axis=0)  # neighbouring bands equal
            difference = contrast @ beta
            variance = contrast @ cov.loc[members, members].to_numpy() @ contrast.T
            statistic = float(difference @ linalg.pinv(variance) @ difference)
            df_equal = len(members) - 1
            p_equal = float(stats.chi2.sf(statistic, df_equal))
            trend = age_trend(fit.summary.loc[members], p_equal, alpha=fit.alpha)
            for band, name in zip(bands, members):
                rows.append(
                    {
                        "term": term,
                        "coefficient": coefficient,
                        "band": band,
                        **fit.summary.loc[name].to_dict(),
                        "equal_chisq": statistic,
                        "equal_df": df_equal,
                        "equal_p": p_equal,
                        "trend": trend,
                    }
                )
    table = pd.DataFrame(rows)
    # ordered, so that tables pivoted by band keep the bands in loan-age order
    table["band"] = pd.Categorical(table["band"], categories=bands, ordered=True)
    return table


def age_trend(bands: pd.DataFrame, p_equal: float, alpha: float = 0.05) -> str:
    """How an effect moves across the loan-age bands, in one word.

    ``"steady"`` when the bands' equality is not rejected at ``alpha``. Otherwise, from the
    first band to the last: ``"reverses"`` when both bands' intervals exclude 0 on opposite
    sides, ``"fades"`` when the log hazard ratio is smaller in magnitude in the last band,
    ``"grows"`` when larger — unless a middle band lies outside the range of the first and
    last by more than its ``1 - alpha`` interval's half-width, which makes it ``"varies"``
    (up and down again: an effect of calendar time rather than loan age, say).

    Parameters
    ----------
    bands : pandas.DataFrame
        The band rows of one coefficient, in band order: ``estimate, ci_lower, ci_upper``.
    p_equal : float
        p-value of the test that the bands' effects are equal.
    alpha : float
        Level of that test and of the intervals.

    Examples
    --------
    >>> bands = pd.DataFrame({"estimate": [0.5, 0.3, 0.1], "ci_lower": [0.3, 0.1, -0.1],
    ...                       "ci_upper": [0.7, 0.5, 0.3]})
    >>> age_trend(bands, p_equal=0.001)
    'fades'
    >>> age_trend(bands.assign(estimate=[0.5, -0.4, 0.4], ci_lower=[0.3, -0.6, 0.2],
    ...                        ci_upper=[0.7, -0.2, 0.6]), p_equal=0.001)
    'varies'
    >>> age_trend(bands.iloc[[0, 2]].assign(estimate=[0.5, -0.4], ci_lower=[0.3, -0.6],
    ...                                     ci_upper=[0.7, -0.2]), p_equal=0.001)
    'reverses'
    >>> age_trend(bands, p_equal=0.6)
    'steady'
    """
    if not p_equal < alpha:
        return "steady"
    first, last = bands.iloc[0], bands.iloc[-1]
    low, high = sorted([first["estimate"], last["estimate"]])
    middle = bands.iloc[1:-1]
    half_width = (middle["ci_upper"] - middle["ci_lower"]) / 2
    if ((middle["estimate"] < low - half_width) | (middle["estimate"] > high + half_width)).any():
        return "varies"
    opposite = (first["ci_lower"] > 0 and last["ci_upper"] < 0) or (
        first["ci_upper"] < 0 and last["ci_lower"] > 0
    )
    if opposite:
        return "reverses"
    return "fades" if abs(last["estimate"]) < abs(first["estimate"]) else "grows"


def labelled_age_bands(table: pd.DataFrame, data=None) -> pd.DataFrame:
    """:func:`age_band_table` as a reader sees it: each coefficient's label and reported unit
    (:func:`overdue.models.labels.label_terms`), estimates, standard errors and intervals
    rescaled exactly to that unit and the ratios recomputed; tests and trends unchanged.

    The columns are ``label, per, scale, band`` and the estimates, the tests and ``trend``,
    then ``term_formula`` (the coefficient's name in the fit, for machines).

    Examples
    --------
    >>> t = pd.DataFrame({"term": "fico", "coefficient": "fico", "band": ["1–12", "13+"],
    ...                   "estimate": [-0.012, -0.006], "se": [0.001, 0.001],
    ...                   "ci_lower": [-0.014, -0.008], "ci_upper": [-0.010, -0.004],
    ...                   "exp_estimate": 0.0, "equal_p": 1e-4, "trend": "fades"})
    >>> out = labelled_age_bands(t)
    >>> out["label"].iloc[0], out["exp_estimate"].round(3).tolist()
    ('FICO score, per 50 points', [0.549, 0.741])
    """
    labels = label_terms(table["coefficient"].unique(), data)
    scale = table["coefficient"].map({name: labels[name].scale for name in labels})
    out = table.drop(columns=["term", "coefficient"])
    for column in ["estimate", "se", "ci_lower", "ci_upper"]:
        out[column] = table[column] * scale
    with np.errstate(over="ignore"):
        for column in ["estimate", "ci_lower", "ci_upper"]:
            exp_name = "exp_estimate" if column == "estimate" else f"exp_{column}"
            out[exp_name] = np.exp(out[column])
    out.insert(0, "label", table["coefficient"].map({n: labels[n].label for n in labels}))
    out.insert(1, "per", table["coefficient"].map({n: labels[n].per or "" for n in labels}))
    out.insert(2, "scale", scale)
    out["term_formula"] = table["coefficient"]
    return out


def age_bands_wide(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """One row per coefficient, one column per band: ``ratio (lower–upper)``, then the p of
    equal bands and the trend — the table a page shows.

    Rows keep the table's order and are named by ``label`` when the table has one
    (:func:`labelled_age_bands`), else by coefficient.

    Examples
    --------
    >>> t = pd.DataFrame({"coefficient": ["x", "x"], "band": ["1–12", "13+"],
    ...                   "exp_estimate": [2.0, 1.1], "exp_ci_lower": [1.5, 0.9],
    ...                   "exp_ci_upper": [2.6, 1.3], "equal_p": 1e-5, "trend": "fades"})
    >>> age_bands_wide(t).values.tolist()
    [['2.00 (1.50–2.60)', '1.10 (0.90–1.30)', '1e-05', 'fades']]
    """
    name = "label" if "label" in table.columns else "coefficient"
    cells = table.assign(
        cell=[
            f"{r:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"
            for r, lo, hi in zip(
                table["exp_estimate"], table["exp_ci_lower"], table["exp_ci_upper"]
            )
        ]
    )
    order = list(dict.fromkeys(cells[name]))
    bands = list(dict.fromkeys(cells["band"]))
    wide = cells.pivot(index=name, columns="band", values="cell").reindex(index=order)
    wide = wide[bands] if not isinstance(cells["band"].dtype, pd.CategoricalDtype) else wide
    first = cells.groupby(name, sort=False)[["equal_p", "trend"]].first().reindex(order)
    wide["equal across bands (p)"] = [f"{p:.2g}" for p in first["equal_p"]]
    wide["trend"] = first["trend"]
    wide.columns = [str(c) for c in wide.columns]
    wide.index.name = None
    return wide


_TREND_WORDS = {
    "fades": "fades with loan age",
    "grows": "grows with loan age",
    "reverses": "reverses with loan age",
    "varies": "changes with loan age, not steadily",
}


def age_effect_sentences(table: pd.DataFrame, labels: dict | None = None) -> list[str]:
    """One sentence per coefficient whose effect changes with loan age, from
    :func:`age_band_table` or :func:`labelled_age_bands` (whose labels and units it then
    uses), and one naming those that stay steady.

    ``labels`` maps coefficient names to readable labels (the table's ``label`` column, else
    the names, are used where absent).

    Examples
    --------
    >>> t = pd.DataFrame({"coefficient": ["x", "x"], "band": ["1–12", "13+"],
    ...                   "exp_estimate": [2.0, 1.1], "equal_p": [1e-5, 1e-5],
    ...                   "trend": ["fades", "fades"]})
    >>> age_effect_sentences(t, {"x": "X"})
    ['X: fades with loan age (hazard ratio 2.00 in months 1–12, 1.10 in months 13+; equal across bands: p = 1e-05).']
    """
    labels = labels or {}
    key = "term_formula" if "term_formula" in table.columns else "coefficient"
    sentences, steady = [], []
    for coefficient, rows in table.groupby(key, sort=False):
        own = rows["label"].iloc[0] if "label" in rows.columns else coefficient
        name = labels.get(coefficient, own)
        trend = rows["trend"].iloc[0]
        if trend == "steady":
            steady.append(name)
            continue
        # ratios per unit of a fine-grained covariate sit near 1: show them to 3 places
        digits = 3 if (rows["exp_estimate"] - 1).abs().max() < 0.05 else 2
        ratios = ", ".join(
            f"{ratio:.{digits}f} in months {band}"
            for band, ratio in zip(rows["band"], rows["exp_estimate"])
        )
        sentences.append(
            f"{name}: {_TREND_WORDS[trend]} (hazard ratio {ratios}; "
            f"equal across bands: p = {rows['equal_p'].iloc[0]:.2g})."
        )
    if steady:
        sentences.append(
            "No clear change across the loan-age bands for: " + "; ".join(steady) + "."
        )
    return sentences


# ---------------------------------------------------------------------------------------------
# beta(t): the smooth of the scaled Schoenfeld residuals, as R's plot.cox.zph
# ---------------------------------------------------------------------------------------------


def _natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """A basis of the natural cubic splines with these knots (boundary knots first and last),
    evaluated at x: the natural interpolants of the unit vectors. It spans the space of R's
    ``splines::ns(x, knots = interior, Boundary.knots = range, intercept = TRUE)``, so a
    least-squares fit on it is R's to rounding, whatever the basis."""
    return interpolate.CubicSpline(knots, np.eye(len(knots)), bc_type="natural")(x)


def beta_smooth(
    zph: TestResult,
    coefficient: str,
    *,
    df: int = 4,
    n_points: int = 40,
    max_time: float | None = None,
) -> pd.DataFrame:
    """The time-varying coefficient beta(t) of one coefficient, smoothed, with its band.

    R's ``plot.cox.zph``: a natural cubic spline with ``df`` degrees of freedom (knots at the
    quantiles of g(t) and of ``n_points`` equally spaced points over its range, as R builds
    them) fitted by least squares to the scaled Schoenfeld residuals against g(t), evaluated
    at those points; the band is ±2 standard errors, ``2 sqrt(var_kk * p'(X'X)^-1 p)`` with
    ``var`` cox.zph's (the number of events times the inverse information). Where the band
    excludes the fitted constant coefficient, the hazard ratio is not constant over time.

    Parameters
    ----------
    zph : TestResult
        From :func:`overdue.models.cox.cox_zph`.
    coefficient : str
        A coefficient of the fit (a column of ``zph.detail["scaled_residuals"]``).
    df : int
        Degrees of freedom of the spline (R's default 4).
    n_points : int
        Points at which the smooth is reported.
    max_time : float, optional
        Leave out the events after this time (R keeps them all). A Kaplan–Meier time scale
        runs from 0 to 1 - S(t); where the last months hold a few loans, S falls to 0 there
        and those few events take most of the axis, the spline extrapolating across it.
        Stopping where the curves of the descriptive page stop (fewer than ``min_at_risk``
        loans left) keeps the smooth to what the data can say.

    Returns
    -------
    pandas.DataFrame
        ``transformed_time`` (g(t)), ``time`` (months: the event time at that g, interpolated
        between event times), ``beta``, ``lower``, ``upper``; ``attrs["constant"]`` holds the
        fitted (constant) coefficient.

    Examples
    --------
    >>> from overdue.models.cox import cox_zph, fit_cox
    >>> rng = np.random.default_rng(2)
    >>> loans = pd.DataFrame({"x": rng.normal(size=800)})
    >>> latent = np.ceil(rng.exponential(30 * np.exp(-0.4 * loans["x"]))).astype(int)
    >>> loans["time"], loans["defaulted"] = np.minimum(latent, 24), (latent <= 24).astype(int)
    >>> smooth = beta_smooth(cox_zph(fit_cox(loans, ["x"])), "x")
    >>> len(smooth), list(smooth.columns)
    (40, ['transformed_time', 'time', 'beta', 'lower', 'upper'])
    >>> bool((smooth["lower"] < smooth.attrs["constant"]).all())  # the constant fits throughout
    True
    """
    residuals = zph.detail["scaled_residuals"]
    if max_time is not None:
        residuals = residuals[residuals["time"] <= max_time]
    if coefficient not in zph.detail["var"].index:
        raise ValueError(
            f"{coefficient!r} is not a coefficient of the fit; its coefficients are "
            f"{list(zph.detail['var'].index)}"
        )
    if df < 2:
        raise ValueError(f"df must be at least 2, got {df}")
    x = residuals["transformed_time"].to_numpy(dtype=float)
    y = residuals[coefficient].to_numpy(dtype=float)
    grid = np.linspace(x.min(), x.max(), n_points)
    pooled = np.r_[grid, x]
    knots = np.quantile(pooled, np.linspace(0, 1, df))  # boundary + df - 2 interior, as ns()
    if len(np.unique(knots)) < df:
        raise ValueError(
            f"the spline with df={df} is singular: g(t) takes too few distinct values"
        )
    design = _natural_spline_basis(x, knots)
    at_grid = _natural_spline_basis(grid, knots)
    q, r = linalg.qr(design, mode="economic")
    coef = linalg.solve_triangular(r, q.T @ y)
    r_inverse = linalg.solve_triangular(r, np.eye(df))
    leverage = np.sum((at_grid @ r_inverse) ** 2, axis=1)  # p'(X'X)^-1 p
    var = float(zph.detail["var"].loc[coefficient, coefficient])
    beta = at_grid @ coef
    half = 2 * np.sqrt(var * leverage)
    # months on book at each grid point: g(t) is non-decreasing in t, so read t off it
    times = residuals["time"].to_numpy(dtype=float)
    distinct_g, first = np.unique(x, return_index=True)
    months = np.interp(grid, distinct_g, times[first])
    table = pd.DataFrame(
        {
            "transformed_time": grid,
            "time": months,
            "beta": beta,
            "lower": beta - half,
            "upper": beta + half,
        }
    )
    table.attrs["constant"] = float(zph.detail["coefficients"][coefficient])
    table.attrs["coefficient"] = coefficient
    return table
