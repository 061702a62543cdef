"""Copilot's addons as ecsp data, links and addons: what `copilot storage init` wrote, and everything else.

A folder of addons (``copilot/<svc>/addons/`` or ``copilot/environments/addons/``) whose every
template is one that ``copilot storage init`` writes becomes managed data with Copilot's names
(``copilot_name``, so the variables Copilot injected stay): a DynamoDB table (its keys and
local indexes), an S3 bucket, an Aurora Serverless cluster (v2, or v1 moved to v2), and the
access-policy addon that linked a service to an environment's bucket or table. A workload's
storage is linked to it. A folder holding anything else is deployed as it is
(``addons: <folder>``), with Copilot's parameters and output routing (ecsp.addons).

Templates are recognised by their resources, as ``storage init`` writes them (aws/copilot-cli
``internal/pkg/template/templates/addons``), not by file names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecsp import naming
from ecsp.addons import PARAMETERS_FILES, parse_template, read, template_files
from ecsp.importer.fields import Note

if TYPE_CHECKING:
    from ecsp.importer.beside import LiveData

_TABLE, _BUCKET, _POLICY = "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::IAM::ManagedPolicy"
_S3 = {_BUCKET, "AWS::S3::BucketPolicy", _POLICY}
_AURORA = {"AWS::RDS::DBSubnetGroup", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress",
           "AWS::SecretsManager::Secret", "AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBCluster",
           "AWS::RDS::DBInstance", "AWS::SecretsManager::SecretTargetAttachment"}


@dataclass
class AddonImport:
    """What one addons folder becomes in ecsp.yaml."""

    data: dict[str, dict[str, Any]] = field(default_factory=dict)  # data entries by name
    link: list[str] = field(default_factory=list)  # data the workload links
    addons: str | None = None  # the folder, deployed as it is
    notes: list[Note] = field(default_factory=list)


def data_name(storage: str) -> str:
    """An ecsp data name for a Copilot storage name: lowercase letters, digits and single hyphens."""
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", storage.lower())).strip("-")
    name = name if name and name[0].isalpha() else f"data-{name}".strip("-")
    return name[: naming.MAX_DATA].rstrip("-")


def _types(template: Mapping[str, Any]) -> list[str]:
    return [str(r.get("Type")) for r in (template.get("Resources") or {}).values() if isinstance(r, dict)]


def _of_type(template: Mapping[str, Any], type_: str) -> dict[str, Any]:
    return next(r for r in (template.get("Resources") or {}).values() if isinstance(r, dict) and r["Type"] == type_)


def _output_stem(template: Mapping[str, Any], suffix: str) -> str | None:
    """The storage name an output ``<name><suffix>`` was written for (Copilot names outputs after it)."""
    for output in template.get("Outputs") or {}:
        if str(output).endswith(suffix) and len(str(output)) > len(suffix):
            return str(output)[: -len(suffix)]
    return None


def _export_names(template: Mapping[str, Any] | None) -> list[str]:
    """The export names a template's outputs declare, as written (``${App}-${Env}-...`` for a ``!Sub``)."""
    names = []
    for output in ((template or {}).get("Outputs") or {}).values():
        name = (output.get("Export") or {}).get("Name") if isinstance(output, dict) else None
        if isinstance(name, dict) and "Fn::Sub" in name:
            name = name["Fn::Sub"]
        if isinstance(name, str):
            names.append(name)
    return names


def _table(template: Mapping[str, Any], stem: str) -> tuple[str, dict[str, Any]]:
    table = _of_type(template, _TABLE).get("Properties") or {}
    sub = table.get("TableName", {})
    written = sub.get("Fn::Sub") if isinstance(sub, dict) else None
    name = str(written).rsplit("-", 1)[-1] if isinstance(written, str) else stem
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions") or []}
    keys = {k["KeyType"]: k["AttributeName"] for k in table.get("KeySchema") or []}
    entry: dict[str, Any] = {"kind": "table", "partition_key": f"{keys['HASH']}:{types[keys['HASH']]}"}
    if "RANGE" in keys:
        entry["sort_key"] = f"{keys['RANGE']}:{types[keys['RANGE']]}"
    local = {}
    for index in table.get("LocalSecondaryIndexes") or []:
        sort = next(k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "RANGE")
        local[str(index["IndexName"])] = {"sort_key": f"{sort}:{types[sort]}"}
    if local:
        entry["local_indexes"] = local
    return name, entry


def _aurora(template: Mapping[str, Any], stem: str, notes: list[Note], where: str) -> tuple[str, dict[str, Any]]:
    cluster = _of_type(template, "AWS::RDS::DBCluster").get("Properties") or {}
    engine = "mysql" if "mysql" in str(cluster.get("Engine")) else "postgres"
    entry: dict[str, Any] = {"kind": engine}
    database = cluster.get("DatabaseName")
    if isinstance(database, dict) and "Ref" in database:
        default = ((template.get("Parameters") or {}).get(database["Ref"]) or {}).get("Default")
        if default:
            entry["database"] = str(default)
    scaling = (template.get("Mappings") or {}).get(f"{stem}EnvScalingConfigurationMap", {}).get("All", {})
    if "ServerlessV2ScalingConfiguration" in cluster and scaling:
        entry["capacity"] = {"min": float(scaling.get("DBMinCapacity", 0.5)),
                             "max": max(1.0, float(scaling.get("DBMaxCapacity", 8)))}
    elif "ServerlessV2ScalingConfiguration" not in cluster:
        notes.append(Note("note", "addons", f"{where}: an Aurora Serverless v1 cluster, which AWS retired; ecsp "
                                            "creates Aurora Serverless v2 (it pauses when idle): move the data with a "
                                            "dump and restore", where))
    return stem, entry


