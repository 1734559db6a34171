"""Models of the surveys app, one module per concept."""

from .contacts import Contact
from .registry import State

__all__ = ["Contact", "State"]
