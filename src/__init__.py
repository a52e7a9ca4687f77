"""overdue: a research workbench that explains why consumer loans go overdue."""

__version__ = "0.1.0"
