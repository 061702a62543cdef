"""CloudFormation addons as Copilot deployed them: read, check, merge, and what each output becomes.

An addon is a folder of CloudFormation templates (Copilot's ``copilot/<app>/addons/`` or
``copilot/environments/addons/``, with an optional ``addons.parameters.yml``) or one template.
ecsp deploys each set as one CloudFormation stack (``aws.cloudformation.Stack``, in the
environment's storage stack) with Copilot's parameter contract: ``App``, ``Env`` and, for an
application's addons, ``Name``, plus the parameters file's. This module is the edge: it reads
the files (programs read none), so :func:`load` runs in the loader (every problem becomes a
``FILE:LINE`` error) and when stack contexts are built.

Outputs are routed as Copilot's ``internal/pkg/addon/output.go`` classifies them, by the type
of the resource an output ``!Ref``-s: a managed policy is attached to the task role, a secret
becomes a container secret, a security group joins the service's, and anything else becomes a
variable; secrets and variables are named by Copilot's ``toSnakeCase`` of the output's name.

Addons read Copilot's environment through its exports (``Fn::ImportValue: ${App}-${Env}-VpcId``,
``-PrivateSubnets``...). ecsp's environment exports nothing, and Copilot's, while it still
exists, is another VPC: each such import becomes a parameter ecsp gives from its own
environment, and an import of an export ecsp has no counterpart for is a problem to fix.

Templates are parsed with their short intrinsic tags (``!Ref``, ``!GetAtt``, ``!Sub``...)
turned into the long form, so the merged template can be sent as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from ecsp import naming
from ecsp.errors import ConfigError, ConfigProblem
from ecsp.yamlfile import Lines

if TYPE_CHECKING:
    from ecsp.config import ProjectConfig

PARAMETERS_FILES = ("addons.parameters.yml", "addons.parameters.yaml")
# A folder's templates are its YAML files, as Copilot read them: it skipped anything else (a .json too).
TEMPLATE_SUFFIXES = (".yml", ".yaml")
# CloudFormation takes a template body of at most 51,200 bytes in the request (larger ones go through S3).
TEMPLATE_BODY_LIMIT = 51_200
SECTIONS = ("Metadata", "Parameters", "Mappings", "Conditions", "Transform", "Resources", "Outputs")
WORKLOAD_PARAMETERS = ("App", "Env", "Name")
ENVIRONMENT_PARAMETERS = ("App", "Env")
# What a parameters file may refer to, besides App, Env, Name and literal values: the names
# Copilot's environment template gave the resources an addon most often asks for.
ENVIRONMENT_REFERENCES = {
    "VPC": "vpc_id", "VPCID": "vpc_id", "EnvironmentSecurityGroup": "environment_security_group_id",
    "PublicSubnets": "public_subnet_ids", "PrivateSubnets": "private_subnet_ids",
    "Cluster": "cluster_name",
}
_SUBNET_REFERENCES = {"PublicSubnet": "public_subnet_ids", "PrivateSubnet": "private_subnet_ids"}
# Copilot's environment stack exports, as ${App}-${Env}-<name>, what addons import: those ecsp's
# environment has, by the reference above that gives it (ecsp passes them as parameters instead).
COPILOT_ENVIRONMENT_EXPORTS = {
    "VpcId": "VPC", "PublicSubnets": "PublicSubnets", "PrivateSubnets": "PrivateSubnets",
    "EnvironmentSecurityGroup": "EnvironmentSecurityGroup", "ClusterId": "Cluster",
}
# And those it has no counterpart for (Copilot's env template, Outputs).
COPILOT_ONLY_EXPORTS = frozenset({
    "InternetGatewayID", "PublicRouteTableID", "PrivateRouteTableIDs", "ServiceDiscoveryNamespaceID",
    "PublicLoadBalancerDNSName", "PublicLoadBalancerFullName", "PublicLoadBalancerHostedZone", "HTTPListenerArn",
    "HTTPSListenerArn", "DefaultHTTPTargetGroupArn", "InternalLoadBalancerDNSName", "InternalLoadBalancerFullName",
    "InternalLoadBalancerHostedZone", "InternalWorkloadsHostedZone", "InternalHTTPListenerArn",
    "InternalHTTPSListenerArn", "EnvironmentManagerRoleARN", "CFNExecutionRoleARN", "EnabledFeatures",
    "ManagedFileSystemID", "LastForceDeployID", "AppRunnerVPCEndpointId", "NATIPs",
})

Route = Literal["policy", "secret", "security_group", "variable"]
_ROUTES: dict[str, Route] = {
    "AWS::IAM::ManagedPolicy": "policy",
    "AWS::SecretsManager::Secret": "secret",
    "AWS::EC2::SecurityGroup": "security_group",
}


@dataclass(frozen=True)
class Output:
    """One output of an addon stack and where Copilot sent it."""

    name: str
    route: Route
    export: bool = False  # the template exports it (others may read it with from_cfn)

    @property
    def variable(self) -> str:
        """The variable or secret a workload gets: Copilot's toSnakeCase of the output's name."""
        return naming.copilot_snake(self.name)


# A parameter value as the parameters file writes it: a literal, or a reference ecsp resolves when
# the stack deploys (("ref", NAME), ("join", SEP, [VALUES]), ("sub", TEXT)).
ParameterValue = str | tuple[Any, ...]


@dataclass(frozen=True)
class AddonStack:
    """The merged template of one set of addons, its parameters, and its outputs' routes."""

    source: str  # the folder or file, as ecsp.yaml names it
    owner: str | None  # the application, or None for the environment's addons
    body: str  # the merged template, as JSON
    parameters: dict[str, ParameterValue] = field(default_factory=dict)
    outputs: tuple[Output, ...] = ()
    resource_types: tuple[str, ...] = ()

    def routed(self, route: Route) -> list[Output]:
        return [o for o in self.outputs if o.route == route]


