"""Admin screens of the surveys app, one module per concept."""

from . import contacts, distribution, followup, questionnaires, registry, responses  # noqa: F401
