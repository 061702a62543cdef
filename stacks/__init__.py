"""The Pulumi programs ecsp runs: one module per stack kind, each a pure function of a
:class:`ecsp.context.StackContext`.
"""

from __future__ import annotations

from collections.abc import Callable

from ecsp.context import StackContext


def program_for(ctx: StackContext) -> Callable[[], None]:
    """The inline program for ``ctx.stack``."""
    if ctx.stack.kind == "project":
        from stacks import project as module
    elif ctx.stack.kind == "environment":
        from stacks import environment as module  # type: ignore[no-redef]
    else:
        from stacks import application as module  # type: ignore[no-redef]
    return lambda: module.program(ctx)
