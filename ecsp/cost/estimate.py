"""Price every planned stack's usage: meters (:mod:`ecsp.cost.meters`) times the dated price table.

A region the table does not have is said once, and its resources are left out of the total; a
meter without a price in a known region is a line with no price, said too. Everything else is
estimated.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecsp import pricing
from ecsp.cost.assumptions import Assumptions
from ecsp.cost.meters import METERS, NOT_ESTIMATED, Context
from ecsp.cost.report import CostReport, Line
from ecsp.planner import Plan
from ecsp.pricing import PriceTable


def estimate(plan: Plan, *, region_of: Mapping[str, str], assume: Mapping[str, float] | None = None,
             prices: PriceTable | None = None, only: set[str] | None = None) -> CostReport:
    """The monthly cost of ``plan``'s stacks (those named in ``only``, when given: the others are still read,
    e.g. the environment's cluster settings); ``region_of`` maps a stack name to its region (for resources
    whose provider did not say), ``assume`` overrides assumptions by name."""
    table = prices or pricing.load()
    assumptions = Assumptions().with_overrides(assume)
    lines: list[Line] = []
    problems: dict[str, None] = {}
    left_out: dict[str, None] = {}
    for stack in plan.stacks:
        if only is not None and stack.spec.name not in only:
            continue
        ctx = Context(plan, stack, assumptions)
        for resource in stack.resources:
            if resource.type in NOT_ESTIMATED:
                left_out[f"{NOT_ESTIMATED[resource.type]} ({resource.type.rsplit(':', 1)[-1]})"] = None
            meter = METERS.get(resource.type)
            if meter is None:
                continue
            region = resource.region or region_of.get(stack.spec.name, "")
            for usage in meter(resource, ctx):
                if not table.knows(region):
                    problems[f"region {region} is not in the price table of {table.date} (it has "
                             f"{', '.join(table.regions)}): its resources are not estimated"] = None
                    continue
                price = table.price(usage.meter, region)
                if price is None:
                    problems[f"no price for {usage.meter} in {region} in the price table of {table.date}: "
                             f"{usage.item} of {stack.spec.name} is not estimated"] = None
                lines.append(Line(stack.spec.name, stack.spec.kind, stack.spec.environment, stack.spec.application,
                                  region,
                                  f"{resource.type}::{resource.name}", usage.item, usage.meter, usage.low, usage.high,
                                  usage.unit, None if price is None else price * usage.factor, usage.how))
    return CostReport(plan.project, table.date, table.currency, table.file, tuple(lines),
                      tuple(assumptions.described()), tuple(problems), tuple(left_out))
