"""Small helpers over event times that the survival and competing-risks estimators share.

Loan durations are whole months, so estimators index their data by *distinct time*: the
blocks of tied times of a sorted array (:func:`distinct_time_blocks`), the competing-risks
status of each subject (:func:`competing_status`), and durations printed as integers when they
are whole (:func:`natural_times`).

Examples
--------
>>> natural_times(np.array([1.0, 3.0])).tolist(), natural_times(np.array([1.5])).tolist()
([1, 3], [1.5])
>>> times, starts, block = distinct_time_blocks(np.array([1.0, 1.0, 2.0, 4.0, 4.0]))
>>> times.tolist(), starts.tolist(), block.tolist()
([1.0, 2.0, 4.0], [0, 2, 3], [0, 0, 1, 2, 2])
>>> competing_status(np.array([0, 1, 2, 3]), cause=2).tolist()
[0, 2, 1, 2]
"""

from __future__ import annotations

import numpy as np

from overdue.models.checks import CENSORED

#: Status codes of :func:`competing_status`.
STATUS_CENSORED, STATUS_CAUSE, STATUS_COMPETING = 0, 1, 2


def natural_times(durations: np.ndarray) -> np.ndarray:
    """Durations as integers when they are whole numbers (months), for readable tables."""
    if np.all(durations == np.round(durations)):
        return durations.astype(np.int64)
    return durations


def distinct_time_blocks(sorted_time: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct values of a sorted array, the start of each block of ties, and each row's block."""
    new_block = np.r_[True, sorted_time[1:] != sorted_time[:-1]]
    starts = np.flatnonzero(new_block)
    block_of_row = np.cumsum(new_block) - 1
    return sorted_time[starts], starts, block_of_row


def competing_status(codes: np.ndarray, cause: int) -> np.ndarray:
    """Event codes recoded as 0 censored, 1 the cause of interest, 2 any competing cause
    (the coding of R's cmprsk, whose routines the incidence and Fine–Gray code port)."""
    return np.where(
        codes == cause,
        STATUS_CAUSE,
        np.where(codes == CENSORED, STATUS_CENSORED, STATUS_COMPETING),
    )
