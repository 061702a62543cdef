"""Every name ecsp derives: Pulumi projects and stacks, AWS resource names, DNS names.

Decided once, here. Pulumi conventions (see README "Stacks and names"):

* one Pulumi project per stack kind and ecsp project, ``<project>-<label>``, where the
  label is the kind's own (``project``, ``environment``) or, for kinds with one Pulumi
  project per application, the application's name (``<project>-<application>``);
* the Pulumi stack is the environment for kinds with a stack per environment, else the
  stack's instance name, else ``global``;
* fully qualified stack names are ``<org>/<pulumi project>/<stack>``; DIY backends
  (file, s3) use the literal organisation ``organization``.

The labels are defined here (:data:`KIND_LABELS`, so the config can refuse an application
named like one without knowing the kinds); :mod:`ecsp.kinds` says which kind uses which.
The strings are built and parsed only here.

AWS limits: ALB and target group names 32 characters, IAM role names 64, S3 buckets
63; Pulumi's auto-naming appends 8 characters (``-`` and 7 random). Names that could
overflow are shortened with a stable hash (:func:`shorten`); user names are capped so
that the rest always fit, and :func:`name_limit_problems` checks what depends on the domain.

Beside Copilot: a project imported from Copilot keeps its application's name and runs in
the same accounts, so every name ecsp gives where Copilot also gives names must differ
from all of Copilot's. :data:`NAMED_KINDS` lists each kind of AWS resource ecsp names
explicitly with the names Copilot gives there; ecsp's names in those places carry a mark
Copilot's never have (:data:`OWN_MARK`, or an ``ecsp`` path segment or label). Two sorts keep
their shape instead, and are looked up in the account before ``up`` creates them
(:mod:`ecsp.preflight`): the names people type (hosted zones), and the names of data (tables,
databases, caches, addon stacks), which never change because a new name would replace the data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_PROJECT = 20
MAX_ENVIRONMENT = 16
MAX_APPLICATION = 24
MAX_PIPELINE = 24
# <project>-<env>-<data> fits an RDS cluster identifier (63) and, shortened, an ElastiCache name (40).
MAX_DATA = 24
AUTONAME_SUFFIX = 8
# That suffix ("-" and 7 random hex digits) as an IAM pattern, for policies naming auto-named resources.
AUTONAME_PATTERN = "-" + "?" * (AUTONAME_SUFFIX - 1)
DIY_ORGANIZATION = "organization"
PROJECT_STACK = "global"
# The Pulumi project labels of the stack kinds with one Pulumi project each (<project>-<label>).
PROJECT_LABEL = "project"
ENVIRONMENT_LABEL = "environment"
PIPELINE_LABEL = "pipeline"
STORAGE_LABEL = "storage"
KIND_LABELS = frozenset({PROJECT_LABEL, ENVIRONMENT_LABEL, STORAGE_LABEL, PIPELINE_LABEL})

ALB_NAME_LIMIT = 32
RDS_IDENTIFIER_LIMIT = 63
SERVERLESS_CACHE_NAME_LIMIT = 40
TARGET_GROUP_NAME_LIMIT = 32
IAM_ROLE_NAME_LIMIT = 64
S3_BUCKET_NAME_LIMIT = 63
ACM_DOMAIN_NAME_LIMIT = 64  # the certificate's first domain name (its CN)
DNS_NAME_LIMIT = 253


# Copilot's application, environment and service names: lowercase letters, digits and single
# hyphens, starting with a letter (aws/copilot-cli internal/pkg/manifest/validate.go, awsNameRegexp).
# No underscore: a name with one before its first hyphen is never one of Copilot's.
OWN_MARK = "ecsp_"


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


def pulumi_project(project: str, label: str) -> str:
    """``<project>-<label>``: the Pulumi project of one kind (label ``environment``) or application."""
    return f"{project}-{label}"


def stack_name(environment: str | None = None, instance: str | None = None) -> str:
    """The Pulumi stack: the environment, else the instance name, else ``global``."""
    return environment or instance or PROJECT_STACK


def display_name(pulumi_project: str, stack: str) -> str:
    """``<pulumi project>/<stack>``: how ecsp shows a stack to people."""
    return f"{pulumi_project}/{stack}"


def fully_qualified(organization: str | None, display: str) -> str:
    """``<org>/<pulumi project>/<stack>`` of a display name (``organization`` on DIY backends)."""
    return f"{organization or DIY_ORGANIZATION}/{display}"


def parse_display_name(project: str, name: str) -> tuple[str, str] | None:
    """``(label, stack)`` of a backend stack name ``<project>-<label>/<stack>``; None if not ``project``'s."""
    pulumi_project, slash, stack = name.partition("/")
    label = pulumi_project.removeprefix(f"{project}-")
    if not slash or not stack or "/" in stack or label == pulumi_project or not label:
        return None
    return label, stack


