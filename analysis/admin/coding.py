"""Admin: coding."""
