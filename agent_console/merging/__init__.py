"""并单 in the console: dispatchers merge duplicates; the agent's form asks for likely ones."""
