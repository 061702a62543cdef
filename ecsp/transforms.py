"""User resource transforms: Python functions that may change any resource of any stack before Pulumi registers it.

This is ecsp's escape hatch (SST's ``transform``, CDK's escape hatches, Copilot's ``svc
override``): what ecsp.yaml cannot say, a function can. They come from ``transforms:`` in
ecsp.yaml (``module:function``, the module a Python file or package next to ecsp.yaml) and
from ``ecsp.load(..., transforms=[fn])``; each becomes a Pulumi stack transform
(``pulumi.runtime.register_resource_transform``) of every stack program, so the real engine
runs it for every resource, components and providers included.

A transform receives one :class:`TransformArgs`: the resource's type, name, properties (by
Pulumi's wire names: ``desiredCount``, ``tags``) and options, and which ecsp stack it is in
(kind, environment, application). It changes ``props`` (or ``opts``) in place, or returns the
new properties, or a ``pulumi.ResourceTransformResult``; ``None`` keeps what it was given.
An exception in it fails the stack with the function's name, the resource and the error.

Decisions, each with its reason:

* **Loaded at the edge.** Importing a user's module reads files, which programs never do; the
  API loads them once (:func:`load`) and the program bundle carries them
  (:attr:`ecsp.programs.Programs.transforms`).
* **Next to ecsp.yaml only.** ``tweaks:add_tags`` must mean the ``tweaks.py`` of this project,
  never a module of the same name elsewhere on ``sys.path``.
* **Offline too.** Pulumi's mocks do not run stack transforms, so ``ecsp plan`` applies the
  properties part itself (:class:`ecsp.mocks.RecordingMonitor`); options take effect under
  the engine only (the mocks have none to change).
* **The plan cache** keys a stack on each transform's :attr:`Transform.fingerprint` (its
  source file's content): an edited transform replans.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import inspect
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi

from ecsp.errors import ConfigError, ConfigProblem, EcspError
from ecsp.graph import StackSpec


class TransformError(EcspError):
    """A user transform raised, or returned something Pulumi cannot use."""


@dataclass(frozen=True)
class TransformArgs:
    """One resource about to be registered, and the ecsp stack it belongs to (what a transform receives)."""

    type: str  # the resource type token, e.g. aws:ecs/service:Service
    name: str  # the resource's logical name, e.g. service
    props: dict[str, Any]  # its properties by Pulumi's wire names (desiredCount, tags); change them in place
    opts: pulumi.ResourceOptions  # its options (protect, ignore_changes, ...); change them in place
    custom: bool  # a cloud resource (True) or a component grouping others (False)
    project: str  # the ecsp project
    kind: str  # the stack's kind: project, environment, application, pipeline, ...
    environment: str | None  # the stack's environment (None for the project and pipeline stacks)
    application: str | None  # the stack's application (None outside application stacks)
    stack: str  # ecsp's name of the stack, <pulumi project>/<stack>, e.g. shop-web/test


# What a user's function looks like: it may return None, the new properties, or a ResourceTransformResult.
TransformFunction = Callable[[TransformArgs], Any]


@dataclass(frozen=True)
class Transform:
    """A user's transform function, the name errors call it by, and what the plan cache knows of its code."""

    name: str  # tweaks:add_tags
    function: TransformFunction
    fingerprint: str  # a hash of the function's source file (random when it has none: never cached)

    @classmethod
    def of(cls, function: TransformFunction, name: str | None = None) -> Transform:
        """A transform for ``function`` (named ``module:qualname`` unless ``name`` says otherwise)."""
        if not callable(function):
            raise TransformError(f"transform {function!r} is not a function",
                                 fix="pass functions that take one ecsp.TransformArgs: transforms=[add_tags]")
        label = name or f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', function)!s}"
        return cls(label, function, _fingerprint(function, label))

    def for_stack(self, spec: StackSpec) -> pulumi.ResourceTransform:
        """The Pulumi resource transform that runs this function for the resources of ``spec``."""

        def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
            view = TransformArgs(type=args.type_, name=args.name, props=dict(args.props or {}),
                                 opts=args.opts if args.opts is not None else pulumi.ResourceOptions(),
                                 custom=args.custom, project=spec.project, kind=spec.kind,
                                 environment=spec.environment, application=spec.application, stack=spec.name)
            try:
                returned = self.function(view)
            except Exception as e:
                raise TransformError(f"transform {self.name} failed on {args.type_} '{args.name}' in {spec.name}: "
                                     f"{type(e).__name__}: {e}",
                                     fix=f"fix {self.name}, or take it out of transforms: in ecsp.yaml") from e
            return self._result(returned, view, spec)

        return transform

    def _result(self, returned: Any, view: TransformArgs, spec: StackSpec) -> pulumi.ResourceTransformResult:
        if returned is None:
            return pulumi.ResourceTransformResult(props=view.props, opts=view.opts)
        if isinstance(returned, pulumi.ResourceTransformResult):
            return returned
        if isinstance(returned, Mapping):
            return pulumi.ResourceTransformResult(props=dict(returned), opts=view.opts)
        raise TransformError(f"transform {self.name} returned a {type(returned).__name__} for {view.type} "
                             f"'{view.name}' in {spec.name}",
                             fix="change resource.props in place and return None, or return the new properties "
                             "(a dict) or a pulumi.ResourceTransformResult")


