"""Load FRED series (any of its header variants) into monthly national and state panels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from overdue.data.sources import NATIONAL_SERIES, STATE_CODES
from overdue.errors import DataError


def read_fred_series(path: str | os.PathLike) -> pd.Series:
    """Read one FRED CSV as a float Series indexed by date.

    The first column is the date and the second the value, whatever their names (``date,value``,
    ``"Date","CAUR"``, ``observation_date,UNRATE``, ``DATE,UNRATE``); an empty value, ``.`` or
    ``NA`` is missing.

    Examples
    --------
    >>> read_fred_series("../shared/data/fred/national/UNRATE.csv").loc["2010-01-01"]  # doctest: +SKIP
    np.float64(9.8)
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(path, None, f"not a FRED CSV: {error}") from None
    if frame.shape[1] < 2:
        raise DataError(
            path,
            None,
            f"expected two columns (date, value), found {frame.shape[1]}: {list(frame.columns)}",
        )
    date_column, value_column = frame.columns[:2]
    dates = pd.to_datetime(frame[date_column], errors="coerce", format="%Y-%m-%d")
    if dates.isna().any():
        raise DataError(
            path,
            date_column,
            "not a date (expected YYYY-MM-DD)",
            int(dates.isna().sum()),
            frame.loc[dates.isna(), date_column].head(3).tolist(),
        )
    text = frame[value_column].str.strip().replace({"": None, ".": None, "NA": None})
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna()
    if bad.any():
        raise DataError(
            path, value_column, "not a number", int(bad.sum()), text[bad].head(3).tolist()
        )
    series = pd.Series(
        values.to_numpy(dtype=float), index=pd.DatetimeIndex(dates), name=value_column
    )
    if not series.index.is_monotonic_increasing or series.index.has_duplicates:
        raise DataError(path, date_column, "dates not strictly increasing")
    return series


def to_monthly(series: pd.Series) -> pd.Series:
    """Monthly series indexed by month start: daily values averaged over the month (missing days
    skipped), quarterly values repeated over the quarter's three months, monthly values kept.

    Examples
    --------
    >>> q = pd.Series([100.0, 101.0], index=pd.to_datetime(["2010-01-01", "2010-04-01"]))
    >>> to_monthly(q).tolist()
    [100.0, 100.0, 100.0, 101.0, 101.0, 101.0]
    """
    observed = series.dropna()
    months = observed.index.to_period("M")
    if months.has_duplicates:  # daily (or weekly): average within the month
        monthly = observed.groupby(months).mean()
    else:
        monthly = observed.set_axis(months)
    step = np.median(np.diff(monthly.index.asi8)) if len(monthly) > 1 else 1
    full = pd.period_range(monthly.index.min(), monthly.index.max() + (int(step) - 1), freq="M")
    # Quarterly series carry their value through the quarter; monthly gaps stay missing so that
    # a gap in a monthly series is seen, not papered over.
    monthly = monthly.reindex(full)
    if step >= 3:
        monthly = monthly.ffill(limit=int(step) - 1)
    monthly.index = monthly.index.to_timestamp()
    return monthly


def national_panel(fred_dir: str | os.PathLike) -> pd.DataFrame:
    """One row per month with the national series and derived indicators.

    Columns: ``month``, the names of :data:`~overdue.data.sources.NATIONAL_SERIES`, and
    ``gdp_growth_yoy`` (real GDP growth over the same quarter a year earlier, as a fraction).

    Examples
    --------
    >>> national_panel("data/raw/fred").columns[:3].tolist()  # doctest: +SKIP
    ['month', 'national_unemp', 'real_gdp']
    """
    folder = Path(fred_dir) / "national"
    columns = {
        name: to_monthly(read_fred_series(folder / f"{series}.csv"))
        for series, name in NATIONAL_SERIES.items()
    }
    panel = pd.DataFrame(columns)
    panel["gdp_growth_yoy"] = panel["real_gdp"] / panel["real_gdp"].shift(12) - 1
    panel.index.name = "month"
    return panel.reset_index()


def state_unemployment(fred_dir: str | os.PathLike, states=STATE_CODES) -> pd.DataFrame:
    """Long state-by-month unemployment panel: ``addr_state, month, state_unemp`` (percent).

    Months a series lacks (Puerto Rico's 2020 gap, say) have no row: a loan that needs one gets a
    clear error from the feature builder, which names the series file, instead of a silent NaN.

    Examples
    --------
    >>> state_unemployment("data/raw/fred", ["CA"]).query("month == '2010-01-01'")  # doctest: +SKIP
    """
    frames = []
    for state in states:
        path = Path(fred_dir) / "state" / f"{state}UR.csv"
        monthly = to_monthly(read_fred_series(path)).dropna()
        frames.append(
            pd.DataFrame(
                {"addr_state": state, "month": monthly.index, "state_unemp": monthly.to_numpy()}
            )
        )
    return pd.concat(frames, ignore_index=True)


def macro_panel(fred_dir: str | os.PathLike) -> pd.DataFrame:
    """The one macro panel: state × month unemployment joined to the national monthly series.

    Examples
    --------
    >>> macro_panel("data/raw/fred").shape[1]  # doctest: +SKIP
    12
    """
    states = state_unemployment(fred_dir)
    national = national_panel(fred_dir)
    panel = states.merge(national, on="month", how="left", validate="many_to_one")
    panel["addr_state"] = panel["addr_state"].astype("string")
    return panel.sort_values(["addr_state", "month"], ignore_index=True)
