"""The progress display as a person sees it: rendered through a terminal emulator (pyte).

A run of 28 stacks (a project, 3 environments, 8 applications in each), four at a time,
one environment failing (its applications skipped) and one application failing, is played
into the live display at 100x24 and into plain lines at 80x24. After every change, the
screen must show the header with the run's progress and every stack that runs or failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyte
import pytest
from rich.console import Console
from rich.live import Live

from ecsp import progress
from ecsp.diffs import PropertyChange
from ecsp.events import Diagnostic, Event, ResourceStep, StackStatus, Status
from ecsp.progress.base import Reporter
from ecsp.results import RunResult, StackResult
from tests.fixtures.ecsp_events import FakeClock

ENVS = ("e0", "e1", "e2")
APPS = tuple(f"app{i}" for i in range(8))
FAILING_ENV = "shop-environment/e2"
FAILING_APP = "shop-app3/e0"
PARALLEL = 4


@dataclass
class Sim:
    """One stack's pretend run: a component with AWS resources under it, each taking its time."""

    name: str
    depends_on: tuple[str, ...]
    leaves: tuple[tuple[str, str, int], ...]  # (type, name, seconds)
    started: float | None = None
    done: set[str] = field(default_factory=set)


def stacks() -> list[Sim]:
    out = [Sim("shop-project/global", (), (("aws:ecr/repository:Repository", "web", 2), ("aws:kms/key:Key", "k", 3)))]
    for env in ENVS:
        out.append(Sim(f"shop-environment/{env}", ("shop-project/global",), (
            ("aws:ec2/vpc:Vpc", "vpc", 4), ("aws:ec2/natGateway:NatGateway", "nat", 25),
            ("aws:lb/loadBalancer:LoadBalancer", "alb", 30))))
    for env in ENVS:
        for app in APPS:
            out.append(Sim(f"shop-{app}/{env}", (f"shop-environment/{env}",), (
                ("aws:cloudwatch/logGroup:LogGroup", "logs", 1), ("aws:lb/targetGroup:TargetGroup", "tg", 3),
                ("aws:ecs/service:Service", app, 12 + len(app) + ENVS.index(env)))))
    return out


def urn(stack: str, type_: str, name: str) -> str:
    project, stack_name = stack.split("/")
    return f"urn:pulumi:{stack_name}::{project}::{type_}::{name}"


def play(clock: FakeClock, changes: tuple[PropertyChange, ...] = ()) -> Iterator[list[Event]]:
    """The run, one batch of events per second of (fake) time, as the orchestrator and engine would send them.

    ``changes``: what each resource's done step says changed (shown under it as old -> new lines).
    """
    sims = stacks()
    status = {s.name: Status.PENDING for s in sims}
    yield [StackStatus(s.name, Status.PENDING, "up") for s in sims]
    while any(not st.finished for st in status.values()):
        batch: list[Event] = []
        for sim in sims:  # skips first, then starts, in run order
            if status[sim.name] is not Status.PENDING:
                continue
            upstream = [status[d] for d in sim.depends_on]
            if any(u in (Status.FAILED, Status.SKIPPED) for u in upstream):
                status[sim.name] = Status.SKIPPED
                batch.append(StackStatus(sim.name, Status.SKIPPED, "up", f"{sim.depends_on[0]} failed"))
            elif all(u is Status.SUCCEEDED for u in upstream) and \
                    sum(st is Status.RUNNING for st in status.values()) < PARALLEL:
                status[sim.name], sim.started = Status.RUNNING, clock()
                component = ("ecsp:stack:Component", "component")
                batch.append(StackStatus(sim.name, Status.RUNNING, "up"))
                batch.append(ResourceStep(sim.name, urn(sim.name, *component), *component, "create", "start"))
                parent = urn(sim.name, *component)
                for type_, name, _ in sim.leaves:
                    batch.append(ResourceStep(sim.name, urn(sim.name, f"{component[0]}${type_}", name), type_, name,
                                              "create", "start", parent=parent))
        for sim in sims:
            if status[sim.name] is not Status.RUNNING or sim.started is None:
                continue
            component = ("ecsp:stack:Component", "component")
            parent = urn(sim.name, *component)
            for type_, name, seconds in sim.leaves:
                if name in sim.done or clock() - sim.started < seconds:
                    continue
                sim.done.add(name)
                leaf = urn(sim.name, f"{component[0]}${type_}", name)
                fails = sim.name in (FAILING_ENV, FAILING_APP) and seconds == max(s for _, _, s in sim.leaves)
                if fails:
                    batch.append(Diagnostic(sim.name, "error", f"creating {name}: InvalidParameterException: no",
                                            urn=leaf))
                batch.append(ResourceStep(sim.name, leaf, type_, name, "create", "failed" if fails else "done",
                                          parent=parent, changes=changes))
            if len(sim.done) == len(sim.leaves):
                failed = sim.name in (FAILING_ENV, FAILING_APP)
                if not failed:  # the engine leaves a component whose child failed as it was
                    batch.append(ResourceStep(sim.name, parent, *component, "create", "done"))
                status[sim.name] = Status.FAILED if failed else Status.SUCCEEDED
                batch.append(StackStatus(sim.name, status[sim.name], "up", "1 resource failed" if failed else None))
        yield batch
        clock.advance(1)


