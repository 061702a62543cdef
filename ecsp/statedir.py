"""The project's ``.ecsp/`` folder, where ecsp keeps what it writes (state, Pulumi work dirs, plans), out of git.

``.ecsp/`` sits next to ecsp.yaml, usually inside the user's repository. ecsp puts a
``.gitignore`` of ``*`` in it the first time it writes there, so neither the state backend
nor the plan cache ever lands in a commit, whatever the repository's own ``.gitignore`` says.
"""

from __future__ import annotations

from pathlib import Path

GITIGNORE = "# Written by ecsp: state, Pulumi work dirs and plans stay out of git.\n*\n"


def ecsp_dir(root: Path, *, local: bool = False) -> Path:
    """``<root>/.ecsp``, or ``<root>/.ecsp/local`` for the local emulator's runs."""
    return root / ".ecsp" / "local" if local else root / ".ecsp"


def ensure(root: Path) -> Path:
    """``<root>/.ecsp`` exists and git ignores it; returns it."""
    folder = ecsp_dir(root)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        folder.mkdir(parents=True, exist_ok=True)
        ignore.write_text(GITIGNORE, encoding="utf-8")
    return folder


__all__ = ["GITIGNORE", "ecsp_dir", "ensure"]
