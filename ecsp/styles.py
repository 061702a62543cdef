"""How ecsp names and colours what happens to stacks and resources, in every renderer.

One vocabulary for the terminal (rich styles) and the notebook (HTML colours, from the same
styles): a stack status's icon and style, a resource operation's sign and style, the
one-line change count (``+2 ~1 1 replaced -1``) and the short resource type. The live display,
plain lines, the final summary, ``RunResult`` in rich and Jupyter, and the plan tree all
read it, so a status or a change looks the same wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecsp.events import Status

STATUS_STYLE = {
    Status.PENDING: "dim",
    Status.RUNNING: "cyan",
    Status.SUCCEEDED: "green",
    Status.FAILED: "bold red",
    Status.SKIPPED: "yellow",
    Status.CANCELLED: "magenta",
}
STATUS_ICON = {
    Status.PENDING: "·",
    Status.RUNNING: ">",  # the live display draws a spinner instead
    Status.SUCCEEDED: "✓",
    Status.FAILED: "✗",
    Status.SKIPPED: "↷",
    Status.CANCELLED: "■",
}
# Pulumi ops that change a resource, in the order counts and lists show them: sign and style.
CHANGES = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "replace": ("+-", "magenta"),
    "delete": ("-", "red"),
    "import": ("=", "blue"),
}
TYPE_STYLE = "cyan"
# The notebook's HTML colour for each colour the styles above use.
_HTML = {"dim": "gray", "cyan": "teal", "green": "green", "red": "red", "yellow": "darkorange",
         "magenta": "purple", "blue": "blue"}


def op_style(op: str) -> str:
    """The style of a resource operation (plain for ops that change nothing)."""
    return CHANGES.get(op, ("", ""))[1]


def html_colour(style: str) -> str:
    """The HTML colour of a rich style (``bold red`` -> ``red``)."""
    return _HTML.get(style.split()[-1], "inherit") if style else "inherit"


def changes(counts: Mapping[str, int], *, empty: str = "") -> str:
    """``{"create": 2, "update": 1, "replace": 1}`` -> ``+2 ~1 1 replaced``; other ops by name, ``same`` left out.

    A replacement is said in words: its sign glued to a number (``+-1``) reads as "plus or minus one".
    """
    parts = [f"{counts[op]} replaced" if op == "replace" else f"{sign}{counts[op]}"
             for op, (sign, _) in CHANGES.items() if counts.get(op)]
    parts += [f"{n} {op}" for op, n in counts.items() if op not in CHANGES and op != "same" and n]
    return " ".join(parts) or empty


def short_type(type_: str) -> str:
    """``aws:ecs/service:Service`` -> ``aws:ecs:Service`` (how the Pulumi console shows types)."""
    parts = type_.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return type_
