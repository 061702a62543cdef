"""The validated model of ecsp.yaml (Pydantic v2, frozen, ``extra="forbid"``), one module per section.

Structural rules (types, formats, ranges) live on the fields and say how to fix a bad value;
cross-field rules are named functions that return :class:`FieldError` with the path of the
field to fix, so the loader can point at the right line. :meth:`ProjectConfig.application`
returns the effective settings of one application in one environment.

The modules stand on floors, each importing only from the floors below it, so the package
has no import loop (``tests/test_architecture.py`` keeps it so):

1. :mod:`.base` (model base, field errors, markers), :mod:`.types` (value types),
   :mod:`.variables`, :mod:`.fields` (capabilities, merge policies, the derived forms);
2. the sections and blocks: :mod:`.project`, :mod:`.environment`, :mod:`.needs`, :mod:`.task`,
   :mod:`.containers`, :mod:`.storage`, :mod:`.http`, :mod:`.service`, :mod:`.messaging`,
   :mod:`.job`, :mod:`.pipeline`, :mod:`.ci`;
3. :mod:`.application`: the types table, and the application assembled from the blocks;
   :mod:`.task_containers`: its task's containers as one list, and the rules across them;
4. :mod:`.resolve`: overrides merged per environment, and which line set each value;
5. :mod:`.aliases` and :mod:`.rules`: the project-wide rules;
6. :mod:`.salvage` and :mod:`.root` (:class:`ProjectConfig`); :mod:`.explain` above them all.

This module re-exports the names the rest of ecsp imports. ``Application`` and
``ApplicationConfig`` are the old names of :class:`ResolvedApplication` and
:class:`ApplicationSpec`, kept only so that branches opened before the rename still import.
"""

from __future__ import annotations

