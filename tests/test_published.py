"""What a run publishes, as a reader meets it: every link and image resolves, the index is
organised by the four questions, figures open full size, and no page or table label shows
formula syntax."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from overdue.pipeline.plan import QUESTIONS, SUMMARY, findings_by_question
from overdue.report import collected_numbers

#: Formula syntax a reader must never see (patsy's spelling of terms and levels).
FORMULA = re.compile(r"\bC\(|Treatment\(|\bI\(|\[T\.")

pytestmark = pytest.mark.smoke


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(), "html.parser")


def _references(soup: BeautifulSoup):
    for tag, attribute in [("a", "href"), ("img", "src"), ("link", "href")]:
        for element in soup.find_all(tag):
            if element.get(attribute):
                yield tag, element[attribute]


def _ids(path: Path, cache: dict) -> set[str]:
    if path not in cache:
        cache[path] = {e["id"] for e in _soup(path).find_all(id=True)}
    return cache[path]


def broken_references(run_dir: Path) -> list[str]:
    """Every link, image and stylesheet of every page of ``run_dir`` that does not resolve to a
    file of the run (and, for ``#fragment``, to an element with that id)."""
    broken, ids = [], {}
    for page in sorted(run_dir.rglob("*.html")):
        for tag, reference in _references(_soup(page)):
            parts = urlsplit(reference)
            if parts.scheme in {"http", "https", "mailto", "data"}:
                continue  # not the run's to resolve
            target = (page.parent / unquote(parts.path) if parts.path else page).resolve()
            # the index may link the other studies published beside it: ../<their run>/
            home = run_dir.parent if reference.startswith("../") else run_dir
            if not target.is_file() or home.resolve() not in target.parents:
                broken.append(f"{page.name}: <{tag}> {reference} (no such file in the run)")
            elif parts.fragment and target.suffix == ".html":
                # as a browser does: the fragment as written, else percent-decoded
                if not {parts.fragment, unquote(parts.fragment)} & _ids(target, ids):
                    broken.append(f"{page.name}: <{tag}> {reference} (no such anchor)")
    return broken


def test_every_link_and_image_resolves(smoke_run):
    _, run_dir = smoke_run
    assert len(list(run_dir.glob("*.html"))) >= 8
    assert broken_references(run_dir) == []


def test_the_checker_finds_a_broken_link_and_a_missing_anchor(tmp_path):
    (tmp_path / "a.html").write_text(
        "<a href='b.html#there'>b</a><a href='b.html#nowhere'>x</a>"
        "<img src='figures/none.png'><a href='https://example.org'>out</a><a href='#top'>t</a>"
        "<h1 id='top'>a</h1>"
    )
    (tmp_path / "b.html").write_text("<h2 id='there'>b</h2>")
    assert broken_references(tmp_path) == [
        "a.html: <a> b.html#nowhere (no such anchor)",
        "a.html: <img> figures/none.png (no such file in the run)",
    ]


def test_the_index_answers_the_four_questions_in_order(smoke_run):
    _, run_dir = smoke_run
    index = _soup(run_dir / "index.html")
    sections = index.select("section.question")
    assert [s["id"] for s in sections][:4] == [q.key for q in QUESTIONS]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    linked = {a["href"].split("#")[0] for a in index.find_all("a", href=True)}
    for name in manifest["notebooks"]:
        assert f"{name}.html" in linked, f"index does not link {name}"
    for question, section in zip(QUESTIONS, sections):
        pages = [p for p in question.pages if p in manifest["notebooks"]]
        hrefs = {a["href"] for a in section.find_all("a", href=True)}
        assert {f"{p}.html" for p in pages} <= hrefs
        figure = section.select_one("figure.key img")
        if pages:
            assert figure is not None, f"{question.key}: no key figure"
            assert figure.parent.name == "a" and figure.parent["href"] == figure["src"]
        else:
            assert question.pending in section.get_text(" ")
    # every headline appears once, under its question
    said = " ".join(ul.get_text() for ul in index.select("ul.findings"))
    for _question, findings in findings_by_question(collected_numbers(run_dir)):
        for _, line in findings:
            assert said.count(line.replace("`", "")) == 1, line  # `code` shows as code
    text = index.get_text(" ")
    assert "Run facts" in text and manifest["run_id"] in text
    assert SUMMARY in manifest["notebooks"]


def test_every_page_is_styled_and_its_figures_open_full_size(smoke_run):
    _, run_dir = smoke_run
    opened = set()
    for page in sorted(run_dir.glob("*.html")):
        soup = _soup(page)
        assert soup.find("style", id="overdue-style") or page.name == "index.html"
        assert "--od-accent" in str(soup.find_all("style")), page.name
        opened |= {
            a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith("figures/")
        }
        if page.name != "index.html":
            assert soup.select_one("nav.overdue-bar a[href='index.html']"), page.name
    figures = {f"figures/{p.name}" for p in (run_dir / "figures").glob("*.png")}
    assert figures and figures <= opened, f"never opened full size: {sorted(figures - opened)}"


def test_numeric_columns_are_marked_for_right_alignment(smoke_run):
    _, run_dir = smoke_run
    page = _soup(run_dir / "00_data.html")
    sample = page.find_all("table", class_="dataframe")[-1]  # loans and defaults by year
    assert sample.find("td", class_="num") is not None
    assert sample.find("th", class_="num") is not None  # its header aligns with it


def _visible_text(path: Path) -> str:
    soup = _soup(path)
    for element in soup(["script", "style"]):
        element.decompose()
    return soup.get_text(" ") + " ".join(img.get("alt", "") for img in soup.find_all("img"))


def formula_syntax_shown(run_dir: Path) -> list[str]:
    """Where formula syntax shows: any HTML page's text, any CSV table's column other than one
    named for formulas (``term_formula``: kept for machines)."""
    found = []
    for page in sorted(run_dir.glob("*.html")):
        match = FORMULA.search(_visible_text(page))
        if match:
            found.append(f"{page.name}: {match.group(0)!r}")
    for table in sorted((run_dir / "tables").glob("*.csv")):
        with table.open(newline="") as handle:
            rows = list(csv.reader(handle))
        if not rows:
            continue
        for position, name in enumerate(rows[0]):
            if "formula" in name:
                continue
            cells = [row[position] for row in rows[1:] if position < len(row)]
            hit = next((cell for cell in cells if FORMULA.search(cell)), None)
            if hit is not None:
                found.append(f"{table.name}: column {name or '(index)'!r}: {hit[:60]!r}")
    return found


def test_no_page_or_table_label_shows_formula_syntax(smoke_run):
    _, run_dir = smoke_run
    assert formula_syntax_shown(run_dir) == []


def test_no_page_shows_where_the_server_keeps_files(smoke_run):
    root, run_dir = smoke_run
    for page in sorted(run_dir.glob("*.html")):
        text = _visible_text(page)
        assert "PosixPath(" not in text and str(root.resolve()) not in text, page.name
