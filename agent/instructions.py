"""Natural-language edit instructions mapped onto structural ops, where they clearly fit.

`dagent edit "rename mean to average"` needs no model: a libcst codemod does it exactly. Only a few
phrasings are recognised (rename, make static, add a parameter, add an import); anything else maps to
None and the model writes the edit. Names are resolved against the project's sources:
- a path hint (from `dagent edit ... PATH[:SYMBOL]`) restricts the search to that file;
- otherwise every file is searched, and a definition outside the tests wins over one inside them;
- a name that stays defined in two places raises DagentError listing them (the user adds a path);
- a name defined nowhere maps to None (it may be a local variable: the model handles it).
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable, Mapping
from dagent.agent.localize import Definition, SourceIndex, is_test_path
from dagent.errors import DagentError
from dagent.ops.model import AddImport, AddParameter, MakeStatic, Op, RenameSymbol

DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
# "it" / "this method" stand for the symbol given on the command line (PATH:SYMBOL).
SUBJECT = rf"(?:it|this(?:\s+(?:function|method|class))?|{DOTTED})"
_KIND_WORD = r"(?:(?:the\s+)?(?:function|method|class|variable|constant|symbol)\s+)?"

_RENAME = re.compile(rf"^rename\s+{_KIND_WORD}(?P<old>{SUBJECT})(?:\(\))?\s+(?:to|as|into)\s+(?P<new>{DOTTED})$", re.I)
_STATIC = re.compile(
    rf"^(?:make|turn|convert)\s+{_KIND_WORD}(?P<sym>{SUBJECT})(?:\(\))?\s+(?:into\s+|to\s+)?(?:an?\s+)?"
    r"static(?:\s*method)?$",
    re.I,
)
_PARAM_NAMED = re.compile(
    rf"^add\s+(?:an?\s+)?(?:new\s+)?(?P<optional>optional\s+)?(?P<name>[A-Za-z_]\w*)\s+(?:parameter|param|argument|arg)"
    r"(?:\s*\(\s*(?:default(?:s\s+to|\s*=|:)?|=)\s*(?P<default>[^)]+?)\s*\)"
    r"|\s+with\s+(?:a\s+)?default(?:\s+value)?(?:\s+of|\s*=)?\s+(?P<default2>\S+))?"
    rf"\s+to\s+{_KIND_WORD}(?P<func>{SUBJECT})(?:\(\))?$",
    re.I,
)
_PARAM_SPEC = re.compile(
    rf"^add\s+(?:an?\s+)?(?:new\s+)?(?:parameter|param|argument|arg)\s+(?P<spec>.+?)\s+to\s+{_KIND_WORD}"
    rf"(?P<func>{SUBJECT})(?:\(\))?$",
    re.I,
)
_FILE_TAIL = r"(?:\s+(?:to|in|into)\s+(?:the\s+)?(?:file\s+|module\s+)?(?P<file>[\w./-]+))?"
_IMPORT_ADD = re.compile(rf"^(?:add|insert)\s+(?:an?\s+|the\s+)?import(?:\s+(?:of|for))?\s+(?P<what>.+?){_FILE_TAIL}$", re.I)
_IMPORT_ADD_STMT = re.compile(rf"^(?:add|insert)\s+(?P<stmt>(?:import|from)\s+.+?){_FILE_TAIL}$", re.I)
_IMPORT_BARE = re.compile(rf"^(?P<stmt>(?:import|from)\s+.+?){_FILE_TAIL}$")


def _normalise(instruction: str) -> str:
    text = instruction.replace("`", "").replace("'", "").replace('"', "")
    return " ".join(text.split()).rstrip(".!")


def map_instruction(
    instruction: str,
    sources: Mapping[str, str],
    path_hint: str | None = None,
    symbol_hint: str | None = None,
) -> Op | None:
    """The structural op an instruction asks for, or None when it is not one of the known forms."""
    text = _normalise(instruction)
    matchers: tuple[Callable[[str, _Scope], Op | None], ...] = (_rename, _make_static, _add_parameter, _add_import)
    scope = _Scope(sources, path_hint, symbol_hint)
    for matcher in matchers:
        op = matcher(text, scope)
        if op is not None:
            return op
    return None


# ---------------------------------------------------------------- name resolution


class _Scope:
    """The project's sources and the user's hints, with the lookups the matchers share."""

    def __init__(self, sources: Mapping[str, str], path_hint: str | None, symbol_hint: str | None) -> None:
        if path_hint is not None and path_hint not in sources:
            raise DagentError(f"no Python file {path_hint!r} in the project")
        self.index = SourceIndex(sources)
        self.path_hint = path_hint
        self.symbol_hint = symbol_hint

    def subject(self, word: str) -> str | None:
        """The symbol a subject phrase names; "it"/"this" is the command line's symbol."""
        if re.fullmatch(r"it|this(\s+\w+)?", word, re.I):
            return self.symbol_hint
        return word

    def all_files(self) -> list[str]:
        return sorted(p for p in self.index.sources if p.endswith(".py"))

    def find(self, symbol: str, kinds: tuple[str, ...], methods_by_name: bool, paths: list[str]) -> list[Definition]:
        """Definitions of `symbol` (`name` at module level, or a dotted `Class.method`) in `paths`. With
        `methods_by_name`, a plain name nobody defines at module level also finds methods called so."""
        exact: list[Definition] = []
        methods: list[Definition] = []
        name = symbol.rpartition(".")[2]
        for path in paths:
            if name not in self.index.sources[path]:
                continue  # cheap text filter: parse only files that mention the name
            classes = {d.qualname for d in self.index.definitions(path) if d.kind == "class"}
            for definition in self.index.definitions(path):
                if definition.kind not in kinds:
                    continue
                if definition.qualname == symbol:
                    exact.append(definition)
                elif definition.name == symbol and definition.qualname.rpartition(".")[0] in classes:
                    methods.append(definition)
        return exact or (methods if methods_by_name and "." not in symbol else [])

    def resolve(self, symbol: str, kinds: tuple[str, ...], methods_by_name: bool = False) -> Definition | None:
        """The one definition `symbol` names: in the hinted file if there is one, else anywhere."""
        if self.path_hint is None:
            return _one(symbol, self.find(symbol, kinds, methods_by_name, self.all_files()))
        found = self.find(symbol, kinds, methods_by_name, [self.path_hint])
        if not found:
            elsewhere = self.find(symbol, kinds, methods_by_name, self.all_files())
            if elsewhere:
                places = ", ".join(f"{d.path}:{d.def_line}" for d in elsewhere)
                raise DagentError(f"{symbol!r} is not defined in {self.path_hint}; it is defined in {places}")
        return _one(symbol, found)


