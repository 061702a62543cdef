"""What a check found: one record per problem, and whether a reviewed reason accepts it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem one check found in one planned resource.

    ``check``: which check (``shapes``, ``iam``, ``asl``, ``awsguard``); ``where``: the stack (or
    golden file), resource type and name; ``justified``: the reviewed reason that accepts it,
    or None when it must be fixed.
    """

    check: str
    where: str
    message: str
    justified: str | None = None

    @property
    def accepted(self) -> bool:
        return self.justified is not None

    def __str__(self) -> str:
        text = f"{self.check}: {self.where}: {self.message}"
        return f"{text} (accepted: {self.justified})" if self.justified else text

