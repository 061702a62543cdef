"""Interactive ``ecsp init`` (stdin a terminal, no ``--name``): find the Dockerfiles, ask, fill in the flags.

What Copilot's ``init`` did: it looked for Dockerfiles and proposed a service for each. Here
every answer becomes the flag ``ecsp init`` would have been given (name, region,
environments, applications), so the file written is the same commented starter, and is
validated the same way, as with flags.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Folders that hold no application of the project's own: dependencies, tools' state, VCS.
SKIPPED = frozenset({".git", ".ecsp", ".venv", "venv", "node_modules", "__pycache__", ".tox", "copilot", "dist",
                     "build", "target", "vendor"})
MAX_DEPTH = 3
DEFAULT_PORT = 80
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(\d+)", re.IGNORECASE | re.MULTILINE)

Ask = Callable[[str], str]


@dataclass(frozen=True)
class Found:
    """An application proposed from a Dockerfile: its name, build folder (relative to ecsp.yaml) and port."""

    name: str
    build: str
    port: int


def app_name(folder: str) -> str:
    """A valid application name from a folder's name (``My_API`` -> ``my-api``)."""
    name = re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"app-{name}".strip("-")
    return name[:30].rstrip("-")


def dockerfiles(root: Path, *, depth: int = MAX_DEPTH) -> Iterator[Found]:
    """Every folder under ``root`` (``root`` too, ``depth`` levels down) with a Dockerfile, in name order."""
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        level = len(here.relative_to(root).parts)
        subfolders[:] = sorted(s for s in subfolders if s not in SKIPPED and not s.startswith(".")
                               and level < depth)
        if "Dockerfile" in files:
            text = (here / "Dockerfile").read_text(encoding="utf-8", errors="replace")
            exposed = _EXPOSE.search(text)
            build = "." if here == root else f"./{here.relative_to(root).as_posix()}"
            name = app_name(root.resolve().name if here == root else here.name)
            yield Found(name, build, int(exposed[1]) if exposed else DEFAULT_PORT)


def _ask(ask: Ask, question: str, default: str) -> str:
    answer = ask(f"{question} [{default}]: ").strip()
    return answer or default


def _yes(ask: Ask, question: str) -> bool:
    return ask(f"{question} [Y/n]: ").strip().lower() in ("", "y", "yes")


def fill(args: argparse.Namespace, root: Path, ask: Ask = input, say: Callable[[str], None] = print) -> None:
    """Ask for what the flags would say, and set it on ``args``: name, region, environments and applications."""
    say("ecsp init: a few questions, then a commented ecsp.yaml (Enter takes the [default]).")
    args.name = _ask(ask, "project name", app_name(root.resolve().name))
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or args.region
    args.region = _ask(ask, "home region", region)
    envs = _ask(ask, "environments, in deploy order (NAME or NAME:REGION, comma-separated)",
                ",".join(args.envs or ["test"]))
    args.envs = [e.strip() for e in envs.split(",") if e.strip()]
    found = list(dockerfiles(root))
    chosen: list[Found] = []
    if found:
        say(f"found {len(found)} Dockerfile(s):")
        for f in found:
            say(f"  {f.build}/Dockerfile  -> application {f.name}, port {f.port}")
        for f in found:
            if _yes(ask, f"add application {f.name} (built from {f.build}, port {f.port})?"):
                chosen.append(f)
    if chosen:
        first, *more = chosen
        args.app, args.build, args.image, args.port = first.name, first.build, None, first.port
        args.more_apps = [(f.name, f.build, f.port) for f in more]
    else:
        say("no application from a Dockerfile: one from an existing image instead")
        args.app = _ask(ask, "application name", args.app)
        args.image = _ask(ask, "its image", args.image or "public.ecr.aws/nginx/nginx:stable")
        args.port = int(_ask(ask, "its container port", str(args.port)))
        args.build, args.more_apps = None, []


__all__ = ["Found", "app_name", "dockerfiles", "fill"]
