"""The cutover and retirement runbook: the steps and AWS CLI commands that move traffic from a live
Copilot application to its ecsp project and then delete Copilot's stacks, keeping the data.

Built from ecsp.yaml (which VPC and host names ecsp took over) and Copilot's stacks as they are
now (:mod:`ecsp.importer.live`), so each step is *checked*: done, to do, or waiting for an
earlier one. Run it again after each step. ecsp never deletes Copilot's stacks itself; this
prints the commands, and writes the stack templates with ``DeletionPolicy: Retain`` added
where a delete would take data or something ecsp uses with it.

Order (what Copilot's own ``app delete`` does, aws/copilot-cli internal/pkg/cli/app_delete.go):
pipelines, one-off task stacks, workloads (workers before the services whose topics they
read), environments, then the application (its StackSet's instances, the StackSet, the roles
stack) and Copilot's SSM parameters. Secrets under ``/copilot/<app>/<env>/secrets/`` stay: the
imported applications read them.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecsp.config import ProjectConfig
from ecsp.importer.live import DATA_TYPES, LiveApp, LoadBalancer, Resource, Stack

# What a stack delete must leave, beyond DATA_TYPES, when ecsp runs in Copilot's VPC.
NETWORK_TYPES = frozenset({
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
})  # fmt: skip
# ... and when ecsp serves Copilot's host names: the zones, their delegation, the records and the certificate
# (Copilot's custom resources delete them on a stack delete, unless retained).
DNS_TYPES = frozenset({
    "AWS::Route53::HostedZone", "AWS::Route53::RecordSet", "AWS::Route53::RecordSetGroup",
    "Custom::DNSDelegationFunction", "Custom::CertificateValidationFunction", "Custom::CustomDomainFunction",
})  # fmt: skip
ADDONS = "AWS::CloudFormation::Stack"  # an addon stack: its data and exports stay, together
TEMPLATE_BODY_LIMIT = 51_200  # bytes CloudFormation takes inline; larger templates go through S3
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")


@dataclass
class Step:
    """One step: what it does, whether it is done (None: not checkable), its commands and why."""

    title: str
    done: bool | None
    commands: list[list[str]] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)
    waits_for: str = ""  # an earlier step that must be done first

    @property
    def mark(self) -> str:
        if self.done:
            return "[x]"
        return "[-]" if self.waits_for else "[ ]"


@dataclass
class Runbook:
    """The sections of steps, and the files (retained templates) the commands read."""

    app: str
    sections: list[tuple[str, list[Step]]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # path relative to the runbook folder -> text

    @property
    def steps(self) -> list[Step]:
        return [step for _, steps in self.sections for step in steps]

    def text(self) -> str:
        out = [f"# Moving Copilot application {self.app} to ecsp: cutover and retirement",
               "", "[x] done   [ ] to do   [-] waits for an earlier step. Checked against AWS just now; run "
               "again after each step. ecsp never deletes Copilot's stacks: you run these commands.", ""]
        for number, (title, steps) in enumerate(self.sections, 1):
            out += [f"## {number}. {title}", ""]
            for step in steps:
                out.append(f"{step.mark} {step.title}" + (f" (after: {step.waits_for})" if step.waits_for and
                                                           not step.done else ""))
                out += [f"    {line}" for line in step.detail]
                out += [f"    $ {shlex.join(command)}" for command in step.commands]
            out.append("")
        return "\n".join(out)


def build(config: ProjectConfig, live: LiveApp, *, folder: str, renames: Mapping[str, str] | None = None,
          ecsp_balancers: Mapping[str, LoadBalancer] | None = None,
          templates: Mapping[str, str] | None = None, records: Mapping[str, Record] | None = None,
          requests: Mapping[str, float | None] | None = None, parameters: Sequence[str] | None = None) -> Runbook:
    """The runbook for ``live`` and the ecsp project ``config``.

    ``folder`` is where the retained templates are written (commands name it); ``renames``:
    Copilot's environment names -> ecsp's; ``ecsp_balancers``: ecsp's load balancer per ecsp
    environment (deployed ones); ``templates``: each Copilot stack's template (by stack id);
    ``records``: the DNS record of each host name now; ``requests``: requests Copilot's load
    balancer served in the last hour, per Copilot environment; ``parameters``: Copilot's SSM
    parameters of the application still there. :func:`read` gathers them.
    """
    renames = dict(renames or {})
    balancers = dict(ecsp_balancers or {})
    templates = dict(templates or {})
    records = dict(records or {})
    requests = dict(requests or {})
    book = Runbook(live.name)
    environments = {s.environment: s for s in live.stacks if s.kind == "environment" and s.environment}
    ours = {copilot: renames.get(copilot, copilot) for copilot in environments}
    ours = {copilot: env for copilot, env in ours.items() if env in config.environments}

    side = []
    for copilot, env in ours.items():
        side.append(Step(f"deploy ecsp's environment {env} beside Copilot's {copilot}", env in balancers,
                         [["ecsp", "up", "--env", env]],
                         ["then try every application on ecsp's load balancer (`ecsp outputs --env "
                          f"{env}`) before any traffic moves"]))
    book.sections.append(("Side by side", side))

    cutover = []
    hosts = _kept_hosts(config, ours)
    for copilot, env in ours.items():
        old = live.load_balancers.get(copilot)
        new = balancers.get(env)
        for host in hosts.get(env, []):
            record = records.get(host)
            cutover.append(_switch(host, record, old, new, env))
    book.sections.append(("Cutover: point the host names at ecsp's load balancers", cutover or [Step(
        "no host names to move: ecsp serves none of Copilot's (its applications have no aliases)", None)]))

    retain: list[Step] = []
    retained_ok: dict[str, bool] = {}
    for stack in live.stacks:
        if stack.kind == "addons":
            continue
        ecsp_env = ours.get(stack.environment or "")
        keep = _to_retain(stack, live, config, ecsp_env, bool(hosts.get(ecsp_env or "")))
        if not keep:
            retained_ok[stack.id] = True
            continue
        step, done = _retain_step(stack, keep, templates.get(stack.id), folder, book, live)
        retained_ok[stack.id] = done
        retain.append(step)
    book.sections.append(("Keep the data (and what ecsp uses) when Copilot's stacks go", retain or [Step(
        "nothing to keep: no data, and ecsp uses nothing of Copilot's", None)]))

    traffic = []
    for copilot in ours:
        served = requests.get(copilot)
        if served is not None:
            traffic.append(Step(f"Copilot's load balancer in {copilot} served {served:g} requests in the last hour",
                                served == 0, detail=["wait until it serves none (clients and caches follow the DNS "
                                                     "switch at their own pace)"]))
    accounts = sorted({a for env in ours.values() if (a := config.account_of(env))})
    # Nothing of Copilot's goes while it still serves: after the switch, and once its load balancers idle.
    before = ("the cutover (section 2)" if any(step.done is False for step in cutover)
              else "no requests on Copilot's load balancers" if any(step.done is False for step in traffic) else "")
    book.sections.append(("Retire Copilot's stacks, in this order",
                          traffic + _deletes(live, retained_ok, accounts, parameters, before)))
    return book


@dataclass(frozen=True)
class Record:
    """A host name's DNS record now: its zone, and the load balancer an alias record points at."""

    zone_id: str
    zone_name: str
    target: str | None  # the DNS name an A alias points at (None: no such record yet)


