"""The repo as the cross-file codemods see it: its modules parsed on demand (too-deep files noted and
skipped), module names of paths, where a relative import points."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

import libcst as cst

from dagent.errors import ApplyError
from dagent.ops.cst.nesting import NestingRefused
from dagent.ops.cst.nodes import dotted_name, parse_module, scope_map


def module_names(path: str, files: dict[str, str] | set[str]) -> set[str]:
    """The dotted names a repo file can be imported as: its full path, and its package chain
    (the directories above it that hold an __init__.py, e.g. `src/pkg/a.py` -> `pkg.a`)."""
    parts = path[: -len(".py")].split("/") if path.endswith(".py") else path.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = {".".join(parts)} if parts else set()
    chain = parts[-1:]
    directory = posixpath.dirname(posixpath.dirname(path)) if path.endswith("/__init__.py") else posixpath.dirname(path)
    while directory and f"{directory}/__init__.py" in files:
        chain.insert(0, posixpath.basename(directory))
        directory = posixpath.dirname(directory)
    if chain:
        names.add(".".join(chain))
    return {n for n in names if n}


def package_of(path: str, files: dict[str, str]) -> list[str]:
    """The package a module lives in, as parts (for resolving relative imports)."""
    name = sorted(module_names(path, files), key=len)[0] if module_names(path, files) else ""
    parts = name.split(".") if name else []
    return parts if path.endswith("__init__.py") else parts[:-1]


def import_from_module(node: cst.ImportFrom, path: str, files: dict[str, str]) -> str:
    module = dotted_name(node.module)
    if not node.relative:
        return module
    base = package_of(path, files)
    up = len(node.relative) - 1
    base = base[: len(base) - up] if up <= len(base) else []
    return ".".join([*base, *([module] if module else [])])


@dataclass
class RepoIndex:
    """Parsed modules of the repo, with scopes, and the names each module can be imported as.
    A file that does not parse is left out; one too deeply nested for libcst too, with the reason
    kept in `too_deep`."""

    files: dict[str, str]
    modules: dict[str, cst.Module] = field(default_factory=dict)
    scopes: dict[str, object] = field(default_factory=dict)
    too_deep: dict[str, str] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)

    def load(self, path: str) -> cst.Module | None:
        if path not in self.modules:
            if path in self.too_deep or path in self.broken:
                return None
            try:
                module = parse_module(self.files[path], path)
                self.scopes[path] = scope_map(module, path)
            except NestingRefused as err:
                self.too_deep[path] = err.problem
                return None
            except ApplyError:
                self.broken.add(path)
                return None
            self.modules[path] = module
        return self.modules[path]

    def note_skipped(self, skipped: list[str] | None, by: str, consequence: str) -> None:
        """Tell the caller (when it asks, with a list) which files `by` had to skip as too deep for libcst."""
        if skipped is not None:
            skipped += [f"{file}: skipped by {by}: too deeply nested for libcst ({problem}); {consequence}"
                        for file, problem in sorted(self.too_deep.items())]  # fmt: skip
