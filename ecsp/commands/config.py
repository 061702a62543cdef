"""``ecsp validate``, ``ecsp schema`` and ``ecsp init``: the project file."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("validate", parents=[common], help="check ecsp.yaml and explain every problem",
                       description="Validate ecsp.yaml. Prints every problem as FILE:LINE: FIELD: what to fix, "
                       "and exits 2 when there is one.")
    p.set_defaults(handler=validate)

    p = sub.add_parser("schema", help="print the JSON Schema of ecsp.yaml (for editor completion)",
                       description="Print the JSON Schema of ecsp.yaml. Save it and point your editor's YAML "
                       "extension at it, e.g. `# yaml-language-server: $schema=ecsp.schema.json`.")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=schema)

    p = sub.add_parser(
        "init", parents=[common], help="write a commented starter ecsp.yaml",
        description="Write a commented starter ecsp.yaml from flags (no prompts).",
        epilog="example: ecsp init --name shop --region us-west-2 --env test --env prod --app web",
    )
    p.add_argument("--name", required=True, help="project name (lowercase letters, digits, hyphens)")
    p.add_argument("--region", default="us-east-1", help="home region (default: us-east-1)")
    p.add_argument("--account", help="project AWS account id (12 digits)")
    p.add_argument("--domain", help="a domain with a hosted zone in the project account (enables HTTPS)")
    p.add_argument("--env", action="append", dest="envs", metavar="NAME",
                   help="an environment (repeatable; default: test)")
    p.add_argument("--app", default="web", help="first application's name (default: web)")
    p.add_argument("--image", default="public.ecr.aws/nginx/nginx:stable",
                   help="its image (default: public.ecr.aws/nginx/nginx:stable)")
    p.add_argument("--port", type=int, default=80, help="its container port (default: 80)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(handler=init)


def validate(args: argparse.Namespace) -> int:
    from ecsp import loader

    config = loader.load(args.file)
    apps = len(config.applications)
    envs = len(config.environments)
    print(f"{args.file}: project '{config.project.name}' is valid: {envs} environment(s), "
          f"{apps} application(s), {1 + envs + envs * apps} stack(s)")
    return 0


def schema(args: argparse.Namespace) -> int:
    import json

    from ecsp.config import ProjectConfig

    document = ProjectConfig.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "ecsp.yaml"
    print(json.dumps(document, indent=2))
    return 0


STARTER = """\
# ecsp project file. Validate with `ecsp validate`, preview offline with `ecsp plan`.
# Full reference: `ecsp schema` prints the JSON Schema (every field has a description).
project:
  name: {name}                 # lowercase letters, digits, hyphens; starts with a letter
  region: {region}             # home region of the project stack (ECR, KMS, artifacts)
{account}{domain}
environments:
{environments}
applications:
  {app}:
    image:
      location: {image}   # or build: ./{app}  (a directory with a Dockerfile)
    port: {port}                   # container port
    path: /                    # URL path prefix on the shared load balancer; "/" for one app only
    cpu: 256                   # Fargate task size: cpu units ...
    memory: 512                # ... and MiB (ecsp checks the pair against Fargate's table)
    count: 1                   # or {{min: 1, max: 4, cpu_percentage: 70}} to autoscale
    # healthcheck: {{path: /health, interval: 10, timeout: 5}}
    # variables: {{LOG_LEVEL: info}}
    # secrets: {{DB_PASSWORD: /{name}/test/db-password}}   # SSM parameter name or ARN
    # placement: private       # needs network.nat: single or per-az in the environment
    # environments:            # per-environment overrides of any field above
    #   prod: {{count: 2, memory: 1024}}
"""


def init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ecsp import loader
    from ecsp.errors import UsageError

    target = Path(args.file)
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists", fix="pass --force to overwrite it, or -f OTHER.yaml")
    envs = args.envs or ["test"]
    environments = "\n".join(
        f"  {env}:\n    region: {args.region}\n"
        + ("    # account: \"111111111111\"   # defaults to the project account\n" if not args.account else "")
        + "    network: {cidr: 10.0.0.0/16, nat: none}   # nat: none | single | per-az"
        for env in envs
    )
    text = STARTER.format(
        name=args.name, region=args.region, app=args.app, image=args.image, port=args.port,
        account=f'  account: "{args.account}"\n' if args.account else '  # account: "111111111111"\n',
        domain=f"  domain: {args.domain}\n" if args.domain else "  # domain: example.com     # enables HTTPS\n",
        environments=environments,
    )
    loader.loads(text, str(target))  # never write a file that does not validate
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}; next: `ecsp validate -f {target}` and `ecsp plan -f {target}`")
    return 0
