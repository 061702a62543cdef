"""IAM policy document pieces every stack's policies use: the policy language version, and a service's trust."""

from __future__ import annotations

from typing import Any

VERSION = "2012-10-17"


def service_trust(service: str, *, source_account: str | None = None) -> dict[str, Any]:
    """A role that the AWS ``service`` (ecs-tasks.amazonaws.com, ...) may assume.

    ``source_account``: only on behalf of that account (the confused-deputy guard AWS recommends
    for services that act for many accounts, such as Scheduler and VPC Flow Logs).
    """
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return {"Version": VERSION, "Statement": [statement]}
