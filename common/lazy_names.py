"""A package's public names loaded on first use: the module-level `__getattr__` (PEP 562) that settlement,
invoicing and ledger share, so importing the package for one light name does not import its heavy modules."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_names(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """`__getattr__` for `package`: `homes` maps each public name to the module that defines it; the name is
    imported from there on first use and kept in the package, so later uses are plain attribute reads."""

    def module_getattr(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)
        return value

    return module_getattr
