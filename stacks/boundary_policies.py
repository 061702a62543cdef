"""The permissions boundaries every role ecsp creates carries, as pure functions of plain values.

A permissions boundary caps a role: whatever its own policies say, it may do only what the
boundary allows too. Two kinds, one managed policy each (named by :func:`ecsp.naming.permissions_boundary`):

* the **environment's**, in the environment's account, carried by the task, execution, Step
  Functions, Scheduler and flow-log roles and by the environment's deploy role;
* the **project's**, in the project account, carried by the pipelines' roles and the DNS
  delegation role.

Each is the union of what ecsp's roles of that account are granted, built from the same action
lists and policy functions that write those grants, with resources narrowed to the
environment's (or project's) names wherever ecsp chooses the name, plus explicit denials that
no allow can undo: the boundary policy cannot be changed or deleted, no role may lose its
boundary, a role may only be created or have its permissions changed with *this* boundary, and
the deployers' roles (:data:`ecsp.naming.PIPELINE_ROLE_PATH`) cannot be changed at all.

That closes the deploy role's escalation: it may create roles ``<project>-<env>-*`` and write
their policies, but only with this boundary attached, so a role it creates can never do more
than ecsp's own roles of the environment may. ``tests/stacks/test_boundaries.py`` proves, over every
example and golden graph, that every grant of every ecsp role lies within its boundary and
that the escalation is refused.

What a role under the environment's boundary can reach beyond the environment's own names,
because the user names those resources freely: read any SSM parameter or Secrets Manager
secret (and decrypt them only through those services), pull any image, mount any EFS file
system of the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecsp import naming
from stacks import pipeline_policies
from stacks._iam import VERSION
from stacks.application_iam import EXEC_ACTIONS, EXEC_LOG_ACTIONS, EXECUTION_POLICY_ACTIONS, SECRET_READ_ACTIONS
from stacks.application_queue import CONSUMER_ACTIONS
from stacks.application_schedule import SYNC_RULE, SYNC_RULE_ACTIONS, WATCH_TASK_ACTIONS
from stacks.application_storage import FILE_SYSTEM_ACTIONS
from stacks.environment_logs import FLOW_LOG_ACTIONS
from stacks.project_policies import ECR_PUSH_ACTIONS, KMS_USE_ACTIONS, dns_delegation_permissions

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


def _allow(sid: str, actions: Sequence[str], resources: Sequence[str] | str, **extra: Any) -> Document:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)),
            "Resource": resources if isinstance(resources, str) else sorted(resources), **extra}


def guards(partition: str, account: str, boundary: str) -> list[Document]:
    """The denials every boundary ends with (see the module docstring)."""
    deployers = f"arn:{partition}:iam::{account}:role{naming.PIPELINE_ROLE_PATH}*"
    return [
        {"Sid": "ProtectBoundary", "Effect": "Deny", "Action": sorted(POLICY_WRITES), "Resource": boundary},
        {"Sid": "KeepBoundaries", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        {"Sid": "OnlyThisBoundary", "Effect": "Deny", "Action": sorted(BOUNDED_ROLE_WRITES), "Resource": "*",
         "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": boundary}}},
        {"Sid": "ProtectDeployers", "Effect": "Deny", "Action": sorted(ROLE_WRITES), "Resource": deployers},
    ]


def environment_boundary(*, partition: str, account: str, region: str, project: str, environment: str,
                         zone: str | None, dns_delegation_role: str | None = None) -> Document:
    """The environment's boundary: its deploy role's policy, what its applications' roles use, and the guards.

    ``zone``: the environment's DNS zone (None without a domain); ``dns_delegation_role``: the
    project's, when the environment delegates its zone across accounts.
    """
    p, a, r = partition, account, region
    base = f"{project}-{environment}"
    boundary = naming.policy_arn(p, a, naming.permissions_boundary(project, environment), naming.BOUNDARY_PATH)
    deploy = pipeline_policies.deploy_role_policy(
        partition=p, account=a, region=r, project=project, environment=environment, zone=zone,
        dns_delegation_role=dns_delegation_role, boundary=boundary)
    statements = [{**s, "Sid": f"Deploy{s['Sid']}"} for s in deploy["Statement"]]
    groups = [f"arn:{p}:logs:{r}:{a}:log-group:/ecsp/{base}{tail}" for tail in ("-*", "/*")]
    cluster = naming.EnvNames(project, environment).cluster_pattern
    statements += [
        # Images come from whatever repository the user names (the project's, or ECR in any account).
        _allow("EcrLogin", ["ecr:GetAuthorizationToken"], "*"),
        _allow("PullImages", [x for x in EXECUTION_POLICY_ACTIONS
                              if x.startswith("ecr:") and x != "ecr:GetAuthorizationToken"],
               f"arn:{p}:ecr:*:*:repository/*"),
        _allow("WriteLogs", [x for x in (*EXECUTION_POLICY_ACTIONS, *EXEC_LOG_ACTIONS, *FLOW_LOG_ACTIONS)
                             if x.startswith("logs:")], [*groups, *(f"{g}:*" for g in groups)]),
        _allow("FindLogGroups", ["logs:DescribeLogGroups"], "*"),
        _allow("ExecSessions", EXEC_ACTIONS, "*"),
        # Applications name their secrets freely: any parameter or secret, decrypted only through its store.
        _allow("ReadParameters", [x for x in SECRET_READ_ACTIONS if x.startswith("ssm:")],
               f"arn:{p}:ssm:*:*:parameter/*"),
        _allow("ReadSecrets", [x for x in SECRET_READ_ACTIONS if x.startswith("secretsmanager:")],
               f"arn:{p}:secretsmanager:*:*:secret:*"),
        _allow("DecryptSecrets", ["kms:Decrypt"], f"arn:{p}:kms:*:*:key/*",
               Condition={"StringLike": {"kms:ViaService": list(SECRET_SERVICES)}}),
        _allow("ConsumeQueues", CONSUMER_ACTIONS, f"arn:{p}:sqs:{r}:{a}:{base}-*"),
        _allow("PublishTopics", ["sns:Publish"], f"arn:{p}:sns:{r}:{a}:{base}-*"),
        _allow("MountFileSystems", FILE_SYSTEM_ACTIONS, f"arn:{p}:elasticfilesystem:{r}:{a}:file-system/*"),
        _allow("RunJobTasks", ["ecs:RunTask"], f"arn:{p}:ecs:{r}:{a}:task-definition/{base}-*",
               Condition={"ArnLike": {"ecs:cluster": f"arn:{p}:ecs:{r}:{a}:cluster/{cluster}"}}),
        _allow("WatchJobTasks", WATCH_TASK_ACTIONS, f"arn:{p}:ecs:{r}:{a}:task/{cluster}/*"),
        _allow("WatchJobRule", SYNC_RULE_ACTIONS, f"arn:{p}:events:{r}:{a}:rule/{SYNC_RULE}"),
        _allow("StartJobs", ["states:StartExecution"], f"arn:{p}:states:{r}:{a}:stateMachine:{base}-*"),
    ]
    statements += guards(p, a, boundary)
    return {"Version": VERSION, "Statement": statements}


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
               f"arn:{p}:codepipeline:*:{a}:{project}-*"),
    ]
    if zone is not None:
        # The DNS delegation role's grants, as the environments' accounts use them.
        statements += [{**s, "Sid": f"Delegation{s['Sid']}"}
                       for s in dns_delegation_permissions(p, "*", zone)["Statement"]]
    statements += guards(p, a, boundary)
    return {"Version": VERSION, "Statement": statements}

