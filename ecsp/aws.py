"""boto3 access for reading live state: one session per environment, retries, and error translation.

:class:`Sessions` hands out clients for an environment, honouring its region, profile
and ``role_arn`` (assumed with refreshing credentials), or pointing at the local
emulator in ``--local`` mode. Clients retry throttled calls with botocore's standard
retry mode (exponential backoff with jitter), then fail with :class:`ThrottledError`.

:func:`translate` turns botocore's exceptions into one-line :class:`ecsp.errors.AwsError`
messages that say what to do; :func:`aws_errors` applies it to a block of calls.
Nothing else in ecsp catches botocore exceptions.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]
import botocore.credentials  # type: ignore[import-untyped]
import botocore.exceptions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]

from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator
from ecsp.errors import AwsError

# Attempts in total (first call included) before a throttled call gives up; with standard mode's
# exponential backoff (random up to 1, 2, 4, 8, 16 s) that is at most ~30 s of waiting.
MAX_ATTEMPTS = 6
ROLE_SESSION_NAME = "ecsp"
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
})  # fmt: skip
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "UnauthorizedAccess", "Forbidden",
})  # fmt: skip
BAD_CREDENTIALS_CODES = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
    "AuthFailure", "IncompleteSignature", "InvalidSignatureException",
})  # fmt: skip
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})


class NoCredentialsError(AwsError):
    """No AWS credentials were found for an environment."""


class AccessDeniedError(AwsError):
    """The credentials work but may not make the call."""


class ExpiredCredentialsError(AwsError):
    """The credentials (a session or SSO token) have expired."""


class ThrottledError(AwsError):
    """AWS kept throttling after every retry."""


class NotDeployedError(AwsError):
    """What was asked about does not exist in AWS (yet)."""


@dataclass(frozen=True)
class Where:
    """Where an environment's calls go: what error messages and fixes talk about."""

    environment: str
    region: str
    profile: str | None = None
    role_arn: str | None = None
    local: bool = False
    kind: str = "environment"  # what `environment` names: an environment, or a pipeline

    def __str__(self) -> str:
        parts = [self.region]
        if self.local:
            parts.append("local emulator")
        if self.profile:
            parts.append(f"profile {self.profile}")
        if self.role_arn:
            parts.append(f"role {self.role_arn}")
        return f"{self.kind} '{self.environment}' ({', '.join(parts)})"


