"""``ecsp import copilot``: turn a Copilot workspace into an ecsp.yaml, with notes.

    from ecsp.importer import import_copilot
    result = import_copilot("path/to/repo", environments=["test=us-west-2:111111111111"])
    print(result.text)          # the commented ecsp.yaml
    for note in result.notes:   # every field that was dropped, refused or converted
        print(note)

Modules: :mod:`.workspace` reads the folder, :mod:`.application` imports one workload (mapped
in each environment by :mod:`.workload`), :mod:`.environment` maps an environment manifest,
:mod:`.factor` folds environments into base + overrides, :mod:`.writer` writes the commented
YAML. Nothing here writes files or calls AWS except ``from_aws`` (reads only).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecsp import naming
from ecsp.config import name_problem
from ecsp.errors import ConfigError, ConfigProblem, UsageError
from ecsp.importer import beside, runtime, schema, transform_stub, writer
from ecsp.importer.application import Imported, Names, Refused, import_workload, relative, shorter, typos
from ecsp.importer.data import import_addons
from ecsp.importer.environment import map_environment
from ecsp.importer.fields import Env, Mapped, Note
from ecsp.importer.live import LiveApp
from ecsp.importer.workspace import Workspace

__all__ = ["EnvSpec", "ImportResult", "Note", "import_copilot", "parse_env", "parse_rename"]

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


def parse_rename(text: str) -> tuple[str, str]:
    """``--rename OLD=NEW``: a Copilot service or environment and its name in ecsp.yaml."""
    old, sep, new = text.partition("=")
    if not sep or not old or not new:
        raise UsageError(f"--rename {text}: expected OLD=NEW",
                         fix="e.g. --rename customer-notifications-service=notifications")
    return old, new


@dataclass
class ImportResult:
    """The imported project: its text, its data, and what happened to each Copilot field."""

    text: str
    document: dict[str, Any]
    notes: list[Note]
    applications: list[str]
    refused: list[str]  # workloads not imported
    environments: list[str]
    workspace: Path = field(default_factory=Path)
    refused_environments: list[str] = field(default_factory=list)
    # What validating the written text found (it should be nothing; anything here is a bug to report).
    problems: list[ConfigProblem] = field(default_factory=list)
    report: list[str] = field(default_factory=list)  # with from_aws: what is reused, new, and Copilot's
    live: LiveApp | None = None  # with from_aws: Copilot's stacks as read
    # Files to write next to ecsp.yaml, by name (the transform stub for taskdef_overrides).
    files: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[Note]:
        return [n for n in self.notes if n.level == "warn"]

    @property
    def refusals(self) -> list[Note]:
        """Everything refused: workloads, fields of imported ones, environments."""
        return [n for n in self.notes if n.level == "refuse"]

    @property
    def complete(self) -> bool:
        """Nothing was refused or dropped and the file validates (warnings and notes allowed)."""
        return not self.refusals and not self.problems

    def incomplete_because(self) -> str:
        """What makes the import incomplete, in one line ("" when it is complete)."""
        parts = []
        if self.refused:
            parts.append(f"refused {', '.join(self.refused)}")
        if self.refused_environments:
            parts.append(f"refused environment{'s' if len(self.refused_environments) > 1 else ''} "
                         f"{', '.join(self.refused_environments)}")
        if self.problems:
            parts.append(f"the written file does not validate ({len(self.problems)} problem"
                         f"{'s' if len(self.problems) > 1 else ''})")
        return "; ".join(parts)


def import_copilot(
    directory: str | Path | None = None,
    *,
    environments: Sequence[EnvSpec | str] = (),
    region: str | None = None,
    name: str | None = None,
    account: str | None = None,
    domain: str | None = None,
    variables: Mapping[str, str] | None = None,
    renames: Mapping[str, str] | Sequence[str] = (),
    from_aws: bool = False,
    profile: str | None = None,
    endpoint_url: str | None = None,
    output: str | Path | None = None,
) -> ImportResult:
    """Read the Copilot workspace at ``directory`` (``./copilot`` by default) and build its ecsp.yaml.

    ``environments`` give each environment's region, account and profile (Copilot keeps them
    outside the manifests); with ``from_aws`` they are read from Copilot's SSM parameters, and
    the flags win where both say something. ``variables`` give the shell variables
    (``${IMAGE_TAG}``) that Copilot read from whoever deployed. ``renames`` (``{OLD: NEW}`` or
    ``["OLD=NEW"]``) give services and environments new names in ecsp.yaml (names longer than
    ecsp's limits must be renamed). ``name`` is the ecsp project's name, and Copilot's
    application's when ``copilot/.workspace`` is missing. ``output`` is where ecsp.yaml will be
    written (default: the workspace root), so build paths can be made relative to it.
    """
    from ecsp.importer import workspace as workspaces

    ws = workspaces.read(directory, application=name)
    given = [parse_env(e) if isinstance(e, str) else e for e in environments]
    renamed = dict(parse_rename(r) for r in renames) if not isinstance(renames, Mapping) else dict(renames)
    project = name or ws.application
    problem = name_problem("project", project, naming.MAX_PROJECT)
    if problem:
        raise UsageError(f"{ws.show(ws.summary)}: {problem}", fix="pass --name NAME to choose the ecsp project name")
    app_info = None
    if from_aws:
        from ecsp.importer.aws import read_app

        app_info = read_app(ws.application, region=region, profile=profile, endpoint_url=endpoint_url)
    _check_renames(ws, renamed, given, app_info)
    out_dir = Path(output).parent if output is not None else ws.root
    project_notes: list[Note] = []
    if not (ws.summary.is_file()):
        project_notes.append(Note("note", "project.name", f"{ws.show(ws.summary)} is missing; the Copilot "
                                  f"application is {ws.application} (--name)", f"{ws.show(ws.copilot)}/"))
    envs, refused_envs = _environments(ws, given, app_info, region, renamed, project_notes)
    home = region or (app_info.region if app_info else None) or envs[0][1].region
    if home is None:
        raise UsageError("no region for the project", fix="pass --region")
    if region is None and app_info is None:
        project_notes.append(Note("note", "project.region", f"project.region is {home}, the region of environment "
                                  f"{envs[0][0].name}; pass --region to choose another"))
    env_mapped = {env.name: _environment(ws, env) for env, _ in envs}
    live = None
    copilot_domain = app_info.domain if app_info else None
    if from_aws:
        from ecsp.importer.live import read_stacks, regions_of

        live = read_stacks(ws.application, regions_of((env.region, spec.profile) for env, spec in envs),
                           endpoint_url=endpoint_url)
        if copilot_domain and not domain:
            # ecsp's zones would be Copilot's (<app>.<domain>, <env>.<app>.<domain>): keep Copilot's names as
            # aliases instead, served with Copilot's certificates, until Copilot is retired.
            project_notes.append(Note("note", "project.domain", f"project.domain is not set: Copilot's zones "
                                      f"{ws.application}.{copilot_domain} and <env>.{ws.application}.{copilot_domain} "
                                      "keep serving its host names, which the web applications keep as aliases; "
                                      "pass --domain to give ecsp zones of its own", ""))
    else:
        domain = domain or copilot_domain
    for env, _ in envs:
        stack = live.environment(env.copilot_name) if live else None
        if live is not None and stack is not None:
            mapped = env_mapped[env.name]
            mapped[1].notes += beside.environment_fields(mapped[1].fields, stack,
                                                         live.load_balancers.get(env.copilot_name), mapped[0] or "")
    envs = [(dataclasses.replace(
        env, zone=naming.environment_zone(project, env.name, domain) if domain else None,
        certificates=bool(env_mapped[env.name][1].fields.get("certificates")),
        copilot_domain=copilot_domain if live and _has_subdomain(live, env.copilot_name) else None), spec)
        for env, spec in envs]
    known = [env.name for env, _ in envs]
    names = Names(project, ws.application, {k: v for k, v in renamed.items() if k not in ws.environments})
    apps: dict[str, Imported | Refused] = {}
    placements: dict[str, set[str]] = {e: set() for e in known}
    backlog: dict[str, set[str]] = {e: set() for e in known}  # workers scaling on queue_delay
    data_entries: dict[str, Any] = {}
    linked = beside.live_data(live, [(env.copilot_name, env.name) for env, _ in envs]) if live else None
    environment_addons = _environment_addons(ws, out_dir, data_entries, project_notes, linked)
    for workload in ws.workloads:
        entry = import_workload(ws, workload, names, [env for env, _ in envs], out_dir, dict(variables or {}),
                                data_entries, linked)
        apps[entry.name] = entry
        if isinstance(entry, Imported):
            for env_name, app_fields in entry.per_env.items():
                if app_fields.get("placement") == "private":
                    placements[env_name].add(entry.name)
                count = app_fields.get("count")
                if isinstance(count, dict) and count.get("queue_delay"):
                    backlog[env_name].add(entry.name)
    _refuse_subscribers_of_refused(ws, apps)
    imported = {a.copilot_name: a for a in apps.values() if isinstance(a, Imported)}
    ports = {name: (a.name, next((f["port"] for f in a.per_env.values() if f.get("port")), None))
             for name, a in imported.items()}
    for workload in ws.workloads:
        found = imported.get(str(workload.manifest.data.get("name", workload.name)))
        if found is not None:
            found.add_notes(runtime.local_name_notes(workload.manifest, ws.application, ports))
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
        if env.copilot:
            source.append(f"note: environment {env.copilot} is imported as {env.name} (--rename)")
        environments_doc[env.name] = writer.Commented(fields, above=source + [n.comment for n in mapped[1].notes])
    document["environments"] = environments_doc
    if data_entries:
        document["data"] = data_entries
    if environment_addons is not None:
        document["addons"] = environment_addons
    document["applications"] = apps
    notes = about_flags + project_notes + [n for _, m in env_mapped.values() for n in m.notes]
    notes += [n for entry in apps.values() for n in entry.notes]
    plain = _plain(document)
    text = writer.dump(_sections(document, about_flags, project_notes), header=_header(ws))
    stubs = _taskdef_overrides(ws)
    files = {transform_stub.FILE: transform_stub.stub(stubs)} if stubs else {}
    target = Path(output) if output is not None else ws.root / "ecsp.yaml"
    report = beside.report(live, {e.copilot_name: e.name for e, _ in envs},
                           {a.copilot_name: a.name for a in apps.values() if isinstance(a, Imported)}) if live else []
    return ImportResult(text, plain, notes, [a.name for a in apps.values() if isinstance(a, Imported)],
                        [a.name for a in apps.values() if isinstance(a, Refused)], known, ws.root,
                        refused_envs, _problems(text, target, out_dir), report, live, files)


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


def _environment_addons(ws: Workspace, out_dir: Path, data_entries: dict[str, Any], notes: list[Note],
                        live: beside.LiveData | None = None) -> str | None:
    """The environment addons: data entries (storage init templates), else the folder deployed as it is."""
    if not ws.environment_addons:
        return None
    folder = ws.environment_addons[0].parent
    found = import_addons(folder, shown=str(ws.show(folder)), source=relative(folder, out_dir), workload=None,
                          live=live)
    data_entries.update(found.data)
    notes += found.notes
    return found.addons


def _refuse_subscribers_of_refused(ws: Workspace, apps: dict[str, Imported | Refused]) -> None:
    """Refuse each worker subscribed to a topic of a refused service (and so on, for its own topics): its
    queue would receive nothing, and ecsp.yaml would name an application it does not have."""
    changed = True
    while changed:
        changed = False
        refused = {name for name, entry in apps.items() if isinstance(entry, Refused)}
        for name, entry in list(apps.items()):
            if not isinstance(entry, Imported):
                continue
            publishers = sorted({str(s.get("app")) for fields in entry.per_env.values()
                                 for s in fields.get("subscribe") or [] if isinstance(s, Mapping)} & refused)
            if not publishers:
                continue
            manifest = next(w.manifest for w in ws.workloads
                            if str(w.manifest.data.get("name", w.name)) == entry.copilot_name)
            note = Note("refuse", "subscribe", f"subscribe.topics names {' and '.join(publishers)}, which "
                        f"{'is' if len(publishers) == 1 else 'are'} not imported (refused above), so its queue "
                        f"would receive nothing; import {publishers[0]} first, or remove the subscription",
                        manifest.where(("subscribe", "topics")))
            lines = [f"refused: {manifest.path} ({manifest.data.get('type')}) is not imported:", f"  {note.comment}"]
            apps[name] = Refused(name, lines, [note])
            changed = True


def _has_subdomain(live: LiveApp, env: str) -> bool:
    """Whether Copilot's environment ``env`` has a zone of its own (the application has a domain)."""
    stack = live.environment(env)
    return stack is not None and bool(stack.outputs.get("EnvironmentSubdomain"))


def _problems(text: str, target: Path, folder: Path) -> list[ConfigProblem]:
    """What ecsp's own loader says about the written text (build contexts relative to ``folder``)."""
    from ecsp.loader import loads

    try:
        loads(text, str(target), root=folder if folder.is_dir() else None)
    except ConfigError as e:
        return list(e.problems)
    return []


def _check_renames(ws: Workspace, renames: Mapping[str, str], given: list[EnvSpec], app_info: Any) -> None:
    """Every --rename names a service or environment of the workspace and a valid new name."""
    services = {str(w.manifest.data.get("name", w.name)) for w in ws.workloads}
    envs = set(ws.environments) | {g.name for g in given} | set(app_info.environments if app_info else ())
    for old, new in renames.items():
        if old not in services and old not in envs:
            raise UsageError(f"--rename {old}={new}: there is no service or environment {old} in "
                             f"{ws.show(ws.copilot)}", fix=f"services: {', '.join(sorted(services)) or 'none'}; "
                             f"environments: {', '.join(sorted(envs)) or 'none'}")
        what = "environment" if old in envs else "application"
        limit = naming.MAX_ENVIRONMENT if old in envs else naming.MAX_APPLICATION
        problem = name_problem(what, new, limit)
        if problem:
            raise UsageError(f"--rename {old}={new}: {problem}", fix=f"choose another name for {old}")
    taken = [new for new in renames.values() if list(renames.values()).count(new) > 1 or new in services - set(renames)]
    if taken:
        raise UsageError(f"--rename: {taken[0]} would name two services", fix="choose names no other service has")


# --------------------------------------------------------------------------- environments


def _environments(ws: Workspace, given: list[EnvSpec], app_info: Any, region: str | None,
                  renames: Mapping[str, str], notes: list[Note]) -> tuple[list[tuple[Env, EnvSpec]], list[str]]:
    """The environments to import (named as in ecsp.yaml), and those refused for their names."""
    names = list(ws.environments)
    names += [g.name for g in given if g.name not in names and g.name not in renames.values()]
    if app_info is not None:
        names += [n for n in app_info.environments if n not in names]
    if not names:
        raise UsageError(f"{ws.show(ws.copilot)} has no environments (no environments/*/manifest.yml)",
                         fix="name each with --env NAME=REGION[:ACCOUNT], or read them with --from-aws")
    flags = {g.name: g for g in given}
    out: list[tuple[Env, EnvSpec]] = []
    lacking: list[str] = []
    refused: list[str] = []
    for copilot in names:
        env = renames.get(copilot, copilot)
        # --env may name the environment either way.
        spec = flags.get(copilot) or flags.get(env) or EnvSpec(env)
        problem = name_problem("environment", env, naming.MAX_ENVIRONMENT)
        if problem:
            manifest = ws.environments.get(copilot)
            fix = (f"pass --rename {copilot}={shorter(copilot, naming.MAX_ENVIRONMENT)} (or another name)"
                   if env == copilot else f"choose another NEW in --rename {copilot}=NEW")
            notes.append(Note("refuse", "environment", f"environment {copilot} is not imported: {problem}; {fix}",
                              manifest.where(("name",)) if manifest else ""))
            refused.append(copilot)
            continue
        ssm_region, ssm_account = app_info.environments.get(copilot, (None, None)) if app_info else (None, None)
        env_region = spec.region or ssm_region
        if env_region is None and region is not None:
            env_region = region
            notes.append(Note("note", f"environments.{env}", f"environment {env}'s region is --region {region}; "
                              f"pass --env {env}=REGION to choose another"))
        if env_region is None:
            lacking.append(copilot)
        out.append((Env(env, env_region, spec.account or ssm_account, copilot if copilot != env else ""), spec))
    if lacking:
        flags_text = " ".join(f"--env {e}=REGION" for e in lacking)
        raise UsageError(f"Copilot keeps environments' regions outside the manifests, and none is known for "
                         f"{', '.join(lacking)}", fix=f"pass {flags_text} (add :ACCOUNT for Secrets Manager "
                         "secrets), --region for all of them, or --from-aws to read Copilot's SSM parameters")
    if not out:
        raise UsageError(f"no environment of {ws.show(ws.copilot)} can be imported ({', '.join(refused)})",
                         fix=" ".join(f"--rename {e}={shorter(e, naming.MAX_ENVIRONMENT)}" for e in refused))
    return out, refused


def _environment(ws: Workspace, env: Env) -> tuple[str | None, Mapped]:
    manifest = ws.environments.get(env.copilot_name)
    if manifest is None:
        return None, Mapped()
    if not manifest.data:
        return str(manifest.path), Mapped(notes=[Note("note", "manifest", f"{manifest.path} is empty: the "
                                                      "environment gets ecsp's defaults", str(manifest.path))])
    notes, skip = typos(manifest, schema.ENVIRONMENT, f"environment {env.name}")
    copilot_type = manifest.data.get("type")
    if copilot_type != "Environment":
        notes.append(Note("warn", "type", f"type is {copilot_type!r}, not Environment; read as an environment anyway",
                          manifest.where(("type",))))
    mapped = map_environment(manifest.data, manifest.where, skip)
    mapped.notes[:0] = notes
    return str(manifest.path), mapped


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


def _sections(document: dict[str, Any], about_flags: list[Note], project_notes: list[Note]) -> dict[str, Any]:
    apps: dict[str, Any] = {}
    for name, entry in document["applications"].items():
        apps[name] = entry.entry if isinstance(entry, Imported) else writer.Comments(entry.lines)
    out: dict[str, Any] = {
        "project": writer.Commented(document["project"], above=[n.comment for n in about_flags]),
        "_environments": writer.Comments(blank=True),
        "environments": document["environments"],
        **({"_data": writer.Comments(blank=True), "data": document["data"]} if "data" in document else {}),
        **({"addons": document["addons"]} if "addons" in document else {}),
        "_applications": writer.Comments(blank=True),
        "applications": apps if any(isinstance(e, Imported) for e in document["applications"].values())
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
        if isinstance(value, Imported):
            return strip(value.entry)
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if not isinstance(v, Refused | writer.Comments)}
        return value
    return strip(document)


def _header(ws: Workspace) -> list[str]:
    return [
        f"ecsp.yaml imported from the Copilot application {ws.application} ({ws.show(ws.copilot)}/) by "
        "`ecsp import copilot`.",
        "ecsp creates new resources next to Copilot's; it does not adopt Copilot's CloudFormation stacks.",
        "Review every refuse:, warn: and note: line, then run `ecsp validate` and `ecsp plan`.",
    ]
