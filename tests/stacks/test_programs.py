"""The program bundle declares exactly what the programs in stacks/ use.

The engine installs the declared provider plugins and imports the declared ``pulumi_aws``
submodules in the main thread before stacks run in parallel; nothing scans the source at
run time. This test scans it instead, and fails when a program starts using a provider
package or submodule the bundle does not declare (or the bundle keeps one nothing uses).
"""

from __future__ import annotations

import re
from pathlib import Path

import pulumi_aws

from stacks import PROGRAMS
from tests.paths import ROOT

STACKS = ROOT / "stacks"
_AWS_USES = (
    re.compile(r"\b(?:aws|pulumi_aws)\.([a-z][a-z0-9_]*)\."),
    re.compile(r"from\s+pulumi_aws\.([a-z][a-z0-9_]*)\s+import"),
    re.compile(r"import\s+pulumi_aws\.([a-z][a-z0-9_]*)"),
)
_AWS_FROM = re.compile(r"from\s+pulumi_aws\s+import\s+(\([^)]*\)|[^\n]+)")
# `import pulumi_aws`, `import pulumi_docker_build as docker_build`, `from pulumi_awsx import ...`
_PROVIDER_IMPORT = re.compile(r"^\s*(?:import|from)\s+(pulumi_[a-z0-9_]+)", re.MULTILINE)


def sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in sorted(STACKS.rglob("*.py"))}


def aws_modules_used(texts: list[str]) -> set[str]:
    base = Path(pulumi_aws.__file__).parent
    found: set[str] = set()
    for text in texts:
        for pattern in _AWS_USES:
            found.update(pattern.findall(text))
        for group in _AWS_FROM.findall(text):
            # "ecs, iam as i" or "(\n    ecs,\n    lb,\n)": the first word of each item.
            found.update(item.split()[0] for item in group.strip("()").split(",") if item.split())
    return {name for name in found if (base / name / "__init__.py").exists()}


def test_the_scanner_finds_every_import_form() -> None:
    text = """\
import pulumi_aws as aws
from pulumi_aws import ecs, iam as i
from pulumi_aws import (
    kms,
)
from pulumi_aws.lb import Listener
x = aws.ec2.Vpc
y = aws.not_a_module.Thing
"""
    assert aws_modules_used([text]) == {"ec2", "ecs", "iam", "kms", "lb"}
    assert set(_PROVIDER_IMPORT.findall(text)) == {"pulumi_aws"}


def test_every_aws_submodule_the_programs_use_is_declared() -> None:
    used = aws_modules_used(list(sources().values()))
    declared = set(PROGRAMS.aws_modules)
    assert used - declared == set(), "add them to aws_modules in stacks/__init__.py"
    assert declared - used == set(), "no program uses them any more: remove them from stacks/__init__.py"


def test_every_provider_package_the_programs_import_has_its_plugin_declared() -> None:
    imported = {module for text in sources().values() for module in _PROVIDER_IMPORT.findall(text)}
    packages = {module.replace("_", "-") for module in imported}
    declared = {plugin.distribution for plugin in PROGRAMS.plugins}
    assert packages == declared, "stacks/__init__.py must declare one Plugin per provider package imported"
    # The versions come from the installed packages, the way the engine installs them.
    assert dict(PROGRAMS.plugin_versions())["aws"].startswith("v7.")
