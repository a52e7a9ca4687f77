"""Features for the four families of causes, and the outcomes.

Importing this package registers every feature (see :mod:`overdue.features.registry`).
"""

from overdue.features import credit, macro, outcomes, purpose, underwriting  # noqa: F401
from overdue.features.registry import feature_dictionary, names_in  # noqa: F401
