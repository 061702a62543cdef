"""What `plan` tells the user about a stack beyond its resources: changes that replace or delete something.

Pure functions of the validated config. `plan` runs offline and cannot know what is deployed,
so a note says what happens *if* the deployed stack differs in that way; the Pulumi preview
of `ecsp preview` then shows the actual replacement.
"""

from __future__ import annotations

from ecsp import ci, naming
from ecsp.config import Capacity, CapacitySpread, ProjectConfig
from ecsp.graph import StackSpec


def describe_capacity(capacity: Capacity) -> str:
    """A capacity setting as the user wrote it, and how ECS runs it."""
    if capacity == "on-demand":
        return "on-demand (launch type FARGATE)"
    if capacity == "spot":
        return "spot (capacity provider FARGATE_SPOT)"
    assert isinstance(capacity, CapacitySpread)
    return f"{{spot: {capacity.spot}, base: {capacity.base}}} (capacity providers FARGATE and FARGATE_SPOT)"


def capacity_note(capacity: Capacity) -> str | None:
    """The replacement a capacity provider strategy implies for a service deployed with a launch type.

    The AWS provider cannot move a service between a launch type and a capacity provider
    strategy in place: it creates a new service and deletes the old one (its tasks stop once
    the new service's run). Between two strategies it updates in place, because ecsp sets
    force_new_deployment with any strategy. On-demand stays launch type FARGATE, so configs
    without capacity plan exactly as before.
    """
    if capacity == "on-demand":
        return None
    return (f"capacity {describe_capacity(capacity)}: a service deployed with on-demand capacity (launch type "
            "FARGATE) is replaced by a new service when it changes to this, and again when it changes back")


def vpc_note(config: ProjectConfig, environment: str) -> str | None:
    """The replacement that changing an environment's ``network.vpc`` implies, when it uses one.

    An existing VPC is the one environment setting whose change (to another VPC, or to one
    ecsp creates) replaces the load balancer, the security groups and every service.
    """
    vpc = config.environments[environment].network.vpc
    if vpc is None:
        return None
    return (f"environment '{environment}' uses the existing VPC {vpc.id}: changing network.vpc (to another VPC, or "
            "to one ecsp creates) replaces its load balancer, its security groups and every application's service "
            "and target group")


def boundary_note(config: ProjectConfig, environment: str | None) -> str:
    """What deploying over roles created before ecsp gave every role a permissions boundary does.

    The boundary is a role argument that AWS updates in place (PutRolePermissionsBoundary), so
    no role is replaced; the stack that creates the boundary says it, once per account.
    """
    boundary = naming.permissions_boundary(config.project.name, environment)
    whose = f"environment '{environment}'" if environment else "the project account"
    return (f"every role of {whose} carries the permissions boundary {boundary}; roles deployed before ecsp "
            "added boundaries get it in place (no role is replaced)")


def stack_notes(config: ProjectConfig, spec: StackSpec) -> list[str]:
    """Notes for one stack of the plan (empty for most)."""
    notes: list[str] = []
    if spec.environment and spec.application:
        note = capacity_note(config.application(spec.environment, spec.application).capacity)
        if note:
            notes.append(note)
    elif spec.kind == "project":
        notes.append(boundary_note(config, None))
    elif spec.kind == "environment" and spec.environment:
        notes.append(boundary_note(config, spec.environment))
        vpc = vpc_note(config, spec.environment)
        if vpc:
            notes.append(vpc)
        if config.needs_file_system(spec.environment):
            notes.append("managed EFS file system: kept in AWS, with its files, when no application asks for efs: "
                         "true any more or the environment is destroyed; `--delete-data` deletes it")
    if spec.kind == "storage" and spec.environment:
        notes += data_notes(config, spec.environment)
    return notes


def data_notes(config: ProjectConfig, environment: str) -> list[str]:
    """What the storage stack keeps, and what a change to it would mean."""
    managed = [f"{name} ({data.kind})" for name, data in config.data_in(environment).items() if data.managed]
    notes = []
    if managed:
        notes.append(f"data kept: {', '.join(managed)} stay in AWS when removed from ecsp.yaml or when this stack is "
                     "destroyed; `ecsp destroy --delete-data` deletes them (databases take a final snapshot first)")
        notes.append("a change that would replace data (a table's keys, a database's engine) is refused by `up` "
                     "and `preview`; `ecsp up --delete-data` replaces it and deletes the old one")
    addons = [owner or "the environment" for owner in ([None] if config.addons else [])
              + [a for a, c in config.applications.items() if c.addons]]
    if addons:
        notes.append(f"addon stacks of {', '.join(addons)}: kept in AWS, with whatever they hold, when removed or "
                     "destroyed, as data is")
        deployers = [f"pipeline {p}" for p in config.pipelines_deploying(environment)]
        if config.ci.github is not None and ci.model(config).deployers_of(environment):
            deployers.append("GitHub Actions")
        if deployers:
            notes.append(f"addons through the deploy role ({', '.join(deployers)}): CloudFormation creates their "
                         "resources with its permissions, which cover the environment's data only; deploy addons "
                         "with other resources yourself (`ecsp up` with your credentials) before the pipeline does")
    return notes
