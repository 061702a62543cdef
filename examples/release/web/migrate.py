"""The release command: apply the schema migrations the new version needs, once, before it serves.

It runs in a one-off task of the new task definition, so it sees that version's code, variables
and secrets (DB_PASSWORD comes from `ecsp secret set`). A non-zero exit stops the deploy of the
application with the old version still serving. This example keeps its "database" in a file
(SCHEMA_FILE) so it runs anywhere; a real one would connect to DATABASE_HOST.
"""

import os
import sys
from pathlib import Path

MIGRATIONS = ["create table orders", "add column orders.status", "create index orders_by_status"]


def schema_file() -> Path:
    return Path(os.environ.get("SCHEMA_FILE", "/tmp/orders-schema"))


def applied() -> int:
    path = schema_file()
    return int(path.read_text()) if path.exists() else 0


def main() -> int:
    missing = [name for name in ("DATABASE_HOST", "DATABASE_NAME", "DB_PASSWORD") if not os.environ.get(name)]
    if missing:
        print(f"cannot migrate: {', '.join(missing)} not set", file=sys.stderr)
        return 2
    done = applied()
    for number, step in enumerate(MIGRATIONS[done:], start=done + 1):
        print(f"applying migration {number}: {step}")
        schema_file().write_text(str(number))
    print(f"schema is at version {applied()} ({len(MIGRATIONS) - done} applied)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