def backend_stack_name(name: str, pulumi_project: str) -> str:
    """A name from ``pulumi stack ls`` as ``<pulumi project>/<stack>`` (it may be bare or fully qualified)."""
    parts = name.split("/")
    if len(parts) == 1:
        return display_name(pulumi_project, parts[0])
    return "/".join(parts[-2:])


# --------------------------------------------------------------------------- AWS

# The awslogs driver names each container's stream <prefix>/<container>/<task id>.
LOG_STREAM_PREFIX = "ecsp"


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
        """The task definition family (Copilot's is ``<app>-<env>-<svc>``: registering there would add revisions
        to Copilot's family)."""
        return f"{OWN_MARK}{self.base}"

    @property
    def container(self) -> str:
        return self.application

    @property
    def one_off_family(self) -> str:
        """The task definitions `ecsp task run --image` registers: apart from the ones the stack deploys, and
        marked (Copilot's families are ``<app>-<env>-<svc>``, which ``<project>-<env>-<app>-task`` could be)."""
        return f"{OWN_MARK}{self.base}-task"

    def log_stream(self, container: str, task_id: str) -> str:
        return f"{LOG_STREAM_PREFIX}/{container}/{task_id}"

    @property
    def target_group(self) -> str:
        return autonamed(self.base, TARGET_GROUP_NAME_LIMIT)

    def route_target_group(self, index: int) -> str:
        """The target group of the application's route ``index`` (0-based)."""
        return autonamed(f"{self.base}-r{index + 1}", TARGET_GROUP_NAME_LIMIT)

    @property
    def alternate_target_group(self) -> str:
        """The second target group of blue/green, canary and linear deployments (the new tasks' until traffic moves)."""
        return autonamed(f"{self.base}-alt", TARGET_GROUP_NAME_LIMIT)

    @property
    def infrastructure_role(self) -> str:
        """The role ECS assumes to move traffic between the target groups (it edits the listener rules)."""
        return autonamed(f"{self.base}-deploy", IAM_ROLE_NAME_LIMIT)

    def rollback_alarm(self, what: str) -> str:
        """The CloudWatch alarm ecsp creates to roll a deployment back on ``what`` (errors, response-time)."""
        return shorten(f"{self.base}-rollback-{what}", ALARM_NAME_LIMIT)

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
        """An SNS topic the application publishes: explicit, so subscribers can compute its ARN.

        Marked: Copilot names its topics ``<app>-<env>-<svc>-<topic>``, and SNS hands back an existing
        topic of the name asked for instead of failing.
        """
        return f"{OWN_MARK}{self.base}-{topic}"

    @property
    def queue(self) -> str:
        """A worker's SQS queue (at most 20+16+24+2 = 62 of SQS's 80 characters)."""
        return self.base

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.base}-dlq"

    @property
    def state_machine(self) -> str:
        """A job's Step Functions state machine (explicit: `ecsp run` finds it by name; limit 80; Copilot's is
        ``<app>-<env>-<job>``)."""
        return f"{OWN_MARK}{self.base}"

    @property
    def earlier_state_machine(self) -> str:
        """The state machine's name before ecsp marked it, which a job deployed then keeps."""
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
    def cluster_pattern(self) -> str:
        """Every physical name Pulumi may give :attr:`cluster`, as an IAM pattern (for policies written before it)."""
        return f"{self.cluster}{AUTONAME_PATTERN}"

    @property
    def service_connect_namespace(self) -> str:
        """The Cloud Map namespace applications reach each other in.

        Four labels: Copilot's namespace is ``<env>.<app>.local`` (``<app>.local`` before v1.9), and a
        second namespace of that name in the account would be refused.
        """
        return f"{self.environment}.{self.project}.ecsp.local"

    def tag(self, part: str) -> str:
        """The ``Name`` tag of one of the environment's resources (what the AWS console lists)."""
        return f"{self.base}-{part}"


