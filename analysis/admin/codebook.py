"""Admin: codebook."""
