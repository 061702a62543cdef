"""The ``ci:`` section: deploying from a CI service (GitHub Actions) with OIDC, and its rules.

``ci.github`` names the repository and branch, the environments a push deploys in order (the
first one directly, each later one behind a GitHub environment of the same name, where the
repository's settings require reviewers), whether the GitHub OIDC provider is created or
already exists in the project account, and optionally a preview environment per pull request.
:mod:`ecsp.ci` writes the workflows; the project and environment stacks create the roles.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from ecsp import naming
from ecsp.config.base import FieldError, Model, matches, schema_pattern
from ecsp.config.environment import EnvironmentConfig
from ecsp.config.pipeline import Branch
from ecsp.config.project import ProjectSection, StateConfig, name_problem
from ecsp.config.types import duration

# GitHub's owner (user or organisation) and repository names: what `repo:<owner>/<name>` holds.
GITHUB_REPOSITORY_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]{1,100}$"
# Previews live at most this long; a longer-lived environment belongs in ecsp.yaml.
MAX_PREVIEW_TTL = 90 * 86400
PREVIEW_TTL_DEFAULT = "3d"

GithubRepository = Annotated[str, matches(
    GITHUB_REPOSITORY_PATTERN, lambda v: f"'{v}' is not a GitHub repository; use owner/name, e.g. acme/shop "
    "(as in https://github.com/acme/shop)"), schema_pattern(GITHUB_REPOSITORY_PATTERN)]
Ttl = Annotated[int | str, duration(60, MAX_PREVIEW_TTL, "a preview's time to live")]


class PullRequestPreviews(Model):
    """A preview environment per pull request: created (or updated) on each push to it, destroyed on close."""

    like: str = Field(description="The environment whose settings previews copy (its account, region and "
                      "application overrides; no NAT and one task unless that environment sets a count).",
                      examples=["test"])
    ttl: Ttl = Field(PREVIEW_TTL_DEFAULT, description="How long a preview lives after its last deploy "
                     "(30m, 12h, 3d; at most 90d); a scheduled workflow destroys expired ones.", examples=["3d"])


class GithubCi(Model):
    """GitHub Actions deploys: the workflows `ecsp ci github` writes and the OIDC roles they assume."""

    repository: GithubRepository = Field(description="The GitHub repository, owner/name.", examples=["acme/shop"])
    branch: Branch = Field("main", description="The branch whose pushes deploy.", max_length=200)
    environments: list[str] | None = Field(
        None, min_length=1, description="Environments a push deploys, in order (default: all, as written). The "
        "first deploys on every push; each later one waits behind the GitHub environment of its name, whose "
        "required reviewers (repository Settings > Environments) approve it.", examples=[["test", "prod"]])
    oidc_provider: Literal["create", "existing"] = Field(
        "create", description="create: the project stack creates the account's GitHub OIDC provider "
        "(token.actions.githubusercontent.com); existing: the account already has one (there is one per "
        "account), which the project stack looks up.")
    previews: PullRequestPreviews | None = Field(
        None, description="A preview environment per pull request (pr-NUMBER), like an existing environment.")
    file: str = Field("ecsp.yaml", min_length=1, description="Path of this ecsp.yaml in the repository.")
    install: str = Field("pip install .", min_length=1,
                         description="How the workflow installs ecsp (run in the repository).")
    python: str = Field("3.11", pattern=r"^3\.\d+$", description="The Python version the workflow sets up.")

    def deploy_order(self, environments: Mapping[str, object]) -> list[str]:
        """The environments a push deploys, in order."""
        return list(self.environments) if self.environments is not None else list(environments)


class CiSection(Model):
    """Deploying from a CI service with OIDC (no stored AWS keys)."""

    github: GithubCi | None = Field(None, description="GitHub Actions (`ecsp ci github` writes the workflows).")


def check_ci(ci: CiSection, project: ProjectSection, environments: Mapping[str, EnvironmentConfig],
             state: StateConfig) -> list[FieldError]:
    """The CI section names known environments (once each), knows the accounts, and its jobs reach the state."""
    github = ci.github
    if github is None:
        return []
    errors: list[FieldError] = []
    where: tuple[str | int, ...] = ("ci", "github")
    names = list(environments)

    def unknown(env: str, at: tuple[str | int, ...]) -> FieldError:
        close = difflib.get_close_matches(env, names, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "add it under environments, or remove it here"
        return FieldError(at, f"there is no environment '{env}' (environments: {', '.join(names)}); {hint}")

    seen: dict[str, int] = {}
    for i, env in enumerate(github.environments or []):
        if env not in environments:
            errors.append(unknown(env, (*where, "environments", i)))
        elif env in seen:
            errors.append(FieldError((*where, "environments", i), f"environments[{seen[env]}] already deploys "
                                     f"'{env}'; a push deploys each environment once: remove this entry"))
        seen.setdefault(env, i)
    if github.previews is not None and github.previews.like not in environments:
        errors.append(unknown(github.previews.like, (*where, "previews", "like")))
    if project.account is None:
        errors.append(FieldError(("project",), "the workflows name the GitHub roles by ARN, in the project account, "
                                               "which ecsp.yaml does not name; set project.account: \"123456789012\""))
    problem = state.remote_problem("GitHub Actions")
    if problem is not None:
        errors.append(FieldError(("state", "backend") if state.backend else where, problem))
    return errors


def preview_name_problem(name: str, environments: Mapping[str, object]) -> str | None:
    """Why ``name`` cannot name a preview environment, or None."""
    problem = name_problem("environment", name, naming.MAX_ENVIRONMENT)
    if problem is not None:
        return problem
    if name in environments:
        return f"'{name}' is an environment of ecsp.yaml; a preview needs a name of its own, e.g. pr-42"
    return None
