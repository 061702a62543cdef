"""publish (SNS topics) and subscribe (a worker's queue and its topics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecsp.importer.fields import Mapper, WorkloadContext


def publish(m: Mapper) -> None:
    topics = m.f.get("publish", "topics")
    names = []
    for i, topic in enumerate(topics or []):
        if not isinstance(topic, Mapping) or not topic.get("name"):
            continue
        names.append(str(topic["name"]))
        if topic.get("fifo"):
            m.warn(("publish", "topics", i, "fifo"), f"made topic {topic['name']} FIFO; ecsp's topics are "
                                                     "standard (no ordering, possible duplicates)")
    if names:
        m.out.fields["publish"] = names


def subscribe(m: Mapper, ctx: WorkloadContext) -> None:
    f, out = m.f, m.out.fields
    subscriptions = []
    for i, topic in enumerate(f.get("subscribe", "topics") or []):
        if not isinstance(topic, Mapping):
            continue
        service = topic.get("service")
        entry: dict[str, Any] = {"app": ctx.application(str(service)) if service is not None else None,
                                 "topic": topic.get("name")}
        if topic.get("filter_policy"):
            entry["filter"] = topic["filter_policy"]
        subscriptions.append(entry)
        if topic.get("queue"):
            m.warn(("subscribe", "topics", i, "queue"), f"gave topic {topic.get('name')} of {topic.get('service')} "
                                                        "its own queue; ecsp delivers every topic to the worker's "
                                                        "one queue (ECSP_QUEUE_URL)")
    if subscriptions:
        out["subscribe"] = subscriptions
    queue = f.get("subscribe", "queue")
    if isinstance(queue, Mapping) and queue:
        mapped: dict[str, Any] = {}
        for key, target in (("retention", "retention"), ("timeout", "visibility_timeout")):
            if queue.get(key) is not None:
                value = m.seconds(("subscribe", "queue", key), queue[key])
                if value is not None:
                    mapped[target] = value
        tries = (queue.get("dead_letter") or {}).get("tries")
        if tries is not None:
            mapped["max_receive_count"] = tries
        if queue.get("delay") is not None:
            m.warn(("subscribe", "queue", "delay"), f"({queue['delay']}) delayed every message; ecsp's queue "
                                                    "delivers at once")
        if queue.get("fifo"):
            m.warn(("subscribe", "queue", "fifo"), "made the queue FIFO; ecsp's queue is standard (no ordering, "
                                                   "possible duplicates): make sure the worker tolerates both")
        if mapped:
            out["queue"] = mapped
