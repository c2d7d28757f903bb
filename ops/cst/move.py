"""`move_module`: a module moved or renamed, with every import of it rewritten."""

from __future__ import annotations

import libcst as cst

from dagent.errors import ApplyError
from dagent.ops.cst.nodes import bound_here, checked_source, dotted_name, refs_of
from dagent.ops.cst.repo import RepoIndex, import_from_module, module_names, package_of


def _full_module_name(path: str) -> str:
    parts = path[: -len(".py")].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _name_pairs(path: str, to: str, files: dict[str, str]) -> dict[str, str]:
    """Old dotted name -> new one, for each name the module is imported as (its full path, and its
    package chain, e.g. `src/pkg/a.py` as `pkg.a`)."""
    after = {p: "" for p in files if p != path} | {to: ""}
    pairs = {_full_module_name(path): _full_module_name(to)}
    old_chain = min(module_names(path, files), key=len)
    new_chain = min(module_names(to, after), key=len)
    pairs.setdefault(old_chain, new_chain)
    return pairs


def _renamed_module(name: str, pairs: dict[str, str]) -> str | None:
    """`name` (a module or something in it) under the moved module's new name; None when unrelated."""
    for old in sorted(pairs, key=len, reverse=True):
        if name == old or name.startswith(old + "."):
            return pairs[old] + name[len(old) :]
    return None


def _relative_to(package: list[str], target: str) -> tuple[int, str] | None:
    """`target` relative to `package` (dots, module) when it lies inside the same top package."""
    parts = target.split(".")
    common = 0
    while common < min(len(package), len(parts)) and package[common] == parts[common]:
        common += 1
    if common == 0:
        return None
    return len(package) - common + 1, ".".join(parts[common:])


def _commas(aliases: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [a.with_changes(comma=comma) for a in aliases[:-1]] + [aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]


def _module_expr(dotted: str) -> cst.Attribute | cst.Name:
    return cst.parse_expression(dotted)  # type: ignore[return-value]


class _ModuleMover(cst.CSTTransformer):
    """Rewrites the imports of one file for a moved module (see move_module)."""

    def __init__(self, pairs: dict[str, str], package_before: list[str], package_after: list[str],
                 resolve, renames: dict[int, str], rooted: set[str]) -> None:  # type: ignore[no-untyped-def]
        self.pairs, self.before, self.after = pairs, package_before, package_after
        self.resolve, self.renames, self.rooted = resolve, renames, rooted
        self.split: dict[int, list[cst.ImportFrom]] = {}

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        names = []
        for alias in updated.names:
            new = _renamed_module(dotted_name(alias.name), self.pairs)
            names.append(alias.with_changes(name=_module_expr(new)) if new else alias)
        return updated.with_changes(names=names)

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):  # type: ignore[no-untyped-def]
        """A `from` import of the moved module next to names that stay splits into two statements."""
        body: list[cst.BaseSmallStatement] = []
        extra: list[cst.ImportFrom] = []
        for small in updated.body:
            if isinstance(small, cst.ImportFrom) and id(small) in self.split:
                first, *rest = self.split[id(small)]
                body.append(first)
                extra += rest
            else:
                body.append(small)
        if not extra:
            return updated
        if len(body) == 1:
            lines = [updated.with_changes(body=body)] + [cst.SimpleStatementLine(body=[e]) for e in extra]
            return cst.FlattenSentinel(lines)
        return updated.with_changes(body=[*body, *extra])

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> cst.ImportFrom:
        parts = self._from_parts(original, updated)
        if len(parts) > 1:
            self.split[id(parts[0])] = parts
        return parts[0]

    def _from_parts(self, original: cst.ImportFrom, updated: cst.ImportFrom) -> list[cst.ImportFrom]:
        source = self.resolve(original)
        new_source = _renamed_module(source, self.pairs) if source else None
        moved_here = original.relative and self.before != self.after
        if new_source is not None:  # `from pkg.helpers import x`
            return [self._respelled(updated, new_source)]
        if isinstance(updated.names, cst.ImportStar):
            return [self._respelled(updated, source) if moved_here else updated]
        kept: list[cst.ImportAlias] = []
        groups: dict[str, list[cst.ImportAlias]] = {}
        for orig, alias in zip(original.names, updated.names):  # type: ignore[arg-type]
            name = dotted_name(orig.name)
            moved = _renamed_module(f"{source}.{name}" if source else name, self.pairs) if "." not in name else None
            if moved is None:
                kept.append(alias)
                continue
            parent, _, last = moved.rpartition(".")
            renamed = alias.with_changes(name=cst.Name(last))
            if orig.asname is None and last != name and id(orig.name) not in self.renames:
                renamed = renamed.with_changes(asname=cst.AsName(name=cst.Name(name)))
            groups.setdefault(parent, []).append(renamed)
        if not groups:
            return [self._respelled(updated, source) if moved_here else updated]
        out: list[cst.ImportFrom] = []
        if kept:
            base = updated.with_changes(names=_commas(kept))
            if len(kept) == 1:
                base = base.with_changes(lpar=None, rpar=None)
            out.append(self._respelled(base, source) if moved_here else base)
        for parent, aliases in groups.items():
            node = updated.with_changes(names=_commas(aliases), lpar=None, rpar=None)
            out.append(self._respelled(node, parent))
        return out

    def _respelled(self, node: cst.ImportFrom, target: str) -> cst.ImportFrom:
        """`from TARGET import ...`: relative from the file's (new) package when it was relative."""
        if node.relative:
            relative = _relative_to(self.after, target) if target else None
            if relative is not None:
                dots, module = relative
                return node.with_changes(
                    relative=[cst.Dot()] * dots, module=_module_expr(module) if module else None,
                    whitespace_after_from=cst.SimpleWhitespace(" ") if not module else node.whitespace_after_from,
                )
        if not target:
            return node
        return node.with_changes(relative=[], module=_module_expr(target))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        dotted = dotted_name(original)
        if not dotted or dotted.split(".")[0] not in self.rooted:
            return updated
        for old, new in self.pairs.items():
            if dotted == old:
                return _module_expr(new).with_changes(lpar=updated.lpar, rpar=updated.rpar)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        new = self.renames.get(id(original))
        return updated.with_changes(value=new) if new is not None else updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """`patch("pkg.helpers.name")`: mock targets name the module in a string."""
        if not dotted_name(original.func).split(".")[-1] == "patch" or not updated.args:
            return updated
        first = updated.args[0].value
        if not isinstance(first, cst.SimpleString) or first.prefix:
            return updated
        value = first.evaluated_value
        if not isinstance(value, str) or not any(value.startswith(old + ".") for old in self.pairs):
            return updated
        new = _renamed_module(value, self.pairs)
        if new is None or "\\" in first.value:
            return updated
        quoted = first.with_changes(value=first.quote + new + first.quote)
        return updated.with_changes(args=[updated.args[0].with_changes(value=quoted), *updated.args[1:]])


