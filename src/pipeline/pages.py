"""The run's HTML: each notebook's page without code, and ``index.html`` organised by the four
questions of the report's plan (:mod:`overdue.pipeline.plan`).

Both carry the one stylesheet (``style.css`` beside this module), inlined so a page reads the
same when mailed alone. Pages are nbconvert's HTML export, then adjusted with an HTML parser
(never by string surgery): table columns that hold only numbers are marked and aligned right,
each figure links to its full-size PNG in ``figures/``, and a bar at the top leads back to the
index. Every string of the index that comes from data or parameters is HTML-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

from overdue.io import atomic_path
from overdue.pipeline.plan import QUESTIONS, SUMMARY, findings_by_question, question_of, unplaced
from overdue.report import collected_numbers

#: How close (relative) a shown figure's aspect ratio must be to a saved PNG's to be its picture.
ASPECT_TOLERANCE = 0.05
#: Width over height above which a key figure goes under its findings, full width, not beside.
WIDE_FIGURE = 1.9
#: Seconds of slack around a cell's start and end when matching the PNGs it saved.
CLOCK_SLACK = 0.1

_NUM = r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+−]?\d+)?\s*(?:%|×|x|pp)?"
#: A number, with significance stars and an interval after it (``1.53*** (1.27–1.85)``).
_NUMBER = re.compile(rf"^{_NUM}\**(?:\s*[(\[]{_NUM}\s*(?:[–,]|-|to)\s*{_NUM}[)\]])?$|^[-+−]?inf$")
_NEUTRAL = {"", "nan", "NaN", "None", "NA", "<NA>", "NaT", "—", "–", "-"}


@cache
def stylesheet() -> str:
    """The report's stylesheet (index and pages)."""
    return resources.files("overdue.pipeline").joinpath("style.css").read_text()


def notebook_title(notebook) -> str | None:
    """The first level-1 heading of a notebook's markdown (its title), without markup.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 03 · Logit: *odds*")])
    >>> notebook_title(nb)
    '03 · Logit: odds'
    """
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return re.sub(r"[*_`]", "", line[2:]).strip()
    return None


def question_markdown(number: int, question, findings: list, present) -> str:
    """A question's part of the summary page, in Markdown: its title and what it asks, each
    finding with a link to its page, or what the section says while it has no page
    (``question`` None: the findings of pages the plan does not place).

    Examples
    --------
    >>> from overdue.pipeline.plan import QUESTIONS
    >>> print(question_markdown(2, QUESTIONS[1], [("03_logit", "AUC 0.66.")], ["03_logit"]))
    ... # doctest: +ELLIPSIS
    ## 2 · Causes
    <BLANKLINE>
    *Credit risk (FICO, ...*
    <BLANKLINE>
    - AUC 0.66. ([03_logit](03_logit.html))
    """
    if question is None:  # pages the plan does not place
        lines = ["## Pages not yet placed under a question", ""]
    else:
        lines = [f"## {number} · {question.title}", "", f"*{question.asks}*", ""]
        if not any(page in present for page in question.pages):
            lines += [question.pending, ""]
    lines += [f"- {text} ([{page}]({page}.html))" for page, text in findings]
    return "\n".join(lines).rstrip()


# -- pages ---------------------------------------------------------------------------------


