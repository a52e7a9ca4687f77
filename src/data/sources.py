"""Where every raw input comes from: public address, place under ``data/raw/`` and pinned checksum.

The layout under ``data/raw/`` mirrors the public mirror folder (``lendingclub/``, ``fred/state/``,
``fred/national/``), so a local mirror can be copied file for file.
"""

from __future__ import annotations

from dataclasses import dataclass

LENDINGCLUB_COMMIT = "0872dc2c9105f2eb5a1cdc8f09df21ecb2ce4d3f"
LENDINGCLUB_URL = (
    "https://raw.githubusercontent.com/kuhnrl30/LendingClubData/"
    f"{LENDINGCLUB_COMMIT}/data/{{name}}"
)
FRED_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={series}"

# LendingClub's 2007–2011 files never change: pin their SHA-256 (lendingclub/SHA256SUMS).
LENDINGCLUB_SHA256 = {
    "LendingClubData_2007.rda": "5876b52461e61fd0c9db7b8a06d721caa4ce947baad02b42725fb62b024e91f2",
    "LendingClubData_2008.rda": "cc4fbf9ac9ed45991e82807646ff2c8baf0427f639290f24fd29eca94c657a48",
    "LendingClubData_2009.rda": "b26e56533bc16237894c8fdc79220552de9874ed69feb55f49e68e0a3b6b8a76",
    "LendingClubData_2010.rda": "88e36eb2fa4cf37022498604940b4f0ed26386820378467d93c2cce7e28fd765",
    "LendingClubData_2011.rda": "946ecd756be53967a90d9a27748ad11a654b2954200b8c0af246d6f0a7906aff",
}

# 50 states, DC and Puerto Rico: the FRED state unemployment series (XXUR) that exist.
STATE_CODES = (
    "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE "
    "NH NJ NM NV NY OH OK OR PA PR RI SC SD TN TX UT VA VT WA WI WV WY"
).split()

# National series: FRED id -> name used in the macro panel.
NATIONAL_SERIES = {
    "UNRATE": "national_unemp",
    "GDPC1": "real_gdp",
    "FEDFUNDS": "fed_funds",
    "DGS10": "treasury_10y",
    "DGS2": "treasury_2y",
    "T10Y2Y": "term_spread",
    "CPIAUCSL": "cpi",
    "USREC": "recession",
}


@dataclass(frozen=True)
class RawFile:
    """One raw input: where it lives under ``data/raw`` and where it comes from.

    ``sha256`` is pinned for files that never change; ``None`` for FRED series, which FRED revises
    (their checksums are recorded at fetch time instead).
    """

    relpath: str
    url: str
    sha256: str | None = None


def raw_files(lendingclub_url: str = LENDINGCLUB_URL, fred_url: str = FRED_URL) -> list[RawFile]:
    """List every raw input, LendingClub first.

    Parameters
    ----------
    lendingclub_url, fred_url : str
        URL templates (``{name}`` / ``{series}``); overridable to fetch from another server.

    Examples
    --------
    >>> files = raw_files()
    >>> len(files), files[0].relpath
    (65, 'lendingclub/LendingClubData_2007.rda')
    """
    files = [
        RawFile(f"lendingclub/{name}", lendingclub_url.format(name=name), sha)
        for name, sha in LENDINGCLUB_SHA256.items()
    ]
    files += [
        RawFile(f"fred/state/{state}UR.csv", fred_url.format(series=f"{state}UR"))
        for state in STATE_CODES
    ]
    files += [
        RawFile(f"fred/national/{series}.csv", fred_url.format(series=series))
        for series in NATIONAL_SERIES
    ]
    return files