def _kept_hosts(config: ProjectConfig, envs: Mapping[str, str]) -> dict[str, list[str]]:
    """ecsp environment -> the aliases of its applications (the host names that move from Copilot)."""
    out: dict[str, list[str]] = {}
    for env in envs.values():
        for app in config.applications:
            out.setdefault(env, []).extend(config.application(env, app).aliases)
    return out


def _alias_change(host: str, balancer: LoadBalancer) -> str:
    return json.dumps({"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": host, "Type": "A", "AliasTarget": {"HostedZoneId": balancer.zone_id, "DNSName": balancer.dns_name,
                                                   "EvaluateTargetHealth": False}}}]}, separators=(",", ":"))


def _switch(host: str, record: Record | None, old: LoadBalancer | None, new: LoadBalancer | None, env: str) -> Step:
    if record is None:
        return Step(f"{host}: not in a hosted zone of this account", None, detail=[
            "point it at ecsp's load balancer at your DNS provider (a CNAME to "
            f"{new.dns_name if new else 'the DNS name `ecsp outputs --env ' + env + '` shows'})"])
    here = (record.target or "").rstrip(".").lower()
    done = new is not None and here.endswith(new.dns_name.lower())
    if new is None:
        return Step(f"{host}: point it at ecsp's load balancer in {env}", False, waits_for=f"ecsp up --env {env}",
                    detail=[f"now: {record.target or 'no record'} (zone {record.zone_name})"])
    step = Step(f"{host}: point it at ecsp's load balancer ({new.dns_name})", done,
                [["aws", "route53", "change-resource-record-sets", "--hosted-zone-id", record.zone_id,
                  "--change-batch", _alias_change(host, new)]],
                [f"now: {record.target or 'no record'} (zone {record.zone_name})"])
    if old is not None:
        step.detail.append(f"to go back: the same command with Copilot's {old.dns_name} ({old.zone_id})")
    return step