def move_module(files: dict[str, str], path: str, to: str, skipped: list[str] | None = None) -> dict[str, str]:
    """Move the module `path` to `to` and rewrite its imports across `files` (repo-relative path ->
    source of every .py file). Returns the new text of every file that changes, the moved one under
    `to` (always present).

    Rewritten: `import a.b` (and `a.b.x` uses in that file), `import a.b as m`, `from a.b import x`
    (relative too, kept relative), `from a import b` (its local uses renamed; with `as b` when the new
    name is taken there), `from a.b.sub import x` when `a/b.py` is a package's `__init__`... not moved
    (only a module file moves), and `patch("a.b.name")` strings. Relative imports in the moved file
    itself still reach the same modules from its new place. Other strings and comments are left.
    """
    if path not in files:
        raise ApplyError(f"{path}: not a Python file of the repo")
    if path.endswith("__init__.py") or to.endswith("__init__.py"):
        raise ApplyError(f"{path}: moving a package's __init__.py is not a module move; move the files with @@move")
    if to in files:
        raise ApplyError(f"{to}: already exists; remove it first to move {path} there")
    pairs = _name_pairs(path, to, files)
    after_files = {p: t for p, t in files.items() if p != path} | {to: files[path]}
    repo = RepoIndex(files)
    changed: dict[str, str] = {}
    for file in sorted(files):
        module = repo.load(file)
        where = to if file == path else file
        if module is None:
            if file == path:
                changed[to] = files[path]
            continue
        package_before = package_of(file, files)
        package_after = package_of(where, after_files)

        def resolve(node: cst.ImportFrom, file: str = file) -> str:
            return import_from_module(node, file, files)

        renames, rooted = _module_renames(repo, file, module, pairs, resolve)
        mover = _ModuleMover(pairs, package_before, package_after, resolve, renames, rooted)
        code = module.visit(mover).code
        if file == path:
            changed[to] = checked_source(code, to, f"moving {path} to {to}") if code != files[path] else code
        elif code != files[file]:
            changed[file] = checked_source(code, file, f"moving {path} to {to}")
    repo.note_skipped(skipped, f"the move of {path}", "its imports, if any, keep the old name")
    return changed


def _module_renames(repo: RepoIndex, file: str, module: cst.Module, pairs: dict[str, str], resolve) -> tuple[dict[int, str], set[str]]:  # type: ignore[no-untyped-def]
    """For `from pkg import helpers` of the moved module: the local uses to rename (Name node id -> new
    name), unless the new name is taken at module level. And the names `import a.b` binds in the file,
    whose `a.b.x` attribute chains follow the move."""
    renames: dict[int, str] = {}
    rooted: set[str] = set()
    scopes = repo.scopes[file]
    top = scopes[module]  # type: ignore[index]

    class Visitor(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                if alias.asname is None and _renamed_module(dotted_name(alias.name), pairs) is not None:
                    rooted.add(dotted_name(alias.name).split(".")[0])

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if isinstance(node.names, cst.ImportStar):
                return
            source = resolve(node)
            for alias in node.names:
                name = dotted_name(alias.name)
                moved = _renamed_module(f"{source}.{name}" if source else name, pairs)
                if alias.asname is not None or moved is None or _renamed_module(source, pairs) is not None:
                    continue
                new = moved.rpartition(".")[2]
                if new == name or bound_here(top, new):
                    continue
                scope = scopes.get(node)  # type: ignore[attr-defined]
                if scope is None:
                    continue
                refs, _ = refs_of(scope, name, keep={id(node)})
                renames[id(alias.name)] = new
                renames.update({id(r): new for r in refs})

    module.visit(Visitor())
    # a `from pkg import helpers` whose alias is renamed must not get `as helpers`
    return renames, rooted
