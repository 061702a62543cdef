"""``ecsp import copilot``: turn a Copilot workspace into an ecsp.yaml, with notes.

    from ecsp.importer import import_copilot
    result = import_copilot("path/to/repo", environments=["test=us-west-2:111111111111"])
    print(result.text)          # the commented ecsp.yaml
    for note in result.notes:   # every field that was dropped, refused or converted
        print(note)

Modules: :mod:`.workspace` reads the folder, :mod:`.workload` and :mod:`.environment` map one manifest in
one environment, :mod:`.factor` folds environments into base + overrides, :mod:`.writer` writes
the commented YAML. Nothing here writes files or calls AWS except ``from_aws`` (SSM reads).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecsp import naming
from ecsp.config import name_problem
from ecsp.errors import UsageError
from ecsp.importer import convert, schema, transform_stub, writer
from ecsp.importer.data import import_addons
from ecsp.importer.environment import map_environment
from ecsp.importer.factor import factor
from ecsp.importer.fields import COPILOT_TYPES, Env, Mapped, Note, WorkloadContext, dotted
from ecsp.importer.workload import map_workload
from ecsp.importer.workspace import Manifest, Workload, Workspace

__all__ = ["EnvSpec", "ImportResult", "Note", "import_copilot", "parse_env"]

APP_ORDER = ("kind", "image", "entrypoint", "command", "port", "path", "aliases", "healthcheck", "cpu", "memory",
             "platform", "count",
             "capacity", "exec", "placement", "connect", "publish", "subscribe", "queue", "schedule", "timeout",
             "retries", "variables", "secrets", "link", "security_groups", "managed_policies", "addons", "sidecars",
             "logging", "log_retention", "storage", "deployment", "deregistration_delay")
NAT = "per-az"  # Copilot put one NAT gateway in each public subnet when a service asked for private placement
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class EnvSpec:
    """An environment given on the command line: ``NAME=REGION[:ACCOUNT][:PROFILE]``."""

    name: str
    region: str | None = None
    account: str | None = None
    profile: str | None = None


def parse_env(text: str) -> EnvSpec:
    """``test=us-west-2``, ``prod=eu-west-1:222222222222``, ``prod=eu-west-1:222222222222:prod-profile``."""
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise UsageError(f"--env {text}: expected NAME=REGION[:ACCOUNT][:PROFILE]",
                         fix="e.g. --env test=us-west-2 or --env prod=us-east-1:111111111111:prod")
    parts = rest.split(":")
    if len(parts) > 3:
        raise UsageError(f"--env {text}: too many ':' parts", fix="write NAME=REGION[:ACCOUNT][:PROFILE]")
    region, account, profile = (parts + [""] * 3)[:3]
    if account and not _ACCOUNT.fullmatch(account):
        raise UsageError(f"--env {text}: '{account}' is not a 12-digit account id",
                         fix="write NAME=REGION:ACCOUNT:PROFILE, or NAME=REGION::PROFILE without an account")
    return EnvSpec(name, region or None, account or None, profile or None)


@dataclass
class ImportResult:
    """The imported project: its text, its data, and what happened to each Copilot field."""

    text: str
    document: dict[str, Any]
    notes: list[Note]
    applications: list[str]
    refused: list[str]
    environments: list[str]
    workspace: Path = field(default_factory=Path)
    # Files to write next to ecsp.yaml, by name (the transform stub for taskdef_overrides).
    files: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[Note]:
        return [n for n in self.notes if n.level == "warn"]


def import_copilot(
    directory: str | Path | None = None,
    *,
    environments: Sequence[EnvSpec | str] = (),
    region: str | None = None,
    name: str | None = None,
    account: str | None = None,
    domain: str | None = None,
    variables: Mapping[str, str] | None = None,
    from_aws: bool = False,
    profile: str | None = None,
    endpoint_url: str | None = None,
    output: str | Path | None = None,
) -> ImportResult:
    """Read the Copilot workspace at ``directory`` (``./copilot`` by default) and build its ecsp.yaml.

    ``environments`` give each environment's region, account and profile (Copilot keeps them
    outside the manifests); with ``from_aws`` they are read from Copilot's SSM parameters, and
    the flags win where both say something. ``variables`` give the shell variables
    (``${IMAGE_TAG}``) that Copilot read from whoever deployed. ``output`` is where ecsp.yaml
    will be written (default: the workspace root), so build paths can be made relative to it.
    """
    from ecsp.importer import workspace as workspaces

    ws = workspaces.read(directory)
    given = [parse_env(e) if isinstance(e, str) else e for e in environments]
    project = name or ws.application
    problem = name_problem("project", project, naming.MAX_PROJECT)
    if problem:
        raise UsageError(f"{ws.show(ws.summary)}: {problem}", fix="pass --name NAME to choose the ecsp project name")
    app_info = None
    if from_aws:
        from ecsp.importer.aws import read_app

        app_info = read_app(ws.application, region=region, profile=profile, endpoint_url=endpoint_url)
    out_dir = Path(output).parent if output is not None else ws.root
    project_notes: list[Note] = []
    envs = _environments(ws, given, app_info, region, project_notes)
    home = region or (app_info.region if app_info else None) or envs[0][1].region
    if home is None:
        raise UsageError("no region for the project", fix="pass --region")
    if region is None and app_info is None:
        project_notes.append(Note("note", "project.region", f"project.region is {home}, the region of environment "
                                  f"{envs[0][0].name}; pass --region to choose another"))
    env_mapped = {env.name: _environment(ws, env.name) for env, _ in envs}
    domain = domain or (app_info.domain if app_info else None)
    envs = [(dataclasses.replace(env, zone=naming.environment_zone(project, env.name, domain) if domain else None,
                                 certificates=bool(env_mapped[env.name][1].fields.get("certificates"))), spec)
            for env, spec in envs]
    known = [env.name for env, _ in envs]
    apps: dict[str, Any] = {}
    refused: list[str] = []
    imported: list[str] = []
    placements: dict[str, set[str]] = {e: set() for e in known}
    backlog: dict[str, set[str]] = {e: set() for e in known}  # workers scaling on queue_delay
    data_entries: dict[str, Any] = {}
    environment_addons = _environment_addons(ws, out_dir, data_entries, project_notes)
    for workload in ws.workloads:
        entry, ok, per_env = _workload(ws, workload, project, [env for env, _ in envs], out_dir, dict(variables or {}),
                                       data_entries)
        apps[workload.name] = entry
        (imported if ok else refused).append(workload.name)
        if ok:
            for env_name, app_fields in per_env.items():
                if app_fields.get("placement") == "private":
                    placements[env_name].add(workload.name)
                count = app_fields.get("count")
                if isinstance(count, dict) and count.get("queue_delay"):
                    backlog[env_name].add(workload.name)
    project_notes += _project_notes(ws)

    document: dict[str, Any] = {"project": {"name": project, "region": home}}
    # Notes about where values came from sit above project:; the files left for the user go last.
    about_flags = [n for n in project_notes if n.level == "note"]
    project_notes = [n for n in project_notes if n.level != "note"]
    account = account or (app_info.account if app_info else None)
    if account:
        document["project"]["account"] = account
    if domain:
        document["project"]["domain"] = domain
    environments_doc: dict[str, Any] = {}
    for env, spec in envs:
        mapped = env_mapped[env.name]
        fields: dict[str, Any] = {"region": env.region}
        if env.account:
            fields["account"] = env.account
        if spec.profile:
            fields["profile"] = spec.profile
        fields.update(mapped[1].fields)
        if placements[env.name] and "vpc" not in fields.get("network", {}):
            fields["network"] = {**fields.get("network", {}), "nat": NAT}
            private = sorted(placements[env.name])
            mapped[1].notes.append(Note(
                "note", "network.nat", f"network.nat is {NAT}: {' and '.join(private)} "
                f"run{'s' if len(private) == 1 else ''} in private subnets, and Copilot gave them one NAT gateway per "
                f"zone (single is cheaper)", mapped[0] or ""))
        if backlog[env.name] and not fields.get("container_insights"):
            # Copilot measured the backlog with a Lambda of its own; ecsp's metric math reads the running
            # task count that Container Insights publishes.
            fields["container_insights"] = True
            scaled = sorted(backlog[env.name])
            mapped[1].notes.append(Note(
                "note", "container_insights", f"container_insights is on in {env.name}: {' and '.join(scaled)} scale"
                f"{'s' if len(scaled) == 1 else ''} on queue_delay, which ecsp measures with Container Insights "
                "metrics (CloudWatch charges for them)", mapped[0] or ""))
        fields = {k: fields[k] for k in ("region", "account", "profile", "network", "container_insights",
                                         "certificates", "access_logs") if k in fields}
        source = [f"from {mapped[0]}"] if mapped[0] else ["no manifest in the workspace"]
        environments_doc[env.name] = writer.Commented(fields, above=source + [n.comment for n in mapped[1].notes])
    document["environments"] = environments_doc
    if data_entries:
        document["data"] = data_entries
    if environment_addons is not None:
        document["addons"] = environment_addons
    document["applications"] = apps
    notes = about_flags + project_notes + [n for _, m in env_mapped.values() for n in m.notes]
    notes += [n for entry in apps.values() for n in getattr(entry, "notes", [])]
    plain = _plain(document)
    text = writer.dump(_sections(document, about_flags, project_notes), header=_header(ws, project))
    stubs = _taskdef_overrides(ws)
    files = {transform_stub.FILE: transform_stub.stub(stubs)} if stubs else {}
    return ImportResult(text, plain, notes, imported, refused, known, ws.root, files)


def _taskdef_overrides(ws: Workspace) -> dict[str, tuple[str, dict[str, list[Any]]]]:
    """Each workload's taskdef_overrides (the manifest's, then each environment's), for the transform stub."""
    found: dict[str, tuple[str, dict[str, list[Any]]]] = {}
    for workload in ws.workloads:
        data = workload.manifest.data
        places: dict[str, list[Any]] = {}
        if isinstance(data.get("taskdef_overrides"), list):
            places["all environments"] = data["taskdef_overrides"]
        environments = data.get("environments")
        for env, override in (environments.items() if isinstance(environments, dict) else ()):
            if isinstance(override, dict) and isinstance(override.get("taskdef_overrides"), list):
                places[str(env)] = override["taskdef_overrides"]
        if places:
            found[str(data.get("name", workload.name))] = (str(workload.manifest.path), places)
    return found


