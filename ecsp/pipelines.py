"""The model of each release pipeline, and the buildspec of each of its stages: pure functions of the config.

A pipeline (``pipelines:`` in ecsp.yaml) becomes one CodePipeline V2 in the project account:
a source action, then one stage per environment in the order written, each with an optional
manual approval and one CodeBuild action in the environment's region. That action's buildspec
is generated here, so nobody writes one by hand: install ecsp from the repository, install the
pinned pulumi CLI, ``ecsp up --env E [--app A ...]`` through the environment's deploy role, then
the stage's test commands. The same function feeds the pipeline program
(:mod:`stacks.pipeline`), ``ecsp pipeline show`` and ``ecsp plan --with-pipeline``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from ecsp import kinds, naming
from ecsp.config import CONNECTION_PROVIDERS, PipelineConfig, PipelineStage, ProjectConfig, secret_kind
from ecsp.errors import UsageError
from ecsp.notebook import Printed, Renders

if TYPE_CHECKING:
    from rich.console import Console

# What CodeBuild runs the build in: Amazon Linux with Docker (privileged mode builds images).
BUILD_IMAGE = "aws/codebuild/amazonlinux2-x86_64-standard:5.0"
PYTHON_VERSION = "3.11"
# The build's environment variable holding the deploy role's ARN (set on the CodeBuild project,
# because the account may only be known once the pipeline program runs).
DEPLOY_ROLE_VARIABLE = "ECSP_DEPLOY_ROLE"


@dataclass(frozen=True)
class StageModel:
    """One deploy stage as ecsp builds it."""

    environment: str
    region: str
    account: str | None
    applications: tuple[str, ...]
    deploys_environment: bool  # False with `deploy: [apps]`: the environment stack is only read
    approval: bool
    test_commands: tuple[str, ...]
    deploy_role: str
    build_project: str
    command: str
    buildspec: str

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "region": self.region, "account": self.account,
                "applications": list(self.applications), "deploys_environment": self.deploys_environment,
                "approval": self.approval, "test_commands": list(self.test_commands),
                "deploy_role": self.deploy_role, "build_project": self.build_project, "command": self.command,
                "buildspec": self.buildspec}


@dataclass(frozen=True, repr=False)
class PipelineModel(Renders):
    """One pipeline: where it runs, its source and its stages; renders as ``ecsp pipeline show`` prints it."""

    name: str
    stack: str
    pipeline_name: str
    region: str
    account: str | None
    source: str
    repository: str
    branch: str
    connection: str | None  # "create", an ARN, or None (codecommit)
    stages: tuple[StageModel, ...]

    @property
    def connection_pending_note(self) -> str | None:
        """What a person must do once, for a connection ecsp creates."""
        if self.connection != "create":
            return None
        return (f"ecsp creates the CodeStar connection {naming.shorten(self.pipeline_name, 32)}; it stays "
                "PENDING, and the pipeline cannot read the repository, until a person completes the handshake in "
                "the console (Developer Tools > Settings > Connections > Update pending connection)")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "stack": self.stack, "pipeline_name": self.pipeline_name, "region": self.region,
                "account": self.account, "source": {"provider": self.source, "repository": self.repository,
                                                    "branch": self.branch, "connection": self.connection},
                "stages": [s.to_json() for s in self.stages]}

    def summary(self) -> str:
        return f"PipelineModel {self.name}: {self.source} {self.repository} {self.branch}, {len(self.stages)} stages"

    def __rich__(self) -> Printed:
        return Printed(lambda out: render(self, out))


def check_name(config: ProjectConfig, name: str) -> str:
    """``name`` if ecsp.yaml has a pipeline so named, else a UsageError listing the pipelines."""
    if name not in config.pipelines:
        raise UsageError(f"no pipeline named '{name}' in ecsp.yaml",
                         fix=f"use one of: {', '.join(config.pipelines)}" if config.pipelines
                         else "add one under pipelines: (`ecsp init --pipeline` writes a starter)")
    return name


def deploy_command(config: ProjectConfig, pipeline: PipelineConfig, stage: PipelineStage) -> str:
    """The ``ecsp up`` a stage runs, through the environment's deploy role."""
    parts = ["ecsp", "up", "-f", pipeline.file, "--env", stage.environment]
    for app in stage.deploy or []:
        parts += ["--app", app]
    parts += ["--progress", "plain"]
    return shlex.join(parts) + f' --deploy-role "${DEPLOY_ROLE_VARIABLE}"'


