"""`python -m asterisk_standin --config-dir …` runs the stand-in without the hotline CLI."""
from .cli import main

raise SystemExit(main())
