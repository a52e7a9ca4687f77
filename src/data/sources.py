"""Where every raw input comes from: public address, place under ``data/raw/`` and pinned checksum.

The layout under ``data/raw/`` mirrors the public mirror folder (``lendingclub/``, ``fred/state/``,
``fred/national/``, ``taiwan/``), so a local mirror can be copied file for file.
"""

from __future__ import annotations

from dataclasses import dataclass

LENDINGCLUB_COMMIT = "0872dc2c9105f2eb5a1cdc8f09df21ecb2ce4d3f"
LENDINGCLUB_URL = (
    "https://raw.githubusercontent.com/kuhnrl30/LendingClubData/"
    f"{LENDINGCLUB_COMMIT}/data/{{name}}"
)
FRED_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv?id={series}"

# The Taiwan credit-card panel (UCI data set 350, CC BY 4.0) in the CSV form of a public copy.
TAIWAN_COMMIT = "cb0ff4bb473f6e73b0f3349dfeec7abb58d5ce44"
TAIWAN_URL = f"https://raw.githubusercontent.com/rakibRME/ML-Data-Sets/{TAIWAN_COMMIT}/{{name}}"
TAIWAN_FILE = "UCI_Credit_Card.csv"
# A published data set that never changes: pinned (taiwan/SHA256SUMS).
TAIWAN_SHA256 = "5c69a6b4e167dac42c4b22665330404fe49928a198de44d2d061b800cb65f9b1"

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


def raw_files(
    lendingclub_url: str = LENDINGCLUB_URL, fred_url: str = FRED_URL, taiwan_url: str = TAIWAN_URL
) -> list[RawFile]:
    """List every raw input, LendingClub first, the Taiwan card panel last.

    Parameters
    ----------
    lendingclub_url, fred_url, taiwan_url : str
        URL templates (``{name}`` / ``{series}``); overridable to fetch from another server.

    Examples
    --------
    >>> files = raw_files()
    >>> len(files), files[0].relpath, files[-1].relpath
    (66, 'lendingclub/LendingClubData_2007.rda', 'taiwan/UCI_Credit_Card.csv')
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
    files.append(
        RawFile(f"taiwan/{TAIWAN_FILE}", taiwan_url.format(name=TAIWAN_FILE), TAIWAN_SHA256)
    )
    return files
