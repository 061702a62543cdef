"""Listener-rule priorities: a pure function from an environment's application paths to ALB rule priorities.

Every application stack puts its own rule on the environment's shared listener, and ALB
requires each rule's priority to be unique per listener, an integer in 1..50000, lower
numbers evaluated first. Copilot asked the listener at deploy time (``max + 1`` through a
Lambda custom resource), which races when two services deploy at once and makes the
number depend on history. ecsp derives it from the path instead, so that every
application stack can compute its own priority offline, in any order, in parallel.

The scheme
----------
* The root path ``/`` (pattern ``/*``, matches everything) always gets 50000, the
  highest priority number, so it is evaluated last.
* Any other path ``p`` has a *depth* (its number of segments: ``/api`` is 1,
  ``/api/v2`` is 2). Each depth owns a band of priorities; deeper bands hold lower
  numbers. Two rules can only match the same request when one path is a segment prefix
  of the other (``/api/*`` contains ``/api/v2/*``; ``/api`` and ``/apis`` are disjoint),
  and then the longer path is strictly deeper, so it lands in a lower band and is
  evaluated first: more specific before more general, whatever the hash says.
* Inside its band a path's *home* slot is a SHA-256 hash of the path. The hash is of
  the path alone, so a path's home never depends on which other applications exist.

Collisions
----------
Two paths of the same depth may hash to the same home. The collision rule only touches
the paths involved: among the paths sharing a home, the lexicographically smallest keeps
it; each other one probes upwards (wrapping inside its band) for the first slot that is
neither taken nor the home of any present path. Because displaced paths never take
another path's home, this invariant holds:

    a path whose home slot no other present path shares always gets its home priority.

Hence adding or removing an application never changes the priority of any application
whose home is unshared before and after the change: exactly the stability ALB needs,
since rules live in separate stacks and a moved rule would have to be redeployed.
Perfect stability for colliding paths is impossible with a deterministic function of the
set of paths (if ``{a}`` and ``{b}`` each keep their home and ``{a, b}`` collide, one
of them must move), so the design keeps collisions rare instead: the shallow bands where
almost all paths live are large (24000 slots at depth 1), so 20 applications at depth 1
collide with probability under 1%, and ALB allows at most 100 rules per listener by
default anyway. When a collision does move a rule, deploy the displaced application's
stack first (ALB rejects a priority that another rule still holds).

Host names
----------
An application whose rule matches more host names than one ALB rule holds (a host-header
condition takes at most 3 values) gets more rules: :func:`rule_keys` names them
``<path>#<n>``. ``#`` never appears in a path, so these keys collide with no path; they
have the path's depth, so they sort with it. The root's extra rules take the slots just
below 50000 (which no band uses), so they too are evaluated after every other path.

Several applications may share the root path when host names tell them apart (Copilot's two
web services on ``/`` with their own aliases). Each but the one without host names is keyed
``/@<its first host>`` (:func:`root_key`) and hashed into that same room below 50000
(:data:`ROOT_ROOM`): evaluated after every path rule, before the root without host names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

ROOT_PATH = "/"
ROOT_PRIORITY = 50000
# ALB: a condition holds at most 3 values, a rule at most 5 (path patterns count too).
HOSTS_PER_RULE = 3
MIN_PRIORITY = 1
MAX_DEPTH = 60  # a 120-character path (config's max_length) has at most 60 segments


def _band_sizes() -> tuple[int, ...]:
    # Halve from 24000 per level of depth, never below 40 slots: shallow paths are by far
    # the most common, so they get the room that keeps hash collisions rare.
    sizes, size = [], 24000
    for _ in range(MAX_DEPTH):
        sizes.append(size)
        size = max(size // 2, 40)
    return tuple(sizes)


BAND_SIZES = _band_sizes()


def _band_starts() -> tuple[int, ...]:
    # The deepest band starts at 1; each shallower band sits directly above the deeper one.
    starts = [0] * MAX_DEPTH
    start = MIN_PRIORITY
    for depth in range(MAX_DEPTH, 0, -1):
        starts[depth - 1] = start
        start += BAND_SIZES[depth - 1]
    if start > ROOT_PRIORITY:
        raise AssertionError("the bands overflow the root priority")
    return tuple(starts)


BAND_STARTS = _band_starts()
# Between the shallowest band and the root: the root's extra rules, and root applications told apart by host.
ROOT_ROOM = range(BAND_STARTS[0] + BAND_SIZES[0], ROOT_PRIORITY)


def host_chunks(hosts: Sequence[str]) -> list[list[str]]:
    """``hosts`` split into the host-header values of consecutive rules (in order; [] for none)."""
    return [list(hosts[i:i + HOSTS_PER_RULE]) for i in range(0, len(hosts), HOSTS_PER_RULE)]


def rule_count(hosts: Sequence[str]) -> int:
    """How many rules an application with these host names needs (one without any)."""
    return max(1, len(host_chunks(hosts)))


def rule_keys(path: str, count: int) -> list[str]:
    """The priority keys of an application's ``count`` rules: its path, then ``<path>#1``, ``<path>#2``..."""
    return [path] + [f"{path}#{i}" for i in range(1, count)]


