"""Tags for images ecsp builds: a content hash of the build context (read at the edge).

Programs read no files, so the API hashes an application's build context before a run
and hands the tag to the program (``StackContext.image_tag``). Same content, same tag
(an unchanged image is not rebuilt into a new task definition); any change to a file,
the Dockerfile, the build arguments or the platform gives a new tag, which also works
with immutable ECR tags.
"""

from __future__ import annotations

import fnmatch
import hashlib
from pathlib import Path

from ecsp.config import ResolvedApplication

# ecsp's platform names -> Docker's (a deploy's build and `ecsp task run --build` alike).
DOCKER_PLATFORMS = {"linux/x86_64": "linux/amd64", "linux/arm64": "linux/arm64"}
# Never part of what docker sends as the context in practice, and large.
_ALWAYS_SKIPPED = (".git", ".ecsp")


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def _dockerignore(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    # Negations ("!keep") are rare in build contexts; treating them as absent only makes
    # the hash cover more files, never fewer.
    return [line.strip("/") for line in lines if line and not line.startswith(("#", "!"))]


def build_tag(root: Path, app: ResolvedApplication) -> str | None:
    """``ecsp-<12 hex>`` for an application built from a Dockerfile; None for an image location."""
    image = app.image
    if image.build is None:
        return None
    context = (root / image.build).resolve()
    digest = hashlib.sha256()
    digest.update(repr((image.dockerfile, sorted(image.args.items()), app.platform)).encode())
    if image.target:  # only when set: tags of builds without one stay what they were
        digest.update(f"target={image.target}".encode())
    patterns = _dockerignore(context)
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        relative = path.relative_to(context).as_posix()
        if relative.split("/")[0] in _ALWAYS_SKIPPED or _ignored(relative, patterns):
            continue
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "ecsp-" + digest.hexdigest()[:12]
