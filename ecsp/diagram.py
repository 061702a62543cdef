"""Architecture diagrams drawn from the offline plan: an environment's, or the project's.

:func:`environment` reads one environment's planned stacks (no AWS): the VPC with its zones and
subnets, NAT gateways, the shared load balancer and each application's rule (path or host), the
applications (a service running all the time, or a task a schedule starts), queues, topics and
their subscriptions, Service Connect, and storage with the resources that refer to it.
:func:`project` draws the project stack: per region the ECR repositories, the KMS key and the
artifact bucket, the hosted zone, the environments, and pipelines with their stages.

A :class:`Diagram` is plain data (groups, nodes, edges) that tests can read; it renders through
Graphviz (``graphviz`` builds the DOT source; the ``dot`` program draws SVG or PNG) or as a
Mermaid flowchart, which needs no program at all. In a notebook it shows itself.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecsp import planned
from ecsp.config import ProjectConfig
from ecsp.errors import ToolMissingError, UsageError
from ecsp.planner import Plan, PlannedResource, PlannedStack

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

FORMATS = ("svg", "png", "mermaid", "dot")
# Storage a diagram draws, by Pulumi type, and what to call it; links are found generically: any
# planned resource whose inputs carry the storage's id, ARN or name (a task's volume, a role's
# policy, a variable, the load balancer's access logs).
STORAGE: dict[str, str] = {
    "aws:efs/fileSystem:FileSystem": "EFS file system",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:s3/bucketV2:BucketV2": "S3 bucket",
    "aws:rds/cluster:Cluster": "Aurora cluster",
    "aws:rds/instance:Instance": "RDS database",
    "aws:elasticache/serverlessCache:ServerlessCache": "ElastiCache Serverless",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache",
    "aws:dynamodb/table:Table": "DynamoDB table",
}
# Node shapes and colours by what a node is (Graphviz attributes).
STYLES: dict[str, dict[str, str]] = {
    "internet": {"shape": "ellipse", "style": "filled", "fillcolor": "#eeeeee"},
    "subnet": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f4e8"},
    "nat": {"shape": "box", "style": "filled", "fillcolor": "#fff2cc"},
    "load-balancer": {"shape": "box", "style": "filled", "fillcolor": "#d5e8d4"},
    "service": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dae8fc"},
    "job": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#dae8fc"},
    "messaging": {"shape": "box", "style": "filled", "fillcolor": "#f8cecc"},
    "schedule": {"shape": "box", "style": "filled", "fillcolor": "#e1d5e7"},
    "storage": {"shape": "cylinder", "style": "filled", "fillcolor": "#ffe6cc"},
    "dns": {"shape": "box", "style": "filled", "fillcolor": "#f5f5f5"},
    "repository": {"shape": "box", "style": "filled", "fillcolor": "#ffe6cc"},
    "key": {"shape": "box", "style": "filled", "fillcolor": "#fff2cc"},
    "environment": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d5e8d4"},
    "pipeline": {"shape": "box", "style": "filled", "fillcolor": "#e1d5e7"},
    "namespace": {"shape": "hexagon", "style": "filled", "fillcolor": "#dae8fc"},
}


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str  # a key of STYLES
    group: str | None = None  # the innermost group it is drawn in


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    parent: str | None = None


@dataclass
class Diagram:
    """What a picture shows: nested groups, nodes in them, labelled edges; renders to DOT, SVG, PNG, Mermaid."""

    title: str
    groups: list[Group] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    # -- building --------------------------------------------------------------------------------
    def group(self, id: str, label: str, parent: str | None = None) -> str:
        if not any(g.id == id for g in self.groups):
            self.groups.append(Group(id, label, parent))
        return id

    def node(self, id: str, label: str, kind: str, group: str | None = None) -> str:
        if not any(n.id == id for n in self.nodes):
            self.nodes.append(Node(id, label, kind, group))
        return id

    def edge(self, source: str, target: str, label: str = "", *, dashed: bool = False) -> None:
        edge = Edge(source, target, label, dashed)
        if edge not in self.edges:
            self.edges.append(edge)

    # -- reading (tests, people) -----------------------------------------------------------------
    def labels(self) -> dict[str, str]:
        """Node id -> its label."""
        return {n.id: n.label for n in self.nodes}

    def edge_set(self) -> set[tuple[str, str, str]]:
        """Every edge as (source id, target id, label)."""
        return {(e.source, e.target, e.label) for e in self.edges}

    # -- rendering -------------------------------------------------------------------------------
    def graphviz(self) -> graphviz.Digraph:
        """The diagram as a ``graphviz.Digraph`` (its ``source`` is DOT; rendering needs the ``dot`` program)."""
        import graphviz

        graph = graphviz.Digraph(name=_safe(self.title), graph_attr={
            "label": self.title, "labelloc": "t", "fontsize": "16", "fontname": "Helvetica", "rankdir": "LR",
            "compound": "true", "newrank": "true"},
            node_attr={"fontname": "Helvetica", "fontsize": "11"}, edge_attr={"fontname": "Helvetica",
                                                                              "fontsize": "9"})
        subgraphs: dict[str | None, graphviz.Digraph] = {None: graph}

        def fill(parent: str | None, into: graphviz.Digraph) -> None:
            for n in self.nodes:
                if n.group == parent:
                    into.node(n.id, n.label, **STYLES.get(n.kind, {}))
            for g in self.groups:
                if g.parent == parent:
                    sub = graphviz.Digraph(name=f"cluster_{g.id}", graph_attr={
                        "label": g.label, "style": "rounded", "color": "#888888", "fontsize": "12"})
                    subgraphs[g.id] = sub
                    fill(g.id, sub)
                    into.subgraph(sub)

        fill(None, graph)
        for e in self.edges:
            attrs = {"label": e.label} if e.label else {}
            if e.dashed:
                attrs["style"] = "dashed"
            graph.edge(e.source, e.target, **attrs)
        return graph

    @property
    def source(self) -> str:
        """The DOT source."""
        return str(self.graphviz().source)

    def render(self, fmt: str) -> bytes:
        """The diagram as ``svg``, ``png`` (drawn by Graphviz's ``dot``), ``mermaid`` or ``dot`` text."""
        if fmt == "mermaid":
            return self.mermaid().encode()
        if fmt == "dot":
            return self.source.encode()
        if fmt not in FORMATS:
            raise UsageError(f"no diagram format '{fmt}'", fix="use one of: " + ", ".join(FORMATS))
        require_dot()
        data: bytes = self.graphviz().pipe(format=fmt)
        return data

    def svg(self) -> str:
        return self.render("svg").decode()

    def mermaid(self) -> str:
        """A Mermaid flowchart (GitHub and JupyterLab render it; no program needed)."""
        lines = ["flowchart LR", f"  %% {self.title}"]

        def fill(parent: str | None, indent: str) -> None:
            for n in self.nodes:
                if n.group == parent:
                    lines.append(f"{indent}{_mid(n.id)}{_mermaid_shape(n)}")
            for g in self.groups:
                if g.parent == parent:
                    lines.append(f'{indent}subgraph {_mid(g.id)}["{_mermaid_text(g.label)}"]')
                    fill(g.id, indent + "  ")
                    lines.append(f"{indent}end")

        fill(None, "  ")
        for e in self.edges:
            arrow = "-.->" if e.dashed else "-->"
            label = f'|"{_mermaid_text(e.label)}"|' if e.label else ""
            lines.append(f"  {_mid(e.source)} {arrow}{label} {_mid(e.target)}")
        return "\n".join(lines) + "\n"

    # -- notebooks and rich ----------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        # SVG where Graphviz is installed; everywhere a Mermaid block JupyterLab renders, and the text.
        bundle = {"text/markdown": f"```mermaid\n{self.mermaid()}```", "text/plain": repr(self)}
        if shutil.which("dot"):
            bundle["image/svg+xml"] = self.svg()
        return bundle

    def __rich__(self) -> Any:
        from rich.tree import Tree

        root = Tree(f"[bold]{self.title}[/bold]")
        branches: dict[str | None, Tree] = {None: root}

        def fill(parent: str | None) -> None:
            for n in self.nodes:
                if n.group == parent:
                    branches[parent].add(n.label.replace("\n", " · "))
            for g in self.groups:
                if g.parent == parent:
                    branches[g.id] = branches[parent].add(f"[bold]{g.label}[/bold]")
                    fill(g.id)

        fill(None)
        labels = self.labels()
        if self.edges:
            links = root.add("[bold]links[/bold]")
            for e in self.edges:
                a, b = labels[e.source].split("\n")[0], labels[e.target].split("\n")[0]
                links.add(f"{a} -> {b}" + (f" ({e.label})" if e.label else ""))
        return root

    def __repr__(self) -> str:
        return f"<ecsp diagram {self.title!r}: {len(self.nodes)} nodes, {len(self.edges)} edges>"


def require_dot() -> None:
    """Fail with how to install Graphviz when its ``dot`` program is missing."""
    if shutil.which("dot") is None:
        raise ToolMissingError(
            "drawing SVG or PNG needs Graphviz's `dot` program, which is not installed",
            fix="install Graphviz (`apt-get install graphviz`, `brew install graphviz`, or "
                "https://graphviz.org/download/), or use --format mermaid, which needs no program")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _mid(node_id: str) -> str:
    return "n_" + _safe(node_id)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def _mermaid_shape(n: Node) -> str:
    text = _mermaid_text(n.label)
    if n.kind == "storage":
        return f'[("{text}")]'
    if n.kind in ("service", "job", "environment"):
        return f'("{text}")'
    if n.kind == "internet":
        return f'(("{text}"))'
    if n.kind == "namespace":
        return f'{{{{"{text}"}}}}'
    return f'["{text}"]'


# -- an environment ----------------------------------------------------------------------------

def environment(plan: Plan, name: str) -> Diagram:
    """The diagram of environment ``name`` from ``plan`` (which must hold its stacks)."""
    stacks = planned.environment_stacks(plan, name)
    env_stack = next((s for s in stacks if s.spec.kind == "environment"), None)
    if env_stack is None:
        known = planned.environments(plan)
        raise UsageError(f"no environment '{name}' in the plan of {plan.project}",
                         fix="use one of: " + ", ".join(known) if known else "plan an environment first")
    apps = [s for s in stacks if s.spec.application is not None]
    region = next((r.region for r in env_stack.resources if r.region), "")
    d = Diagram(f"{plan.project} / {name} ({region})")
    _network(d, env_stack)
    _load_balancer(d, env_stack)
    for stack in apps:
        _application(d, stack, env_stack)
    _messaging(d, stacks)
    _service_connect(d, env_stack, apps)
    _storage(d, stacks)
    return d


def _network(d: Diagram, env: PlannedStack) -> None:
    vpc = planned.first(env, planned.VPC)
    label = f"VPC {vpc.inputs.get('cidrBlock', '')}" if vpc else "existing VPC"
    d.group("vpc", label)
    for subnet in sorted(planned.of_type(env, planned.SUBNET), key=lambda s: s.name):
        zone = str(subnet.inputs.get("availabilityZone") or "")
        d.group(f"az_{zone}", zone, "vpc")
        tier = "public" if subnet.inputs.get("mapPublicIpOnLaunch") else "private"
        d.node(f"subnet_{subnet.name}", f"{tier} subnet\n{subnet.inputs.get('cidrBlock', '')}", "subnet", f"az_{zone}")
    subnets = {h: s for s in planned.of_type(env, planned.SUBNET) for h in s.handles}
    for nat in planned.of_type(env, planned.NAT_GATEWAY):
        home = subnets.get(str(nat.inputs.get("subnetId")))
        d.node(f"nat_{nat.name}", "NAT gateway", "nat", f"az_{home.inputs.get('availabilityZone')}" if home else "vpc")
        if home:
            d.edge(f"subnet_{home.name}", f"nat_{nat.name}", dashed=True)


def _load_balancer(d: Diagram, env: PlannedStack) -> None:
    lb = planned.first(env, planned.LOAD_BALANCER)
    if lb is None:
        return
    listeners = [f"{x.inputs.get('protocol', 'HTTP')}:{x.inputs.get('port', '')}"
                 for x in planned.of_type(env, planned.LISTENER)]
    d.node("internet", "internet", "internet")
    facing = "internal" if lb.inputs.get("internal") else "internet-facing"
    d.node("load_balancer", f"Application Load Balancer\n{facing}, {', '.join(listeners)}", "load-balancer", "vpc")
    d.edge("internet", "load_balancer")
    zone = planned.first(env, planned.ZONE)
    if zone is not None:
        d.node("zone", f"hosted zone\n{zone.inputs.get('name', '')}", "dns")
        d.edge("zone", "load_balancer", "alias records", dashed=True)


def _application(d: Diagram, stack: PlannedStack, env: PlannedStack) -> None:
    app = str(stack.spec.application)
    definition = planned.first(stack, planned.TASK_DEFINITION)
    size = planned.task_size(definition) if definition else None
    shape = f"{size.vcpu:g} vCPU / {size.memory_gb:g} GB{' ARM' if size and size.arm else ''}" if size else ""
    service = planned.first(stack, planned.SERVICE)
    node = f"app_{app}"
    if service is not None:
        low, high = planned.task_range(stack)
        tasks = f"{low} task{'s' if high != 1 else ''}" if low == high else f"{low}-{high} tasks"
        spot = " (Spot)" if planned.on_spot(service, max(high, 1)) > 0 else ""
        public = (service.inputs.get("networkConfiguration") or {}).get("assignPublicIp")
        d.group("cluster", "ECS cluster (Fargate)", "vpc")
        d.node(node, f"{app}\nservice, {tasks}{spot}\n{shape}\n{'public IP' if public else 'private subnets'}",
               "service", "cluster")
        if not public:  # its way out to the internet (image pulls, AWS APIs) is a NAT gateway
            for nat in (n for n in d.nodes if n.kind == "nat"):
                d.edge(node, nat.id, "outbound", dashed=True)
    else:
        d.group("cluster", "ECS cluster (Fargate)", "vpc")
        d.node(node, f"{app}\ntask per run\n{shape}", "job", "cluster")
        expression = planned.schedule_expression(stack)
        if expression:
            d.node(f"schedule_{app}", f"schedule\n{expression}", "schedule")
            d.edge(f"schedule_{app}", node, "starts (Step Functions)")
    _routes(d, stack, node)


def _routes(d: Diagram, stack: PlannedStack, node: str) -> None:
    """Edges from the load balancer for each forwarding rule: its path patterns and host names."""
    for rule in planned.of_type(stack, planned.LISTENER_RULE):
        if not any(a.get("type") == "forward" for a in rule.inputs.get("actions") or []):
            continue
        what = []
        for condition in rule.inputs.get("conditions") or []:
            paths = (condition.get("pathPattern") or {}).get("values") or []
            hosts = (condition.get("hostHeader") or {}).get("values") or []
            what += [p for p in paths if not (p.endswith("/*") and p[:-2] in paths)]
            what += hosts
        d.edge("load_balancer", node, " ".join(what) or "default")


def _messaging(d: Diagram, stacks: list[PlannedStack]) -> None:
    topics = [(s, t) for s in stacks for t in planned.of_type(s, planned.TOPIC)]
    queues = [(s, q) for s in stacks for q in planned.of_type(s, planned.QUEUE)]
    dead = {str(json.loads(q.inputs["redrivePolicy"]).get("deadLetterTargetArn"))
            for _, q in queues if isinstance(q.inputs.get("redrivePolicy"), str)}
    for stack, topic in topics:
        node = d.node(f"topic_{topic.name}", f"SNS topic\n{topic.inputs.get('name', topic.name)}", "messaging")
        d.edge(f"app_{stack.spec.application}", node, "publishes")
    for stack, queue in queues:
        if dead & set(queue.handles):  # a dead-letter queue: part of its queue, not drawn
            continue
        node = d.node(f"queue_{queue.name}", f"SQS queue\n{queue.inputs.get('name', queue.name)}", "messaging")
        d.edge(node, f"app_{stack.spec.application}", "consumes")
    topic_by = {h: t for _, t in topics for h in t.handles}
    queue_by = {h: q for _, q in queues for h in q.handles}
    for stack in stacks:
        for sub in planned.of_type(stack, planned.SUBSCRIPTION):
            source = topic_by.get(str(sub.inputs.get("topic")))
            target = queue_by.get(str(sub.inputs.get("endpoint")))
            if source and target:
                filtered = " (filtered)" if sub.inputs.get("filterPolicy") else ""
                d.edge(f"topic_{source.name}", f"queue_{target.name}", f"subscription{filtered}")


def _service_connect(d: Diagram, env: PlannedStack, apps: list[PlannedStack]) -> None:
    namespace = planned.first(env, planned.NAMESPACE)
    if namespace is None:
        return
    ns = d.node("namespace", f"Service Connect\n{namespace.inputs.get('name', '')}", "namespace", "vpc")
    for stack in apps:
        service = planned.first(stack, planned.SERVICE)
        config = (service.inputs.get("serviceConnectConfiguration") or {}) if service else {}
        if not config.get("enabled"):
            continue
        node = f"app_{stack.spec.application}"
        d.edge(node, ns, "calls", dashed=True)
        for served in config.get("services") or []:
            for alias in served.get("clientAlias") or []:
                d.edge(ns, node, f"http://{alias.get('dnsName')}:{alias.get('port')}", dashed=True)


def _storage(d: Diagram, stacks: list[PlannedStack]) -> None:
    users = [(s, r) for s in stacks for r in s.resources
             if r.type in (planned.SERVICE, planned.TASK_DEFINITION, planned.LOAD_BALANCER)
             or r.type.startswith("aws:iam/")]
    for stack in stacks:
        for resource in stack.resources:
            what = STORAGE.get(resource.type)
            if what is None:
                continue
            node = d.node(f"storage_{resource.name}", f"{what}\n{_storage_name(resource)}", "storage")
            for user_stack, user in users:
                if user is resource or not planned.refers_to(user, resource):
                    continue
                source = "load_balancer" if user.type == planned.LOAD_BALANCER else \
                    f"app_{user_stack.spec.application}" if user_stack.spec.application else None
                if source:
                    d.edge(source, node, "access logs" if source == "load_balancer" else "uses")


def _storage_name(resource: PlannedResource) -> str:
    for key in ("name", "bucket", "clusterIdentifier", "identifier", "serverlessCacheName"):
        value = resource.inputs.get(key)
        if isinstance(value, str) and value:
            return value
    tags = resource.inputs.get("tags") or {}
    return str(tags.get("Name") or resource.name)


# -- the project ---------------------------------------------------------------------------------

def draw(config: ProjectConfig, plan: Plan, env: str | None) -> Diagram:
    """Environment ``env``'s diagram, or the project's (which needs each environment's region and account)."""
    if env is not None:
        return environment(plan, env)
    return project(plan, {name: (e.region, config.account_of(name)) for name, e in config.environments.items()})


def project(plan: Plan, environments: dict[str, tuple[str, str | None]]) -> Diagram:
    """The project view: per region its ECR repositories, KMS key and artifact bucket; the environments
    (``environments``: name -> (region, account)); the hosted zone; pipelines and their stages."""
    stack = next((s for s in plan.stacks if s.spec.kind == "project"), None)
    if stack is None:
        raise UsageError(f"the plan of {plan.project} has no project stack", fix="plan the whole project")
    d = Diagram(f"{plan.project} (project)")
    keys: dict[str, str] = {}
    for resource in stack.resources:
        region = resource.region or ""
        if resource.type == "aws:ecr/repository:Repository":
            d.group(f"region_{region}", region)
            d.node(f"repo_{resource.name}", f"ECR repository\n{resource.inputs.get('name', '')}", "repository",
                   f"region_{region}")
        elif resource.type == "aws:kms/key:Key":
            d.group(f"region_{region}", region)
            keys[region] = d.node(f"key_{resource.name}", "KMS key", "key", f"region_{region}")
        elif resource.type == "aws:s3/bucket:Bucket":
            d.group(f"region_{region}", region)
            d.node(f"bucket_{resource.name}", "artifact bucket", "storage", f"region_{region}")
        elif resource.type == planned.ZONE:
            d.node("zone", f"hosted zone\n{resource.inputs.get('name', '')}", "dns")
    for resource in stack.resources:
        if resource.type == "aws:s3/bucket:Bucket" and resource.region in keys:
            d.edge(keys[str(resource.region)], f"bucket_{resource.name}", "encrypts")
    for env, (region, account) in environments.items():
        d.group(f"region_{region}", region)
        d.node(f"env_{env}", f"environment {env}" + (f"\naccount {account}" if account else ""), "environment",
               f"region_{region}")
        for repo in d.nodes:
            if repo.kind == "repository" and repo.group == f"region_{region}":
                d.edge(repo.id, f"env_{env}", "pull", dashed=True)
        if any(n.id == "zone" for n in d.nodes):
            d.edge("zone", f"env_{env}", "delegates", dashed=True)
    for pipeline_stack in (s for s in plan.stacks if s.spec.kind == "pipeline"):
        _pipeline(d, pipeline_stack, environments)
    return d


def _pipeline(d: Diagram, stack: PlannedStack, environments: dict[str, tuple[str, str | None]]) -> None:
    pipeline = planned.first(stack, "aws:codepipeline/pipeline:Pipeline")
    if pipeline is None:
        return
    node = d.node(f"pipeline_{stack.spec.instance}", f"pipeline {stack.spec.instance}\nCodePipeline V2", "pipeline")
    stages = [s for s in pipeline.inputs.get("stages") or [] if s.get("name") != "Source"]
    for i, stage in enumerate(stages, 1):
        actions = stage.get("actions") or []
        approval = any(a.get("category") == "Approval" for a in actions)
        env = next((e for e in environments if stage.get("name") == f"Deploy-{e}"), None)
        if env:
            d.edge(node, f"env_{env}", f"stage {i}" + (" (approval)" if approval else ""))
