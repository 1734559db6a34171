"""Admin for questionnaires."""
