"""Locate a deployed project's AWS resources from live AWS, by ``ecsp:*`` tags and naming conventions.

Nothing here reads Pulumi state, so ``status``/``logs``/``show`` work for someone who
did not run the deploy. Pulumi auto-names most resources (logical name plus a random
suffix), so exact names are tried first and then tags decide:

* cluster: named ``<project>-<env>`` (or that plus a suffix) and/or tagged
  ``ecsp:project``/``ecsp:environment``;
* services in that cluster: tagged ``ecsp:application``, else named after the application;
* target groups: the service's ``loadBalancers``, else tagged with all three ``ecsp:*`` tags;
* the load balancer: the target group's, else tagged for the environment without an application.

All functions take boto3 clients and raise botocore exceptions; callers translate them
(:func:`ecsp.aws.aws_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from ecsp import naming

PROJECT_TAG = "ecsp:project"
ENVIRONMENT_TAG = "ecsp:environment"
APPLICATION_TAG = "ecsp:application"

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def tag_dict(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """ECS tags ({key, value}) and ELBv2 tags ({Key, Value}) as one dict."""
    out: dict[str, str] = {}
    for t in tags or ():
        key = t.get("key", t.get("Key"))
        if key is not None:
            out[key] = t.get("value", t.get("Value", ""))
    return out


def _tagged(tags: Mapping[str, str], project: str, environment: str, application: str | None = None) -> bool:
    if tags.get(PROJECT_TAG) != project or tags.get(ENVIRONMENT_TAG) != environment:
        return False
    return application is None or tags.get(APPLICATION_TAG) == application


def _named(name: str, base: str) -> bool:
    """``base`` itself or a Pulumi auto-name of it (``base-1a2b3c4``)."""
    return name == base or (name.startswith(base + "-") and len(name) == len(base) + naming.AUTONAME_SUFFIX)


# --------------------------------------------------------------------------- ECS


def find_cluster(ecs: Any, project: str, environment: str) -> dict[str, Any] | None:
    """The environment's active ECS cluster (with tags), or None when it does not exist."""
    base = naming.EnvNames(project, environment).cluster
    found = ecs.describe_clusters(clusters=[base], include=["TAGS"]).get("clusters", [])
    exact = [c for c in found if c.get("status") == "ACTIVE"]
    if exact:
        return dict(exact[0])
    arns: list[str] = []
    for page in ecs.get_paginator("list_clusters").paginate():
        arns.extend(page.get("clusterArns", []))
    by_name: dict[str, Any] | None = None
    for group in chunks(arns, 100):
        for cluster in ecs.describe_clusters(clusters=list(group), include=["TAGS"]).get("clusters", []):
            if cluster.get("status") != "ACTIVE":
                continue
            if _tagged(tag_dict(cluster.get("tags")), project, environment):
                return dict(cluster)
            if by_name is None and _named(cluster.get("clusterName", ""), base):
                by_name = dict(cluster)
    return by_name


def find_services(ecs: Any, cluster_arn: str, project: str, environment: str,
                  applications: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The cluster's live services by application name (applications without one are absent)."""
    wanted = list(applications)
    arns: list[str] = []
    for page in ecs.get_paginator("list_services").paginate(cluster=cluster_arn):
        arns.extend(page.get("serviceArns", []))
    services: list[dict[str, Any]] = []
    for group in chunks(arns, 10):
        services.extend(ecs.describe_services(cluster=cluster_arn, services=list(group),
                                              include=["TAGS"]).get("services", []))
    out: dict[str, dict[str, Any]] = {}
    # Tags first: they are authoritative; names are a fallback for untagged services.
    for service in services:
        if service.get("status") == "INACTIVE":
            continue
        tags = tag_dict(service.get("tags"))
        app = tags.get(APPLICATION_TAG)
        if app in wanted and _tagged(tags, project, environment, app):
            out[app] = service
    for service in services:
        if service.get("status") == "INACTIVE":
            continue
        for app in wanted:
            if app not in out and _named(service.get("serviceName", ""), naming.AppNames(
                    project, environment, app).service):
                out[app] = service
    return out


def _created(deployment: Mapping[str, Any]) -> float:
    created = deployment.get("createdAt")
    return created.timestamp() if created is not None else 0.0


def newest_deployment(service: Mapping[str, Any]) -> dict[str, Any] | None:
    """The deployment ECS is rolling out now (PRIMARY), else the most recently created one."""
    deployments: list[dict[str, Any]] = list(service.get("deployments") or [])
    if not deployments:
        return None
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    pool = primary or deployments
    newest = max(pool, key=_created)
    return dict(newest)


def failed_deployment(service: Mapping[str, Any]) -> dict[str, Any] | None:
    """The newest deployment whose rollout FAILED, if ECS still lists one.

    When the circuit breaker trips, ECS starts a rollback as a new PRIMARY deployment and
    keeps the failed one (now ACTIVE) with the breaker's reason, so look beyond PRIMARY.
    """
    failed: list[dict[str, Any]] = [d for d in service.get("deployments") or [] if d.get("rolloutState") == "FAILED"]
    if not failed:
        return None
    newest = max(failed, key=_created)
    return dict(newest)


# --------------------------------------------------------------------------- ELBv2


def _elbv2_tags(elbv2: Any, arns: Sequence[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for group in chunks(arns, 20):
        for description in elbv2.describe_tags(ResourceArns=list(group)).get("TagDescriptions", []):
            out[description["ResourceArn"]] = tag_dict(description.get("Tags"))
    return out


def target_groups(elbv2: Any, service: Mapping[str, Any], project: str, environment: str,
                  application: str) -> list[dict[str, Any]]:
    """The application's target groups: the service's own, else those tagged for it."""
    arns = [lb["targetGroupArn"] for lb in service.get("loadBalancers") or [] if lb.get("targetGroupArn")]
    if arns:
        return list(elbv2.describe_target_groups(TargetGroupArns=arns).get("TargetGroups", []))
    groups: list[dict[str, Any]] = []
    for page in elbv2.get_paginator("describe_target_groups").paginate():
        groups.extend(page.get("TargetGroups", []))
    tags = _elbv2_tags(elbv2, [g["TargetGroupArn"] for g in groups])
    return [g for g in groups if _tagged(tags.get(g["TargetGroupArn"], {}), project, environment, application)]


def target_health(elbv2: Any, target_group_arn: str) -> list[dict[str, Any]]:
    return list(elbv2.describe_target_health(TargetGroupArn=target_group_arn).get("TargetHealthDescriptions", []))


def load_balancer(elbv2: Any, project: str, environment: str,
                  groups: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any] | None:
    """The environment's shared load balancer: the one ``groups`` route from, else the tagged one."""
    arns = list(dict.fromkeys(arn for g in groups for arn in g.get("LoadBalancerArns") or []))
    if arns:
        found = elbv2.describe_load_balancers(LoadBalancerArns=arns[:1]).get("LoadBalancers", [])
        if found:
            return dict(found[0])
    balancers: list[dict[str, Any]] = []
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        balancers.extend(page.get("LoadBalancers", []))
    tags = _elbv2_tags(elbv2, [b["LoadBalancerArn"] for b in balancers])
    for balancer in balancers:
        t = tags.get(balancer["LoadBalancerArn"], {})
        if _tagged(t, project, environment) and APPLICATION_TAG not in t:
            return balancer
    return None
