"""An application's release command: run once per deploy, in a one-off task of the new version, before the
service moves to it (database migrations, say). How a deploy runs it: :mod:`ecsp.rollout`."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from ecsp.config.base import Model

SHELL = ("/bin/sh", "-c")
DEFAULT_TIMEOUT = 900


def _shell_form(value: Any) -> Any:
    # A string is one shell command line, as Heroku's release phase takes it.
    return [*SHELL, value] if isinstance(value, str) and value.strip() else value


Command = Annotated[
    list[str], BeforeValidator(_shell_form),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1},
                              {"type": "array", "items": {"type": "string"}, "minItems": 1}]}),
]


class ReleaseConfig(Model):
    """A command run before each deploy of the application reaches its service."""

    command: Command = Field(
        description="What to run in a task of the new version before its service is updated: a list (the "
        "executable and its arguments) or a string (run with /bin/sh -c). A non-zero exit stops this "
        "application's deploy, with the old version still serving.",
        examples=[["python", "manage.py", "migrate"], "bundle exec rake db:migrate"])
    timeout: int = Field(DEFAULT_TIMEOUT, ge=10, le=86400,
                         description="Seconds the command may run (default 900); past that ecsp stops its task and "
                         "the deploy of this application fails.")

    @field_validator("command")
    @classmethod
    def _something_to_run(cls, v: list[str]) -> list[str]:
        if not v or not v[0].strip():
            raise ValueError("say what to run, e.g. command: [python, manage.py, migrate] or command: "
                             "\"bundle exec rake db:migrate\"")
        return v
