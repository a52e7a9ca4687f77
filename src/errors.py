"""Errors the command line turns into a clear message and a non-zero exit."""

from __future__ import annotations


class OverdueError(Exception):
    """Base class for errors that are the input's fault, not a bug: printed without a traceback."""


class DataError(OverdueError):
    """An input file is unreadable or fails validation.

    The message names the file, the column, how many rows are bad and a few example values.

    Examples
    --------
    >>> str(DataError("loans.csv", "fico_range_low", "out of range 300–850", n_bad=1, examples=[9999]))
    "loans.csv: column 'fico_range_low': out of range 300–850 (1 row; e.g. 9999)"
    """

    def __init__(
        self, path, column: str | None, problem: str, n_bad: int | None = None, examples=()
    ):
        self.path, self.column, self.problem = str(path), column, problem
        self.n_bad, self.examples = n_bad, list(examples)
        where = f"{self.path}: column {column!r}: " if column else f"{self.path}: "
        detail = []
        if n_bad is not None:
            detail.append(f"{n_bad} row{'s' if n_bad != 1 else ''}")
        if self.examples:
            detail.append(
                "e.g. "
                + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in self.examples[:5])
            )
        super().__init__(where + problem + (f" ({'; '.join(detail)})" if detail else ""))


class FetchError(OverdueError):
    """A raw input could not be fetched or failed its checksum."""


class ConfigError(OverdueError):
    """A parameter, config file or mapping is invalid."""


class NotApplicable(OverdueError):
    """The data cannot answer what a report page asks (loans without payment dates have no time
    to overdue): the page stops, saying why, and the runner publishes it as not applicable."""
