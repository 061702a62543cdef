"""The environment stack under Pulumi mocks: its whole resource graph and the inputs that matter.

Most runs feed the program fixed project-stack outputs (a known zone id and delegation role),
so the assertions are exact and independent of the project program; one test runs the real
project stack upstream to check the wiring end to end.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import graph as graphs
from ecsp import mocks, naming
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator, StackContext
from ecsp.network import carve
from stacks import environment
from stacks.environment_network import nat_gateway_count, nat_gateway_for
from tests import harness

PROJECT_ZONE_ID = "ZPROJECT0000001"
DELEGATION_ROLE = "arn:aws:iam::111111111111:role/shop-dns-delegation"
OUTPUTS = {
    "vpcId", "publicSubnetIds", "privateSubnetIds", "clusterName", "clusterArn", "loadBalancerArn",
    "loadBalancerDnsName", "loadBalancerZoneId", "httpListenerArn", "httpsListenerArn",
    "loadBalancerSecurityGroupId", "environmentSecurityGroupId", "hostedZoneId", "subdomain", "region",
    "permissionsBoundaryArn",
}  # fmt: skip

NETWORK = "ecsp:environment:Network::network"
BALANCER = "ecsp:environment:LoadBalancer::load-balancer"
CLUSTER = "ecsp:environment:Cluster::cluster"
DOMAIN = "ecsp:environment:Domain::domain"


def shop(nat: str = "none", *, domain: bool = False, account: str | None = None, cidr: str = "10.0.0.0/16",
         region: str = "us-west-2", insights: bool = False, role: bool = False) -> ProjectConfig:
    """A one-environment project ``shop`` (project account 111111111111) with environment ``test``."""
    return harness.config(f"""
        project: {{name: shop, region: us-west-2, account: "111111111111"{", domain: example.com" if domain else ""}}}
        environments:
          test:
            region: {region}
            {f'account: "{account}"' if account else ""}
            {"role_arn: arn:aws:iam::222222222222:role/deployer" if role else ""}
            network: {{cidr: {cidr}, nat: {nat}}}
            container_insights: {str(insights).lower()}
        applications:
          web: {{image: {{location: nginx}}, port: 80, path: /}}
        """)


_RUNS: dict[tuple[str, str | None], mocks.Recording] = {}


def run(cfg: ProjectConfig, local: LocalEmulator | None = None) -> mocks.Recording:
    """The environment stack ``test`` of ``cfg`` under mocks, with fixed project-stack outputs (cached)."""
    key = (cfg.model_dump_json(), local.endpoint if local else None)
    if key not in _RUNS:
        spec = graphs.build(cfg)["shop-environment/test"]
        upstream = {"projectZoneId": PROJECT_ZONE_ID, "dnsDelegationRoleArn": DELEGATION_ROLE} \
            if cfg.project.domain else {}
        _RUNS[key] = harness.plan_stack(cfg, spec, {"organization/shop-project/global": upstream}, local=local)[0]
    return _RUNS[key]


def parent_of(rec: mocks.Recording, node: mocks.Node) -> str | None:
    """``type::name`` of the node's parent; None for children of the stack itself (not recorded)."""
    parents = [n for n in rec.nodes if n.urn == node.parent]
    return f"{parents[0].type}::{parents[0].name}" if parents else None


def graph(rec: mocks.Recording) -> set[tuple[str, str, str | None]]:
    return {(n.type, n.name, parent_of(rec, n)) for n in rec.nodes}