def client_config(max_attempts: int = MAX_ATTEMPTS) -> Config:
    """Retries with backoff on throttling; short connect timeouts so an unreachable endpoint fails fast.

    botocore's "standard" mode retries throttling and transient errors with jittered exponential
    backoff. "adaptive" mode adds client-side rate limiting, which pays off for many concurrent
    writers; a reader making a few dozen calls only gets its slowed-down aftermath (and AWS
    still calls it experimental).
    """
    return Config(
        retries={"mode": "standard", "total_max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=60,
        user_agent_extra="ecsp",
    )


class Sessions:
    """boto3 sessions and clients per environment of one project (thread-safe, cached)."""

    def __init__(self, config: ProjectConfig, *, local: LocalEmulator | None = None,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        self.config = config
        self.local = local
        self.max_attempts = max_attempts
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def where(self, environment: str) -> Where:
        env = self.config.environments[environment]
        if self.local is not None:
            return Where(environment, env.region, local=True)
        return Where(environment, env.region, env.profile, env.role_arn)

    def session(self, environment: str) -> boto3.Session:
        with self._lock:
            if environment not in self._sessions:
                with aws_errors(self.where(environment)):
                    self._sessions[environment] = self._new_session(environment)
            return self._sessions[environment]

    def client(self, environment: str, service: str) -> Any:
        """A client for ``service`` (boto3 name: ecs, elbv2, logs, sts, ...) in ``environment``."""
        session = self.session(environment)
        with self._lock:
            key = (environment, service)
            if key not in self._clients:
                endpoint = self.local.endpoint if self.local is not None else None
                with aws_errors(self.where(environment)):
                    self._clients[key] = session.client(service, endpoint_url=endpoint,
                                                        config=client_config(self.max_attempts))
            return self._clients[key]

    def _new_session(self, environment: str) -> boto3.Session:
        env = self.config.environments[environment]
        if self.local is not None:
            # The emulator accepts any key; fixed fake ones keep real credentials out of local runs.
            return boto3.Session(region_name=env.region, **LOCAL_CREDENTIALS)
        return session_for(env.region, profile=env.profile, role_arn=env.role_arn, max_attempts=self.max_attempts)


def session_for(region: str, *, profile: str | None = None, role_arn: str | None = None,
                max_attempts: int = MAX_ATTEMPTS) -> boto3.Session:
    """A session in ``region`` with ``profile``'s credentials (default: boto3's), through ``role_arn`` if given."""
    base = boto3.Session(profile_name=profile, region_name=region)
    if role_arn is None:
        return base
    return assume_role_session(base, role_arn, region, max_attempts)


def assume_role_session(base: boto3.Session, role_arn: str, region: str,
                        max_attempts: int = MAX_ATTEMPTS) -> boto3.Session:
    """A session whose credentials come from assuming ``role_arn`` with ``base``'s, refreshed before expiry.

    Refreshing matters for ``ecsp logs --follow``, which can outlive the role session's hour.
    """
    sts = base.client("sts", region_name=region, config=client_config(max_attempts))

    def refresh() -> dict[str, str]:
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    core = botocore.session.get_session()
    # botocore has no public setter for a session's credential object; this is the documented-by-use
    # way (boto3 issue #443) to plug refreshable assume-role credentials into a session.
    core._credentials = botocore.credentials.DeferredRefreshableCredentials(
        refresh_using=refresh, method="assume-role")
    core.set_config_variable("region", region)
    return boto3.Session(botocore_session=core, region_name=region)


_XML_CODE = re.compile(r"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def _code_and_message(exc: BaseException) -> tuple[str, str]:
    if not isinstance(exc, botocore.exceptions.ClientError):
        return "", ""
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", "")).strip()
    # Some endpoints (moto's auth layer, proxies) answer a JSON-protocol client with an XML error
    # document; botocore then reports the HTTP status as the code and the XML as the message.
    found = _XML_CODE.search(message)
    if code.isdigit() and found:
        text = _XML_MESSAGE.search(message)
        return found.group(1), text.group(1).strip() if text else ""
    return code, message


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError`` ('' for anything else)."""
    return _code_and_message(exc)[0]


def is_not_found(exc: BaseException) -> bool:
    code = error_code(exc)
    return code.endswith(("NotFoundException", "NotFound")) or code in ("ResourceNotFoundException", "NoSuchEntity")


def translate(exc: BaseException, where: Where) -> AwsError:
    """A one-line ecsp error (with a fix) for a botocore/boto3 exception raised while reading ``where``."""
    e = botocore.exceptions
    profile_hint = f" --profile {where.profile}" if where.profile else ""
    login = f"run `aws sso login{profile_hint}` or `aws configure{profile_hint}`"
    if isinstance(exc, e.ProfileNotFound):
        return NoCredentialsError(
            f"{where}: AWS profile '{where.profile}' is not in your AWS config",
            fix=f"create it with `aws configure --profile {where.profile}`, or change environments."
                f"{where.environment}.profile in ecsp.yaml")
    if isinstance(exc, e.NoCredentialsError | e.PartialCredentialsError):
        return NoCredentialsError(
            f"{where}: no AWS credentials found",
            fix=f"{login}, set AWS_PROFILE, or add --local to use the local emulator")
    if isinstance(exc, e.TokenRetrievalError | e.UnauthorizedSSOTokenError | e.SSOTokenLoadError):
        return ExpiredCredentialsError(f"{where}: the AWS SSO session has expired or was never started",
                                       fix=f"run `aws sso login{profile_hint}`")
    if isinstance(exc, e.CredentialRetrievalError):
        return NoCredentialsError(f"{where}: could not get AWS credentials ({exc})", fix=login)
    if isinstance(exc, e.EndpointConnectionError | e.ConnectTimeoutError):
        fix = ("is the emulator still running? unset ECSP_LOCAL_ENDPOINT to let ecsp start one" if where.local
               else "check your network connection and the region in ecsp.yaml")
        url = getattr(exc, "kwargs", {}).get("endpoint_url")
        return AwsError(f"{where}: cannot reach AWS" + (f" at {url}" if url else ""), fix=fix)
    if isinstance(exc, e.ClientError):
        code, message = _code_and_message(exc)
        operation = getattr(exc, "operation_name", "") or "the call"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in THROTTLING_CODES:
            attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
            return ThrottledError(
                f"{where}: AWS throttled {operation} and still did after {attempts} attempts",
                fix="wait a minute and run the command again; narrow it with --env/--app to make fewer calls")
        if code in EXPIRED_CODES:
            return ExpiredCredentialsError(f"{where}: the AWS credentials have expired ({code})",
                                           fix=f"{login} to get fresh credentials")
        if code in ACCESS_DENIED_CODES or (status == 403 and code not in BAD_CREDENTIALS_CODES):
            role = (f"or let role {where.role_arn} " if where.role_arn else "")
            return AccessDeniedError(
                f"{where}: access denied to {operation}" + (f": {message}" if message else ""),
                fix=f"grant the identity {role}read access (ecs:Describe*, ecs:List*, elasticloadbalancing:Describe*, "
                    f"logs:FilterLogEvents, logs:DescribeLogGroups), or set environments.{where.environment}.profile "
                    "or role_arn in ecsp.yaml")
        if code in BAD_CREDENTIALS_CODES:
            return NoCredentialsError(f"{where}: AWS rejected the credentials ({code})",
                                      fix=f"{login}, or check AWS_PROFILE and AWS_ACCESS_KEY_ID")
        return AwsError(f"{where}: {operation} failed: {code}" + (f": {message}" if message else ""),
                        fix="run again with --debug for details")
    return AwsError(f"{where}: {type(exc).__name__}: {exc}", fix="run again with --debug for details")


@contextlib.contextmanager
def aws_errors(where: Where, *, not_found: Callable[[BaseException], AwsError] | None = None) -> Iterator[None]:
    """Translate botocore exceptions raised in the block; ``not_found`` maps *NotFound errors."""
    try:
        yield
    except AwsError:
        raise
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        if not_found is not None and is_not_found(exc):
            raise not_found(exc) from exc
        raise translate(exc, where) from exc
