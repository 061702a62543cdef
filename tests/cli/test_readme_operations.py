"""README's "Operating what is deployed": every command is one the CLI runs, and its yaml is a valid project.

What each command does is tested against moto's server in tests/test_ops_{exec,tasks,secrets,logs,rollback}.py
and tests/engine/test_rollout.py; here the section is held to the CLI as it is.
"""

from __future__ import annotations

import re
import shlex
import textwrap

import pytest

from ecsp import cli, loader
from ecsp.commands import exec as exec_command
from ecsp.commands import ops, rollback, secret, task
from tests.cli.test_readme import README, bash_blocks

SECTION = "Operating what is deployed"
HANDLERS = {"exec": exec_command.run, "task": task.run, "logs": ops.logs, "rollback": rollback.rollback}


def commands() -> list[str]:
    [block] = bash_blocks(SECTION)
    return block


def test_the_section_shows_each_operation() -> None:
    shown = {(c.split()[1], c.split()[2] if c.split()[1] in ("task", "secret") else "") for c in commands()}
    assert shown == {("exec", ""), ("task", "run"), ("secret", "set"), ("secret", "ls"), ("logs", ""),
                     ("rollback", "")}


@pytest.mark.parametrize("command", commands())
def test_each_command_is_one_the_cli_takes(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    words = shlex.split(command.split(" < ", 1)[0])[1:]
    captured: dict[str, object] = {}

    def handler(args: object) -> int:
        captured["args"] = args
        return 0

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    head = words[:words.index("--")] if "--" in words else words
    parsed = parser.parse_args(head)  # argparse exits (SystemExit) on anything it does not take
    secret_verbs = {"set": secret.set_secret, "ls": secret.ls}
    expected = secret_verbs.get(words[1]) if words[0] == "secret" else HANDLERS[words[0]]
    assert parsed.handler is expected
    parsed.handler = handler
    monkeypatch.setattr(parser, "parse_args", lambda argv=None: parsed)
    monkeypatch.setattr(parser, "parse_known_args", lambda argv=None: (parsed, []))  # what cli.main calls
    assert cli.main(words) == 0  # the CLI's own path to the handler, the command after -- included
    if "--" in words:
        assert captured["args"].program == words[words.index("--") + 1:]  # type: ignore[attr-defined]


def test_the_release_yaml_is_valid() -> None:
    text = README.read_text().split(f"## {SECTION}", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```yaml\n(.*?)```", text, re.S)
    head = "project: {name: shop, region: us-west-2}\nenvironments: {test: {region: us-west-2}}\n"
    body = textwrap.dedent(block).replace("image: {build: ./web}", "image: {location: nginx}")
    release = loader.loads(head + body, "README.md").application("test", "web").release
    assert release is not None
    assert release.command == ["python", "manage.py", "migrate", "--noinput"] and release.timeout == 600
