"""How an imported project runs beside the live Copilot application it came from.

With ``--from-aws`` the importer reads Copilot's stacks (:mod:`ecsp.importer.live`), and each
environment of ecsp.yaml reuses what the data needs: Copilot's VPC and subnets (the databases
and file systems live there), and the certificates on Copilot's HTTPS listener (they cover
Copilot's host names, which the web applications keep as aliases). Everything else ecsp
creates anew, and Copilot's stacks keep serving until the runbook retires them. The report
says which is which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ecsp import naming
from ecsp.importer.environment import imported_vpc
from ecsp.importer.fields import Note
from ecsp.importer.live import DATA_TYPES, LiveApp, LoadBalancer, Stack


def environment_fields(fields: dict[str, Any], stack: Stack, balancer: LoadBalancer | None, where: str) -> list[Note]:
    """Point the environment's ``fields`` at Copilot's VPC and certificates; the notes say so."""
    notes = []
    vpc = stack.outputs.get("VpcId")
    if vpc:
        imported: dict[str, Any] = {"id": vpc}
        for side, key in (("public_subnets", "PublicSubnets"), ("private_subnets", "PrivateSubnets")):
            if stack.list_output(key):
                imported[side] = stack.list_output(key)
        network = {k: v for k, v in fields.get("network", {}).items() if k not in ("cidr", "nat", "vpc")}
        kept, said = imported_vpc(imported, where)
        notes += said
        if kept is None:
            return notes
        fields["network"] = {"vpc": kept, **network}
        notes.append(Note("note", "network.vpc", f"network.vpc is Copilot's VPC {vpc} (stack {stack.name}): ecsp's "
                                                 "environment runs in it, beside Copilot's, where the data is; the "
                                                 "runbook keeps it when Copilot's environment is retired", where))
    if balancer is not None and balancer.certificates and not fields.get("certificates"):
        fields["certificates"] = list(balancer.certificates)
        notes.append(Note("note", "certificates", f"certificates are those of Copilot's HTTPS listener in "
                                                  f"{stack.name}: they cover Copilot's host names, which the web "
                                                  "applications keep as aliases", where))
    return notes


# The outputs of Copilot's `storage init` templates that name the live resource, by ecsp data kind:
# output suffix -> the key of ``existing:`` (the output is ``<logical id of the storage name><suffix>``).
STORAGE_OUTPUTS: dict[str, dict[str, str]] = {
    "table": {"Name": "name"}, "bucket": {"Name": "name"},
    "postgres": {"Secret": "secret", "SecurityGroup": "security_group"},
    "mysql": {"Secret": "secret", "SecurityGroup": "security_group"},
}
# Copilot's name of a storage owner -> (kind, storage name) -> ecsp environment -> ``existing:``, or None.
LiveData = Callable[[str | None, str, str], dict[str, dict[str, str]] | None]


def live_data(live: LiveApp, environments: Sequence[tuple[str, str]]) -> LiveData:
    """What links a ``storage init`` resource of Copilot's in every imported environment (``environments``:
    Copilot's name, ecsp's), read from the outputs of the addon stack of its owner (a service; None: the
    environment). None when one environment lacks it: the data is then ecsp's own, new."""
    def find(owner: str | None, kind: str, storage: str) -> dict[str, dict[str, str]] | None:
        wanted = STORAGE_OUTPUTS.get(kind)
        if not wanted:
            return None
        found: dict[str, dict[str, str]] = {}
        for copilot_env, env in environments:
            parent = live.workload(copilot_env, owner) if owner else live.environment(copilot_env)
            outputs = {k: v for nested in (live.nested(parent) if parent else []) for k, v in nested.outputs.items()}
            stem = naming.copilot_logical_id(storage)
            existing = {key: outputs[stem + suffix] for suffix, key in wanted.items() if outputs.get(stem + suffix)}
            if set(existing) != set(wanted.values()):
                return None
            found[env] = existing
        return found or None

    return find


def report(live: LiveApp, environments: Mapping[str, str], applications: Mapping[str, str]) -> list[str]:
    """What the project reuses, what ecsp creates, and what stays Copilot's.

    ``environments``/``applications``: Copilot's name -> ecsp's, of those imported.
    """
    reused, copilots = [], []
    for stack in live.stacks:
        copilot_env = stack.environment or ""
        if stack.kind == "environment" and copilot_env in environments:
            env = environments[copilot_env]
            if stack.outputs.get("VpcId"):
                subnets = stack.list_output("PublicSubnets") + stack.list_output("PrivateSubnets")
                reused.append(f"{env}: VPC {stack.outputs['VpcId']} and subnets {', '.join(subnets)}")
            balancer = live.load_balancers.get(copilot_env)
            if balancer is not None and balancer.certificates:
                reused.append(f"{env}: certificate{'s' if len(balancer.certificates) > 1 else ''} "
                              f"{', '.join(balancer.certificates)}")
        for nested in live.nested(stack):
            owner = stack.service or f"environment {stack.environment}"
            data = [f"{DATA_TYPES[r.type]} {r.physical}" for r in nested.data()]
            if data:
                exports = f"; exports {', '.join(nested.exports)}" if nested.exports else ""
                reused.append(f"{owner} in {stack.environment}: {', '.join(data)} (addon stack {nested.name}"
                              f"{exports})")
        if stack.kind != "addons":
            copilots.append(stack.name)
    created = ["per environment: cluster, load balancer, security groups, Service Connect namespace (and, without "
               "Copilot's VPC, a VPC)", f"per application ({', '.join(applications.values()) or 'none'}): log group, "
               "roles, task definition, service or state machine, target group and listener rules, topics and "
               "queues", "per region: ECR repositories ecsp/<project>/<app>, a KMS key and an artifact bucket"]
    lines = ["reused (ecsp links to it; it stays where it is):"] + [f"  {r}" for r in reused or ["nothing"]]
    lines += ["new (ecsp creates it, beside Copilot's):"] + [f"  {c}" for c in created]
    lines += ["stays Copilot's until you retire it (`ecsp import copilot --from-aws --runbook`):",
              f"  stacks {', '.join(copilots) or 'none'}: their load balancers keep serving Copilot's host names "
              "until the DNS switch"]
    return lines
