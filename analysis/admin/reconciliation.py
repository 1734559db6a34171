"""Admin: reconciliation."""