def application_url(path: str, *, host: str | None = None, aliases: Sequence[str] = (), https: bool = False,
                    dns_name: str | None = None) -> str | None:
    """Where a web application answers, as its stack exports it and ``status`` shows it.

    ``https://<host><path>`` with ecsp's host name (a domain), else with its first alias (whose
    certificate is the user's), else the load balancer's own name (over HTTPS when the
    environment has certificates). The path stays in every form: the rules match the host
    *and* the path, so the host alone would reach the listener's 404. None when no name is
    known (the load balancer is gone).
    """
    name = host or (aliases[0] if aliases else None)
    if name:
        return f"https://{name}{path}"
    if not dns_name:
        return None
    return f"{'https' if https else 'http'}://{dns_name}{path}"


# The IAM path of the roles the pipelines use (build, pipeline, and each environment's deploy role).
# Application roles live at `/` named `<project>-<env>-...`, which the deploy role may manage; a
# role under this path never matches that prefix, so no deploy role can change a pipeline's roles
# (or itself).
PIPELINE_ROLE_PATH = "/ecsp-pipeline/"
CODESTAR_CONNECTION_NAME_LIMIT = 32


@dataclass(frozen=True)
class PipelineNames:
    """Names of one release pipeline's resources (all in the project account)."""

    project: str
    pipeline: str

    @property
    def base(self) -> str:
        return f"{self.project}-{self.pipeline}"

    @property
    def pipeline_name(self) -> str:
        """The CodePipeline (Copilot's are ``pipeline-<app>-<name>``, and before v1.16 just the pipeline's name)."""
        return f"{OWN_MARK}{self.base}"

    @property
    def earlier_pipeline_name(self) -> str:
        """The pipeline's name before ecsp marked it, which a pipeline deployed then keeps."""
        return self.base

    @property
    def connection(self) -> str:
        return shorten(self.base, CODESTAR_CONNECTION_NAME_LIMIT)

    # Exact names, not auto-names: each environment's deploy role trusts the build role by ARN,
    # which must be known before the pipeline stack exists.
    @property
    def build_role(self) -> str:
        return shorten(f"{self.base}-build", IAM_ROLE_NAME_LIMIT)

    @property
    def pipeline_role(self) -> str:
        return shorten(f"{self.base}-pipeline", IAM_ROLE_NAME_LIMIT)

    @property
    def events_role(self) -> str:
        return shorten(f"{self.base}-events", IAM_ROLE_NAME_LIMIT)

    def build_project(self, environment: str) -> str:
        return f"{self.base}-{environment}"

    def log_group(self, environment: str) -> str:
        return f"/ecsp/{self.base}-{environment}"


def deploy_role(project: str, environment: str) -> str:
    """The environment's deploy role (at :data:`PIPELINE_ROLE_PATH`), which pipelines' build roles assume."""
    return shorten(f"{project}-{environment}-deploy", IAM_ROLE_NAME_LIMIT)


# GitHub Actions' OIDC issuer (one IAM OIDC provider per account) and the audience its tokens carry for AWS.
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# Pull request previews are named pr-<number>; the preview deploy role is scoped to this prefix.
PREVIEW_PREFIX = "pr-"


def github_role(project: str, environment: str) -> str:
    """The role (project account, :data:`PIPELINE_ROLE_PATH`) a GitHub Actions job deploying ``environment`` assumes."""
    return shorten(f"{project}-{environment}-github", IAM_ROLE_NAME_LIMIT)


def github_pull_request_role(project: str) -> str:
    """The role (project account) a pull request's job assumes: to preview, and to deploy its preview environment.

    Ends in ``-pull-requests``, which no environment's ``<project>-<env>-github`` role can.
    """
    return shorten(f"{project}-github-pull-requests", IAM_ROLE_NAME_LIMIT)


