"""One Copilot workload becomes one ecsp application across the imported environments, or is refused.

The workload is mapped in each environment from its effective manifest there
(:func:`ecsp.importer.workload.map_workload`), its notes merged, its per-environment fields
folded into base plus overrides (:mod:`ecsp.importer.factor`, Copilot's base kept as the
base), and its run-time changes said (:mod:`ecsp.importer.runtime`). A refused workload
becomes comment lines that say every reason.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecsp import naming
from ecsp.addons import parse_template
from ecsp.config import APPLICATION_TYPES, Capability, name_problem
from ecsp.importer import convert, runtime, schema, writer
from ecsp.importer.beside import LiveData
from ecsp.importer.data import import_addons
from ecsp.importer.factor import factor
from ecsp.importer.fields import COPILOT_TYPES, Env, Loc, Note, WorkloadContext, dotted, flag, strings
from ecsp.importer.workload import map_workload
from ecsp.importer.workspace import Manifest, Workload, Workspace

ORDER = ("kind", "image", "entrypoint", "command", "port", "path", "aliases", "target_container", "routes",
         "healthcheck",
         "cpu", "memory", "platform", "count", "capacity", "exec", "placement", "connect", "publish", "subscribe",
         "queue", "schedule", "timeout", "retries", "variables", "secrets", "link", "security_groups",
         "managed_policies", "addons", "sidecars", "logging", "log_retention", "storage", "deployment",
         "deregistration_delay")
WEB_SERVICE = "Load Balanced Web Service"


@dataclass
class Imported:
    """An imported application: its entry in ecsp.yaml (with comments), its notes and its fields per environment."""

    name: str
    entry: writer.Commented
    notes: list[Note]
    per_env: dict[str, dict[str, Any]] = field(default_factory=dict)
    copilot_name: str = ""

    def add_notes(self, notes: list[Note]) -> None:
        self.notes += notes
        self.entry.above += [n.comment for n in notes]


@dataclass
class Refused:
    """A workload not imported: the comment lines written in its place, and why."""

    name: str
    lines: list[str]
    notes: list[Note]


@dataclass(frozen=True)
class Names:
    """The names a workload's import needs besides its own: the project's and Copilot's, and the renames."""

    project: str  # the ecsp project
    copilot_app: str  # the Copilot application (what ${COPILOT_APPLICATION_NAME} was)
    renames: Mapping[str, str]  # Copilot service -> ecsp application (--rename)