def _to_retain(stack: Stack, live: LiveApp, config: ProjectConfig, env: str | None, hosts: bool) -> list[str]:
    """The logical ids of ``stack`` a delete must leave."""
    keep = [r.logical for r in stack.resources if r.type == ADDONS or r.type in DATA_TYPES
            or r.type == "AWS::EFS::MountTarget"]
    if stack.kind == "environment" and env is not None:
        vpc = config.environments[env].network.vpc
        if vpc is not None and vpc.id == stack.outputs.get("VpcId"):
            keep += [r.logical for r in stack.resources if r.type in NETWORK_TYPES]
    if hosts:
        keep += [r.logical for r in stack.resources if r.type in DNS_TYPES]
    return list(dict.fromkeys(keep))


def _retain_step(stack: Stack, keep: list[str], template: str | None, folder: str, book: Runbook,
                 live: LiveApp) -> tuple[Step, bool]:
    kept = _summary([r for r in stack.resources if r.logical in keep])
    if template is None:
        return Step(f"{stack.name}: set DeletionPolicy Retain on {', '.join(keep)}", False,
                    detail=["its template could not be read: add the policy by hand"]), False
    missing = [logical for logical in keep if not retained(template, logical)]
    if not missing:
        return Step(f"{stack.name}: DeletionPolicy Retain on {kept}", True), True
    try:
        text = add_retain(template, missing)
    except ValueError as e:
        return Step(f"{stack.name}: set DeletionPolicy Retain on {', '.join(missing)}", False,
                    detail=[f"{e}: add the policy by hand"]), False
    path = f"{folder}/{stack.name}.template"
    book.files[f"{stack.name}.template"] = text
    region = ["--region", stack.region]
    commands: list[list[str]] = []
    if len(text.encode()) <= TEMPLATE_BODY_LIMIT:
        source = ["--template-body", f"file://{path}"]
    else:
        bucket = _artifact_bucket(live, stack.region) or f"<a bucket of yours in {stack.region}>"
        key = f"ecsp-retirement/{stack.name}.template"
        commands.append(["aws", "s3", "cp", path, f"s3://{bucket}/{key}", *region])
        source = ["--template-url", f"https://{bucket}.s3.{stack.region}.amazonaws.com/{key}"]
    parameters = [f"ParameterKey={name},UsePreviousValue=true" for name in stack.parameters]
    commands.append(["aws", "cloudformation", "update-stack", "--stack-name", stack.name, *source,
                     *(["--parameters", *parameters] if parameters else []), "--capabilities", *CAPABILITIES,
                     *region])
    commands.append(["aws", "cloudformation", "wait", "stack-update-complete", "--stack-name", stack.name, *region])
    return Step(f"{stack.name}: set DeletionPolicy Retain on {', '.join(missing)}", False, commands,
                [f"keeps: {kept}", f"{path}: its template with only that added"]), False


