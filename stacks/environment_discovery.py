"""The environment's Cloud Map namespace, through which its applications call each other with Service Connect.

Created only when an application of the project sets ``connect`` (so environments of
projects that never use it are unchanged). An HTTP namespace is all Service Connect
needs: its proxies resolve names through Cloud Map's API. Copilot created a private DNS
namespace because it also offered DNS-based service discovery; that adds a Route 53
private hosted zone in the VPC that Service Connect never reads, so ecsp does not.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws


class ServiceDiscovery(pulumi.ComponentResource):
    """The ``<env>.<project>.local`` namespace; the cluster makes it its Service Connect default."""

    namespace_arn: pulumi.Output[str]
    namespace_name: pulumi.Output[str]

    def __init__(self, name: str, *, names: naming.EnvNames, provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:ServiceDiscovery", name, None, opts)
        namespace = aws.servicediscovery.HttpNamespace(
            name, name=names.service_connect_namespace,
            description=f"Service Connect between the applications of {names.base}",
            opts=_aws.keeps_name(provider, self))
        self.namespace_arn = namespace.arn
        self.namespace_name = namespace.name
        self.register_outputs({"namespaceArn": self.namespace_arn, "namespaceName": self.namespace_name})
