"""Console access: server-side sessions, CSRF tokens, login rate limits, per-route roles."""