def preview_deploy_role(project: str, like: str) -> str:
    """The role in environment ``like``'s account that deploys previews (``pr-*``) like it."""
    return shorten(f"{project}-{like}-preview-deploy", IAM_ROLE_NAME_LIMIT)


def pull_request_preview(number: int | str) -> str:
    """The preview environment of pull request ``number``."""
    return f"{PREVIEW_PREFIX}{number}"


def role_arn(partition: str, account: str, name: str, path: str = "/") -> str:
    return f"arn:{partition}:iam::{account}:role{path}{name}"


# Managed policies: 128 characters. Permissions boundaries live under their own path, which no
# role-name pattern of a deploy role matches and which names them for what they are in the console.
IAM_POLICY_NAME_LIMIT = 128
BOUNDARY_PATH = "/ecsp-boundary/"
# CloudWatch alarm names: 255 characters.
ALARM_NAME_LIMIT = 255


# Who wears a boundary of an environment's account beside its applications' roles (task, execution,
# Step Functions, Scheduler, flow logs, ECS's infrastructure role): its deploy roles, the preview
# environments' roles, the preview deploy role. The dot keeps these names apart from every
# environment's: project and environment names have none.
DEPLOYERS = "deployers"
PREVIEWS = "previews"
PREVIEW_DEPLOYERS = "preview-deployers"


def permissions_boundary(project: str, environment: str | None = None, wearers: str | None = None) -> str:
    """A permissions boundary: the project account's (no ``environment``), or one of environment ``environment``'s.

    ``wearers``: None for the environment's applications' roles; :data:`DEPLOYERS` for its deploy
    role; :data:`PREVIEWS` and :data:`PREVIEW_DEPLOYERS` for the preview environments made like it
    and their deploy role. The environment stack creates its own, the project stack the project's;
    the stacks downstream compute the ARN from this name (:func:`policy_arn`).
    """
    if environment is None:
        name = f"{project}-boundary"
    else:
        name = f"{project}-{environment}{f'.{wearers}' if wearers else ''}-boundary"
    return shorten(name, IAM_POLICY_NAME_LIMIT)


def policy_arn(partition: str, account: str, name: str, path: str = "/") -> str:
    return f"arn:{partition}:iam::{account}:policy{path}{name}"


def ecr_repository(project: str, application: str) -> str:
    """``ecsp/<project>/<app>``: three path segments, where Copilot's ``<app>/<svc>`` has two."""
    return f"ecsp/{project}/{application}"


def earlier_ecr_repository(project: str, application: str) -> str:
    """The repository's name before ecsp marked it, which a project deployed then keeps (Copilot's shape)."""
    return f"{project}/{application}"


def kms_alias(project: str) -> str:
    return f"alias/ecsp/{project}"


# Bucket name prefixes S3 reserves that a valid project name can produce ("sthree", "amzn-s3-demo").
S3_RESERVED_PREFIXES = ("sthree-", "amzn-s3-demo-")


def artifact_bucket(project: str, region: str) -> str:
    name = f"{project}-artifacts-{region}"
    return autonamed(f"ecsp-{name}" if name.startswith(S3_RESERVED_PREFIXES) else name, S3_BUCKET_NAME_LIMIT)


def access_logs_bucket(project: str, environment: str) -> str:
    """Logical name (and physical prefix) of an environment's access-log bucket."""
    name = f"{project}-{environment}-access-logs"
    return autonamed(f"ecsp-{name}" if name.startswith(S3_RESERVED_PREFIXES) else name, S3_BUCKET_NAME_LIMIT)


def flow_log_group(project: str, environment: str) -> str:
    return f"/ecsp/{project}-{environment}/flow-logs"


def dns_delegation_role(project: str) -> str:
    return f"{project}-dns-delegation"


def project_zone(project: str, domain: str) -> str:
    return f"{project}.{domain}"


def environment_zone(project: str, environment: str, domain: str) -> str:
    return f"{environment}.{project}.{domain}"


def application_host(project: str, environment: str, application: str, domain: str) -> str:
    return f"{application}.{environment}.{project}.{domain}"


