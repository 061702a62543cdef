"""AWSGuard (Pulumi's AWS best-practice policy pack) judging a project's stacks under the real engine.

The pack (``node/index.js``: AWSGuard, every policy at its own default level) runs as a Pulumi
analyzer while the engine deploys the project with whatever provider plugins ``environ``'s
``PULUMI_HOME`` holds: in ecsp's tests the stand-in provider, which creates nothing. It is
given to the engine as the executable ``node/analyzer``, the way the engine starts an
analyzer binary, because the CLI built from source lacks the nodejs language host that
starts a policy pack folder. Each violation becomes a :class:`~ecsp.check.findings.Finding`;
the ones ecsp's defaults knowingly keep are accepted with the reason from :data:`ACCEPTED`
(the README's "What is verified offline" names each).
"""

from __future__ import annotations

import fnmatch
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecsp.check import node
from ecsp.check.findings import Finding
from ecsp.engine.automation import AutomationEngine
from ecsp.engine.events import translate as translate_event
from ecsp.events import Diagnostic, Event
from ecsp.rollout import ReleaseRun, RolloutEngine

if TYPE_CHECKING:
    from ecsp.api import Project
    from ecsp.programs import Programs
    from ecsp.results import RunResult

@dataclass(frozen=True)
class Accepted:
    """An AWSGuard policy ecsp's defaults violate on purpose, for which resources (type, name and stack globs), why."""

    policy: str
    type: str
    name: str
    reason: str
    stack: str = "*"


ACCEPTED: tuple[Accepted, ...] = (
    Accepted("s3-bucket-logging-enabled", "aws:s3/bucket:Bucket", "*-artifacts-*",
             "the release artifact bucket has no S3 server access logging: pipelines read it under CloudTrail, "
             "and AWSGuard 0.3.1 only sees logging written inline on the bucket"),
    Accepted("s3-bucket-logging-enabled", "aws:s3/bucket:Bucket", "*",
             "a data bucket (`data: kind: bucket`) writes no S3 server access logs: they would need a second "
             "bucket per environment and cost per request; CloudTrail data events are the audited alternative",
             stack="*-storage/*"),
    Accepted("s3-bucket-logging-enabled", "aws:s3/bucket:Bucket", "*-access-logs",
             "the load balancer access-log bucket would log its own access into itself"),
    Accepted("elb-deletion-protection-enabled", "aws:lb/loadBalancer:LoadBalancer", "*",
             "an environment's load balancer holds no data and goes with the environment; deletion protection "
             "would make `ecsp destroy` fail until someone turned it off by hand"),
    Accepted("elb-logging-enabled", "aws:lb/loadBalancer:LoadBalancer", "*",
             "access logs cost money and are opt-in per environment (`access_logs: true`)"),
    Accepted("efs-encrypted", "aws:efs/fileSystem:FileSystem", "efs",
             "the environment's file system is encrypted at rest with the AWS managed key (encrypted: true); "
             "AWSGuard asks for a customer managed key, which costs a monthly fee and KMS calls"),
    Accepted("alb-http-to-https-redirection", "aws:lb/listener:Listener", "http",
             "without a domain or certificates an environment serves plain HTTP: there is no certificate to "
             "redirect to (with either, the HTTP listener's default action is that redirect)"),
)


@dataclass(frozen=True)
class Violation:
    """One policy event: which stack and resource, which policy at which level, what it says."""

    stack: str
    urn: str
    policy: str
    level: str
    message: str

    @property
    def type(self) -> str:
        """The resource's type token, from its URN (``...$aws:lb/listener:Listener::http``)."""
        parts = self.urn.split("::")
        return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 2 else ""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def finding(self) -> Finding:
        reason = next((a.reason for a in ACCEPTED if a.policy == self.policy and a.type == self.type
                       and fnmatch.fnmatchcase(self.name, a.name) and fnmatch.fnmatchcase(self.stack, a.stack)), None)
        return Finding("awsguard", f"{self.stack}: {self.type.rsplit(':', 1)[-1]} {self.name}",
                       f"{self.level} {self.policy}: {' '.join(self.message.split())}", reason)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _not_released(run: ReleaseRun) -> None:
    command = shlex.join(run.release.command)
    run.on_event(Diagnostic(run.ctx.stack.name, "info", f"release `{command}` not run: AWSGuard judges the "
                                                         "resources, nothing is started"))


def run(project: Project, *, backend: str, environ: Mapping[str, str], parallel: int = 2,
        programs: Programs | None = None) -> tuple[RunResult, list[Violation]]:
    """Deploy every stack of ``project`` (pipelines too) with the AWSGuard pack judging each resource.

    ``environ`` is the engine's environment: its ``PULUMI_HOME`` decides which provider
    plugins do the work; ``programs``: the stack programs (default: ecsp's own). Returns the
    run's result and every violation AWSGuard reported.
    """
    from ecsp import api

    analyzer = node.installed() / "analyzer"
    violations: list[Violation] = []

    def translate(stack: str, event: Any) -> list[Event]:
        policy = getattr(event, "policy_event", None)
        if policy is not None:
            violations.append(Violation(stack, _text(getattr(policy, "resource_urn", None)),
                                        _text(getattr(policy, "policy_name", None)),
                                        _text(getattr(policy, "enforcement_level", None)),
                                        _text(getattr(policy, "message", None)).strip()))
        return translate_event(stack, event)

    engine = AutomationEngine(project.root, project.config, programs or api.programs(), backend=backend,
                              environ=environ, translate=translate, policy_packs=[str(analyzer)])
    # A release command would start a one-off task in AWS; AWSGuard judges resources, so none runs.
    judged = RolloutEngine(engine, project.config, releaser=_not_released)
    result = project.up(engine=judged, progress=False, check=False, parallel=parallel,
                        with_pipeline=bool(project.config.pipelines))
    return result, violations
