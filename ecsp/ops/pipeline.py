"""``pipeline status``: a release pipeline's live state, read with boto3 from the project account.

Three CodePipeline calls: ``get_pipeline`` (does it exist, which version), ``get_pipeline_state``
(each stage's latest execution and each action's, including who approved a manual approval:
the action's ``latestExecution.lastUpdatedBy``, with the approver's comment as its ``summary``)
and ``list_pipeline_executions`` (the last runs, with their source revision and trigger).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import boto3  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ecsp import naming
from ecsp.aws import LOCAL_CREDENTIALS, Where, aws_errors, client_config, is_not_found
from ecsp.config import ProjectConfig
from ecsp.context import LocalEmulator
from ecsp.notebook import Printed, Renders
from ecsp.ops import jsonable
from ecsp.ops.find import PROJECT_TAG, tag_dict

# CodePipeline's statuses -> a style (rich).
STATUS_STYLES = {"Succeeded": "green", "InProgress": "yellow", "Failed": "red", "Stopped": "red",
                 "Stopping": "yellow", "Superseded": "dim", "Cancelled": "dim", "Abandoned": "dim"}


@dataclass(frozen=True)
class ActionState:
    """One action's latest run (``approved_by``: for an approval that a person answered)."""

    name: str
    status: str | None
    summary: str | None = None
    changed: datetime | None = None
    approved_by: str | None = None
    url: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class StageState:
    name: str
    status: str | None  # None: never ran
    execution_id: str | None
    actions: list[ActionState] = field(default_factory=list)


@dataclass(frozen=True)
class Execution:
    id: str
    status: str
    started: datetime | None
    updated: datetime | None
    trigger: str | None
    revision: str | None  # the source commit, short, with its summary


@dataclass(frozen=True, repr=False)
class PipelineStatus(Renders):
    """What ``ecsp pipeline status NAME`` shows; renders in rich and Jupyter the same way."""

    name: str
    pipeline_name: str
    region: str
    deployed: bool
    version: int | None = None
    stages: list[StageState] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    local: bool = False

    def to_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))  # type: ignore[no-any-return,unused-ignore]

    def summary(self) -> str:
        return f"PipelineStatus {self.name}: {len(self.stages)} stages, {len(self.executions)} executions"

    def __rich__(self) -> Printed:
        return Printed(lambda out: render(self, out))


def client_for(config: ProjectConfig, local: LocalEmulator | None = None) -> Any:
    """A CodePipeline client in the project account's home region (the default credentials, as the stack)."""
    region = config.project.region
    if local is not None:
        return boto3.client("codepipeline", region_name=region, endpoint_url=local.endpoint,
                            config=client_config(), **LOCAL_CREDENTIALS)
    return boto3.Session(region_name=region).client("codepipeline", config=client_config())


def _action(raw: dict[str, Any]) -> ActionState:
    latest = raw.get("latestExecution") or {}
    return ActionState(
        name=raw.get("actionName", ""), status=latest.get("status"), summary=latest.get("summary"),
        changed=latest.get("lastStatusChange"),
        # CodePipeline sets lastUpdatedBy on approval actions only: the IAM ARN of whoever answered.
        approved_by=latest.get("lastUpdatedBy"),
        url=latest.get("externalExecutionUrl") or raw.get("entityUrl"),
        error=(latest.get("errorDetails") or {}).get("message"))


def _revision(summary: dict[str, Any]) -> str | None:
    revisions = summary.get("sourceRevisions") or []
    if not revisions:
        return None
    first = revisions[0]
    rid = str(first.get("revisionId") or "")[:7]
    text = str(first.get("revisionSummary") or "").splitlines()[0:1]
    return " ".join([rid, *text]).strip() or None


def _pipeline(client: Any, name: str) -> dict[str, Any] | None:
    """``get_pipeline`` of ``name``, or None when there is no such pipeline."""
    try:
        return dict(client.get_pipeline(name=name))
    except Exception as exc:
        if is_not_found(exc) or "PipelineNotFound" in type(exc).__name__:
            return None
        raise


def status(config: ProjectConfig, client: Any, name: str, *, executions: int = 5,
           local: bool = False) -> PipelineStatus:
    """Pipeline ``name``'s live state (``deployed`` False when the pipeline does not exist yet)."""
    names = naming.PipelineNames(config.project.name, name)
    pipeline_name = names.pipeline_name
    region = config.project.region
    where = Where(name, region, local=local, kind="pipeline")
    with aws_errors(where):
        described = _pipeline(client, pipeline_name)
        if described is None:
            # Deployed before ecsp marked its names, the pipeline keeps its earlier name (with the project's tag).
            described = _pipeline(client, names.earlier_pipeline_name)
            arn = ((described or {}).get("metadata") or {}).get("pipelineArn")
            if arn is None or tag_dict(client.list_tags_for_resource(resourceArn=arn).get("tags")).get(
                    PROJECT_TAG) != config.project.name:
                return PipelineStatus(name, pipeline_name, region, deployed=False, local=local)
            pipeline_name = names.earlier_pipeline_name
        assert described is not None
        state = client.get_pipeline_state(name=pipeline_name)
        runs = client.list_pipeline_executions(pipelineName=pipeline_name, maxResults=max(executions, 1))
    stages = [StageState(
        name=s.get("stageName", ""), status=(s.get("latestExecution") or {}).get("status"),
        execution_id=(s.get("latestExecution") or {}).get("pipelineExecutionId"),
        actions=[_action(a) for a in s.get("actionStates") or []]) for s in state.get("stageStates") or []]
    history = [Execution(
        id=r.get("pipelineExecutionId", ""), status=r.get("status", ""), started=r.get("startTime"),
        updated=r.get("lastUpdateTime"), trigger=(r.get("trigger") or {}).get("triggerType"),
        revision=_revision(r)) for r in (runs.get("pipelineExecutionSummaries") or [])[:executions]]
    return PipelineStatus(name, pipeline_name, region, deployed=True,
                          version=described.get("pipeline", {}).get("version"), stages=stages,
                          executions=history, local=local)


def _styled(value: str | None) -> Text:
    return Text(value or "never ran", style=STATUS_STYLES.get(value or "", "dim"))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def render(report: PipelineStatus, console: Console) -> None:
    """The stages (with each action and who approved) and the last executions, as tables."""
    if not report.deployed:
        console.print(f"pipeline {report.pipeline_name} is not deployed in {report.region}; run "
                      "`ecsp up --with-pipeline`", highlight=False)
        return
    stages = Table(title=f"pipeline {report.pipeline_name} ({report.region})", title_justify="left")
    for column in ("stage", "action", "status", "changed", "details"):
        stages.add_column(column)
    for stage in report.stages:
        for i, action in enumerate(stage.actions or [ActionState("", None)]):
            verb = "rejected" if action.status == "Failed" else "approved"
            details = [f"{verb} by {action.approved_by}" if action.approved_by else "",
                       action.summary or "", action.error or ""]
            stages.add_row(stage.name if i == 0 else "", action.name, _styled(action.status),
                           _when(action.changed), "; ".join(d for d in details if d))
    console.print(stages)
    runs = Table(title="last executions", title_justify="left")
    for column in ("execution", "status", "started", "trigger", "revision"):
        runs.add_column(column)
    for run in report.executions:
        runs.add_row(run.id[:8], _styled(run.status), _when(run.started), run.trigger or "", run.revision or "")
    console.print(runs)
