"""The environment's network: VPC, subnets in two availability zones, routing, NAT, the environment security group.

Copilot's layout (``ecsp.network.carve``): per AZ one public subnet (public IPs on launch,
default route to the internet gateway) and one private subnet. Private subnets get their own
route table per AZ in every NAT mode, so switching ``network.nat`` only adds or removes
routes and gateways, never re-associates subnets.
"""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

from ecsp import naming, network
from ecsp.config import ImportedVpc, NetworkConfig
from stacks import _aws

Nat = Literal["none", "single", "per-az"]
ANYWHERE = "0.0.0.0/0"


def nat_gateway_count(nat: Nat, az_count: int) -> int:
    """How many NAT gateways (and elastic IPs) a NAT mode needs."""
    return {"none": 0, "single": 1, "per-az": az_count}[nat]


def nat_gateway_for(nat: Nat, az: int) -> int | None:
    """Index of the NAT gateway that the private subnet of AZ ``az`` routes through, or None (no egress)."""
    if nat == "none":
        return None
    return 0 if nat == "single" else az


def availability_zones(provider: aws.Provider, parent: pulumi.Resource, count: int = network.AZ_COUNT) -> list[str]:
    """The first ``count`` available standard zones of the provider's region.

    Local Zones and Wavelength zones are opt-in and lack services ECS on Fargate needs, so
    only zones that need no opt-in qualify (what CloudFormation's ``!GetAZs`` returns).
    """
    found = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=pulumi.InvokeOptions(provider=provider, parent=parent),
    )
    names = list(found.names)
    if len(names) < count:
        raise ValueError(f"the region has {len(names)} available availability zones; ecsp needs {count}")
    return names[:count]


class MissingNetwork(ValueError):
    """An imported VPC or subnet that the environment's account cannot see (checked before anything is created)."""


def check_imported(vpc: ImportedVpc, *, found_vpcs: list[str], found_subnets: list[str],
                   public_zones: list[str], where: str) -> None:
    """Raise :class:`MissingNetwork` when the VPC or a subnet does not exist (in that VPC), or the public
    subnets do not span two availability zones. Pure: the program passes what the EC2 invokes found."""
    field = f"environments.{where}.network.vpc"
    if vpc.id not in found_vpcs:
        raise MissingNetwork(f"{field}.id: {vpc.id} does not exist in this account and region; check the id "
                             "(aws ec2 describe-vpcs), the region and the environment's credentials")
    for kind in ("public_subnets", "private_subnets"):
        missing = [s for s in getattr(vpc, kind) if s not in found_subnets]
        if missing:
            raise MissingNetwork(f"{field}.{kind}: {', '.join(missing)} not found in {vpc.id}; list subnets of "
                                 f"that VPC (aws ec2 describe-subnets --filters Name=vpc-id,Values={vpc.id})")
    if len(set(public_zones)) < 2:
        raise MissingNetwork(f"{field}.public_subnets: all in {public_zones[0]}; an Application Load Balancer "
                             "needs subnets in at least two availability zones")


