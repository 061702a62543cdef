"""The npm tools the checks run (asl-validator, AWSGuard), installed from ecsp's own lockfile.

The folder ``node/`` beside this module holds ``package.json``, ``package-lock.json`` and the
small scripts that drive the tools. :func:`install` copies them into
``$ECSP_HOME/aws-checks/<digest>/`` and runs ``npm ci`` there (once per version of those
files: the digest changes when any of them does); the checks then run ``node`` on that copy.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from ecsp.engine.pulumi_cli import ecsp_home
from ecsp.errors import ToolMissingError

SOURCE = Path(__file__).with_name("node")
FILES = ("package.json", "package-lock.json", "PulumiPolicy.yaml", "index.js", "asl.js", "analyzer")
INSTALL_FIX = "install Node.js 20 or later (with npm), then run: ecsp check --install-tools"
_DONE = ".ecsp-installed"


def folder() -> Path:
    """Where this version of the tools is (or would be) installed."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + (SOURCE / name).read_bytes())
    return ecsp_home() / "aws-checks" / digest.hexdigest()[:16]


def _executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissingError(f"the AWS checks need {name}, which is not on PATH", fix=INSTALL_FIX)
    return found


def install(say: Callable[[str], None] = lambda _: None) -> Path:
    """Install the tools (``npm ci``) unless this version already is; return their folder."""
    target = folder()
    if (target / _DONE).exists():
        return target
    npm = _executable("npm")
    _executable("node")
    target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy2(SOURCE / name, target / name)
    say(f"installing the AWS check tools into {target} (npm ci, about a minute)")
    # --ignore-scripts: @pulumi/aws's install script would download its provider plugin,
    # which the policy pack never uses (the programs' own provider does the work).
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=target,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ToolMissingError(f"npm ci failed in {target}: {(done.stderr or done.stdout).strip()[-600:]}",
                               fix="check access to the npm registry, then run: ecsp check --install-tools")
    (target / _DONE).write_text("ok\n", encoding="utf-8")
    return target


def installed() -> Path:
    """The installed tools' folder (ToolMissingError, saying how to install them, when they are not)."""
    target = folder()
    if not (target / _DONE).exists():
        raise ToolMissingError("the AWS check tools (asl-validator, AWSGuard) are not installed", fix=INSTALL_FIX)
    return target


def run(script: str, stdin: str) -> str:
    """Run ``node SCRIPT`` of the installed tools with ``stdin``; its stdout."""
    node = _executable("node")
    tools = installed()
    done = subprocess.run([node, str(tools / script)], input=stdin, cwd=tools, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise ToolMissingError(f"node {script} failed: {done.stderr.strip()[-600:]}",
                               fix="reinstall the tools: rm -rf " + str(tools) + " && ecsp check --install-tools")
    return done.stdout
