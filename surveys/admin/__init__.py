"""Admin screens of the surveys app, one module per concept."""

from . import contacts, registry  # noqa: F401
