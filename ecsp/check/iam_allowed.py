"""The reviewed parliament findings ecsp accepts, each with the reason it is right (or not worse) as written.

An entry matches a finding by parliament's issue code, the resource type that carries the
policy, the resource's logical name (a glob) and words the finding must mention. Every entry
must match a finding of some example or golden graph (tests/check/test_check.py): one that no
longer does is removed, not kept "just in case".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    issue: str
    type: str
    name: str
    mentions: tuple[str, ...]
    reason: str


_KEY = "aws:kms/key:Key"
_ROLE = "aws:iam/role:Role"
_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
_POLICY = "aws:iam/policy:Policy"
# The logical names of the deploy roles' policies and of the permissions boundaries (stacks/): every
# boundary; the applications' ones (the environment's, the previews'; the project's shares the first
# name); the deployers' ones (the environment's, the previews').
_DEPLOY = "*deploy"
_DEPLOY_DATA = "*deploy-data"
_DEPLOY_DATABASES = "*deploy-databases"
_BOUNDARY = "*boundary"
_APPLICATIONS = "*permissions-boundary"
_PREVIEWS = "previews-boundary"
_DEPLOYERS = "*deployers-boundary"
_TAG_SCOPED = ("the statement only applies with the ecsp:project tag (aws:RequestTag on create, aws:ResourceTag "
               "on change), the scope AWS offers where ARNs only exist after creation; parliament does not read "
               "conditions as scoping")
_GITHUB_KEYS = ("token.actions.githubusercontent.com:aud and :sub are the condition keys of that OIDC provider, "
                "which IAM documents for web identity federation (<provider>:aud, <provider>:sub); parliament "
                "only knows those of the fixed providers (Cognito, Amazon, Facebook, Google)")


def _deploy_and_boundary(issue: str, mentions: tuple[str, ...], reason: str) -> tuple[Allowed, Allowed]:
    """The same finding in a deploy role's policy and in the deployers' boundary, which contains that policy."""
    return (Allowed(issue, _ROLE_POLICY, _DEPLOY, mentions, reason),
            Allowed(issue, _POLICY, _DEPLOYERS, mentions, reason))


def _applications(issue: str, mentions: tuple[str, ...], reason: str) -> tuple[Allowed, Allowed]:
    """The same finding in an environment's applications' boundary and in its previews' one."""
    return (Allowed(issue, _POLICY, _APPLICATIONS, mentions, reason),
            Allowed(issue, _POLICY, _PREVIEWS, mentions, reason))


_SERVICE_WIDE = ("the deployers' boundary grants a service's actions (ecs:*, logs:*, cloudwatch:*, iam:*Role*) on the "
                 "environment's own names and leaves the exact actions to the deploy role's policy; parliament "
                 "expands the wildcard to actions whose resources are of another type, which those names never match")