from ecsp.config.aliases import (
    ACM_NAMES_PER_CERTIFICATE,
    aliases_are_routable,
    covered_by_wildcard,
    extra_certificate_names,
    managed_alias,
)
from ecsp.config.application import (
    APPLICATION_TYPES,
    DEFAULT_TYPE,
    ApplicationOverride,
    ApplicationSpec,
    ApplicationType,
    ResolvedApplication,
    type_problems,
    type_with,
)
from ecsp.config.base import FieldError, FieldErrors, Model
from ecsp.config.ci import (
    GITHUB_REPOSITORY_PATTERN,
    MAX_PREVIEW_TTL,
    PREVIEW_TTL_DEFAULT,
    CiSection,
    GithubCi,
    PullRequestPreviews,
    check_ci,
    preview_name_problem,
)
from ecsp.config.containers import (
    FLUENT_BIT_IMAGE,
    LOG_ROUTER,
    Command,
    Condition,
    ContainerBlock,
    ContainerHealthCheckConfig,
    ContainerSettings,
    FireLensConfig,
    LoggingConfig,
    SidecarConfig,
)
from ecsp.config.environment import (
    DEFAULT_FLOW_LOG_RETENTION,
    AccessLogs,
    AccessLogsBucket,
    EnvironmentConfig,
    FlowLogs,
    FlowLogsConfig,
    ImportedVpc,
    NetworkConfig,
)
from ecsp.config.fields import Capability, Merge, Setting
from ecsp.config.http import MAX_ALIASES, HealthCheckConfig, HttpBlock
from ecsp.config.job import ScheduleBlock
from ecsp.config.messaging import PublishBlock, QueueBlock, QueueConfig, SubscriptionConfig
from ecsp.config.needs import Feature, Need
from ecsp.config.pipeline import (
    BRANCH_PATTERN,
    CODECOMMIT_PATTERN,
    CONNECTION_ARN_PATTERN,
    CONNECTION_PROVIDERS,
    PASSPHRASE_VARIABLE,
    REPOSITORY_PATTERN,
    SNS_TOPIC_ARN_PATTERN,
    TOKEN_VARIABLE,
    Branch,
    ConnectionArn,
    PipelineConfig,
    PipelineStage,
    TopicArn,
    check_pipelines,
)
from ecsp.config.project import EcrConfig, ProjectSection, StateConfig, name_problem
from ecsp.config.release import ReleaseConfig
from ecsp.config.resolve import Resolved, merged, resolve_applications
from ecsp.config.root import ProjectConfig
from ecsp.config.rules import (
    certificates_in_environment_account,
    check_project,
    derived_names_fit,
    needs_are_met,
    overrides_name_known_environments,
    paths_unique_per_environment,
    subscriptions_name_published_topics,
)
from ecsp.config.salvage import Repair, partial_problems
from ecsp.config.service import (
    AutoscalingConfig,
    Capacity,
    CapacitySpread,
    Count,
    DeploymentConfig,
    QueueDelayConfig,
    ServiceBlock,
)
from ecsp.config.storage import EFS_ACCESS_POINT_PATTERN, EFS_ID_PATTERN, Efs, EfsConfig, StorageConfig, VolumeConfig
from ecsp.config.task import DEFAULT_CPU, DEFAULT_MEMORY, ImageConfig, TaskBlock
from ecsp.config.task_containers import Container, Mount, container_problems, dependency_cycle, task_containers
from ecsp.config.types import (
    ACCOUNT_PATTERN,
    BUCKET_PATTERN,
    CERTIFICATE_ARN_PATTERN,
    CONTAINER_NAME_PATTERN,
    DISCOVERY_NAME_PATTERN,
    DOMAIN_PATTERN,
    HEALTHCHECK_PATH_PATTERN,
    HOST_PATTERN,
    KNOWN_REGIONS,
    LOG_PREFIX_PATTERN,
    LOG_RETENTION_DAYS,
    MOUNT_PATH_PATTERN,
    NAME_PATTERN,
    PATH_PATTERN,
    REGION_PATTERN,
    ROLE_ARN_PATTERN,
    SUBNET_ID_PATTERN,
    SUCCESS_CODES_PATTERN,
    TOPIC_PATTERN,
    VPC_ID_PATTERN,
    Account,
    BucketName,
    CertificateArn,
    Connect,
    Domain,
    HealthCheckPath,
    HostName,
    ImageUri,
    LogPrefix,
    MountPath,
    Region,
    RoleArn,
    Schedule,
    SubnetId,
    SuccessCodes,
    Topic,
    UnquotedNumber,
    UrlPath,
    VpcId,
)
from ecsp.config.variables import (
    ENV_VAR_PATTERN,
    RESERVED_PREFIX,
    SECRETSMANAGER_ARN_PATTERN,
    SSM_ARN_PATTERN,
    SSM_NAME_PATTERN,
    secret_kind,
)

# The names before application types became capability sets, kept so that branches opened before
# the rename still import: Application is ResolvedApplication, ApplicationConfig is ApplicationSpec.
Application = ResolvedApplication
ApplicationConfig = ApplicationSpec

