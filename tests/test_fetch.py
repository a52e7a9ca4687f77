"""`overdue fetch`: downloads over HTTP from a local server, copies from a mirror, verifies sums."""

from __future__ import annotations

import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from overdue.cli import main
from overdue.data.fetch import fetch, read_checksums, sha256_of
from overdue.data.sources import LENDINGCLUB_SHA256, TAIWAN_FILE, TAIWAN_SHA256
from overdue.errors import FetchError


class _MirrorServer:
    """Serves a mirror folder the way the public hosts do: /lc/<file>, /fred?id=<SERIES> and
    /taiwan/<file>."""

    def __init__(self, root: Path):
        self.root, self.requests = root, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                outer.requests.append(self.path)
                if url.path.startswith("/lc/"):
                    path = outer.root / "lendingclub" / url.path[4:]
                elif url.path.startswith("/taiwan/"):
                    path = outer.root / "taiwan" / url.path[8:]
                else:
                    series = parse_qs(url.query)["id"][0]
                    kind = (
                        "state"
                        if len(series) == 4 and series.endswith("UR") and series != "UNRATE"
                        else "national"
                    )
                    path = outer.root / "fred" / kind / f"{series}.csv"
                if not path.is_file():
                    self.send_error(404)
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def urls(self):
        return {
            "lendingclub_url": self.base + "/lc/{name}",
            "fred_url": self.base + "/fred?id={series}",
            "taiwan_url": self.base + "/taiwan/{name}",
        }


@pytest.fixture
def served_copy(mirror, tmp_path):
    root = tmp_path / "served"
    shutil.copytree(mirror, root)  # the mirror is read-only; the server gets its own copy
    server = _MirrorServer(root)
    yield server
    server.httpd.shutdown()


def test_http_fetch_downloads_everything_and_verifies(served_copy, tmp_path):
    raw = tmp_path / "raw"
    sums = fetch(raw, mirror="", **served_copy.urls())
    assert len(sums) == 66 and len(served_copy.requests) == 66
    for name, expected in LENDINGCLUB_SHA256.items():
        assert sha256_of(raw / "lendingclub" / name) == expected
    assert sha256_of(raw / "taiwan" / TAIWAN_FILE) == TAIWAN_SHA256
    assert (raw / "fred" / "state" / "CAUR.csv").read_bytes() == (
        served_copy.root / "fred/state/CAUR.csv"
    ).read_bytes()
    assert read_checksums(raw) == sums
    # Present and verified: a second fetch asks the server for nothing.
    fetch(raw, mirror="", **served_copy.urls())
    assert len(served_copy.requests) == 66


def test_checksum_mismatch_fails_and_keeps_nothing(served_copy, tmp_path):
    bad = served_copy.root / "lendingclub" / "LendingClubData_2009.rda"
    bad.write_bytes(bad.read_bytes()[:-10] + b"0123456789")
    raw = tmp_path / "raw"
    with pytest.raises(FetchError) as caught:
        fetch(raw, mirror="", **served_copy.urls())
    message = str(caught.value)
    assert (
        "LendingClubData_2009.rda" in message
        and LENDINGCLUB_SHA256["LendingClubData_2009.rda"] in message
    )
    assert sha256_of(bad) in message
    assert not (raw / "lendingclub" / "LendingClubData_2009.rda").exists()
    assert not list(raw.rglob("*.tmp"))


def test_fetch_from_mirror_via_cli_then_build(mirror, tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "processed"
    assert main(["fetch", "--from", str(mirror), "--raw", str(raw)]) == 0
    assert main(["build", "--raw", str(raw), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.parquet")) == [
        "features.parquet",
        "loans.parquet",
        "macro.parquet",
        "panel.parquet",
    ]
    assert (
        read_checksums(raw)["lendingclub/LendingClubData_2011.rda"]
        == LENDINGCLUB_SHA256["LendingClubData_2011.rda"]
    )


def test_missing_file_in_mirror_is_named(tmp_path):
    with pytest.raises(FetchError, match="LendingClubData_2007.rda: not in the local mirror"):
        fetch(tmp_path / "raw", mirror=tmp_path)
