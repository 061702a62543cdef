"""What a stack program receives: the validated config, which stack it is, and run options.

Programs in ``stacks/`` are pure functions of a :class:`StackContext` (plus upstream
stack outputs read through ``pulumi.StackReference``): no file reads, no environment
variables, no AWS calls, no printing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from ecsp import kinds, naming
from ecsp.addons import Addons
from ecsp.config import ProjectConfig
from ecsp.graph import StackSpec
from ecsp.kinds import Placement, Scope


@dataclass(frozen=True)
class LocalEmulator:
    """A local AWS API emulator (moto server) that providers talk to instead of AWS."""

    endpoint: str


@dataclass(frozen=True)
class Hold:
    """For one update, the application's service runs ``revision`` instead of the task definition the program registers.

    ``reason`` release: the service stays on the revision it runs while the release command
    runs with the new one (``revision`` None: a first deploy, whose service waits for its
    release); rollback: the service goes back to an older revision (``ecsp rollback``).
    """

    revision: str | None
    reason: Literal["release", "rollback"]

    def __str__(self) -> str:
        return f"{self.revision or 'no service yet'} ({self.reason})"


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
    # A role that replaces the environments' profile and role_arn: a pipeline's build deploys
    # from its own credentials through the environment's deploy role (`ecsp up --deploy-role`).
    deploy_role: str | None = None
    # The project's CloudFormation addons by owner (read from their templates at the edge, ecsp.addons):
    # the storage stack deploys them, an application routes its own addon's outputs.
    addons: Addons = dataclasses.field(default_factory=dict)
    # An application stack's service, read from its outputs before the update (ecsp.rollout):
    # the task definition it runs (None: no service yet), recorded in the update's stack config
    # so the stack's history says what each update replaced; and the revision it must run instead
    # of the program's own for this update.
    running: str | None = None
    hold: Hold | None = None

    @property
    def wait_for_steady_state(self) -> bool:
        """Emulators never run tasks, so steady-state waits are off in local mode."""
        return self.local is None

    @property
    def placement(self) -> Placement:
        """Region, account and credentials of the stack's AWS provider (from its kind)."""
        where = self.stack.record.placement(self.config, self.stack.scope)
        if self.deploy_role and self.stack.environment:
            return dataclasses.replace(where, profile=None, role_arn=self.deploy_role)
        return where

    @property
    def tags(self) -> dict[str, str]:
        """The ``ecsp:*`` tags of the stack's AWS resources (from its kind)."""
        return self.stack.resource_tags()

    def upstream_name(self, kind: str, environment: str | None = None, application: str | None = None,
                      instance: str | None = None) -> str:
        """Fully qualified name of an upstream stack, for ``pulumi.StackReference``."""
        display = kinds.of(kind).display_name(self.stack.project, Scope(environment, application, instance))
        return naming.fully_qualified(self.organization, display)
