"""CIDR carving: four /24 subnets inside the VPC, disjoint, public first; Copilot's layout for a /16."""

from __future__ import annotations

import ipaddress
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import network


@st.composite
def vpc_blocks(draw: st.DrawFn, min_prefix: int = 16, max_prefix: int = 22) -> str:
    """A VPC CIDR block in canonical form (no host bits), /16 to /22 by default."""
    prefix = draw(st.integers(min_value=min_prefix, max_value=max_prefix))
    address = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return str(ipaddress.IPv4Network((address, prefix), strict=False))


def test_a_16_gets_copilots_layout() -> None:
    layout = network.carve("10.0.0.0/16")
    assert layout.public == ("10.0.0.0/24", "10.0.1.0/24")
    assert layout.private == ("10.0.2.0/24", "10.0.3.0/24")


def test_the_smallest_block_is_used_completely() -> None:
    layout = network.carve("192.168.4.0/22")
    assert layout.public + layout.private == ("192.168.4.0/24", "192.168.5.0/24", "192.168.6.0/24", "192.168.7.0/24")


@given(vpc_blocks())
def test_subnets_are_disjoint_24s_inside_the_vpc(cidr: str) -> None:
    vpc = ipaddress.IPv4Network(cidr)
    layout = network.carve(cidr)
    subnets = [ipaddress.IPv4Network(s) for s in layout.public + layout.private]
    assert len(layout.public) == len(layout.private) == network.AZ_COUNT
    assert all(s.prefixlen == network.SUBNET_PREFIX for s in subnets)
    assert all(s.subnet_of(vpc) for s in subnets)
    assert not any(a.overlaps(b) for a, b in combinations(subnets, 2))


@given(vpc_blocks())
def test_public_subnets_come_first(cidr: str) -> None:
    layout = network.carve(cidr)
    public = [ipaddress.IPv4Network(s) for s in layout.public]
    private = [ipaddress.IPv4Network(s) for s in layout.private]
    assert max(p.network_address for p in public) < min(p.network_address for p in private)
    # In order from the start of the block: the n-th /24.
    first = ipaddress.IPv4Network(cidr).network_address
    assert [int(ipaddress.IPv4Network(s).network_address) - int(first) for s in layout.public + layout.private] == [
        i * 256 for i in range(2 * network.AZ_COUNT)
    ]


@given(vpc_blocks(min_prefix=16, max_prefix=21), st.integers(min_value=1, max_value=4))
def test_any_number_of_zones_that_fits(cidr: str, zones: int) -> None:
    layout = network.carve(cidr, az_count=zones)
    assert len(layout.public) == len(layout.private) == zones
    assert len(set(layout.public + layout.private)) == 2 * zones


@given(vpc_blocks(min_prefix=23, max_prefix=32))
def test_blocks_without_room_for_four_24s_are_refused(cidr: str) -> None:
    with pytest.raises(ValueError, match=r"/24"):
        network.carve(cidr)


def test_carving_is_deterministic() -> None:
    assert network.carve("10.20.0.0/16") == network.carve("10.20.0.0/16")
