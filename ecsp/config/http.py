"""The load balancer block of a web application: its health check (and the override of it)."""

from __future__ import annotations

from pydantic import Field, model_validator

from ecsp.config.base import FieldError, Model
from ecsp.config.types import HealthCheckPath, SuccessCodes

MAX_ALIASES = 20


class HealthCheckConfig(Model):
    """Load balancer health check of the application's target group."""

    path: HealthCheckPath = Field("/", description="HTTP path the load balancer probes.", max_length=1024)
    interval: int = Field(10, ge=5, le=300, description="Seconds between probes.")
    timeout: int = Field(5, ge=2, le=120, description="Seconds before a probe fails.")
    healthy_threshold: int = Field(2, ge=2, le=10, description="Consecutive successes to become healthy.")
    unhealthy_threshold: int = Field(2, ge=2, le=10, description="Consecutive failures to become unhealthy.")
    success_codes: SuccessCodes = Field("200", description="HTTP codes, e.g. 200 or 200-299.")
    grace_period: int = Field(
        60, ge=0, le=7200, description="Seconds ECS ignores failed health checks after a task starts."
    )

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckConfig:
        if self.timeout >= self.interval:
            raise FieldError(("timeout",), f"{self.timeout}s must be less than the interval ({self.interval}s); "
                                           f"lower timeout or raise interval")
        return self


class HealthCheckOverride(Model):
    """Health check fields an environment overrides; merged into the base health check field by field.

    No cross-field rule here: ``timeout: 10`` is fine on its own when the base sets
    ``interval: 30``. The merged result is validated as a :class:`HealthCheckConfig`.
    """

    path: HealthCheckPath | None = Field(None, description="HTTP path the load balancer probes.", max_length=1024)
    interval: int | None = Field(None, ge=5, le=300, description="Seconds between probes.")
    timeout: int | None = Field(None, ge=2, le=120, description="Seconds before a probe fails.")
    healthy_threshold: int | None = Field(None, ge=2, le=10, description="Consecutive successes to become healthy.")
    unhealthy_threshold: int | None = Field(
        None, ge=2, le=10, description="Consecutive failures to become unhealthy."
    )
    success_codes: SuccessCodes | None = Field(None, description="HTTP codes, e.g. 200 or 200-299.")
    grace_period: int | None = Field(
        None, ge=0, le=7200, description="Seconds ECS ignores failed health checks after a task starts."
    )

