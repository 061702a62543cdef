"""The transform stub ``ecsp import copilot`` writes for Copilot's ``taskdef_overrides``.

Copilot patched the task definition's CloudFormation by property path; ecsp's escape hatch
is a resource transform (:mod:`ecsp.transforms`). The paths do not translate one for one
(ecsp's Pulumi task definition holds the containers as ECS JSON with camelCase keys, and
ecsp's container list is its own), so the stub carries each override as a comment beside
the code that decodes and re-encodes the containers, and refuses to run until a person has
ported them: a deploy never silently runs without what Copilot patched in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

FILE = "copilot_transforms.py"

_HEADER = '''\
"""Resource transforms for what Copilot's taskdef_overrides patched (written by `ecsp import copilot`).

Copilot patched its CloudFormation task definition by property path; ecsp changes its Pulumi
resources with transforms instead (README: Transforms). Port each override below, delete the
`raise` of its function, and list the function under `transforms:` in ecsp.yaml, e.g.

    transforms:
      - copilot_transforms:{example}

A transform gets each resource (resource.type, .name, .props by Pulumi's camelCase names,
.opts) with its stack (resource.environment, .application) and changes resource.props in place.
The task definition's containers are ECS JSON (camelCase keys: ulimits, softLimit), the
application's container first.
"""

import json

import pulumi

'''

_FUNCTION = '''

def {function}(resource):
    """{app}: Copilot's taskdef_overrides, to port ({source})."""
    if resource.type != "aws:ecs/taskDefinition:TaskDefinition" or resource.application != "{app}":
        return
{overrides}
    raise NotImplementedError("port Copilot's taskdef_overrides of {app} in {file}, then delete this line")

    def port(text):
        containers = json.loads(text)
        # e.g. ContainerDefinitions[0].Ulimits[-] with Name/SoftLimit/HardLimit:
        # containers[0].setdefault("ulimits", []).append({{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}})
        return json.dumps(containers)

    # The containers may not be known yet in a preview (an image still to build): port them when they are.
    containers = pulumi.Output.from_input(resource.props["containerDefinitions"])
    resource.props["containerDefinitions"] = containers.apply(port)
'''


def function_name(app: str) -> str:
    return f"{app.replace('-', '_')}_taskdef"


def _comment(overrides: Sequence[Any], where: str) -> list[str]:
    lines = [f"    # {where}:"]
    for override in overrides:
        if isinstance(override, Mapping):
            lines.append(f"    #   {override.get('path')} = {json.dumps(override.get('value'), default=str)}")
        else:
            lines.append(f"    #   {json.dumps(override, default=str)}")
    return lines


def stub(found: Mapping[str, tuple[str, Mapping[str, Sequence[Any]]]]) -> str:
    """The module's text: one function per application, ``found``: app -> (manifest path, where -> overrides).

    ``where`` is ``"all environments"`` for the manifest's own list, else an environment's name.
    """
    first = function_name(next(iter(found)))
    text = _HEADER.format(example=first)
    for app, (source, by_place) in found.items():
        lines: list[str] = []
        for where, overrides in by_place.items():
            lines += _comment(overrides, where if where == "all environments" else f"environment {where}")
        text += _FUNCTION.format(function=function_name(app), app=app, source=source, file=FILE,
                                 overrides="\n".join(lines))
    return text


__all__ = ["FILE", "function_name", "stub"]
