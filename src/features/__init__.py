"""Features for the four families of causes, and the outcomes.

Importing this package registers every feature (see :mod:`overdue.features.registry`).
"""

from overdue.features import (  # noqa: F401  (importing registers each family)
    accounts,
    credit,
    impacts,
    macro,
    outcomes,
    purpose,
    underwriting,
)
from overdue.features.registry import feature_dictionary, names_in  # noqa: F401