def name_limit_problems(project: str, domain: str | None, environments: Iterable[str],
                        applications: Iterable[str]) -> list[tuple[tuple[str | int, ...], str]]:
    """Names built from the project, environment and application names that would break an AWS limit.

    Each problem comes with the path of the field to change; the config checks them before the
    model exists, from the names alone.
    """
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


@dataclass(frozen=True)
class DataNames:
    """Names of one data entry's resources in one environment (see :mod:`stacks.storage`)."""

    project: str
    environment: str
    data: str

    @property
    def base(self) -> str:
        return f"{self.project}-{self.environment}-{self.data}"

    @property
    def database(self) -> str:
        """An RDS cluster or instance identifier: explicit, so `show` and the final snapshot can name it."""
        return shorten(self.base, RDS_IDENTIFIER_LIMIT)

    @property
    def cluster_instance(self) -> str:
        """The Aurora cluster's one instance: ``<database>-1``, shortened when that would pass RDS's limit."""
        return shorten(f"{self.database}-1", RDS_IDENTIFIER_LIMIT)

    @property
    def final_snapshot(self) -> str:
        return shorten(f"{self.base}-final", RDS_IDENTIFIER_LIMIT)

    @property
    def cache(self) -> str:
        return shorten(self.base, SERVERLESS_CACHE_NAME_LIMIT)

    @property
    def table(self) -> str:
        """Copilot's name for the same table of an environment addon (``${App}-${Env}-<name>``), on purpose."""
        return self.base

    @property
    def bucket(self) -> str:
        """Logical name (and physical prefix) of the bucket: S3 names are global, so Pulumi adds a suffix."""
        name = self.base
        return autonamed(f"ecsp-{name}" if name.startswith(S3_RESERVED_PREFIXES) else name, S3_BUCKET_NAME_LIMIT)

    @property
    def secret(self) -> str:
        return f"ecsp/{self.base}"

    def tag(self, part: str = "") -> str:
        return f"{self.base}-{part}" if part else self.base


def addon_stack(project: str, environment: str, owner: str | None) -> str:
    """The CloudFormation stack of an application's addons (``owner``), or of the environment's (None).

    Unmarked: the stack may hold data, so its name never changes (:attr:`NamedKind.holds_data`).
    """
    return f"{project}-{environment}-{owner}-addons" if owner else f"{project}-{environment}-addons"


def data_variable_prefix(data: str) -> str:
    """The prefix of the variables a linked data entry gives its applications: ``orders-db`` -> ``ORDERS_DB``."""
    return data.upper().replace("-", "_")


# Copilot's names, as its code computes them (internal/pkg/template/template_functions.go), not as its
# docs say: `storage init -n my-bucket` injects MYBUCKET_NAME, not MY_BUCKET_NAME.
_NON_ALPHANUMERIC = re.compile(r"[^a-zA-Z0-9]+")
_LOWER_UPPER = re.compile(r"([a-z0-9]+)([A-Z])")
_UPPER_LOWER = re.compile(r"([A-Z0-9])([A-Z][a-z])")


def copilot_logical_id(name: str) -> str:
    """Copilot's ``logicalIDSafe``: the name without its non-alphanumeric characters."""
    return _NON_ALPHANUMERIC.sub("", name)


def copilot_snake(name: str) -> str:
    """Copilot's ``toSnakeCase``: ``usersDdbTableName`` -> ``USERS_DDB_TABLE_NAME``."""
    return _UPPER_LOWER.sub(r"\1_\2", _LOWER_UPPER.sub(r"\1_\2", name)).upper()


def copilot_variable(name: str, suffix: str) -> str:
    """The variable Copilot injected for storage ``name``: suffix ``Name`` (S3, DynamoDB) or ``Secret`` (Aurora)."""
    return copilot_snake(copilot_logical_id(name) + suffix)


# --------------------------------------------------------------------------- beside Copilot