def export_page(executed: Path, target: Path, run_dir: Path) -> str | None:
    """Write the HTML page of an executed notebook, without code, styled; return its title."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(executed), as_version=4)
    drop_path_results(notebook)
    title = notebook_title(notebook)
    links = figure_links(notebook, run_dir, executed.stem)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(notebook)
    soup = BeautifulSoup(body, "html.parser")
    _style_page(soup, executed.stem, title, links)
    with atomic_path(target) as tmp:
        tmp.write_text(str(soup))
    return title


_PATH_RESULT = re.compile(r"^(Posix|Windows)?Path\('[^']*'\)$")


def drop_path_results(notebook) -> int:
    """Drop the cell results that are only a file's path (a cell ending in
    ``out.save_figure(…)`` shows the path it wrote): a reader sees the figure, not where the
    server keeps it. Returns how many were dropped.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("out.save_figure(fig, 'x')")
    >>> cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "PosixPath('/r/x.png')"})]
    >>> drop_path_results(nbformat.v4.new_notebook(cells=[cell])), cell.outputs
    (1, [])
    """
    dropped = 0
    for cell in notebook.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if (
                output.get("output_type") == "execute_result"
                and set(data) == {"text/plain"}
                and _PATH_RESULT.match(str(data["text/plain"]).strip())
            ):
                dropped += 1
                continue
            kept.append(output)
        if "outputs" in cell:
            cell.outputs = kept
    return dropped


def _style_page(soup, stem: str, title: str | None, links: dict[str, str]) -> None:
    head = soup.head
    if soup.title is not None:
        soup.title.string = title or stem
    head.append(soup.new_tag("meta", attrs={"name": "viewport", "content": "width=device-width"}))
    style = soup.new_tag("style", attrs={"id": "overdue-style"})
    style.string = stylesheet()
    head.append(style)  # last, so it wins over the template's rules of equal weight

    soup.body["class"] = [*soup.body.get("class", []), "overdue-page"]
    nav = soup.new_tag("nav", attrs={"class": "overdue-bar"})
    home = soup.new_tag("a", href="index.html")
    home.string = "overdue report"
    nav.append(home)
    question = question_of(stem)
    if question is not None or stem == SUMMARY:
        nav.append(" › ")
        section = soup.new_tag(
            "a", href=f"index.html#{question.key}" if question else "index.html"
        )
        section.string = question.title if question else "Summary"
        nav.append(section)
    soup.body.insert(0, nav)

    for table in soup.find_all("table"):
        if "gt_table" not in (table.get("class") or []):  # great-tables aligns its own
            mark_numeric_columns(table)
    for image in soup.find_all("img"):
        source = image.get("src", "")
        if not source.startswith("data:image/png;base64,"):
            continue
        figure = links.get(_normalise(source.split(",", 1)[1]))
        if figure and image.parent.name != "a":
            link = soup.new_tag(
                "a", href=figure, attrs={"class": "figure-link", "title": "open full size"}
            )
            image.wrap(link)


def mark_numeric_columns(table) -> set[int]:
    """Add class ``num`` to every cell of the columns whose body cells are all numbers (blank
    and NaN cells aside), spans taken into account; return those columns' positions.

    Examples
    --------
    >>> from bs4 import BeautifulSoup
    >>> t = BeautifulSoup("<table><tr><th>a</th><th>b</th></tr><tr><td>x</td><td>1,234.5</td>"
    ...                   "</tr><tr><td>y</td><td>nan</td></tr></table>", "html.parser").table
    >>> mark_numeric_columns(t), [c.get("class") for c in t.find_all("td")]
    ({1}, [None, ['num'], None, ['num']])
    >>> [bool(_NUMBER.match(s)) for s in ["1.53*** (1.27–1.85)", "[0.59, 0.65]", "4.5%", "A"]]
    [True, True, True, False]
    """
    rows = table.find_all("tr")
    head_rows = [r for r in rows if r.find_parent("thead") is not None]
    body_rows = [r for r in rows if r.find_parent("thead") is None]
    if not table.find("thead"):  # a header row of th cells only
        while body_rows and not body_rows[0].find("td"):
            head_rows.append(body_rows.pop(0))
    body = _grid(body_rows)
    verdict: dict[int, bool] = {}
    for cell, column, span in body:
        if cell.name != "td" or span != 1:
            continue
        text = cell.get_text(" ", strip=True)
        if text in _NEUTRAL:
            continue
        is_number = bool(_NUMBER.match(text)) and (any(map(str.isdigit, text)) or "inf" in text)
        verdict[column] = verdict.get(column, True) and is_number
    numeric = {column for column, is_number in verdict.items() if is_number}
    for cell, column, span in _grid(head_rows) + body:
        if span == 1 and column in numeric and (cell.name == "td" or cell in _heads(head_rows)):
            cell["class"] = [*(cell.get("class") or []), "num"]
    return numeric


def _heads(rows) -> list:
    return [cell for row in rows for cell in row.find_all(["th", "td"], recursive=False)]


def _grid(rows) -> list[tuple[object, int, int]]:
    """(cell, column position, column span) of each cell of ``rows``, rowspans and colspans
    pushing the later cells right as a browser lays them out."""
    taken: set[tuple[int, int]] = set()
    cells = []
    for r, row in enumerate(rows):
        column = 0
        for cell in row.find_all(["td", "th"], recursive=False):
            while (r, column) in taken:
                column += 1
            rowspan, colspan = (_span(cell, "rowspan"), _span(cell, "colspan"))
            taken |= {(r + i, column + j) for i in range(rowspan) for j in range(colspan)}
            cells.append((cell, column, colspan))
            column += colspan
    return cells


def _span(cell, name: str) -> int:
    try:
        return max(1, int(cell.get(name, 1)))
    except (TypeError, ValueError):
        return 1


def _normalise(payload: str) -> str:
    return re.sub(r"\s+", "", payload)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def figure_links(notebook, run_dir: Path, stem: str) -> dict[str, str]:
    """Which saved PNG (``figures/…``) each picture a notebook shows is, by the picture's base64.

    A picture whose bytes are a saved PNG's (``IPython.display.Image`` of a file: the summary)
    is that file. Otherwise a picture matplotlib drew inline is the PNG its own cell saved
    (``RunOutput.save_figure``: ``figures/<notebook>_*.png`` written between the cell's start
    and end, as papermill recorded them) with the closest aspect ratio, within
    :data:`ASPECT_TOLERANCE`; a picture no saved PNG matches gets no link.
    """
    folder = run_dir / "figures"
    saved = sorted(folder.glob("*.png")) if folder.is_dir() else []
    by_digest = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in saved}
    own = []
    for path in saved:
        if path.name.startswith(f"{stem}_"):
            size = _png_size(path.read_bytes()[:24])
            if size and size[1]:
                own.append((path, path.stat().st_mtime, size[0] / size[1]))
    links: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        window = _cell_window(cell)
        candidates = [
            entry
            for entry in own
            if window and window[0] - CLOCK_SLACK <= entry[1] <= window[1] + CLOCK_SLACK
        ]
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get("image/png")
            if not payload:
                continue
            payload = _normalise(payload)
            data = base64.b64decode(payload)
            exact = by_digest.get(hashlib.sha256(data).hexdigest())
            if exact is not None:
                links[payload] = f"figures/{exact.name}"
                continue
            size = _png_size(data)
            if not size or not size[1] or not candidates:
                continue
            ratio = size[0] / size[1]
            best = min(candidates, key=lambda entry: abs(entry[2] / ratio - 1))
            if abs(best[2] / ratio - 1) <= ASPECT_TOLERANCE:
                links[payload] = f"figures/{best[0].name}"
                candidates.remove(best)
    return links


def _cell_window(cell) -> tuple[float, float] | None:
    timing = cell.get("metadata", {}).get("papermill", {})
    try:
        return (
            datetime.fromisoformat(timing["start_time"]).timestamp(),
            datetime.fromisoformat(timing["end_time"]).timestamp(),
        )
    except (KeyError, TypeError, ValueError):
        return None


# -- the index -----------------------------------------------------------------------------


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _finding(line: str) -> str:
    """A headline as HTML: escaped, its `code` spans set as code.

    >>> _finding("run `overdue build` <now>")
    'run <code>overdue build</code> &lt;now&gt;'
    """
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _esc(line))


def _page_link(name: str, info: dict, anchor: str = "", text: str | None = None) -> str:
    label = text or info.get("title") or name
    return f"<a href='{_esc(name)}.html{_esc(anchor)}'>{_esc(label)}</a>"


def _short_link(name: str, info: dict) -> str:
    """A link to a page named by its title's head ("05 · Causes")."""
    return _page_link(name, info, text=(info.get("title") or name).split(":", 1)[0])


