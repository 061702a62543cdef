"""``python -m ecsp``."""

from ecsp.cli import run

run()