_C = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"  # one Copilot name (application, environment, service, pipeline)
# What CloudFormation generates for a resource Copilot leaves unnamed: <stack>-<LogicalId>-<RANDOM>,
# the logical id in Copilot's templates starting with a capital (EventsQueue, TaskRole, Cluster).
_CFN_GENERATED = r".+-[A-Z][A-Za-z0-9]*-[A-Z0-9]{12,13}"
# The name given to `copilot storage init -n` for a DynamoDB table (aws/copilot-cli validate.go, ddbRegExp).
_STORAGE = r"[A-Za-z0-9._-]+"


@dataclass(frozen=True)
class NamedKind:
    """A kind of AWS resource ecsp names explicitly, and the names Copilot gives resources of that kind."""

    label: str  # as messages say it: "ECR repository"
    resource_type: str  # the Pulumi type token
    name_input: str  # the input that holds the physical name
    copilot: tuple[str, ...]  # Copilot's names there, as regular expressions (whole name)
    # Whether AWS compares names of this kind ignoring case (IAM does).
    ignore_case: bool = False
    # The names people type (DNS): the same shape as Copilot's on purpose, so they cannot carry a mark;
    # `up` checks them against the account instead (ecsp.preflight), and the importer keeps them apart.
    user_facing: bool = False
    # Renamed when ecsp marked its names, and kept: a resource deployed before keeps the name it has
    # (the program ignores changes to the name, stacks._aws.keeps_name), because a new name would
    # replace it (an ECR repository with its images; a topic with its subscriptions).
    kept: bool = False
    # Data, or what data stands on (a table, a database and its instance and subnet group, a cache, an
    # addon stack): never marked nor renamed, because a new name replaces the resource and leaves its
    # data behind. Where its name has the shape of Copilot's (a table is named exactly as Copilot's
    # environment addon names it, so an imported project's code finds the same name), `up` checks
    # it against the account instead (ecsp.preflight), and the fix links the live one as existing.
    holds_data: bool = False

    def copilot_pattern(self, name: str) -> str | None:
        """The first of Copilot's patterns ``name`` matches (None: Copilot never gives that name)."""
        flags = re.IGNORECASE if self.ignore_case else 0
        return next((p for p in self.copilot if re.fullmatch(p, name, flags)), None)


