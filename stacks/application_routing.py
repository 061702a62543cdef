"""How requests reach an application: its target group, its rules on the environment's listeners, its DNS name.

Without a domain one rule on the HTTP listener forwards the application's path. With a
domain the forwarding rule lives on the HTTPS listener and also matches the application's
host ``<app>.<env>.<project>.<domain>``; a rule on the HTTP listener redirects the same
requests to HTTPS, and a Route 53 alias record points the host at the load balancer.
Rule priorities come from :mod:`ecsp.priorities`.

The HTTPS rule keeps the path condition (as Copilot's does since v1.5), so an
application behaves the same with and without a domain; its URL is therefore
``https://<host><path>``, and ``http://<alb-dns><path>`` without a domain.

With a traffic-shifting deployment (blue-green, canary, linear) a second, alternate target
group stands beside the first, and the forwarding rule (the *production* rule) forwards to
both, weighted; an optional *test* rule matches the path and a header, one priority band
deeper so it is evaluated first (:func:`ecsp.priorities.test_rule_key`). ECS moves the
weights (:mod:`stacks.application_deployment`).

Aliases join the host-header values (at most 3 per rule, so more aliases mean more HTTPS
rules, numbered by :func:`ecsp.priorities.rule_keys`). Without a domain but with the
environment's ``certificates`` the rules go on the HTTPS listener too, matching only the
aliases (none: path only), and the URL is ``https://<first alias><path>``. Aliases in the
environment zone get alias records there; others are the user's to point at the load
balancer.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ecsp import naming, priorities
from ecsp.config import HealthCheckConfig, ResolvedApplication, RouteConfig
from stacks import _aws
from stacks.application_deployment import WEIGHTS_ECS_OWNS, weighted_forward


def path_patterns(path: str) -> list[str]:
    """ALB path patterns of an application path: ``/`` matches everything, ``p`` matches ``p`` and below."""
    return ["/*"] if path == "/" else [path, f"{path}/*"]


def conditions(path: str, hosts: Sequence[str] | None,
               header: tuple[str, str] | None = None) -> list[aws.lb.ListenerRuleConditionArgs]:
    out = [aws.lb.ListenerRuleConditionArgs(
        path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=path_patterns(path)))]
    if hosts:
        out.append(aws.lb.ListenerRuleConditionArgs(
            host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=list(hosts))))
    if header:
        out.append(aws.lb.ListenerRuleConditionArgs(
            http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(http_header_name=header[0], values=[header[1]])))
    return out


def target_group_args(settings: ResolvedApplication, vpc_id: pulumi.Input[str],
                      port: int | None = None, check: HealthCheckConfig | None = None) -> aws.lb.TargetGroupArgs:
    """The application's target group: ip targets on its port (or ``port``, a sidecar's), its health check (or
    ``check``, a route's; the alternate group's too)."""
    check = check or settings.healthcheck
    return aws.lb.TargetGroupArgs(
        port=port if port is not None else settings.port,
        protocol="HTTP",
        target_type="ip",
        vpc_id=vpc_id,
        deregistration_delay=settings.deregistration_delay,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            enabled=True, protocol="HTTP", port="traffic-port", path=check.path, interval=check.interval,
            timeout=check.timeout, healthy_threshold=check.healthy_threshold,
            unhealthy_threshold=check.unhealthy_threshold, matcher=check.success_codes))


def route_rules(name: str, path: str, hosts: Sequence[str], numbers: list[int], group: aws.lb.TargetGroup, *,
                http_listener_arn: pulumi.Input[str], https_listener_arn: pulumi.Input[str | None] | None,
                opts: pulumi.ResourceOptions) -> list[aws.lb.ListenerRule]:
    """A route's rules: forwarding on HTTPS (one per host-name chunk) and a redirect on HTTP; forwarding on
    HTTP alone (by path) without HTTPS, as the application's own rule."""
    chunks = priorities.host_chunks(hosts) or [[]]
    if len(numbers) != len(chunks):
        raise ValueError(f"{len(chunks)} rules need {len(chunks)} priorities, got {numbers}")
    forward = [aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=group.arn)]
    if https_listener_arn is None:
        return [aws.lb.ListenerRule(f"{name}-http", listener_arn=http_listener_arn, priority=numbers[0],
                                    actions=forward, conditions=conditions(path, None), opts=opts)]
    redirect = [aws.lb.ListenerRuleActionArgs(type="redirect", redirect=aws.lb.ListenerRuleActionRedirectArgs(
        protocol="HTTPS", port="443", status_code="HTTP_301"))]
    rules = [aws.lb.ListenerRule(f"{name}-https" + (f"-{i}" if i else ""), listener_arn=https_listener_arn,
                                 priority=numbers[i], actions=forward, conditions=conditions(path, chunk), opts=opts)
             for i, chunk in enumerate(chunks)]
    rules.append(aws.lb.ListenerRule(f"{name}-http", listener_arn=http_listener_arn, priority=numbers[0],
                                     actions=redirect, conditions=conditions(path, chunks[0]), opts=opts))
    return rules


