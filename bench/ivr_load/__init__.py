"""Parts of bench/ivr.py: the engine and baseline child processes, the stand-in side, the report."""
