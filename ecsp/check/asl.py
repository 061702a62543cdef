"""Step Functions state machine definitions, validated with asl-validator (the Amazon States Language schema).

asl-validator checks a definition against the States Language specification: state types
and their fields, that every ``Next``/``Default`` names a state, that ``StartAt`` does, JSONPath
and JSONata syntax. All of ecsp's definitions go to one ``node`` run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ecsp.check import node
from ecsp.check.documents import Resource
from ecsp.check.findings import Finding

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def check(resources: Iterable[Resource]) -> list[Finding]:
    """asl-validator's findings for every state machine definition in ``resources``."""
    machines = [r for r in resources if r.type == STATE_MACHINE]
    if not machines:
        return []
    request = [{"id": str(i), "definition": r.inputs.get("definition", "")} for i, r in enumerate(machines)]
    results = json.loads(node.run("asl.js", json.dumps(request)))
    return [Finding("asl", machines[int(result["id"])].where, error)
            for result in results for error in result["errors"]]
