"""The project's DNS: the ``<project>.<domain>`` zone delegated from the root zone, and the
role environment accounts assume to delegate their own ``<env>.<project>.<domain>`` zones.

Route 53 and IAM are global; the component uses the project's home-region provider. The
root zone of the domain must already exist in the project account: it is looked up, never
created.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws, _iam
from stacks import project_policies as policies

# Copilot's TTL for the delegation record: short enough that a mistake heals quickly.
DELEGATION_TTL = 900


class ProjectDns(pulumi.ComponentResource):
    zone_id: pulumi.Output[str]
    delegation_role_arn: pulumi.Output[str]

    def __init__(self, name: str, *, project: str, domain: str, partition: pulumi.Output[str],
                 environment_accounts: pulumi.Output[list[str]], boundary: pulumi.Input[str], provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:project:ProjectDns", name, None, opts)
        child = _aws.opts(provider, parent=self)

        root = aws.route53.get_zone_output(name=domain, private_zone=False,
                                           opts=pulumi.InvokeOutputOptions(provider=provider, parent=self))
        zone_name = naming.project_zone(project, domain)
        zone = aws.route53.Zone(
            "project-zone", name=zone_name,
            comment=f"ecsp project {project}: environments delegate <env>.{zone_name} here", opts=child)
        aws.route53.Record(
            "project-zone-delegation", zone_id=root.zone_id, name=zone_name, type="NS", ttl=DELEGATION_TTL,
            records=zone.name_servers, opts=child)

        role = _iam.role(
            "dns-delegation", boundary=boundary,
            name=naming.dns_delegation_role(project),
            description=f"Lets ecsp environments of {project} write their NS delegation records in {zone_name}",
            assume_role_policy=pulumi.Output.all(partition, environment_accounts).apply(
                lambda a: json.dumps(policies.dns_delegation_trust(a[0], a[1]))),
            opts=child)
        aws.iam.RolePolicy(
            "dns-delegation", role=role.id,
            policy=pulumi.Output.all(partition, zone.zone_id).apply(
                lambda a: json.dumps(policies.dns_delegation_permissions(a[0], a[1], zone_name))),
            opts=child)

        self.zone_id = zone.zone_id
        self.delegation_role_arn = role.arn
        self.register_outputs({"zoneId": self.zone_id, "delegationRoleArn": self.delegation_role_arn})
