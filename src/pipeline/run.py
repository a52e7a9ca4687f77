"""The report runner behind ``overdue run``: execute the notebooks with papermill, concurrently.

Notebooks that do not read each other's outputs run at the same time, up to ``max_workers``
kernels (default: the cores this process may use); a page that reads others' outputs
(:data:`overdue.pipeline.plan.NEEDS`: the summary) starts once they finished. Each kernel gets
``cores // max_workers`` BLAS threads, so concurrent kernels do not oversubscribe the cores.

A run writes only into its own folder ``reports/<run-id>/`` (executed notebooks, HTML without
code, figures, tables, recorded numbers, ``index.html``, ``manifest.json``), so two runs at once
cannot touch each other's files. Only a successful run moves ``reports/latest`` to itself, by an
atomic symlink swap under a lock the operating system releases even if the process is killed.
A failing notebook stops the run: the notebooks running beside it are stopped (``cancelled`` in
the manifest) and none is started after it. SIGINT or SIGTERM stops every kernel and marks the
manifest ``interrupted``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import queue
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import yaml

from overdue.errors import ConfigError, OverdueError
from overdue.io import atomic_path, exclusive_lock, read_yaml_mapping
from overdue.paths import project_root
from overdue.pipeline.pages import export_page, write_index
from overdue.pipeline.plan import start_after

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

#: Where a kernel draws its figures: inline, so every page carries them, whatever backend the
#: scheduler's environment names (tests set MPLBACKEND=Agg, which would publish pages without).
KERNEL_MPLBACKEND = "module://matplotlib_inline.backend_inline"

#: Thread-count variables of the BLAS and OpenMP libraries numpy and scipy may use, and the
#: count each kernel gets unless the environment sets them: one, so that concurrent kernels do
#: not oversubscribe the cores, and so that a run's numbers are the same to the last digit
#: however many notebooks run at once and however many cores the machine has (a BLAS splits
#: its sums by thread, which moves the last digits of a large fit).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
KERNEL_THREADS = "1"


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


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def read_config(path: str | os.PathLike | None) -> dict:
    """A YAML config: ``parameters:`` (name: value), optional ``notebooks:`` (names to run),
    ``max_workers:`` (kernels at once) and ``description:``.

    Examples
    --------
    >>> read_config(None)
    {'parameters': {}, 'notebooks': None, 'max_workers': None, 'description': None}
    """
    if path is None:
        return {"parameters": {}, "notebooks": None, "max_workers": None, "description": None}
    content = read_yaml_mapping(
        path, "config", {"parameters", "notebooks", "description", "max_workers"}
    )
    if not isinstance(content.get("parameters") or {}, dict):
        raise ConfigError(f"{path}: 'parameters:' must be a mapping of name: value")
    return {
        "parameters": content.get("parameters") or {},
        "notebooks": content.get("notebooks"),
        "max_workers": content.get("max_workers"),
        "description": content.get("description"),
    }


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


def _check_workers(value, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: max_workers must be a whole number ≥ 1, got {value!r}")
    return value


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


def latest_names(config: str | os.PathLike | None) -> list[str]:
    """The pointers a successful run moves: ``latest``, and ``latest-<config>`` for a run from a
    config (so each study's last good run stays one name away when several are published).

    Examples
    --------
    >>> latest_names("configs/taiwan.yaml"), latest_names(None)
    (['latest', 'latest-taiwan'], ['latest'])
    """
    return ["latest"] + ([f"latest-{Path(config).stem}"] if config else [])


def _point_latest_at(reports: Path, run_dir: Path, names=("latest",)) -> None:
    with exclusive_lock(reports):
        for name in names:
            tmp = reports / f".{name}.{os.getpid()}"
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(run_dir.name)
            os.replace(tmp, reports / name)  # atomic: readers see the old run or the new


def _write_json(path: Path, content: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(content, indent=1, sort_keys=True, default=str) + "\n")


def _previous_seconds(reports: Path, config=None) -> dict[str, float]:
    """Each notebook's time in the config's last successful run, and for a notebook that run
    did not have, in the last successful run of any config (to start the longest first)."""
    seconds: dict[str, float] = {}
    for name in ["latest", *latest_names(config)[1:]]:  # the config's own times win
        try:
            previous = json.loads((reports / name / "manifest.json").read_text())
            seconds |= {nb: float(info["seconds"]) for nb, info in previous["notebooks"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return seconds


def run_report(
    config: str | os.PathLike | None = None,
    overrides: dict | None = None,
    root: str | os.PathLike | None = None,
    run_id: str | None = None,
    kernel_name: str = "python3",
    echo=print,
    max_workers: int | None = None,
) -> Path:
    """Run every notebook with the config's parameters (plus ``overrides``) into a new run folder.

    Parameters
    ----------
    config : path, optional
        YAML config with ``parameters:`` (and optionally ``notebooks:``, ``max_workers:``).
    overrides : dict, optional
        Parameters that take precedence over the config (``-p key=value``).
    root : path, optional
        Project root (default: found from the working directory).
    run_id : str, optional
        Name of the run folder (default: UTC time and a random suffix).
    kernel_name : str
        Jupyter kernel to execute with.
    echo : callable
        Where progress lines go (called from one thread at a time).
    max_workers : int, optional
        Notebooks executed at once (default: the config's ``max_workers``, else the number of
        cores). 1 runs them one after another, in order.

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
    KeyboardInterrupt
        SIGINT or SIGTERM: every kernel is stopped and the manifest says ``interrupted``.

    Examples
    --------
    >>> run_report("configs/smoke.yaml", max_workers=2)  # doctest: +SKIP
    """
    return run_reports(
        [config],
        overrides,
        root,
        run_id,
        kernel_name=kernel_name,
        echo=echo,
        max_workers=max_workers,
    )[0]


def run_reports(
    configs: list,
    overrides: dict | None = None,
    root: str | os.PathLike | None = None,
    run_id: str | None = None,
    kernel_name: str = "python3",
    echo=print,
    max_workers: int | None = None,
) -> list[Path]:
    """Several studies at once: one run folder per config, their notebooks sharing one pool of
    ``max_workers`` kernels, so that one study's long page runs beside the other's pages.

    Each run is what :func:`run_report` makes of its config, and succeeds or fails alone: a
    failing notebook stops its own run only; the others publish. Every config is checked before
    anything runs. ``reports/latest`` ends on the last config's run when it succeeded (list the
    main study last); ``reports/latest-<config>`` on each config's.

    Parameters
    ----------
    configs : list of path or None
        The configs, in order.
    run_id : str, optional
        The run folder's name for one config; for several, each is ``<run_id>-<config name>``.
    overrides, root, kernel_name, echo, max_workers
        As for :func:`run_report` (the default ``max_workers`` is the smallest any config sets,
        else the number of cores).

    Returns
    -------
    list of pathlib.Path
        The run folders, in the configs' order.

    Raises
    ------
    NotebookFailed
        After the other runs published: the first notebook that failed.
    """
    root = Path(root) if root else project_root()
    if not configs:
        configs = [None]
    plans = [_prepare(config, overrides, root) for config in configs]
    set_by_configs = [w for plan in plans if (w := plan["max_workers"]) is not None]
    workers = (
        _check_workers(max_workers, "max_workers")
        or (min(set_by_configs) if set_by_configs else None)
        or available_cores()
    )
    reports = root / "reports"
    stamp = f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    base = run_id or stamp
    names = [
        base if len(plans) == 1 else f"{base}-{Path(p['config']).stem if p['config'] else i}"
        for i, p in enumerate(plans)
    ]
    previous = {
        name: _previous_seconds(reports, plan["config"]) for name, plan in zip(names, plans)
    }
    lock = threading.Lock()
    done: queue.Queue = queue.Queue()
    runs = []
    taken = [name for name in names if (reports / name).exists()]
    if taken:
        raise ConfigError(f"{reports / taken[0]} exists: choose another --run-id")
    for name, plan in zip(names, plans):
        run_dir = reports / name
        run_dir.mkdir(parents=True, exist_ok=False)
        (run_dir / "notebooks").mkdir()
        manifest = {
            "run_id": name,
            "status": "running",
            "config": str(plan["config"]) if plan["config"] else None,
            "description": plan["description"],
            "parameters": plan["parameters"],
            "max_workers": workers,
            "started": datetime.now(UTC).isoformat(),
            "git": _git_commit(root),
            "packages": _versions(),
            "data": _data_checksums(root, plan["parameters"]),
            "notebooks": {},
        }
        _write_json(run_dir / "manifest.json", manifest)
        echo(
            f"run {name}: {len(plan['notebooks'])} notebooks, up to {workers} at once -> {run_dir}"
        )
        runs.append(
            _Run(
                plan["notebooks"],
                plan["declared"],
                plan["parameters"],
                run_dir,
                root,
                kernel_name,
                manifest,
                echo,
                lock,
                done,
                prefix=f"{name}: " if len(plans) > 1 else "",
            )
        )
    try:
        with _sigterm_as_interrupt():
            _schedule(runs, workers, previous, done)
    except KeyboardInterrupt:
        for run in runs:
            run.stop_all("interrupted")
            if run.manifest["status"] == "running":
                run.update(status="interrupted", finished=datetime.now(UTC).isoformat())
        raise
    except Exception as error:
        for run in runs:
            run.stop_all("cancelled")
            if run.manifest["status"] == "running":  # the runner's own failure, not a page's
                run.update(status="failed", error=f"{type(error).__name__}: {error}")
        raise
    published = [run for run in runs if run.failure is None]
    for run in published:
        run.update(
            status="ok",
            finished=datetime.now(UTC).isoformat(),
            seconds=round(time.perf_counter() - run.started, 2),
            # the studies published with it, for its index to link
            beside=[
                {"run_id": other.run_dir.name, "description": other.manifest["description"]}
                for other in published
                if other is not run
            ],
        )
    for run, plan in zip(runs, plans):
        if run.failure is not None:
            continue
        write_index(run.run_dir, run.manifest)  # once every study it links has its index
        _point_latest_at(reports, run.run_dir, latest_names(plan["config"]))
        echo(
            f"run {run.run_dir.name} ok in {run.manifest['seconds']:.0f} s: "
            f"{run.run_dir / 'index.html'}"
        )
    failed = next((run for run in runs if run.failure is not None), None)
    if failed is not None:
        failed.raise_failed()
    return [run.run_dir for run in runs]


def _prepare(config, overrides: dict | None, root: Path) -> dict:
    """A config read and checked against the notebooks it runs, before anything runs."""
    settings = read_config(config)
    parameters = {**settings["parameters"], **(overrides or {})}
    if "output_dir" in parameters:
        raise ConfigError(
            "output_dir is set by the runner (each run writes only into reports/<run-id>)"
        )
    _check_workers(settings["max_workers"], str(config))
    notebooks = notebooks_in(root / "notebooks")
    if settings["notebooks"]:
        wanted = set(settings["notebooks"])
        notebooks = [nb for nb in notebooks if nb.stem in wanted]
    declared = {nb: declared_parameters(nb) for nb in notebooks}
    _check_parameters(parameters, declared)
    return {
        "config": config,
        "parameters": parameters,
        "notebooks": notebooks,
        "declared": declared,
        "max_workers": settings["max_workers"],
        "description": settings["description"],
    }


def _schedule(runs: list, workers: int, previous: dict, done: queue.Queue) -> None:
    """Start each run's notebooks once those they need finished, the longest (by the last good
    run) first, up to ``workers`` at once across the runs. A failing notebook stops its run;
    the runner's own error stops everything and is raised."""
    waiting = [(run, nb) for run in runs for nb in run.notebooks]
    waiting.sort(key=lambda item: -previous[item[0].run_dir.name].get(item[1].stem, 0.0))
    while True:
        waiting = [(run, nb) for run, nb in waiting if run.failure is None]
        running = sum(len(run.threads) for run in runs)
        if not waiting and not running:
            return
        while running < workers:
            ready = next(
                (
                    (run, nb)
                    for run, nb in waiting
                    if set(start_after(nb.stem, run.stems)) <= run.finished
                ),
                None,
            )
            if ready is None:
                break
            waiting.remove(ready)
            ready[0].start(ready[1])
            running += 1
        try:
            run, outcome = done.get(timeout=0.5)  # a timeout keeps signals prompt
        except queue.Empty:
            continue
        stem = outcome.notebook.stem
        thread = run.threads.pop(stem, None)
        if thread is not None:
            thread.join()
        if outcome.status == "error":
            raise outcome.error
        if outcome.status == "failed" and run.failure is None:
            run.failure = outcome
            run.stop_all("cancelled")
            run.record_failure()
        elif outcome.status in ("ok", "stopped"):
            run.finished.add(stem)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Turn SIGTERM (a scheduler's stop) into KeyboardInterrupt, so the kernels are shut down and
    the manifest says 'interrupted'; SIGKILL cannot be caught, and needs nothing: the run wrote
    only into its own folder, reports/latest still points at the last good run, and each kernel
    ends itself when its parent is gone (ipykernel watches JPY_PARENT_PID)."""
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


def _kernel_manager_class(cwd: str, env: dict, started):
    """A kernel manager class for one notebook: it starts its kernel in ``cwd`` with ``env``
    added to the runner's environment, and hands itself to ``started`` so that the runner can
    stop the kernel from another thread. nbclient creates it, so nbclient also shuts it down."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager

    class RunKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            started(self)

        async def start_kernel(self, **kw):
            # papermill's own cwd= would chdir the whole process, which concurrent notebooks
            # cannot share; the kernel's working directory is given to its launch instead.
            kw.update(cwd=cwd, env={**os.environ, **env})
            return await KernelManager._async_start_kernel(self, **kw)

        def kill_now(self) -> None:
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)  # its own session: it and its children

    return RunKernelManager


