"""What changes at run time when a Copilot workload runs under ecsp, said once per workload.

The manifest does not show it, the code does: Copilot set variables in every container
(``COPILOT_LB_DNS``, ``COPILOT_QUEUE_URI``, ...), its service discovery answered
``<svc>.<env>.<app>.local`` for every service with a port, and its logs went to
``/copilot/<app>-<env>-<svc>``. ecsp sets its own variables, reaches services through Service
Connect by their short name, and logs to ``/ecsp/...``: code and dashboards reading the old
names break without an error at import time, so each workload gets notes that name them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ecsp import naming
from ecsp.config import ApplicationType, Capability
from ecsp.importer.fields import Env, Note, dotted, strings
from ecsp.importer.workspace import Manifest

# Variables Copilot set (aws/copilot-cli internal/pkg/template/templates/workloads/partials/cf/envvars-*.yml)
# and what ecsp sets instead; None: ecsp has no such variable.
EVERY_CONTAINER = {
    "COPILOT_APPLICATION_NAME": "ECSP_PROJECT", "COPILOT_ENVIRONMENT_NAME": "ECSP_ENVIRONMENT",
    "COPILOT_SERVICE_NAME": "ECSP_APPLICATION", "COPILOT_SERVICE_DISCOVERY_ENDPOINT": None,
}
WEB = {"COPILOT_LB_DNS": "ECSP_URL"}
PUBLISHER = {"COPILOT_SNS_TOPIC_ARNS": "ECSP_SNS_TOPIC_ARNS"}
WORKER = {"COPILOT_QUEUE_URI": "ECSP_QUEUE_URL"}


def workload_notes(*, application_type: ApplicationType, fields: Mapping[str, Any], project: str, application: str,
                   copilot_app: str, copilot_service: str, envs: Sequence[Env], where: str) -> list[Note]:
    """The run-time notes of one imported workload (``fields``: its ecsp fields in any environment)."""
    variables = dict(EVERY_CONTAINER)
    if application_type.has(Capability.HTTP):
        variables.update(WEB)
    if fields.get("publish"):
        variables.update(PUBLISHER)
    if application_type.has(Capability.QUEUE):
        variables.update(WORKER)
    renamed = ", ".join(f"{new} for {old}" for old, new in variables.items() if new)
    gone = " and ".join(old for old, new in variables.items() if new is None)
    notes = [Note("warn", "runtime", f"at run time: Copilot's variables are not set; ecsp sets {renamed}. "
                  f"{gone} has no successor (call services by name). Code reading the old names must change", where)]
    env = envs[0].copilot_name if len(envs) == 1 else "<env>"
    port = fields.get("port")
    if port is not None and application_type.has(Capability.SERVE):
        local = f"{copilot_service}.{env}.{copilot_app}.local"
        call = f"http://{application}:{port}" if fields.get("connect") else f"http://{application}:{port} once it " \
               "has connect: true"
        notes.append(Note("warn", "runtime", f"at run time: callers reached {application} as {local} (Copilot's "
                          f"service discovery); under ecsp they call {call}. The old name keeps answering, with "
                          "Copilot's tasks, until Copilot's environment is deleted", where))
    ecsp_env = envs[0].name if len(envs) == 1 else "<env>"
    new = naming.AppNames(project, ecsp_env, application).log_group
    notes.append(Note("note", "runtime", f"logs go to {new} instead of /copilot/{copilot_app}-{env}-{copilot_service}"
                      ": move metric filters, subscriptions, alarms and saved queries that read the old group",
                      where))
    return notes


def local_name_notes(manifest: Manifest, copilot_app: str,
                     services: Mapping[str, tuple[str, int | None]]) -> list[Note]:
    """A warning for each value that calls a service by its Copilot service discovery name.

    ``services``: Copilot service -> (ecsp application, port) of the imported workloads.
    """
    pattern = re.compile(rf"\b([a-z][a-z0-9-]*)\.(?:(?:\$\{{COPILOT_ENVIRONMENT_NAME\}}|[a-z][a-z0-9-]*)\.)?"
                         rf"{re.escape(copilot_app)}\.local\b")
    notes = []
    for loc, value in strings(manifest.data):
        for match in pattern.finditer(value):
            target = services.get(match.group(1))
            if target is None:
                instead = "a service that is not imported"
            else:
                app, port = target
                instead = f"under ecsp call http://{app}:{port} (connect: true on both)" if port else \
                    f"under ecsp {app} serves no port"
            notes.append(Note("warn", "runtime", f"{dotted(loc)} calls {match.group(0)}, Copilot's service "
                              f"discovery name: {instead}", manifest.where(loc)))
    return notes
