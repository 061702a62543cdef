"""Provider plugins installed by hand: ``ecsp install-pulumi --plugins``, with the CLI ecsp uses.

For machines where a run could not download them itself: the ``pulumi`` that ecsp installed
lives in ``~/.ecsp/pulumi/<version>/bin``, not on ``PATH``, so a bare ``pulumi plugin
install`` would not even start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from pulumi import automation as auto
from pulumi.automation import errors as auto_errors

from ecsp.engine.errors import plugin_install_error


def install_plugins(command: auto.PulumiCommand, plugins: Sequence[tuple[str, str]], *,
                    say: Callable[[str], None] | None = None) -> None:
    """``pulumi plugin install resource NAME VERSION`` for each plugin; PulumiMissingError when one fails."""
    for name, version in plugins:
        if say:
            say(f"installing the pulumi {name} plugin {version}...")
        try:
            command.run(["plugin", "install", "resource", name, version.removeprefix("v")], cwd=os.getcwd(),
                        additional_env={"PULUMI_SKIP_UPDATE_CHECK": "true"})
        except auto_errors.CommandError as e:
            raise plugin_install_error(name, version, e, command.command) from e


__all__ = ["install_plugins"]
