"""A release pipeline stack: CodePipeline V2 from a source branch through one stage per environment.

Runs in the project account and home region (the pipeline kind's placement). The artifact
stores are the project stack's bucket and KMS key of each region a stage deploys to (plus the
home region, where the source action runs), read through
:class:`stacks.contracts.ProjectOutputs`. Each stage may wait for a manual approval, then runs
one CodeBuild action in its environment's region whose buildspec (:func:`ecsp.pipelines.buildspec`)
installs ecsp from the repository and runs ``ecsp up --env E`` through the environment's deploy
role (created by the environment stack, :mod:`stacks.environment_deploy`), then the stage's
test commands. CodePipeline runs stages in order and stops an execution at the first failed
action, so a failed deploy or test never reaches the next environment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming, pipelines
from ecsp.config import CONNECTION_PROVIDERS, PipelineConfig, ProjectConfig, secret_kind
from ecsp.context import StackContext
from stacks import _aws, _iam
from stacks import pipeline_policies as policies
from stacks._iam import service_trust
from stacks.contracts import PipelineOutputs, ProjectOutputs

SOURCE_ARTIFACT = "source"
BUILD_TIMEOUT_MINUTES = 60
COMPUTE_TYPE = "BUILD_GENERAL1_SMALL"


def store_regions(config: ProjectConfig, name: str) -> list[str]:
    """Regions with an artifact store: the home region (the source action) and each stage's."""
    stages = [config.environments[s.environment].region for s in config.pipelines[name].stages]
    return list(dict.fromkeys([config.project.region, *stages]))


def _artifacts(regions: Any, partition: str, wanted: Sequence[str]) -> list[policies.RegionArtifacts]:
    return [policies.RegionArtifacts(r, f"arn:{partition}:s3:::{regions[r]['bucketName']}", regions[r]["kmsKeyArn"])
            for r in wanted]


def repository_name(regions: Any, region: str, project: str, application: str) -> str:
    """The application's ECR repository name in ``region``, from the project stack's repository URL
    (``<registry>/<name>``); ecsp's name for it when the output does not hold it."""
    url = ((regions or {}).get(region) or {}).get("repositories", {}).get(application)
    return str(url).split("/", 1)[1] if url and "/" in str(url) else naming.ecr_repository(project, application)


def _secrets_manager_arns(refs: Sequence[str]) -> list[str]:
    """Secret ARNs as IAM matches them: as written, and with the 6-character suffix AWS appends."""
    out = []
    for ref in refs:
        out.append(ref)
        if not re.search(r"-[A-Za-z0-9]{6}$", ref):
            out.append(f"{ref}-??????")
    return out


