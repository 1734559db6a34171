"""Admin screens of the surveys app, one module per concept."""

from . import (  # noqa: F401
    contacts,
    distribution,
    followup,
    outbox,
    questionnaires,
    registry,
    responses,
)
