"""``ecsp diagram``: the project's or an environment's architecture, drawn from the offline plan."""

from __future__ import annotations

import argparse
from typing import Any

from ecsp.commands import HelpFormatter


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "diagram", parents=[common], help="draw the project or an environment (SVG, PNG or Mermaid), offline",
        description="Draw what ecsp creates, from the offline plan (no AWS): with --env, the environment's VPC "
        "with its zones and subnets, NAT gateways, the shared load balancer and each application's rule (path, "
        "host), services and scheduled tasks, queues and topics with their subscriptions, Service Connect and "
        "storage with who uses it; without it, the project: per region the ECR repositories, KMS key and "
        "artifact bucket, the environments, the hosted zone and pipelines. SVG and PNG are drawn by Graphviz's "
        "`dot` (apt-get install graphviz); Mermaid needs nothing and renders on GitHub.",
        epilog="examples:\n  ecsp diagram --env test                  writes <project>-test.svg\n"
        "  ecsp diagram --format png -o project.png\n"
        "  ecsp diagram --env prod --format mermaid  prints a Mermaid flowchart\n"
        "  ecsp diagram --env prod --format dot | dot -Tpdf > prod.pdf",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--env", metavar="NAME", help="draw this environment (default: the project view)")
    p.add_argument("--format", choices=("svg", "png", "mermaid", "dot"), default="svg",
                   help="svg (default), png, mermaid or dot (Graphviz source)")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="write here; '-' for standard output (default: <project>-<env|project>.<format> for svg "
                   "and png, standard output for mermaid and dot)")
    p.set_defaults(handler=diagram)


def diagram(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from ecsp import api

    project = api.load(args.file)
    picture = project.diagram(env=args.env)
    data = picture.render(args.format)
    output = args.output
    if output is None:
        output = "-" if args.format in ("mermaid", "dot") else f"{project.name}-{args.env or 'project'}.{args.format}"
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(data)
        print(f"wrote {output} ({len(picture.nodes)} nodes, {len(picture.edges)} links)")
    return 0
