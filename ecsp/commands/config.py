"""``ecsp validate``, ``ecsp schema`` and ``ecsp init``: the project file."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from ecsp.commands import HelpFormatter, fill

if TYPE_CHECKING:
    from ecsp.config import ProjectConfig

VALIDATE_EPILOG = """\
examples:
  ecsp validate                   check ./ecsp.yaml
  ecsp validate -f examples/multi/ecsp.yaml
  ecsp validate -q && ecsp plan   in CI: silent when valid, exit 2 on problems

A problem reads FILE:LINE: FIELD: what is wrong; how to fix it, e.g.
  ecsp.yaml:14: applications.web.memory: 300 MiB is not valid with cpu 256;
  use 512, 1024 or 2048
"""

SCHEMA_EPILOG = """\
examples:
  ecsp schema > ecsp.schema.json         then start ecsp.yaml with the line
      # yaml-language-server: $schema=ecsp.schema.json
  ecsp schema -o .vscode/ecsp.schema.json
"""

INIT_EPILOG = """\
examples:
  ecsp init                                         asks; finds your Dockerfiles
  ecsp init --name shop                             environment test, app web
  ecsp init --name shop --region us-west-2 --env test --env prod:eu-west-1
  ecsp init --name shop --app api --build ./api     image from ./api/Dockerfile
  ecsp init --name shop -f infra/ecsp.yaml --force  replace an existing file
  ecsp init --name shop --env test --env prod --pipeline   with a pipeline

The file validates as written (with --build, once DIR/Dockerfile exists); edit it, then
run `ecsp validate` and `ecsp plan`.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    raw = HelpFormatter
    p = sub.add_parser("validate", parents=[common], help="check ecsp.yaml and explain every problem",
                       description="Validate ecsp.yaml without touching AWS. Prints every problem as "
                       "FILE:LINE: FIELD: what to fix, and exits 2 when there is one.",
                       epilog=VALIDATE_EPILOG, formatter_class=raw)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when the file is valid")
    p.set_defaults(handler=validate)

    p = sub.add_parser("schema", help="print the JSON Schema of ecsp.yaml (for editor completion)",
                       description="Print the JSON Schema of ecsp.yaml: every field, its type and what it "
                       "means. Point your editor's YAML extension at it for completion and checks as you type.",
                       epilog=SCHEMA_EPILOG, formatter_class=raw)
    p.add_argument("-o", "--output", metavar="PATH", help="write the schema to PATH instead of standard output")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=schema)

    p = sub.add_parser(
        "init", parents=[common], help="write a commented starter ecsp.yaml",
        description="Write a commented starter ecsp.yaml from flags, or, in a terminal without --name, from "
        "your answers to a few questions (an application proposed for each Dockerfile found). Refuses to "
        "replace an existing file unless --force is given.",
        epilog=INIT_EPILOG, formatter_class=raw,
    )
    p.add_argument("--name", help="project name (lowercase letters, digits, hyphens); without it, in a terminal, "
                   "init asks (and proposes an application for each Dockerfile it finds)")
    p.add_argument("--region", default="us-east-1", help="home region, and the default for environments "
                   "(default: us-east-1)")
    p.add_argument("--account", help="project AWS account id (12 digits)")
    p.add_argument("--domain", help="a domain with a hosted zone in the project account (enables HTTPS)")
    p.add_argument("--env", action="append", dest="envs", metavar="NAME[:REGION]",
                   help="an environment, optionally in another region (repeatable; default: test)")
    p.add_argument("--app", default="web", help="first application's name (default: web)")
    image = p.add_mutually_exclusive_group()
    image.add_argument("--image", help="an existing image for it (default: public.ecr.aws/nginx/nginx:stable)")
    image.add_argument("--build", metavar="DIR", help="build its image from DIR/Dockerfile instead")
    p.add_argument("--port", type=int, default=80, help="its container port (default: 80)")
    p.add_argument("--pipeline", action="store_true",
                   help="add a starter release pipeline (pipelines:) deploying the environments in order, and "
                   "the S3 state backend its build needs")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(handler=init)


# --------------------------------------------------------------------------- validate


def validate(args: argparse.Namespace) -> int:
    import shutil

    from ecsp import loader

    config = loader.load(args.file)
    if not args.quiet:
        # Filled between words, continuations indented under their label, rather than cut by the terminal.
        width = shutil.get_terminal_size().columns
        for line in summary(config, args.file).splitlines():
            print(fill(line, width, subsequent_indent="    "))
    return 0


