"""Admin for followup."""
