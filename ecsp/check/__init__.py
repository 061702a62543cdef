"""Offline proof of what ecsp would send to AWS, checked against AWS's own models and linters.

Each check reads the planned resources (:mod:`ecsp.check.documents`) and returns
:class:`~ecsp.check.findings.Finding` records: :mod:`~ecsp.check.shapes` (API requests against
botocore's service models, plus :mod:`~ecsp.check.rules`), :mod:`~ecsp.check.iam` (policies
with parliament), :mod:`~ecsp.check.asl` (Step Functions definitions with asl-validator). The
fourth, :mod:`~ecsp.check.guard` (AWSGuard), needs the real engine and runs apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from ecsp.check.documents import Resource
from ecsp.check.findings import Finding


def aws_models(resources: Iterable[Resource]) -> list[Finding]:
    """Every shape, IAM and Step Functions finding of ``resources`` (accepted ones carry their reason)."""
    from ecsp.check import asl, iam, shapes

    planned = list(resources)
    return [*shapes.check(planned), *iam.check(planned), *asl.check(planned)]