def register(transforms: Sequence[Transform], spec: StackSpec) -> None:
    """Register each transform for every resource the running program of ``spec`` creates from now on."""
    for transform in transforms:
        pulumi.runtime.register_resource_transform(transform.for_stack(spec))


def _fingerprint(function: TransformFunction, name: str) -> str:
    try:
        source = inspect.getsourcefile(function)
    except TypeError:
        source = None
    if source is None or not Path(source).is_file():
        return f"unknown:{uuid.uuid4()}"  # no file to hash: a plan made with it is never reused
    digest = hashlib.sha256(name.encode())
    digest.update(Path(source).read_bytes())
    return digest.hexdigest()


def load(refs: Sequence[str], root: Path, file: Path | None = None) -> tuple[Transform, ...]:
    """The functions ``refs`` (``module:function``) name, imported from the folder ``root`` of ecsp.yaml.

    Raises :class:`ConfigError` pointing at ``file``'s ``transforms:`` line for a module that is
    not there, does not import, or has no such function.
    """
    problems: list[ConfigProblem] = []
    found: list[Transform] = []
    for index, ref in enumerate(refs):
        module_name, _, function_name = ref.partition(":")
        try:
            module = _import(module_name, root)
        except _NotImportable as e:
            problems.append(_problem(file, index, str(e)))
            continue
        function = getattr(module, function_name, None)
        if not callable(function):
            defined = sorted(n for n, v in vars(module).items() if inspect.isfunction(v) and not n.startswith("_"))
            problems.append(_problem(file, index, f"{module_name} ({_shown(module)}) has no function {function_name}"
                                     + (f"; it defines {', '.join(defined)}" if defined else "")))
            continue
        found.append(Transform(ref, function, _fingerprint(function, ref)))
    if problems:
        raise ConfigError(problems)
    return tuple(found)


class _NotImportable(Exception):
    pass


def _shown(module: ModuleType) -> str:
    return Path(module.__file__).name if module.__file__ else module.__name__


def _import(name: str, root: Path) -> ModuleType:
    """Module ``name`` from ``root`` (a file ``name.py`` or a package), never one of that name elsewhere."""
    top = name.split(".")[0]
    where = root.resolve()
    spec = importlib.machinery.PathFinder.find_spec(top, [str(where)])
    if spec is None or spec.origin is None:
        raise _NotImportable(f"no {top}.py (nor a package {top}/) next to ecsp.yaml in {where}; create it "
                             "or fix the module name")
    loaded = sys.modules.get(top)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != Path(spec.origin).resolve():
        raise _NotImportable(f"a module named {top} is already loaded from {getattr(loaded, '__file__', None)}, "
                             f"not from {where}; rename {Path(spec.origin).name}")
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(name)
    except Exception as e:
        line = ""
        if isinstance(e, SyntaxError) and e.lineno:
            line = f" ({Path(e.filename or spec.origin).name}:{e.lineno})"
        raise _NotImportable(f"importing {name} failed: {type(e).__name__}: {e}{line}") from e
    finally:
        sys.path.remove(str(where))


def _problem(file: Path | None, index: int, message: str) -> ConfigProblem:
    from ecsp.config.explain import dotted
    from ecsp.loader import problem_at

    if file is None:
        return ConfigProblem("ecsp.yaml", None, dotted(("transforms", index)), message)
    return problem_at(file, ("transforms", index), message)


__all__ = ["Transform", "TransformArgs", "TransformError", "TransformFunction", "load", "register"]
