"""A managed cache: ElastiCache Serverless (Valkey by default, or Redis OSS) in the private subnets.

Serverless caches encrypt at rest and accept TLS connections only; the cache's own security
group lets in the applications that link it (:mod:`stacks.storage_network`). Daily snapshots
are kept for a week. Kept when the entry leaves ecsp.yaml or the stack is destroyed.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ecsp import naming
from ecsp.config.data import Data
from stacks import _aws
from stacks.storage_network import security_group

SNAPSHOT_DAYS = 7


class Cache(pulumi.ComponentResource):
    """One data entry of kind redis."""

    facts: dict[str, pulumi.Input[Any]]

    def __init__(self, name: str, *, names: naming.DataNames, settings: Data, vpc_id: pulumi.Input[str],
                 private_subnet_ids: pulumi.Input[list[str]], provider: aws.Provider,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsp:storage:Cache", name, None, opts)
        group = security_group(name, names=names, what="cache", vpc_id=vpc_id, provider=provider, parent=self,
                               retain_on_delete=True)
        limits = None
        if settings.max_storage is not None:
            limits = aws.elasticache.ServerlessCacheCacheUsageLimitsArgs(
                data_storage=aws.elasticache.ServerlessCacheCacheUsageLimitsDataStorageArgs(
                    maximum=settings.max_storage, unit="GB"))
        cache = aws.elasticache.ServerlessCache(
            name, name=names.cache, engine=settings.cache_engine,
            major_engine_version=settings.engine_version.split(".")[0],
            description=f"{names.base} ({settings.cache_engine})", subnet_ids=private_subnet_ids,
            security_group_ids=[group.id], cache_usage_limits=limits, snapshot_retention_limit=SNAPSHOT_DAYS,
            tags={"Name": names.tag()}, opts=_aws.opts(provider, self, retain_on_delete=True))
        endpoint = cache.endpoints.apply(lambda e: e[0] if e else None)
        self.facts = {
            "kind": "redis", "managed": True, "host": endpoint.apply(lambda e: e.address if e else None),
            "port": endpoint.apply(lambda e: e.port if e else None), "security_group_id": group.id,
        }
        self.register_outputs({"cacheName": cache.name})