def _table(frame, css_class: str, header: bool = True) -> str:
    """A small table of run facts, rendered (and escaped) by pandas, numbers aligned right."""
    from bs4 import BeautifulSoup

    rendered = frame.to_html(
        index=False, header=header, escape=True, border=0, classes=css_class, na_rep=""
    )
    soup = BeautifulSoup(rendered, "html.parser")
    mark_numeric_columns(soup.table)
    return str(soup)


def write_index(run_dir: Path, manifest: dict) -> Path:
    """``index.html``: the four questions, each with its headline findings, key figure and
    pages; then pages the plan does not place; run facts at the foot.

    Every string that came from data or parameters is HTML-escaped.
    """
    run_dir = Path(run_dir)
    numbers = collected_numbers(run_dir)
    pages = manifest.get("notebooks", {})
    figures_dir = run_dir / "figures"
    figures = sorted(p.name for p in figures_dir.glob("*.png")) if figures_dir.is_dir() else []
    run_id = manifest.get("run_id", run_dir.name)

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'>"
        f"<title>overdue report · {_esc(run_id)}</title>"
        f"<style>{stylesheet()}</style></head><body class='overdue-index'>",
        "<header class='masthead'><p class='kicker'>overdue · report</p>"
        "<h1>Why do consumer loans go overdue?</h1>",
    ]
    if manifest.get("description"):
        parts.append(f"<p class='lede'>{_finding(manifest['description'])}</p>")
    parts.append("<nav class='questions'><ol>")
    parts += [f"<li><a href='#{q.key}'>{_esc(q.title)}</a></li>" for q in QUESTIONS]
    parts.append("</ol>")
    if SUMMARY in pages:
        parts.append(f"<p>All findings on one page: {_page_link(SUMMARY, pages[SUMMARY])}.</p>")
    studies = other_studies(run_dir, manifest)
    if studies:
        links = "; ".join(f"<a href='{_esc(href)}'>{_esc(text)}</a>" for href, text in studies)
        parts.append(f"<p>Published beside this study: {links}.</p>")
    parts.append("</nav></header><main>")

    for number, (question, findings) in enumerate(findings_by_question(numbers), 1):
        if question is None:
            continue
        in_run = [p for p in question.pages if p in pages]
        looks = [look for look in question.first_looks if look.page in pages]
        figure = next((f for f in question.key_figures if f"{f}.png" in figures), None)
        layout = ""
        if figure:  # beside the findings, or under them when it is panels side by side
            size = _png_size((figures_dir / f"{figure}.png").read_bytes()[:24])
            wide = bool(size and size[1] and size[0] / size[1] > WIDE_FIGURE)
            layout = " with-wide-figure" if wide else " with-figure"
        parts.append(
            f"<section class='question' id='{question.key}'>"
            f"<h2><span class='number'>{number}</span>{_esc(question.title)}</h2>"
            f"<p class='asks'>{_esc(question.asks)}</p>"
            f"<div class='answer{layout}'><div class='text'>"
        )
        if not in_run:
            parts.append(f"<p class='pending'>{_esc(question.pending)}</p>")
        if findings:
            parts.append("<h3>Headline findings</h3><ul class='findings'>")
            parts += [
                f"<li>{_finding(line)} <span class='source'>— "
                f"{_short_link(page, pages.get(page, {}))}</span></li>"
                for page, line in findings
            ]
            parts.append("</ul>")
        if in_run or looks:
            parts.append("<h3>Pages</h3><ul class='pages'>")
            said = {line for _, line in findings}
            parts += [f"<li>{_page_entry(p, pages[p], said)}</li>" for p in in_run]
            parts += [
                f"<li>{_page_link(look.page, pages[look.page], '#' + look.anchor, look.text)}</li>"
                for look in looks
            ]
            parts.append("</ul>")
        parts.append("</div>")
        if figure:
            owner = next((p for p in pages if figure.startswith(f"{p}_")), figure)
            parts.append(
                "<figure class='key'>"
                f"<a href='figures/{_esc(figure)}.png' title='open full size'>"
                f"<img src='figures/{_esc(figure)}.png' alt='{_esc(figure)}'></a>"
                f"<figcaption>Key figure, from {_short_link(owner, pages.get(owner, {}))} "
                "(click to open it full size).</figcaption>"
                "</figure>"
            )
        parts.append("</div></section>")

    others = unplaced([p for p in pages])
    others_findings = next((lines for q, lines in findings_by_question(numbers) if q is None), [])
    if others or others_findings:
        parts.append(
            "<section class='question' id='unplaced'><h2>Pages not yet placed under a question"
            "</h2><p class='asks'>The report's plan (<code>overdue/pipeline/plan.py</code>) does "
            "not place these pages yet.</p><div class='text'><ul class='findings'>"
        )
        parts += [
            f"<li>{_finding(line)} <span class='source'>— "
            f"{_short_link(page, pages.get(page, {}))}</span></li>"
            for page, line in others_findings
        ]
        parts.append("</ul><ul class='pages'>")
        said = {line for _, line in others_findings}
        parts += [f"<li>{_page_entry(p, pages[p], said)}</li>" for p in others]
        parts.append("</ul></div></section>")

    parts.append("</main>")
    parts.append(_run_facts(run_dir, manifest, figures))
    parts.append("</body></html>")
    target = run_dir / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(parts))
    return target


