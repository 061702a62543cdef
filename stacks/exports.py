"""Values a stack reads from CloudFormation exports at deploy time (``{from_cfn: NAME}`` in ecsp.yaml)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecsp.config.exports import FromCfn


def export(name: str, provider: aws.Provider) -> pulumi.Output[str]:
    """The value exported as ``name`` in the provider's account and region (any stack, Copilot's too)."""
    found = aws.cloudformation.get_export_output(name=name, opts=pulumi.InvokeOutputOptions(provider=provider))
    return found.value


def value(written: str | FromCfn, provider: aws.Provider) -> pulumi.Input[str]:
    """A setting as written: the value itself, or the export it names."""
    return export(written.from_cfn, provider) if isinstance(written, FromCfn) else written
