"""Questions the diagram and the cost estimate ask of an offline plan's resources.

Both read what ecsp really creates (:class:`ecsp.planner.Plan`: each resource's Pulumi type and
inputs), never the application's kind: a stack with an ECS service runs tasks all the time, one
whose task definition a schedule starts runs them per run, one with listener rules has HTTP routes.
Pure functions over planned resources, no AWS.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from ecsp.config.service import ECS_STRATEGIES
from ecsp.planner import Plan, PlannedResource, PlannedStack

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCHEDULE = "aws:scheduler/schedule:Schedule"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
CLUSTER = "aws:ecs/cluster:Cluster"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
NAMESPACE = "aws:servicediscovery/httpNamespace:HttpNamespace"
ZONE = "aws:route53/zone:Zone"
HOURS_PER_DAY = 24
DAYS_PER_MONTH = 365 / 12


@dataclass(frozen=True)
class TaskSize:
    """What one task reserves: vCPUs, GB of memory, CPU architecture (``X86_64`` or ``ARM64``)."""

    vcpu: float
    memory_gb: float
    architecture: str

    @property
    def arm(self) -> bool:
        return self.architecture.upper() == "ARM64"


def of_type(stack: PlannedStack, *types: str) -> list[PlannedResource]:
    return [r for r in stack.resources if r.type in types]


def first(stack: PlannedStack, type_: str) -> PlannedResource | None:
    return next((r for r in stack.resources if r.type == type_), None)


def environment_stacks(plan: Plan, environment: str) -> list[PlannedStack]:
    """The environment's own stack and its applications' stacks, in plan order."""
    return [s for s in plan.stacks if s.spec.environment == environment]


def environments(plan: Plan) -> list[str]:
    return list(dict.fromkeys(s.spec.environment for s in plan.stacks if s.spec.environment))


def task_size(definition: PlannedResource) -> TaskSize:
    inputs = definition.inputs
    platform = inputs.get("runtimePlatform") or {}
    return TaskSize(int(inputs.get("cpu") or 256) / 1024, int(inputs.get("memory") or 512) / 1024,
                    str(platform.get("cpuArchitecture") or "X86_64"))


def task_range(stack: PlannedStack) -> tuple[int, int]:
    """Fewest and most tasks of the stack's service: its autoscaling range, else its desired count."""
    service = first(stack, SERVICE)
    if service is None:
        return 0, 0
    for target in of_type(stack, SCALING_TARGET):
        if target.inputs.get("scalableDimension") == "ecs:service:DesiredCount":
            return int(target.inputs.get("minCapacity") or 0), int(target.inputs.get("maxCapacity") or 0)
    count = int(service.inputs.get("desiredCount") or 0)
    return count, count


def shifting_minutes(service: PlannedResource) -> tuple[str, float] | None:
    """A traffic-shifting service's strategy and the minutes each deployment runs old and new tasks side by side.

    ECS starts the new revision at full size, then shifts traffic (all at once, a canary then
    the rest, or in linear steps with a wait between them) and keeps the old revision for the
    bake time: the shifting waits plus the bake time. A rolling service returns None.
    """
    settings = service.inputs.get("deploymentConfiguration") or {}
    strategy = str(settings.get("strategy") or "ROLLING")
    if strategy == "ROLLING":
        return None
    minutes = float(settings.get("bakeTimeInMinutes") or 0)
    if strategy == "CANARY":
        minutes += float((settings.get("canaryConfiguration") or {}).get("canaryBakeTimeInMinutes") or 0)
    elif strategy == "LINEAR":
        linear = settings.get("linearConfiguration") or {}
        steps = math.ceil(100 / float(linear.get("stepPercent") or 100))
        minutes += (steps - 1) * float(linear.get("stepBakeTimeInMinutes") or 0)
    return next(name for name, ecs in ECS_STRATEGIES.items() if ecs == strategy), minutes


