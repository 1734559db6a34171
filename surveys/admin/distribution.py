"""Admin for distribution."""
