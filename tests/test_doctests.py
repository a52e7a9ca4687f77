"""Every docstring example in the package runs, module by module, and must print what it shows.

An example that needs data the test machine may not have says ``# doctest: +SKIP``; everything
else runs here (numpy's and pandas' reprs are those of the pinned versions).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import matplotlib
import pytest

import overdue

matplotlib.use("Agg")

MODULES = sorted(info.name for info in pkgutil.walk_packages(overdue.__path__, "overdue."))
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def examples_in(module) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for test in finder.find(module) if test.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for test in examples_in(module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_package_has_examples_to_run():
    attempted = sum(
        len([e for e in test.examples if not e.options.get(doctest.SKIP)])
        for name in MODULES
        for test in examples_in(importlib.import_module(name))
    )
    assert attempted > 200
