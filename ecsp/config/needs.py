"""What an application can need from its environment, and whether an environment has it.

Blocks declare their needs (``environment_needs``), as Copilot's ``requiredEnvFeatures`` does:
private placement needs NAT (and private subnets), a volume on the managed file system needs the file system,
connect needs the Service Connect namespace, queue_delay scaling needs Container Insights.
The environment program creates what it can on demand (:attr:`Feature.on_demand`: the file
system, the namespace); one rule (``needs_are_met`` in :mod:`.rules`) reports each need an
environment leaves unmet, which its owner must turn on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ecsp.config.base import quoted_list
from ecsp.config.environment import EnvironmentConfig


class Feature(enum.Enum):
    """Something of the environment's that an application may need."""

    NAT = "nat"
    FILE_SYSTEM = "file system"
    NAMESPACE = "namespace"
    CONTAINER_INSIGHTS = "container insights"
    PRIVATE_SUBNETS = "private subnets"

    @property
    def on_demand(self) -> bool:
        """Whether the environment program creates it when an application needs it."""
        return self in (Feature.FILE_SYSTEM, Feature.NAMESPACE)

    def turned_on(self, env: EnvironmentConfig) -> bool:
        """Whether ``env``'s settings provide it (always, for what is created on demand)."""
        if self is Feature.NAT:
            # An imported VPC brings its own routes: ecsp cannot tell whether its private subnets have NAT.
            return env.network.nat != "none" or env.network.vpc is not None
        if self is Feature.CONTAINER_INSIGHTS:
            return env.container_insights
        if self is Feature.PRIVATE_SUBNETS:
            # ecsp's own VPC always has them; an imported one may have public subnets only.
            return env.network.vpc is None or bool(env.network.vpc.private_subnets)
        return True


@dataclass(frozen=True)
class Need:
    """A need of one application: the feature, the field that asks for it, and the sentence when it is unmet.

    ``at`` is relative to the application; ``problem`` gets the environments that lack the
    feature (the same line may be lacking in several) and says what to do.
    """

    feature: Feature
    at: tuple[str | int, ...]
    problem: Callable[[Sequence[str]], str] | None = None


def private_subnets_problem(what: str, fix: str = "") -> Callable[[Sequence[str]], str]:
    """The sentence for ``what`` (e.g. "private placement") in environments whose imported VPC has public
    subnets only; ``fix``: another way out than adding them."""
    def problem(envs: Sequence[str]) -> str:
        which = f"environment '{envs[0]}'" if len(envs) == 1 else f"environments {quoted_list(list(envs))}"
        return (f"{what} needs private subnets, and the VPC of {which} (network.vpc) lists public subnets only; "
                f"add its private_subnets (two or more, in different availability zones){fix}")

    return problem