def import_workload(ws: Workspace, workload: Workload, names: Names, envs: list[Env], out_dir: Path,
                    given: Mapping[str, str], data_entries: dict[str, Any],
                    live: LiveData | None = None) -> Imported | Refused:
    """The application ``workload`` becomes in ``envs`` (or its refusal).

    The storage its addons hold becomes data entries, added to ``data_entries`` when it is imported
    (linked to Copilot's live resources with ``live``).
    """
    manifest = workload.manifest
    data = manifest.data
    copilot_type = data.get("type")
    copilot_name = str(data.get("name", workload.name))
    app = names.renames.get(copilot_name, copilot_name)

    def refused(*notes: Note) -> Refused:
        shown = f" ({copilot_type})" if copilot_type else ""
        lines = [f"refused: {manifest.path}{shown} is not imported:"] + [f"  {n.comment}" for n in notes]
        return Refused(app, lines, list(notes))

    if not data:
        return refused(Note("refuse", "manifest", f"{manifest.path} is empty: Copilot could not deploy it either; "
                                                  "write its name and type (or delete the folder)", str(manifest.path)))
    if copilot_type in ("Request-Driven Web Service", "Static Site"):
        what = ("runs on App Runner, which ecsp does not create; re-create it as a Load Balanced Web Service "
                "(an ecsp web application) by hand, or keep it in Copilot") if copilot_type.startswith("Request") else (
                "is an S3 bucket behind CloudFront, which ecsp does not create; keep it in Copilot or host the "
                "files elsewhere")
        return refused(Note("refuse", "type", f"type {copilot_type} {what}", manifest.where(("type",))))
    if copilot_type not in COPILOT_TYPES:
        close = difflib.get_close_matches(str(copilot_type), schema.WORKLOAD_TYPES, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"Copilot's types are {', '.join(schema.WORKLOAD_TYPES)}"
        return refused(Note("refuse", "type", f"type {copilot_type!r} is not a Copilot workload type; {hint}",
                            manifest.where(("type",))))
    problem = name_problem("application", app, naming.MAX_APPLICATION)
    if problem:
        fix = (f"pass --rename {copilot_name}={shorter(copilot_name, naming.MAX_APPLICATION)} (or another name)"
               if app == copilot_name else f"choose another NEW in --rename {copilot_name}=NEW")
        return refused(Note("refuse", "name", f"name {problem}; {fix}", manifest.where(("name",))))
    patches = list(workload.overrides)
    if patches:
        shown = ", ".join(str(ws.show(p)) for p in patches)
        return refused(Note("refuse", "overrides", f"overrides {shown} patch the CloudFormation template Copilot "
                                                   "generated; ecsp builds its stacks its own way, so the patched "
                                                   "behaviour would be lost: port them to ecsp fields first",
                            str(ws.show(patches[0]))))

    notes, skip = typos(manifest, schema.workload(copilot_type), f"service {app}")
    type_name = ""  # the application type COPILOT_TYPES gives
    written = data.get("environments")
    overrides: dict[str, Any] = written if isinstance(written, dict) else {}
    if copilot_type == WEB_SERVICE and flag(data.get("http")) is False:
        # A web service without a load balancer is what ecsp calls a backend: the type that serves without HTTP.
        type_name = next(t.name for t in APPLICATION_TYPES.values()
                         if t.has(Capability.SERVE) and not t.has(Capability.HTTP))
        notes.append(Note("note", "http", "http is false: the service has no load balancer, so it is imported as "
                                          f"kind: {type_name}", manifest.where(("http",))))
    elif copilot_type == WEB_SERVICE:
        for env in envs:
            override = overrides.get(env.copilot_name)
            if isinstance(override, dict) and flag(override.get("http")) is False:
                notes.append(Note("refuse", "http", f"environments.{env.copilot_name}.http is false: the service has "
                                  "a load balancer in some environments and not in others, and an ecsp application "
                                  "is one kind everywhere: make it the same in every environment",
                                  manifest.where(("environments", env.copilot_name, "http"))))
    application_type = APPLICATION_TYPES[type_name or COPILOT_TYPES[copilot_type]]
    known = {e.copilot_name for e in envs}
    for env_name in overrides:
        if env_name not in known:
            notes.append(Note("warn", f"environments.{env_name}", f"environments.{env_name} overrides an environment "
                                                                 f"that is not imported ({', '.join(sorted(known))}); "
                                                                 "dropped", manifest.where(("environments", env_name))))
    base = {k: v for k, v in data.items() if k != "environments"}
    addon_outputs = tuple(o for path in workload.addons for o in addon_template_outputs(path))
    per_env: dict[str, dict[str, Any]] = {}
    copilot_base: dict[str, dict[str, Any]] = {}
    per_env_notes: dict[str, list[Note]] = {}
    missing: set[str] = set()
    for env in envs:
        override = overrides.get(env.copilot_name)
        predefined = {"COPILOT_APPLICATION_NAME": names.copilot_app, "COPILOT_ENVIRONMENT_NAME": env.copilot_name}
        ctx = WorkloadContext(names.project, app, copilot_type, env, ws.root, out_dir, addon_outputs,
                              copilot_app=names.copilot_app, copilot_workload=copilot_name, renames=names.renames,
                              type_name=type_name)

        def where(loc: Loc, env_name: str = env.copilot_name) -> str:
            line = manifest.line(("environments", env_name, *loc))
            return f"{manifest.path}:{line}" if line is not None else manifest.where(loc)

        effective = convert.merge(base, override if isinstance(override, dict) else None)
        mapped = map_workload(convert.interpolate(effective, predefined, given, missing), ctx, where, skip)
        per_env[env.name] = mapped.fields
        per_env_notes[env.name] = mapped.notes
        # What the manifest's base alone maps to here: its notes are the effective manifest's to say.
        copilot_base[env.name] = map_workload(convert.interpolate(base, predefined, given, set()), ctx, where,
                                              skip).fields
    notes += merge_notes(per_env_notes, [e.name for e in envs])
    notes += shell_variable_notes(manifest, missing)
    found = None
    if workload.addons:
        folder = workload.addons[0].parent
        found = import_addons(folder, shown=str(ws.show(folder)), source=relative(folder, out_dir), workload=app,
                              taken=data_entries, owner=copilot_name, live=live)
        notes += found.notes
        for fields in per_env.values():
            if found.link:
                fields["link"] = list(found.link)
            if found.addons:
                fields["addons"] = found.addons
    if any(n.level == "refuse" for n in notes):
        return refused(*[n for n in notes if n.level == "refuse"], *[n for n in notes if n.level != "refuse"])
    if found is not None:
        data_entries.update(found.data)
    plain_first = [e.name for e in envs if not overrides.get(e.copilot_name)]
    fields = factor(per_env, ORDER, plain_first, copilot_base)
    merged = {k: v for f in per_env.values() for k, v in f.items()}
    notes += runtime.workload_notes(application_type=application_type, fields=merged, project=names.project,
                                    application=app, copilot_app=names.copilot_app, copilot_service=copilot_name,
                                    envs=envs, where=manifest.where(("name",)))
    if app != copilot_name:
        notes.insert(0, Note("note", "name", f"{copilot_name} is imported as {app} (--rename)",
                             manifest.where(("name",))))
    source = f"from {manifest.path} ({copilot_type})"
    entry = writer.Commented(fields, above=[source] + [n.comment for n in notes])
    return Imported(app, entry, notes, per_env, copilot_name)


def shorter(name: str, limit: int) -> str:
    """A name within ``limit`` to suggest for ``name``: its first words that fit (cut at a hyphen where possible)."""
    words = name.split("-")
    out = words[0][:limit]
    for word in words[1:]:
        if len(out) + 1 + len(word) > limit:
            break
        out = f"{out}-{word}"
    return out


def shell_variable_notes(manifest: Manifest, missing: set[str]) -> list[Note]:
    """One refusal per ``${VAR}`` the shell gave Copilot, where it is written (base and overrides)."""
    notes = []
    for loc, value in strings(manifest.data):
        for match in convert.VARIABLE.finditer(value):
            name = match.group(2)
            if not match.group(1) and name in missing:
                notes.append(Note("refuse", f"${{{name}}}", f"{dotted(loc)}: ${{{name}}} came from the shell of "
                                  f"whoever ran `copilot deploy`; pass --var {name}=VALUE", manifest.where(loc)))
    return notes


def merge_notes(per_env: Mapping[str, list[Note]], envs: list[str]) -> list[Note]:
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


def typos(manifest: Manifest, tree: schema.Tree, what: str) -> tuple[list[Note], set[Loc]]:
    """Warnings for keys Copilot does not know (with a did-you-mean), and their places, to skip when mapping."""
    notes = []
    skip: set[Loc] = set()
    for loc, meant in schema.unknown_keys(manifest.data, tree):
        shown = dotted(loc)
        hint = f"did you mean '{meant}'? " if meant else ""
        notes.append(Note("warn", shown, f"{shown} is not a Copilot field ({hint}Copilot ignored it, and so does "
                                         "ecsp)", manifest.where(loc)))
        skip.add(loc)
        if loc[0] == "environments" and len(loc) > 2:
            skip.add(loc[2:])
    return notes, skip


def addon_template_outputs(path: Path) -> list[str]:
    """The Outputs of a CloudFormation template (none when it is not a readable template)."""
    template = parse_template(path)
    outputs = template.get("Outputs") if template is not None else None
    return [str(k) for k in outputs] if isinstance(outputs, Mapping) else []


def relative(path: Path, out_dir: Path) -> str:
    """``path`` as ecsp.yaml in ``out_dir`` names it."""
    return Path(os.path.relpath(path, out_dir)).as_posix()
