"""Install the stand-in provider plugin (``provider.py``) into a ``PULUMI_HOME`` for the real-engine tests.

The engine finds a resource plugin ``NAME`` at version ``V`` as the executable
``$PULUMI_HOME/plugins/resource-NAME-vV/pulumi-resource-NAME``; ``pulumi plugin install``
finds it there too and downloads nothing. The executable here is a tiny shell script that
runs ``provider.py`` with this interpreter, so the stand-in imports the same ecsp and pulumi.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

PROVIDER = Path(__file__).with_name("provider.py")


def install(pulumi_home: Path, plugins: list[tuple[str, str]]) -> list[Path]:
    """Install the stand-in as each ``(name, version)`` resource plugin (version with or without ``v``)."""
    installed = []
    for name, version in plugins:
        bare = version.removeprefix("v")
        folder = pulumi_home / "plugins" / f"resource-{name}-v{bare}"
        folder.mkdir(parents=True, exist_ok=True)
        executable = folder / f"pulumi-resource-{name}"
        executable.write_text(
            "#!/bin/sh\n"
            f"ECSP_STANDIN_VERSION={shlex.quote(bare)} exec {shlex.quote(sys.executable)} "
            f"{shlex.quote(str(PROVIDER))} \"$@\"\n", encoding="utf-8")
        executable.chmod(0o755)
        installed.append(executable)
    return installed
