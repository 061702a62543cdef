"""The task block of an application: its image, and the Fargate cpu/memory pair."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from ecsp import fargate
from ecsp.config.base import FieldError, Model
from ecsp.config.variables import SECRETSMANAGER_ARN_PATTERN, stringify

DEFAULT_CPU = 256
DEFAULT_MEMORY = 512


class ImageConfig(Model):
    """Where the container image comes from: an existing image, or a Dockerfile to build."""

    location: str | None = Field(None, description="An existing image URI, used as is.", min_length=1)
    build: str | None = Field(
        None, description="Build context directory (relative to ecsp.yaml) holding a Dockerfile.", min_length=1
    )
    dockerfile: str | None = Field(None, description="Dockerfile path inside the build context.")
    args: dict[str, str] = Field(default_factory=dict, description="Docker build arguments.")
    target: str | None = Field(None, min_length=1, description="The build stage to build (docker build --target).")
    credentials: str | None = Field(
        None, description="A private registry's credentials: the ARN of a Secrets Manager secret holding "
        "{username, password} (the execution role may read it).",
        examples=["arn:aws:secretsmanager:us-west-2:111111111111:secret:dockerhub-AbCdEf"])

    @field_validator("credentials")
    @classmethod
    def _credentials(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(SECRETSMANAGER_ARN_PATTERN, v):
            raise ValueError(f"'{v}' is not a Secrets Manager secret ARN; use "
                             "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME")
        return v

    @field_validator("args", mode="before")
    @classmethod
    def _args(cls, v: Any) -> Any:
        return stringify(v)

    @field_validator("location")
    @classmethod
    def _location_is_one_reference(cls, v: str | None) -> str | None:
        if v is not None and (v != v.strip() or any(c.isspace() for c in v)):
            raise ValueError(f"{v!r} is not an image reference (it contains spaces); use e.g. nginx:1.27 or "
                             "public.ecr.aws/nginx/nginx:stable")
        return v

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ImageConfig:
        if self.location is not None and self.build is not None:
            raise FieldError((), "set only one of location (use an existing image) or build (build a Dockerfile "
                                 "directory), not both")
        if self.location is None and self.build is None:
            raise FieldError((), "add location (an image URI, e.g. public.ecr.aws/nginx/nginx:stable) or build "
                                 "(a directory with a Dockerfile, e.g. ./web)")
        if self.build is not None and self.credentials is not None:
            raise FieldError(("credentials",), "an image ecsp builds goes to the project's ECR repository, which the "
                                               "execution role reads already; credentials are for an image location "
                                               "in a private registry: remove them")
        if self.location is not None and (self.dockerfile or self.args or self.target):
            key = "dockerfile" if self.dockerfile else "args" if self.args else "target"
            raise FieldError((key,), f"{key} only applies to images that ecsp builds; remove it, or replace "
                                     "location with build")
        return self


def pair_message(cpu: int, memory: int) -> str:
    return f"{memory} MiB is not valid with cpu {cpu}; use {fargate.describe_options(cpu)}"

