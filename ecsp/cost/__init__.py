"""Monthly cost estimates of what ecsp plans, from a pinned, dated price table (``ecsp cost``).

:func:`estimate` prices an offline plan; :class:`CostReport` renders it (rich, HTML, JSON) and
diffs against another estimate. The only config this package reads is where each stack runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecsp.config import ProjectConfig
from ecsp.cost.assumptions import Assumptions, parse_overrides
from ecsp.cost.estimate import estimate
from ecsp.cost.report import CostDiff, CostReport
from ecsp.graph import StackSpec
from ecsp.planner import Plan

__all__ = ["Assumptions", "CostDiff", "CostReport", "estimate", "estimate_plan", "parse_overrides"]


def estimate_plan(config: ProjectConfig, plan: Plan, assume: Mapping[str, float] | None = None, *,
                  only: set[str] | None = None) -> CostReport:
    """The estimate of ``plan`` (of its stacks named in ``only``, when given), with each stack's region from
    the stack kinds' placement."""
    return estimate(plan, region_of={s.spec.name: _region(config, s.spec) for s in plan.stacks}, assume=assume,
                    only=only)


def _region(config: ProjectConfig, spec: StackSpec) -> str:
    return spec.record.placement(config, spec.scope).region
