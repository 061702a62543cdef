"""The usage assumptions a monthly estimate rests on, each with its default, unit and meaning.

Prices say what a unit costs; these say how many units a month brings where the plan cannot know
(traffic, stored data, log volume). Every estimate prints them, and each can be overridden by name:
``ecsp cost --assume nat_gb=100`` or ``project.cost(assume={"nat_gb": 100})``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ecsp.errors import UsageError


def _assumption(default: float, unit: str, meaning: str) -> Any:
    return field(default=default, metadata={"unit": unit, "meaning": meaning})


@dataclass(frozen=True)
class Assumptions:
    """Usage per month that the plan does not say; the defaults are a small, steady workload."""

    hours_per_month: float = _assumption(730, "hours", "hours in a month (AWS's own 730)")
    spot_discount: float = _assumption(0.70, "fraction", "Fargate Spot's discount on on-demand (AWS: up to 70%; "
                                       "Spot has no list price)")
    alb_lcu: float = _assumption(1, "LCU", "load balancer capacity units used per hour, per load balancer")
    nat_gb: float = _assumption(10, "GB", "data through each NAT gateway")
    log_gb: float = _assumption(1, "GB", "log data ingested into each log group")
    insights_metrics_per_cluster: float = _assumption(8, "metrics", "Container Insights metrics per cluster")
    insights_metrics_per_service: float = _assumption(12, "metrics", "Container Insights metrics per service")
    insights_log_gb_per_task: float = _assumption(0.05, "GB", "Container Insights performance log data per task")
    job_minutes: float = _assumption(10, "minutes", "how long each run of a scheduled task takes")
    deploys_per_month: float = _assumption(20, "deployments", "deployments of each application; a blue-green, canary "
                                           "or linear one runs old and new tasks side by side while it shifts and "
                                           "bakes")
    queue_requests_million: float = _assumption(1, "million", "requests to each SQS queue (send, receive, delete)")
    topic_publishes_million: float = _assumption(1, "million", "messages published to each SNS topic")
    ecr_gb: float = _assumption(1, "GB", "images stored in each ECR repository")
    s3_gb: float = _assumption(1, "GB", "data stored in each S3 bucket")
    s3_puts_thousand: float = _assumption(10, "thousand", "PUT/LIST requests to each S3 bucket")
    s3_gets_thousand: float = _assumption(100, "thousand", "GET requests to each S3 bucket")
    efs_gb: float = _assumption(1, "GB", "data stored in each EFS file system")
    database_gb: float = _assumption(10, "GB", "data stored in each Aurora cluster")
    aurora_io_million: float = _assumption(1, "million", "I/O requests of each Aurora Standard cluster")
    dynamodb_gb: float = _assumption(1, "GB", "data stored in each DynamoDB table")
    dynamodb_reads_million: float = _assumption(1, "million", "read request units of each on-demand table")
    dynamodb_writes_million: float = _assumption(1, "million", "write request units of each on-demand table")
    cache_gb: float = _assumption(1, "GB", "data stored in each serverless cache (billed at least the "
                                  "engine's minimum)")
    cache_ecpu_million: float = _assumption(10, "million", "ElastiCache Processing Units each serverless cache uses")

    def with_overrides(self, overrides: Mapping[str, float] | None) -> Assumptions:
        """These assumptions with some replaced by name (UsageError for an unknown name or a negative value)."""
        if not overrides:
            return self
        names = {f.name for f in fields(self)}
        for name, value in overrides.items():
            if name not in names:
                raise UsageError(f"no cost assumption named '{name}'",
                                 fix="use one of: " + ", ".join(sorted(names)))
            if value < 0:
                raise UsageError(f"cost assumption {name} is {value}; it cannot be negative",
                                 fix=f"give {name} a value of 0 or more")
        return replace(self, **{k: float(v) for k, v in overrides.items()})

    def described(self) -> list[tuple[str, float, str, str]]:
        """(name, value, unit, meaning) of every assumption, in declaration order."""
        return [(f.name, getattr(self, f.name), f.metadata["unit"], f.metadata["meaning"]) for f in fields(self)]


def parse_overrides(items: list[str]) -> dict[str, float]:
    """``NAME=VALUE`` strings from the command line, as numbers (UsageError when one is not)."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--assume {item!r} is not NAME=NUMBER",
                             fix="write e.g. --assume nat_gb=100 (see `ecsp cost --help` for the names)") from None
    return out
