"""The one error hierarchy of ecsp.

Library code raises these; only the CLI turns them into exit codes and one-line
messages (``--debug`` shows the traceback). Every error carries a ``fix``: what the
user should do next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ecsp.events import Status


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


class EmptyPassphraseError(UsageError):
    """A run would create stacks whose secrets are encrypted with the empty passphrase, and nobody allowed it.

    ``creating``: the stacks the run would create; ``existing``: the project's stacks already in the backend.
    """

    def __init__(self, message: str, *, fix: str, creating: list[str], existing: list[str]) -> None:
        super().__init__(message, fix=fix)
        self.creating = creating
        self.existing = existing


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


class RunFailed(EngineError):
    """One or more stacks failed; ``result`` (an :class:`ecsp.results.RunResult`) holds every stack's status (the
    others went on)."""

    def __init__(self, result: Any) -> None:
        self.result = result
        failed = result.failed
        names = ", ".join(f"{s.stack} ({s.reason.removeprefix(f'{s.stack}: ')})" if s.reason else s.stack
                          for s in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        skipped = len(result.with_status(Status.SKIPPED))
        after = f"; {skipped} dependent stack(s) skipped" if skipped else ""
        fixes = {s.error.fix for s in failed if s.error is not None and s.error.fix}
        fix = fixes.pop() if len(fixes) == 1 else "fix the errors above and run the same command again"
        super().__init__(f"{result.operation}: {len(failed)} of {len(result.stacks)} stacks failed: {names}{more}"
                         f"{after}", fix=fix)


class Interrupted(Cancelled):
    """The run was interrupted (Ctrl-C); ``result`` says which stacks finished, which were cut short."""

    def __init__(self, result: Any) -> None:
        self.result = result
        cut = [s.stack for s in result.stacks if s.status is Status.CANCELLED and s.started is not None]
        what = f"cut short: {', '.join(cut)}" if cut else "no stack was in flight"
        super().__init__(f"{result.operation} interrupted; {what}",
                         fix="run the same command again to finish; `ecsp cancel` releases a lock a killed run left")