def test_rule_key(path: str) -> str:
    """The priority key of the test-traffic rule of an application at ``path``: one segment deeper.

    The test rule matches the path *and* a header, so it must be evaluated before the
    application's own rule (which would take every request of the path); one level deeper
    puts it in the band evaluated just before. ``@`` never appears in an application path.

    The root application's test rule, ``/@test``, goes in :data:`ROOT_ROOM` with the root's other
    rules: after every path rule (a test request for ``/api/x`` is the ``/api`` application's, as
    without the header) and before the root's own rule. It cannot meet a :func:`root_key`: those
    are host names, which always hold a dot.
    """
    return f"{path.rstrip('/')}/@test"


def _root_extra(key: str) -> int | None:
    return int(key[2:]) if key.startswith(f"{ROOT_PATH}#") else None


def root_key(host: str) -> str:
    """The priority key of a root-path application told apart by ``host`` (its first host name)."""
    return f"{ROOT_PATH}@{host}"


def _in_root_room(key: str) -> bool:
    return key.startswith((f"{ROOT_PATH}#", f"{ROOT_PATH}@"))


def depth(path: str) -> int:
    """Number of segments of a non-root path (``/api/v2`` -> 2); the root has depth 0."""
    return len([s for s in path.split("/") if s])


def band(path: str) -> range:
    """The priorities reserved for paths of this path's depth (the root's other rules: :data:`ROOT_ROOM`)."""
    if _in_root_room(path):
        return ROOT_ROOM
    d = depth(path)
    if not 1 <= d <= MAX_DEPTH:
        raise ValueError(f"'{path}' has depth {d}; non-root paths have 1 to {MAX_DEPTH} segments")
    return range(BAND_STARTS[d - 1], BAND_STARTS[d - 1] + BAND_SIZES[d - 1])


def home(path: str) -> int:
    """The priority ``path`` gets when no other path of its listener shares it."""
    if path == ROOT_PATH:
        return ROOT_PRIORITY
    extra = _root_extra(path)
    if extra is not None:
        if not 1 <= extra < len(ROOT_ROOM):
            raise ValueError(f"'{path}': too many rules for the root path")
        return ROOT_PRIORITY - extra
    slots = band(path)
    digest = int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big")
    return slots.start + digest % len(slots)


def priorities(paths: Iterable[str]) -> dict[str, int]:
    """Unique priorities for the rules of ``paths`` (the distinct paths of one listener)."""
    wanted = sorted(set(paths))
    for p in wanted:
        if not p.startswith("/"):
            raise ValueError(f"'{p}' is not a path; paths start with '/'")
    homes = {p: home(p) for p in wanted}
    result: dict[str, int] = {}
    taken: set[int] = set()
    displaced: list[str] = []
    for p in wanted:  # sorted, so the smallest path of a shared home claims it
        if homes[p] in taken:
            displaced.append(p)
        else:
            result[p] = homes[p]
            taken.add(homes[p])
    # Every present home is claimed by now, so probing past `taken` also skips all homes.
    for p in displaced:
        slots = band(p)
        offset = homes[p] - slots.start
        for step in range(1, len(slots)):
            candidate = slots.start + (offset + step) % len(slots)
            if candidate not in taken:
                result[p] = candidate
                taken.add(candidate)
                break
        else:
            raise ValueError(f"no free priority left for '{p}': too many paths of depth {depth(p)}")
    return result


def priority(path: str, paths: Iterable[str]) -> int:
    """The priority of ``path``'s rule on a listener whose rules serve ``paths`` (``path`` included)."""
    return priorities([*paths, path])[path]
