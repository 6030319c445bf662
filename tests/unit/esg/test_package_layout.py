"""The esg subpackages: each public name is importable, and imports between them go one way, through `__init__`.

reporting -> scopes -> (factors, certificates) -> errors; a module reaches another subpackage only through the
names that subpackage's `__init__` exports.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import esg

PACKAGE_DIR = Path(esg.__file__).resolve().parent
ALLOWED = {
    "factors": set(),
    "certificates": set(),
    "scopes": {"factors", "certificates"},
    "reporting": {"scopes", "factors", "certificates"},
}


def test_every_public_name_of_each_subpackage_is_importable():
    for name in ALLOWED:
        module = importlib.import_module(f"esg.{name}")
        assert module.__all__, name
        missing = [public for public in module.__all__ if not hasattr(module, public)]
        assert not missing, f"esg.{name}: {missing}"


def test_subpackages_import_each_other_one_way_and_only_through_their_public_names():
    problems = []
    for subpackage, allowed in ALLOWED.items():
        for path in sorted((PACKAGE_DIR / subpackage).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("esg."):
                    continue
                parts = (node.module or "").split(".")
                target = parts[1]
                if target in (subpackage, "errors"):
                    continue
                if target not in allowed:
                    problems.append(f"{path.name}: esg.{subpackage} imports esg.{target}")
                elif len(parts) > 2:
                    problems.append(f"{path.name}: reaches into {node.module}")
    assert not problems, problems
