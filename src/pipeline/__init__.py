"""The report runner (``overdue run``) and what it publishes.

- :mod:`~overdue.pipeline.run`: executes the notebooks with papermill, concurrently, into a run
  folder, and moves ``reports/latest`` only when the run succeeded;
- :mod:`~overdue.pipeline.plan`: the report's plan — which question each page answers, each
  section's key figure, which pages wait for others;
- :mod:`~overdue.pipeline.pages`: each notebook's HTML page and ``index.html``, with the one
  stylesheet (``style.css``);
- :mod:`~overdue.pipeline.screenshots`: a run's pages rendered by headless Chromium to PNG.

Examples
--------
>>> from overdue.pipeline import run_report, write_index
>>> run_report.__module__, write_index.__module__
('overdue.pipeline.run', 'overdue.pipeline.pages')
"""

from __future__ import annotations

from overdue.pipeline.pages import export_page, write_index
from overdue.pipeline.run import (
    RECORDED_PACKAGES,
    NotebookFailed,
    available_cores,
    declared_parameters,
    notebooks_in,
    parse_overrides,
    read_config,
    run_report,
    run_reports,
)

__all__ = [
    "RECORDED_PACKAGES",
    "NotebookFailed",
    "available_cores",
    "declared_parameters",
    "export_page",
    "notebooks_in",
    "parse_overrides",
    "read_config",
    "run_report",
    "run_reports",
    "write_index",
]
