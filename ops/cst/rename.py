"""`rename_symbol` across a repo (best effort where Python is dynamic; see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from dagent.errors import ApplyError
from dagent.ops.cst.nesting import NestingRefused
from dagent.ops.cst.nodes import bound_here, checked_source, dotted_name, find_class_member, parse_module, refs_of
from dagent.ops.cst.repo import RepoIndex, import_from_module, module_names


@dataclass
class _Plan:
    """What to rename in one module: Name nodes by identity, and __all__ strings."""

    names: set[int] = field(default_factory=set)
    strings: set[int] = field(default_factory=set)


class _Renamer(cst.CSTTransformer):
    def __init__(self, plan: _Plan, old: str, new: str) -> None:
        self.plan, self.old, self.new = plan, old, new

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.new) if id(original) in self.plan.names else updated

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
        if id(original) not in self.plan.strings:
            return updated
        return updated.with_changes(value=updated.prefix + updated.quote + self.new + updated.quote)


def _all_entries(module: cst.Module, name: str) -> list[cst.SimpleString]:
    """String entries equal to `name` in `__all__ = [...]`, `__all__ += [...]`."""
    found: list[cst.SimpleString] = []

    class Visitor(cst.CSTVisitor):
        def _collect(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
            if isinstance(target, cst.Name) and target.value == "__all__" and isinstance(value, (cst.List, cst.Tuple)):
                for element in value.elements:
                    v = element.value
                    if isinstance(v, cst.SimpleString) and v.evaluated_value == name:
                        found.append(v)

        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                self._collect(target.target, node.value)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._collect(node.target, node.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._collect(node.target, node.value)

    module.visit(Visitor())
    return found


class _ImportScan(cst.CSTVisitor):
    """Every import in a module: module aliases (`m` -> module) and `from M import x` aliases."""

    def __init__(self, path: str, files: dict[str, str], known_modules: set[str]) -> None:
        self.path, self.files, self.known = path, files, known_modules
        self.module_alias: dict[str, str] = {}  # local dotted expression -> module name
        self.from_imports: list[tuple[cst.ImportFrom, str, cst.ImportAlias]] = []

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = dotted_name(alias.name)
            if alias.asname is not None:
                self.module_alias[dotted_name(alias.asname.name)] = dotted  # type: ignore[arg-type]
            else:
                parts = dotted.split(".")
                for i in range(1, len(parts) + 1):
                    self.module_alias[".".join(parts[:i])] = ".".join(parts[:i])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        source = import_from_module(node, self.path, self.files)
        for alias in node.names:
            imported = dotted_name(alias.name)
            local = dotted_name(alias.asname.name) if alias.asname is not None else imported  # type: ignore[arg-type]
            full = f"{source}.{imported}" if source else imported
            if full in self.known:
                self.module_alias[local] = full
            self.from_imports.append((node, source, alias))


def rename_symbol(files: dict[str, str], path: str, symbol: str, new_name: str, skipped: list[str] | None = None) -> dict[str, str]:
    """Rename `symbol` (`name` or `Class.member`) defined in `files[path]` to `new_name`, with its uses
    across `files` (repo-relative path -> source of every .py file). Returns the changed files only.

    Other files too deeply nested for libcst are skipped; `skipped`, when given, gets a note for each.
    """
    if path not in files:
        raise ApplyError(f"{path}: not a Python file of the repo")
    repo = RepoIndex(files)
    if repo.load(path) is None:
        if path in repo.too_deep:
            raise NestingRefused(path, repo.too_deep[path])
        parse_module(files[path], path)  # raises with the position
    parts = symbol.split(".")
    if parts[-1] == new_name:
        raise ApplyError(f"{path}: {symbol} is already named {new_name!r}")
    plans = _member_plans(repo, path, parts, new_name) if len(parts) > 1 else _global_plans(repo, path, symbol, new_name)
    changed: dict[str, str] = {}
    for file, plan in plans.items():
        if not plan.names and not plan.strings:
            continue
        module = repo.modules[file]
        code = module.visit(_Renamer(plan, parts[-1], new_name)).code
        if code != files[file]:
            changed[file] = checked_source(code, file, f"renaming {symbol} to {new_name}")
    repo.note_skipped(skipped, f"the rename of {symbol}", "uses there, if any, keep the old name")
    return changed


def _known_modules(files: dict[str, str]) -> set[str]:
    return {name for file in files for name in module_names(file, files)}


def _global_plans(repo: RepoIndex, path: str, name: str, new_name: str) -> dict[str, _Plan]:
    """A module-level function, class or variable: its module, importers (transitively), attribute uses."""
    module = repo.modules[path]
    scope = repo.scopes[path][module]  # type: ignore[index]
    if bound_here(scope, new_name):
        raise ApplyError(f"{path}: {new_name!r} is already defined at module level; pick another name")
    nodes, defined = refs_of(scope, name)
    if not defined:
        raise ApplyError(f"{path}: no module-level definition of {name!r} (is it imported from another module?)")
    plans = {path: _Plan(names={id(n) for n in nodes} | _global_statements(module, name))}
    plans[path].strings |= {id(s) for s in _all_entries(module, name)}
    known = _known_modules(repo.files)
    exporters = _exporters(repo, path, name, known)
    for file in sorted(repo.files):
        if file != path and repo.load(file) is not None:
            plans[file] = _importer_plan(repo, file, name, new_name, exporters, known)
    return plans


def _exporters(repo: RepoIndex, path: str, name: str, known: set[str]) -> set[str]:
    """Module names `name` can be imported from: its own module, and (to a fixpoint) every module that
    does `from EXPORTER import name` and so binds it too (e.g. a package __init__ re-exporting it)."""
    exporters = set(module_names(path, repo.files))
    grew = True
    while grew:
        grew = False
        for file in sorted(repo.files):
            if file == path or repo.load(file) is None or module_names(file, repo.files) <= exporters:
                continue
            scan = _ImportScan(file, repo.files, known)
            repo.modules[file].visit(scan)
            if any(
                source in exporters and dotted_name(alias.name) == name and (alias.asname is None or dotted_name(alias.asname.name) == name)  # type: ignore[arg-type]
                for _, source, alias in scan.from_imports
            ):
                exporters |= module_names(file, repo.files)
                grew = True
    return exporters


def _global_statements(module: cst.Module, name: str) -> set[int]:
    found: set[int] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Global(self, node: cst.Global) -> None:
            found.update(id(item.name) for item in node.names if item.name.value == name)

    module.visit(Visitor())
    return found


def _importer_plan(repo: RepoIndex, file: str, name: str, new_name: str, exporters: set[str], known: set[str]) -> _Plan:
    """Renames in another module: `from EXPORTER import name` (and its local uses), `mod.name` on an
    imported exporting module, and `__all__` entries when it re-exports the name."""
    module = repo.modules[file]
    scan = _ImportScan(file, repo.files, known)
    module.visit(scan)
    plan = _attribute_plan(module, scan, name, exporters)
    scopes = repo.scopes[file]
    for node, source, alias in scan.from_imports:
        if source not in exporters or dotted_name(alias.name) != name:
            continue
        plan.names.add(id(alias.name))
        local = dotted_name(alias.asname.name) if alias.asname is not None else name  # type: ignore[arg-type]
        if local != name:
            continue  # `import name as other`: local uses keep their name
        if alias.asname is not None:
            plan.names.add(id(alias.asname.name))
        plan.strings |= {id(s) for s in _all_entries(module, name)}
        scope = scopes.get(node)  # type: ignore[attr-defined]
        if scope is None:
            continue
        if scope is scopes[module] and bound_here(scope, new_name):  # type: ignore[index]
            raise ApplyError(f"{file}: {new_name!r} is already defined there; renaming its import of {name!r} would clash")
        refs, _ = refs_of(scope, name, keep={id(node)})
        plan.names |= {id(r) for r in refs}
    return plan


class _AttributeScan(cst.CSTVisitor):
    """Attribute accesses `X.attr`; keeps those whose `X` passes `accept(dotted X)`."""

    def __init__(self, attr: str, accept) -> None:  # type: ignore[no-untyped-def]
        self.attr, self.accept = attr, accept
        self.found: list[cst.Name] = []

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == self.attr and self.accept(dotted_name(node.value)):
            self.found.append(node.attr)


def _attribute_plan(module: cst.Module, scan: _ImportScan, name: str, exporters: set[str]) -> _Plan:
    """`mod.name` where `mod` is an import of an exporting module."""
    aliases = {local for local, target in scan.module_alias.items() if target in exporters}
    if not aliases:
        return _Plan()
    attrs = _AttributeScan(name, lambda value: value in aliases)
    module.visit(attrs)
    return _Plan(names={id(n) for n in attrs.found})


def _member_plans(repo: RepoIndex, path: str, parts: list[str], new_name: str) -> dict[str, _Plan]:
    """`Class.member`: the definition(s) in the class body, overrides in direct subclasses, every
    attribute access `.member` not on an imported module, and `Class(member=...)` for class attributes."""
    module = repo.modules[path]
    chain = _find_owner(module, parts, path)
    owner, member = chain[-1], parts[-1]
    first = owner.body.body[0] if isinstance(owner.body, cst.IndentedBlock) and owner.body.body else None
    class_scope = repo.scopes[path].get(first) if first is not None else None  # type: ignore[attr-defined]
    if class_scope is None or not bound_here(class_scope, member):
        raise ApplyError(f"{path}: class {'.'.join(parts[:-1])} has no member {member!r}")
    if bound_here(class_scope, new_name):
        raise ApplyError(f"{path}: class {'.'.join(parts[:-1])} already has a member {new_name!r}")
    nodes, defined = refs_of(class_scope, member)
    if not defined:
        raise ApplyError(f"{path}: class {'.'.join(parts[:-1])} has no definition of {member!r}")
    is_field = not any(isinstance(a.node, cst.FunctionDef) for a in class_scope[member] if a.scope is class_scope)
    known = _known_modules(repo.files)
    plans: dict[str, _Plan] = {path: _Plan(names={id(n) for n in nodes})}
    for file in repo.files:
        if repo.load(file) is None:
            continue
        plan = plans.setdefault(file, _Plan())
        scan = _ImportScan(file, repo.files, known)
        repo.modules[file].visit(scan)
        aliases = set(scan.module_alias)
        attrs = _AttributeScan(member, lambda value: value.split(".")[0] not in aliases and value not in aliases)
        repo.modules[file].visit(attrs)
        plan.names |= {id(n) for n in attrs.found}
        plan.names |= _overrides(repo.modules[file], owner.name.value, member, skip=owner)
        if is_field:
            plan.names |= _keyword_args(repo.modules[file], owner.name.value, member)
    return plans


def _find_owner(module: cst.Module, parts: list[str], path: str) -> list[cst.ClassDef]:
    chain = find_class_member(module, ".".join(parts[:-1]), path)
    if not all(isinstance(c, cst.ClassDef) for c in chain):
        raise ApplyError(f"{path}: {'.'.join(parts[:-1])} is not a class")
    return chain  # type: ignore[return-value]


def _overrides(module: cst.Module, class_name: str, member: str, skip: cst.ClassDef) -> set[int]:
    """Definitions of `member` in classes that name `class_name` as a direct base."""
    found: set[int] = set()

    class Visitor(cst.CSTVisitor):
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            if node is skip or not any(dotted_name(b.value).split(".")[-1] == class_name for b in node.bases):
                return
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
            for stmt in body:
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == member:
                    found.add(id(stmt.name))

    module.visit(Visitor())
    return found


def _keyword_args(module: cst.Module, class_name: str, member: str) -> set[int]:
    """`member=` keywords in calls to `class_name` (a dataclass or similar constructor)."""
    found: set[int] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if dotted_name(node.func).split(".")[-1] != class_name:
                return
            found.update(id(a.keyword) for a in node.args if a.keyword is not None and a.keyword.value == member)

    module.visit(Visitor())
    return found