def summary(config: ProjectConfig, file: str) -> str:
    """What a valid file describes, in a few lines: environments, applications, stacks."""
    from ecsp.config import Capability

    envs = ", ".join(
        f"{name} ({env.region}" + (f", {config.account_of(name)}" if config.account_of(name) else "") + ")"
        for name, env in config.environments.items()
    )
    apps = []
    for name, app in config.applications.items():
        first = config.application(next(iter(config.environments)), name)
        # Only an application with a load balancer route has a path (as `ecsp show` says): the others their type.
        notes = [first.path if first.has(Capability.HTTP) else first.kind]
        if app.image.build:
            notes.append(f"built from {app.image.build}")
        if first.placement == "private":
            notes.append("private")
        if app.environments:
            notes.append(f"overrides for {', '.join(app.environments)}")
        apps.append(f"{name} ({', '.join(notes)})")
    n_env, n_app = len(config.environments), len(config.applications)
    domain = f" (domain {config.project.domain})" if config.project.domain else ""
    lines = [
        f"{file}: project '{config.project.name}' is valid{domain}",
        f"  environments: {envs}",
        f"  applications: {', '.join(apps) or 'none yet'}",
        f"  stacks: {1 + n_env + n_env * n_app} (1 project, {n_env} environment, {n_env * n_app} application); "
        "preview them with `ecsp plan`",
    ]
    if config.pipelines:
        lines.append("  pipelines: " + ", ".join(
            f"{name} ({' -> '.join(s.environment for s in p.stages)})" for name, p in config.pipelines.items())
            + "; `ecsp plan --with-pipeline` shows them")
    return "\n".join(lines)


# --------------------------------------------------------------------------- schema


def schema_document() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ecsp.yaml."""
    from ecsp.config import ProjectConfig

    document = ProjectConfig.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "ecsp.yaml"
    return document


def schema(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ecsp.errors import UsageError

    text = json.dumps(schema_document(), indent=2) + "\n"
    if args.output:
        target = Path(args.output)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except IsADirectoryError:
            raise UsageError(f"{target} is a directory",
                             fix=f"name the file, e.g. -o {target / 'ecsp.schema.json'}") from None
        except OSError as e:
            raise UsageError(f"cannot write {target}: {e.strerror or e}",
                             fix="choose a path you can write to, or leave -o out to print the schema") from None
        print(f"wrote {target}")
    else:
        print(text, end="")
    return 0


# --------------------------------------------------------------------------- init


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
{image}
    port: {port}                   # container port
    path: /                    # URL path prefix on the shared load balancer; "/" for one app only
    cpu: 256                   # Fargate task size: cpu units ...
    memory: 512                # ... and MiB (ecsp checks the pair against Fargate's table)
    count: 1                   # or {{min: 1, max: 4, cpu_percentage: 70}} to autoscale
    # healthcheck: {{path: /health, interval: 10, timeout: 5}}
    # variables: {{LOG_LEVEL: info}}
    # secrets: {{DB_PASSWORD: /{name}/db-password}}   # SSM parameter name or ARN
    # placement: private       # needs network.nat: single or per-az in the environment
    # environments:            # per-environment overrides of any field above
    #   {last_env}: {{count: 2, memory: 1024}}
"""

DEFAULT_IMAGE = "public.ecr.aws/nginx/nginx:stable"

# The pipeline's build runs in CodeBuild: it needs a state backend it can reach, and the passphrase.
STARTER_PIPELINE = """\

state:
  backend: s3://{name}-pulumi-state/ecsp   # create the bucket first; the pipeline's build reads the state here

pipelines:
  release:                     # `ecsp plan --with-pipeline` shows it, `ecsp up --with-pipeline` deploys it
    source: github             # github | bitbucket | gitlab (CodeStar connection) | codecommit
    repository: your-org/{name}   # owner/name; for codecommit the repository's name
    branch: main
    connection: create         # stays PENDING until you complete the handshake in the AWS console once
    secrets: {{PULUMI_CONFIG_PASSPHRASE: /{name}/pulumi-passphrase}}   # an SSM SecureString the build reads
    # approval_topic: arn:aws:sns:{region}:111111111111:{name}-approvals   # notified of manual approvals
    stages:                    # in order; a failed stage stops the later ones
{stages}
"""

# Which flag sets which field: a bad flag is reported as the flag, not as a line of a file that
# was never written.
_FLAG_OF = {
    "project.name": "--name", "project.region": "--region", "project.account": "--account",
    "project.domain": "--domain", "applications": "--app", "environments": "--env",
}