Addons = dict[str | None, AddonStack]


class _Problems:
    def __init__(self) -> None:
        self.found: list[ConfigProblem] = []

    def add(self, file: Path | str, line: int | None, message: str, field_: str = "") -> None:
        self.found.append(ConfigProblem(str(file), line, field_, message))


class _CfnLoader(yaml.SafeLoader):
    """YAML as CloudFormation reads it: short intrinsic tags, and dates left as text."""


# CloudFormation reads `Version: 2012-10-17` as text; YAML 1.1 would make it a date.
_CfnLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute]}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass
class _Template:
    path: Path
    data: dict[str, Any]
    lines: Lines


def _load(text: str) -> tuple[Any, Lines]:
    """A CloudFormation YAML (or JSON) document and where each of its keys is written."""
    lines = Lines()
    loader = _CfnLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            lines.walk(node)
        return (loader.construct_document(node) if node is not None else None), lines
    finally:
        loader.dispose()


def _read_template(path: Path, problems: _Problems) -> _Template | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.add(path, None, f"cannot read the template: {e}")
        return None
    try:
        data, lines = _load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problems.add(path, mark.line + 1 if mark else None,
                     f"not CloudFormation YAML or JSON: {e.problem or e}; fix the template")
        return None
    except yaml.YAMLError as e:
        problems.add(path, None, f"not CloudFormation YAML or JSON: {e}; fix the template")
        return None
    if not isinstance(data, dict):
        problems.add(path, 1, "a CloudFormation template is a mapping with a Resources section; this file is "
                              f"{'empty' if data is None else type(data).__name__}")
        return None
    template = _Template(path, data, lines)
    _check_template(template, problems)
    return template


def _check_template(t: _Template, problems: _Problems) -> None:
    data = t.data
    for key in data:
        if key not in (*SECTIONS, "AWSTemplateFormatVersion", "Description"):
            problems.add(t.path, t.lines.line((key,)), f"'{key}' is not a section of a CloudFormation template "
                                                      f"(sections: {', '.join(SECTIONS)})")
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        problems.add(t.path, t.lines.line(("Resources",)) or 1, "a CloudFormation template needs a Resources "
                                                                "section with at least one resource")
        return
    for name, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            problems.add(t.path, t.lines.line(("Resources", name)), f"resource {name} has no Type (e.g. Type: "
                                                                    "AWS::S3::Bucket)")
    outputs = data.get("Outputs", {})
    if not isinstance(outputs, dict):
        problems.add(t.path, t.lines.line(("Outputs",)), "Outputs must be a mapping of output names")
        return
    for name, output in outputs.items():
        if not isinstance(output, dict) or "Value" not in output:
            problems.add(t.path, t.lines.line(("Outputs", name)), f"output {name} has no Value")
    parameters = data.get("Parameters", {})
    if not isinstance(parameters, dict):
        problems.add(t.path, t.lines.line(("Parameters",)), "Parameters must be a mapping of parameter names")


