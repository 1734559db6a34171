"""Admin for replies: staff entry, versions, history, exports."""
