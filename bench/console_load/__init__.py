"""Helpers of bench/console: the engine child, the baseline broadcaster, the websocket clients, matching."""
