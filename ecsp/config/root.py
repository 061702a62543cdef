"""The whole of ecsp.yaml (:class:`ProjectConfig`) and the queries on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from ecsp import naming
from ecsp.config.application import APPLICATION_TYPES, ApplicationSpec, ApplicationType, ResolvedApplication
from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.ci import CiSection, check_ci
from ecsp.config.data import Data, DataConfig
from ecsp.config.data_rules import ResolvedData, check_data
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.needs import Feature
from ecsp.config.pipeline import PipelineConfig, check_pipelines
from ecsp.config.project import ProjectSection, StateConfig, name_problem
from ecsp.config.resolve import Resolved
from ecsp.config.rules import check_project
from ecsp.config.types import NAME_PATTERN, TransformRef


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
    data: dict[str, DataConfig] = Field(
        default_factory=dict, description="Databases, caches, buckets, tables and secrets by name, in every "
        "environment (or those of only_in): created by ecsp, or existing ones it only links. Applications use them "
        "with link:. ecsp keeps their data when the entry is removed or the stack destroyed, unless asked to "
        "delete it (`ecsp destroy --delete-data`).",
        examples=[{"orders": {"kind": "postgres"}, "uploads": {"kind": "bucket"}}],
        json_schema_extra={"propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_DATA}},
    )
    addons: str | None = Field(
        None, min_length=1, description="Environment addons: a folder of CloudFormation templates (Copilot's "
        "copilot/environments/addons, with its addons.parameters.yml) or one template, deployed in every "
        "environment's storage stack with parameters App and Env; read their exports with from_cfn.",
        examples=["copilot/environments/addons"])
    pipelines: dict[str, PipelineConfig] = Field(
        default_factory=dict, description="Release pipelines by name: a source branch, then one stage per "
        "environment (CodePipeline V2 in the project account). `ecsp plan --with-pipeline` shows them.",
        json_schema_extra={"propertyNames": {"pattern": NAME_PATTERN, "maxLength": naming.MAX_PIPELINE}},
    )

    ci: CiSection = Field(default_factory=CiSection, description="Deploying from CI with OIDC: `ecsp ci github` "
                          "writes GitHub Actions workflows; the project stack creates the roles they assume.")

    transforms: list[TransformRef] = Field(
        default_factory=list,
        description="Python functions (module:function, the module a file next to ecsp.yaml) that may change "
        "the properties and options of any resource of every stack before Pulumi registers it: "
        "ecsp's escape hatch for what ecsp.yaml cannot say (README: Transforms).",
        examples=[["tweaks:add_cost_center"]])

    policy_packs: list[str] = Field(
        default_factory=list,
        description="Pulumi policy pack folders (relative to ecsp.yaml) that judge every resource of `ecsp up` "
        "and `ecsp preview`; a mandatory policy's violation fails its stack (README: Pulumi Cloud and policy packs).",
        examples=[["policies/"]])

    _resolved: Resolved = PrivateAttr(default_factory=dict)
    _data: ResolvedData = PrivateAttr(default_factory=dict)

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
        data, data_errors = check_data(self.environments, self.applications, self.data, resolved)
        errors += data_errors
        errors += check_ci(self.ci, self.project, self.environments, self.state)
        raise_all(errors)
        self._resolved.update(resolved)
        self._data.update(data)
        return self

    # ----------------------------------------------------------------- queries

    def application(self, environment: str, application: str) -> ResolvedApplication:
        """Effective settings of ``application`` in ``environment``."""
        return self._resolved[(environment, application)]

    def type_of(self, application: str) -> ApplicationType:
        """The type of ``application`` (the same in every environment)."""
        return APPLICATION_TYPES[self.applications[application].kind]

    def data_in(self, environment: str) -> dict[str, Data]:
        """The data of ``environment`` (its entries' settings there), by name, in the order of ecsp.yaml."""
        return {name: self._data[(environment, name)] for name in self.data if (environment, name) in self._data}

    def has_storage(self, environment: str) -> bool:
        """Whether ``environment`` has a storage stack: data, environment addons, or an application's addons."""
        return bool(self.data_in(environment)) or self.addons is not None or any(
            app.addons is not None for app in self.applications.values())

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