def other_studies(run_dir: Path, manifest: dict) -> list[tuple[str, str]]:
    """(link, description) of each study published by the same ``overdue run`` as this one
    (``manifest["beside"]``: the runs of its other configs that succeeded), for the index."""
    return [
        (
            f"../{other['run_id']}/index.html",
            _first_clause(other.get("description")) or other["run_id"],
        )
        for other in manifest.get("beside") or []
        if other.get("run_id")
    ]


def _first_clause(text) -> str:
    """A config's description up to its first aside or full stop (a link's text).

    >>> _first_clause("Overdue as it happens: the Taiwan panel (30,000 accounts) on the page.")
    'Overdue as it happens: the Taiwan panel'
    """
    return re.split(r" \(|\. |\.$", str(text or "").strip(), maxsplit=1)[0]


def _page_entry(name: str, info: dict, said=frozenset()) -> str:
    entry = _page_link(name, info)
    if info.get("status") == "stopped":
        reason = info.get("reason", "")
        # the reason is usually among the headline findings already (RunOutput.stop_unless)
        detail = "" if reason in said else f": {_esc(reason)}"
        entry += f" <span class='status'>stopped early{detail}</span>"
    return entry


def _when(stamp) -> str | None:
    """An ISO time as a reader reads it (``2026-12-02 01:42:06 UTC``)."""
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None if stamp is None else str(stamp)
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return f"{moment:%Y-%m-%d %H:%M:%S}{zone}"