__all__ = [
    "ACCOUNT_PATTERN",
    "ACM_NAMES_PER_CERTIFICATE",
    "APPLICATION_TYPES",
    "BRANCH_PATTERN",
    "BUCKET_PATTERN",
    "CERTIFICATE_ARN_PATTERN",
    "CODECOMMIT_PATTERN",
    "CONNECTION_ARN_PATTERN",
    "CONNECTION_PROVIDERS",
    "CONTAINER_NAME_PATTERN",
    "DEFAULT_CPU",
    "DEFAULT_FLOW_LOG_RETENTION",
    "DEFAULT_MEMORY",
    "DEFAULT_TYPE",
    "DISCOVERY_NAME_PATTERN",
    "DOMAIN_PATTERN",
    "EFS_ACCESS_POINT_PATTERN",
    "EFS_ID_PATTERN",
    "ENV_VAR_PATTERN",
    "FLUENT_BIT_IMAGE",
    "GITHUB_REPOSITORY_PATTERN",
    "HEALTHCHECK_PATH_PATTERN",
    "HOST_PATTERN",
    "KNOWN_REGIONS",
    "LOG_PREFIX_PATTERN",
    "LOG_RETENTION_DAYS",
    "LOG_ROUTER",
    "MAX_ALIASES",
    "MAX_PREVIEW_TTL",
    "MOUNT_PATH_PATTERN",
    "NAME_PATTERN",
    "PASSPHRASE_VARIABLE",
    "PATH_PATTERN",
    "PREVIEW_TTL_DEFAULT",
    "REGION_PATTERN",
    "REPOSITORY_PATTERN",
    "RESERVED_PREFIX",
    "ROLE_ARN_PATTERN",
    "SECRETSMANAGER_ARN_PATTERN",
    "SNS_TOPIC_ARN_PATTERN",
    "SSM_ARN_PATTERN",
    "SSM_NAME_PATTERN",
    "SUBNET_ID_PATTERN",
    "SUCCESS_CODES_PATTERN",
    "TOKEN_VARIABLE",
    "TOPIC_PATTERN",
    "VPC_ID_PATTERN",
    "AccessLogs",
    "AccessLogsBucket",
    "Account",
    "Application",
    "ApplicationConfig",
    "ApplicationOverride",
    "ApplicationSpec",
    "ApplicationType",
    "AutoscalingConfig",
    "Branch",
    "BucketName",
    "Capability",
    "Capacity",
    "CapacitySpread",
    "CertificateArn",
    "CiSection",
    "Command",
    "Condition",
    "Connect",
    "ConnectionArn",
    "Container",
    "ContainerBlock",
    "ContainerHealthCheckConfig",
    "ContainerSettings",
    "Count",
    "DeploymentConfig",
    "Domain",
    "EcrConfig",
    "Efs",
    "EfsConfig",
    "EnvironmentConfig",
    "Feature",
    "FieldError",
    "FieldErrors",
    "FireLensConfig",
    "FlowLogs",
    "FlowLogsConfig",
    "GithubCi",
    "HealthCheckConfig",
    "HealthCheckPath",
    "HostName",
    "HttpBlock",
    "ImageConfig",
    "ImageUri",
    "ImportedVpc",
    "LogPrefix",
    "LoggingConfig",
    "Merge",
    "Model",
    "Mount",
    "MountPath",
    "Need",
    "NetworkConfig",
    "PipelineConfig",
    "PipelineStage",
    "ProjectConfig",
    "ProjectSection",
    "PublishBlock",
    "PullRequestPreviews",
    "QueueBlock",
    "QueueConfig",
    "QueueDelayConfig",
    "Region",
    "ReleaseConfig",
    "Repair",
    "Resolved",
    "ResolvedApplication",
    "RoleArn",
    "Schedule",
    "ScheduleBlock",
    "ServiceBlock",
    "Setting",
    "SidecarConfig",
    "StateConfig",
    "StorageConfig",
    "SubnetId",
    "SubscriptionConfig",
    "SuccessCodes",
    "TaskBlock",
    "Topic",
    "TopicArn",
    "UnquotedNumber",
    "UrlPath",
    "VolumeConfig",
    "VpcId",
    "aliases_are_routable",
    "certificates_in_environment_account",
    "check_ci",
    "check_pipelines",
    "check_project",
    "container_problems",
    "covered_by_wildcard",
    "dependency_cycle",
    "derived_names_fit",
    "extra_certificate_names",
    "managed_alias",
    "merged",
    "name_problem",
    "needs_are_met",
    "overrides_name_known_environments",
    "partial_problems",
    "paths_unique_per_environment",
    "preview_name_problem",
    "resolve_applications",
    "secret_kind",
    "subscriptions_name_published_topics",
    "task_containers",
    "type_problems",
    "type_with",
]
