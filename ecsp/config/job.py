"""The schedule block: what an application that runs to completion sets (schedule, timeout, retries)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ecsp.config.base import Model
from ecsp.config.fields import Capability, Setting
from ecsp.config.types import Schedule

SCHEDULE = Capability.SCHEDULE


class ScheduleBlock(Model):
    """When a job runs and how long and how often a run may try."""

    # Stand-in "none": a schedule that was written, just wrong, is not also reported as missing.
    schedule: Annotated[Schedule | None, Setting(SCHEDULE, why="only a job runs on a schedule", stand_in="none",
                                                 stand_in_overrides=True)] = Field(
        None, description="Jobs: when to run: rate(1 hour), cron(0 3 * * ? *) (UTC) or none (only `ecsp run`).",
        examples=["rate(1 day)"])
    timeout: Annotated[int | None, Setting(SCHEDULE, why="only a job's runs end and can time out")] = Field(
        None, ge=1, le=31536000, description="Jobs: seconds a run may take before it is stopped (default: no "
        "limit).")
    retries: Annotated[int, Setting(SCHEDULE, why="only a job's runs end and can be retried")] = Field(
        0, ge=0, le=10, description="Jobs: times a failed run is retried (default 0).")