class Source(pulumi.ComponentResource):
    """Where the pipeline reads the code: a CodeStar connection (created or given) or a CodeCommit repository."""

    connection_arn: pulumi.Output[str] | None
    codecommit_arn: pulumi.Output[str] | None

    def __init__(self, name: str, *, pipeline: PipelineConfig, names: naming.PipelineNames,
                 partition: pulumi.Output[str], account: pulumi.Output[str], region: str, provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:pipeline:Source", name, None, opts)
        self.connection_arn = None
        self.codecommit_arn = None
        if pipeline.source == "codecommit":
            self.codecommit_arn = pulumi.Output.all(partition, account).apply(
                lambda a: f"arn:{a[0]}:codecommit:{region}:{a[1]}:{pipeline.repository}")
        elif pipeline.connection_arn:
            self.connection_arn = pulumi.Output.from_input(pipeline.connection_arn)
        else:
            # Created PENDING: a person completes the handshake with the git host in the console once.
            connection = aws.codestarconnections.Connection(
                name, name=names.connection, provider_type=CONNECTION_PROVIDERS[pipeline.source],
                opts=_aws.opts(provider, self))
            self.connection_arn = connection.arn
        self.register_outputs({"connectionArn": self.connection_arn, "codecommitArn": self.codecommit_arn})

    def action(self, pipeline: PipelineConfig) -> aws.codepipeline.PipelineStageActionArgs:
        if self.codecommit_arn is not None:
            # Started by the EventBridge rule on pushes (see CodeCommitTrigger), not by polling.
            return aws.codepipeline.PipelineStageActionArgs(
                name="Source", category="Source", owner="AWS", provider="CodeCommit", version="1",
                output_artifacts=[SOURCE_ARTIFACT],
                configuration={"RepositoryName": pipeline.repository, "BranchName": pipeline.branch,
                               "PollForSourceChanges": "false"})
        assert self.connection_arn is not None
        return aws.codepipeline.PipelineStageActionArgs(
            name="Source", category="Source", owner="AWS", provider="CodeStarSourceConnection", version="1",
            output_artifacts=[SOURCE_ARTIFACT],
            configuration={"ConnectionArn": self.connection_arn, "FullRepositoryId": pipeline.repository,
                           "BranchName": pipeline.branch, "OutputArtifactFormat": "CODE_ZIP",
                           "DetectChanges": "true"})


class Roles(pulumi.ComponentResource):
    """The pipeline's role and the build's role, with their least-privilege inline policies."""

    pipeline_role_arn: pulumi.Output[str]
    build_role_arn: pulumi.Output[str]
    build_grants: list[pulumi.Resource]

    def __init__(self, name: str, *, names: naming.PipelineNames, provider: aws.Provider,
                 pipeline_policy: pulumi.Output[str], build_policy: pulumi.Output[str], boundary: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:pipeline:Roles", name, None, opts)
        path = naming.PIPELINE_ROLE_PATH
        pipeline_role = _iam.role(
            f"{name}-pipeline", boundary=boundary, name=names.pipeline_role, path=path,
            assume_role_policy=json.dumps(service_trust("codepipeline.amazonaws.com")),
            description=f"ecsp pipeline {names.pipeline_name}: moves artifacts, starts its builds",
            opts=_aws.opts(provider, self))
        pipeline_grant = aws.iam.RolePolicy(f"{name}-pipeline", role=pipeline_role.id, policy=pipeline_policy,
                                            opts=_aws.opts(provider, self))
        # A fixed name: environments' deploy roles trust it by ARN before this stack exists.
        build_role = _iam.role(
            f"{name}-build", boundary=boundary, name=names.build_role, path=path,
            assume_role_policy=json.dumps(service_trust("codebuild.amazonaws.com")),
            description=f"ecsp pipeline {names.pipeline_name}: builds images and runs `ecsp up` per stage",
            opts=_aws.opts(provider, self))
        build_grant = aws.iam.RolePolicy(f"{name}-build", role=build_role.id, policy=build_policy,
                                         opts=_aws.opts(provider, self))
        self.pipeline_role_arn = pipeline_role.arn
        self.build_role_arn = build_role.arn
        self.build_grants = [build_grant]
        self.pipeline_grants = [pipeline_grant]
        self.register_outputs({"pipelineRoleArn": self.pipeline_role_arn, "buildRoleArn": self.build_role_arn})


class StageBuild(pulumi.ComponentResource):
    """One stage's CodeBuild project (in the environment's region) and its log group."""

    project_name: pulumi.Output[str]

    def __init__(self, name: str, *, stage: pipelines.StageModel, names: naming.PipelineNames,
                 role_arn: pulumi.Output[str], key_arn: pulumi.Input[str], deploy_role_arn: pulumi.Input[str],
                 provider: aws.Provider, grants: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:pipeline:StageBuild", name, None, opts)
        logs = aws.cloudwatch.LogGroup(name, name=names.log_group(stage.environment), retention_in_days=30,
                                       opts=_aws.opts(provider, self))
        project = aws.codebuild.Project(
            name, name=stage.build_project, service_role=role_arn,
            description=f"ecsp: deploy environment {stage.environment} ({stage.command})",
            source=aws.codebuild.ProjectSourceArgs(type="CODEPIPELINE", buildspec=stage.buildspec),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="CODEPIPELINE"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER", compute_type=COMPUTE_TYPE, image=pipelines.BUILD_IMAGE,
                # Docker in the build container: ecsp builds the applications' images.
                privileged_mode=True,
                environment_variables=[aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(
                    name=pipelines.DEPLOY_ROLE_VARIABLE, value=deploy_role_arn, type="PLAINTEXT")]),
            encryption_key=key_arn,
            build_timeout=BUILD_TIMEOUT_MINUTES,
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(group_name=logs.name)),
            # CodeBuild checks that it may assume the role (and write its logs) when the project is created.
            opts=_aws.opts(provider, self, depends_on=grants))
        self.project_name = project.name
        self.register_outputs({"projectName": self.project_name})


class CodeCommitTrigger(pulumi.ComponentResource):
    """An EventBridge rule that starts the pipeline on pushes to the branch (CodeCommit sources)."""

    def __init__(self, name: str, *, pipeline: PipelineConfig, repository_arn: pulumi.Output[str],
                 pipeline_arn: pulumi.Output[str], names: naming.PipelineNames, boundary: pulumi.Input[str],
                 provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:pipeline:CodeCommitTrigger", name, None, opts)
        rule = aws.cloudwatch.EventRule(
            name, description=f"pushes to {pipeline.repository}:{pipeline.branch} start {names.pipeline_name}",
            event_pattern=repository_arn.apply(lambda arn: json.dumps({
                "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
                "resources": [arn], "detail": {"event": ["referenceCreated", "referenceUpdated"],
                                               "referenceType": ["branch"], "referenceName": [pipeline.branch]}},
                sort_keys=True)),
            opts=_aws.opts(provider, self))
        role = _iam.role(
            f"{name}-events", boundary=boundary, name=names.events_role, path=naming.PIPELINE_ROLE_PATH,
            assume_role_policy=json.dumps(service_trust("events.amazonaws.com")),
            opts=_aws.opts(provider, self))
        grant = aws.iam.RolePolicy(f"{name}-events", role=role.id, policy=pipeline_arn.apply(lambda arn: json.dumps({
            "Version": policies.VERSION, "Statement": [{"Sid": "StartPipeline", "Effect": "Allow",
                                                        "Action": ["codepipeline:StartPipelineExecution"],
                                                        "Resource": [arn]}]})),
            opts=_aws.opts(provider, self))
        aws.cloudwatch.EventTarget(name, rule=rule.name, arn=pipeline_arn, role_arn=role.arn,
                                   opts=_aws.opts(provider, self, depends_on=[grant]))
        self.register_outputs({})


def program(ctx: StackContext) -> None:
    config = ctx.config
    name = ctx.stack.instance
    assert name is not None
    pipeline = config.pipelines[name]
    model = pipelines.model(config, name)
    project = config.project
    names = naming.PipelineNames(project.name, name)
    home = _aws.stack_provider(ctx)
    providers = {project.region: home}
    for stage in model.stages:
        if stage.region not in providers:
            providers[stage.region] = _aws.stack_provider(ctx, f"aws-{stage.region}", region=stage.region)
    invoke = pulumi.InvokeOutputOptions(provider=home)
    partition: pulumi.Output[str] = aws.get_partition_output(opts=invoke).partition
    account: pulumi.Output[str] = (pulumi.Output.from_input(project.account) if project.account
                                   else aws.get_caller_identity_output(opts=invoke).account_id)
    upstream = ProjectOutputs.pick(pulumi.StackReference(ctx.upstream_name("project")), "regions",
                                   "permissions_boundary_arn")
    regions, boundary = upstream.regions, upstream.permissions_boundary_arn
    stores = store_regions(config, name)
    stage_regions = list(dict.fromkeys(s.region for s in model.stages))

    source = Source("source", pipeline=pipeline, names=names, partition=partition, account=account,
                    region=project.region, provider=home)

    def deploy_role_arn(p: str, own: str, stage: pipelines.StageModel) -> str:
        return naming.role_arn(p, stage.account or own, stage.deploy_role, naming.PIPELINE_ROLE_PATH)

    def build_policy(a: list[Any]) -> str:
        p, own, regs = a[0], a[1], a[2]
        # The repositories as the project stack made them (one deployed before keeps its earlier name).
        repositories = sorted({
            f"arn:{p}:ecr:{s.region}:{own}:repository/{repository_name(regs, s.region, project.name, app)}"
            for s in model.stages for app in s.applications
            if config.application(s.environment, app).image.build is not None})
        refs = list(pipeline.secrets.values())
        return json.dumps(policies.build_role_policy(
            partition=p, account=own, artifacts=_artifacts(regs, p, stage_regions),
            log_groups=[f"arn:{p}:logs:{s.region}:{own}:log-group:{names.log_group(s.environment)}"
                        for s in model.stages],
            repositories=repositories, deploy_roles=[deploy_role_arn(p, own, s) for s in model.stages],
            backend=config.state.backend or "", secrets_provider=config.state.secrets_provider,
            parameters=[policies.secret_arn(p, project.region, own, r) for r in refs if secret_kind(r) == "ssm"],
            secrets=_secrets_manager_arns([r for r in refs if secret_kind(r) == "secretsmanager"])),
            sort_keys=True)

    def pipeline_policy(a: list[Any]) -> str:
        p, own, regs, connection, codecommit = a
        return json.dumps(policies.pipeline_role_policy(
            artifacts=_artifacts(regs, p, stores),
            build_projects=[f"arn:{p}:codebuild:{s.region}:{own}:project/{s.build_project}" for s in model.stages],
            connection_arn=connection, codecommit_arn=codecommit, approval_topic=pipeline.approval_topic),
            sort_keys=True)

    roles = Roles("roles", names=names, provider=home,
                  pipeline_policy=pulumi.Output.all(partition, account, regions, source.connection_arn,
                                                    source.codecommit_arn).apply(pipeline_policy),
                  build_policy=pulumi.Output.all(partition, account, regions).apply(build_policy), boundary=boundary)

    def key_of(region: str) -> pulumi.Output[str]:
        return regions.apply(lambda r: str(r[region]["kmsKeyArn"]))

    def deploy_role_of(stage: pipelines.StageModel) -> pulumi.Output[str]:
        return pulumi.Output.all(partition, account).apply(lambda a: deploy_role_arn(a[0], a[1], stage))

    stages = [aws.codepipeline.PipelineStageArgs(name="Source", actions=[source.action(pipeline)])]
    for stage in model.stages:
        build = StageBuild(
            f"build-{stage.environment}", stage=stage, names=names, role_arn=roles.build_role_arn,
            key_arn=key_of(stage.region), deploy_role_arn=deploy_role_of(stage),
            provider=providers[stage.region], grants=roles.build_grants)
        actions = []
        if stage.approval:
            configuration = {"CustomData": f"Approve deploying {stage.environment} ({stage.command})"}
            if pipeline.approval_topic:
                configuration["NotificationArn"] = pipeline.approval_topic
            actions.append(aws.codepipeline.PipelineStageActionArgs(
                name="Approve", category="Approval", owner="AWS", provider="Manual", version="1", run_order=1,
                configuration=configuration))
        actions.append(aws.codepipeline.PipelineStageActionArgs(
            name="Deploy", category="Build", owner="AWS", provider="CodeBuild", version="1", run_order=2,
            input_artifacts=[SOURCE_ARTIFACT], configuration={"ProjectName": build.project_name},
            # Only cross-region actions name a region (CodePipeline rejects it on single-region pipelines).
            region=stage.region if len(stores) > 1 and stage.region != project.region else None))
        stages.append(aws.codepipeline.PipelineStageArgs(name=f"Deploy-{stage.environment}", actions=actions))

    def store(region: str) -> aws.codepipeline.PipelineArtifactStoreArgs:
        return aws.codepipeline.PipelineArtifactStoreArgs(
            type="S3", location=regions.apply(lambda r: r[region]["bucketName"]),
            encryption_key=aws.codepipeline.PipelineArtifactStoreEncryptionKeyArgs(
                type="KMS", id=key_of(region)),
            # A single-region pipeline's one store names no region (CodePipeline's rule).
            region=region if len(stores) > 1 else None)

    codepipeline = aws.codepipeline.Pipeline(
        "pipeline", name=names.pipeline_name, pipeline_type="V2",
        # One execution per stage at a time; a newer commit overtakes one waiting between stages.
        execution_mode="SUPERSEDED",
        role_arn=roles.pipeline_role_arn, artifact_stores=[store(r) for r in stores], stages=stages,
        opts=_aws.keeps_name(home, depends_on=roles.pipeline_grants))
    if source.codecommit_arn is not None:
        CodeCommitTrigger("trigger", pipeline=pipeline, repository_arn=source.codecommit_arn,
                          pipeline_arn=codepipeline.arn, names=names, boundary=boundary, provider=home)
    PipelineOutputs(pipeline_name=codepipeline.name, pipeline_arn=codepipeline.arn,
                    build_role_arn=roles.build_role_arn, connection_arn=source.connection_arn).export()