def _scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain when that is unambiguous, else double-quoted."""
    import json

    return value if re.fullmatch(r"[A-Za-z0-9./][A-Za-z0-9._/:@+-]*", value) else json.dumps(value)


def starter(args: argparse.Namespace) -> str:
    """The text of the starter file the flags describe."""
    envs = [(name, region or args.region) for name, _, region in
            (spec.partition(":") for spec in (args.envs or ["test"]))]
    environments = "\n".join(
        f"  {_scalar(env)}:\n    region: {_scalar(region)}\n"
        + ("    # account: \"111111111111\"   # defaults to the project account\n" if not args.account else "")
        + "    network: {cidr: 10.0.0.0/16, nat: none}   # nat: none | single | per-az"
        for env, region in envs
    )
    if args.build:
        image = f"      build: {_scalar(args.build)}   # a directory with a Dockerfile, relative to this file"
    else:
        image = (f"      location: {_scalar(args.image or DEFAULT_IMAGE)}   # or build: ./{args.app} "
                 "(a directory with a Dockerfile)")
    text = STARTER.format(
        name=_scalar(args.name), region=_scalar(args.region), app=_scalar(args.app), image=image,
        port=args.port, last_env=envs[-1][0],
        account=f'  account: "{args.account}"\n' if args.account else '  # account: "111111111111"\n',
        domain=f"  domain: {_scalar(args.domain)}\n" if args.domain else "  # domain: example.com     # enables "
        "HTTPS\n",
        environments=environments,
    )
    for name, build, port in getattr(args, "more_apps", None) or []:
        text += (f"  {_scalar(name)}:\n    image:\n      build: {_scalar(build)}   # a directory with a Dockerfile\n"
                 f"    port: {port}\n    path: /{name}                 # its own path on the load balancer\n")
    if getattr(args, "pipeline", False):
        stages = "\n".join(
            f"      - environment: {_scalar(env)}" + ("\n        approval: manual   # a person approves first"
                                                    if i and i == len(envs) - 1 else "")
            + ("\n        # test_commands: [\"curl -fsS $(ecsp outputs --env " + env + " --app " + args.app
               + " url)\"]" if i == 0 else "")
            for i, (env, _) in enumerate(envs))
        text += STARTER_PIPELINE.format(name=args.name, region=args.region, stages=stages)
    return _align_comments(text)


def _align_comments(text: str, column: int = 32) -> str:
    """Start trailing comments in one column, whatever length the values have."""
    out = []
    for line in text.splitlines():
        code, sep, comment = line.rpartition("  #")
        if sep and code.strip():
            code = code.rstrip()
            line = f"{code}{' ' * max(2, column - len(code))}#{comment}"
        out.append(line)
    return "\n".join(out) + "\n"


def init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ecsp import loader
    from ecsp.errors import ConfigError, UsageError

    target = Path(args.file)
    if target.is_dir():
        raise UsageError(f"{target} is a directory", fix=f"name the file, e.g. -f {target / 'ecsp.yaml'}")
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists", fix="pass --force to overwrite it, or -f OTHER.yaml")
    if args.name is None:
        import sys

        if not sys.stdin.isatty():
            raise UsageError("ecsp init needs --name when standard input is not a terminal",
                             fix="e.g. ecsp init --name shop (or run it in a terminal to be asked)")
        from ecsp.commands import init_prompts

        init_prompts.fill(args, target.parent if str(target.parent) else Path("."))
    text = starter(args)
    try:
        config = loader.loads(text, str(target))  # never write a file that does not validate
    except ConfigError as e:
        raise UsageError("the flags do not make a valid project:\n" + "\n".join(
            f"  {_flag(p.path)}: {p.message}" for p in e.problems), fix="change the flags and run `ecsp init` "
            "again") from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {target}: {e.strerror or e}", fix="choose a path you can write to with "
                         "-f PATH") from None
    envs = ", ".join(config.environments)
    apps = ", ".join(config.applications)
    print(f"wrote {target}: project {config.project.name}, environments {envs}, "
          f"application{'s' if len(config.applications) > 1 else ''} {apps}")
    flag = "" if str(target) == "ecsp.yaml" else f" -f {target}"
    dockerfile = target.parent / args.build / "Dockerfile" if args.build else None
    if dockerfile is not None and not dockerfile.is_file():
        # The file is valid YAML and a valid project, but `ecsp validate` checks build contexts too.
        print(f"next: add {Path(args.build) / 'Dockerfile'} (next to {target}), then `ecsp validate{flag}` and "
              f"`ecsp plan{flag}`")
        return 0
    print(f"next: `ecsp validate{flag}`, then `ecsp plan{flag}`")
    return 0


def _flag(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "applications" and len(parts) > 2:
        return {"image": "--image/--build", "port": "--port"}.get(parts[2], "--app")
    return _FLAG_OF.get(parts[0] if parts[0] in ("applications", "environments") else path, path)
