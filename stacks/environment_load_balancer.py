"""The environment's shared, internet-facing Application Load Balancer and its listeners.

Every application of the environment attaches listener rules to these listeners. The
listeners' own default actions only answer requests no application claims: a 404, or
with HTTPS (a domain or the environment's certificates) a redirect of plain HTTP to HTTPS.
The HTTPS listener's default certificate is ecsp's (with a domain) or the first of the
environment's ``certificates``; the others are added as listener certificates (SNI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecsp import naming
from stacks import _aws

ANYWHERE = "0.0.0.0/0"
HTTP_PORT = 80
HTTPS_PORT = 443
# TLS 1.3 and 1.2 with forward-secret ciphers only (AWS's recommended modern policy).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def not_found() -> aws.lb.ListenerDefaultActionArgs:
    return aws.lb.ListenerDefaultActionArgs(
        type="fixed-response",
        fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
            content_type="text/plain", message_body="Not Found", status_code="404"))


def redirect_to_https() -> aws.lb.ListenerDefaultActionArgs:
    return aws.lb.ListenerDefaultActionArgs(
        type="redirect",
        redirect=aws.lb.ListenerDefaultActionRedirectArgs(port=str(HTTPS_PORT), protocol="HTTPS",
                                                          status_code="HTTP_301"))


@dataclass(frozen=True)
class AccessLogs:
    """Where the load balancer writes its access logs, and what must exist before it may."""

    bucket: pulumi.Input[str]
    prefix: str | None = None
    ready: Sequence[pulumi.Resource] = ()


class LoadBalancer(pulumi.ComponentResource):
    """Load balancer security group, ALB, default target group, HTTP listener and (with a certificate) HTTPS."""

    arn: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    http_listener_arn: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str] | None
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, *, names: naming.EnvNames, vpc_id: pulumi.Input[str],
                 subnet_ids: pulumi.Input[list[str]], environment_security_group_id: pulumi.Input[str],
                 certificate_arn: pulumi.Input[str] | None, provider: aws.Provider,
                 internet_access: Sequence[pulumi.Resource],
                 extra_certificate_arns: Sequence[str] = (),
                 access_logs: AccessLogs | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:LoadBalancer", name, None, opts)

        def child(**kwargs: object) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, **kwargs)

        https = certificate_arn is not None
        # A fixed description: changing it would replace the group (and detach it from the ALB).
        group = aws.ec2.SecurityGroup("load-balancer", vpc_id=vpc_id,
                                      description=f"{names.base} load balancer: web traffic from anywhere",
                                      tags={"Name": names.tag("lb")}, opts=child())
        ports = {"http": HTTP_PORT, **({"https": HTTPS_PORT} if https else {})}
        for scheme, port in ports.items():
            aws.vpc.SecurityGroupIngressRule(f"load-balancer-{scheme}", security_group_id=group.id,
                                             cidr_ipv4=ANYWHERE, ip_protocol="tcp", from_port=port, to_port=port,
                                             description=f"{scheme.upper()} from anywhere", opts=child())
        # The provider drops the default allow-all egress of groups it creates; the load balancer
        # needs egress to reach targets and run their health checks.
        aws.vpc.SecurityGroupEgressRule("load-balancer-egress", security_group_id=group.id, cidr_ipv4=ANYWHERE,
                                        ip_protocol="-1", description="All outbound traffic", opts=child())
        # Applications listen on their own ports, so the load balancer may reach any port of the
        # environment group (as Copilot allows).
        aws.vpc.SecurityGroupIngressRule("environment-from-load-balancer",
                                         security_group_id=environment_security_group_id,
                                         referenced_security_group_id=group.id, ip_protocol="-1",
                                         description="Traffic from the load balancer of the environment", opts=child())

        alb = aws.lb.LoadBalancer(names.load_balancer, load_balancer_type="application", internal=False,
                                  security_groups=[group.id], subnets=subnet_ids,
                                  # Requests with malformed headers never reach applications.
                                  drop_invalid_header_fields=True,
                                  access_logs=None if access_logs is None else aws.lb.LoadBalancerAccessLogsArgs(
                                      bucket=access_logs.bucket, prefix=access_logs.prefix, enabled=True),
                                  # Internet-facing: AWS refuses it until the VPC's gateway is attached;
                                  # with access logs ELB checks it may write to the bucket.
                                  opts=child(depends_on=[*internet_access,
                                                         *(access_logs.ready if access_logs else [])]))
        # Copilot's default target group, with its health-check defaults and no targets. Nothing
        # forwards to it (the listeners answer unmatched requests themselves); kept for parity.
        aws.lb.TargetGroup(names.default_target_group, port=HTTP_PORT, protocol="HTTP", target_type="ip",
                           vpc_id=vpc_id, deregistration_delay=60,
                           health_check=aws.lb.TargetGroupHealthCheckArgs(interval=10, healthy_threshold=2,
                                                                          timeout=5),
                           opts=child())

        http = aws.lb.Listener("http", load_balancer_arn=alb.arn, port=HTTP_PORT, protocol="HTTP",
                               default_actions=[redirect_to_https() if https else not_found()], opts=child())
        secure = None
        if certificate_arn is not None:
            secure = aws.lb.Listener("https", load_balancer_arn=alb.arn, port=HTTPS_PORT, protocol="HTTPS",
                                     certificate_arn=certificate_arn, ssl_policy=TLS_POLICY,
                                     default_actions=[not_found()], opts=child())
            # SNI: the listener answers with whichever certificate matches the requested host.
            for i, arn in enumerate(extra_certificate_arns):
                aws.lb.ListenerCertificate(f"certificate-{i}", listener_arn=secure.arn, certificate_arn=arn,
                                           opts=child())

        self.arn = alb.arn
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.http_listener_arn = http.arn
        self.https_listener_arn = secure.arn if secure is not None else None
        self.security_group_id = group.id
        self.register_outputs({
            "arn": self.arn, "dnsName": self.dns_name, "zoneId": self.zone_id,
            "httpListenerArn": self.http_listener_arn, "httpsListenerArn": self.https_listener_arn,
            "securityGroupId": self.security_group_id,
        })