class Screen:
    """A pyte terminal that a rich console writes to."""

    def __init__(self, columns: int, lines: int) -> None:
        self.screen = pyte.Screen(columns, lines)
        self.screen.set_mode(pyte.modes.LNM)  # a new line starts at column 0, as a tty's output does (onlcr)
        self.stream = pyte.Stream(self.screen)
        self.columns = columns

    def write(self, text: str) -> int:
        self.stream.feed(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        """The screen as one string, rows joined as the terminal wrapped them."""
        return "".join(self.screen.display)


def console(screen: Screen, width: int, height: int) -> Console:
    return Console(file=screen, width=width, height=height, force_terminal=True, color_system="standard",
                   highlight=False)


def frames(reporter: Reporter, clock: FakeClock, redraw: Callable[[], None] = lambda: None,
           changes: tuple[PropertyChange, ...] = ()) -> Iterator[dict[str, Status]]:
    """Plays the run into ``reporter``; yields each stack's status after every second of it."""
    status: dict[str, Status] = {}
    for batch in play(clock, changes):
        for event in batch:
            reporter(event)
            if isinstance(event, StackStatus):
                status[event.stack] = event.status
        redraw()
        yield dict(status)


def expected_header(status: dict[str, Status], seconds: float) -> str:
    finished = sum(1 for s in status.values() if s.finished)
    failed = sum(1 for s in status.values() if s is Status.FAILED)
    minutes, secs = divmod(int(seconds), 60)
    took = f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
    return f"up shop · {finished}/28 stacks · {took}" + (f" · {failed} failed" if failed else "")


def result_of(status: dict[str, Status]) -> RunResult:
    return RunResult("up", [StackResult(name, "", None, None, s, started=0, ended=1) for name, s in status.items()])


def test_the_live_display_keeps_every_running_and_failed_stack_and_the_header_on_a_100x24_screen() -> None:
    screen, clock = Screen(100, 24), FakeClock(0)
    out = console(screen, 100, 24)
    reporter = progress.reporter("live", operation="up", console=out, clock=clock, project="shop")
    # Frames are drawn when the test says, not by rich's refresh thread.
    reporter._live = Live(reporter.view, console=out, auto_refresh=False, transient=True)  # type: ignore[attr-defined]
    checked = 0
    with reporter:
        for status in frames(reporter, clock, reporter._live.refresh):  # type: ignore[attr-defined]
            lines = screen.lines()
            assert lines[0] == expected_header(status, clock() - reporter.model.started), "\n".join(lines)
            for name, state in status.items():
                if state in (Status.RUNNING, Status.FAILED):
                    assert any(line[2:].startswith(name + " ") for line in lines), f"{name} off screen:\n" + \
                        "\n".join(lines)
            assert all(len(line) <= 100 for line in lines)
            checked += 1
        assert status[FAILING_ENV] is Status.FAILED and status["shop-app0/e2"] is Status.SKIPPED
        assert sum(s is Status.SUCCEEDED for s in status.values()) == 18
        reporter.finish(result_of(status))
    assert checked > 60
    # The live rows are gone: the report stands alone, no stale line above it.
    shown = screen.lines()
    assert not any("stacks ·" in line or "in flight" in line or "waiting:" in line for line in shown), "\n".join(shown)


def test_the_live_display_shows_a_failing_stack_with_its_error_while_others_run() -> None:
    screen, clock = Screen(100, 24), FakeClock(0)
    out = console(screen, 100, 24)
    reporter = progress.reporter("live", operation="up", console=out, clock=clock, project="shop")
    reporter._live = Live(reporter.view, console=out, auto_refresh=False, transient=True)  # type: ignore[attr-defined]
    with reporter:
        for status in frames(reporter, clock, reporter._live.refresh):  # type: ignore[attr-defined]
            if status.get(FAILING_ENV) is Status.FAILED and Status.RUNNING in status.values():
                lines = screen.lines()
                at = next(i for i, line in enumerate(lines) if line[2:].startswith(FAILING_ENV))
                assert lines[at + 1] == ("    ✗ aws:lb:LoadBalancer alb: creating alb: "
                                         "InvalidParameterException: no"), "\n".join(lines)
                # Running stacks list the AWS resource they wait on, with its time next to its name.
                assert any(re.fullmatch(r"    creating aws:ecs:Service app\d \d+s", line) for line in lines), \
                    "\n".join(lines)
                break
        reporter.finish(result_of(status))


# Plain lines show old -> new values under each step by default: three lines more per step here.
CHANGED = (PropertyChange("tags.team", "update", '"a"', '"b"'),
           PropertyChange("containerDefinitions[web].environment.LOG_LEVEL", "update", '"info"', '"debug"'),
           PropertyChange("desiredCount", "update", "1", "2"))


@pytest.mark.parametrize("changes", [(), CHANGED], ids=["steps", "steps-with-diffs"])
def test_plain_lines_keep_the_status_and_every_running_and_failed_stack_on_an_80x24_screen(
        changes: tuple[PropertyChange, ...]) -> None:
    screen, clock = Screen(80, 24), FakeClock(0)
    reporter = progress.reporter("plain", operation="up", console=console(screen, 80, 24), clock=clock,
                                 project="shop")
    headers = re.compile(r"\[\d\d:\d\d\] up shop · (\d+)/28 stacks · \S+")
    with reporter:
        for status in frames(reporter, clock, changes=changes):
            if all(s is Status.PENDING for s in status.values()):
                continue  # nothing to say yet
            text = screen.text()
            found = headers.findall(text)
            assert found, "\n".join(screen.lines())
            finished = sum(1 for s in status.values() if s.finished)
            assert int(found[-1]) <= finished
            for name, state in status.items():
                if state in (Status.RUNNING, Status.FAILED):
                    assert name in text, f"{name} off screen:\n" + "\n".join(screen.lines())
        reporter.finish(result_of(status))


def test_a_running_stack_counts_against_the_total_its_plan_knows() -> None:
    screen, clock = Screen(100, 24), FakeClock(0)
    out = console(screen, 100, 24)
    reporter = progress.reporter("live", operation="up", console=out, clock=clock, project="shop")
    reporter._live = Live(reporter.view, console=out, auto_refresh=False, transient=True)  # type: ignore[attr-defined]
    # What `ecsp plan` counted: a component and its AWS resources; the project's plan is not known.
    reporter.model.expect({s.name: 1 + len(s.leaves) for s in stacks() if s.name != "shop-project/global"})
    counted = re.compile(r"..(\S+)\s+\d+s\s+(\d+)/(\d+) resources · \d+ in flight")
    seen: set[str] = set()
    with reporter:
        for status in frames(reporter, clock, reporter._live.refresh):  # type: ignore[attr-defined]
            for line in screen.lines():
                found = counted.match(line)
                if found:  # the total is the plan's from the first step on, never one that grows
                    seen.add(found[1])
                    assert status[found[1]] is Status.RUNNING, line
                    assert found[1] != "shop-project/global" and int(found[3]) == 4, line
                elif line[2:].startswith("shop-project/global ") and "in flight" in line:
                    assert re.search(r"  \d+ done · \d+ in flight", line), line
        reporter.finish(result_of(status))
    assert {"shop-environment/e0", "shop-app0/e0"} <= seen