def _digest(sums: dict[str, str]) -> str:
    lines = "\n".join(f"{path} {value}" for path, value in sorted(sums.items()))
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


def _run_facts(run_dir: Path, manifest: dict, figures: list[str]) -> str:
    import pandas as pd

    git = manifest.get("git") or {}
    commit = str(git.get("commit"))[:12] + (
        " (with uncommitted changes)" if git.get("dirty") else ""
    )
    seconds = manifest.get("seconds")
    run = pd.DataFrame(
        [
            ("run", manifest.get("run_id")),
            ("config", manifest.get("config")),
            ("commit", commit),
            ("started", _when(manifest.get("started"))),
            ("finished", _when(manifest.get("finished"))),
            ("duration", f"{seconds:.1f} s" if isinstance(seconds, int | float) else seconds),
            ("notebooks at once", manifest.get("max_workers")),
        ],
        columns=["", "value"],
    ).dropna()
    pages = pd.DataFrame(
        [
            (
                name,
                info.get("title") or "",
                info.get("status"),
                info.get("started_after"),
                info.get("seconds"),
            )
            for name, info in manifest.get("notebooks", {}).items()
        ],
        columns=["page", "title", "status", "started after (s)", "seconds"],
    )
    data = manifest.get("data") or {}
    raw = data.get("raw") or {}
    groups: dict[str, dict] = {}
    for path, value in raw.items():
        groups.setdefault(path.split("/", 1)[0], {})[path] = value
    checksums = pd.DataFrame(
        [(f"raw: {group}/", len(sums), _digest(sums)) for group, sums in sorted(groups.items())]
        + [
            (f"processed: {name}", 1, str(value)[:16])
            for name, value in sorted((data.get("processed") or {}).items())
        ],
        columns=["data", "files", "SHA-256 (of the files' sums, first 16)"],
    )
    parameters = pd.DataFrame(
        [
            (name, json.dumps(value, ensure_ascii=False, default=str))
            for name, value in sorted((manifest.get("parameters") or {}).items())
        ],
        columns=["parameter", "value"],
    )
    packages = " · ".join(
        f"{name} {version}" for name, version in (manifest.get("packages") or {}).items()
    )
    tables_dir = run_dir / "tables"
    tables = sorted(p.name for p in tables_dir.iterdir()) if tables_dir.is_dir() else []
    parts = [
        "<footer id='run-facts'><h2>Run facts</h2><div class='facts'>",
        f"<div><h3>Run</h3>{_table(run, 'fact-table', header=False)}</div>",
        f"<div><h3>Data checksums</h3>{_table(checksums, 'fact-table')}"
        "<p class='note'>Every file's SHA-256 is in <a href='manifest.json'>manifest.json</a>."
        "</p></div>",
        f"<div><h3>Parameters</h3>{_table(parameters, 'fact-table')}</div>",
        f"<div class='wide'><h3>Pages</h3>{_table(pages, 'fact-table')}</div>",
        "</div>",
        f"<p class='note'>Packages: {_esc(packages)}.</p>" if packages else "",
        f"<details><summary>All figures ({len(figures)})</summary><ul class='files'>",
    ]
    parts += [f"<li><a href='figures/{_esc(name)}'>{_esc(name)}</a></li>" for name in figures]
    parts.append(f"</ul></details><details><summary>All tables ({len(tables)})</summary>")
    parts.append("<ul class='files'>")
    parts += [f"<li><a href='tables/{_esc(name)}'>{_esc(name)}</a></li>" for name in tables]
    parts.append("</ul></details></footer>")
    return "\n".join(parts)
