"""Helpers for the deploy tests: synthetic projects and a thread-safe event recorder."""

from __future__ import annotations

import threading
from pathlib import Path

from ecsp import loader
from ecsp.config import ProjectConfig
from ecsp.events import Event, StackStatus

APP = """\
  {name}:
    image: {{location: public.ecr.aws/nginx/nginx:stable}}
    port: 80
    path: {path}
    healthcheck: {{path: /}}
    cpu: 256
    memory: 512
    count: 1
"""


def synthetic_yaml(project: str, environments: int, applications: int) -> str:
    """An ecsp.yaml with ``environments`` environments (e0, e1...) and ``applications`` apps (a0, a1...)."""
    envs = "".join(f"  e{i}:\n    region: us-east-1\n    network: {{cidr: 10.{i}.0.0/16, nat: none}}\n"
                   for i in range(environments))
    apps = "".join(APP.format(name=f"a{i}", path="/" if i == 0 else f"/a{i}") for i in range(applications))
    return f"project:\n  name: {project}\n  region: us-east-1\n\nenvironments:\n{envs}\napplications:\n{apps}"


def synthetic(project: str = "shop", environments: int = 2, applications: int = 3) -> ProjectConfig:
    return loader.loads(synthetic_yaml(project, environments, applications), "ecsp.yaml")


def write_project(folder: Path, project: str = "shop", environments: int = 2, applications: int = 3) -> Path:
    path = folder / "ecsp.yaml"
    path.write_text(synthetic_yaml(project, environments, applications))
    return path


class Recorder:
    """A Listener that keeps every event (thread-safe, as the contract requires)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def statuses(self, stack: str | None = None) -> list[tuple[str, str]]:
        with self._lock:
            return [(e.stack, e.status.value) for e in self.events
                    if isinstance(e, StackStatus) and (stack is None or e.stack == stack)]
