"""The report runner behind ``overdue run``: execute the notebooks in order with papermill.

A run writes only into its own folder ``reports/<run-id>/`` (executed notebooks, HTML without
code, figures, tables, recorded numbers, ``index.html``, ``manifest.json``), so two runs at once
cannot touch each other's files. Only a successful run moves ``reports/latest`` to itself, by an
atomic symlink swap under a lock the operating system releases even if the process is killed.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import platform
import secrets
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import yaml

from overdue.errors import ConfigError, OverdueError
from overdue.io import atomic_path, exclusive_lock, read_yaml_mapping
from overdue.paths import project_root
from overdue.report import collected_numbers

#: Packages whose versions every manifest records.
RECORDED_PACKAGES = [
    "overdue",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pyarrow",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "dask",
    "lifelines",
]


class NotebookFailed(OverdueError):
    """A notebook raised; the message names the notebook and the cell."""


def notebooks_in(folder: Path) -> list[Path]:
    """The report's notebooks, in order: ``NN_name.ipynb`` sorted by name."""
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise ConfigError(f"{folder}: no notebooks named NN_*.ipynb")
    return found


def declared_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its cell tagged ``parameters`` (papermill)."""
    import papermill

    try:
        return papermill.inspect_notebook(str(notebook))
    except (ValueError, KeyError) as error:  # no kernelspec, unreadable JSON …
        raise ConfigError(f"{notebook}: cannot read its parameters: {error}") from None


def read_config(path: str | os.PathLike | None) -> dict:
    """Parameters from a YAML config (``parameters:`` mapping; optional ``notebooks:`` list).

    Examples
    --------
    >>> read_config(None)
    {'parameters': {}, 'notebooks': None}
    """
    if path is None:
        return {"parameters": {}, "notebooks": None}
    content = read_yaml_mapping(path, "config", {"parameters", "notebooks", "description"})
    if not isinstance(content.get("parameters") or {}, dict):
        raise ConfigError(f"{path}: 'parameters:' must be a mapping of name: value")
    return {"parameters": content.get("parameters") or {}, "notebooks": content.get("notebooks")}


def parse_overrides(pairs: list[str]) -> dict:
    """``["sample_frac=0.05", "seed=7"]`` -> ``{"sample_frac": 0.05, "seed": 7}`` (YAML scalars).

    Examples
    --------
    >>> parse_overrides(["sample_frac=0.05", "cluster=addr_state", "overdue_statuses=[]"])
    {'sample_frac': 0.05, 'cluster': 'addr_state', 'overdue_statuses': []}
    """
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"parameter {pair!r} must be written key=value")
        try:
            parsed[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as error:
            raise ConfigError(
                f"parameter {pair!r}: value is not a YAML literal ({error})"
            ) from None
    return parsed


def _check_parameters(parameters: dict, declared: dict[Path, dict]) -> None:
    known = set().union(*[set(d) for d in declared.values()])
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ConfigError(
            f"parameter(s) {', '.join(unknown)} not declared by any notebook "
            f"(known: {', '.join(sorted(known))})"
        )


def _git_commit(root: Path) -> dict:
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True
        ).stdout.strip()

    commit = git("rev-parse", "HEAD") or None
    return {"commit": commit, "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def _versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def _data_checksums(root: Path, parameters: dict) -> dict:
    from overdue.data.fetch import read_checksums, sha256_of

    data_dir, raw_dir = (
        root / parameters.get(name, default)  # an absolute path stays as it is
        for name, default in [("data_dir", "data/processed"), ("raw_dir", "data/raw")]
    )
    processed = {
        p.name: sha256_of(p)
        for p in sorted(data_dir.glob("*.parquet"))
        if p.name in ("loans.parquet", "macro.parquet")
    }
    return {"raw": read_checksums(raw_dir), "processed": processed}


def _html_without_code(executed: Path, target: Path) -> None:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_filename(str(executed))
    with atomic_path(target) as tmp:
        tmp.write_text(body)


def _point_latest_at(reports: Path, run_dir: Path) -> None:
    with exclusive_lock(reports):
        link = reports / "latest"
        tmp = reports / f".latest.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(run_dir.name)
        os.replace(tmp, link)  # atomic: readers see the old run or the new, never neither


def _write_json(path: Path, content: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(content, indent=1, sort_keys=True, default=str) + "\n")


def run_report(
    config: str | os.PathLike | None = None,
    overrides: dict | None = None,
    root: str | os.PathLike | None = None,
    run_id: str | None = None,
    kernel_name: str = "python3",
    echo=print,
) -> Path:
    """Run every notebook with the config's parameters (plus ``overrides``) into a new run folder.

    Parameters
    ----------
    config : path, optional
        YAML config with ``parameters:``.
    overrides : dict, optional
        Parameters that take precedence over the config (``-p key=value``).
    root : path, optional
        Project root (default: found from the working directory).
    run_id : str, optional
        Name of the run folder (default: UTC time and a random suffix).
    kernel_name : str
        Jupyter kernel to execute with.
    echo : callable
        Where progress lines go.

    Returns
    -------
    pathlib.Path
        The run folder (``reports/latest`` now points at it).

    Raises
    ------
    ConfigError
        A bad config or a parameter no notebook declares — before anything runs.
    NotebookFailed
        A notebook raised: names the notebook and the cell; ``reports/latest`` is unchanged and
        the failed executed notebook stays in the run folder.

    Examples
    --------
    >>> run_report("configs/smoke.yaml")  # doctest: +SKIP
    """
    root = Path(root) if root else project_root()
    settings = read_config(config)
    parameters = {**settings["parameters"], **(overrides or {})}
    if "output_dir" in parameters:
        raise ConfigError(
            "output_dir is set by the runner (each run writes only into reports/<run-id>)"
        )
    notebooks = notebooks_in(root / "notebooks")
    if settings["notebooks"]:
        wanted = set(settings["notebooks"])
        notebooks = [nb for nb in notebooks if nb.stem in wanted]
    declared = {nb: declared_parameters(nb) for nb in notebooks}
    _check_parameters(parameters, declared)

    reports = root / "reports"
    run_id = run_id or f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    run_dir = reports / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    (run_dir / "notebooks").mkdir()
    manifest = {
        "run_id": run_id,
        "status": "running",
        "config": str(config) if config else None,
        "parameters": parameters,
        "started": datetime.now(UTC).isoformat(),
        "git": _git_commit(root),
        "packages": _versions(),
        "data": _data_checksums(root, parameters),
        "notebooks": {},
    }
    _write_json(run_dir / "manifest.json", manifest)
    echo(f"run {run_id}: {len(notebooks)} notebooks -> {run_dir}")
    run_started = time.perf_counter()
    try:
        with _sigterm_as_interrupt():
            _execute_all(
                notebooks, declared, parameters, run_dir, root, kernel_name, manifest, echo
            )
    except KeyboardInterrupt:
        manifest.update(status="interrupted", finished=datetime.now(UTC).isoformat())
        _write_json(run_dir / "manifest.json", manifest)
        raise
    manifest.update(
        status="ok",
        finished=datetime.now(UTC).isoformat(),
        seconds=round(time.perf_counter() - run_started, 2),
    )
    _write_json(run_dir / "manifest.json", manifest)
    write_index(run_dir, manifest)
    _point_latest_at(reports, run_dir)
    echo(f"run {run_id} ok in {manifest['seconds']:.0f} s: {run_dir / 'index.html'}")
    return run_dir


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Turn SIGTERM (a scheduler's stop) into KeyboardInterrupt, so the kernel is shut down and
    the manifest says 'interrupted'; SIGKILL cannot be caught, and needs nothing: the run wrote
    only into its own folder and reports/latest still points at the last good run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _execute_all(notebooks, declared, parameters, run_dir, root, kernel_name, manifest, echo):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    for number, notebook in enumerate(notebooks, 1):
        own = {k: v for k, v in parameters.items() if k in declared[notebook]}
        if "output_dir" in declared[notebook]:
            own["output_dir"] = str(run_dir)
        executed = run_dir / "notebooks" / notebook.name
        started = time.perf_counter()
        echo(f"[{number}/{len(notebooks)}] {notebook.stem} …")
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=own,
                kernel_name=kernel_name,
                cwd=str(root),
                progress_bar=False,
                log_output=False,
            )
        except PapermillExecutionError as error:
            seconds = time.perf_counter() - started
            if error.ename == "NotApplicable":
                # The page said, once, why these data cannot answer it: publish it with that
                # reason in place of the stopped cell's traceback, and go on.
                _replace_error_by_reason(executed, error.evalue)
                _html_without_code(executed, run_dir / f"{notebook.stem}.html")
                manifest["notebooks"][notebook.stem] = {
                    "seconds": round(seconds, 2),
                    "status": "stopped",
                    "reason": error.evalue,
                }
                _write_json(run_dir / "manifest.json", manifest)
                echo(f"[{number}/{len(notebooks)}] {notebook.stem} stopped early: {error.evalue}")
                continue
            manifest["notebooks"][notebook.stem] = {
                "seconds": round(seconds, 2),
                "status": "failed",
            }
            manifest.update(
                status="failed",
                failed_notebook=notebook.stem,
                failed_cell=error.exec_count,
                error=f"{error.ename}: {error.evalue}",
            )
            _write_json(run_dir / "manifest.json", manifest)
            first_line = (error.source or "").strip().splitlines()[:1] or [""]
            raise NotebookFailed(
                f"notebook {notebook.name} failed in cell [{error.exec_count}] "
                f"`{first_line[0][:80]}` ({error.ename}: {error.evalue}); executed copy kept at {executed}; "
                "reports/latest unchanged"
            ) from None
        _html_without_code(executed, run_dir / f"{notebook.stem}.html")
        seconds = time.perf_counter() - started
        manifest["notebooks"][notebook.stem] = {"seconds": round(seconds, 2), "status": "ok"}
        _write_json(run_dir / "manifest.json", manifest)
        echo(f"[{number}/{len(notebooks)}] {notebook.stem} done in {seconds:.1f} s")


def _replace_error_by_reason(executed: Path, reason: str) -> None:
    """Drop papermill's error banner from an executed notebook and show ``reason`` instead of
    the stopped cell's traceback."""
    import nbformat

    notebook = nbformat.read(str(executed), as_version=4)
    notebook.cells = [
        cell
        for cell in notebook.cells
        if "papermill-error-cell-tag" not in cell.get("metadata", {}).get("tags", [])
    ]
    for cell in notebook.cells:
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            cell.outputs = [
                output for output in cell.outputs if output.get("output_type") != "error"
            ]
            cell.outputs.append(
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/markdown": f"**Not applicable to these data:** {reason}",
                        "text/plain": f"Not applicable to these data: {reason}",
                    },
                )
            )
    with atomic_path(executed) as tmp:
        nbformat.write(notebook, str(tmp))