# Every resource kind ecsp gives a physical name to (the rest are named by Pulumi, <logical>-<7 hex>).
# Copilot's names from aws/copilot-cli internal/pkg/template/templates (app, environment, workloads,
# cicd, task) and internal/pkg/deploy/cloudformation/stack/name.go. Service Connect and Cloud Map
# service names live inside a namespace, so the namespace of ecsp's own keeps them apart.
NAMED_KINDS: tuple[NamedKind, ...] = (
    NamedKind("ECR repository", "aws:ecr/repository:Repository", "name",
              (rf"{_C}/{_C}", rf"copilot-{_C}"), kept=True),  # <app>/<svc>; `copilot task run`'s copilot-<task>
    NamedKind("SNS topic", "aws:sns/topic:Topic", "name", (rf"{_C}-{_C}-{_C}-[A-Za-z0-9_-]+",), kept=True),
    NamedKind("SQS queue", "aws:sqs/queue:Queue", "name", (_CFN_GENERATED + r"(\.fifo)?",)),
    NamedKind("Step Functions state machine", "aws:sfn/stateMachine:StateMachine", "name", (rf"{_C}-{_C}-{_C}",),
              kept=True),
    NamedKind("CloudWatch log group", "aws:cloudwatch/logGroup:LogGroup", "name",
              (r"/copilot/.+", rf"{_C}-{_C}-FlowLogs")),
    NamedKind("ECS task definition family", "aws:ecs/taskDefinition:TaskDefinition", "family",
              (rf"{_C}-{_C}-{_C}", rf"copilot-{_C}")),
    NamedKind("ECS cluster", "aws:ecs/cluster:Cluster", "name", (_CFN_GENERATED,)),
    NamedKind("IAM role", "aws:iam/role:Role", "name",
              (rf"{_C}-adminrole", rf"{_C}-executionrole", rf"{_C}-DNSDelegationRole", rf"{_C}-{_C}-CFNExecutionRole",
               rf"{_C}-{_C}-EnvManagerRole", _CFN_GENERATED), ignore_case=True),
    NamedKind("Cloud Map namespace", "aws:servicediscovery/httpNamespace:HttpNamespace", "name",
              (rf"{_C}\.{_C}\.local", rf"{_C}\.local"), kept=True),
    NamedKind("Route 53 hosted zone", "aws:route53/zone:Zone", "name",
              (rf"{_C}\..+", rf"{_C}\.{_C}\.internal"), user_facing=True),
    NamedKind("EventBridge Scheduler schedule", "aws:scheduler/schedule:Schedule", "name", ()),
    NamedKind("KMS alias", "aws:kms/alias:Alias", "name", ()),
    NamedKind("CodePipeline pipeline", "aws:codepipeline/pipeline:Pipeline", "name",
              (rf"pipeline-{_C}-{_C}", _C), kept=True),  # before v1.16 a pipeline was named as written
    NamedKind("CodeBuild project", "aws:codebuild/project:Project", "name",
              (rf"pipeline-{_C}-{_C}-BuildProject", _CFN_GENERATED)),
    # The permissions boundaries (their names end in -boundary, under /ecsp-boundary/); Copilot's
    # managed policies come from CloudFormation (addons), auto-named.
    NamedKind("IAM managed policy", "aws:iam/policy:Policy", "name", (_CFN_GENERATED,), ignore_case=True),
    # The rollback alarms of traffic-shifting deployments (<project>-<env>-<app>-rollback-<what>);
    # Copilot's rollback alarms for a service's CPU and memory.
    NamedKind("CloudWatch alarm", "aws:cloudwatch/metricAlarm:MetricAlarm", "name",
              (rf"{_C}-{_C}-{_C}-CopilotRollback(CPU|Mem)Alarm",)),
    # The storage stack's (stacks/storage_*.py). `copilot storage init` names its DynamoDB tables
    # ${App}-${Env}-<name> (environment addon) and ${App}-${Env}-${Name}-<name> (workload addon); its
    # Aurora clusters, their instances and subnet groups are named by CloudFormation, which RDS keeps
    # lowercase (<stack>-<logicalid>-<random>); it makes no cache. Its CloudFormation stacks:
    # <app>-<env>, <app>-<env>-<svc>, <app>-infrastructure-roles, pipeline-<app>-<name> (before v1.16
    # the pipeline's name), task-<name>, the StackSet's instances, and each addon set's nested stack
    # (<parent>-AddonsStack-<RANDOM>).
    NamedKind("DynamoDB table", "aws:dynamodb/table:Table", "name",
              (rf"{_C}-{_C}-{_STORAGE}", rf"{_C}-{_C}-{_C}-{_STORAGE}"), holds_data=True),
    NamedKind("ElastiCache serverless cache", "aws:elasticache/serverlessCache:ServerlessCache", "name", (),
              holds_data=True),
    NamedKind("RDS cluster", "aws:rds/cluster:Cluster", "clusterIdentifier", (_CFN_GENERATED,), ignore_case=True,
              holds_data=True),
    NamedKind("RDS cluster instance", "aws:rds/clusterInstance:ClusterInstance", "identifier", (_CFN_GENERATED,),
              ignore_case=True, holds_data=True),
    NamedKind("RDS instance", "aws:rds/instance:Instance", "identifier", (_CFN_GENERATED,), ignore_case=True,
              holds_data=True),
    NamedKind("RDS subnet group", "aws:rds/subnetGroup:SubnetGroup", "name", (_CFN_GENERATED,), ignore_case=True,
              holds_data=True),
    NamedKind("CloudFormation stack", "aws:cloudformation/stack:Stack", "name",
              (rf"{_C}-{_C}", rf"{_C}-{_C}-{_C}", rf"{_C}-infrastructure-roles", rf"pipeline-{_C}-{_C}", _C,
               rf"task-{_C}", rf"StackSet-{_C}-infrastructure-[0-9a-f-]+", _CFN_GENERATED), holds_data=True),
)
_NAMED_KINDS_BY_TYPE = {k.resource_type: k for k in NAMED_KINDS}


def named_kind(resource_type: str) -> NamedKind | None:
    """The :class:`NamedKind` of a Pulumi resource type, or None when ecsp never names it."""
    return _NAMED_KINDS_BY_TYPE.get(resource_type)