def _storage_template(template: Mapping[str, Any], notes: list[Note], where: str
                      ) -> tuple[str, dict[str, Any]] | tuple[str, None] | None:
    """(storage name, data entry) of a storage init template; (name, None) for an access policy; else None."""
    types = _types(template)
    found = set(types)
    stem = _output_stem(template, "Name")
    if types.count(_TABLE) == 1 and found <= {_TABLE, _POLICY} and stem:
        table = _of_type(template, _TABLE).get("Properties") or {}
        if table.get("KeySchema") and table.get("AttributeDefinitions"):
            return _table(template, stem)
        return None
    if types.count(_BUCKET) == 1 and found <= _S3 and stem:
        return stem, {"kind": "bucket"}
    secret = _output_stem(template, "Secret")
    if types.count("AWS::RDS::DBCluster") == 1 and found <= _AURORA and secret:
        return _aurora(template, secret, notes, where)
    if found == {_POLICY}:
        for suffix in ("NameBucketName", "NameDdbTableName"):
            policy = _output_stem(template, suffix)
            if policy is not None:
                return policy, None
    return None


def _apart(name: str, workload: str | None, taken: Mapping[str, Any]) -> str:
    """``name``, or a name no other entry has: Copilot named a workload's storage per service
    (``<app>-<env>-<svc>-<name>``), while ecsp's data names are the project's."""
    if name not in taken:
        return name
    stem = data_name(f"{workload}-{name}") if workload else name
    candidate, number = stem, 2
    while candidate in taken:
        suffix = f"-{number}"
        candidate = f"{stem[: naming.MAX_DATA - len(suffix)].rstrip('-')}{suffix}"
        number += 1
    return candidate


def import_addons(folder: Path, *, shown: str, source: str, workload: str | None,
                  taken: Mapping[str, Any] | None = None, owner: str | None = None,
                  live: LiveData | None = None) -> AddonImport:
    """What the addons folder ``folder`` (``source`` relative to ecsp.yaml) becomes; ``workload``: its service.

    ``taken``: the data entries imported before (an entry of the same name is given another).
    ``live`` (``--from-aws``): Copilot's live resource of each storage of ``owner`` (the service's
    Copilot name; None for the environment's), linked as ``existing:`` instead of created anew.
    """
    out = AddonImport()
    templates = template_files(folder) if folder.is_dir() else []
    recognised: list[tuple[str, dict[str, Any] | None]] = []
    notes: list[Note] = []  # what recognising the templates found, kept only if the folder becomes data
    parsed = {path: parse_template(path) for path in templates}
    exports = [name for template in parsed.values() for name in _export_names(template)]
    for path, template in parsed.items():
        found = _storage_template(template, notes, f"{shown}/{path.name}") if template is not None else None
        if found is None:
            recognised = []
            break
        recognised.append(found)
    if not templates:
        return out
    # An access policy links environment storage that became data. When the environment's storage was
    # deployed as it is instead, the policy's template imports that stack's exports: it goes as it is too.
    if any(entry is None and data_name(stem) not in (taken or {}) for stem, entry in recognised):
        recognised = []
    if recognised:
        out.notes += notes
    if not recognised:
        _, problems = read(folder, ".", workload)
        if problems:
            listed = "; ".join(f"{Path(p.file).name}{f':{p.line}' if p.line else ''}: {p.message}" for p in problems)
            out.notes.append(Note("warn", "addons", f"{shown} is not deployed: ecsp deploys addons as CloudFormation "
                                                    f"stacks, and {listed}; fix it, then add addons: {source}", shown))
            return out
        what = "its parameters and templates" if any((folder / p).is_file() for p in PARAMETERS_FILES) else \
            "its templates"
        out.addons = source
        out.notes.append(Note("note", "addons", f"{shown}: deployed as it is, {what} (parameters App, Env"
                                                f"{', Name' if workload else ''}), in the storage stack; its outputs "
                                                "reach the service as Copilot routed them (managed policies on the "
                                                "task role, secrets, security groups, variables)", shown))
        if exports:
            # CloudFormation gives an export name to one stack of an account and region: ecsp's addon stack
            # cannot be created while Copilot's, side by side, still exports the same names.
            out.notes.append(Note("note", "addons", f"{shown} exports {', '.join(exports)}, which Copilot's stack "
                                                    "exports too while it exists: CloudFormation lets one stack per "
                                                    "account and region export a name, so `ecsp up` fails on this "
                                                    "addon until Copilot's stack is deleted (or the export renamed)",
                                  shown))
        return out
    for storage, entry in recognised:
        name = data_name(storage)
        if entry is not None:
            name = _apart(name, workload, {**(taken or {}), **out.data})
            linked = live(owner if workload is not None else None, entry["kind"], storage) if live else None
            if linked:
                # Copilot's resource, in every environment: its data stays where it is, and ecsp uses it.
                out.data[name] = {"kind": entry["kind"], "copilot_name": storage,
                                  "environments": {env: {"existing": existing} for env, existing in linked.items()}}
                out.notes.append(Note("note", "data", f"{shown}: `copilot storage init` storage {storage} is data "
                                                      f"'{name}' ({entry['kind']}), Copilot's live resource in each "
                                                      "environment (existing:, from its addon stack's outputs), with "
                                                      "Copilot's variable names; the runbook keeps it when Copilot's "
                                                      "stacks are retired", shown))
            else:
                out.data[name] = {**entry, "copilot_name": storage}
                out.notes.append(Note("note", "data", f"{shown}: `copilot storage init` storage {storage} is data "
                                                      f"'{name}' ({entry['kind']}), created by ecsp with Copilot's "
                                                      "variable names; Copilot's own resource and its data stay with "
                                                      "Copilot: move the data, or link it as existing", shown))
        if workload is not None:
            out.link.append(name)
    return out
