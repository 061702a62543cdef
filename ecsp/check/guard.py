"""AWSGuard (Pulumi's AWS best-practice policy pack) judging a project's stacks under the real engine.

The pack (``node/index.js``: AWSGuard, every policy at its own default level) runs as a Pulumi
analyzer while the engine deploys the project with whatever provider plugins ``environ``'s
``PULUMI_HOME`` holds: in ecsp's tests the stand-in provider, which creates nothing. It is
given to the engine as the executable ``node/analyzer``, the way the engine starts an
analyzer binary, because the CLI built from source lacks the nodejs language host that
starts a policy pack folder. Each violation becomes a :class:`~ecsp.check.findings.Finding`;
the ones ecsp's defaults knowingly keep are accepted with the reason from :data:`ACCEPTED`
(the README's "What is verified offline" says the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecsp.check import node
from ecsp.check.findings import Finding
from ecsp.engine.automation import AutomationEngine
from ecsp.engine.events import translate as translate_event
from ecsp.events import Event

if TYPE_CHECKING:
    from ecsp.api import Project
    from ecsp.results import RunResult

# AWSGuard policies ecsp's defaults violate on purpose, and why.
ACCEPTED: dict[str, str] = {
    "s3-bucket-logging-enabled": "ecsp's buckets (release artifacts, load balancer access logs) have no S3 server "
    "access logging: the artifact bucket is read by pipelines under CloudTrail, and an access-log bucket "
    "logging into itself would loop. AWSGuard 0.3.1 also only sees logging written inline on the bucket",
    "elb-deletion-protection-enabled": "an environment's load balancer holds no data and is replaced with the "
    "environment; deletion protection would make `ecsp destroy` fail until someone turns it off by hand",
    "elb-logging-enabled": "access logs cost money and are opt-in per environment (`access_logs: true`)",
    "efs-encrypted": "the file system is encrypted at rest with the AWS managed key (encrypted: true); "
    "AWSGuard asks for a customer managed key, which costs a monthly fee and KMS calls",
    "alb-http-to-https-redirection": "without a domain or certificates an environment serves plain HTTP (there is "
    "no certificate to redirect to); with either, HTTP redirects to HTTPS",
}


@dataclass(frozen=True)
class Violation:
    """One policy event: which stack and resource, which policy at which level, what it says."""

    stack: str
    urn: str
    policy: str
    level: str
    message: str

    @property
    def resource(self) -> str:
        """``Type name`` of the resource, from the URN's last two parts."""
        parts = self.urn.split("::")
        return f"{parts[-2].rsplit('$', 1)[-1].rsplit(':', 1)[-1]} {parts[-1]}" if len(parts) >= 2 else self.urn

    def finding(self) -> Finding:
        return Finding("awsguard", f"{self.stack}: {self.resource}", f"{self.level} {self.policy}: {self.message}",
                       ACCEPTED.get(self.policy))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def run(project: Project, *, backend: str, environ: Mapping[str, str], parallel: int = 2,
        ) -> tuple[RunResult, list[Violation]]:
    """Deploy every stack of ``project`` (pipelines too) with the AWSGuard pack judging each resource.

    ``environ`` is the engine's environment: its ``PULUMI_HOME`` decides which provider
    plugins do the work. Returns the run's result and every violation AWSGuard reported.
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

    engine = AutomationEngine(project.root, project.config, api.programs(), backend=backend, environ=environ,
                              translate=translate, policy_packs=[str(analyzer)])
    result = project.up(engine=engine, progress=False, check=False, parallel=parallel,
                        with_pipeline=bool(project.config.pipelines))
    return result, violations
