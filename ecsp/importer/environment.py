"""Map a Copilot environment manifest to ecsp's environment fields (network, certificates, logs) plus notes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ecsp.importer.fields import Loc, Mapped, Mapper, Note, flag


def imported_vpc(vpc: dict[str, Any], where: str) -> tuple[dict[str, Any] | None, list[Note]]:
    """An imported VPC as ecsp takes it (None: it cannot), and what to say about a VPC with one kind of subnet.

    Copilot allowed public subnets only (every service public) and private subnets only (no
    internet-facing load balancer). ecsp's environment runs its load balancer in public subnets
    and needs private ones only for private placement and the data it creates.
    """
    if vpc.get("public_subnets") and not vpc.get("private_subnets"):
        return vpc, [Note("note", "network.vpc", f"network.vpc {vpc['id']} has public subnets only: ecsp runs every "
                                                 "application with placement: public there, and links data rather "
                                                 "than creating databases, caches or file systems (those need "
                                                 "private subnets)", where)]
    if vpc.get("private_subnets") and not vpc.get("public_subnets"):
        subnets = ", ".join(vpc["private_subnets"])
        return None, [Note("refuse", "network.vpc", f"network.vpc {vpc['id']} has private subnets only ({subnets}): "
                                                    "ecsp's load balancer is internet-facing and needs public "
                                                    "subnets in two availability zones; add them to the VPC (routed "
                                                    "to an internet gateway) and write network.vpc with id, "
                                                    "public_subnets and private_subnets in ecsp.yaml, or leave "
                                                    "network.vpc out to let ecsp create the environment's VPC", where)]
    return vpc, []


def map_environment(data: Mapping[str, Any], where: Callable[[Loc], str], skip: set[Loc]) -> Mapped:
    """ecsp's fields (network, certificates, ...) for an environment manifest (region and account come later)."""
    from ecsp import network as carving

    m = Mapper(data, where, skip)
    f, out = m.f, m.out.fields
    f.get("name")
    f.get("type")
    network: dict[str, Any] = {}
    vpc_id = f.get("network", "vpc", "id")
    subnets = f.get("network", "vpc", "subnets") or {}
    if vpc_id is not None:
        vpc: dict[str, Any] = {"id": vpc_id}
        for side in ("public", "private"):
            ids = [s.get("id") for s in subnets.get(side) or [] if isinstance(s, Mapping) and s.get("id")]
            if ids:
                vpc[f"{side}_subnets"] = ids
        kept, notes = imported_vpc(vpc, where(("network", "vpc", "id")))
        m.out.notes += notes
        if kept is not None:
            network["vpc"] = kept
    cidr = f.get("network", "vpc", "cidr")
    if cidr is not None:
        try:
            carved = carving.carve(str(cidr))
            network["cidr"] = str(cidr)
        except ValueError as e:
            carved = None
            m.warn(("network", "vpc", "cidr"), f"{cidr}: {e}; ecsp uses its default 10.0.0.0/16")
        if carved is not None:
            _subnet_layout(m, subnets, carved)
    elif vpc_id is None and subnets:
        _subnet_layout(m, subnets, carving.carve("10.0.0.0/16"))
    flow_logs = f.get("network", "vpc", "flow_logs")
    if flag(flow_logs) is True:
        network["flow_logs"] = True
    elif isinstance(flow_logs, Mapping):
        network["flow_logs"] = {"retention": flow_logs.get("retention", 14)}
    if f.get("network", "vpc", "security_group"):
        m.warn(("network", "vpc", "security_group"), "added rules to the environment security group; ecsp's "
                                                     "allows only the load balancer and the environment itself")
    if network:
        out["network"] = network
    insights = f.get("observability", "container_insights")
    if insights is not None:
        out["container_insights"] = insights == "enhanced" or bool(flag(insights))
        if insights == "enhanced":
            m.note("note", ("observability", "container_insights"), "observability.container_insights enhanced "
                                                                    "is turned on as standard Container Insights")
    certificates = f.get("http", "public", "certificates")
    if certificates:
        out["certificates"] = list(certificates)
    logs = f.get("http", "public", "access_logs")
    if flag(logs) is True:
        out["access_logs"] = True
    elif isinstance(logs, Mapping):
        if logs.get("bucket_name"):
            out["access_logs"] = {"bucket": logs["bucket_name"], **({"prefix": logs["prefix"]}
                                                                   if logs.get("prefix") else {})}
        else:
            out["access_logs"] = True
            if logs.get("prefix"):
                m.warn(("http", "public", "access_logs", "prefix"), f"{logs['prefix']}: ecsp's own access-log "
                                                                    "bucket takes no prefix")
    if f.get("http", "public", "ssl_policy") is not None:
        m.warn(("http", "public", "ssl_policy"), f"{f.get('http', 'public', 'ssl_policy')}: ecsp's HTTPS listener "
                                                 "uses its own modern TLS policy")
    ingress = f.get("http", "public", "ingress") or {}
    legacy = f.get("http", "public", "security_groups")
    if ingress.get("cdn") or (isinstance(legacy, Mapping) and legacy):
        m.warn(("http", "public", "ingress"), "restricted the ALB to CloudFront; ecsp's ALB accepts all sources")
    if ingress.get("source_ips"):
        m.warn(("http", "public", "ingress", "source_ips"), f"restricted the ALB to "
                                                            f"{', '.join(map(str, ingress['source_ips']))}; ecsp's "
                                                            "ALB accepts all sources")
    if f.get("http", "private"):
        m.warn(("http", "private"), "configured the internal load balancer of Backend Services; ecsp has none "
                                    "(backends are reached through Service Connect)")
    if f.get("cdn"):
        m.warn(("cdn",), "put CloudFront in front of the ALB; ecsp serves straight from the ALB")
    return m.finish("environment")


def _subnet_layout(m: Mapper, subnets: Mapping[str, Any], carved: Any) -> None:
    wanted = {"public": list(carved.public), "private": list(carved.private)}
    for side in ("public", "private"):
        given = [s for s in subnets.get(side) or [] if isinstance(s, Mapping)]
        cidrs = [str(s["cidr"]) for s in given if s.get("cidr")]
        if cidrs and cidrs != wanted[side]:
            m.warn(("network", "vpc", "subnets", side), f"were {', '.join(cidrs)}; ecsp carves "
                                                        f"{', '.join(wanted[side])} itself")
        if any(s.get("az") for s in given):
            m.warn(("network", "vpc", "subnets", side), "pinned availability zones; ecsp picks the region's first "
                                                        "two")
