"""考核: the figures a 12345 center and its departments are assessed by, from the per-day counts the
ticket store keeps with every history event (tickets/day_figures.py) and the call log, so an engine
restart changes nothing. Definitions: docs/metrics.md (考核指标)."""
