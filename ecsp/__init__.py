"""ecsp: Copilot-style ECS infrastructure (project, environments, applications) on Pulumi.

The public API is :func:`load`, which returns an :class:`ecsp.api.Project`. Importing
``ecsp`` itself is cheap: heavy modules load on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecsp.api import Project

__all__ = ["TransformArgs", "import_copilot", "load"]


def load(path: str = "ecsp.yaml", *, transforms: Sequence[Callable[..., Any]] = ()) -> Project:
    """Load and validate a project file; see :class:`ecsp.api.Project`.

    ``transforms``: functions that may change any resource of every stack, each given an
    :class:`ecsp.TransformArgs` (README: Transforms).
    """
    from ecsp.api import load as _load

    return _load(path, transforms=transforms)


def import_copilot(directory: str | None = None, **options: Any) -> Any:
    """Build an ecsp.yaml from a Copilot workspace; see :func:`ecsp.importer.import_copilot`."""
    from ecsp.importer import import_copilot as _import

    return _import(directory, **options)


def __getattr__(name: str) -> Any:
    if name in ("EcspError", "ConfigError"):
        from ecsp import errors

        return getattr(errors, name)
    if name == "TransformArgs":
        from ecsp import transforms

        return transforms.TransformArgs
    raise AttributeError(name)
