"""Fargate cpu/memory pairs: every valid pair is accepted, nothing else is, and the advice names the valid set."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecsp import fargate

GB = 1024
# The AWS "Task size" table for Fargate on Linux, transcribed as the documentation writes it
# (in GB), independently of the module's own table.
SPEC: dict[int, set[int]] = {
    256: {512, 1 * GB, 2 * GB},
    512: {g * GB for g in range(1, 5)},  # 1 GB to 4 GB
    1024: {g * GB for g in range(2, 9)},  # 2 GB to 8 GB, 1 GB steps
    2048: {g * GB for g in range(4, 17)},  # 4 GB to 16 GB, 1 GB steps
    4096: {g * GB for g in range(8, 31)},  # 8 GB to 30 GB, 1 GB steps
    8192: {g * GB for g in range(16, 61, 4)},  # 16 GB to 60 GB, 4 GB steps
    16384: {g * GB for g in range(32, 121, 8)},  # 32 GB to 120 GB, 8 GB steps
}

cpus = st.sampled_from(sorted(SPEC))
memories = st.integers(min_value=0, max_value=130 * GB)


def parse_options(text: str) -> set[int]:
    """Read describe_options' sentence back into the set of sizes it names."""
    ranged = re.fullmatch(r"(\d+) to (\d+) in steps of (\d+)", text)
    if ranged:
        low, high, step = map(int, ranged.groups())
        return set(range(low, high + 1, step))
    listed = re.fullmatch(r"((?:\d+, )*\d+) or (\d+)", text)
    assert listed, text
    return {int(x) for x in listed[1].split(", ")} | {int(listed[2])}


def test_cpu_values_are_the_seven_fargate_sizes() -> None:
    assert fargate.CPU_VALUES == (256, 512, 1024, 2048, 4096, 8192, 16384)


@pytest.mark.parametrize("cpu", sorted(SPEC))
def test_memory_options_match_the_aws_table(cpu: int) -> None:
    assert set(fargate.memory_options(cpu)) == SPEC[cpu]
    assert list(fargate.memory_options(cpu)) == sorted(SPEC[cpu])


@given(cpus, memories)
def test_a_pair_is_valid_exactly_when_the_table_lists_it(cpu: int, memory: int) -> None:
    assert fargate.is_valid(cpu, memory) == (memory in SPEC[cpu])


@given(cpus)
def test_every_listed_pair_is_accepted(cpu: int) -> None:
    assert all(fargate.is_valid(cpu, memory) for memory in SPEC[cpu])


@given(cpus)
def test_describe_options_names_exactly_the_valid_set(cpu: int) -> None:
    assert parse_options(fargate.describe_options(cpu)) == SPEC[cpu]


@given(st.integers(min_value=-10, max_value=20000).filter(lambda c: c not in SPEC), memories)
def test_unknown_cpu_accepts_nothing(cpu: int, memory: int) -> None:
    assert fargate.memory_options(cpu) == ()
    assert not fargate.is_valid(cpu, memory)
    with pytest.raises(ValueError, match="not a Fargate cpu size"):
        fargate.describe_options(cpu)


@given(memories)
def test_cpus_for_lists_every_cpu_that_accepts_the_memory(memory: int) -> None:
    assert fargate.cpus_for(memory) == tuple(cpu for cpu in sorted(SPEC) if memory in SPEC[cpu])


def test_short_lists_and_ranges_read_naturally() -> None:
    assert fargate.describe_options(256) == "512, 1024 or 2048"
    assert fargate.describe_options(512) == "1024, 2048, 3072 or 4096"
    assert fargate.describe_options(8192) == "16384 to 61440 in steps of 4096"
    assert fargate.describe_options(16384) == "32768 to 122880 in steps of 8192"