def _summary(resources: Sequence[Resource]) -> str:
    """``VPC vpc-1, hosted zone Z1, addon stack s-1``, with the network's pieces counted, not listed."""
    named = {"AWS::EC2::VPC": "VPC", "AWS::Route53::HostedZone": "hosted zone", ADDONS: "addon stack",
             **{t: label for t, label in DATA_TYPES.items()}}
    listed = [f"{named[r.type]} {r.physical}" for r in resources if r.type in named]
    counted: dict[str, int] = {}
    for r in resources:
        if r.type not in named:
            short = r.type.split("::")[-1]
            counted[short] = counted.get(short, 0) + 1
    return ", ".join(listed + [f"{n} {short}{'s' if n > 1 else ''}" for short, n in counted.items()])


def _artifact_bucket(live: LiveApp, region: str) -> str | None:
    """Copilot's artifact bucket in ``region`` (its StackSet instance's), to upload large templates to."""
    for stack in live.stacks:
        if stack.kind == "application" and stack.region == region:
            for resource in stack.resources:
                if resource.logical == "PipelineBuiltArtifactBucket":
                    return resource.physical
    return None


def _deletes(live: LiveApp, retained_ok: Mapping[str, bool], accounts: Sequence[str],
             parameters: Sequence[str] | None, before: str) -> list[Step]:
    """One step per Copilot stack still there, in the order they may go; then Copilot's SSM parameters."""
    def rank(stack: Stack) -> tuple[int, str]:
        # Workers go before the services whose topics they subscribe to.
        tier = {"pipeline": 0, "task": 1, "workload": 3 - _is_worker(stack), "environment": 4}.get(stack.kind, 5)
        return tier, stack.name

    steps = []
    stack_sets: dict[str, list[Stack]] = {}
    for stack in sorted((s for s in live.stacks if s.kind != "addons"), key=rank):
        region = ["--region", stack.region]
        waits = before or ("" if retained_ok.get(stack.id, True) else f"DeletionPolicy Retain on {stack.name}")
        if stack.name.startswith("StackSet-"):
            stack_sets.setdefault(stack.region, []).append(stack)
            continue
        steps.append(Step(f"delete {stack.kind} stack {stack.name} ({stack.region})", False,
                          [["aws", "cloudformation", "delete-stack", "--stack-name", stack.name, *region],
                           ["aws", "cloudformation", "wait", "stack-delete-complete", "--stack-name", stack.name,
                            *region]], waits_for=waits))
    if stack_sets:
        name = f"{live.name}-infrastructure"
        regions = sorted(stack_sets)
        steps.append(Step(f"delete StackSet {name}'s instances ({', '.join(regions)}): Copilot's ECR repositories, "
                          "KMS keys and artifact buckets (ecsp pushes its images to repositories of its own)", False,
                          [["aws", "cloudformation", "delete-stack-instances", "--stack-set-name", name,
                            "--regions", *regions, "--accounts", *(accounts or ["<the environments' accounts>"]),
                            "--no-retain-stacks"],
                           ["aws", "cloudformation", "delete-stack-set", "--stack-set-name", name]],
                          ["empty the repositories first: aws ecr delete-repository --force --repository-name "
                           f"{live.name}/<service> (CloudFormation cannot delete one with images)"]))
    if not steps:
        steps.append(Step(f"every stack of Copilot application {live.name} is deleted", True))
    left = list(parameters) if parameters is not None else _ssm_names(live)
    steps.append(Step(f"delete Copilot's own records of {live.name} (SSM parameters under /copilot/applications/"
                      f"{live.name}); keep /copilot/{live.name}/<env>/secrets/*: ecsp's applications read them",
                      parameters is not None and not left,
                      [["aws", "ssm", "delete-parameters", "--names", *left]] if left else []))
    return steps


def _is_worker(stack: Stack) -> bool:
    return any(r.type == "AWS::SQS::Queue" for r in stack.resources)