def expected_graph(nat: str, *, domain: bool, cross_account: bool) -> set[tuple[str, str, str | None]]:
    net = [("aws:ec2/vpc:Vpc", "vpc"), ("aws:ec2/internetGateway:InternetGateway", "igw"),
           ("aws:ec2/routeTable:RouteTable", "public"), ("aws:ec2/route:Route", "public-default"),
           ("aws:ec2/securityGroup:SecurityGroup", "environment"),
           ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "environment-from-self"),
           ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "environment-egress")]
    for i in range(2):
        net += [("aws:ec2/subnet:Subnet", f"public-{i}"), ("aws:ec2/subnet:Subnet", f"private-{i}"),
                ("aws:ec2/routeTableAssociation:RouteTableAssociation", f"public-{i}"),
                ("aws:ec2/routeTableAssociation:RouteTableAssociation", f"private-{i}"),
                ("aws:ec2/routeTable:RouteTable", f"private-{i}")]
        if nat != "none":
            net.append(("aws:ec2/route:Route", f"private-{i}-default"))
    for i in range({"none": 0, "single": 1, "per-az": 2}[nat]):
        net += [("aws:ec2/eip:Eip", f"nat-{i}"), ("aws:ec2/natGateway:NatGateway", f"nat-{i}")]
    lb = [("aws:ec2/securityGroup:SecurityGroup", "load-balancer"),
          ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "load-balancer-http"),
          ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "load-balancer-egress"),
          ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "environment-from-load-balancer"),
          ("aws:lb/loadBalancer:LoadBalancer", "shop-test"), ("aws:lb/targetGroup:TargetGroup", "shop-test-default"),
          ("aws:lb/listener:Listener", "http")]
    if domain:
        lb += [("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "load-balancer-https"),
               ("aws:lb/listener:Listener", "https")]
    out = {(t, n, NETWORK) for t, n in net} | {(t, n, BALANCER) for t, n in lb} | {
        ("aws:ecs/cluster:Cluster", "shop-test", CLUSTER),
        ("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "capacity-providers", CLUSTER),
        ("ecsp:environment:Network", "network", None), ("ecsp:environment:LoadBalancer", "load-balancer", None),
        ("ecsp:environment:Cluster", "cluster", None), ("pulumi:providers:aws", "aws", None),
        ("ecsp:iam:PermissionsBoundary", "permissions-boundary", None),
        ("aws:iam/policy:Policy", "permissions-boundary", "ecsp:iam:PermissionsBoundary::permissions-boundary"),
    }
    if domain:
        out |= {(t, n, DOMAIN) for t, n in [
            ("aws:route53/zone:Zone", "zone"), ("aws:route53/record:Record", "delegation"),
            ("aws:acm/certificate:Certificate", "certificate"),
            ("aws:route53/record:Record", "certificate-validation"),
            ("aws:acm/certificateValidation:CertificateValidation", "certificate")]}
        out |= {("ecsp:environment:Domain", "domain", None),
                ("pulumi:pulumi:StackReference", "organization/shop-project/global", None)}
        if cross_account:
            out.add(("pulumi:providers:aws", "dns-delegation", None))
    return out


def by_id(rec: mocks.Recording, type_: str) -> dict[str, mocks.Node]:
    """Nodes of ``type_`` keyed by the id the mocks gave them (what other resources reference)."""
    region, account = "us-west-2", "111111111111"
    return {mocks.fake_state(n.type, n.name, dict(n.inputs), region, account)["id"]: n for n in rec.of_type(type_)}


def eips_names(eips: dict[str, mocks.Node]) -> list[str]:
    return [e.name for e in eips.values()]


def provider_of(rec: mocks.Recording, node: mocks.Node) -> mocks.Node:
    return rec.by_urn(node.provider.rsplit("::", 1)[0])


# --------------------------------------------------------------------------- pure helpers


@given(address=st.integers(0, 2**32 - 1), prefix=st.integers(16, 22), azs=st.integers(1, 4))
def test_carve_takes_consecutive_24s_public_first(address: int, prefix: int, azs: int) -> None:
    block = ipaddress.IPv4Network((address, prefix), strict=False)
    if 2 * azs > 2 ** (24 - prefix):
        with pytest.raises(ValueError, match="room for"):
            carve(str(block), azs)
        return
    layout = carve(str(block), azs)
    subnets = [ipaddress.IPv4Network(c) for c in (*layout.public, *layout.private)]
    assert len(layout.public) == len(layout.private) == azs
    assert all(s.prefixlen == 24 and s.subnet_of(block) for s in subnets)
    # The n-th /24 of the block, in order: public subnets first, no gaps, no overlaps.
    assert subnets == list(block.subnets(new_prefix=24))[: 2 * azs]


@pytest.mark.parametrize("cidr", ["10.0.0.0/23", "10.0.0.0/24", "10.0.0.1/16"])
def test_carve_refuses_blocks_without_room_or_with_host_bits(cidr: str) -> None:
    with pytest.raises(ValueError):
        carve(cidr)



def test_nat_gateways_per_mode() -> None:
    assert [nat_gateway_count(m, 2) for m in ("none", "single", "per-az")] == [0, 1, 2]
    assert [nat_gateway_for("none", az) for az in (0, 1)] == [None, None]
    assert [nat_gateway_for("single", az) for az in (0, 1)] == [0, 0]
    assert [nat_gateway_for("per-az", az) for az in (0, 1)] == [0, 1]


@pytest.mark.parametrize(("account", "cross"), [(None, False), ("111111111111", False), ("222222222222", True)])
def test_delegation_crosses_accounts_only_for_another_account(account: str | None, cross: bool) -> None:
    assert environment.delegates_across_accounts(shop(account=account, domain=True), "test") is cross


def test_an_environment_account_with_an_unknown_project_account_delegates_through_the_role() -> None:
    cfg = harness.config("""
        project: {name: shop, region: us-west-2, domain: example.com}
        environments: {test: {region: us-west-2, account: "222222222222"}}
        applications: {web: {image: {location: nginx}, port: 80}}
        """)
    assert environment.delegates_across_accounts(cfg, "test")


# --------------------------------------------------------------------------- the graph


CASES = [(nat, domain, cross) for nat in ("none", "single", "per-az") for domain in (False, True)
         for cross in ((False, True) if domain else (False,))]


@pytest.mark.parametrize(("nat", "domain", "cross"), CASES)
def test_whole_graph(nat: str, domain: bool, cross: bool) -> None:
    rec = run(shop(nat, domain=domain, account="222222222222" if cross else None))
    assert graph(rec) == expected_graph(nat, domain=domain, cross_account=cross)
    assert len(rec.nodes) == len(graph(rec)), "a (type, name, parent) registered twice"


@pytest.mark.parametrize(("nat", "domain"), [("none", False), ("per-az", True)])
def test_golden_graph(nat: str, domain: bool) -> None:
    harness.assert_golden(f"environment-{nat}-{'domain' if domain else 'no-domain'}",
                          harness.graph_document(run(shop(nat, domain=domain, account="222222222222"))))


def test_every_component_registers_its_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[str] = []
    original = pulumi.ComponentResource.register_outputs

    def spy(self: pulumi.ComponentResource, outputs: Any) -> None:
        if type(self).__module__.startswith("stacks."):  # not the root Stack
            registered.append(type(self).__name__)
        original(self, outputs)

    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", spy)
    cfg = shop("single", domain=True)
    harness.plan_stack(cfg, graphs.build(cfg)["shop-environment/test"],
                       {"organization/shop-project/global": {"projectZoneId": PROJECT_ZONE_ID}})
    assert sorted(registered) == ["Cluster", "Domain", "LoadBalancer", "Network", "PermissionsBoundary"]


def test_every_resource_uses_an_explicit_provider_with_the_environment_tags() -> None:
    rec = run(shop("single", domain=True, account="222222222222"))
    for node in rec.nodes:
        if node.custom and not node.read and node.type != "pulumi:providers:aws":
            provider = provider_of(rec, node)
            assert provider.type == "pulumi:providers:aws", node.name
            tags = json.loads(provider.inputs["defaultTags"])["tags"]
            assert tags == {"ecsp:project": "shop", "ecsp:environment": "test"}, node.name


def test_the_environment_provider_targets_the_environment_region_account_and_role() -> None:
    rec = run(shop(region="eu-west-1", account="222222222222", role=True))
    inputs = rec.one("pulumi:providers:aws", "aws").inputs
    assert inputs["region"] == "eu-west-1"
    assert inputs["allowedAccountIds"] == '["222222222222"]'
    assert '"roleArn": "arn:aws:iam::222222222222:role/deployer"' in inputs["assumeRoles"]


# --------------------------------------------------------------------------- network


@pytest.mark.parametrize(("cidr", "public", "private"), [
    ("10.0.0.0/16", ["10.0.0.0/24", "10.0.1.0/24"], ["10.0.2.0/24", "10.0.3.0/24"]),
    ("172.20.4.0/22", ["172.20.4.0/24", "172.20.5.0/24"], ["172.20.6.0/24", "172.20.7.0/24"]),
])
def test_subnets_are_carved_from_the_vpc_and_spread_over_the_first_two_zones(
        cidr: str, public: list[str], private: list[str]) -> None:
    rec = run(shop(cidr=cidr, region="eu-west-1"))
    vpc = rec.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == cidr
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    vpc_id = next(iter(by_id(rec, "aws:ec2/vpc:Vpc")))
    subnets = {n.name: n.inputs for n in rec.of_type("aws:ec2/subnet:Subnet")}
    assert [subnets[f"public-{i}"]["cidrBlock"] for i in range(2)] == public
    assert [subnets[f"private-{i}"]["cidrBlock"] for i in range(2)] == private
    for kind in ("public", "private"):
        assert [subnets[f"{kind}-{i}"]["availabilityZone"] for i in range(2)] == ["eu-west-1a", "eu-west-1b"]
        assert {s["mapPublicIpOnLaunch"] for n, s in subnets.items() if n.startswith(kind)} == {kind == "public"}
    assert {s["vpcId"] for s in subnets.values()} == {vpc_id}
    assert rec.one("aws:ec2/internetGateway:InternetGateway").inputs["vpcId"] == vpc_id


def test_zones_are_looked_up_through_the_environment_provider_without_opt_in_zones() -> None:
    cfg = shop(region="eu-west-1")
    ctx = StackContext(config=cfg, stack=graphs.build(cfg)["shop-environment/test"])
    aws_mocks = mocks.AwsMocks(region="us-east-1")  # the provider, not the default region, must decide
    mocks.run(lambda: environment.program(ctx), aws_mocks)
    (call,) = [c for c in aws_mocks.calls if c.token == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    assert call.args["state"] == "available"
    assert call.args["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    assert aws_mocks.provider_regions[call.provider.rsplit("::", 1)[0]] == "eu-west-1"


def test_a_region_with_one_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mocks, "zones", lambda region: (f"{region}a",))
    cfg = shop(region="ap-south-2")
    with pytest.raises(Exception, match="1 available availability zones; ecsp needs 2"):
        harness.plan_stack(cfg, graphs.build(cfg)["shop-environment/test"], {})


def test_public_subnets_route_to_the_internet_gateway() -> None:
    rec = run(shop())
    (igw_id,) = by_id(rec, "aws:ec2/internetGateway:InternetGateway")
    tables = by_id(rec, "aws:ec2/routeTable:RouteTable")
    subnets = {i: n.name for i, n in by_id(rec, "aws:ec2/subnet:Subnet").items()}
    routes = {n.name: n.inputs for n in rec.of_type("aws:ec2/route:Route")}
    assert list(routes) == ["public-default"]
    assert routes["public-default"]["destinationCidrBlock"] == "0.0.0.0/0"
    assert routes["public-default"]["gatewayId"] == igw_id
    assert tables[routes["public-default"]["routeTableId"]].name == "public"
    associations = {subnets[a.inputs["subnetId"]]: tables[a.inputs["routeTableId"]].name
                    for a in rec.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")}
    assert associations == {"public-0": "public", "public-1": "public",
                            "private-0": "private-0", "private-1": "private-1"}


@pytest.mark.parametrize(("nat", "expected"), [
    ("none", {}),
    ("single", {"private-0": ("nat-0", "public-0"), "private-1": ("nat-0", "public-0")}),
    ("per-az", {"private-0": ("nat-0", "public-0"), "private-1": ("nat-1", "public-1")}),
])
def test_private_subnets_route_through_nat_per_mode(nat: str, expected: dict[str, tuple[str, str]]) -> None:
    rec = run(shop(nat))
    gateways = by_id(rec, "aws:ec2/natGateway:NatGateway")
    eips = by_id(rec, "aws:ec2/eip:Eip")
    tables = by_id(rec, "aws:ec2/routeTable:RouteTable")
    subnets = by_id(rec, "aws:ec2/subnet:Subnet")
    routes = {}
    for route in rec.of_type("aws:ec2/route:Route"):
        if route.name == "public-default":
            continue
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        gateway = gateways[route.inputs["natGatewayId"]]
        routes[tables[route.inputs["routeTableId"]].name] = (gateway.name, subnets[gateway.inputs["subnetId"]].name)
    assert routes == expected
    # Every NAT gateway is routed to and has its own elastic IP.
    assert sorted(g.name for g in gateways.values()) == sorted({gateway for gateway, _ in expected.values()})
    assert sorted(eips[g.inputs["allocationId"]].name for g in gateways.values()) == sorted(eips_names(eips))
    assert all(e.inputs["domain"] == "vpc" for e in eips.values())


# --------------------------------------------------------------------------- security groups


def ingress(rec: mocks.Recording, group_id: str) -> list[dict[str, Any]]:
    return [n.inputs for n in rec.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if n.inputs["securityGroupId"] == group_id]


@pytest.mark.parametrize("domain", [False, True])
def test_load_balancer_group_admits_web_traffic_from_anywhere(domain: bool) -> None:
    rec = run(shop(domain=domain))
    out = rec.outputs
    rules = ingress(rec, out["loadBalancerSecurityGroupId"])
    assert sorted((r["ipProtocol"], r["fromPort"], r["toPort"], r["cidrIpv4"]) for r in rules) == \
        [("tcp", 80, 80, "0.0.0.0/0"), *([("tcp", 443, 443, "0.0.0.0/0")] if domain else [])]


def test_environment_group_admits_only_the_load_balancer_and_itself() -> None:
    rec = run(shop(domain=True))
    env_sg, lb_sg = rec.outputs["environmentSecurityGroupId"], rec.outputs["loadBalancerSecurityGroupId"]
    rules = ingress(rec, env_sg)
    assert sorted(r["referencedSecurityGroupId"] for r in rules) == sorted([env_sg, lb_sg])
    assert all(r["ipProtocol"] == "-1" and "cidrIpv4" not in r for r in rules)
    groups = by_id(rec, "aws:ec2/securityGroup:SecurityGroup")
    vpc_id = rec.outputs["vpcId"]
    assert {groups[env_sg].name, groups[lb_sg].name} == {"environment", "load-balancer"}
    assert {g.inputs["vpcId"] for g in groups.values()} == {vpc_id}
    egress = {n.inputs["securityGroupId"]: n.inputs
              for n in rec.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")}
    assert set(egress) == {env_sg, lb_sg}
    assert all(e["ipProtocol"] == "-1" and e["cidrIpv4"] == "0.0.0.0/0" for e in egress.values())


# What EC2 accepts in a security group's description and in a rule's (a VPC group's description also
# allows "&"); anything else, an apostrophe included, fails the real API call, never the mocks.
GROUP_DESCRIPTION = r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}"
RULE_DESCRIPTION = r"[A-Za-z0-9 ._\-:/()#,@\[\]+=;{}!$*]{0,255}"


@pytest.mark.parametrize("domain", [False, True])
def test_security_group_and_rule_descriptions_use_only_characters_ec2_accepts(domain: bool) -> None:
    rec = run(shop("single", domain=domain))
    groups = rec.of_type("aws:ec2/securityGroup:SecurityGroup")
    rules = [n for n in rec.nodes if n.type.startswith("aws:vpc/securityGroup")]
    assert len(groups) == 2 and len(rules) == (6 if domain else 5)
    for node in groups:
        assert re.fullmatch(GROUP_DESCRIPTION, node.inputs["description"]), node.inputs["description"]
    for node in rules:
        assert re.fullmatch(RULE_DESCRIPTION, node.inputs["description"]), node.inputs["description"]


# --------------------------------------------------------------------------- load balancer and cluster


def test_load_balancer_is_internet_facing_in_the_public_subnets() -> None:
    rec = run(shop())
    alb = rec.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert alb["loadBalancerType"] == "application" and alb["internal"] is False
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["subnets"] == rec.outputs["publicSubnetIds"]
    assert alb["securityGroups"] == [rec.outputs["loadBalancerSecurityGroupId"]]
    tg = rec.one("aws:lb/targetGroup:TargetGroup").inputs
    assert (tg["port"], tg["protocol"], tg["targetType"], tg["deregistrationDelay"], tg["vpcId"]) == \
        (80, "HTTP", "ip", 60, rec.outputs["vpcId"])
    assert tg["healthCheck"] == {"interval": 10, "healthyThreshold": 2, "timeout": 5}


def test_load_balancer_waits_for_the_internet_gateway_and_public_routes() -> None:
    # AWS refuses an internet-facing load balancer in a VPC without an attached gateway, and the
    # subnets it names are created in parallel with the gateway: only depends_on orders them.
    rec = run(shop())
    alb = rec.one("aws:lb/loadBalancer:LoadBalancer")
    needed = [rec.one("aws:ec2/internetGateway:InternetGateway"), rec.one("aws:ec2/route:Route", "public-default"),
              *[rec.one("aws:ec2/routeTableAssociation:RouteTableAssociation", f"public-{i}") for i in range(2)]]
    assert {n.urn for n in needed} <= set(alb.depends_on)


def test_without_a_domain_plain_http_answers_404() -> None:
    rec = run(shop())
    (listener,) = rec.of_type("aws:lb/listener:Listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["loadBalancerArn"] == rec.outputs["loadBalancerArn"]
    assert listener.inputs["defaultActions"] == [{"type": "fixed-response", "fixedResponse": {
        "contentType": "text/plain", "messageBody": "Not Found", "statusCode": "404"}}]
    assert "certificateArn" not in listener.inputs


def test_with_a_domain_http_redirects_and_https_uses_the_validated_certificate() -> None:
    rec = run(shop(domain=True))
    http = rec.one("aws:lb/listener:Listener", "http").inputs
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [{"type": "redirect", "redirect": {
        "port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}]
    https = rec.one("aws:lb/listener:Listener", "https").inputs
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["loadBalancerArn"] == rec.outputs["loadBalancerArn"]
    assert https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"
    certificate = rec.one("aws:acm/certificate:Certificate")
    cert_arn = mocks.fake_state(certificate.type, certificate.name, dict(certificate.inputs), "us-west-2",
                                "111111111111")["arn"]
    assert https["certificateArn"] == cert_arn
    # The listener takes the ARN from the validation, so it waits until ACM has issued the certificate.
    validation = rec.one("aws:acm/certificateValidation:CertificateValidation")
    listener = rec.one("aws:lb/listener:Listener", "https")
    assert validation.urn in listener.depends_on


@pytest.mark.parametrize("insights", [False, True])
def test_cluster_has_fargate_capacity_providers_and_configured_insights(insights: bool) -> None:
    rec = run(shop(insights=insights))
    cluster = rec.one("aws:ecs/cluster:Cluster").inputs
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled" if insights else "disabled"}]
    providers = rec.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs
    assert providers["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert providers["clusterName"] == rec.outputs["clusterName"]
    assert rec.outputs["clusterArn"].endswith(f":cluster/{rec.outputs['clusterName']}")


# --------------------------------------------------------------------------- domain


@pytest.mark.parametrize("cross", [False, True])
def test_zone_is_delegated_from_the_project_zone(cross: bool) -> None:
    rec = run(shop(domain=True, account="222222222222" if cross else None))
    zone = rec.one("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "test.shop.example.com"
    zone_state = mocks.fake_state(zone.type, zone.name, dict(zone.inputs), "us-west-2", "111111111111")
    delegation = rec.one("aws:route53/record:Record", "delegation")
    assert delegation.inputs == {"zoneId": PROJECT_ZONE_ID, "name": "test.shop.example.com", "type": "NS",
                                 "ttl": 60, "records": zone_state["nameServers"], "allowOverwrite": True}
    writer = provider_of(rec, delegation)
    if cross:
        assert writer.name == "dns-delegation"
        assert writer.inputs["region"] == "us-west-2"
        assert writer.inputs["allowedAccountIds"] == '["111111111111"]'
        roles = json.loads(writer.inputs["assumeRoles"])
        assert [r["roleArn"] for r in roles] == [DELEGATION_ROLE]
    else:
        assert writer.name == "aws"
    # Everything else stays in the environment account.
    others = [n for n in rec.nodes if n.custom and not n.read and n.type != "pulumi:providers:aws"
              and n is not delegation]
    assert {provider_of(rec, n).name for n in others} == {"aws"}
    assert rec.outputs["hostedZoneId"] == zone_state["zoneId"]
    assert rec.outputs["subdomain"] == "test.shop.example.com"


def test_delegation_chains_the_environment_role_before_the_delegation_role() -> None:
    rec = run(shop(domain=True, account="222222222222", role=True))
    roles = json.loads(rec.one("pulumi:providers:aws", "dns-delegation").inputs["assumeRoles"])
    assert [r["roleArn"] for r in roles] == ["arn:aws:iam::222222222222:role/deployer", DELEGATION_ROLE]


def test_certificate_covers_the_zone_and_its_wildcard_validated_in_the_zone() -> None:
    rec = run(shop(domain=True))
    certificate = rec.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == "test.shop.example.com"
    assert certificate.inputs["subjectAlternativeNames"] == ["*.test.shop.example.com"]
    assert certificate.inputs["validationMethod"] == "DNS"
    state = mocks.fake_state(certificate.type, certificate.name, dict(certificate.inputs), "us-west-2", "1")
    (option,) = {(o["resourceRecordName"], o["resourceRecordType"], o["resourceRecordValue"])
                 for o in state["domainValidationOptions"]}
    record = rec.one("aws:route53/record:Record", "certificate-validation").inputs
    assert (record["name"], record["type"], record["records"]) == (option[0], option[1], [option[2]])
    assert record["zoneId"] == rec.outputs["hostedZoneId"]
    validation = rec.one("aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["validationRecordFqdns"] == [option[0].rstrip(".")]
    # ACM can only resolve the record once the zone is delegated.
    assert rec.one("aws:route53/record:Record", "delegation").urn in validation.depends_on


# --------------------------------------------------------------------------- outputs and wiring


def test_outputs_without_a_domain() -> None:
    rec = run(shop())
    assert set(rec.outputs) == OUTPUTS
    out = rec.outputs
    assert out["hostedZoneId"] is None and out["subdomain"] is None and out["httpsListenerArn"] is None
    assert out["region"] == "us-west-2"
    subnets = by_id(rec, "aws:ec2/subnet:Subnet")
    assert [subnets[s].name for s in out["publicSubnetIds"]] == ["public-0", "public-1"]
    assert [subnets[s].name for s in out["privateSubnetIds"]] == ["private-0", "private-1"]
    assert out["loadBalancerZoneId"] == mocks.ALB_ZONE_IDS["us-west-2"]
    assert out["loadBalancerDnsName"].endswith(".us-west-2.elb.amazonaws.com")
    assert out["httpListenerArn"].split(":")[5].startswith("listener/app/http/")


def test_outputs_with_a_domain() -> None:
    out = run(shop("per-az", domain=True)).outputs
    assert set(out) == OUTPUTS
    assert all(value is not None for value in out.values())
    assert out["httpsListenerArn"].split(":")[5].startswith("listener/app/https/")


def test_wired_to_the_real_project_stack() -> None:
    cfg = harness.config("""
        project: {name: shop, region: us-west-2, account: "111111111111", domain: example.com}
        environments: {prod: {region: eu-west-1, account: "222222222222", network: {nat: per-az}}}
        applications: {web: {image: {location: nginx}, port: 80}}
        """)
    project = harness.run_stack(cfg, "shop-project/global").outputs
    rec = harness.run_stack(cfg, "shop-environment/prod")
    assert rec.one("aws:route53/record:Record", "delegation").inputs["zoneId"] == project["projectZoneId"]
    roles = json.loads(rec.one("pulumi:providers:aws", "dns-delegation").inputs["assumeRoles"])
    assert roles[-1]["roleArn"] == project["dnsDelegationRoleArn"]
    assert roles[-1]["roleArn"].split(":")[5] == f"role/{naming.dns_delegation_role('shop')}"


def test_local_emulator_delegates_without_roles() -> None:
    rec = run(shop(domain=True, account="222222222222", role=True), local=LocalEmulator("http://127.0.0.1:5000"))
    for name in ("aws", "dns-delegation"):
        inputs = rec.one("pulumi:providers:aws", name).inputs
        assert "assumeRoles" not in inputs
        assert "127.0.0.1:5000" in inputs["endpoints"]



# --------------------------------------------------------------------------- names AWS reserves


@pytest.mark.parametrize("project", ["internal", "internal-tools"])
def test_load_balancer_name_never_begins_with_internal(project: str) -> None:
    # ELB refuses "internal-..." names; the physical name is the logical one plus Pulumi's suffix.
    cfg = harness.config(f"""
        project: {{name: {project}, region: us-west-2}}
        environments: {{test: {{region: us-west-2}}}}
        applications: {{web: {{image: {{location: nginx}}, port: 80}}}}
        """)
    rec = harness.plan_stack(cfg, graphs.build(cfg)[f"{project}-environment/test"], {})[0]
    alb = rec.one("aws:lb/loadBalancer:LoadBalancer")
    assert not alb.name.startswith("internal-")
    assert len(alb.name) + naming.AUTONAME_SUFFIX <= naming.ALB_NAME_LIMIT
    assert naming.EnvNames("shop", "test").load_balancer == "shop-test"  # other names are unchanged