ALLOWED: tuple[Allowed, ...] = (
    Allowed("RESOURCE_STAR", _KEY, "*", (),
            'in a key policy "Resource": "*" means this key and nothing else (KMS developer guide, key policies)'),
    Allowed("PERMISSIONS_MANAGEMENT_ACTIONS", _KEY, "*", (),
            "the project account must be able to administer its own key (KMS refuses a policy that locks every "
            "principal out); the grant is narrower than AWS's default key policy, which gives the account kms:*"),
    Allowed("PERMISSIONS_MANAGEMENT_ACTIONS", _ROLE_POLICY, "*-run-task", ("iam:passrole",),
            "Step Functions must pass the job's task and execution roles to ECS to run the task; the statement "
            "names those two role ARNs and nothing else"),
    Allowed("CREDENTIALS_EXPOSURE", _ROLE_POLICY, "*build", ("sts:assumerole", "ecr:getauthorizationtoken"),
            "a pipeline build deploys by assuming each environment's deploy role (named by ARN) and pushes "
            "images after logging in to ECR, whose GetAuthorizationToken has no resource to scope"),
    Allowed("UNKNOWN_CONDITION_FOR_ACTION", _ROLE_POLICY, "*build", ("kms:ResourceAliases",),
            "kms:ResourceAliases is a condition key of the KMS key resource (AWS's Service Authorization "
            "Reference, and parliament's own definition lists it there); parliament only looks at per-action "
            "condition keys, so it misses it"),
    # A GitHub Actions job's role (project account) does what a pipeline build does; its trust names GitHub.
    Allowed("CREDENTIALS_EXPOSURE", _ROLE_POLICY, "github-*", ("sts:assumerole", "ecr:getauthorizationtoken"),
            "a GitHub Actions job deploys by assuming its environments' deploy roles (named by ARN) and pushes "
            "images after logging in to ECR, whose GetAuthorizationToken has no resource to scope"),
    Allowed("UNKNOWN_CONDITION_FOR_ACTION", _ROLE_POLICY, "github-*", ("kms:ResourceAliases",),
            "kms:ResourceAliases is a condition key of the KMS key resource; parliament only looks at per-action "
            "condition keys, so it misses it"),
    Allowed("UNKNOWN_FEDERATION_SOURCE", _ROLE, "github-*", ("oidc-provider/token.actions.githubusercontent.com",),
            "the trust names the account's GitHub OIDC provider by ARN; parliament only knows the fixed web "
            "identity providers"),
    Allowed("UNKNOWN_CONDITION_FOR_ACTION", _ROLE, "github-*", ("token.actions.githubusercontent.com:aud",),
            _GITHUB_KEYS),
    Allowed("UNKNOWN_CONDITION_FOR_ACTION", _ROLE, "github-*", ("token.actions.githubusercontent.com:sub",),
            _GITHUB_KEYS),
    # An environment's deploy role (pipelines and GitHub Actions assume it): stacks/pipeline_policies.py.
    Allowed("RESOURCE_STAR", _ROLE_POLICY, "*deploy", ("ec2:DescribeVpcAttribute",),
            "read-only EC2 describe calls (ec2:Describe*), most of which AWS only grants on *"),
    Allowed("RESOURCE_STAR", _ROLE_POLICY, "*deploy", ("ec2:CreateVpc",), _TAG_SCOPED),
    Allowed("RESOURCE_STAR", _ROLE_POLICY, "*deploy", ("ec2:DeleteVpc",), _TAG_SCOPED),
    Allowed("RESOURCE_STAR", _ROLE_POLICY, "*deploy", ("elasticloadbalancing:CreateTargetGroup",), _TAG_SCOPED),
    Allowed("RESOURCE_STAR", _ROLE_POLICY, "*deploy", ("elasticloadbalancing:DeleteRule",), _TAG_SCOPED),
    Allowed("RESOURCE_STAR", _ROLE_POLICY, "*deploy", ("application-autoscaling:RegisterScalableTarget",),
            _TAG_SCOPED),
    Allowed("RESOURCE_STAR", _ROLE_POLICY, "*deploy", ("ecs:RegisterTaskDefinition",),
            "task definition registration has no resource-level permissions; the roles a task definition may "
            "name are limited by iam:PassRole to <project>-<env>-*"),
    Allowed("PERMISSIONS_MANAGEMENT_ACTIONS", _ROLE_POLICY, "*deploy", ("iam:putrolepolicy", "iam:passrole"),
            "deploying an environment creates its applications' roles: the grant is limited to the roles named "
            "<project>-<env>-* (PassRole only to ECS tasks); the README says what that lets a deployer do"),
    Allowed("RESOURCE_MISMATCH", _ROLE_POLICY, "*pipeline", ("codeconnections:UseConnection",),
            "a connection's ARN has the codestar-connections or the codeconnections prefix depending on when "
            "AWS created it, and the policy grants both actions on that ARN so either works; parliament "
            "checks the codeconnections action against the codestar-connections ARN the plan shows"),
    # The boundaries' own grants beyond the deploy role's.
    Allowed("CREDENTIALS_EXPOSURE", _POLICY, _BOUNDARY, ("ecr:getauthorizationtoken",),
            "task execution roles log in to ECR to pull images (the AWS managed execution policy grants it), and "
            "pipeline builds to push them (GetAuthorizationToken has no resource to scope); the project's boundary "
            "lets the builds assume the deploy roles <project>-* at the pipeline role path"),
    # The applications' boundaries beyond what their roles' own policies show.
    *_applications("PERMISSIONS_MANAGEMENT_ACTIONS", ("iam:passrole",),
                   "a job's state machine passes the job's task and execution roles (<project>-<env>-*) to ECS "
                   "tasks, and only to ECS tasks (iam:PassedToService)"),
    *_applications("RESOURCE_STAR", ("elasticloadbalancing:ModifyRule",),
                   "ECS moves a blue/green, canary or linear deployment's traffic through the infrastructure role "
                   "(AWS's managed policy for load balancers); the boundary lets it only on load balancer "
                   "resources tagged with the project (aws:ResourceTag/ecsp:project)"),
    # The deploy role (and the deployers' boundary, which contains its policy).
    *_deploy_and_boundary(
        "PERMISSIONS_MANAGEMENT_ACTIONS", ("iam:createrole", "iam:putrolepolicy"),
        "the deploy role creates the application roles <project>-<env>-* and writes their policies, only with the "
        "environment's applications' boundary attached (iam:PermissionsBoundary), which allows no IAM change and "
        "which it can neither change nor remove; tests/stacks/test_boundaries.py shows the escalation refused"),
    *_deploy_and_boundary(
        "PRIVILEGE_ESCALATION", ("sts:assumerole",),
        "the only role the deploy role may assume is the project's DNS delegation role (NS records below the "
        "project zone); the roles it may change are <project>-<env>-*, capped by the applications' boundary"),
    *_deploy_and_boundary(
        "CREDENTIALS_EXPOSURE", ("sts:assumerole",),
        "across accounts the environment writes its NS delegation record through the project's DNS delegation "
        "role, named by ARN"),
    *_deploy_and_boundary("RESOURCE_STAR", ("ec2:CreateVpc",), _TAG_SCOPED),
    *_deploy_and_boundary("RESOURCE_STAR", ("ec2:DeleteVpc",), _TAG_SCOPED),
    *_deploy_and_boundary("RESOURCE_STAR", ("elasticloadbalancing:CreateTargetGroup",), _TAG_SCOPED),
    *_deploy_and_boundary("RESOURCE_STAR", ("elasticloadbalancing:DeleteTargetGroup",), _TAG_SCOPED),
    *_deploy_and_boundary("RESOURCE_STAR", ("application-autoscaling:RegisterScalableTarget",), _TAG_SCOPED),
    *_deploy_and_boundary("RESOURCE_STAR", ("acm:AddTagsToCertificate",), _TAG_SCOPED),
    *_deploy_and_boundary(
        "RESOURCE_STAR", ("ec2:DescribeFleetHistory",),
        "ec2:Describe* is read only and EC2's describe calls have no resource-level permissions; parliament "
        "expands the wildcard to the few describe actions that do"),
    *_deploy_and_boundary(
        "RESOURCE_MISMATCH", ("route53:ChangeTagsForResource",),
        "ChangeTagsForResource takes a health check or a hosted zone; ecsp tags only hosted zones"),
    Allowed("RESOURCE_STAR", _ROLE_POLICY, _DEPLOY, ("ecs:RegisterTaskDefinition",),
            "a task definition revision's ARN exists only once registered; the roles a definition may name are "
            "limited by iam:PassRole (<project>-<env>-*, to ECS tasks only)"),
    # The deployers' boundary's service-wide grants.
    Allowed("PRIVILEGE_ESCALATION", _POLICY, _DEPLOYERS, ("iam:passrole", "ec2:runinstances"),
            "the deployers' boundary lets EC2 actions only on resources tagged with the project and roles only "
            "<project>-<env>-*; the deploy role's own policy has no ec2:RunInstances and passes roles only to ECS "
            "tasks, and it cannot change its own policy (the boundary denies every role action at the pipeline path)"),
    *(Allowed("RESOURCE_MISMATCH", _POLICY, _DEPLOYERS, (service,), _SERVICE_WIDE)
      for service in ("cloudwatch:", "ecs:", "iam:", "logs:", "dynamodb:", "elasticache:", "rds:", "s3:",
                      "secretsmanager:", "cloudformation:")),
    Allowed("PRIVILEGE_ESCALATION", _POLICY, _DEPLOYERS, ("iam:passrole", "cloudformation:createstack"),
            "the deployers' boundary lets CloudFormation act only on the environment's addon stacks and only "
            "without a service role (cloudformation:RoleArn absent), and roles only <project>-<env>-*; the deploy "
            "role's own policy passes roles only to ECS (iam:PassedToService)"),
    # The deploy role's managed policies of the environment's data: stacks/pipeline_policies.py.
    Allowed("RESOURCE_POLICY_PRIVILEGE_ESCALATION", _POLICY, _DEPLOY_DATA, ("s3:putbucketpolicy",),
            "the deploy role writes the TLS-only policy of the environment's own buckets (<project>-<env>-*) and "
            "reads no object; it could write another policy on those buckets only, as anyone deploying the storage "
            "stack can (the README's roles section says so)"),
    Allowed("PERMISSIONS_MANAGEMENT_ACTIONS", _POLICY, _DEPLOY_DATA, ("s3:putbucketpolicy",),
            "the bucket policy and public access block of the environment's own buckets (<project>-<env>-*), which "
            "ecsp sets to TLS only and all public access blocked"),
    Allowed("RESOURCE_MISMATCH", _POLICY, _DEPLOY_DATABASES, ("rds:CreateDBCluster",),
            "RDS authorises a database create or change on every resource it names (cluster or instance, subnet "
            "group, parameter group); the statements split those resources by their scope (ecsp's names, the "
            "ecsp:project tag), so each lists some of the action's resource types"),
    Allowed("RESOURCE_MISMATCH", _POLICY, _DEPLOY_DATABASES, ("ec2:CreateNetworkInterface",),
            "EFS creates a mount target's network interface in the caller's name: on the interface (no tag yet) "
            "and, in a statement of its own scoped by the ecsp:project tag, on the subnet and security group"),
    Allowed("RESOURCE_MISMATCH", _POLICY, _DEPLOYERS, ("ec2:CreateNetworkInterface",),
            "the interface EFS creates for a mount target has no tag yet; its subnet and security group are "
            "allowed by the tagged EC2 statements"),
    Allowed("RESOURCE_STAR", _POLICY, _DEPLOY_DATABASES, ("elasticfilesystem:CreateAccessPoint",), _TAG_SCOPED),
)
