"""The HTTP block: what an application behind the environment's load balancer sets (path, health check, aliases)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from ecsp.config.base import FieldError, Model, raise_all
from ecsp.config.fields import Capability, Merge, Setting
from ecsp.config.types import HealthCheckPath, HostName, SuccessCodes, UrlPath

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


MAX_ROUTES = 4  # ECS registers a service with at most 5 target groups: the application's and one per route


class RouteConfig(Model):
    """One more path (or host names) of the application: its own listener rules and target group."""

    path: UrlPath = Field(max_length=120, description="URL path prefix routed here ('/' needs aliases, or the "
                          "project's domain, to be told apart from the application's own rule).",
                          examples=["/admin"])
    aliases: list[HostName] = Field(
        default_factory=list, max_length=MAX_ALIASES, description="The host names this route matches (they need "
        "certificates as the application's aliases do); default the application's own host names.",
        examples=[["admin.example.com"]])
    target_container: str | None = Field(
        None, min_length=1, description="The container this route's requests go to: the application's own or a "
        "sidecar with a port; default the application's target (its target_container, else its own container).")
    healthcheck: HealthCheckConfig | None = Field(
        None, description="The health check of this route's target group; default the application's.")


def _aliases_once(v: list[str]) -> list[str]:
    raise_all([FieldError((i,), f"'{a}' is listed twice; list each alias once") for i, a in enumerate(v) if a in v[:i]])
    return v


def _unique_path(written_in: dict[str, Any]) -> str:
    return f"/~unreadable-{id(written_in)}"  # collides with no other application's path


HTTP = Capability.HTTP


class HttpBlock(Model):
    """What an application behind the load balancer has: its path, health check, draining and host names."""

    path: Annotated[UrlPath, Setting(HTTP, why="the load balancer routes a path only to web applications",
                                     stand_in=_unique_path, stand_in_overrides=True)] = Field(
        "/", max_length=120, description="URL path prefix routed to the application; '/' for at most one "
        "application without host names (a domain or aliases tell the others apart).")
    healthcheck: Annotated[HealthCheckConfig, Setting(
        HTTP, Merge.BY_FIELD, why="the load balancer checks only web applications (container_healthcheck checks "
        "any kind from inside its container)")] = Field(
        default_factory=HealthCheckConfig, description="Load balancer health check (web).",
        examples=[{"path": "/health"}])
    deregistration_delay: Annotated[int, Setting(HTTP, why="only web applications are behind the load balancer")] \
        = Field(60, ge=0, le=3600, description="Seconds the load balancer drains a stopping task.")
    aliases: Annotated[list[HostName], AfterValidator(_aliases_once),
                       Setting(HTTP, why="only web applications have host names on the load balancer")] = Field(
        default_factory=list, max_length=MAX_ALIASES,
        description="Extra host names of the application: names under <env>.<project>.<domain> get DNS records "
        "and the environment's certificate; others need a certificate in the environment's certificates.",
        examples=[["www.example.com"]])
    target_container: Annotated[str | None, Setting(
        HTTP, why="only web applications receive the load balancer's requests")] = Field(
        None, min_length=1, description="The container the load balancer sends requests to: a sidecar with a port "
        "(e.g. a proxy in front of the application); default the application's own container and port.",
        examples=["nginx"])
    routes: Annotated[list[RouteConfig], Setting(
        HTTP, why="only web applications receive the load balancer's requests")] = Field(
        default_factory=list, max_length=MAX_ROUTES, description="More paths or host names of the application, "
        "each with its listener rules and target group, to the application's container or a sidecar (Copilot's "
        "http.additional_rules).", examples=[[{"path": "/admin", "target_container": "admin"}]])
