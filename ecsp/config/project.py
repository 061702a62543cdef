"""The ``project:`` and ``state:`` sections, and the rule for project, environment and application names."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from ecsp import naming
from ecsp.config.base import Model, fail
from ecsp.config.types import NAME_PATTERN, Account, Domain, EscEnvironment, Region, account_before


class StateConfig(Model):
    """Where Pulumi keeps state and how it encrypts secrets."""

    backend: str | None = Field(
        None,
        description="Pulumi state backend URL: file://DIR, s3://BUCKET[/prefix] or https://api.pulumi.com. "
        "Default: a file backend in .ecsp/state next to ecsp.yaml (PULUMI_BACKEND_URL overrides).",
    )
    secrets_provider: str = Field(
        "passphrase",
        description="Secrets provider: 'passphrase' (PULUMI_CONFIG_PASSPHRASE) or awskms://KEY?region=R.",
    )
    organization: str | None = Field(
        None, description="Pulumi Cloud organization owning the stacks (DIY backends always use 'organization')."
    )

    @field_validator("backend")
    @classmethod
    def _backend_scheme(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(file://|s3://|https?://|gs://|azblob://|postgres://)", v):
            raise ValueError(f"'{v}' is not a backend URL; use file://DIR, s3://BUCKET or https://api.pulumi.com")
        return v

    def remote_problem(self, runner: str) -> str | None:
        """Why ``runner`` (a machine other than this one, e.g. CodeBuild) cannot reach this state, or None."""
        if self.backend is not None and not self.backend.startswith("file://"):
            return None
        what = ("the default file backend (.ecsp/state on this machine)" if self.backend is None
                else f"'{self.backend}'")
        return (f"{runner} cannot reach {what}; set state.backend to s3://BUCKET/prefix or https://api.pulumi.com "
                "(and move the state there first: `pulumi stack export`/`import`)")

    @field_validator("secrets_provider")
    @classmethod
    def _secrets_scheme(cls, v: str) -> str:
        if v not in ("passphrase", "default") and not re.match(
            r"^(awskms|azurekeyvault|gcpkms|hashivault)://", v
        ):
            raise ValueError(f"'{v}' is not a secrets provider; use passphrase or awskms://KEY?region=REGION")
        return v


class EcrConfig(Model):
    """Settings of the project's ECR repositories."""

    keep_images: int = Field(50, ge=1, le=10000, description="Images each repository keeps (older ones expire).")
    immutable_tags: bool = Field(False, description="Make image tags immutable.")


def name_problem(what: str, name: str, limit: int) -> str | None:
    """Why ``name`` cannot name a ``what`` (project, environment, application), or None."""
    if not re.fullmatch(NAME_PATTERN, name):
        hint = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-")
        suggestion = f", e.g. '{hint}'" if hint and re.fullmatch(NAME_PATTERN, hint) and len(hint) <= limit else ""
        return (f"'{name}' is not a valid {what} name; use lowercase letters, digits and single hyphens, "
                f"starting with a letter{suggestion}")
    if len(name) > limit:
        return (f"'{name}' is {len(name)} characters; {what} names are at most {limit} so that the AWS names "
                "derived from them fit AWS limits; use a shorter name")
    if what == "application" and name in naming.KIND_LABELS:
        # <project>-<label> is the Pulumi project of a stack kind: an application of that name would share it.
        return f"'{name}' is reserved for ecsp's own stacks; choose another application name"
    return None


class ProjectSection(Model):
    """The project: its name, home region and account, and an optional domain."""

    name: str = Field(
        description="Project name: lowercase letters, digits and single hyphens, starting with a letter "
        f"(at most {naming.MAX_PROJECT} characters).",
        examples=["shop"],
        json_schema_extra={"pattern": NAME_PATTERN, "maxLength": naming.MAX_PROJECT},
    )
    region: Region = Field(description="Home region of the project stack, e.g. us-west-2.", examples=["us-west-2"])
    account: Account | None = Field(None, description="Project AWS account id (12 digits, quoted).")
    domain: Domain | None = Field(
        None,
        description="A domain whose hosted zone exists in the project account; enables HTTPS everywhere.",
        max_length=200,
    )
    ecr: EcrConfig = Field(default_factory=EcrConfig, description="ECR repository settings.")
    esc: list[EscEnvironment] = Field(
        default_factory=list, description="Pulumi ESC environments (PROJECT/ENVIRONMENT) every stack imports, "
        "first to last: AWS credentials by OIDC, secrets, config. Pulumi Cloud backends only.",
        examples=[["aws/shop-credentials"]])

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        problem = name_problem("project", v, naming.MAX_PROJECT)
        return fail(problem) if problem else v

    @field_validator("account", mode="before")
    @classmethod
    def _account_str(cls, v: Any) -> Any:
        return account_before(v)