# --------------------------------------------------------------------------- environments


def _environments(ws: Workspace, given: list[EnvSpec], app_info: Any, region: str | None,
                  notes: list[Note]) -> list[tuple[Env, EnvSpec]]:
    names = list(ws.environments)
    names += [g.name for g in given if g.name not in names]
    if app_info is not None:
        names += [n for n in app_info.environments if n not in names]
    if not names:
        raise UsageError(f"{ws.show(ws.copilot)} has no environments (no environments/*/manifest.yml)",
                         fix="name each with --env NAME=REGION[:ACCOUNT], or read them with --from-aws")
    flags = {g.name: g for g in given}
    out: list[tuple[Env, EnvSpec]] = []
    lacking = []
    for env in names:
        spec = flags.get(env, EnvSpec(env))
        ssm_region, ssm_account = app_info.environments.get(env, (None, None)) if app_info else (None, None)
        env_region = spec.region or ssm_region
        if env_region is None and region is not None:
            env_region = region
            notes.append(Note("note", f"environments.{env}", f"environment {env}'s region is --region {region}; "
                              f"pass --env {env}=REGION to choose another"))
        if env_region is None:
            lacking.append(env)
        problem = name_problem("environment", env, naming.MAX_ENVIRONMENT)
        if problem:
            raise UsageError(f"environment {env}: {problem}", fix="rename the environment in Copilot first, or "
                             "import without it")
        out.append((Env(env, env_region, spec.account or ssm_account), spec))
    if lacking:
        flags_text = " ".join(f"--env {e}=REGION" for e in lacking)
        raise UsageError(f"Copilot keeps environments' regions outside the manifests, and none is known for "
                         f"{', '.join(lacking)}", fix=f"pass {flags_text} (add :ACCOUNT for Secrets Manager "
                         "secrets), --region for all of them, or --from-aws to read Copilot's SSM parameters")
    return out


