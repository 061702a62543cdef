"""The whole of ecsp.yaml (:class:`ProjectConfig`) and the queries on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from ecsp import naming
from ecsp.config.application import APPLICATION_TYPES, ApplicationSpec, ApplicationType, ResolvedApplication
from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.ci import CiSection, check_ci
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.needs import Feature
from ecsp.config.pipeline import PipelineConfig, check_pipelines
from ecsp.config.project import ProjectSection, StateConfig, name_problem
from ecsp.config.resolve import Resolved
from ecsp.config.rules import check_project
from ecsp.config.types import NAME_PATTERN


class ProjectConfig(Model):
    """A whole ecsp project: the project, its environments and its applications."""

    project: ProjectSection = Field(description="The project.",
                                    examples=[{"name": "shop", "region": "us-west-2"}])
    # The names' rules are checked by _names (for the messages); the schema repeats them for editors.
    environments: dict[str, EnvironmentConfig] = Field(
        description="Environments by name (e.g. test, prod).", examples=[{"test": {"region": "us-west-2"}}],
        json_schema_extra={"minProperties": 1,
                           "propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_ENVIRONMENT}},
    )
    applications: dict[str, ApplicationSpec] = Field(
        default_factory=dict, description="Applications by name.",
        examples=[{"web": {"image": {"location": "public.ecr.aws/nginx/nginx:stable"}, "port": 80}}],
        json_schema_extra={"propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_APPLICATION}},
    )
    state: StateConfig = Field(default_factory=StateConfig, description="Pulumi state backend and secrets.")
    pipelines: dict[str, PipelineConfig] = Field(
        default_factory=dict, description="Release pipelines by name: a source branch, then one stage per "
        "environment (CodePipeline V2 in the project account). `ecsp plan --with-pipeline` shows them.",
        json_schema_extra={"propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_PIPELINE}},
    )

    ci: CiSection = Field(default_factory=CiSection, description="Deploying from CI with OIDC: `ecsp ci github` "
                          "writes GitHub Actions workflows; the project stack creates the roles they assume.")

    _resolved: Resolved = PrivateAttr(default_factory=dict)

    @field_validator("environments", "applications")
    @classmethod
    def _names(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        what = "environment" if info.field_name == "environments" else "application"
        if what == "environment" and not v:
            raise ValueError("define at least one environment, e.g. test: {region: us-west-2}")
        limit = naming.MAX_ENVIRONMENT if what == "environment" else naming.MAX_APPLICATION
        raise_all([FieldError((name,), problem) for name in v if (problem := name_problem(what, name, limit))])
        return v

    @field_validator("pipelines")
    @classmethod
    def _pipeline_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        raise_all([FieldError((name,), problem) for name in v
                    if (problem := name_problem("pipeline", name, naming.MAX_PIPELINE))])
        return v

    @model_validator(mode="after")
    def _cross_field_rules(self) -> ProjectConfig:
        # One validator runs every rule: pydantic skips the remaining model validators once one
        # fails, and a user fixing a file wants to see all of its problems at once.
        resolved, errors = check_project(self.project, self.environments, self.applications)
        errors += check_pipelines(self.pipelines, self.project, self.environments, self.applications,
                                  self.state)
        errors += check_ci(self.ci, self.project, self.environments, self.state)
        raise_all(errors)
        self._resolved.update(resolved)
        return self

    # ----------------------------------------------------------------- queries

    def application(self, environment: str, application: str) -> ResolvedApplication:
        """Effective settings of ``application`` in ``environment``."""
        return self._resolved[(environment, application)]

    def type_of(self, application: str) -> ApplicationType:
        """The type of ``application`` (the same in every environment)."""
        return APPLICATION_TYPES[self.applications[application].kind]

    def account_of(self, environment: str) -> str | None:
        return self.environments[environment].account or self.project.account

    def environment_needs(self, environment: str) -> set[Feature]:
        """What the applications in ``environment`` (after their overrides) need from it."""
        return {need.feature for app in self.applications
                for need in self.application(environment, app).environment_needs()}

    def needs_file_system(self, environment: str) -> bool:
        """Whether any application in ``environment`` (after its overrides) mounts the managed EFS file system."""
        return Feature.FILE_SYSTEM in self.environment_needs(environment)

    def regions(self) -> list[str]:
        """Regions that host at least one environment, in first-seen order."""
        return list(dict.fromkeys(e.region for e in self.environments.values()))

    def artifact_regions(self) -> list[str]:
        """Regions of the project's artifacts: those of the environments, plus the home region with a pipeline.

        A pipeline's source action runs in the home region, so its artifact store must be there.
        """
        regions = self.regions()
        if self.pipelines and self.project.region not in regions:
            regions.append(self.project.region)
        return regions

    def pipelines_deploying(self, environment: str) -> list[str]:
        """Names of the pipelines with a stage that deploys ``environment``."""
        return [name for name, p in self.pipelines.items() if any(s.environment == environment for s in p.stages)]

    def ci_deploys(self, environment: str) -> bool:
        """Whether a GitHub Actions workflow deploys ``environment`` (so its stack has a deploy role for it)."""
        github = self.ci.github
        return github is not None and environment in github.deploy_order(self.environments)

    def deployments(self) -> Iterator[tuple[str, str]]:
        """Every (environment, application) pair."""
        for env in self.environments:
            for app in self.applications:
                yield env, app