class Routing(pulumi.ComponentResource):
    """Target group, listener rules and (with a domain) the DNS alias of one application."""

    target_group: aws.lb.TargetGroup
    alternate_target_group: aws.lb.TargetGroup | None = None  # traffic-shifting deployments only
    route_target_groups: list[aws.lb.TargetGroup]  # one per route, in order
    rules: list[aws.lb.ListenerRule]
    production_rule: aws.lb.ListenerRule  # the rule that forwards the application's traffic
    test_rule: aws.lb.ListenerRule | None = None
    url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        names: naming.AppNames,
        settings: ResolvedApplication,
        priority: int | Sequence[int],
        vpc_id: pulumi.Input[str],
        http_listener_arn: pulumi.Input[str],
        https_listener_arn: pulumi.Input[str | None],
        load_balancer_dns_name: pulumi.Input[str],
        load_balancer_zone_id: pulumi.Input[str],
        hosted_zone_id: pulumi.Input[str | None],
        host: str | None,
        provider: aws.Provider,
        https: bool | None = None,
        managed_aliases: Sequence[str] = (),
        port: int | None = None,
        test_priority: int | None = None,
        routes: Sequence[tuple[RouteConfig, int | None, Sequence[int]]] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``test_priority``: the test rule's, with a deployment that has a test route (see the module docstring);
        ``port``: the one requests go to, when it is not the application's own (a sidecar's); ``routes``: each
        route with its target's port and its rules' priorities."""
        super().__init__("ecsp:application:Routing", name, None, opts)
        self.target_group = aws.lb.TargetGroup(names.target_group, target_group_args(settings, vpc_id, port),
                                               opts=_aws.opts(provider, self))
        shifting = settings.deployment.shifts_traffic
        forward = [aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=self.target_group.arn)]
        # ECS owns the weights of a shifting deployment's rules.
        forwarding = _aws.opts(provider, self, ignore_changes=[WEIGHTS_ECS_OWNS] if shifting else None)
        if shifting:
            self.alternate_target_group = aws.lb.TargetGroup(
                names.alternate_target_group, target_group_args(settings, vpc_id, port), opts=_aws.opts(provider, self))
            forward = weighted_forward(self.target_group.arn, self.alternate_target_group.arn)
        # HTTPS exists with a domain, or without one when the environment has certificates.
        secure = host is not None if https is None else https
        hosts = [*([host] if host else []), *settings.aliases]
        chunks = priorities.host_chunks(hosts) or [[]]
        numbers = [priority] if isinstance(priority, int) else list(priority)
        if len(numbers) != len(chunks):
            raise ValueError(f"{len(chunks)} rules need {len(chunks)} priorities, got {numbers}")
        if not secure:
            self.rules = [aws.lb.ListenerRule(
                f"{name}-http", listener_arn=http_listener_arn, priority=numbers[0], actions=forward,
                conditions=conditions(settings.path, None), opts=forwarding)]
            self.url = pulumi.Output.from_input(load_balancer_dns_name).apply(
                lambda dns: str(naming.application_url(settings.path, dns_name=dns)))
        else:
            redirect = [aws.lb.ListenerRuleActionArgs(type="redirect", redirect=aws.lb.ListenerRuleActionRedirectArgs(
                protocol="HTTPS", port="443", status_code="HTTP_301"))]
            # Same priority on both listeners: each listener's priorities are unique on their own.
            # The HTTP listener's rule keeps its name with and without HTTPS, so adding or removing
            # a domain updates it in place: under another name Pulumi would create the new rule
            # first, at the priority the old one still holds, and ALB would refuse it. One HTTP
            # rule is enough: the HTTP listener's default action redirects every other request.
            self.rules = [
                aws.lb.ListenerRule(
                    f"{name}-https" + (f"-{i}" if i else ""), listener_arn=https_listener_arn, priority=numbers[i],
                    actions=forward, conditions=conditions(settings.path, chunk), opts=forwarding)
                for i, chunk in enumerate(chunks)
            ]
            self.rules.append(aws.lb.ListenerRule(
                f"{name}-http", listener_arn=http_listener_arn, priority=numbers[0], actions=redirect,
                conditions=conditions(settings.path, chunks[0]), opts=_aws.opts(provider, self)))
            # The environment zone holds the application's own name and its managed aliases.
            for record, fqdn in [*([(name, host)] if host else []), *((f"{name}-{a}", a) for a in managed_aliases)]:
                aws.route53.Record(
                    record, zone_id=hosted_zone_id, name=fqdn, type="A",
                    aliases=[aws.route53.RecordAliasArgs(
                        name=load_balancer_dns_name, zone_id=load_balancer_zone_id, evaluate_target_health=True)],
                    opts=_aws.opts(provider, self))
            self.url = pulumi.Output.from_input(load_balancer_dns_name).apply(lambda dns: str(naming.application_url(
                settings.path, host=host, aliases=settings.aliases, https=True, dns_name=dns)))
        self.production_rule = self.rules[0]
        # Each route: a target group of its own (its container, port and health check) and its rules.
        self.route_target_groups = []
        for i, (extra, route_port, route_numbers) in enumerate(routes):
            group = aws.lb.TargetGroup(names.route_target_group(i),
                                       target_group_args(settings, vpc_id, route_port, extra.healthcheck),
                                       opts=_aws.opts(provider, self))
            self.route_target_groups.append(group)
            self.rules += route_rules(
                f"{name}-route{i + 1}", extra.path, extra.aliases or hosts, list(route_numbers),
                group, http_listener_arn=http_listener_arn, https_listener_arn=https_listener_arn if secure else None,
                opts=_aws.opts(provider, self))
        route = settings.deployment.test_route
        if shifting and route is not None:
            if test_priority is None:
                raise ValueError("a test route needs its rule's priority")
            self.test_rule = aws.lb.ListenerRule(
                f"{name}-test", listener_arn=https_listener_arn if secure else http_listener_arn,
                priority=test_priority, actions=forward,
                conditions=conditions(settings.path, chunks[0] if secure else None, (route.header, route.value)),
                opts=forwarding)
        self.register_outputs({"targetGroupArn": self.target_group.arn, "url": self.url})