INDEX_STYLE = (
    "body{font-family:sans-serif;max-width:70em;margin:2em auto;line-height:1.4}"
    "img{width:31%;margin:.3em;border:1px solid #ddd;vertical-align:top}"
    "td,th{padding:.2em .8em;text-align:left}"
)


def write_index(run_dir: Path, manifest: dict) -> Path:
    """``index.html``: headline findings, links to each notebook's page, figures and tables.

    Every string that came from data or parameters is HTML-escaped.
    """
    headlines = [h for nb in collected_numbers(run_dir).values() for h in nb.get("headline", [])]
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>overdue report "
        f"{esc(manifest['run_id'])}</title><style>{INDEX_STYLE}</style></head><body>",
        "<h1>Why do consumer loans go overdue?</h1>",
        f"<p>Run <code>{esc(manifest['run_id'])}</code>, commit "
        f"<code>{esc(str(manifest['git'].get('commit')))}</code>, finished "
        f"{esc(str(manifest.get('finished')))} in {manifest.get('seconds')} s.</p>",
        "<h2>Headline findings</h2><ul>",
    ]
    parts += [f"<li>{esc(str(h))}</li>" for h in headlines] or ["<li>(no headline recorded)</li>"]
    parts.append("</ul><h2>Notebooks</h2><table><tr><th>notebook</th><th>seconds</th></tr>")
    for name, info in manifest["notebooks"].items():
        status = "" if info.get("status") == "ok" else f" (stopped early: {esc(info['reason'])})"
        parts.append(
            f"<tr><td><a href='{esc(name)}.html'>{esc(name)}</a>{status}</td>"
            f"<td>{info['seconds']}</td></tr>"
        )
    parts.append("</table><h2>Figures</h2><p>")
    for figure in sorted((run_dir / "figures").glob("*.png")):
        rel = f"figures/{figure.name}"
        parts.append(f"<a href='{esc(rel)}'><img src='{esc(rel)}' alt='{esc(figure.stem)}'></a>")
    parts.append("</p><h2>Tables</h2><ul>")
    for table in sorted((run_dir / "tables").glob("*.csv")):
        parts.append(f"<li><a href='tables/{esc(table.name)}'>{esc(table.stem)}</a></li>")
    parts.append("</ul><h2>Parameters</h2><table>")
    for key, value in sorted(manifest["parameters"].items()):
        parts.append(f"<tr><td>{esc(key)}</td><td>{esc(repr(value))}</td></tr>")
    parts.append(
        "</table><p><a href='manifest.json'>manifest.json</a> (data checksums, package "
        "versions, timings)</p></body></html>"
    )
    target = run_dir / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text("\n".join(parts))
    return target
