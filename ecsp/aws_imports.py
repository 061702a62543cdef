"""pulumi_aws's service packages, each loading a resource's module when the resource is first used.

``import pulumi_aws`` is cheap: its service packages (``pulumi_aws.ec2``...) are lazy modules.
But the first use of one runs the package's ``__init__``, which imports every resource of the
service: ec2 alone is some 200 modules and 0.4 s, more than the programs of a small project
take to run. ecsp's programs use a dozen resources per service.

:func:`load_on_demand` puts a :class:`ServicePackage` in their place: ``aws.ec2.Vpc`` imports
``pulumi_aws/ec2/vpc.py`` (and the service's shared ``_inputs``, ``outputs`` and ``_enums``,
which every resource module imports anyway). A name it cannot place, and anything a tool asks a
module for (``__all__``, ``dir()``, a star import), runs the package's own ``__init__`` in the same
module object, so what the package holds afterwards is exactly what a plain import gives: the
same classes, from the same modules. Loading is serialised by one lock, so programs running in
threads can share the packages (the stdlib's lazy modules cannot: python/cpython#114763).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import re
import sys
import threading
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_LOCK = threading.RLock()
# The service's shared modules, where pulumi's code generator puts the input types, the output
# types and the enums: a name that is not a resource or function is looked up there.
_SHARED = ("_inputs", "outputs", "_enums")
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def _module_of(name: str) -> str:
    """The module pulumi's code generator puts ``name`` in: ``VpcArgs``: ``vpc``, ``get_vpc_output``: ``get_vpc``."""
    if name.startswith("get_"):
        return name.removesuffix("_output")
    for suffix in ("ArgsDict", "Args"):
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    return _WORD_START.sub("_", name).lower()


class ServicePackage(types.ModuleType):
    """A ``pulumi_aws`` service package whose ``__init__`` has not run: names load as they are asked for."""

    _ecsp_modules: frozenset[str]
    _ecsp_complete: bool

    def __getattr__(self, name: str) -> Any:
        # Only called for names not in the module's dict yet.
        with _LOCK:
            if name in self.__dict__:
                return self.__dict__[name]
            if not self._ecsp_complete and not name.startswith("_"):
                found = self._from_own_module(name)
                if found is not None:
                    return found
            self._complete()
            try:
                return self.__dict__[name]
            except KeyError:
                raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None

    def __dir__(self) -> list[str]:
        with _LOCK:
            self._complete()
        return list(self.__dict__)

    def _from_own_module(self, name: str) -> Any:
        for module in (_module_of(name), *_SHARED):
            if module in self._ecsp_modules:
                loaded = importlib.import_module(f"{self.__name__}.{module}")
                if hasattr(loaded, module):
                    # Importing ``get_vpcs`` (for ``get_vpcs_output`` too) made the package's ``get_vpcs``
                    # that module; the package's own ``__init__`` rebinds it to the function of that
                    # name, and so does this.
                    setattr(self, module, getattr(loaded, module))
                if hasattr(loaded, name):
                    value = getattr(loaded, name)
                    setattr(self, name, value)
                    return value
        if name in self._ecsp_modules:
            return importlib.import_module(f"{self.__name__}.{name}")  # a submodule, such as ``outputs``
        return None

    def _complete(self) -> None:
        """Run the package's own ``__init__`` in this module, as a plain import would have."""
        if not self._ecsp_complete:
            self._ecsp_complete = True
            assert self.__spec__ is not None and self.__spec__.loader is not None
            self.__spec__.loader.exec_module(self)


def _unloaded(module: types.ModuleType) -> bool:
    """Whether ``module`` is a lazy module whose body has not run (``type()`` does not trigger the load)."""
    return type(module).__name__ == "_LazyModule"  # pulumi's own copy of the stdlib's, or the stdlib's


def load_on_demand(services: Iterable[str]) -> None:
    """Make each of ``pulumi_aws``'s ``services`` (``"ec2"``...) a :class:`ServicePackage`.

    A service already loaded (someone used it) is left as it is; so is one a later pulumi_aws
    no longer makes lazy.
    """
    import pulumi_aws

    with _LOCK:
        for service in services:
            full = f"pulumi_aws.{service}"
            current = sys.modules.get(full)
            if current is None or not _unloaded(current):
                continue
            # Found afresh: the lazy module's own spec carries the lazy loader.
            spec = importlib.machinery.PathFinder.find_spec(full, pulumi_aws.__path__)
            if spec is None or spec.loader is None or not spec.submodule_search_locations:
                continue
            package = importlib.util.module_from_spec(spec)
            package.__class__ = ServicePackage
            assert isinstance(package, ServicePackage)
            package._ecsp_modules = frozenset(
                p.stem for folder in spec.submodule_search_locations for p in Path(folder).glob("*.py"))
            package._ecsp_complete = False
            sys.modules[full] = package
            setattr(pulumi_aws, service, package)


__all__ = ["ServicePackage", "load_on_demand"]
