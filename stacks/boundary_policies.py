"""The permissions boundaries every role ecsp creates carries, as pure functions of plain values.

A permissions boundary caps a role: whatever its own policies say, it may do only what the
boundary allows too. One managed policy per kind of wearer (named by
:func:`ecsp.naming.permissions_boundary`), each under IAM's 6,144-character limit:

* the **applications'** boundary of an environment, carried by its task, execution, Step
  Functions, Scheduler, flow-log and ECS infrastructure roles (:func:`application_boundary`);
* the **deployers'** boundary of an environment, carried by its deploy role (:func:`deployer_boundary`);
* the same two for the preview environments made like it (``pr-*``), when GitHub previews are
  like it: the preview deploy role wears the preview deployers' one, the previews' roles the
  previews' one;
* the **project's**, in the project account, carried by the pipelines' roles, the GitHub roles
  and the DNS delegation role (:func:`project_boundary`).

Each allows the union of what ecsp's roles of its wearers are granted, built from the same
action lists and policy functions that write those grants, with resources narrowed to the
environment's (or project's) names wherever ecsp chooses the name. The applications' boundary
allows no IAM change at all (passing the environment's roles to ECS tasks is the only IAM in
it). The deployers' boundary names services and ecsp's resources (names and the
``ecsp:project`` tag) and leaves the exact actions to the deploy role's own policy, and ends
with denials no allow can undo (:func:`guards`): no boundary policy can be changed or deleted,
no role may lose its boundary, a role may only be created or have its permissions changed
with the *applications'* boundary, and the deployers' roles
(:data:`ecsp.naming.PIPELINE_ROLE_PATH`) cannot be changed at all.

That closes the deploy role's escalation: it may create roles ``<project>-<env>-*`` and write
their policies, but only with the applications' boundary attached, so a role it creates can
never do more than ecsp's own application roles of the environment may, and none of those can
change IAM. ``tests/stacks/test_boundaries.py`` proves, over every example and golden graph,
that every grant of every ecsp role lies within its boundary and that the escalation is refused.

What a role under the applications' boundary can reach beyond the environment's own names,
because the user names those resources freely: read any SSM parameter or Secrets Manager
secret (and decrypt them only through those services), pull any image, mount any EFS file
system of the account, and the existing buckets and tables the environment's data links.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecsp import naming
from ecsp.kinds import PROJECT_TAG
from stacks import pipeline_policies
from stacks._iam import VERSION
from stacks.application_iam import EXEC_ACTIONS, EXEC_LOG_ACTIONS, EXECUTION_POLICY_ACTIONS, SECRET_READ_ACTIONS
from stacks.application_links import BUCKET_ACTIONS, BUCKET_OBJECT_ACTIONS, INDEX_ACTIONS, STREAM_ACTIONS, TABLE_ACTIONS
from stacks.application_queue import CONSUMER_ACTIONS
from stacks.application_schedule import SYNC_RULE, SYNC_RULE_ACTIONS, WATCH_TASK_ACTIONS
from stacks.application_storage import FILE_SYSTEM_ACTIONS
from stacks.environment_logs import FLOW_LOG_ACTIONS
from stacks.project_policies import (
    ECR_PUSH_ACTIONS,
    KMS_USE_ACTIONS,
    dns_delegation_permissions,
    record_names_condition,
)

Document = dict[str, Any]

# The role writes AWS evaluates with the role's boundary in the request (iam:PermissionsBoundary):
# the ones that create a role or change what it may do.
BOUNDED_ROLE_WRITES = ("iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
                       "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy")
# Every action that changes a role, or hands it to a service.
ROLE_WRITES = (*BOUNDED_ROLE_WRITES, "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:PassRole",
               "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
               "iam:UpdateRoleDescription")
# Every action that changes a managed policy.
POLICY_WRITES = ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                 "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy")
SECRET_SERVICES = ("secretsmanager.*.amazonaws.com", "ssm.*.amazonaws.com")
# What AWS's managed policy of the ECS infrastructure role for load balancers (the role ECS moves a
# blue/green, canary or linear deployment's traffic with) does to the load balancer's rules and groups.
TRAFFIC_SHIFT_ACTIONS = ("elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:ModifyListener",
                         "elasticloadbalancing:ModifyRule", "elasticloadbalancing:RegisterTargets")
# Services whose resources the deploy role creates with the ecsp:project tag and changes only tagged.
TAGGED_SERVICES = ("acm", "application-autoscaling", "ec2", "elasticfilesystem", "elasticloadbalancing", "rds")


def _allow(sid: str, actions: Sequence[str], resources: Sequence[str] | str, **extra: Any) -> Document:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)),
            "Resource": resources if isinstance(resources, str) else sorted(set(resources)), **extra}


def _tagged(project: str, key: str = "aws:ResourceTag") -> Document:
    return {"StringEquals": {f"{key}/{PROJECT_TAG}": project}}


def guards(partition: str, account: str, boundary: str) -> list[Document]:
    """The denials a boundary of roles that write IAM ends with; ``boundary``: the one every role they write carries."""
    return [
        {"Sid": "ProtectBoundaries", "Effect": "Deny", "Action": sorted(POLICY_WRITES),
         "Resource": f"arn:{partition}:iam::{account}:policy{naming.BOUNDARY_PATH}*"},
        {"Sid": "KeepBoundaries", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        {"Sid": "OnlyThatBoundary", "Effect": "Deny", "Action": sorted(BOUNDED_ROLE_WRITES), "Resource": "*",
         "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": boundary}}},
        # Every role action, reads too: nothing ecsp runs reads the deployers' roles.
        {"Sid": "ProtectDeployers", "Effect": "Deny", "Action": "iam:*Role*",
         "Resource": f"arn:{partition}:iam::{account}:role{naming.PIPELINE_ROLE_PATH}*"},
    ]


def application_boundary(*, partition: str, account: str, region: str, project: str, environment: str,
                         buckets: Sequence[str] = (), tables: Sequence[str] = ()) -> Document:
    """What the applications' roles of ``environment`` (or of the previews, ``pr-*``) may ever do.

    ``buckets`` and ``tables``: the names (or name patterns) of the environment's data an
    application may link (:func:`data_names`).
    """
    p, a, r = partition, account, region
    base = f"{project}-{environment}"
    groups = [f"arn:{p}:logs:{r}:{a}:log-group:/ecsp/{base}{tail}" for tail in ("-*", "/*")]
    cluster = naming.EnvNames(project, environment).cluster_pattern
    statements = [
        # Calls AWS authorises only on "*": ECR login, the exec agent's channels, the log group and
        # load balancer describes (the exec agent, ECS moving traffic).
        _allow("AnyResource", ["ecr:GetAuthorizationToken", "logs:DescribeLogGroups", "elasticloadbalancing:Describe*",
                               *EXEC_ACTIONS], "*"),
        # Images come from whatever repository the user names (the project's, or ECR in any account).
        _allow("PullImages", [x for x in EXECUTION_POLICY_ACTIONS
                              if x.startswith("ecr:") and x != "ecr:GetAuthorizationToken"],
               f"arn:{p}:ecr:*:*:repository/*"),
        _allow("WriteLogs", [x for x in (*EXECUTION_POLICY_ACTIONS, *EXEC_LOG_ACTIONS, *FLOW_LOG_ACTIONS)
                             if x.startswith("logs:")], [*groups, *(f"{g}:*" for g in groups)]),
        # Applications name their secrets freely: any parameter or secret, decrypted only through its store.
        _allow("ReadSecrets", SECRET_READ_ACTIONS,
               [f"arn:{p}:ssm:*:*:parameter/*", f"arn:{p}:secretsmanager:*:*:secret:*"]),
        _allow("DecryptSecrets", ["kms:Decrypt"], f"arn:{p}:kms:*:*:key/*",
               Condition={"StringLike": {"kms:ViaService": list(SECRET_SERVICES)}}),
        _allow("ConsumeQueues", CONSUMER_ACTIONS, f"arn:{p}:sqs:{r}:{a}:{base}-*"),
        _allow("PublishTopics", ["sns:Publish"], f"arn:{p}:sns:{r}:{a}:{naming.OWN_MARK}{base}-*"),
        _allow("MountFileSystems", FILE_SYSTEM_ACTIONS, f"arn:{p}:elasticfilesystem:{r}:{a}:file-system/*"),
        # A job's state machine runs its task, hands ECS the task's two roles, and watches it.
        _allow("RunJobTasks", ["ecs:RunTask"], f"arn:{p}:ecs:{r}:{a}:task-definition/{naming.OWN_MARK}{base}-*",
               Condition={"ArnLike": {"ecs:cluster": f"arn:{p}:ecs:{r}:{a}:cluster/{cluster}"}}),
        _allow("WatchJobTasks", WATCH_TASK_ACTIONS, f"arn:{p}:ecs:{r}:{a}:task/{cluster}/*"),
        _allow("WatchJobRule", SYNC_RULE_ACTIONS, f"arn:{p}:events:{r}:{a}:rule/{SYNC_RULE}"),
        _allow("PassRolesToTasks", ["iam:PassRole"], f"arn:{p}:iam::{a}:role/{base}-*",
               Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        _allow("StartJobs", ["states:StartExecution"],
               f"arn:{p}:states:{r}:{a}:stateMachine:{naming.OWN_MARK}{base}-*"),
        # ECS, through a traffic-shifting deployment's infrastructure role: the environment's load balancer.
        _allow("ShiftTraffic", TRAFFIC_SHIFT_ACTIONS, "*", Condition=_tagged(project)),
    ]
    if buckets:
        statements += [
            _allow("BucketObjects", BUCKET_OBJECT_ACTIONS, [f"arn:{p}:s3:::{b}/*" for b in buckets]),
            _allow("Buckets", BUCKET_ACTIONS, [f"arn:{p}:s3:::{b}" for b in buckets]),
        ]
    if tables:
        statements.append(_allow("Tables", [*TABLE_ACTIONS, *INDEX_ACTIONS, *STREAM_ACTIONS],
                                 [f"arn:{p}:dynamodb:{r}:{a}:table/{t}{tail}" for t in tables
                                  for tail in ("", "/index/*", "/stream/*")]))
    return {"Version": VERSION, "Statement": statements}


def _storage(p: str, a: str, r: str, project: str, environment: str) -> list[Document]:
    """The storage stack's resources by the names ecsp gives them (the tagged ones are in ``CreateTagged``)."""
    arns = pipeline_policies.StorageArns.of(p, a, r, project, environment)
    return [
        _allow("Tables", ["dynamodb:*"], arns.tables),
        _allow("Caches", ["elasticache:*"], arns.caches),
        _allow("Databases", ["rds:*"], list(arns.databases)),
        _allow("DatabaseSecrets", pipeline_policies.RDS_SECRET_ACTIONS, arns.rds_secrets),
        _allow("Secrets", ["secretsmanager:*"], arns.secrets),
        _allow("Buckets", ["s3:*"], arns.buckets),
        _allow("EmptyBuckets", pipeline_policies.BUCKET_EMPTYING, f"{arns.buckets}/*"),
        _allow("MountTargetInterfaces", ["ec2:CreateNetworkInterface"], arns.network_interfaces),
        _allow("AddonStacks", ["cloudformation:*"], list(arns.addon_stacks),
               Condition={"Null": {"cloudformation:RoleArn": "true"}}),
    ]


