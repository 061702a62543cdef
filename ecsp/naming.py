"""Every name ecsp derives: Pulumi projects and stacks, AWS resource names, DNS names.

Decided once, here. Pulumi conventions (see README "Stacks and names"):

* one Pulumi project per program kind and ecsp project: ``<project>-project`` (stack
  ``global``), ``<project>-environment`` (one stack per environment) and
  ``<project>-<application>`` (one stack per environment);
* fully qualified stack names are ``<org>/<pulumi project>/<stack>``; DIY backends
  (file, s3) use the literal organisation ``organization``.

AWS limits: ALB and target group names 32 characters, IAM role names 64, S3 buckets
63; Pulumi's auto-naming appends 8 characters (``-`` and 7 random). Names that could
overflow are shortened with a stable hash (:func:`shorten`); user names are capped so
that the rest always fit, and :func:`limit_problems` checks what depends on the domain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ecsp.config import ProjectConfig

Kind = Literal["project", "environment", "application"]

MAX_PROJECT = 20
MAX_ENVIRONMENT = 16
MAX_APPLICATION = 24
AUTONAME_SUFFIX = 8
DIY_ORGANIZATION = "organization"
PROJECT_STACK = "global"
RESERVED_APPLICATION_NAMES = frozenset({"project", "environment"})

ALB_NAME_LIMIT = 32
TARGET_GROUP_NAME_LIMIT = 32
IAM_ROLE_NAME_LIMIT = 64
S3_BUCKET_NAME_LIMIT = 63
ACM_DOMAIN_NAME_LIMIT = 64  # the certificate's first domain name (its CN)
DNS_NAME_LIMIT = 253
DNS_LABEL_LIMIT = 63


def shorten(name: str, limit: int) -> str:
    """``name`` if it fits in ``limit`` characters, else a prefix plus a stable 6-char hash.

    Deterministic, never longer than ``limit``, and distinct inputs stay distinct with
    overwhelming probability (the hash covers the whole name).
    """
    if limit < 8:
        raise ValueError("limit must leave room for the hash")
    if len(name) <= limit:
        return name
    # Base 36 rather than hex: 31 bits in 6 characters instead of 24, so thousands of similar
    # long names still shorten without a collision. Lowercase alphanumerics suit every AWS name.
    number = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8])
    digest = "".join("0123456789abcdefghijklmnopqrstuvwxyz"[number // 36**i % 36] for i in range(6))
    return f"{name[: limit - 7].rstrip('-')}-{digest}"


def autonamed(logical: str, limit: int) -> str:
    """A logical name whose Pulumi auto-name (logical + 8 chars) fits in ``limit``."""
    return shorten(logical, limit - AUTONAME_SUFFIX)


# --------------------------------------------------------------------------- Pulumi


def pulumi_project(project: str, kind: Kind, application: str | None = None) -> str:
    if kind == "application":
        if not application:
            raise ValueError("an application stack needs an application name")
        return f"{project}-{application}"
    return f"{project}-{kind}"


def stack_name(kind: Kind, environment: str | None = None) -> str:
    if kind == "project":
        return PROJECT_STACK
    if not environment:
        raise ValueError(f"a {kind} stack needs an environment name")
    return environment


def display_name(project: str, kind: Kind, environment: str | None = None, application: str | None = None) -> str:
    """``<pulumi project>/<stack>``: how ecsp shows a stack to people."""
    return f"{pulumi_project(project, kind, application)}/{stack_name(kind, environment)}"


def fully_qualified(organization: str | None, project: str, kind: Kind,
                    environment: str | None = None, application: str | None = None) -> str:
    org = organization or DIY_ORGANIZATION
    return f"{org}/{display_name(project, kind, environment, application)}"


# --------------------------------------------------------------------------- AWS


@dataclass(frozen=True)
class AppNames:
    """Names of one application's resources in one environment."""

    project: str
    environment: str
    application: str

    @property
    def base(self) -> str:
        return f"{self.project}-{self.environment}-{self.application}"

    @property
    def log_group(self) -> str:
        return f"/ecsp/{self.base}"

    @property
    def family(self) -> str:
        return self.base

    @property
    def container(self) -> str:
        return self.application

    @property
    def target_group(self) -> str:
        return autonamed(self.base, TARGET_GROUP_NAME_LIMIT)

    @property
    def execution_role(self) -> str:
        return autonamed(f"{self.base}-exec", IAM_ROLE_NAME_LIMIT)

    @property
    def task_role(self) -> str:
        return autonamed(f"{self.base}-task", IAM_ROLE_NAME_LIMIT)

    @property
    def service(self) -> str:
        return self.application

    def topic(self, topic: str) -> str:
        """An SNS topic the application publishes: explicit, so subscribers can compute its ARN (as Copilot's)."""
        return f"{self.base}-{topic}"

    @property
    def queue(self) -> str:
        """A worker's SQS queue (at most 20+16+24+2 = 62 of SQS's 80 characters)."""
        return self.base

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.base}-dlq"

    @property
    def state_machine(self) -> str:
        """A job's Step Functions state machine (explicit: `ecsp run` finds it by name; limit 80)."""
        return self.base

    @property
    def schedule(self) -> str:
        """A job's EventBridge Scheduler schedule (limit 64)."""
        return self.base

    @property
    def state_machine_role(self) -> str:
        return autonamed(f"{self.base}-sfn", IAM_ROLE_NAME_LIMIT)

    @property
    def scheduler_role(self) -> str:
        return autonamed(f"{self.base}-schedule", IAM_ROLE_NAME_LIMIT)


