"""``python -m dashboard``: the command line (seed, indexes, rollups, health, report)."""

from dashboard.cli.commands import main

__all__ = ["main"]