def deployer_boundary(*, partition: str, account: str, region: str, project: str, environment: str,
                      zone: str | None, applications_boundary: str, dns_delegation_role: str | None = None) -> Document:
    """What the deploy role of ``environment`` (or the preview deploy role, ``pr-*``) may ever do, and the guards.

    It contains :func:`stacks.pipeline_policies.deploy_role_policy` by service and by ecsp's
    resources; the deploy role's own policy names the actions. ``applications_boundary``: the
    boundary every role it creates or changes must carry.
    """
    p, a, r = partition, account, region
    base = f"{project}-{environment}"
    statements = [
        _allow("AnyResource", ["acm:ListCertificates", "application-autoscaling:Describe*", "cloudwatch:DescribeAlarms",
                               "ec2:Describe*", "ecs:*TaskDefinition", "ecs:ListServiceDeployments",
                               "elasticloadbalancing:Describe*", "logs:DescribeLogGroups", "route53:CreateHostedZone",
                               "route53:Get*", "route53:List*", "secretsmanager:GetRandomPassword"], "*"),
        _allow("CreateTagged", [f"{s}:*" for s in TAGGED_SERVICES], "*", Condition=_tagged(project, "aws:RequestTag")),
        _allow("ChangeTagged", [f"{s}:*" for s in TAGGED_SERVICES], "*", Condition=_tagged(project)),
        pipeline_policies.tag_network_on_create(),
        # Clusters, services, their deployments and tasks (every ECS ARN ends in <type>/<name>...), and
        # the task definitions, whose families ecsp marks.
        _allow("Ecs", ["ecs:*"], [f"arn:{p}:ecs:{r}:{a}:*/{base}-*",
                                  f"arn:{p}:ecs:{r}:{a}:task-definition/{naming.OWN_MARK}{base}-*"]),
        _allow("Logs", ["logs:*"], f"arn:{p}:logs:{r}:{a}:log-group:/ecsp/{base}-*"),
        _allow("Alarms", ["cloudwatch:*"], f"arn:{p}:cloudwatch:{r}:{a}:alarm:{base}-*"),
        # The guards below hold these to roles that carry the applications' boundary.
        _allow("Roles", ["iam:*Role*"], f"arn:{p}:iam::{a}:role/{base}-*"),
        _allow("ServiceLinkedRoles", ["iam:CreateServiceLinkedRole"], f"arn:{p}:iam::{a}:role/aws-service-role/*"),
        *_storage(p, a, r, project, environment),
    ]
    if zone is not None:
        zone = zone.rstrip(".").lower()
        statements += [
            _allow("Zones", ["route53:ChangeTagsForResource", "route53:DeleteHostedZone"],
                   f"arn:{p}:route53:::hostedzone/*"),
            _allow("EnvironmentRecords", ["route53:ChangeResourceRecordSets"], f"arn:{p}:route53:::hostedzone/*",
                   Condition=record_names_condition([zone, f"*.{zone}"])),
        ]
        if dns_delegation_role is not None:
            statements.append(_allow("DelegateDns", ["sts:AssumeRole"], dns_delegation_role))
    statements += guards(p, a, applications_boundary)
    return {"Version": VERSION, "Statement": statements}


