"""``ecsp ci github``: write the GitHub Actions workflows of ``ci.github`` (:mod:`ecsp.ci`), or check them.

Imports only argparse at import time so ``ecsp --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ecsp.commands import HelpFormatter

CI_EPILOG = """\
examples:
  ecsp ci github                  write the GitHub Actions workflows (ci.github)
  ecsp ci github --check          exit 1 when they differ from ecsp.yaml
  ecsp ci github --help           what the workflows do; what to set up first

GitLab CI is not offered: its OIDC tokens name the branch, never the protected environment
that approved a job, so a role cannot be limited to approved deploys (see the README).
"""

GITHUB_EPILOG = """\
examples:
  ecsp ci github                          write .github/workflows/ecsp-*.yml
  ecsp ci github --check                  exit 1 when they differ from ecsp.yaml
  ecsp ci github --stdout                 print them instead

The workflows: on a pull request `ecsp preview` of the first environment (its output in the
job summary) and, with ci.github.previews, a preview environment pr-NUMBER, destroyed when the
pull request closes (and hourly once expired); on a push to the branch `ecsp up` of each
environment in order, every one after the first behind the GitHub environment of its name.

Before the first run: `ecsp up` creates the OIDC roles the jobs assume (project stack) and the
deploy roles (environment stacks); add the repository secrets the jobs name (the Pulumi
passphrase or access token); give each later environment required reviewers in the
repository's Settings > Environments.
"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ci", help="write CI workflows that deploy with OIDC (GitHub Actions)",
                       description="Write the CI workflows of ecsp.yaml's ci section.",
                       epilog=CI_EPILOG, formatter_class=HelpFormatter)
    services = p.add_subparsers(dest="service", metavar="SERVICE", title="services", required=True)
    g = services.add_parser("github", parents=[common], help="GitHub Actions workflows (ci.github)",
                            description="Write the GitHub Actions workflows of ci.github: preview on pull "
                            "requests, deploy the environments in order on pushes, AWS access by OIDC only.",
                            epilog=GITHUB_EPILOG, formatter_class=HelpFormatter)
    g.add_argument("-o", "--output", metavar="DIR",
                   help="the folder to write to (default: .github/workflows of the repository ecsp.yaml is in, "
                   "by ci.github.file)")
    mode = g.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 when a workflow is missing or differs from what ecsp.yaml makes")
    mode.add_argument("--stdout", action="store_true", help="print the workflows instead of writing them")
    g.set_defaults(handler=github)


def workflows_dir(config_path: Path, file: str) -> Path:
    """``.github/workflows`` of the repository whose ``file`` (ci.github.file) is ``config_path``."""
    root = config_path.resolve().parent
    for _ in Path(file).parent.parts:
        root = root.parent
    return root / ".github" / "workflows"


def github(args: argparse.Namespace) -> int:
    from ecsp import api, ci

    project = api.load(args.file)
    documents = ci.workflows(project.config)
    if args.stdout:
        for name, text in documents.items():
            print(f"# ---- .github/workflows/{name}\n{text}")
        return 0
    github_config = ci.github_config(project.config)
    folder = Path(args.output) if args.output else workflows_dir(project.path, github_config.file)
    if args.check:
        stale = [name for name, text in documents.items()
                 if not (folder / name).is_file() or (folder / name).read_text() != text]
        for name in stale:
            print(f"{folder / name}: differs from what ecsp.yaml makes; run `ecsp ci github`", file=sys.stderr)
        return 1 if stale else 0
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / name).write_text(text)
        print(f"wrote {folder / name}")
    model = ci.model(project.config)
    later = [d.environment for d in model.deploys if d.github_environment is not None]
    secrets = [key for key, value in ci.secrets_env(project.config).items() if "secrets." in value]
    print("next:", file=sys.stderr)
    print("  ecsp up                         creates the OIDC roles the jobs assume (and the deploy roles)",
          file=sys.stderr)
    if secrets:
        print(f"  repository secrets              {', '.join(secrets)} (Settings > Secrets and variables > "
              "Actions)", file=sys.stderr)
    if later:
        print(f"  GitHub environments             {', '.join(later)}: add required reviewers (Settings > "
              "Environments)", file=sys.stderr)
    return 0