class Network(pulumi.ComponentResource):
    """VPC, internet gateway, public and private subnets, route tables, NAT, and the environment security group.

    With ``network.vpc`` it creates only the security group, in the existing VPC, after checking
    (with EC2 read calls) that the VPC and subnets exist, so a wrong id fails the preview.
    """

    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    # What makes the public subnets reach the internet. Their ids alone do not order an
    # internet-facing load balancer after it: AWS refuses one in a VPC whose gateway is not
    # attached yet ("InvalidSubnet: VPC ... has no internet gateway"), a race the subnets win.
    internet_access: list[pulumi.Resource]
    private_subnet_ids: pulumi.Output[list[str]]
    environment_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, *, settings: NetworkConfig, names: naming.EnvNames, provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:environment:Network", name, None, opts)
        if settings.vpc is not None:
            self._imported(settings.vpc, names=names, provider=provider)
            return
        layout = network.carve(settings.cidr)
        zones = availability_zones(provider, self)

        def child(**kwargs: object) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, **kwargs)

        vpc = aws.ec2.Vpc("vpc", cidr_block=settings.cidr, enable_dns_support=True, enable_dns_hostnames=True,
                          tags={"Name": names.base}, opts=child())
        # Setting vpc_id attaches the gateway: no separate attachment resource to order against.
        igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id, tags={"Name": names.base}, opts=child())

        public = [
            aws.ec2.Subnet(f"public-{i}", vpc_id=vpc.id, cidr_block=cidr, availability_zone=zone,
                           map_public_ip_on_launch=True, tags={"Name": names.tag(f"public-{i}")}, opts=child())
            for i, (cidr, zone) in enumerate(zip(layout.public, zones, strict=True))
        ]
        private = [
            aws.ec2.Subnet(f"private-{i}", vpc_id=vpc.id, cidr_block=cidr, availability_zone=zone,
                           map_public_ip_on_launch=False, tags={"Name": names.tag(f"private-{i}")}, opts=child())
            for i, (cidr, zone) in enumerate(zip(layout.private, zones, strict=True))
        ]

        public_routes = aws.ec2.RouteTable("public", vpc_id=vpc.id, tags={"Name": names.tag("public")},
                                           opts=child())
        default_route = aws.ec2.Route("public-default", route_table_id=public_routes.id,
                                      destination_cidr_block=ANYWHERE, gateway_id=igw.id, opts=child())
        associations = [
            aws.ec2.RouteTableAssociation(f"public-{i}", route_table_id=public_routes.id, subnet_id=subnet.id,
                                          opts=child())
            for i, subnet in enumerate(public)
        ]

        # A NAT gateway lives in a public subnet and needs the internet gateway attached first.
        gateways = []
        for i in range(nat_gateway_count(settings.nat, len(zones))):
            eip = aws.ec2.Eip(f"nat-{i}", domain="vpc", tags={"Name": names.tag(f"nat-{i}")},
                              opts=child(depends_on=[igw]))
            gateways.append(aws.ec2.NatGateway(f"nat-{i}", allocation_id=eip.id, subnet_id=public[i].id,
                                               tags={"Name": names.tag(f"nat-{i}")}, opts=child(depends_on=[igw])))

        for i, subnet in enumerate(private):
            table = aws.ec2.RouteTable(f"private-{i}", vpc_id=vpc.id, tags={"Name": names.tag(f"private-{i}")},
                                       opts=child())
            aws.ec2.RouteTableAssociation(f"private-{i}", route_table_id=table.id, subnet_id=subnet.id,
                                          opts=child())
            index = nat_gateway_for(settings.nat, i)
            if index is not None:
                aws.ec2.Route(f"private-{i}-default", route_table_id=table.id, destination_cidr_block=ANYWHERE,
                              nat_gateway_id=gateways[index].id, opts=child())

        self.vpc_id = vpc.id
        self.internet_access = [igw, default_route, *associations]
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self._finish(names, provider)

    def _imported(self, vpc: ImportedVpc, *, names: naming.EnvNames, provider: aws.Provider) -> None:
        invoke = pulumi.InvokeOptions(provider=provider, parent=self)
        # get_vpcs/get_subnets with filters answer an empty list for unknown ids (get_vpc would fail
        # with the provider's terse "no matching EC2 VPC found"), so the message can name the field.
        found_vpcs = aws.ec2.get_vpcs(filters=[aws.ec2.GetVpcsFilterArgs(name="vpc-id", values=[vpc.id])],
                                      opts=invoke).ids
        subnets = [*vpc.public_subnets, *vpc.private_subnets]
        found_subnets = aws.ec2.get_subnets(filters=[
            aws.ec2.GetSubnetsFilterArgs(name="subnet-id", values=subnets),
            aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc.id])], opts=invoke).ids \
            if vpc.id in found_vpcs else []
        zones = [aws.ec2.get_subnet(id=s, opts=invoke).availability_zone for s in vpc.public_subnets
                 if s in found_subnets]
        check_imported(vpc, found_vpcs=list(found_vpcs), found_subnets=list(found_subnets), public_zones=zones,
                       where=names.environment)
        self.vpc_id = pulumi.Output.from_input(vpc.id)
        self.internet_access = []  # the VPC's own gateway is attached already
        self.public_subnet_ids = pulumi.Output.from_input(list(vpc.public_subnets))
        self.private_subnet_ids = pulumi.Output.from_input(list(vpc.private_subnets))
        self._finish(names, provider)

    def _finish(self, names: naming.EnvNames, provider: aws.Provider) -> None:
        def child(**kwargs: object) -> pulumi.ResourceOptions:
            return _aws.opts(provider, self, **kwargs)

        # Applications' tasks join this group. Its ingress comes only from itself (service to service)
        # here and from the load balancer's group (added by the LoadBalancer component).
        group = aws.ec2.SecurityGroup("environment", vpc_id=self.vpc_id,
                                      description=f"{names.base} applications: from the load balancer and each other",
                                      tags={"Name": names.tag("env")}, opts=child())
        # EC2 refuses descriptions with characters outside a-zA-Z0-9 and " ._-:/()#,@[]+=&;{}!$*"
        # (no apostrophes): word them plainly.
        aws.vpc.SecurityGroupIngressRule("environment-from-self", security_group_id=group.id,
                                         referenced_security_group_id=group.id, ip_protocol="-1",
                                         description="Traffic between the applications of the environment",
                                         opts=child())
        # Explicit egress: the provider drops the default allow-all rule of groups it creates, and
        # tasks need it to pull images, reach AWS APIs and call out.
        aws.vpc.SecurityGroupEgressRule("environment-egress", security_group_id=group.id, cidr_ipv4=ANYWHERE,
                                        ip_protocol="-1", description="All outbound traffic", opts=child())

        self.environment_security_group_id = group.id
        self.register_outputs({
            "vpcId": self.vpc_id, "publicSubnetIds": self.public_subnet_ids,
            "privateSubnetIds": self.private_subnet_ids,
            "environmentSecurityGroupId": self.environment_security_group_id,
        })
