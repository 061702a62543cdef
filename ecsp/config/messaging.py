"""The messaging blocks: the topics an application publishes; a worker's queue and its subscriptions."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from ecsp import schedules
from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.fields import Capability, Merge, Setting
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


def _topics_unique(v: list[str]) -> list[str]:
    raise_all([FieldError((i,), f"'{t}' is listed twice; remove one") for i, t in enumerate(v) if t in v[:i]])
    return v


class PublishBlock(Model):
    """The SNS topics an application publishes."""

    publish: Annotated[list[Topic], AfterValidator(_topics_unique), Setting(Capability.PUBLISH, Merge.FIXED)] = Field(
        default_factory=list, description="SNS topics this application publishes (ARNs in ECSP_SNS_TOPIC_ARNS).",
        examples=[["created"]])


class QueueBlock(Model):
    """What an application consuming its own SQS queue has: the queue, and the topics it receives."""

    queue: Annotated[QueueConfig, Setting(Capability.QUEUE, why="only a worker has a queue")] = Field(
        default_factory=QueueConfig, description="Workers: their SQS queue's settings.",
        examples=[{"retention": "4d", "visibility_timeout": 30}])
    subscribe: Annotated[list[SubscriptionConfig], Setting(
        Capability.QUEUE, Merge.FIXED, why="only a worker has a queue to receive topics")] = Field(
        default_factory=list, description="Workers: topics their queue receives, as {app, topic, filter}.",
        examples=[[{"app": "web", "topic": "created"}]])
