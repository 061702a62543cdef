"""Fargate's valid cpu/memory pairs (pure data and lookups).

Source: the AWS ECS developer guide, "Task size" table for Fargate (Linux), including
the 8 and 16 vCPU sizes.
"""

from __future__ import annotations

# cpu units -> (min MiB, max MiB, step MiB). 256 is irregular: 512, 1024 and 2048 only.
_RANGES: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 0),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}

CPU_VALUES: tuple[int, ...] = tuple(_RANGES)


def memory_options(cpu: int) -> tuple[int, ...]:
    """Every memory size (MiB) Fargate accepts with ``cpu`` units; empty for an invalid cpu."""
    if cpu == 256:
        return (512, 1024, 2048)
    if cpu not in _RANGES:
        return ()
    low, high, step = _RANGES[cpu]
    return tuple(range(low, high + 1, step))


def is_valid(cpu: int, memory: int) -> bool:
    return memory in memory_options(cpu)


def cpus_for(memory: int) -> tuple[int, ...]:
    """Every cpu size that accepts ``memory`` MiB, smallest first; empty when none does."""
    return tuple(cpu for cpu in CPU_VALUES if is_valid(cpu, memory))


def describe_options(cpu: int) -> str:
    """A short human list of valid memory sizes for ``cpu``, e.g. '512, 1024 or 2048'.

    Long lists are written as a range with its step ('2048 to 8192 in steps of 1024'), which
    names exactly the same set.
    """
    options = memory_options(cpu)
    if not options:
        raise ValueError(f"{cpu} is not a Fargate cpu size")
    if len(options) <= 4:
        return ", ".join(str(m) for m in options[:-1]) + f" or {options[-1]}"
    step = options[1] - options[0]
    return f"{options[0]} to {options[-1]} in steps of {step}"
