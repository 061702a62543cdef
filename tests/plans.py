"""The examples' projects and whole offline plans, planned once per test session (a plan takes seconds)."""

from __future__ import annotations

from functools import cache

from ecsp import api
from ecsp.planner import Plan
from tests.conftest import ROOT


@cache
def example(name: str) -> tuple[api.Project, Plan]:
    project = api.load(ROOT / "examples" / name / "ecsp.yaml")
    return project, project.plan(with_pipeline=bool(project.config.pipelines))