def _ssm_names(live: LiveApp) -> list[str]:
    """The parameters Copilot keeps about the application (internal/pkg/config/store.go)."""
    base = f"/copilot/applications/{live.name}"
    envs = sorted({s.environment for s in live.stacks if s.environment})
    services = sorted({s.service for s in live.stacks if s.service})
    return [base, *(f"{base}/environments/{e}" for e in envs), *(f"{base}/components/{s}" for s in services)]


# --------------------------------------------------------------------------- templates


def _template(text: str) -> dict[str, Any]:
    """A CloudFormation template (YAML with short-form tags, or JSON) as data; tags read as plain values."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        return None

    Loader.add_multi_constructor("!", any_tag)
    data = yaml.load(text, Loader=Loader)  # a SafeLoader: no Python objects
    return data if isinstance(data, dict) else {}


def retained(template: str, logical: str) -> bool:
    """Whether the template's resource ``logical`` has ``DeletionPolicy: Retain``."""
    resource = (_template(template).get("Resources") or {}).get(logical)
    return isinstance(resource, dict) and resource.get("DeletionPolicy") == "Retain"


def add_retain(template: str, logicals: Iterable[str]) -> str:
    """``template`` with ``DeletionPolicy``/``UpdateReplacePolicy: Retain`` on ``logicals``, and nothing else changed.

    A YAML template is edited line by line (its short-form tags and comments stay as they are);
    a JSON one is rewritten. Raises ValueError when a resource is not written in block style.
    """
    wanted = list(logicals)
    if template.lstrip().startswith("{"):
        data = json.loads(template)
        for logical in wanted:
            data["Resources"][logical].update({"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
        return json.dumps(data, indent=2)
    lines = template.splitlines(keepends=True)
    for logical in wanted:
        lines = _retain_lines(lines, logical)
    return "".join(lines)


def _retain_lines(lines: Sequence[str], logical: str) -> list[str]:
    out = list(lines)
    top = next((i for i, line in enumerate(out) if re.match(r"Resources:\s*(#.*)?$", line)), None)
    if top is None:
        raise ValueError("no Resources section")
    key = re.compile(rf"( +){re.escape(logical)}:\s*(#.*)?$")
    for i in range(top + 1, len(out)):
        line = out[i]
        if line.strip() and not line.startswith(" ") and not line.startswith("#"):
            break  # the next top-level section
        found = key.match(line.rstrip("\n"))
        if not found:
            continue
        indent = len(found.group(1))
        end = i + 1
        while end < len(out) and (not out[end].strip() or len(out[end]) - len(out[end].lstrip()) > indent):
            end += 1
        body = [line for line in out[i + 1:end]
                if not re.match(rf" {{{indent + 1},}}(DeletionPolicy|UpdateReplacePolicy):", line)]
        child = next((len(b) - len(b.lstrip()) for b in body if b.strip()), indent + 2)
        pad = " " * child
        return [*out[:i + 1], f"{pad}DeletionPolicy: Retain\n", f"{pad}UpdateReplacePolicy: Retain\n", *body,
                *out[end:]]
    raise ValueError(f"resource {logical} is not written in block style")


# --------------------------------------------------------------------------- reading AWS


def read(config: ProjectConfig, live: LiveApp, *, renames: Mapping[str, str] | None = None,
         endpoint_url: str | None = None, profiles: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """What :func:`build` checks, read now: ecsp's load balancers, templates, records, request counts."""
    import datetime

    import boto3  # type: ignore[import-untyped]

    renames = dict(renames or {})
    profiles = dict(profiles or {})

    def session(region: str) -> Any:
        return boto3.Session(profile_name=profiles.get(region), region_name=region)

    templates: dict[str, str] = {}
    for stack in live.stacks:
        if stack.kind != "addons":
            body = session(stack.region).client("cloudformation", endpoint_url=endpoint_url).get_template(
                StackName=stack.id, TemplateStage="Original")["TemplateBody"]
            templates[stack.id] = body if isinstance(body, str) else json.dumps(body, indent=2)
    balancers: dict[str, LoadBalancer] = {}
    requests: dict[str, float | None] = {}
    now = datetime.datetime.now(datetime.UTC)
    for stack in live.stacks:
        if stack.kind != "environment" or not stack.environment:
            continue
        env = renames.get(stack.environment, stack.environment)
        if env not in config.environments:
            continue
        found = _ecsp_balancer(session(stack.region).client("elbv2", endpoint_url=endpoint_url), config.project.name,
                               env)
        if found is not None:
            balancers[env] = found
        full_name = stack.outputs.get("PublicLoadBalancerFullName")
        if full_name:
            points = session(stack.region).client("cloudwatch", endpoint_url=endpoint_url).get_metric_statistics(
                Namespace="AWS/ApplicationELB", MetricName="RequestCount", Statistics=["Sum"], Period=3600,
                Dimensions=[{"Name": "LoadBalancer", "Value": full_name}],
                StartTime=now - datetime.timedelta(hours=1), EndTime=now)["Datapoints"]
            requests[stack.environment] = sum(p["Sum"] for p in points)
    home = config.project.region
    route53 = session(home).client("route53", endpoint_url=endpoint_url)
    zones = [z for page in route53.get_paginator("list_hosted_zones").paginate() for z in page["HostedZones"]
             if not z.get("Config", {}).get("PrivateZone")]
    records: dict[str, Record] = {}
    for env in config.environments:
        for app in config.applications:
            for host in config.application(env, app).aliases:
                record = _record(route53, zones, host)
                if record is not None:
                    records[host] = record
    ssm = session(home).client("ssm", endpoint_url=endpoint_url)
    base = f"/copilot/applications/{live.name}"
    parameters = [p["Name"] for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=base,
                                                                                             Recursive=True)
                  for p in page["Parameters"]]
    if ssm.get_parameters(Names=[base])["Parameters"]:
        parameters.insert(0, base)
    return {"ecsp_balancers": balancers, "templates": templates, "records": records, "requests": requests,
            "parameters": parameters}


def _ecsp_balancer(elbv2: Any, project: str, env: str) -> LoadBalancer | None:
    """ecsp's load balancer of ``env`` (found by its ecsp tags), if deployed."""
    balancers = [lb for page in elbv2.get_paginator("describe_load_balancers").paginate()
                 for lb in page["LoadBalancers"]]
    for start in range(0, len(balancers), 20):
        chunk = balancers[start:start + 20]
        described = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in chunk])["TagDescriptions"]
        for lb, tags in zip(chunk, described, strict=True):
            found = {t["Key"]: t["Value"] for t in tags.get("Tags", [])}
            if found.get("ecsp:project") == project and found.get("ecsp:environment") == env:
                return LoadBalancer(lb["DNSName"], lb["CanonicalHostedZoneId"])
    return None