def _parameter_name(ref: str) -> str:
    """The name CodeBuild's ``parameter-store`` wants: an SSM ARN's name part, a name as written."""
    match = re.fullmatch(r"arn:[^:]+:ssm:[^:]+:\d{12}:parameter(/.*)", ref)
    return match.group(1) if match else ref


def buildspec(config: ProjectConfig, name: str, stage: PipelineStage) -> str:
    """The CodeBuild buildspec (YAML) of one stage of pipeline ``name``: a pure function of the config."""
    pipeline = config.pipelines[name]
    env: dict[str, Any] = {"variables": {"ECSP_PIPELINE": name, "ECSP_ENVIRONMENT": stage.environment,
                                         "PULUMI_SKIP_UPDATE_CHECK": "true"}}
    ssm = {var: _parameter_name(ref) for var, ref in pipeline.secrets.items() if secret_kind(ref) == "ssm"}
    manager = {var: ref for var, ref in pipeline.secrets.items() if secret_kind(ref) == "secretsmanager"}
    if ssm:
        env["parameter-store"] = ssm
    if manager:
        env["secrets-manager"] = manager
    document = {
        "version": 0.2,
        "env": env,
        "phases": {
            "install": {"runtime-versions": {"python": PYTHON_VERSION},
                        "commands": [pipeline.install, "ecsp install-pulumi"]},
            # A failing command fails the action, so the stage, so the execution: later stages never run.
            "build": {"commands": [deploy_command(config, pipeline, stage), *stage.test_commands]},
        },
    }
    return yaml.safe_dump(document, sort_keys=False, width=1000)


def model(config: ProjectConfig, name: str) -> PipelineModel:
    """Pipeline ``name`` as ecsp builds it."""
    pipeline = config.pipelines[name]
    project = config.project.name
    names = naming.PipelineNames(project, name)
    stages = []
    for stage in pipeline.stages:
        env = config.environments[stage.environment]
        stages.append(StageModel(
            environment=stage.environment, region=env.region, account=config.account_of(stage.environment),
            applications=tuple(pipeline.applications_of(stage, config.applications)),
            deploys_environment=stage.deploy is None, approval=stage.approval == "manual",
            test_commands=tuple(stage.test_commands), deploy_role=naming.deploy_role(project, stage.environment),
            build_project=names.build_project(stage.environment), command=deploy_command(config, pipeline, stage),
            buildspec=buildspec(config, name, stage)))
    connection = pipeline.connection_arn or pipeline.connection
    return PipelineModel(
        name=name, stack=kinds.PIPELINE.display_name(project, kinds.Scope(instance=name)),
        pipeline_name=names.pipeline_name, region=config.project.region, account=config.project.account,
        source=pipeline.source, repository=pipeline.repository, branch=pipeline.branch,
        connection=connection if pipeline.source in CONNECTION_PROVIDERS else None, stages=tuple(stages))


def render(model: PipelineModel, out: Console) -> None:
    """A pipeline as ecsp builds it: source, then each stage with its command and generated buildspec."""
    from rich.text import Text

    def say(text: str | Text) -> None:
        # Whole lines: a buildspec or a command cut at the terminal's edge could not be copied.
        out.print(text, soft_wrap=True)

    connection = model.connection or ("none (codecommit)" if model.source == "codecommit" else "")
    say(Text.assemble(("pipeline ", "bold"), (model.name, "bold"),
                      f"  {model.stack}: CodePipeline V2 {model.pipeline_name} in {model.region}"))
    say(f"  source: {model.source} {model.repository} branch {model.branch}; connection: {connection}")
    note = model.connection_pending_note
    if note:
        say(Text(f"  note: {note}", style="yellow"))
    for i, stage in enumerate(model.stages, 1):
        what = "the environment and " if stage.deploys_environment else ""
        apps = ", ".join(stage.applications) or "no applications"
        say(Text.assemble((f"  stage {i}: {stage.environment}", "bold"),
                          f" ({stage.region}{', ' + stage.account if stage.account else ''}): "
                          + ("manual approval, then " if stage.approval else "") + f"deploys {what}{apps}"))
        say(f"    runs: {stage.command}  (CodeBuild project {stage.build_project}, role {stage.deploy_role})")
        say(Text("    buildspec:", style="dim"))
        for line in stage.buildspec.splitlines():
            say(Text(f"      {line}", style="dim"))
