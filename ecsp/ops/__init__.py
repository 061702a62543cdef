"""Operating what is deployed: read live AWS state (status, logs, show) into data models with renderers.

Each module returns plain dataclasses (with ``to_json``) and renders them with rich;
the CLI and the Python API (:class:`ecsp.api.Project`) share them. AWS access goes
through :mod:`ecsp.aws`; resources are found by :mod:`ecsp.ops.find`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from ecsp.aws import Sessions
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator
from ecsp.errors import UsageError


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO strings and enums as their values, ready for ``json.dumps``."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def check_names(config: ProjectConfig, environments: Iterable[str] = (), applications: Iterable[str] = ()) -> None:
    """Raise :class:`UsageError` for environment or application names ecsp.yaml does not define."""
    for name in environments:
        if name not in config.environments:
            raise UsageError(f"no environment named '{name}' in ecsp.yaml",
                             fix=f"use one of: {', '.join(config.environments)}")
    for name in applications:
        if name not in config.applications:
            raise UsageError(f"no application named '{name}' in ecsp.yaml",
                             fix=f"use one of: {', '.join(config.applications) or '(none defined)'}")


@contextlib.contextmanager
def open_sessions(config: ProjectConfig, root: Path, local: bool | LocalEmulator = False, *,
                  record: bool = False) -> Iterator[Sessions]:
    """AWS sessions for reading ``config``'s environments: real AWS, a given emulator, or one started for the block.

    ``local=True`` starts the project's local emulator (:func:`ecsp.local.emulator`) for
    the duration of the block; a :class:`LocalEmulator` is used as is (a notebook can keep
    one running across calls). ``record``: the block writes, and the emulator keeps what it
    writes for the next ``--local`` command.
    """
    if isinstance(local, LocalEmulator):
        yield Sessions(config, local=local)
    elif local:
        from ecsp.local import emulator

        with emulator(root, record=record) as running:  # reads only (the default): keep the recording as it is
            yield Sessions(config, local=running)
    else:
        yield Sessions(config)