def _record(route53: Any, zones: Sequence[Mapping[str, Any]], host: str) -> Record | None:
    """The zone holding ``host`` (the longest suffix) and the load balancer its A alias names."""
    name = host.rstrip(".") + "."

    def fqdn(zone: Mapping[str, Any]) -> str:
        return str(zone["Name"]).rstrip(".") + "."

    holding = [z for z in zones if name == fqdn(z) or name.endswith("." + fqdn(z))]
    if not holding:
        return None
    zone = max(holding, key=lambda z: len(fqdn(z)))
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    found = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name, StartRecordType="A",
                                              MaxItems="1")["ResourceRecordSets"]
    target = None
    if found and found[0]["Name"] == name and found[0]["Type"] == "A":
        target = (found[0].get("AliasTarget") or {}).get("DNSName")
    return Record(zone_id, zone["Name"].rstrip("."), target)


def for_project(config: ProjectConfig, copilot_app: str, *, folder: str, renames: Mapping[str, str] | None = None,
                endpoint_url: str | None = None) -> Runbook:
    """The runbook of the ecsp project ``config`` imported from Copilot application ``copilot_app``, read now."""
    from ecsp.importer.live import read_stacks, regions_of

    profiles = regions_of((env.region, env.profile) for env in config.environments.values())
    live = read_stacks(copilot_app, profiles, endpoint_url=endpoint_url)
    facts = read(config, live, renames=renames, endpoint_url=endpoint_url, profiles=profiles)
    return build(config, live, folder=folder, renames=renames, **facts)