def data_names(config: Any, environment: str, named_in: str | None = None) -> tuple[list[str], list[str]]:
    """The bucket and table names (patterns for the ones ecsp creates) of ``environment``'s data, given as values.

    ``config``: the :class:`ecsp.config.ProjectConfig`; ``named_in``: the environment (or ``pr-*``)
    whose names the managed entries take, ``environment`` by default. An existing entry named by
    a CloudFormation export is left out here: the environment stack adds it once resolved.
    """
    buckets: list[str] = []
    tables: list[str] = []
    for entry, data in config.data_in(environment).items():
        if data.kind not in ("bucket", "table"):
            continue
        names = naming.DataNames(config.project.name, named_in or environment, entry)
        if data.managed:
            name = f"{names.bucket}-*" if data.kind == "bucket" else names.table
        elif data.existing is not None and isinstance(data.existing.name, str):
            name = data.existing.name
        else:
            continue
        (buckets if data.kind == "bucket" else tables).append(name)
    return buckets, tables


def project_boundary(*, partition: str, account: str, project: str, zone: str | None = None) -> Document:
    """The project account's boundary: what the pipelines' roles and the DNS delegation role use, and the guards.

    ``zone``: the project's DNS zone (None without a domain).
    """
    p, a = partition, account
    boundary = naming.policy_arn(p, a, naming.permissions_boundary(project), naming.BOUNDARY_PATH)
    statements = [
        # Objects in the artifact buckets (generated names) and in the state bucket (the user's).
        _allow("Objects", ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
               f"arn:{p}:s3:::*/*"),
        _allow("Buckets", ["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
               f"arn:{p}:s3:::*"),
        # The artifact keys (the project account's) and the awskms:// secrets key (the user's, any account).
        _allow("Keys", KMS_USE_ACTIONS, f"arn:{p}:kms:*:*:key/*"),
        _allow("Builds", ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
               f"arn:{p}:codebuild:*:{a}:project/{project}-*"),
        _allow("BuildLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
               f"arn:{p}:logs:*:{a}:log-group:/ecsp/{project}-*"),
        _allow("Connections", ["codeconnections:UseConnection", "codestar-connections:UseConnection"],
               [f"arn:{p}:codeconnections:*:{a}:connection/*", f"arn:{p}:codestar-connections:*:{a}:connection/*"]),
        _allow("CodeCommit", ["codecommit:CancelUploadArchive", "codecommit:GetBranch", "codecommit:GetCommit",
                              "codecommit:GetUploadArchiveStatus", "codecommit:UploadArchive"],
               f"arn:{p}:codecommit:*:{a}:*"),
        # The approval topic is the user's (any account).
        _allow("NotifyApprovers", ["sns:Publish"], f"arn:{p}:sns:*:*:*"),
        _allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
        _allow("PushImages", [*ECR_PUSH_ACTIONS, "ecr:DescribeImages"],
               f"arn:{p}:ecr:*:{a}:repository/{naming.ecr_repository(project, '*')}"),
        # The environments' deploy roles, in any account.
        _allow("AssumeDeployRoles", ["sts:AssumeRole"], f"arn:{p}:iam::*:role{naming.PIPELINE_ROLE_PATH}{project}-*"),
        _allow("ReadParameters", ["ssm:GetParameters"], f"arn:{p}:ssm:*:*:parameter/*"),
        _allow("ReadSecrets", ["secretsmanager:GetSecretValue"], f"arn:{p}:secretsmanager:*:*:secret:*"),
        _allow("StartPipelines", ["codepipeline:StartPipelineExecution"],
               f"arn:{p}:codepipeline:*:{a}:{naming.OWN_MARK}{project}-*"),
    ]
    if zone is not None:
        # The DNS delegation role's grants, as the environments' accounts use them.
        statements += [{**s, "Sid": f"Delegation{s['Sid']}"}
                       for s in dns_delegation_permissions(p, "*", zone)["Statement"]]
    statements += guards(p, a, boundary)
    return {"Version": VERSION, "Statement": statements}

