"""The messaging blocks of an application: a worker's queue and its subscriptions to topics."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ecsp import schedules
from ecsp.config.base import Model
from ecsp.config.types import Topic, duration


class QueueConfig(Model):
    """A worker's SQS queue (SSE-encrypted, with a dead-letter queue); defaults as Copilot's."""

    retention: Annotated[int | str, duration(60, 1209600, "SQS message retention")] = Field(
        345600, description="How long SQS keeps an unprocessed message: seconds or e.g. 4d (60s to 14d).",
        examples=["4d"])
    visibility_timeout: int = Field(
        30, ge=0, le=43200, description="Seconds a received message stays hidden from other tasks (0 to 43200).")
    max_receive_count: int = Field(
        10, ge=1, le=1000, description="Receives before a message moves to the dead-letter queue.")

    @property
    def retention_seconds(self) -> int:
        return int(schedules.seconds(self.retention))


class SubscriptionConfig(Model):
    """One topic a worker's queue receives: the publishing application, the topic, an optional filter."""

    app: str = Field(description="The application that publishes the topic.", examples=["web"])
    topic: Topic = Field(description="The topic's name, as listed in that application's publish.",
                         examples=["created"])
    filter: dict[str, Any] | None = Field(
        None, description="An SNS filter policy on message attributes, e.g. {store: [example]}.",
        examples=[{"store": ["example"]}])

