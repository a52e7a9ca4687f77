"""overdue: a research workbench that explains why consumer loans go overdue.

What a notebook needs comes from two places: this package (the study, the run's outputs, the
plots) and :mod:`overdue.models` (every estimator, test and assessment)::

    from overdue import RunOutput, load_study, plots
    from overdue.models import fit_cox, fit_logit, kaplan_meier

The names here are loaded on first use, so ``import overdue.errors`` (or the command line)
does not pay for the modelling stack.

Examples
--------
>>> import overdue
>>> overdue.load_study.__module__
'overdue.study'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "load_study": "overdue.study",
    "load_panel_study": "overdue.study",
    "Study": "overdue.study",
    "RunOutput": "overdue.report",
    "resolve": "overdue.paths",
    "plots": "overdue.plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'overdue' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    return module if module.__name__ == f"overdue.{name}" else getattr(module, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
