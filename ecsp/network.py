"""CIDR carving for environment VPCs (pure, property-tested).

Copilot's layout: in a /16, public subnets 10.0.0.0/24 and 10.0.1.0/24, private
subnets 10.0.2.0/24 and 10.0.3.0/24. We keep that layout for any VPC prefix up to
/22 (room for four /24s): the n-th /24 of the block.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

SUBNET_PREFIX = 24
AZ_COUNT = 2


@dataclass(frozen=True)
class SubnetLayout:
    """The subnet CIDR blocks of one VPC, one public and one private per availability zone, in zone order."""

    public: tuple[str, ...]
    private: tuple[str, ...]


def carve(cidr: str, az_count: int = AZ_COUNT) -> SubnetLayout:
    """Public subnets first, then private, each a /24 taken in order from ``cidr``."""
    network = ipaddress.IPv4Network(cidr, strict=True)
    if network.prefixlen > SUBNET_PREFIX:
        raise ValueError(f"{cidr} is smaller than a /{SUBNET_PREFIX}")
    needed = 2 * az_count
    available = 2 ** (SUBNET_PREFIX - network.prefixlen)
    if available < needed:
        raise ValueError(f"{cidr} has room for {available} /{SUBNET_PREFIX} subnets; {needed} are needed")
    subnets = network.subnets(new_prefix=SUBNET_PREFIX)
    blocks = [str(next(subnets)) for _ in range(needed)]
    return SubnetLayout(public=tuple(blocks[:az_count]), private=tuple(blocks[az_count:]))
