"""Pulumi's failures turned into ecsp errors that say what happened and how to fix it.

Responsibility: read a failed CLI call (the SDK keeps only its rendered stdout and stderr)
or an SDK exception, and return the one :mod:`ecsp.errors` error it means: a locked stack,
a stack never deployed, a plugin that could not be installed, missing AWS credentials, a
wrong passphrase, a program that raised. Nothing here runs pulumi.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from pulumi.automation import errors as auto_errors

from ecsp.engine.pulumi_cli import INSTALL_HINT, PINNED_PULUMI_VERSION
from ecsp.errors import EcspError, EngineError, PulumiMissingError, StackLockedError, StackNotFoundError

_CREDENTIALS = re.compile(
    r"NoCredentialProviders|no valid credential sources|failed to refresh cached credentials|"
    r"ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|security token included in the request is "
    r"(?:invalid|expired)|SSO session .* (?:expired|invalid)|failed to get shared config profile|"
    r"retrieving AWS account details: .*(?:credential|token)|no EC2 IMDS role found", re.IGNORECASE)
_PLUGIN = re.compile(
    r"could not (?:find|load|download|install|get)[^\n]*plugin|failed to (?:download|install) plugin|"
    r"no resource plugin '[^']+' found|Could not automatically download and install", re.IGNORECASE)
_PASSPHRASE = re.compile(r"incorrect passphrase|passphrase must be set|PULUMI_CONFIG_PASSPHRASE", re.IGNORECASE)
_LOCK_OWNER = re.compile(r"created by (\S+)(?: \(pid (\d+)\))? at (\S+)")


def streams(error: BaseException) -> tuple[str, str]:
    """stdout and stderr of a CommandError (the SDK keeps only their rendering in the message)."""
    text = str(error)
    stdout = text.split(" stdout: ", 1)[1] if " stdout: " in text else ""
    stdout, _, stderr = stdout.partition("\n stderr: ")
    return stdout, stderr if stderr else text


def first_error(stderr: str, stdout: str, diagnostics: Sequence[str]) -> str:
    if diagnostics:
        return diagnostics[0]
    for text in (stderr, stdout):
        for line in text.splitlines():
            line = line.strip()
            if line.lower().startswith("error:"):
                return line[6:].strip()
    tail = [line.strip() for line in (stderr or stdout).splitlines() if line.strip()]
    return tail[-1] if tail else "pulumi failed without a message"


def shorten(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def translate_error(stack: str, error: BaseException, *, diagnostics: Sequence[str] = (),
                    cancel_hint: str = "ecsp cancel") -> EcspError:
    """The ecsp error (with a fix) a Pulumi failure on ``stack`` means."""
    if isinstance(error, EcspError):
        return error
    if isinstance(error, auto_errors.InvalidVersionError):
        return PulumiMissingError(
            f"{stack}: the installed pulumi CLI cannot do this: {error}",
            fix=f"run `ecsp install-pulumi` (v{PINNED_PULUMI_VERSION}) or upgrade: {INSTALL_HINT}")
    if not isinstance(error, auto_errors.CommandError):
        return EngineError(f"{stack}: {type(error).__name__}: {shorten(str(error))}",
                           fix="run again with --debug for the traceback")
    stdout, stderr = streams(error)
    everything = "\n".join([stderr, stdout, *diagnostics])
    if isinstance(error, auto_errors.ConcurrentUpdateError):
        owner = _LOCK_OWNER.search(everything)
        who = ""
        if owner:
            pid = f", pid {owner.group(2)}" if owner.group(2) else ""
            who = f" (locked by {owner.group(1)}{pid} at {owner.group(3)})"
        return StackLockedError(
            f"{stack} is locked by another update{who}",
            fix=f"wait for that update to finish; if none is running any more (a crashed or killed run), "
            f"release the lock with `{cancel_hint}`")
    if isinstance(error, auto_errors.StackNotFoundError):
        return StackNotFoundError(f"{stack} has never been deployed (the state backend has no such stack)",
                                  fix="run `ecsp up` for it first (check --backend / state.backend if it should exist)")
    message = shorten(first_error(stderr, stdout, diagnostics))
    if _PLUGIN.search(everything):
        return PulumiMissingError(
            f"{stack}: a Pulumi provider plugin could not be installed: {message}",
            fix="check network access to get.pulumi.com and github.com, then run again; or install the plugins "
            "ecsp needs with `ecsp install-pulumi --plugins`")
    if _CREDENTIALS.search(everything):
        return EngineError(
            f"{stack}: no valid AWS credentials: {message}",
            fix="sign in to the stack's account (e.g. `aws sso login --profile P`) or set AWS_PROFILE / "
            "AWS_ACCESS_KEY_ID; the environment's `profile` and `role_arn` in ecsp.yaml choose the account")
    if _PASSPHRASE.search(everything):
        return EngineError(
            f"{stack}: the secrets passphrase is wrong or missing: {message}",
            fix="a stack keeps the passphrase it was created with: set PULUMI_CONFIG_PASSPHRASE (or "
            "PULUMI_CONFIG_PASSPHRASE_FILE) to it, or unset it for stacks created without one "
            "(--allow-empty-passphrase); to change it, move every stack with `pulumi stack change-secrets-provider` "
            "(README: Secrets)")
    if isinstance(error, auto_errors.InlineSourceRuntimeError):
        return EngineError(f"{stack}: the stack's program raised an error: {message}",
                           fix="check the settings the message names; --debug shows pulumi's full output")
    return EngineError(f"{stack}: {message}", fix="see pulumi's errors above; --debug shows its full output")


def plugin_install_error(plugin: str, version: str, error: BaseException, command: str) -> PulumiMissingError:
    """A provider plugin that ``pulumi plugin install`` could not install, with how to do it by hand.

    By hand means ``ecsp install-pulumi --plugins``, which finds the CLI where ecsp does, or that
    CLI (``command``) by its full path: the ``pulumi`` ecsp installed is not on ``PATH``, so a bare
    ``pulumi plugin install`` would not run.
    """
    stdout, stderr = streams(error)
    return PulumiMissingError(
        f"could not install the Pulumi {plugin} provider plugin {version}: {shorten(first_error(stderr, stdout, ()))}",
        fix="check network access to get.pulumi.com and github.com, then run `ecsp install-pulumi --plugins` "
        f"(or `{shlex.quote(command)} plugin install resource {plugin} {version.removeprefix('v')}`)")


def nothing_to_cancel(error: BaseException) -> bool:
    """Whether a failed ``pulumi cancel`` only said that no update was running."""
    stdout, stderr = streams(error)
    return re.search(r"no (?:update|lock)|not (?:locked|running)|nothing to cancel", stdout + stderr, re.I) is not None