def parse_template(path: Path) -> dict[str, Any] | None:
    """A template's data, its intrinsic tags in the long form; None when it is not a readable template."""
    template = _read_template(path, _Problems())
    return template.data if template is not None else None


def classify(data: Mapping[str, Any]) -> tuple[Output, ...]:
    """Each output and its route, by the type of the resource its value ``Ref``-s (Copilot's rule)."""
    resources = data.get("Resources") or {}
    types = {name: r.get("Type") for name, r in resources.items() if isinstance(r, dict)}
    out = []
    for name, output in (data.get("Outputs") or {}).items():
        value = output.get("Value") if isinstance(output, dict) else None
        ref = value.get("Ref") if isinstance(value, dict) and set(value) == {"Ref"} else None
        route = _ROUTES.get(str(types.get(ref)), "variable") if isinstance(ref, str) else "variable"
        exported = isinstance(output, dict) and isinstance(output.get("Export"), dict)
        out.append(Output(str(name), route, exported))
    return tuple(out)


def _merge(templates: Sequence[_Template], problems: _Problems) -> dict[str, Any]:
    """One template from several, as Copilot merges them: a key defined twice must be defined alike."""
    merged: dict[str, Any] = {}
    origin: dict[tuple[str, str], _Template] = {}
    for t in templates:
        for section in SECTIONS:
            if section not in t.data:
                continue
            value = t.data[section]
            if not isinstance(value, dict):
                if section in merged and merged[section] != value:
                    problems.add(t.path, t.lines.line((section,)), f"{section} differs from another template's; "
                                                                  "make them alike or keep one")
                merged.setdefault(section, value)
                continue
            target = merged.setdefault(section, {})
            for key, item in value.items():
                if section == "Mappings" and isinstance(target.get(key), dict) and isinstance(item, dict) \
                        and all(target[key].get(k, v) == v for k, v in item.items()):
                    # Copilot merges a mapping's second level: two templates may add keys to one map.
                    target[key] = {**target[key], **item}
                    continue
                if key in target and target[key] != item:
                    first = origin[(section, key)]
                    problems.add(t.path, t.lines.line((section, key)),
                                 f"{section}.{key} is also defined, differently, in {first.path.name}; Copilot merged "
                                 "a folder's templates into one, so rename one of them")
                    continue
                target.setdefault(key, item)
                origin.setdefault((section, key), t)
    merged["AWSTemplateFormatVersion"] = "2010-09-09"
    return merged


def _parameter_value(value: Any, where: str, problems: _Problems, path: Path, line: int | None,
                     known: Sequence[str]) -> ParameterValue | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref" and isinstance(argument, str):
            if argument in known or reference_output(argument) is not None:
                return ("ref", argument)
            problems.add(path, line, f"{where}: ecsp cannot give !Ref {argument} to an addon (it can give App, Env"
                                     f"{', Name' if 'Name' in known else ''}, {', '.join(ENVIRONMENT_REFERENCES)} and "
                                     "PublicSubnetN/PrivateSubnetN); write the value itself")
            return None
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 \
                and isinstance(argument[0], str) and isinstance(argument[1], list):
            parts = [_parameter_value(p, where, problems, path, line, known) for p in argument[1]]
            return None if any(p is None for p in parts) else ("join", argument[0], parts)
        if function == "Fn::Sub" and isinstance(argument, str):
            return ("sub", argument)
    problems.add(path, line, f"{where}: ecsp passes literal values, !Ref, !Join and !Sub to addons; "
                             f"{json.dumps(value, default=str)[:60]} is none of them: write the value itself")
    return None


def reference_output(name: str) -> tuple[str, int | None] | None:
    """The environment output (and list index) a Copilot resource name stands for, or None."""
    if name in ENVIRONMENT_REFERENCES:
        return ENVIRONMENT_REFERENCES[name], None
    for prefix, output in _SUBNET_REFERENCES.items():
        rest = name.removeprefix(prefix)
        if rest != name and rest.isdigit() and int(rest) >= 1:
            return output, int(rest) - 1
    return None


