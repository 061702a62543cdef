"""An addon set deployed as Copilot did: one CloudFormation stack with parameters App, Env (and Name).

The template is the set's templates merged (:mod:`ecsp.addons`); its parameters file's values
are literal, or references to the environment's resources that ecsp resolves here (the VPC,
its subnets, the environment security group, the cluster). The stack is kept when the addon
leaves ecsp.yaml or the stack is destroyed (``retain_on_delete``): it may hold data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.addons import AddonStack, ParameterValue, reference_output
from stacks import _aws
from stacks.contracts import EnvironmentOutputs

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def _reference(name: str, known: Mapping[str, str], upstream: EnvironmentOutputs) -> pulumi.Input[str]:
    if name in known:
        return known[name]
    found = reference_output(name)
    assert found is not None, name  # ecsp.addons refused any other reference
    output, index = found
    value = pulumi.Output.from_input(getattr(upstream, output))
    if index is not None:
        return value.apply(lambda ids: ids[index] if index < len(ids) else "")
    return value.apply(lambda v: ",".join(v) if isinstance(v, list) else str(v))


def resolve(value: ParameterValue, known: Mapping[str, str], upstream: EnvironmentOutputs) -> pulumi.Input[str]:
    """A parameter's value, with its references to App, Env, Name and the environment resolved."""
    if isinstance(value, str):
        return value
    if value[0] == "ref":
        return _reference(value[1], known, upstream)
    if value[0] == "join":
        parts = [resolve(p, known, upstream) for p in value[2]]
        return pulumi.Output.all(*parts).apply(lambda v: value[1].join(str(x) for x in v))
    text = str(value[1])
    names = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text)))
    refs = [_reference(n, known, upstream) for n in names]
    return pulumi.Output.all(*refs).apply(
        lambda v: re.sub(r"\$\{([A-Za-z0-9_]+)\}", lambda m: str(dict(zip(names, v, strict=True))[m[1]]), text))


class Addons(pulumi.ComponentResource):
    """One addon set's CloudFormation stack."""

    outputs: pulumi.Output[Mapping[str, str]]

    def __init__(self, name: str, *, stack: AddonStack, project: str, environment: str,
                 upstream: EnvironmentOutputs, provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:storage:Addons", name, None, opts)
        known = {"App": project, "Env": environment, **({"Name": stack.owner} if stack.owner else {})}
        parameters = {**known, **{k: resolve(v, known, upstream) for k, v in stack.parameters.items()}}
        cfn = aws.cloudformation.Stack(
            name, name=naming.addon_stack(project, environment, stack.owner), template_body=stack.body,
            parameters=parameters, capabilities=CAPABILITIES,
            opts=_aws.opts(provider, self, retain_on_delete=True))
        self.outputs = cfn.outputs
        self.register_outputs({"outputs": cfn.outputs})
