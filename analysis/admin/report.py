"""Admin: report."""
