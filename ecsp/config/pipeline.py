"""The ``pipelines:`` section: source, stages, build secrets, and the rules a pipeline's build needs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ecsp.config.base import INDEXED, FieldError, Model, matches, raise_all, schema_pattern
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.project import ProjectSection, StateConfig
from ecsp.config.variables import ENV_VAR_PATTERN, secret_kind

CONNECTION_ARN_PATTERN = (r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:"
                          r"connection/[A-Za-z0-9-]+$")
SNS_TOPIC_ARN_PATTERN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"
REPOSITORY_PATTERN = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$"
CODECOMMIT_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"
BRANCH_PATTERN = r"^[^\s~^:?*\[\\]+$"
# Git hosts CodePipeline reaches through a CodeStar connection, and the connection's provider type.
CONNECTION_PROVIDERS = {"github": "GitHub", "bitbucket": "Bitbucket", "gitlab": "GitLab"}
PASSPHRASE_VARIABLE = "PULUMI_CONFIG_PASSPHRASE"
TOKEN_VARIABLE = "PULUMI_ACCESS_TOKEN"

ConnectionArn = Annotated[str, matches(
    CONNECTION_ARN_PATTERN, lambda v: f"'{v}' is not a CodeStar connection ARN; use "
    "arn:aws:codestar-connections:REGION:ACCOUNT:connection/ID (the console's Settings > Connections lists it)"),
    schema_pattern(CONNECTION_ARN_PATTERN)]
TopicArn = Annotated[str, matches(
    SNS_TOPIC_ARN_PATTERN, lambda v: f"'{v}' is not an SNS topic ARN; use arn:aws:sns:REGION:ACCOUNT:NAME"),
    schema_pattern(SNS_TOPIC_ARN_PATTERN)]
Branch = Annotated[str, matches(
    BRANCH_PATTERN, lambda v: f"'{v}' is not a git branch name; use e.g. main"), schema_pattern(BRANCH_PATTERN)]


class PipelineStage(Model):
    """One deploy stage of a pipeline: an environment, deployed after the stages before it succeeded."""

    environment: str = Field(description="The environment this stage deploys (a name under environments).",
                             examples=["test"])
    approval: Literal["manual"] | None = Field(
        None, description="manual: a person approves in the CodePipeline console before this stage deploys.")
    test_commands: Annotated[list[Annotated[str, Field(min_length=1)]], INDEXED] = Field(
        default_factory=list, description="Shell commands run after the deploy (in the build container, in the "
        "repository); a failing command fails the stage.", examples=[["curl -fsS $ECSP_URL"]])
    deploy: Annotated[list[str] | None, INDEXED] = Field(
        None, description="Only these applications (default: the environment and every application).",
        examples=[["web"]], min_length=1)


class PipelineConfig(Model):
    """A release pipeline: a source branch, then one stage per environment, in order (CodePipeline V2)."""

    source: Literal["github", "bitbucket", "gitlab", "codecommit"] = Field(
        description="Where the code is: github, bitbucket or gitlab (through a CodeStar connection) or codecommit.")
    repository: str = Field(description="owner/name for github, bitbucket and gitlab; the repository name for "
                            "codecommit.", examples=["acme/shop"], min_length=1, max_length=200)
    branch: Branch = Field("main", description="The branch whose pushes start the pipeline.", max_length=200)
    connection: Literal["create"] | None = Field(
        None, description="create: ecsp creates the CodeStar connection; it stays PENDING until a person "
        "completes the handshake in the console (Developer Tools > Settings > Connections).")
    connection_arn: ConnectionArn | None = Field(None, description="An existing CodeStar connection to use.")
    stages: Annotated[list[PipelineStage], INDEXED] = Field(
        description="Deploy stages, in order; a failed stage stops the later ones.", min_length=1,
        examples=[[{"environment": "test"}]])
    approval_topic: TopicArn | None = Field(
        None, description="SNS topic that manual approvals notify (optional).")
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Environment variables of the build from SSM parameters or Secrets "
        f"Manager ARNs: {PASSPHRASE_VARIABLE} for a passphrase secrets provider, {TOKEN_VARIABLE} for Pulumi "
        "Cloud.", examples=[{PASSPHRASE_VARIABLE: "/shop/pulumi-passphrase"}])
    file: str = Field("ecsp.yaml", min_length=1, description="Path of this ecsp.yaml in the repository.")
    install: str = Field(
        "pip install .", min_length=1,
        description="How the build installs ecsp (run in the repository), e.g. pip install . or pip install ecsp.")

    @field_validator("secrets")
    @classmethod
    def _secret_refs(cls, v: dict[str, str]) -> dict[str, str]:
        errors = [FieldError((name,), f"'{name}' is not a valid environment variable name; use letters, digits "
                                      "and _, not starting with a digit")
                  for name in v if not re.fullmatch(ENV_VAR_PATTERN, name)]
        errors += [FieldError((name,), f"'{ref}' is not an SSM parameter name or an SSM/Secrets Manager ARN; use "
                                       "e.g. /shop/pulumi-passphrase")
                   for name, ref in v.items() if secret_kind(ref) is None]
        raise_all(errors)
        return v

    @model_validator(mode="after")
    def _source_has_what_it_needs(self) -> PipelineConfig:
        if self.source == "codecommit":
            if self.connection or self.connection_arn:
                key = "connection" if self.connection else "connection_arn"
                raise FieldError((key,), f"codecommit needs no connection; remove {key}")
            if not re.fullmatch(CODECOMMIT_PATTERN, self.repository):
                raise FieldError(("repository",), f"'{self.repository}' is not a CodeCommit repository name; use "
                                                  "the name alone, e.g. shop")
            return self
        if not re.fullmatch(REPOSITORY_PATTERN, self.repository):
            raise FieldError(("repository",), f"'{self.repository}' is not owner/name; use e.g. acme/shop")
        if self.connection and self.connection_arn:
            raise FieldError(("connection_arn",), "set only one of connection: create (ecsp creates one) or "
                                                  "connection_arn (use an existing one)")
        if not self.connection and not self.connection_arn:
            raise FieldError((), f"a {self.source} source needs a CodeStar connection; add connection: create "
                                 "(ecsp creates it, and a person completes the handshake in the console once) or "
                                 "connection_arn: ARN of an existing one")
        return self

    def applications_of(self, stage: PipelineStage, applications: Collection[str]) -> list[str]:
        """The applications ``stage`` deploys: its ``deploy`` list, else every application."""
        return list(stage.deploy) if stage.deploy is not None else list(applications)


def check_pipelines(
    pipelines: Mapping[str, PipelineConfig], project: ProjectSection,
    environments: Mapping[str, EnvironmentConfig], applications: Collection[str], state: StateConfig,
) -> list[FieldError]:
    """Each pipeline's stages name known environments (once each) and applications, and its build can deploy.

    The build runs in CodeBuild, far from this machine: it cannot reach a file backend, and it
    needs the passphrase or Pulumi Cloud token as a build secret.
    """
    errors: list[FieldError] = []
    envs = list(environments)
    apps = list(applications)
    for name, pipeline in pipelines.items():
        where: tuple[str | int, ...] = ("pipelines", name)
        seen: dict[str, int] = {}
        for i, stage in enumerate(pipeline.stages):
            at = (*where, "stages", i)
            env = stage.environment
            if env not in environments:
                close = difflib.get_close_matches(env, envs, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "add it under environments, or remove this stage"
                errors.append(FieldError((*at, "environment"), f"there is no environment '{env}' (environments: "
                                                               f"{', '.join(envs)}); {hint}"))
                continue
            if env in seen:
                errors.append(FieldError((*at, "environment"), f"stages[{seen[env]}] already deploys '{env}'; a "
                                                               "pipeline deploys each environment once: remove "
                                                               "this stage or name another environment"))
            seen.setdefault(env, i)
            for j, app in enumerate(stage.deploy or []):
                if app not in applications:
                    close = difflib.get_close_matches(app, apps, n=1, cutoff=0.6)
                    hint = f"did you mean '{close[0]}'?" if close else "remove it, or add it under applications"
                    errors.append(FieldError((*at, "deploy", j), f"there is no application '{app}' (applications: "
                                                                 f"{', '.join(apps) or 'none'}); {hint}"))
            account = environments[env].account or project.account
            if account is not None and project.account is None:
                errors.append(FieldError((*at, "environment"), f"environment '{env}' is in account {account}, and "
                                                               "the pipeline's build role lives in the project "
                                                               "account, which ecsp.yaml does not name; set "
                                                               "project.account so the deploy role can trust it"))
        backend = state.backend
        unreachable = state.remote_problem("the pipeline's build runs in CodeBuild, which")
        if unreachable is not None:
            errors.append(FieldError(("state", "backend") if backend else where, unreachable))
        elif (backend or "").startswith(("https://", "http://")) and TOKEN_VARIABLE not in pipeline.secrets:
            errors.append(FieldError((*where, "secrets") if pipeline.secrets else where,
                                     f"the build needs a Pulumi Cloud token to reach {backend}; add secrets: "
                                     f"{{{TOKEN_VARIABLE}: /{project.name}/pulumi-token}} (an SSM parameter "
                                     "or Secrets Manager ARN)"))
        cloud = (backend or "").startswith(("https://", "http://"))
        # "default" is Pulumi's own choice: the service's key on Pulumi Cloud, a passphrase elsewhere.
        passphrase = state.secrets_provider == "passphrase" or (state.secrets_provider == "default" and not cloud)
        if passphrase and PASSPHRASE_VARIABLE not in pipeline.secrets:
            errors.append(FieldError((*where, "secrets") if pipeline.secrets else where,
                                     f"the stacks' secrets use a passphrase, which the build must have; add "
                                     f"secrets: {{{PASSPHRASE_VARIABLE}: /{project.name}/pulumi-passphrase}} "
                                     "(an SSM SecureString or Secrets Manager ARN), or use state.secrets_provider: "
                                     "awskms://alias/NAME?region=R"))
    return errors