def on_spot(service: PlannedResource, tasks: float) -> float:
    """How many of ``tasks`` run on Fargate Spot under the service's capacity provider strategy.

    ECS places the ``base`` tasks on the provider that has one, then splits the rest by weight.
    """
    strategy = service.inputs.get("capacityProviderStrategies") or []
    if not strategy:
        return 0.0
    base = sum(int(s.get("base") or 0) for s in strategy if s.get("capacityProvider") == "FARGATE")
    spot_base = sum(int(s.get("base") or 0) for s in strategy if s.get("capacityProvider") == "FARGATE_SPOT")
    weights = {s.get("capacityProvider"): int(s.get("weight") or 0) for s in strategy}
    total = sum(weights.values())
    rest = max(0.0, tasks - base - spot_base)
    share = weights.get("FARGATE_SPOT", 0) / total if total else 0.0
    return min(tasks, spot_base) + rest * share


def runs_job(stack: PlannedStack) -> bool:
    """Whether the stack runs its task definition per run (a schedule or a state machine), not as a service."""
    return first(stack, SERVICE) is None and first(stack, TASK_DEFINITION) is not None


def schedule_expression(stack: PlannedStack) -> str | None:
    schedule = first(stack, SCHEDULE)
    return str(schedule.inputs.get("scheduleExpression")) if schedule is not None else None


def runs_per_month(expression: str | None) -> float:
    """How often a schedule expression fires in an average month (365/12 days); 0 for none or ``at(...)``.

    ``rate(N unit)`` exactly; ``cron(min hour dom month dow year)`` from its minute and hour lists
    times the days it names (every day, some weekdays, some days of the month) and the share of
    months; the year is ignored.
    """
    if not expression:
        return 0.0
    rate = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", expression)
    if rate:
        minutes = int(rate[1]) * {"minute": 1, "hour": 60, "day": 1440}[rate[2]]
        return DAYS_PER_MONTH * HOURS_PER_DAY * 60 / minutes
    cron = re.fullmatch(r"cron\((.*)\)", expression)
    if not cron:
        return 0.0
    fields = cron[1].split()
    if len(fields) != 6:
        return 0.0
    minute, hour, dom, month, dow, _ = fields
    per_day = _count(minute, 0, 59) * _count(hour, 0, 23)
    if dom in ("*", "?") and dow in ("*", "?"):
        days = DAYS_PER_MONTH
    elif dom in ("*", "?"):
        days = DAYS_PER_MONTH * _count(dow, 1, 7) / 7
    else:
        days = float(_count(dom, 1, 31))
    return per_day * days * _count(month, 1, 12) / 12


def _count(field: str, low: int, high: int) -> int:
    """How many values a cron field names (``*``, lists, ranges, steps; names and L/W/# count as one)."""
    total = 0
    for part in field.split(","):
        values, _, step = part.partition("/")
        if values in ("*", "?"):
            start, end = low, high
        elif "-" in values:
            a, b = values.split("-", 1)
            start, end = _value(a, low), _value(b, high)
        else:
            start = _value(values, low)
            end = high if step else start
        total += len(range(start, end + 1, int(step) if step.isdigit() else 1))
    return max(total, 1)


_NAMES = {name: i + 1 for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                                                  "OCT", "NOV", "DEC"))}
_NAMES.update({name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))})


def _value(text: str, default: int) -> int:
    text = text.upper().rstrip("LW").split("#")[0]
    if text.isdigit():
        return int(text)
    return _NAMES.get(text, default)


def state_count(machine: PlannedResource) -> int:
    """The states a run of the state machine enters when nothing fails: Step Functions bills each transition."""
    definition = machine.inputs.get("definition")
    try:
        document = json.loads(definition) if isinstance(definition, str) else definition or {}
    except ValueError:
        return 1
    return max(1, len(document.get("States") or {}))


def inputs_text(resource: PlannedResource) -> str:
    """The resource's inputs as one string, to look for other resources' handles in."""
    return json.dumps(resource.inputs, sort_keys=True, default=str)


def refers_to(resource: PlannedResource, target: PlannedResource) -> bool:
    """Whether ``resource``'s inputs carry ``target``'s id, ARN or name (an ARN inside a policy counts)."""
    text = inputs_text(resource)
    return any(len(h) > 3 and h in text for h in target.handles)
