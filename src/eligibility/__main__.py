"""``python -m eligibility``: the same command as ``eligibility``."""

from .cli import main

main()