@dataclass
class _Outcome:
    """What one notebook's execution came to (passed from its thread to the scheduler)."""

    notebook: Path
    seconds: float
    status: str  # ok, stopped (not applicable), failed, error (a bug in the runner)
    reason: str | None = None
    error: BaseException | None = None


@dataclass
class _Run:
    """One config's run: its notebooks, manifest and kernels (the scheduler starts its
    notebooks; each runs in a thread of its own)."""

    notebooks: list[Path]
    declared: dict
    parameters: dict
    run_dir: Path
    root: Path
    kernel_name: str
    manifest: dict
    echo: object
    lock: threading.Lock  # shared by the runs: guards manifests, the echo and the kernels
    done: queue.Queue  # shared: (run, outcome) of each finished notebook
    prefix: str = ""
    started: float = field(default_factory=time.perf_counter)

    def __post_init__(self):
        self.kernels: dict[str, object] = {}
        self.stopping: str | None = None
        self.failure: _Outcome | None = None
        self.finished: set[str] = set()
        self.threads: dict[str, threading.Thread] = {}
        self.stems = [nb.stem for nb in self.notebooks]
        self.number = {stem: i for i, stem in enumerate(self.stems, 1)}
        self.env = {"MPLBACKEND": KERNEL_MPLBACKEND} | {
            name: os.environ.get(name, KERNEL_THREADS) for name in THREAD_VARIABLES
        }

    # -- bookkeeping (any thread) ---------------------------------------------------------

    def update(self, notebook: str | None = None, **fields) -> None:
        with self.lock:
            if notebook is None:
                self.manifest.update(fields)
            else:
                self.manifest["notebooks"].setdefault(notebook, {}).update(fields)
            _write_json(self.run_dir / "manifest.json", self.manifest)

    def say(self, stem: str, text: str) -> None:
        with self.lock:
            self.echo(f"{self.prefix}[{self.number[stem]}/{len(self.stems)}] {stem} {text}")

    # -- control (the scheduler's thread) -------------------------------------------------

    def start(self, notebook: Path) -> None:
        thread = threading.Thread(
            target=self._worker, args=(notebook,), name=f"notebook {notebook.stem}", daemon=True
        )
        self.threads[notebook.stem] = thread
        self.update(
            notebook.stem,
            status="running",
            started_after=round(time.perf_counter() - self.started, 2),
        )
        self.say(notebook.stem, "…")
        thread.start()

    def stop_all(self, status: str) -> None:
        """Stop every running kernel of this run, mark their notebooks ``status`` and wait for
        their threads (a few seconds: the kernels are killed, so the clients see them gone)."""
        with self.lock:
            self.stopping = status
            kernels = list(self.kernels.values())
        for kernel in kernels:
            kernel.kill_now()
        deadline = time.monotonic() + 30
        for stem, thread in list(self.threads.items()):
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
            self.threads.pop(stem, None)
            if self.manifest["notebooks"].get(stem, {}).get("status") == "running":
                self.update(stem, status=status)  # those that finished meanwhile keep theirs

    def record_failure(self) -> None:
        error = self.failure.error
        self.update(
            status="failed",
            failed_notebook=self.failure.notebook.stem,
            failed_cell=error.exec_count,
            error=f"{error.ename}: {error.evalue}",
            finished=datetime.now(UTC).isoformat(),
        )

    def raise_failed(self) -> None:
        error, notebook = self.failure.error, self.failure.notebook
        executed = self.run_dir / "notebooks" / notebook.name
        first_line = (error.source or "").strip().splitlines()[:1] or [""]
        raise NotebookFailed(
            f"notebook {notebook.name} failed in cell [{error.exec_count}] "
            f"`{first_line[0][:80]}` ({error.ename}: {error.evalue}); executed copy kept at "
            f"{executed}; reports/latest not moved to this run"
        ) from None

    # -- one notebook (its own thread) ----------------------------------------------------

    def _worker(self, notebook: Path) -> None:
        started = time.perf_counter()
        try:
            outcome = self._execute_one(notebook, started)
        except BaseException as error:  # noqa: BLE001  (handed to the main thread)
            outcome = _Outcome(notebook, time.perf_counter() - started, "error", error=error)
        self.done.put((self, outcome))

    def _execute_one(self, notebook: Path, started: float) -> _Outcome:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        stem = notebook.stem
        own = {k: v for k, v in self.parameters.items() if k in self.declared[notebook]}
        if "output_dir" in self.declared[notebook]:
            own["output_dir"] = str(self.run_dir)
        executed = self.run_dir / "notebooks" / notebook.name

        def register(kernel) -> None:
            with self.lock:
                self.kernels[stem] = kernel
            if self.stopping:  # stopped while this kernel was being made
                kernel.kill_now()

        with self.lock:
            if self.stopping:
                return _Outcome(notebook, 0.0, self.stopping)
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=own,
                kernel_name=self.kernel_name,
                progress_bar=False,
                log_output=False,
                kernel_manager_class=_kernel_manager_class(str(self.root), self.env, register),
            )
        except PapermillExecutionError as error:
            seconds = time.perf_counter() - started
            if error.ename == "NotApplicable":
                # The page said, once, why these data cannot answer it: publish it with that
                # reason in place of the stopped cell's traceback, and go on.
                _replace_error_by_reason(executed, error.evalue)
                title = export_page(executed, self.run_dir / f"{stem}.html", self.run_dir)
                self.update(
                    stem,
                    seconds=round(seconds, 2),
                    status="stopped",
                    reason=error.evalue,
                    title=title,
                )
                self.say(stem, f"stopped early: {error.evalue}")
                return _Outcome(notebook, seconds, "stopped", reason=error.evalue)
            if self.stopping:  # killed because another notebook failed, or interrupted
                return _Outcome(notebook, seconds, self.stopping)
            self.update(stem, seconds=round(seconds, 2), status="failed")
            self.say(stem, f"failed in cell [{error.exec_count}] ({error.ename})")
            return _Outcome(notebook, seconds, "failed", error=error)
        except Exception:
            if self.stopping:  # the kernel was killed under it (DeadKernelError …)
                return _Outcome(notebook, time.perf_counter() - started, self.stopping)
            raise
        finally:
            with self.lock:
                self.kernels.pop(stem, None)
        title = export_page(executed, self.run_dir / f"{stem}.html", self.run_dir)
        seconds = time.perf_counter() - started
        self.update(stem, seconds=round(seconds, 2), status="ok", title=title)
        self.say(stem, f"done in {seconds:.1f} s")
        return _Outcome(notebook, seconds, "ok")


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