def _one(symbol: str, found: list[Definition]) -> Definition | None:
    """The single definition meant; outside the tests first; several left is the user's call."""
    unique = list({(d.path, d.qualname): d for d in found}.values())
    outside_tests = [d for d in unique if not is_test_path(d.path)]
    candidates = outside_tests or unique
    if len(candidates) > 1:
        places = "; ".join(f"{d.qualname} in {d.path}:{d.def_line}" for d in candidates)
        raise DagentError(
            f"{symbol!r} is defined in {len(candidates)} places ({places}); "
            f"name the file: dagent edit \"...\" PATH[:SYMBOL]"
        )
    return candidates[0] if candidates else None


def _identifier(word: str) -> bool:
    return word.isidentifier() and not keyword.iskeyword(word)


# ---------------------------------------------------------------- matchers


def _rename(text: str, scope: _Scope) -> Op | None:
    match = _RENAME.match(text)
    if not match:
        return None
    old = scope.subject(match["old"])
    if old is None:
        return None
    new = match["new"]
    # "rename Cache.get to Cache.fetch": the new name is the last part when the owner is unchanged.
    if "." in new and new.rpartition(".")[0] == old.rpartition(".")[0]:
        new = new.rpartition(".")[2]
    if not _identifier(new):
        return None
    found = scope.resolve(old, ("function", "class", "variable"), methods_by_name=True)
    if found is None:
        return None
    return RenameSymbol(path=found.path, symbol=found.qualname, new_name=new)


