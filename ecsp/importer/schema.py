"""The keys Copilot's manifests accept, to spot misspelled fields (``cpus:``, ``heathcheck:``).

Taken from the yaml tags of aws/copilot-cli internal/pkg/manifest/*.go (@4c858e7). Copilot
reads manifests without strict checking, so a misspelled key was ignored and the service ran
without it; the importer says so, with a did-you-mean, instead of mapping or failing.

A tree is a dict of key -> subtree; ``None`` accepts anything below; ``MAP`` is a mapping of
user-chosen names (variables, sidecars) to a subtree; ``LIST`` a list of subtrees. A value
written in a scalar form (``count: 2``, ``http: false``) is not walked.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

MAP = "*"
LIST = "[]"
Tree = dict[str, Any]

_CONTAINER_HEALTH: Tree = {"command": None, "interval": None, "retries": None, "timeout": None,
                           "start_period": None}
_BUILD: Tree = {"dockerfile": None, "context": None, "args": None, "target": None, "cache_from": None}
_IMAGE: Tree = {"build": _BUILD, "location": None, "credentials": None, "labels": None, "depends_on": None,
                "port": None, "healthcheck": _CONTAINER_HEALTH}
_HTTP_HEALTH: Tree = {"path": None, "port": None, "success_codes": None, "healthy_threshold": None,
                      "unhealthy_threshold": None, "timeout": None, "interval": None, "grace_period": None}
_RULE: Tree = {"path": None, "version": None, "healthcheck": _HTTP_HEALTH, "stickiness": None, "alias": None,
               "deregistration_delay": None, "target_container": None, "target_port": None,
               "allowed_source_ips": None, "hosted_zone": None, "redirect_to_https": None}
_HTTP: Tree = {**_RULE, "alb": None, "targetContainer": None, "additional_rules": {LIST: _RULE}}
_COOLDOWN: Tree = {"in": None, "out": None}
_POLICY: Tree = {"value": None, "cooldown": _COOLDOWN}
_COUNT: Tree = {"spot": None, "range": {"min": None, "max": None, "spot_from": None}, "cooldown": _COOLDOWN,
                "cpu_percentage": _POLICY, "memory_percentage": _POLICY, "requests": _POLICY,
                "response_time": _POLICY,
                "queue_delay": {"acceptable_latency": None, "msg_processing_time": None, "cooldown": _COOLDOWN}}
_SECRET: Tree = {"secretsmanager": None, "from_cfn": None}
_VARIABLE: Tree = {"from_cfn": None}
_VOLUME: Tree = {"path": None, "read_only": None,
                 "efs": {"id": None, "root_dir": None, "auth": {"iam": None, "access_point_id": None},
                         "uid": None, "gid": None}}
_STORAGE: Tree = {"ephemeral": None, "readonly_fs": None, "volumes": {MAP: _VOLUME}}
_LOGGING: Tree = {"retention": None, "image": None, "destination": None, "enableMetadata": None,
                  "secretOptions": None, "configFilePath": None, "variables": {MAP: _VARIABLE},
                  "secrets": {MAP: _SECRET}, "env_file": None}
_SIDECAR: Tree = {"port": None, "image": {"build": _BUILD, "location": None}, "essential": None,
                  "credentialsParameter": None, "variables": {MAP: _VARIABLE}, "env_file": None,
                  "secrets": {MAP: _SECRET}, "mount_points": {LIST: {"source_volume": None, "path": None,
                                                                     "read_only": None}},
                  "labels": None, "depends_on": None, "healthcheck": _CONTAINER_HEALTH, "entrypoint": None,
                  "command": None}
_NETWORK: Tree = {"vpc": {"placement": {"subnets": None}, "security_groups": {"groups": None, "deny_default": None}},
                  "connect": {"alias": None}}
_PUBLISH: Tree = {"topics": {LIST: {"name": None, "fifo": None}}}
_DEPLOYMENT: Tree = {"rolling": None, "rollback_alarms": None}
_QUEUE: Tree = {"retention": None, "delay": None, "timeout": None, "dead_letter": {"tries": None}, "fifo": None}

_TASK: Tree = {"image": _IMAGE, "entrypoint": None, "command": None, "cpu": None, "memory": None, "platform": None,
               "count": _COUNT, "exec": {"enable": None}, "variables": {MAP: _VARIABLE}, "env_file": None,
               "secrets": {MAP: _SECRET}, "storage": _STORAGE, "logging": _LOGGING, "sidecars": {MAP: _SIDECAR},
               "network": _NETWORK, "publish": _PUBLISH, "taskdef_overrides": None,
               "observability": {"tracing": None}}

_BY_TYPE: dict[str, Tree] = {
    "Load Balanced Web Service": {**_TASK, "http": _HTTP, "nlb": None, "deployment": _DEPLOYMENT},
    "Backend Service": {**_TASK, "http": _HTTP, "deployment": _DEPLOYMENT},
    "Worker Service": {**_TASK, "deployment": _DEPLOYMENT,
                       "subscribe": {"topics": {LIST: {"name": None, "service": None, "filter_policy": None,
                                                       "queue": _QUEUE}}, "queue": _QUEUE}},
    "Scheduled Job": {**_TASK, "on": {"schedule": None}, "timeout": None, "retries": None},
}

ENVIRONMENT: Tree = {
    "name": None, "type": None,
    "network": {"vpc": {"id": None, "cidr": None,
                        "subnets": {"public": {LIST: {"id": None, "cidr": None, "az": None}},
                                    "private": {LIST: {"id": None, "cidr": None, "az": None}}},
                        "security_group": {"ingress": None, "egress": None}, "flow_logs": {"retention": None}}},
    "observability": {"container_insights": None},
    "http": {"public": {"security_groups": None, "certificates": None,
                        "access_logs": {"bucket_name": None, "prefix": None},
                        "ingress": {"cdn": None, "source_ips": None}, "ssl_policy": None},
             "private": {"subnets": None, "certificates": None, "security_groups": None, "ingress": {"vpc": None},
                         "ssl_policy": None}},
    "cdn": {"certificate": None, "terminate_tls": None,
            "static_assets": {"location": None, "alias": None, "path": None}},
}

WORKLOAD_TYPES = (*_BY_TYPE, "Request-Driven Web Service", "Static Site")


def workload(kind: str) -> Tree:
    """The tree of a workload manifest of Copilot type ``kind`` (its ``environments`` overrides included)."""
    fields = {"name": None, "type": None, **_BY_TYPE[kind]}
    return {**fields, "environments": {MAP: fields}}


def unknown_keys(data: Any, tree: Tree, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...],
                                                                                           str | None]]:
    """Every key of ``data`` that ``tree`` does not know, with the known key it probably meant."""
    if isinstance(data, list) and LIST in tree:
        for i, item in enumerate(data):
            yield from unknown_keys(item, tree[LIST], (*loc, i))
        return
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if MAP in tree:
            sub = tree[MAP]
        elif key in tree:
            sub = tree[key]
        else:
            known = [k for k in tree if k not in (MAP, LIST)]
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.7)
            yield (*loc, key), (close[0] if close else None)
            continue
        if isinstance(sub, dict):
            yield from unknown_keys(value, sub, (*loc, key))
