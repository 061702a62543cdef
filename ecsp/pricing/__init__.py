"""The pinned, dated price table ``ecsp cost`` reads: AWS on-demand list prices per region, with their sources.

The table is a data file shipped in this package (``prices-<date>.json``); the newest one is used.
Each entry is one meter (``fargate-vcpu-hour``, ``nat-gb``, ...) with its unit, what it is, the AWS
pricing page it comes from, and a price per region. A region the table does not have, or a meter
without a price for a region, is answered with ``None``: the estimate says so and goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Meter:
    """One priced dimension: its unit, what it is, where the price comes from and the price per region."""

    key: str
    unit: str
    what: str
    source: str
    regions: dict[str, float]

    def price(self, region: str) -> float | None:
        return self.regions.get(region)


@dataclass(frozen=True)
class PriceTable:
    """Prices as of ``date`` (ISO), in ``currency``, for ``regions``."""

    date: str
    currency: str
    about: str
    regions: tuple[str, ...]
    meters: dict[str, Meter]
    file: str

    def meter(self, key: str) -> Meter:
        try:
            return self.meters[key]
        except KeyError:
            raise KeyError(f"no meter '{key}' in the price table {self.file}") from None

    def price(self, key: str, region: str) -> float | None:
        """The price of meter ``key`` in ``region``; None when the table has none (an unknown region or meter)."""
        meter = self.meters.get(key)
        return meter.price(region) if meter is not None else None

    def knows(self, region: str) -> bool:
        return region in self.regions


def parse(document: dict[str, Any], file: str) -> PriceTable:
    """A table from its JSON document (``file`` names it in messages)."""
    meters = {key: Meter(key, str(m["unit"]), str(m["what"]), str(m["source"]),
                         {str(r): float(p) for r, p in m["regions"].items()})
              for key, m in document["prices"].items()}
    return PriceTable(str(document["date"]), str(document["currency"]), str(document.get("about", "")),
                      tuple(document["regions"]), meters, file)


@cache
def load() -> PriceTable:
    """The newest price table shipped with ecsp."""
    folder = resources.files(__name__)
    files = sorted(f.name for f in folder.iterdir() if f.name.startswith("prices-") and f.name.endswith(".json"))
    if not files:  # pragma: no cover - the package always ships one
        raise FileNotFoundError("ecsp ships no price table (ecsp/pricing/prices-*.json)")
    newest = files[-1]
    return parse(json.loads(folder.joinpath(newest).read_text()), f"ecsp/pricing/{newest}")
