"""The storage stack: one environment's data and CloudFormation addons (one stack per environment with any).

Data lives apart from the applications so that no application deploy, change or destroy can
touch it, and apart from the environment so that its network can change without it. It reads
the environment stack's network (VPC, private subnets) and builds one component per data entry
the environment manages (:mod:`stacks.storage_database`, :mod:`stacks.storage_cache`,
:mod:`stacks.storage_bucket`, :mod:`stacks.storage_table`), the facts of each existing one
(:mod:`stacks.storage_existing`), and one CloudFormation stack per addon set
(:mod:`stacks.storage_addons`). Every data resource is kept when its entry leaves ecsp.yaml or
the stack is destroyed, unless the user asked to delete data (ecsp.data_safety).

Exports :class:`stacks.contracts.StorageOutputs`: what linking each entry needs, and each addon
stack's outputs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config import ProjectConfig
from ecsp.context import StackContext
from ecsp.graph import StackSpec
from stacks import _aws
from stacks.contracts import EnvironmentOutputs, StorageOutputs
from stacks.storage_addons import Addons
from stacks.storage_bucket import Bucket
from stacks.storage_cache import Cache
from stacks.storage_database import Database
from stacks.storage_existing import existing_facts
from stacks.storage_table import Table


def reads(config: ProjectConfig, spec: StackSpec) -> dict[str, Any]:
    """What of ecsp.yaml :func:`program` reads for ``spec`` (the plan cache replans the stack when it changes).

    The project's name and the environment's data. (Its addons are files, not settings: the
    planner keys them with the stack.)
    """
    env = spec.environment
    assert env is not None
    return {"project": config.project.name, "data": config.data_in(env)}


def program(ctx: StackContext) -> None:
    env = ctx.stack.environment
    assert env is not None
    config = ctx.config
    project = config.project.name
    provider = _aws.stack_provider(ctx)
    region = ctx.placement.region
    upstream = EnvironmentOutputs.read(pulumi.StackReference(ctx.upstream_name("environment", env)))
    invoke = pulumi.InvokeOutputOptions(provider=provider)
    account = ctx.placement.account or aws.get_caller_identity_output(opts=invoke).account_id
    partition = aws.get_partition_output(opts=invoke).partition

    facts: dict[str, Any] = {}
    for name, settings in config.data_in(env).items():
        names = naming.DataNames(project, env, name)
        if not settings.managed:
            facts[name] = existing_facts(settings, region=region, account=account, partition=partition,
                                         provider=provider)
        elif settings.kind in ("postgres", "mysql"):
            facts[name] = Database(name, names=names, settings=settings, vpc_id=upstream.vpc_id,
                                   private_subnet_ids=upstream.private_subnet_ids, provider=provider).facts
        elif settings.kind == "redis":
            facts[name] = Cache(name, names=names, settings=settings, vpc_id=upstream.vpc_id,
                                private_subnet_ids=upstream.private_subnet_ids, provider=provider).facts
        elif settings.kind == "bucket":
            facts[name] = Bucket(name, names=names, settings=settings, provider=provider).facts
        elif settings.kind == "table":
            facts[name] = Table(name, names=names, settings=settings, provider=provider).facts

    addons: dict[str, Any] = {}
    for owner, stack in ctx.addons.items():
        logical = f"{owner}-addons" if owner else "addons"
        addons[owner or ""] = Addons(logical, stack=stack, project=project, environment=env, upstream=upstream,
                                     provider=provider).outputs
    StorageOutputs(data=facts, addons=addons).export()
