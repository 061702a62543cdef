"""The deployers' IAM documents (release pipelines, GitHub Actions), as pure functions of plain values.

Three roles: the pipeline's (moves artifacts, starts builds, uses the source connection), the
build's (reads artifacts, pushes images, reads the Pulumi state, assumes deploy roles), both in
the project account, and each deployed environment's deploy role (in the environment's account),
which only the build roles of the pipelines that deploy it (and the role of its GitHub Actions
job) may assume. :func:`deploy_role_policy` is the one least-privilege policy of every deploy role.

Least privilege, honestly: every statement names its resources, except the ones listed in
:data:`ANY_RESOURCE_ACTIONS`, which AWS only authorises on ``*`` (no resource-level permissions),
and the create/change statements scoped by the ``ecsp:project`` tag instead of an ARN (EC2,
load balancers, certificates, scaling targets, EFS, RDS parameter groups get their ARNs at creation). Deploying an
environment needs broad rights on the services ecsp manages; :func:`deploy_role_policy` documents
what stays wide. ``tests/stacks/test_stack_pipeline.py`` walks every document of the pipeline and
environment stacks against these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecsp import naming
from ecsp.kinds import PROJECT_TAG
from stacks.application_deployment import INFRASTRUCTURE_POLICY
from stacks.project_policies import ECR_PUSH_ACTIONS, KMS_USE_ACTIONS, VERSION, record_names_condition, root

Document = dict[str, Any]

# Actions that AWS only authorises on Resource "*", and why each is needed. The policy walker
# in the tests accepts exactly these on "*" (unless a tag condition scopes the statement).
ANY_RESOURCE_ACTIONS: Mapping[str, str] = {
    "ecr:GetAuthorizationToken": "docker login to ECR; the token is per registry, not per repository",
    "ec2:Describe*": "EC2 describe calls have no resource-level permissions (read only)",
    "elasticloadbalancing:Describe*": "load balancer describe calls have no resource-level permissions (read only)",
    "ecs:DescribeTaskDefinition": "no resource-level permissions (read only)",
    "ecs:RegisterTaskDefinition": "no resource-level permissions; the task roles it may pass are scoped by "
                                  "iam:PassRole",
    "ecs:DeregisterTaskDefinition": "no resource-level permissions",
    "logs:DescribeLogGroups": "no resource-level permissions (read only)",
    "application-autoscaling:Describe*": "no resource-level permissions (read only)",
    "acm:ListCertificates": "no resource-level permissions (read only)",
    "route53:CreateHostedZone": "no resource-level permissions and no tag conditions: the deploy role can create "
                                "hosted zones in the environment account",
    "route53:ListHostedZones": "no resource-level permissions (read only)",
    "route53:ListHostedZonesByName": "no resource-level permissions (read only)",
    "route53:GetHostedZoneCount": "no resource-level permissions (read only)",
    "secretsmanager:GetRandomPassword": "no resource-level permissions; the password of a Copilot-style database "
                                        "secret (stacks/storage_database.py)",
}

# Managed policies ecsp attaches to roles it creates: the task execution roles'
# (stacks/application_iam.py) and the ECS infrastructure role of traffic-shifting deployments
# (stacks/application_deployment.py). The deploy role may attach these and no other.
EXECUTION_POLICY = "policy/service-role/AmazonECSTaskExecutionRolePolicy"
ATTACHED_POLICIES = (EXECUTION_POLICY, INFRASTRUCTURE_POLICY)
# Service-linked roles the first ECS cluster, load balancer and scaling target of an account need.
SERVICE_LINKED = ("ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com",
                  "ecs.application-autoscaling.amazonaws.com", "rds.amazonaws.com", "elasticache.amazonaws.com",
                  "elasticfilesystem.amazonaws.com")


@dataclass(frozen=True)
class RegionArtifacts:
    """One region's artifact store (from the project stack's outputs)."""

    region: str
    bucket_arn: str
    key_arn: str


def _statement(sid: str, actions: Sequence[str], resources: Sequence[str] | str, **extra: Any) -> Document:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions),
            "Resource": resources if isinstance(resources, str) else sorted(resources), **extra}


def _artifact_statements(artifacts: Sequence[RegionArtifacts], object_actions: Sequence[str],
                         bucket_actions: Sequence[str]) -> list[Document]:
    return [
        _statement("ArtifactObjects", object_actions, [f"{a.bucket_arn}/*" for a in artifacts]),
        _statement("ArtifactBuckets", bucket_actions, [a.bucket_arn for a in artifacts]),
        _statement("ArtifactKeys", KMS_USE_ACTIONS, [a.key_arn for a in artifacts]),
    ]


def pipeline_role_policy(*, artifacts: Sequence[RegionArtifacts], build_projects: Sequence[str],
                         connection_arn: str | None = None, codecommit_arn: str | None = None,
                         approval_topic: str | None = None) -> Document:
    """The pipeline's role: the artifact stores, its own build projects, its source, its approval topic."""
    statements = _artifact_statements(
        artifacts, ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
        ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"])
    statements.append(_statement("RunBuilds", ["codebuild:BatchGetBuilds", "codebuild:StartBuild",
                                               "codebuild:StopBuild"], build_projects))
    if connection_arn is not None:
        # Connections are served by both service prefixes; the ARN is what is scoped.
        statements.append(_statement("UseConnection", ["codeconnections:UseConnection",
                                                       "codestar-connections:UseConnection"], [connection_arn]))
    if codecommit_arn is not None:
        statements.append(_statement("ReadSource", [
            "codecommit:CancelUploadArchive", "codecommit:GetBranch", "codecommit:GetCommit",
            "codecommit:GetUploadArchiveStatus", "codecommit:UploadArchive"], [codecommit_arn]))
    if approval_topic is not None:
        statements.append(_statement("NotifyApprovers", ["sns:Publish"], [approval_topic]))
    return {"Version": VERSION, "Statement": statements}


def state_statements(partition: str, backend: str) -> list[Document]:
    """Reading and writing the Pulumi state in an ``s3://bucket/prefix`` backend (nothing for others)."""
    if not backend.startswith("s3://"):
        return []
    location = backend.removeprefix("s3://").split("?", 1)[0]
    bucket, _, prefix = location.partition("/")
    prefix = prefix.strip("/")
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    objects = f"{bucket_arn}/{prefix}/*" if prefix else f"{bucket_arn}/*"
    return [
        _statement("StateBucket", ["s3:GetBucketLocation", "s3:ListBucket"], [bucket_arn]),
        _statement("StateObjects", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [objects]),
    ]


def secrets_provider_statements(partition: str, account: str, provider: str) -> list[Document]:
    """Using the stacks' ``awskms://`` secrets key (nothing for a passphrase)."""
    if not provider.startswith("awskms://"):
        return []
    target, _, query = provider.removeprefix("awskms://").partition("?")
    region = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("region", "*")
    actions = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    if target.startswith("arn:"):
        return [_statement("SecretsKey", actions, [target])]
    if target.startswith("alias/"):
        # The ciphertext names the key, not the alias: scope by the aliases the key has.
        return [_statement("SecretsKey", actions, [f"arn:{partition}:kms:{region}:{account}:key/*"],
                           Condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": [target]}})]
    return [_statement("SecretsKey", actions, [f"arn:{partition}:kms:{region}:{account}:key/{target}"])]


def secret_arn(partition: str, region: str, account: str, ref: str) -> str:
    """The ARN of a build secret: as written when an ARN, else the SSM parameter in the home region."""
    if ref.startswith("arn:"):
        return ref
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{ref.lstrip('/')}"


def deployer_statements(*, partition: str, repositories: Sequence[str], deploy_roles: Sequence[str], backend: str,
                        secrets_provider: str, account: str) -> list[Document]:
    """What any runner of ``ecsp up --env E --deploy-role ARN`` needs in the project account.

    A pipeline's build and a GitHub Actions job both: push the built images, read and write the
    Pulumi state and its secrets key, and assume the environments' deploy roles.
    """
    statements = [_statement("EcrLogin", ["ecr:GetAuthorizationToken"], "*")]
    if repositories:
        statements.append(_statement("PushImages", [*ECR_PUSH_ACTIONS, "ecr:DescribeImages"], repositories))
    statements.append(_statement("AssumeDeployRoles", ["sts:AssumeRole"], deploy_roles))
    statements += state_statements(partition, backend)
    statements += secrets_provider_statements(partition, account, secrets_provider)
    return statements


def build_role_policy(*, partition: str, artifacts: Sequence[RegionArtifacts], log_groups: Sequence[str],
                      repositories: Sequence[str], deploy_roles: Sequence[str], backend: str, secrets_provider: str,
                      account: str, parameters: Sequence[str] = (), secrets: Sequence[str] = ()) -> Document:
    """The build's role: what ``ecsp up --env E`` needs from the project account, and the deploy roles."""
    statements = [
        _statement("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{g}:*" for g in log_groups]),
        *_artifact_statements(artifacts, ["s3:GetObject", "s3:GetObjectVersion"],
                              ["s3:GetBucketAcl", "s3:GetBucketLocation"]),
        *deployer_statements(partition=partition, repositories=repositories, deploy_roles=deploy_roles,
                             backend=backend, secrets_provider=secrets_provider, account=account),
    ]
    if parameters:
        statements.append(_statement("ReadParameters", ["ssm:GetParameters"], parameters))
    if secrets:
        statements.append(_statement("ReadSecrets", ["secretsmanager:GetSecretValue"], secrets))
    return {"Version": VERSION, "Statement": statements}


def deploy_role_trust(partition: str, project_account: str, deployers: Iterable[str]) -> Document:
    """Only the deployers of this environment, roles in the project account, may assume it.

    The deployers are the build roles of the pipelines deploying the environment and the role
    its GitHub Actions job assumes. The principal is the project account with an
    ``aws:PrincipalArn`` condition rather than the role ARNs themselves: IAM rejects a trust
    policy naming a role that does not exist yet, and the environment is deployed before its
    pipeline.
    """
    return {"Version": VERSION, "Statement": [
        {"Sid": "Deployers", "Effect": "Allow", "Principal": {"AWS": root(partition, project_account)},
         "Action": "sts:AssumeRole",
         "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(set(deployers))}}}]}


def _tagged(project: str, key: str = "aws:ResourceTag") -> Document:
    return {"StringEquals": {f"{key}/{PROJECT_TAG}": project}}


EC2_CREATE = ("ec2:AllocateAddress", "ec2:CreateInternetGateway", "ec2:CreateNatGateway", "ec2:CreateRouteTable",
              "ec2:CreateSecurityGroup", "ec2:CreateSubnet", "ec2:CreateVpc")
EC2_CHANGE = (
    "ec2:AssociateAddress", "ec2:AssociateRouteTable", "ec2:AttachInternetGateway", "ec2:AuthorizeSecurityGroupEgress",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateRoute", "ec2:CreateTags", "ec2:DeleteInternetGateway",
    "ec2:DeleteNatGateway", "ec2:DeleteRoute", "ec2:DeleteRouteTable", "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet",
    "ec2:DeleteTags", "ec2:DeleteVpc", "ec2:DetachInternetGateway", "ec2:DisassociateAddress",
    "ec2:DisassociateRouteTable", "ec2:ModifySecurityGroupRules", "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute", "ec2:ReleaseAddress", "ec2:ReplaceRoute", "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
)
ELB_CREATE = ("elasticloadbalancing:AddTags", "elasticloadbalancing:CreateListener",
              "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateRule",
              "elasticloadbalancing:CreateTargetGroup")
ELB_CHANGE = (
    "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:AddTags",
    "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:RemoveTags", "elasticloadbalancing:SetRulePriorities",
    "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
)
SCALING_CHANGE = ("application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget",
                  "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget",
                  "application-autoscaling:TagResource", "application-autoscaling:UntagResource")


def tag_network_on_create() -> Document:
    """Tagging EC2 resources as they are created (EC2 authorises the tags of a create apart from the create)."""
    return _statement("TagNetworkOnCreate", ["ec2:CreateTags"], "*",
                      Condition={"StringEquals": {"ec2:CreateAction": sorted(x.split(":")[1] for x in EC2_CREATE)}})


# Role writes that create a role or change its permissions: AWS puts the role's permissions
# boundary in their request context (iam:PermissionsBoundary), and the deploy role may make them
# only with the environment's applications' boundary.
ROLE_PERMISSION_WRITES = ("iam:CreateRole", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
                          "iam:PutRolePolicy")
# Role writes AWS evaluates without the boundary in the request: none of them grants a permission.
ROLE_LIFECYCLE = ("iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
                  "iam:UpdateRoleDescription")
ROLE_READS = ("iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
              "iam:ListRolePolicies")


# The storage stack (stacks/storage*.py) and the environment's file system (stacks/environment_storage.py).
TABLE_ACTIONS = ("dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeContinuousBackups",
                 "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource",
                 "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:UpdateContinuousBackups",
                 "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive")
CACHE_ACTIONS = ("elasticache:AddTagsToResource", "elasticache:CreateServerlessCache",
                 "elasticache:DeleteServerlessCache", "elasticache:DescribeServerlessCaches",
                 "elasticache:ListTagsForResource", "elasticache:ModifyServerlessCache",
                 "elasticache:RemoveTagsFromResource")
DATABASE_CREATE = ("rds:AddTagsToResource", "rds:CreateDBCluster", "rds:CreateDBClusterParameterGroup",
                   "rds:CreateDBInstance", "rds:CreateDBParameterGroup", "rds:CreateDBSubnetGroup")
# On the clusters, instances, subnet groups and final snapshots ecsp names; deleting a database takes its
# final snapshot (naming.DataNames.final_snapshot).
DATABASE_CHANGE = ("rds:AddTagsToResource", "rds:CreateDBClusterSnapshot", "rds:CreateDBSnapshot",
                   "rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:DeleteDBSubnetGroup", "rds:DescribeDBClusters",
                   "rds:DescribeDBInstances", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource",
                   "rds:ModifyDBCluster", "rds:ModifyDBInstance", "rds:ModifyDBSubnetGroup",
                   "rds:RemoveTagsFromResource")
# Parameter groups are auto-named, so tagged; a database's create or change also authorises the group it names.
PARAMETER_GROUP_CHANGE = (
    "rds:AddTagsToResource", "rds:CreateDBCluster", "rds:CreateDBInstance", "rds:DeleteDBClusterParameterGroup",
    "rds:DeleteDBParameterGroup", "rds:DescribeDBClusterParameterGroups", "rds:DescribeDBClusterParameters",
    "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:ListTagsForResource", "rds:ModifyDBCluster",
    "rds:ModifyDBClusterParameterGroup", "rds:ModifyDBInstance", "rds:ModifyDBParameterGroup",
    "rds:RemoveTagsFromResource")
# The master password secret RDS creates (and deletes) in the caller's name when it manages it
# (rds!cluster-..., rds!db-...).
RDS_SECRET_ACTIONS = ("secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
                      "secretsmanager:TagResource")
SECRET_ACTIONS = ("secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
                  "secretsmanager:GetResourcePolicy", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
                  "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:UpdateSecret")
# Pulumi reads every configuration of a bucket (s3:GetBucket* and the four other reads); it writes only these.
BUCKET_ACTIONS = (
    "s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:GetAccelerateConfiguration", "s3:GetBucket*",
    "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
    "s3:ListBucket", "s3:ListBucketVersions", "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration")
# A bucket is created with force_destroy: deleting it (`--delete-data`) empties it first. No object is read.
BUCKET_EMPTYING = ("s3:DeleteObject", "s3:DeleteObjectVersion")
# A file system has no ARN before it exists (on "*", tagged); an access point is created on its file system.
FILE_SYSTEM_CREATE = ("elasticfilesystem:CreateAccessPoint", "elasticfilesystem:CreateFileSystem",
                      "elasticfilesystem:TagResource")
FILE_SYSTEM_CHANGE = (
    "elasticfilesystem:CreateMountTarget", "elasticfilesystem:DeleteAccessPoint", "elasticfilesystem:DeleteFileSystem",
    "elasticfilesystem:DeleteFileSystemPolicy", "elasticfilesystem:DeleteMountTarget",
    "elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DescribeBackupPolicy",
    "elasticfilesystem:DescribeFileSystemPolicy", "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:DescribeLifecycleConfiguration", "elasticfilesystem:DescribeMountTargetSecurityGroups",
    "elasticfilesystem:DescribeMountTargets", "elasticfilesystem:ListTagsForResource",
    "elasticfilesystem:ModifyMountTargetSecurityGroups",
    "elasticfilesystem:PutBackupPolicy", "elasticfilesystem:PutFileSystemPolicy",
    "elasticfilesystem:PutLifecycleConfiguration", "elasticfilesystem:TagResource", "elasticfilesystem:UntagResource",
    "elasticfilesystem:UpdateFileSystem")
# Addon stacks are created without a service role (cloudformation:RoleArn absent): CloudFormation then acts
# with the deploy role's own permissions, so an addon's resources need grants of their own.
ADDON_STACK_ACTIONS = ("cloudformation:CreateStack", "cloudformation:DeleteStack", "cloudformation:DescribeStackEvents",
                       "cloudformation:DescribeStacks", "cloudformation:GetTemplate", "cloudformation:TagResource",
                       "cloudformation:UntagResource", "cloudformation:UpdateStack")


@dataclass(frozen=True)
class StorageArns:
    """The ARN patterns of an environment's data, by the names ecsp gives it: what the deploy role's data
    policies and the deployers' boundary (stacks.boundary_policies) both name, so they cannot drift apart."""

    tables: str
    caches: str
    databases: tuple[str, ...]  # clusters, instances, subnet groups, then their final snapshots
    secrets: str
    rds_secrets: str  # the master password secrets RDS manages (rds!cluster-..., rds!db-...)
    buckets: str  # Pulumi's suffix follows the name, already a pattern
    network_interfaces: str
    addon_stacks: tuple[str, ...]  # the environment's addons, and its applications'

    @classmethod
    def of(cls, partition: str, account: str, region: str, project: str, environment: str) -> StorageArns:
        p, a, r = partition, account, region
        names = naming.DataNames(project, environment, "*")
        rds = f"arn:{p}:rds:{r}:{a}"
        return cls(
            tables=f"arn:{p}:dynamodb:{r}:{a}:table/{names.table}",
            caches=f"arn:{p}:elasticache:{r}:{a}:serverlesscache:{names.cache}",
            databases=tuple(f"{rds}:{kind}:{names.base}"
                            for kind in ("cluster", "db", "subgrp", "cluster-snapshot", "snapshot")),
            secrets=f"arn:{p}:secretsmanager:{r}:{a}:secret:{names.secret}",
            rds_secrets=f"arn:{p}:secretsmanager:{r}:{a}:secret:rds!*",
            buckets=f"arn:{p}:s3:::{names.bucket}",
            network_interfaces=f"arn:{p}:ec2:{r}:{a}:network-interface/*",
            addon_stacks=tuple(f"arn:{p}:cloudformation:{r}:{a}:stack/{naming.addon_stack(project, environment, o)}/*"
                               for o in (None, "*")))


def deploy_role_storage_policies(*, partition: str, account: str, region: str, project: str,
                                 environment: str) -> dict[str, Document]:
    """What deploying the environment's data needs: two managed policies, ``databases`` and ``data``.

    Apart from :func:`deploy_role_policy` because that inline policy is near IAM's 10,240
    characters a role, and in two because a managed policy holds 6,144. By name where ecsp names
    the resource (:class:`ecsp.naming.DataNames` of any entry, :func:`ecsp.naming.addon_stack`);
    by the ``ecsp:project`` tag where the name is Pulumi's (RDS parameter groups) or AWS's (EFS
    file systems and access points).
    """
    p, a, r = partition, account, region
    arns = StorageArns.of(p, a, r, project, environment)
    rds = f"arn:{p}:rds:{r}:{a}"
    parameter_groups = [f"{rds}:cluster-pg:*", f"{rds}:pg:*"]
    file_systems = [f"arn:{p}:elasticfilesystem:{r}:{a}:{kind}/*" for kind in ("access-point", "file-system")]
    database_statements = [
        _statement("CreateDatabases", DATABASE_CREATE, [*arns.databases[:3], *parameter_groups],
                   Condition=_tagged(project, "aws:RequestTag")),
        _statement("Databases", DATABASE_CHANGE, arns.databases),
        _statement("ParameterGroups", PARAMETER_GROUP_CHANGE, parameter_groups, Condition=_tagged(project)),
        _statement("DatabaseSecrets", RDS_SECRET_ACTIONS, [arns.rds_secrets]),
        _statement("CreateFileSystems", FILE_SYSTEM_CREATE, "*", Condition=_tagged(project, "aws:RequestTag")),
        _statement("FileSystems", FILE_SYSTEM_CHANGE, file_systems, Condition=_tagged(project)),
        # EFS makes a mount target's network interface in the caller's name; the subnet and security group
        # it goes in must be the environment's (tagged), the interface itself has no tag yet.
        _statement("MountTargetInterfaces", ["ec2:CreateNetworkInterface"], [arns.network_interfaces]),
        _statement("MountTargetPlacement", ["ec2:CreateNetworkInterface"],
                   [f"arn:{p}:ec2:{r}:{a}:subnet/*", f"arn:{p}:ec2:{r}:{a}:security-group/*"],
                   Condition=_tagged(project)),
    ]
    data_statements = [
        _statement("Tables", TABLE_ACTIONS, [arns.tables]),
        _statement("Caches", CACHE_ACTIONS, [arns.caches]),
        _statement("Secrets", SECRET_ACTIONS, [arns.secrets]),
        _statement("RandomPasswords", ["secretsmanager:GetRandomPassword"], "*"),
        _statement("Buckets", BUCKET_ACTIONS, [arns.buckets]),
        _statement("EmptyBuckets", BUCKET_EMPTYING, [f"{arns.buckets}/*"]),
        _statement("AddonStacks", ADDON_STACK_ACTIONS, arns.addon_stacks,
                   Condition={"Null": {"cloudformation:RoleArn": "true"}}),
    ]
    return {"databases": {"Version": VERSION, "Statement": database_statements},
            "data": {"Version": VERSION, "Statement": data_statements}}


def deploy_role_policy(*, partition: str, account: str, region: str, project: str, environment: str,
                       zone: str | None, boundary: str, dns_delegation_role: str | None = None) -> Document:
    """What deploying environment ``environment``'s stacks (environment, storage and applications) needs.

    Scoped by name where the names are ecsp's (ECS cluster, services, task families
    ``ecsp_<project>-<env>-*``, log groups and IAM roles ``<project>-<env>-*``, DNS records
    ``zone`` and below) and by the ``ecsp:project`` tag where ARNs only exist after creation
    (EC2, load balancers, certificates, scaling targets): a create must carry the tag (``aws:RequestTag``, which
    ecsp's providers add to every resource), a change needs it on the resource
    (``aws:ResourceTag``), and tags may only be added at creation or to resources already
    tagged. What stays wide: the read-only describes AWS only grants on ``*``, task definition
    (de)registration, and hosted zones of the environment account (Route 53 has no tag
    conditions; a zone can only be deleted once empty, and records change only under ``zone``).

    The roles ``<project>-<env>-*``: the deploy role creates them and writes their policies
    only with the environment's applications' boundary ``boundary`` attached
    (``iam:PermissionsBoundary``, :data:`ROLE_PERMISSION_WRITES`), so no role it makes can do
    more than that boundary (:func:`stacks.boundary_policies.application_boundary`) allows, and
    attaches only :data:`ATTACHED_POLICIES`. Its other role actions
    (:data:`ROLE_LIFECYCLE`: trust, tags, description, deletion) take no boundary condition in
    AWS and change no permission.

    The data's statements (:func:`deploy_role_storage_policies`, attached beside this one) are
    there whether or not the environment has data yet: they reach only the environment's own
    names and tags, and a pipeline must be able to deploy the first data entry a commit adds
    without a person redeploying the role first. Addon stacks (``<project>-<env>[-<app>]-addons``)
    are managed without a service role, so CloudFormation creates an addon's resources with the
    deploy role's permissions: those outside its statements fail, and such addons are deployed
    by a person (the README says so).
    """
    p, a, r = partition, account, region
    base = f"{project}-{environment}"
    roles = [f"arn:{p}:iam::{a}:role/{base}-*"]
    cluster = naming.EnvNames(project, environment).cluster_pattern
    bounded = {"ArnEquals": {"iam:PermissionsBoundary": boundary}}
    statements: list[Document] = [
        _statement("Describe", ["application-autoscaling:Describe*", "ec2:Describe*", "ecs:DescribeTaskDefinition",
                                "elasticloadbalancing:Describe*", "logs:DescribeLogGroups"], "*"),
        _statement("CreateNetwork", EC2_CREATE, "*", Condition=_tagged(project, "aws:RequestTag")),
        _statement("ChangeNetwork", EC2_CHANGE, "*", Condition=_tagged(project)),
        tag_network_on_create(),
        _statement("CreateLoadBalancing", ELB_CREATE, "*", Condition=_tagged(project, "aws:RequestTag")),
        _statement("ChangeLoadBalancing", ELB_CHANGE, "*", Condition=_tagged(project)),
        _statement("Cluster", ["ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters",
                               "ecs:PutClusterCapacityProviders", "ecs:TagResource", "ecs:UntagResource",
                               "ecs:UpdateCluster", "ecs:UpdateClusterSettings"],
                   [f"arn:{p}:ecs:{r}:{a}:cluster/{cluster}"]),
        _statement("Services", ["ecs:CreateService", "ecs:DeleteService", "ecs:DescribeServices",
                                "ecs:ListServiceDeployments", "ecs:TagResource", "ecs:UntagResource",
                                "ecs:UpdateService"],
                   [f"arn:{p}:ecs:{r}:{a}:service/{cluster}/*"]),
        # `ecsp up` follows each service deployment to its end (ecsp.service_deployments). AWS's
        # Service Authorization Reference names the deployment's ARN; older data (parliament's) the service's.
        _statement("ServiceDeployments", ["ecs:DescribeServiceDeployments"],
                   [f"arn:{p}:ecs:{r}:{a}:service-deployment/{cluster}/*", f"arn:{p}:ecs:{r}:{a}:service/{cluster}/*"]),
        # The rollback alarms of blue/green, canary and linear deployments (names.rollback_alarm).
        _statement("Alarms", ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
                              "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
                   [f"arn:{p}:cloudwatch:{r}:{a}:alarm:{base}-*"]),
        _statement("TaskDefinitions", ["ecs:DeregisterTaskDefinition", "ecs:RegisterTaskDefinition"], "*"),
        _statement("TagTaskDefinitions", ["ecs:TagResource", "ecs:UntagResource"],
                   [f"arn:{p}:ecs:{r}:{a}:task-definition/{naming.OWN_MARK}{base}-*:*"]),
        # A release command (ecsp.rollout) runs as a one-off task of the new revision, followed to its end. The
        # cluster's name is Pulumi's auto-name of <project>-<env> (a suffix follows).
        _statement("Releases", ["ecs:RunTask"], [f"arn:{p}:ecs:{r}:{a}:task-definition/{naming.OWN_MARK}{base}-*:*"],
                   Condition={"ArnLike": {"ecs:cluster": f"arn:{p}:ecs:{r}:{a}:cluster/{base}-*"}}),
        _statement("ReleaseTasks", ["ecs:DescribeTasks", "ecs:StopTask"], [f"arn:{p}:ecs:{r}:{a}:task/{base}-*/*"]),
        _statement("ReleaseLogs", ["logs:FilterLogEvents"], [f"arn:{p}:logs:{r}:{a}:log-group:/ecsp/{base}-*"]),
        _statement("LogGroups", ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
                                 "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:PutRetentionPolicy",
                                 "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup", "logs:UntagResource"],
                   [f"arn:{p}:logs:{r}:{a}:log-group:/ecsp/{base}-*"]),
        _statement("BoundedRoles", ROLE_PERMISSION_WRITES, roles, Condition=bounded),
        _statement("ManagedPolicies", ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], roles,
                   Condition={"ArnEquals": {"iam:PolicyARN": [f"arn:{p}:iam::aws:{x}" for x in ATTACHED_POLICIES],
                                            "iam:PermissionsBoundary": boundary}}),
        _statement("ApplicationRoles", [*ROLE_LIFECYCLE, *ROLE_READS], roles),
        _statement("PassRolesToTasks", ["iam:PassRole"], roles,
                   Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        # A traffic-shifting service names the role ECS edits its listener rules with
        # (naming.AppNames.infrastructure_role; auto-named, and shortened when long, so by the prefix).
        _statement("PassInfrastructureRoles", ["iam:PassRole"], roles,
                   Condition={"StringEquals": {"iam:PassedToService": "ecs.amazonaws.com"}}),
        _statement("ServiceLinkedRoles", ["iam:CreateServiceLinkedRole"],
                   [f"arn:{p}:iam::{a}:role/aws-service-role/*"],
                   Condition={"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}}),
        _statement("CreateScaling", ["application-autoscaling:RegisterScalableTarget",
                                     "application-autoscaling:TagResource"], "*",
                   Condition=_tagged(project, "aws:RequestTag")),
        _statement("ChangeScaling", SCALING_CHANGE, "*", Condition=_tagged(project)),
    ]
    if zone is not None:
        zone = zone.rstrip(".").lower()  # as Route 53 normalises the record names it compares
        statements += [
            _statement("CreateCertificates", ["acm:AddTagsToCertificate", "acm:RequestCertificate"], "*",
                       Condition=_tagged(project, "aws:RequestTag")),
            _statement("ChangeCertificates", ["acm:AddTagsToCertificate", "acm:DeleteCertificate",
                                              "acm:DescribeCertificate", "acm:ListTagsForCertificate",
                                              "acm:RemoveTagsFromCertificate"],
                       [f"arn:{p}:acm:{r}:{a}:certificate/*"], Condition=_tagged(project)),
            _statement("ListCertificates", ["acm:ListCertificates"], "*"),
            _statement("CreateZones", ["route53:CreateHostedZone", "route53:GetHostedZoneCount",
                                       "route53:ListHostedZones", "route53:ListHostedZonesByName"], "*"),
            _statement("Zones", ["route53:ChangeTagsForResource", "route53:DeleteHostedZone", "route53:GetHostedZone",
                                 "route53:ListResourceRecordSets", "route53:ListTagsForResource"],
                       [f"arn:{p}:route53:::hostedzone/*"]),
            # The environment zone's records, and its NS delegation record in the project zone (same account).
            _statement("EnvironmentRecords", ["route53:ChangeResourceRecordSets"], [f"arn:{p}:route53:::hostedzone/*"],
                       Condition=record_names_condition([zone, f"*.{zone}"])),
            _statement("ZoneChanges", ["route53:GetChange"], [f"arn:{p}:route53:::change/*"]),
        ]
        if dns_delegation_role is not None:
            statements.append(_statement("DelegateDns", ["sts:AssumeRole"], [dns_delegation_role]))
    return {"Version": VERSION, "Statement": statements}
