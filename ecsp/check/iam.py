"""Every IAM policy document ecsp writes, linted with parliament against AWS's list of actions.

parliament (duo-labs) knows every action, resource ARN format and condition key from AWS's
Service Authorization Reference, as of the IAM definition it bundles. It reports unknown
actions and prefixes, actions whose resources cannot match, unknown or mistyped condition
keys, malformed statements, and (its community auditors) grants of credentials,
permissions management and privilege escalation. A finding either gets fixed in
``stacks/`` or is accepted by an entry of :mod:`ecsp.check.iam_allowed`, which says why.

Two kinds of document carry no ``Resource``: a role's trust policy (the role itself) and an
ECR repository policy (the repository). They are linted with that implicit resource filled
in, which is what AWS evaluates them against. Trust policies skip the community auditors:
they grant nothing but the assumption of the role (whose credentials are the point).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ecsp.check import iam_allowed
from ecsp.check.documents import Resource
from ecsp.check.findings import Finding
from ecsp.check.iam_allowed import Allowed
from ecsp.errors import ToolMissingError


@dataclass(frozen=True)
class PolicySource:
    """Where a resource type keeps a policy document, and what its statements' implicit resource is."""

    input: str
    trust: bool = False
    implicit_resource: Callable[[Resource], str] | None = None


def _role_arn(r: Resource) -> str:
    name = r.inputs.get("name") or r.name
    return f"arn:aws:iam::123456789012:role{r.inputs.get('path') or '/'}{name}"


def _repository_arn(r: Resource) -> str:
    return f"arn:aws:ecr:us-east-1:123456789012:repository/{r.inputs.get('repository')}"


POLICIES: dict[str, PolicySource] = {
    "aws:iam/role:Role": PolicySource("assumeRolePolicy", trust=True, implicit_resource=_role_arn),
    "aws:iam/rolePolicy:RolePolicy": PolicySource("policy"),
    "aws:iam/policy:Policy": PolicySource("policy"),
    "aws:s3/bucketPolicy:BucketPolicy": PolicySource("policy"),
    "aws:kms/key:Key": PolicySource("policy"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": PolicySource("policy", implicit_resource=_repository_arn),
    "aws:sqs/queuePolicy:QueuePolicy": PolicySource("policy"),
    "aws:sqs/queue:Queue": PolicySource("policy"),
    "aws:sns/topicPolicy:TopicPolicy": PolicySource("policy"),
    "aws:sns/topic:Topic": PolicySource("policy"),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": PolicySource("policy"),
}


@dataclass(frozen=True)
class Lint:
    """One parliament finding: its issue code and what it says (detail and where)."""

    issue: str
    text: str


def documents(resources: Iterable[Resource]) -> list[tuple[Resource, dict[str, Any]]]:
    """Every policy document of ``resources``, parsed, with the resource that carries it."""
    found = []
    for resource in resources:
        source = POLICIES.get(resource.type)
        text = resource.inputs.get(source.input) if source else None
        if source is None or not text:
            continue
        document = json.loads(text)
        if source.implicit_resource is not None:
            statements = document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                statement.setdefault("Resource", source.implicit_resource(resource))
        found.append((resource, document))
    return found


def lint(document: dict[str, Any], *, trust: bool = False) -> list[Lint]:
    """parliament's findings for one policy document (community auditors too, unless a trust policy)."""
    try:
        import parliament  # type: ignore[import-untyped]
    except ImportError as e:  # pragma: no cover - the check extra is part of dev
        raise ToolMissingError("the IAM check needs parliament, which is not installed",
                               fix="pip install 'ecsp[check]'") from e
    policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=not trust)
    lints = []
    for finding in policy.findings:
        where = {k: v for k, v in (finding.location or {}).items() if k not in ("filepath", "line", "column")}
        text = " ".join(str(part) for part in (finding.detail, where or "") if part)
        lints.append(Lint(finding.issue, text))
    return lints


def check(resources: Iterable[Resource], allowed: Iterable[Allowed] | None = None) -> list[Finding]:
    """Every parliament finding in ``resources``' policies, each with the reason that accepts it, if any.

    ``allowed``: the accepted findings (default :data:`ecsp.check.iam_allowed.ALLOWED`).
    """
    allowed = tuple(iam_allowed.ALLOWED if allowed is None else allowed)
    findings = []
    for resource, document in documents(resources):
        trust = POLICIES[resource.type].trust
        for item in lint(document, trust=trust):
            reason = next((a.reason for a in allowed if accepts(a, resource, item)), None)
            findings.append(Finding("iam", resource.where, f"{item.issue}: {item.text}".rstrip(": "), reason))
    return findings


def accepts(entry: Allowed, resource: Resource, item: Lint) -> bool:
    """Whether ``entry`` accepts parliament's ``item`` in ``resource``'s policy."""
    return (entry.issue == item.issue and entry.type == resource.type
            and fnmatch.fnmatchcase(resource.name, entry.name)
            and all(part.lower() in item.text.lower() for part in entry.mentions))