def _copilot_import(value: Any) -> str | None:
    """The name after ``${App}-${Env}-`` of an ``Fn::ImportValue`` of that form (``!Sub`` or ``!Join``), else None."""
    if not isinstance(value, dict) or set(value) != {"Fn::ImportValue"}:
        return None
    name = value["Fn::ImportValue"]
    if isinstance(name, dict) and "Fn::Sub" in name and isinstance(name["Fn::Sub"], str):
        name = name["Fn::Sub"]
    elif isinstance(name, dict) and "Fn::Join" in name:
        separator, parts = (name["Fn::Join"] + [None, None])[:2]
        if separator == "-" and isinstance(parts, list) and parts[:2] == [{"Ref": "App"}, {"Ref": "Env"}]:
            name = "${App}-${Env}-" + "-".join(str(p) for p in parts[2:])
    if isinstance(name, str) and name.startswith("${App}-${Env}-"):
        return name.removeprefix("${App}-${Env}-")
    return None


def _environment_imports(merged: dict[str, Any], templates: Sequence[_Template],
                         problems: _Problems) -> dict[str, ParameterValue]:
    """Imports of Copilot's environment exports turned into parameters ecsp gives, in ``merged`` itself.

    Addons read Copilot's environment as ``Fn::ImportValue: ${App}-${Env}-VpcId``; ecsp's
    environment exports nothing, and Copilot's, while it exists, is another VPC. Each such
    import becomes ``!Ref EcspEnvironment<Name>``, a parameter ecsp passes from its own
    environment; an export of Copilot's environment that ecsp has no counterpart for is a problem.
    """
    found: dict[str, ParameterValue] = {}

    def rewrite(value: Any) -> Any:
        name = _copilot_import(value)
        if name in COPILOT_ENVIRONMENT_EXPORTS:
            parameter = f"EcspEnvironment{name}"
            found[parameter] = ("ref", COPILOT_ENVIRONMENT_EXPORTS[name])
            return {"Ref": parameter}
        if name in COPILOT_ONLY_EXPORTS:
            problems.add(*_where_text(templates, name), f"the addon imports ${{App}}-${{Env}}-{name}, an export of "
                         "Copilot's environment stack that ecsp's environment does not make; add a parameter, "
                         "give it the value in addons.parameters.yml, and !Ref it instead")
            return value
        if isinstance(value, dict):
            return {k: rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        return value

    for section in ("Resources", "Outputs", "Conditions"):
        if section in merged:
            merged[section] = rewrite(merged[section])
    if found:
        declared = merged.setdefault("Parameters", {})
        for parameter in found:
            declared[parameter] = {"Type": "String", "Description": "ecsp's environment, where Copilot's "
                                                                    "environment stack exported it"}
    return found


def _where_text(templates: Sequence[_Template], text: str) -> tuple[Path, int | None]:
    """The first template (and line) whose text mentions ``text``."""
    for t in templates:
        try:
            lines = t.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if text in line:
                return t.path, number
    return templates[0].path, None


def _where(templates: Sequence[_Template], *loc: str) -> tuple[Path, int | None]:
    """The template and line where ``loc`` is written (else the first template's nearest written part)."""
    for t in templates:
        if t.lines.keys.get(tuple(loc)) is not None:
            return t.path, t.lines.keys[tuple(loc)]
    first = templates[0]
    return first.path, first.lines.line(tuple(loc))


def _parameters(folder: Path, templates: Sequence[_Template], template: Mapping[str, Any],
                reserved: Sequence[str], problems: _Problems) -> dict[str, ParameterValue]:
    declared = template.get("Parameters") or {}
    for key in reserved:
        if key not in declared:
            problems.add(*_where(templates, "Parameters"), f"the addon templates declare no parameter {key}; "
                         f"Copilot's contract passes {', '.join(reserved)}: add {key}: {{Type: String}} under "
                         "Parameters")
    files = [folder / name for name in PARAMETERS_FILES if (folder / name).is_file()]
    values: dict[str, ParameterValue] = {}
    written: set[str] = set()
    if len(files) > 1:
        problems.add(files[1], None, f"both {files[0].name} and {files[1].name} exist; keep one")
    if files:
        path = files[0]
        try:
            data, lines = _load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            problems.add(path, None, f"cannot read the parameters file: {e}")
            data, lines = None, Lines()
        given = data.get("Parameters") if isinstance(data, dict) else None
        if not isinstance(given, dict):
            problems.add(path, 1, "a parameters file holds Parameters: {NAME: VALUE, ...}")
            given = {}
        for name, value in given.items():
            line = lines.line(("Parameters", name))
            if name in reserved:
                problems.add(path, line, f"{name} is one of the parameters ecsp passes itself "
                                         f"({', '.join(reserved)}); remove it")
                continue
            if name not in declared:
                problems.add(path, line, f"the templates declare no parameter {name}; remove it, or declare it")
                continue
            written.add(name)
            parsed = _parameter_value(value, f"parameter {name}", problems, path, line, reserved)
            if parsed is not None:
                values[name] = parsed
    for name, spec in declared.items():
        if name in reserved or name in written:
            continue
        if not isinstance(spec, dict) or "Default" not in spec:
            missing = "addons.parameters.yml does not give it" if files else "there is no addons.parameters.yml"
            problems.add(*_where(templates, "Parameters", name), f"parameter {name} has no Default and {missing}; "
                         "give it a Default, or a value in addons.parameters.yml")
    return values


def template_files(path: Path) -> list[Path]:
    """The templates of an addon path: the file itself, or a folder's templates (not its parameters file)."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in TEMPLATE_SUFFIXES
                  and p.name not in PARAMETERS_FILES)


def read(root: Path, source: str, owner: str | None) -> tuple[AddonStack | None, list[ConfigProblem]]:
    """The addon stack of ``source`` (relative to ``root``), or the problems that prevent it."""
    problems = _Problems()
    path = root / source
    if not path.exists():
        problems.add(path, None, f"{source} does not exist next to ecsp.yaml; fix the path")
        return None, problems.found
    files = template_files(path)
    if not files:
        problems.add(path, None, f"{source} holds no CloudFormation template (a folder's .yml and .yaml files, as "
                                 "Copilot read them; one file may also be .json)")
        return None, problems.found
    templates = [t for f in files if (t := _read_template(f, problems)) is not None]
    if problems.found:
        return None, problems.found
    merged = _merge(templates, problems)
    reserved = WORKLOAD_PARAMETERS if owner else ENVIRONMENT_PARAMETERS
    folder = path if path.is_dir() else path.parent
    parameters = _parameters(folder, templates, merged, reserved, problems)
    parameters.update(_environment_imports(merged, templates, problems))
    body = json.dumps(merged, sort_keys=True, separators=(",", ":"), default=str)
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        problems.add(files[0], None, f"the merged template is {len(body.encode())} bytes; ecsp sends addon templates "
                                     f"inline, which CloudFormation takes up to {TEMPLATE_BODY_LIMIT}: split it "
                                     "into several addon folders")
    if problems.found:
        return None, problems.found
    types = tuple(sorted({str(r["Type"]) for r in merged["Resources"].values()}))
    return AddonStack(source, owner, body, parameters, classify(merged), types), []


def sources(config: ProjectConfig) -> list[tuple[str | None, str]]:
    """Every addon path of the project with its owner (an application, or None for the environment's)."""
    found: list[tuple[str | None, str]] = [(None, config.addons)] if config.addons is not None else []
    return found + [(app, cfg.addons) for app, cfg in config.applications.items() if cfg.addons is not None]


def read_all(config: ProjectConfig, root: Path) -> tuple[Addons, list[tuple[str | None, ConfigProblem]]]:
    """Every addon stack of the project by owner, and each problem found with the owner it belongs to."""
    found: Addons = {}
    problems: list[tuple[str | None, ConfigProblem]] = []
    for owner, source in sources(config):
        stack, errors = read(root, source, owner)
        problems += [(owner, e) for e in errors]
        if stack is not None:
            found[owner] = stack
    return found, problems


def load(config: ProjectConfig, root: Path) -> Addons:
    """Every addon stack of the project, by owner; raises :class:`ConfigError` with every problem found."""
    found, problems = read_all(config, root)
    if problems:
        raise ConfigError([p for _, p in problems])
    return found