def _make_static(text: str, scope: _Scope) -> Op | None:
    match = _STATIC.match(text)
    symbol = scope.subject(match["sym"]) if match else None
    if symbol is None:
        return None
    found = scope.resolve(symbol, ("function",), methods_by_name=True)
    if found is None:
        return None
    if "." not in found.qualname or _is_module_function(scope, found):
        raise DagentError(f"{found.qualname} in {found.path}:{found.def_line} is not a method; only a method can be made static")
    return MakeStatic(path=found.path, symbol=found.qualname)


def _is_module_function(scope: _Scope, definition: Definition) -> bool:
    parent = definition.qualname.rpartition(".")[0]
    return not any(d.qualname == parent and d.kind == "class" for d in scope.index.definitions(definition.path))


def _add_parameter(text: str, scope: _Scope) -> Op | None:
    named = _PARAM_NAMED.match(text)
    spec = None if named else _PARAM_SPEC.match(text)
    if named:
        default = named["default"] or named["default2"] or ("None" if named["optional"] else None)
        parameter = _parameter(named["name"], None, default)
        subject = named["func"]
    elif spec:
        parameter = _parameter_from_spec(spec["spec"])
        subject = spec["func"]
    else:
        return None
    symbol = scope.subject(subject)
    if parameter is None or symbol is None:
        return None
    found = scope.resolve(symbol, ("function",), methods_by_name=True)
    if found is None:
        return None
    return AddParameter(path=found.path, symbol=found.qualname, parameter=parameter)


def _parameter(name: str, annotation: str | None, default: str | None) -> str | None:
    """`name`, `name=default` or `name: T = default`, or None when a part is not valid Python."""
    if not _identifier(name):
        return None
    for part in (annotation, default):
        if part is not None and not _is_expression(part):
            return None
    if annotation is not None:
        return f"{name}: {annotation}" + (f" = {default}" if default is not None else "")
    return name + (f"={default}" if default is not None else "")


def _parameter_from_spec(spec: str) -> str | None:
    """A parameter written as Python (`timeout: float = 5.0`, `retries=3`), checked by the parser."""
    try:
        tree = ast.parse(f"def _f({spec}): pass")
    except SyntaxError:
        return None
    args = tree.body[0].args  # type: ignore[attr-defined]
    plain = args.posonlyargs + args.args
    if len(plain) != 1 or args.kwonlyargs or args.vararg or args.kwarg:
        return None
    arg = plain[0]
    annotation = ast.unparse(arg.annotation) if arg.annotation else None
    default = ast.unparse(args.defaults[0]) if args.defaults else None
    return _parameter(arg.arg, annotation, default)


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _add_import(text: str, scope: _Scope) -> Op | None:
    match = _IMPORT_ADD_STMT.match(text) or _IMPORT_BARE.match(text)
    statement = match["stmt"] if match else None
    if match is None:
        match = _IMPORT_ADD.match(text)
        if match is None:
            return None
        statement = "import " + match["what"]
    statement = _import_statement(statement or "")
    if statement is None:
        return None
    return AddImport(path=_import_target(match["file"], scope), statement=statement)


def _import_statement(text: str) -> str | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Import, ast.ImportFrom)):
        return None
    return ast.unparse(tree.body[0])


def _import_target(file: str | None, scope: _Scope) -> str:
    """The file an import goes into: named in the instruction (path or dotted module), else the hint."""
    if file is None:
        if scope.path_hint is None:
            raise DagentError("say which file the import goes into: '... in PATH' or dagent edit \"...\" PATH")
        return scope.path_hint
    sources = scope.index.sources
    module = file.removesuffix(".py").replace(".", "/")
    for candidate in (file, module + ".py", module + "/__init__.py"):
        if candidate in sources:
            return candidate
    raise DagentError(f"no file {file!r} in the project to add the import to")

