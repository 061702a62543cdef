"""Preview environments: short-lived environments made like one of ecsp.yaml's, recorded in their stacks' tags.

``ecsp up --env pr-42 --like test --ttl 3d`` deploys an environment that ecsp.yaml does not
name: its settings are ``test``'s (account, region, network, each application's ``test``
overrides), made cheaper (no NAT unless an application runs in private subnets, one task unless
the application's ``test`` override sets a count, no aliases, which belong to ``test``). What
makes it a preview is written on its stacks as tags (:data:`LIKE_TAG`, :data:`EXPIRES_TAG`), so
the state backend itself knows the previews and their expiry: ``ecsp ls``, ``ecsp destroy --env
pr-42`` and ``ecsp destroy --expired`` read them back from there, with no AWS call and no file of
their own, and Pulumi Cloud shows them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ecsp import schedules
from ecsp.config import MAX_PREVIEW_TTL, PREVIEW_TTL_DEFAULT, ProjectConfig, preview_name_problem
from ecsp.config.needs import Feature
from ecsp.errors import UsageError

LIKE_TAG = "ecsp:preview-of"
EXPIRES_TAG = "ecsp:expires"
MIN_TTL = 1.0


@dataclass(frozen=True)
class Preview:
    """One preview environment: its name, the environment it is like, and when it expires (UTC)."""

    name: str
    like: str
    expires: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires <= now

    def tags(self) -> dict[str, str]:
        """The stack tags that record it (on each of its stacks)."""
        return {LIKE_TAG: self.like, EXPIRES_TAG: self.expires.isoformat(timespec="seconds")}

    @classmethod
    def from_tags(cls, name: str, tags: Mapping[str, str]) -> Preview | None:
        """The preview a stack's tags record, or None (no preview tags, or ones ecsp cannot read)."""
        like, expires = tags.get(LIKE_TAG), tags.get(EXPIRES_TAG)
        if not like or not expires:
            return None
        try:
            when = datetime.fromisoformat(expires)
        except ValueError:
            return None
        return cls(name, like, when if when.tzinfo else when.replace(tzinfo=UTC))

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {"like": self.like, "expires": self.expires.isoformat(timespec="seconds"),
                "expired": self.expired(now)}


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def ttl(text: str | int | None) -> timedelta:
    """``--ttl``: a duration (``30m``, ``12h``, ``3d``), at most 90 days; the default is 3 days."""
    try:
        seconds = schedules.seconds(PREVIEW_TTL_DEFAULT if text is None else text)
    except ValueError as e:
        raise UsageError(f"--ttl {text}: {e}", fix="e.g. --ttl 3d") from None
    if not MIN_TTL <= seconds <= MAX_PREVIEW_TTL:
        raise UsageError(f"--ttl {text} is outside what a preview may live (1s to 90d)",
                         fix="put an environment that lives longer in ecsp.yaml")
    return timedelta(seconds=seconds)


def check_new(config: ProjectConfig, name: str, like: str) -> None:
    """Whether ``name`` may be a preview like ``like``: a UsageError saying what to change if not."""
    problem = preview_name_problem(name, config.environments)
    if problem is not None:
        raise UsageError(f"--env {name}: {problem}", fix="pick another name for the preview, e.g. --env pr-42")
    if like not in config.environments:
        close = difflib.get_close_matches(like, list(config.environments), n=1, cutoff=0.6)
        raise UsageError(f"--like {like}: ecsp.yaml has no environment '{like}' (environments: "
                         f"{', '.join(config.environments)})",
                         fix=f"did you mean --like {close[0]}?" if close else "name one of them")


def _cheaper(config: ProjectConfig, like: str, data: dict[str, Any]) -> dict[str, Any]:
    """``like``'s environment settings without a NAT, unless an application needs one (private placement)."""
    environment = dict(data["environments"][like])
    network = dict(environment.get("network") or {})
    needs_nat = any(need.feature is Feature.NAT for app in config.applications
                    for need in config.application(like, app).environment_needs())
    if not needs_nat and "vpc" not in network:
        network["nat"] = "none"
        environment["network"] = network
    return environment


def _override(config: ProjectConfig, like: str, app: str, written: dict[str, Any]) -> dict[str, Any]:
    """The application's override for a preview: its ``like`` override, one task unless that sets a count."""
    override = dict((written.get("environments") or {}).get(like) or {})
    override.setdefault("count", 1)
    if config.application(like, app).aliases:
        override["aliases"] = []  # the template's host names stay the template's
    return override


def with_previews(config: ProjectConfig, previews: Sequence[Preview], source: str = "ecsp.yaml") -> ProjectConfig:
    """``config`` plus the preview environments, each built from the environment it is like (validated again)."""
    if not previews:
        return config
    data = config.model_dump(mode="python", exclude_unset=True, by_alias=True)
    environments: dict[str, Any] = data["environments"]
    github = (data.get("ci") or {}).get("github")
    if github is not None and github.get("environments") is None:
        # A push deploys the environments of ecsp.yaml, never a preview.
        github["environments"] = list(config.environments)
    for preview in previews:
        if preview.like not in config.environments:
            raise UsageError(f"preview {preview.name} is like environment '{preview.like}', which ecsp.yaml no "
                             "longer has", fix=f"put '{preview.like}' back in ecsp.yaml to deploy or destroy it")
        environments[preview.name] = _cheaper(config, preview.like, data)
        for app, written in (data.get("applications") or {}).items():
            written.setdefault("environments", {})[preview.name] = _override(config, preview.like, app, written)
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as e:  # the template was accepted but its copy is not: say which preview, and why
        names = ", ".join(p.name for p in previews)
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise UsageError(f"{source}: the preview environment(s) {names} cannot be made from their template: "
                         f"{problems}", fix="change the template environment's settings, or pick another --like") from e


def find(tags_of: Mapping[str, Mapping[str, str]], names: Iterable[str] = ()) -> list[Preview]:
    """The previews recorded in environment stacks' tags (environment name -> its stack's tags)."""
    wanted = set(names)
    found = [Preview.from_tags(env, tags) for env, tags in sorted(tags_of.items()) if not wanted or env in wanted]
    return [p for p in found if p is not None]
