"""The one error hierarchy of ecsp.

Library code raises these; only the CLI turns them into exit codes and one-line
messages (``--debug`` shows the traceback). Every error carries a ``fix``: what the
user should do next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class EcspError(Exception):
    """Base class: a problem ecsp can explain to a person."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in ecsp.yaml: where it is and how to fix it."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        # One problem, one line: a value from a YAML block scalar may end in a newline.
        return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m[0])[1:-1], text)


class ConfigError(EcspError):
    """ecsp.yaml is missing, not YAML, or not a valid project. Exit status 2."""

    exit_code = 2

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __str__(self) -> str:
        return self.message


class UsageError(EcspError):
    """The command line asks for something that does not exist (an unknown environment, say)."""

    exit_code = 2


class PulumiMissingError(EcspError):
    """The pulumi CLI (or a provider plugin) is needed and not installed."""

    exit_code = 3


class ToolMissingError(EcspError):
    """A program or tool ecsp runs is not installed (Graphviz's ``dot``; node and the npm packages of the
    AWS checks). Exit status 3."""

    exit_code = 3


class EngineError(EcspError):
    """A Pulumi operation failed; the message says which stack and why."""


class DataLossRefused(EngineError):
    """A change would replace (and so lose) a data resource: ecsp refuses it unless asked, by name, to delete data."""


class StackLockedError(EngineError):
    """Another update holds the stack's lock."""


class StackNotFoundError(EngineError):
    """The stack has never been deployed (or was removed)."""


class AwsError(EcspError):
    """A live AWS read failed (no credentials, access denied, throttled, not deployed)."""


class Cancelled(EcspError):
    """The user interrupted the run (Ctrl-C). Exit status 130."""

    exit_code = 130
