"""The layout is a checked contract: the import-linter contracts cover every module of the fix loop,
and no module imports another module's private names."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"agent": "dagent.agent", "engine": "dagent.engine", "ops": "dagent.ops", "sandbox": "dagent.sandbox",
            "dagent": "dagent"}  # fmt: skip


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_every_module_of_the_fix_loop_is_under_the_contract_that_keeps_app_and_bench_out() -> None:
    contract = next(c for name, c in _contracts().items() if name.startswith("agent: the fix loop"))
    listed = set(contract["source_modules"])  # type: ignore[arg-type]
    modules = {f"dagent.agent.{p.stem}" for p in (ROOT / "agent").glob("*.py") if p.stem != "__init__"}
    assert modules == listed, "list the fix loop's modules in pyproject.toml (agent: the fix loop ...)"
    assert contract["forbidden_modules"] == ["dagent.agent.app", "dagent.agent.bench"]


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    modules = _modules()
    offences = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in modules and node.module != name:
                offences += [f"{name} imports {node.module}.{a.name}" for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")]  # fmt: skip
    assert not offences, offences
