"""Admin screens of the analysis app, one module per concept."""

from . import codebook, coding, reconciliation, report  # noqa: F401
