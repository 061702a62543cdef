"""The contract between the driver and the Pulumi programs: a bundle of programs by stack kind.

The programs live in :mod:`stacks`; the driver (engine, planner) never imports them. The
composition root, :mod:`ecsp.api`, hands the bundle :data:`stacks.PROGRAMS` to both. The
bundle also declares what the programs need from outside Python, so nothing has to scan
their source: the provider plugins to install before a deploy (one per Pulumi provider
package they import) and the ``pulumi_aws`` submodules to import in the main thread before
stacks run in parallel (their lazy import races in threads, python/cpython#114763).
``tests/stacks/test_programs.py`` scans the sources and fails when a declaration is missing.

It also declares, per stack kind, which settings of ecsp.yaml the kind's program reads
(:attr:`Programs.reads`): the plan cache (:mod:`ecsp.plancache`) replans a stack when they
change. A kind that declares nothing reads all of ecsp.yaml, as far as the cache knows.

And it carries the user's resource transforms (:mod:`ecsp.transforms`), registered at the
start of every stack's program, so the engine and the offline planner run the same ones.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecsp.config import ProjectConfig
from ecsp.context import StackContext
from ecsp.errors import EcspError
from ecsp.graph import StackSpec

if TYPE_CHECKING:
    from ecsp.transforms import Transform

Program = Callable[[StackContext], None]
# What of ecsp.yaml a program reads for one stack: any data of pydantic models, mappings and lists.
Reads = Callable[[ProjectConfig, StackSpec], Any]


@dataclass(frozen=True)
class Plugin:
    """A Pulumi resource provider plugin, installed at the version of the Python package that drives it."""

    name: str  # the plugin's name: aws, docker-build
    distribution: str  # the Python distribution whose version the plugin must match: pulumi-aws

    @property
    def version(self) -> str:
        return f"v{importlib.metadata.version(self.distribution)}"


@dataclass(frozen=True)
class Programs:
    """The stack programs by kind (see :mod:`ecsp.kinds`), and what they need to run."""

    by_kind: Mapping[str, Program]
    plugins: tuple[Plugin, ...] = ()
    aws_modules: tuple[str, ...] = field(default=())
    reads: Mapping[str, Reads] = field(default_factory=dict)
    transforms: tuple[Transform, ...] = ()  # the user's, run for every resource of every stack

    def program_for(self, ctx: StackContext) -> Callable[[], None]:
        """The inline program of ``ctx.stack``: its kind's program, bound to ``ctx``."""
        try:
            program = self.by_kind[ctx.stack.kind]
        except KeyError:
            raise EcspError(f"no program for stacks of kind '{ctx.stack.kind}' ({ctx.stack.name})",
                            fix="add one to the program bundle (stacks/__init__.py)") from None
        transforms = self.transforms
        if not transforms:
            return lambda: program(ctx)

        def run() -> None:
            from ecsp import transforms as user_transforms

            user_transforms.register(transforms, ctx.stack)
            program(ctx)

        return run

    def settings_read(self, config: ProjectConfig, spec: StackSpec) -> Any:
        """What the program of ``spec`` reads of ``config``: as its kind declares, else all of it."""
        reads = self.reads.get(spec.kind)
        read = reads(config, spec) if reads is not None else config
        if self.transforms:  # they shape every stack: an edited transform replans
            return {"settings": read, "transforms": [t.fingerprint for t in self.transforms]}
        return read

    def plugin_versions(self) -> list[tuple[str, str]]:
        """``(name, version)`` of each plugin, e.g. ``("aws", "v7.51.1")``."""
        return [(plugin.name, plugin.version) for plugin in self.plugins]
