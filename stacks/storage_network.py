"""What data in the VPC shares: a security group of its own that applications are let into, one rule each.

The group has no rule at first; each application that links the data adds an ingress rule from
its own tasks' group in its own stack (:mod:`stacks.application_links`), so a link opens exactly
one port to exactly one application, and removing the link closes it.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws


def security_group(name: str, *, names: naming.DataNames, what: str, vpc_id: pulumi.Input[str],
                   provider: aws.Provider, parent: pulumi.Resource, **options: Any) -> aws.ec2.SecurityGroup:
    """The data's own security group (no inline rules: every rule is a resource of its own)."""
    return aws.ec2.SecurityGroup(
        name, vpc_id=vpc_id, description=f"{names.base} {what}: from the applications that link it",
        tags={"Name": names.tag(what)}, opts=_aws.opts(provider, parent, **options))
