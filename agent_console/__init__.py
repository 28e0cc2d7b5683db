"""The agent/supervisor/admin console."""
