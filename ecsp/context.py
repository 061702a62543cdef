"""What a stack program receives: the validated config, which stack it is, and run options.

Programs in ``stacks/`` are pure functions of a :class:`StackContext` (plus upstream
stack outputs read through ``pulumi.StackReference``): no file reads, no environment
variables, no AWS calls, no printing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecsp.config import ProjectConfig
from ecsp.graph import StackSpec


@dataclass(frozen=True)
class LocalEmulator:
    """A local AWS API emulator (moto server) that providers talk to instead of AWS."""

    endpoint: str
    account: str = "123456789012"


@dataclass(frozen=True)
class StackContext:
    config: ProjectConfig
    stack: StackSpec
    organization: str | None = None
    local: LocalEmulator | None = None
    # Computed at the edge, because programs read no files: the folder of ecsp.yaml (build
    # contexts are relative to it) and, for an application built from a Dockerfile, the tag
    # to push (a content hash of its build context, see ecsp.images).
    project_root: str | None = None
    image_tag: str | None = None

    @property
    def wait_for_steady_state(self) -> bool:
        """Emulators never run tasks, so steady-state waits are off in local mode."""
        return self.local is None

    def upstream_name(self, kind: str, environment: str | None = None) -> str:
        """Fully qualified name of an upstream stack, for ``pulumi.StackReference``."""
        from ecsp import naming

        assert kind in ("project", "environment")
        return naming.fully_qualified(self.organization, self.stack.project, kind, environment)  # type: ignore[arg-type]