def _environment(ws: Workspace, env: str) -> tuple[str | None, Mapped]:
    manifest = ws.environments.get(env)
    if manifest is None:
        return None, Mapped()
    notes, skip = _typos(manifest, schema.ENVIRONMENT, f"environment {env}")
    copilot_type = manifest.data.get("type")
    if copilot_type != "Environment":
        notes.append(Note("warn", "type", f"type is {copilot_type!r}, not Environment; read as an environment anyway",
                          manifest.where(("type",))))
    mapped = map_environment(manifest.data, manifest.where, skip)
    mapped.notes[:0] = notes
    return str(manifest.path), mapped


# --------------------------------------------------------------------------- workloads


def _workload(ws: Workspace, workload: Workload, project: str, envs: list[Env], out_dir: Path,
              given: dict[str, str], data_entries: dict[str, Any]) -> tuple[Any, bool, dict[str, dict[str, Any]]]:
    """The application entry (or the comment of a refused one), whether it was imported, and its fields per env."""
    manifest = workload.manifest
    data = manifest.data
    source = f"from {manifest.path}"
    copilot_type = data.get("type")
    name = data.get("name", workload.name)

    def refused(*notes: Note) -> tuple[Any, bool, dict[str, dict[str, Any]]]:
        lines = [f"refused: {manifest.path} ({copilot_type}) is not imported:"] + [f"  {n.comment}" for n in notes]
        return _Refused(lines, list(notes)), False, {}

    if copilot_type in ("Request-Driven Web Service", "Static Site"):
        what = ("runs on App Runner, which ecsp does not create; re-create it as a Load Balanced Web Service "
                "(an ecsp web application) by hand, or keep it in Copilot") if copilot_type.startswith("Request") else (
                "is an S3 bucket behind CloudFront, which ecsp does not create; keep it in Copilot or host the "
                "files elsewhere")
        return refused(Note("refuse", "type", f"type {copilot_type} {what}", manifest.where(("type",))))
    if copilot_type not in COPILOT_TYPES:
        import difflib

        close = difflib.get_close_matches(str(copilot_type), schema.WORKLOAD_TYPES, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"Copilot's types are {', '.join(schema.WORKLOAD_TYPES)}"
        return refused(Note("refuse", "type", f"type {copilot_type!r} is not a Copilot workload type; {hint}",
                            manifest.where(("type",))))
    app = str(name)
    problem = name_problem("application", app, naming.MAX_APPLICATION)
    if problem:
        return refused(Note("refuse", "name", f"name {problem}; rename the service (its folder and name:) and "
                                              "import again", manifest.where(("name",))))
    patches = [p for p in workload.overrides]
    if patches:
        shown = ", ".join(str(ws.show(p)) for p in patches)
        return refused(Note("refuse", "overrides", f"overrides {shown} patch the CloudFormation template Copilot "
                                                   "generated; ecsp builds its stacks its own way, so the patched "
                                                   "behaviour would be lost: port them to ecsp fields first",
                            str(ws.show(patches[0]))))

    notes, skip = _typos(manifest, schema.workload(copilot_type), f"service {app}")
    overrides = data.get("environments") or {}
    known = {e.name for e in envs}
    for env in overrides if isinstance(overrides, dict) else []:
        if env not in known:
            notes.append(Note("warn", f"environments.{env}", f"environments.{env} overrides an environment that is "
                                                            f"not imported ({', '.join(sorted(known))}); dropped",
                              manifest.where(("environments", env))))
    base = {k: v for k, v in data.items() if k != "environments"}
    addon_outputs = tuple(o for path in workload.addons for o in _addon_outputs(path))
    per_env: dict[str, dict[str, Any]] = {}
    per_env_notes: dict[str, list[Note]] = {}
    for env in envs:
        override = overrides.get(env.name) if isinstance(overrides, dict) else None
        effective = convert.merge(base, override if isinstance(override, dict) else None)
        missing: set[str] = set()
        effective = convert.interpolate(effective, {"COPILOT_APPLICATION_NAME": project,
                                                    "COPILOT_ENVIRONMENT_NAME": env.name}, given, missing)
        ctx = WorkloadContext(project, app, copilot_type, env, ws.root, out_dir, addon_outputs)

        def where(loc: tuple[str | int, ...], env_name: str = env.name) -> str:
            line = manifest.line(("environments", env_name, *loc))
            return f"{manifest.path}:{line}" if line is not None else manifest.where(loc)

        mapped = map_workload(effective, ctx, where, skip)
        for variable in sorted(missing):
            mapped.notes.append(Note("refuse", f"${{{variable}}}", f"${{{variable}}} came from the shell of whoever "
                                     f"ran `copilot deploy`; pass --var {variable}=VALUE", manifest.where()))
        per_env[env.name] = mapped.fields
        per_env_notes[env.name] = mapped.notes
    notes += _merge_notes(per_env_notes, [e.name for e in envs])
    if workload.addons:
        folder = workload.addons[0].parent
        found = import_addons(folder, shown=str(ws.show(folder)), source=_relative(folder, out_dir), workload=app,
                              taken=data_entries)
        notes += found.notes
        for fields in per_env.values():
            if found.link:
                fields["link"] = list(found.link)
            if found.addons:
                fields["addons"] = found.addons
    else:
        found = None
    if any(n.level == "refuse" for n in notes):
        return refused(*[n for n in notes if n.level == "refuse"], *[n for n in notes if n.level != "refuse"])
    if found is not None:
        data_entries.update(found.data)
    plain_first = [e.name for e in envs if not (isinstance(overrides, dict) and overrides.get(e.name))]
    fields = factor(per_env, APP_ORDER, plain_first)
    entry = writer.Commented(fields, above=[f"{source} ({copilot_type})"] + [n.comment for n in notes])
    return _Imported(entry, notes), True, per_env


def _merge_notes(per_env: Mapping[str, list[Note]], envs: list[str]) -> list[Note]:
    """One note per distinct finding; one that holds in only some environments says which."""
    seen: dict[Note, list[str]] = {}
    for env, notes in per_env.items():
        for note in notes:
            seen.setdefault(note, []).append(env)
    out = []
    for note, found in seen.items():
        if len(found) < len(envs):
            note = Note(note.level, note.field, f"{note.message} (in {', '.join(found)})", note.where)
        out.append(note)
    return out


def _typos(manifest: Manifest, tree: schema.Tree, what: str) -> tuple[list[Note], set[tuple[str | int, ...]]]:
    notes = []
    skip: set[tuple[str | int, ...]] = set()
    for loc, meant in schema.unknown_keys(manifest.data, tree):
        shown = dotted(loc)
        hint = f"did you mean '{meant}'? " if meant else ""
        notes.append(Note("warn", shown, f"{shown} is not a Copilot field ({hint}Copilot ignored it, and so does "
                                         "ecsp)", manifest.where(loc)))
        skip.add(loc)
        if loc[0] == "environments" and len(loc) > 2:
            skip.add(loc[2:])
    return notes, skip


def _addon_outputs(path: Path) -> list[str]:
    """The Outputs of a CloudFormation template (its intrinsic-function tags read as plain values)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        return None

    Loader.add_multi_constructor("!", any_tag)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # a SafeLoader: no Python objects
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    outputs = data.get("Outputs") if isinstance(data, dict) else None
    return [str(k) for k in outputs] if isinstance(outputs, dict) else []


def _snake(name: str) -> str:
    """Copilot's toSnakeCase: MyTableName -> MY_TABLE_NAME (the variable it injected)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).upper()


def _relative(path: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(path, out_dir)).as_posix()


def _environment_addons(ws: Workspace, out_dir: Path, data_entries: dict[str, Any],
                        notes: list[Note]) -> str | None:
    """The environment addons: data entries (storage init templates), else the folder deployed as it is."""
    if not ws.environment_addons:
        return None
    folder = ws.environment_addons[0].parent
    found = import_addons(folder, shown=str(ws.show(folder)), source=_relative(folder, out_dir), workload=None)
    data_entries.update(found.data)
    notes += found.notes
    return found.addons


def _project_notes(ws: Workspace) -> list[Note]:
    notes = []
    for path in ws.environment_overrides:
        notes.append(Note("warn", "overrides", f"{ws.show(path)} patched every environment's template; ecsp "
                                               "builds its environments its own way: check what it changed",
                          str(ws.show(path))))
    for pipeline in ws.pipelines:
        stages = pipeline.data.get("stages") or []
        order = " -> ".join(
            str(s.get("name")) + (" (approval)" if s.get("requires_approval") else "")
            for s in stages if isinstance(s, dict))
        notes.append(Note("warn", "pipeline", f"pipeline {pipeline.data.get('name', pipeline.path.parent.name)} "
                                              f"({order or 'no stages'}) is not imported: ecsp has no pipelines; "
                                              "run `ecsp up --env ENV` from your CI in that order",
                          str(pipeline.path)))
    return notes


# --------------------------------------------------------------------------- the document


@dataclass
class _Imported:
    entry: writer.Commented
    notes: list[Note]


@dataclass
class _Refused:
    lines: list[str]
    notes: list[Note]


def _sections(document: dict[str, Any], about_flags: list[Note], project_notes: list[Note]) -> dict[str, Any]:
    apps: dict[str, Any] = {}
    for name, entry in document["applications"].items():
        apps[name] = entry.entry if isinstance(entry, _Imported) else writer.Comments(entry.lines)
    out: dict[str, Any] = {
        "project": writer.Commented(document["project"], above=[n.comment for n in about_flags]),
        "_environments": writer.Comments(blank=True),
        "environments": document["environments"],
        **({"_data": writer.Comments(blank=True), "data": document["data"]} if "data" in document else {}),
        **({"addons": document["addons"]} if "addons" in document else {}),
        "_applications": writer.Comments(blank=True),
        "applications": apps if any(isinstance(e, _Imported) for e in document["applications"].values())
        else writer.Commented({}, above=[line for entry in apps.values() for line in entry.lines]),
    }
    if project_notes:
        out["_notes"] = writer.Comments(["not imported, for you to do:"] + [f"  {n.comment}" for n in project_notes],
                                        blank=True)
    return out


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    """The document without comments (what YAML reads back from the text)."""
    def strip(value: Any) -> Any:
        if isinstance(value, writer.Commented):
            return strip(value.value)
        if isinstance(value, _Imported):
            return strip(value.entry)
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not isinstance(v, _Refused | writer.Comments)}
        return value
    return strip(document)


def _header(ws: Workspace, project: str) -> list[str]:
    return [
        f"ecsp.yaml imported from the Copilot application {ws.application} ({ws.show(ws.copilot)}/) by "
        "`ecsp import copilot`.",
        "ecsp creates new resources next to Copilot's; it does not adopt Copilot's CloudFormation stacks.",
        "Review every refuse:, warn: and note: line, then run `ecsp validate` and `ecsp plan`.",
        "Copilot set COPILOT_APPLICATION_NAME, COPILOT_ENVIRONMENT_NAME and COPILOT_SERVICE_NAME in each container;",
        "ecsp sets ECSP_PROJECT, ECSP_ENVIRONMENT and ECSP_APPLICATION: code reading the old names must change.",
    ]