@dataclass(frozen=True)
class EnvNames:
    project: str
    environment: str

    @property
    def base(self) -> str:
        return f"{self.project}-{self.environment}"

    @property
    def load_balancer(self) -> str:
        # ELB refuses names that begin with "internal-" (a project named "internal").
        base = f"lb-{self.base}" if self.base.startswith("internal-") else self.base
        return autonamed(base, ALB_NAME_LIMIT)

    @property
    def default_target_group(self) -> str:
        return autonamed(f"{self.base}-default", TARGET_GROUP_NAME_LIMIT)

    @property
    def cluster(self) -> str:
        return self.base

    @property
    def service_connect_namespace(self) -> str:
        """The Cloud Map namespace applications reach each other in (as Copilot's ``<env>.<app>.local``)."""
        return f"{self.environment}.{self.project}.local"

    def tag(self, part: str) -> str:
        """The ``Name`` tag of one of the environment's resources (what the AWS console lists)."""
        return f"{self.base}-{part}"


def ecr_repository(project: str, application: str) -> str:
    return f"{project}/{application}"


def kms_alias(project: str) -> str:
    return f"alias/ecsp/{project}"


# Bucket name prefixes S3 reserves that a valid project name can produce ("sthree", "amzn-s3-demo").
S3_RESERVED_PREFIXES = ("sthree-", "amzn-s3-demo-")


def artifact_bucket(project: str, region: str) -> str:
    name = f"{project}-artifacts-{region}"
    return autonamed(f"ecsp-{name}" if name.startswith(S3_RESERVED_PREFIXES) else name, S3_BUCKET_NAME_LIMIT)


def dns_delegation_role(project: str) -> str:
    return f"{project}-dns-delegation"


def project_zone(project: str, domain: str) -> str:
    return f"{project}.{domain}"


def environment_zone(project: str, environment: str, domain: str) -> str:
    return f"{environment}.{project}.{domain}"


def application_host(project: str, environment: str, application: str, domain: str) -> str:
    return f"{application}.{environment}.{project}.{domain}"


def limit_problems(config: ProjectConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """Names derived from ``config`` that would break an AWS limit, with the field to change."""
    return name_limit_problems(config.project.name, config.project.domain, config.environments, config.applications)


def name_limit_problems(project: str, domain: str | None, environments: Iterable[str],
                        applications: Iterable[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """:func:`limit_problems` from the names alone (the config checks them before the model exists)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if not domain:
        return problems
    applications = list(applications)
    for env in environments:
        zone = environment_zone(project, env, domain)
        if len(zone) > ACM_DOMAIN_NAME_LIMIT:
            problems.append((("environments", env),
                             f"the certificate name '{zone}' is {len(zone)} characters; ACM allows "
                             f"{ACM_DOMAIN_NAME_LIMIT}: shorten the environment, project or domain name"))
        for app in applications:
            host = application_host(project, env, app, domain)
            if len(host) > DNS_NAME_LIMIT:
                problems.append((("applications", app),
                                 f"the host name '{host}' is {len(host)} characters; DNS allows {DNS_NAME_LIMIT}: "
                                 "shorten the application, environment, project or domain name"))
    return problems
