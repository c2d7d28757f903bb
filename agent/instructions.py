"""Natural-language edit instructions mapped onto structural ops, where they clearly fit.

`dagent edit "rename mean to average"` needs no model: a libcst codemod does it exactly. The phrasings
recognised (case does not matter, quotes and backticks are dropped, a final "." too; "it"/"this" stand
for the PATH:SYMBOL given on the command line):

- rename:     "rename [the function|method|class|variable] OLD to|as|into NEW", "rename Class.m to n",
              "rename [the] method|attribute M of|in|on [class] C to N", "rename C's method M to N";
- module:     "rename|move [the] module|file A to|as|into B" (A, B paths `pkg/a.py` or dotted `pkg.a`;
              a bare B stays in A's directory, a B ending in "/" is a directory), also without the word
              "module" when A ends in .py, and "rename helpers to strings" when only a module is so named
              -> @@move_module;
- static:     "make|turn|convert M [into|to] [a] static[ ]method" -> @@static;
- parameter:  "add [a|an] [optional] NAME parameter|argument|keyword [(default X)|with default X] to F",
              "add a NAME=X keyword to F", "add parameter|argument|keyword NAME: T = X to F", with an
              optional tail "[and] pass|forward|thread it [on|through] [to CALLEE[, CALLEE]]" -> @@param,
              plus @@forward for the calls that take it: the named callees; else, unasked, the calls in
              F to a function that has a parameter NAME (or to an injected callable parameter whose
              default accepts NAME or **kwargs), and the callers of F that have a NAME of their own.
              Without a default, a module constant DEFAULT_NAME / NAME_DEFAULT is the default; else None
              when F has defaults. A literal default is annotated (float, int, ...) when F annotates
              its parameters;
- decorate:   "decorate F with [@]EXPR", "add [the] [decorator] @EXPR [decorator] to F", "apply|put
              @EXPR on|to F", "wrap F with|in @EXPR" (these need the "@" or the word "decorator")
              -> @@decorate (which adds a standard import);
- memoise:    "memoize|memoise|cache [the results of] F [with|using lru_cache(...)|cache|an LRU cache of
              N]", "add caching|memoization|an lru_cache to F", "make F cached|memoized" ->
              @@decorate F @functools.lru_cache(maxsize=...) (None: unbounded; a generator or coroutine
              function is refused);
- dataclass:  "make|turn|convert C [into|to] a [frozen|ordered|slotted|keyword-only] dataclass [with
              slots|frozen=True|...]" -> @@dataclass;
- import:     "add [an] import [of|for] MODULE [to|in FILE]", "add `import x`|`from x import y` [to
              FILE]", "import x [in FILE]" -> @@import (into the hinted file, or the file of the other
              ops of the same instruction).

Several clauses joined by "and", "then", ";" or a parenthesis ("add import functools and decorate f
with @functools.lru_cache(maxsize=1024)", "make Point a frozen dataclass (add the import from
dataclasses)") map clause by clause into one stream; a vague "add the import(s) [from M]" beside ops
that add their own imports is dropped. If any clause does not map, nothing does, and the model writes
the edit. Names are resolved against the project's sources:
- a path hint (from `dagent edit ... PATH[:SYMBOL]`) restricts the search to that file;
- otherwise every file is searched, and a definition outside the tests wins over one inside them;
- a name that stays defined in two places raises DagentError listing them (the user adds a path);
- a name defined nowhere maps to None (it may be a local variable: the model handles it).
"""

from __future__ import annotations

import ast
import keyword
import posixpath
import re
from collections.abc import Callable, Mapping

from dagent.agent.source_index import Definition, SourceIndex, is_test_path
from dagent.errors import DagentError
from dagent.ops.cst import module_names
from dagent.ops.model import (
    AddImport,
    AddParameter,
    Decorate,
    ForwardArgument,
    MakeDataclass,
    MakeStatic,
    MoveModule,
    Op,
    RenameSymbol,
)

DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
# "it" / "this method" stand for the symbol given on the command line (PATH:SYMBOL).
SUBJECT = rf"(?:it|this(?:\s+(?:function|method|class))?|{DOTTED})"
_KIND_WORD = r"(?:(?:the\s+)?(?:function|method|class|variable|constant|symbol)\s+)?"
_CALLED = r"(?:\(\))?"

_RENAME = re.compile(rf"^rename\s+{_KIND_WORD}(?P<old>{SUBJECT}){_CALLED}\s+(?:to|as|into)\s+(?P<new>{DOTTED})$", re.I)
_RENAME_MEMBER = re.compile(
    rf"^rename\s+(?:the\s+)?(?:method|attribute|property|field|member)\s+(?P<member>\w+){_CALLED}\s+(?:of|in|on|from)\s+"
    rf"(?:the\s+)?(?:class\s+)?(?P<owner>{DOTTED})(?:\s+class)?\s+(?:to|as|into)\s+(?P<new>\w+){_CALLED}$",
    re.I,
)
_RENAME_POSSESSIVE = re.compile(
    rf"^rename\s+(?:the\s+)?(?:class\s+)?(?P<owner>{DOTTED})\s+__s\s+(?:method\s+|attribute\s+|property\s+|field\s+)?"
    rf"(?P<member>\w+){_CALLED}\s+(?:to|as|into)\s+(?P<new>\w+){_CALLED}$",
    re.I,
)
_MODULE_WORD = r"(?:the\s+)?(?:python\s+)?(?:module|file)\s+"
_MOVE_MODULE = re.compile(
    rf"^(?:rename|move)\s+{_MODULE_WORD}(?P<src>[\w./-]+)\s+(?:to|as|into)\s+(?:{_MODULE_WORD}|the\s+(?:directory|folder|package)\s+)?(?P<dst>[\w./-]+)$",
    re.I,
)
_MOVE_FILE = re.compile(r"^(?:rename|move)\s+(?P<src>[\w./-]+\.py)\s+(?:to|as|into)\s+(?P<dst>[\w./-]+)$", re.I)
_STATIC = re.compile(
    rf"^(?:make|turn|convert)\s+{_KIND_WORD}(?P<sym>{SUBJECT}){_CALLED}\s+(?:into\s+|to\s+)?(?:an?\s+)?"
    r"static(?:\s*method)?$",
    re.I,
)
_PARAM_WORD = r"(?:keyword[\s-]only\s+)?(?:keyword\s+)?(?:parameter|param|argument|arg|keyword|kwarg|option)"
_PARAM_NAMED = re.compile(
    rf"^add\s+(?:an?\s+)?(?:new\s+)?(?P<optional>optional\s+)?(?P<name>[A-Za-z_]\w*)(?:\s*=\s*(?P<default3>[^\s=]+))?\s+{_PARAM_WORD}"
    r"(?:\s*\(\s*(?:default(?:s\s+to|\s*=|:)?|=)\s*(?P<default>[^)]+?)\s*\)"
    r"|\s+with\s+(?:a\s+)?default(?:\s+value)?(?:\s+of|\s*=)?\s+(?P<default2>\S+))?"
    rf"\s+to\s+{_KIND_WORD}(?P<func>{SUBJECT}){_CALLED}"
    r"(?:,?\s+(?:with\s+(?:a\s+)?default(?:\s+value)?(?:\s+of|\s*=)?|default(?:ing|s)?\s+(?:to\s+)?)\s*(?P<default4>\S+))?$",
    re.I,
)
_PARAM_SPEC = re.compile(
    rf"^add\s+(?:an?\s+)?(?:new\s+)?{_PARAM_WORD}\s+(?P<spec>.+?)\s+to\s+{_KIND_WORD}"
    rf"(?P<func>{SUBJECT}){_CALLED}$",
    re.I,
)
# "..., and pass it on to opener": the parameter goes through to calls inside the function.
_PASS_TAIL = re.compile(
    r"^(?P<head>.+?),?\s+(?:and\s+)?(?:then\s+)?(?:pass|forward|thread)(?:es|ing|s)?\s+it\s*(?P<rest>.*)$", re.I
)
_PASS_TARGETS = re.compile(
    r"^(?:on|through|along|down)?\s*(?:to\s+(?:the\s+)?(?:calls?\s+(?:to\s+|of\s+)?)?"
    rf"(?P<to>{DOTTED}{_CALLED}(?:\s*(?:,|and|,\s*and)\s*(?:the\s+)?{DOTTED}{_CALLED})*)"
    r"(?:\s+calls?)?(?:\s+inside)?)?$",
    re.I,
)
_PASS_INSIDE = re.compile(r"^(?:on|through|along|down)?\s*(?:to\s+(?:the|every|each|all)\s+(?:inner\s+)?calls?(?:\s+inside)?)?$", re.I)
_DECORATOR = r"@?(?P<dec>[A-Za-z_][\w.]*(?:\s*\(.*\))?)"
_DECORATE = (
    re.compile(rf"^decorate\s+{_KIND_WORD}(?P<sym>{SUBJECT}){_CALLED}\s+(?:with|using|by)\s+(?:the\s+|an?\s+)?(?:decorator\s+)?{_DECORATOR}(?:\s+decorator)?$", re.I),
    re.compile(rf"^(?:add|apply|put)\s+(?:the\s+|an?\s+)?(?:decorator\s+)?{_DECORATOR}(?:\s+decorator)?\s+(?:to|on|onto)\s+{_KIND_WORD}(?P<sym>{SUBJECT}){_CALLED}$", re.I),
    re.compile(rf"^wrap\s+{_KIND_WORD}(?P<sym>{SUBJECT}){_CALLED}\s+(?:with|in)\s+(?:the\s+|an?\s+)?(?:decorator\s+)?{_DECORATOR}(?:\s+decorator)?$", re.I),
)
_MEMO_VERB = r"(?:memoi[sz]e|cache)"
_MEMOISE = (
    re.compile(
        rf"^{_MEMO_VERB}\s+(?:the\s+)?(?:(?:results?|return\s+values?|calls?)\s+(?:of|to)\s+)?{_KIND_WORD}(?P<sym>{SUBJECT}){_CALLED}"
        r"(?:\s+(?:with|using|via|in|through)\s+(?P<how>.+))?$",
        re.I,
    ),
    re.compile(
        r"^add\s+(?:an?\s+|the\s+)?(?P<how>(?:functools\.)?(?:lru[\s_]cache|cache|caching|memoi[sz]ation)(?:\s*\([^)]*\))?(?:\s+of\s+\d+(?:\s+entries)?)?)"
        rf"(?:\s+decorator)?\s+(?:to|on)\s+{_KIND_WORD}(?P<sym>{SUBJECT}){_CALLED}$",
        re.I,
    ),
    re.compile(rf"^make\s+{_KIND_WORD}(?P<sym>{SUBJECT}){_CALLED}\s+(?:cached|memoi[sz]ed)$", re.I),
)
_DATACLASS = re.compile(
    rf"^(?:make|turn|convert|change|rewrite)\s+(?:the\s+)?(?:class\s+)?(?P<sym>{SUBJECT})\s+(?:into\s+|to\s+|as\s+)?(?:an?\s+)?"
    r"(?P<before>[\w\s,=-]*?)\s*dataclass(?P<after>(?:\s*\(.*\)|\s+[\w\s,=-]*)?)$",
    re.I,
)
_DATACLASS_WORDS = {
    "frozen": "frozen", "immutable": "frozen", "ordered": "order", "orderable": "order", "order": "order",
    "sortable": "order", "slots": "slots", "slotted": "slots", "kw_only": "kw_only", "keyword-only": "kw_only",
    "unsafe_hash": "unsafe_hash", "hashable": "unsafe_hash",
}
_DATACLASS_FILLER = {"and", "with", "a", "an", "the", "true", "that", "is", "it", "has", "using", "keyword", "only", "=", "only"}
_FILE_TAIL = r"(?:\s+(?:to|in|into)\s+(?:the\s+)?(?:file\s+|module\s+)?(?P<file>[\w./-]+))?"
_IMPORT_ADD = re.compile(rf"^(?:add|insert)\s+(?:an?\s+|the\s+)?import(?:\s+(?:of|for))?\s+(?P<what>.+?){_FILE_TAIL}$", re.I)
_IMPORT_ADD_STMT = re.compile(rf"^(?:add|insert)\s+(?P<stmt>(?:import|from)\s+.+?){_FILE_TAIL}$", re.I)
_IMPORT_BARE = re.compile(rf"^(?P<stmt>(?:import|from)\s+.+?){_FILE_TAIL}$")
# "(add the import from dataclasses)": a remark the ops that add their own imports satisfy.
_IMPORT_REMARK = re.compile(
    r"^(?:and\s+)?(?:add|adding|with|including|plus|incl)\s+(?:the\s+|any\s+|its\s+|their\s+|an?\s+)?"
    r"(?:needed\s+|necessary\s+|required\s+|missing\s+)?imports?(?:\s+(?:from|of|for)\s+[\w.]+)?"
    r"(?:\s+(?:needed|required|it\s+needs|too|as\s+well))?$",
    re.I,
)
_CLAUSE_VERBS = r"(?:add|adding|insert|decorate|rename|make|turn|convert|move|memoi[sz]e|cache|import|from|wrap|apply|put)"
_SPLIT = re.compile(rf"\s*(?:;(?:\s*then\b)?|,?\s+and\s+then\s+|,\s+then\s+|,?\s+then\s+|,?\s+and\s+(?={_CLAUSE_VERBS}\b))\s*", re.I)
_PAREN = re.compile(r"\s+\(([^()]*\s[^()]*)\)")


def _normalise(instruction: str) -> str:
    text = re.sub(r"(\w)['’]s\b", r"\1 __s", instruction)  # "Invoice's calc": a possessive, not a quote
    text = text.replace("`", "").replace("'", "").replace('"', "")
    return " ".join(text.split()).rstrip(".!")


def plan_instruction(
    instruction: str,
    sources: Mapping[str, str],
    path_hint: str | None = None,
    symbol_hint: str | None = None,
) -> list[Op]:
    """The structural ops an instruction asks for, in order; [] when it is not made of known forms."""
    text = _normalise(instruction)
    scope = _Scope(sources, path_hint, symbol_hint)
    whole = _clause(text, scope)
    if whole is not None:
        return whole
    clauses = _clauses(text)
    if len(clauses) < 2:
        return []
    planned: list[list[Op] | None] = []
    deferred: list[int] = []
    for i, clause in enumerate(clauses):
        if _IMPORT_REMARK.match(clause) or _is_import(clause):
            planned.append(None)
            deferred.append(i)
            continue
        ops = _clause(clause, scope)
        if ops is None:
            return []
        planned.append(ops)
    done = [op for ops in planned if ops for op in ops]
    default_file = done[0].path if done else None
    for i in deferred:
        clause = clauses[i]
        if _IMPORT_REMARK.match(clause):
            if not any(isinstance(op, (Decorate, MakeDataclass)) for op in done):
                return []  # "add the import" alone says nothing about which
            planned[i] = []
            continue
        op = _add_import(clause, scope, default_file)
        if op is None:
            return []
        planned[i] = [op]
    return [op for ops in planned if ops for op in ops]


def map_instruction(
    instruction: str,
    sources: Mapping[str, str],
    path_hint: str | None = None,
    symbol_hint: str | None = None,
) -> Op | None:
    """The structural op an instruction asks for when it maps onto exactly one, else None (see
    plan_instruction for instructions that map onto several)."""
    ops = plan_instruction(instruction, sources, path_hint, symbol_hint)
    return ops[0] if len(ops) == 1 else None


def _clauses(text: str) -> list[str]:
    """The instruction cut into clauses: parentheses that hold words, then "and <verb>", "then", ";"."""
    parts: list[str] = []
    main = _PAREN.sub(lambda m: parts.append(m.group(1)) or "", text)  # type: ignore[func-returns-value]
    pieces = [p.strip(" ,") for p in _SPLIT.split(main)] + [p.strip(" ,") for p in parts]
    return [p for p in pieces if p]


def _is_import(clause: str) -> bool:
    return bool(_IMPORT_ADD_STMT.match(clause) or _IMPORT_BARE.match(clause) or _IMPORT_ADD.match(clause))


def _clause(text: str, scope: _Scope) -> list[Op] | None:
    matchers: tuple[Callable[[str, _Scope], list[Op] | None], ...] = (
        _move_module_explicit, _rename_member, _rename, _move_module_by_name, _make_static, _dataclass,
        _decorate, _memoise, _add_parameter, _import_clause,
    )
    for matcher in matchers:
        ops = matcher(text, scope)
        if ops is not None:
            return ops
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


def _rename(text: str, scope: _Scope) -> list[Op] | None:
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
    return [RenameSymbol(path=found.path, symbol=found.qualname, new_name=new)]


def _rename_member(text: str, scope: _Scope) -> list[Op] | None:
    match = _RENAME_MEMBER.match(text) or _RENAME_POSSESSIVE.match(text)
    if not match:
        return None
    owner = scope.subject(match["owner"]) if match["owner"].lower() not in ("it", "this") else scope.symbol_hint
    member, new = match["member"], match["new"]
    if owner is None or not _identifier(new) or not _identifier(member):
        return None
    found = scope.resolve(f"{owner}.{member}", ("function", "class"))
    if found is not None:
        return [RenameSymbol(path=found.path, symbol=found.qualname, new_name=new)]
    cls = scope.resolve(owner, ("class",))  # a class attribute (a dataclass field): no Definition of its own
    if cls is None:
        return None
    return [RenameSymbol(path=cls.path, symbol=f"{cls.qualname}.{member}", new_name=new)]


# ---------------------------------------------------------------- move a module


def _move_module_explicit(text: str, scope: _Scope) -> list[Op] | None:
    match = _MOVE_MODULE.match(text) or _MOVE_FILE.match(text)
    if not match:
        return None
    source = _module_file(match["src"], scope)
    if source is None:
        raise DagentError(f"no module {match['src']!r} in the project to move")
    return [MoveModule(path=source, to=_module_target(source, match["src"], match["dst"], scope))]


def _move_module_by_name(text: str, scope: _Scope) -> list[Op] | None:
    """"rename helpers to strings" where no symbol is so named but a module is."""
    match = _RENAME.match(text)
    if not match or match["old"].lower().startswith(("it", "this")):
        return None
    source = _module_file(match["old"], scope)
    if source is None:
        return None
    return [MoveModule(path=source, to=_module_target(source, match["old"], match["new"], scope))]


def _module_file(word: str, scope: _Scope) -> str | None:
    """The .py file a path (`pkg/a.py`, `a.py`), a dotted module (`pkg.a`) or a bare name means."""
    files = scope.all_files()
    if word.endswith(".py"):
        if word in files:
            return word
        found = [f for f in files if f.endswith("/" + word)]
    else:
        dotted = word.replace("/", ".")
        found = [f for f in files if not f.endswith("__init__.py") and dotted in module_names(f, scope.index.sources)]
        if not found and "." not in dotted:
            found = [f for f in files if posixpath.basename(f) == dotted + ".py"]
    outside = [f for f in found if not is_test_path(f)] or found
    if len(outside) > 1:
        raise DagentError(f"{word!r} could be {', '.join(outside)}; give the module's path")
    return outside[0] if outside else None


def _module_target(source: str, written: str, target: str, scope: _Scope) -> str:
    """Where the module goes: a path, a directory (ending in "/", or one that exists), a dotted name
    (rooted like the source was written), or a bare name (in the source's directory)."""
    directory = posixpath.dirname(source)
    if target.endswith("/"):
        return target + posixpath.basename(source)
    if target.endswith(".py"):
        return target if "/" in target else posixpath.join(directory, target)
    if "/" in target:
        if any(f.startswith(target + "/") for f in scope.all_files()):
            return f"{target}/{posixpath.basename(source)}"
        return target + ".py"
    if "." in target:
        # `pkg.strings` for `src/pkg/helpers.py` written `pkg.helpers`: keep the part of the path above it
        written_path = written.removesuffix(".py").replace(".", "/")
        prefix = source.removesuffix(".py")[: -len(written_path)] if source.removesuffix(".py").endswith(written_path) else ""
        return prefix + target.replace(".", "/") + ".py"
    return posixpath.join(directory, target + ".py")


def _make_static(text: str, scope: _Scope) -> list[Op] | None:
    match = _STATIC.match(text)
    symbol = scope.subject(match["sym"]) if match else None
    if symbol is None:
        return None
    found = scope.resolve(symbol, ("function",), methods_by_name=True)
    if found is None:
        return None
    if "." not in found.qualname or _is_module_function(scope, found):
        raise DagentError(f"{found.qualname} in {found.path}:{found.def_line} is not a method; only a method can be made static")
    return [MakeStatic(path=found.path, symbol=found.qualname)]


def _is_module_function(scope: _Scope, definition: Definition) -> bool:
    parent = definition.qualname.rpartition(".")[0]
    return not any(d.qualname == parent and d.kind == "class" for d in scope.index.definitions(definition.path))


# ---------------------------------------------------------------- dataclass, decorate, memoise


def _dataclass(text: str, scope: _Scope) -> list[Op] | None:
    match = _DATACLASS.match(text)
    symbol = scope.subject(match["sym"]) if match else None
    if match is None or symbol is None:
        return None
    options: list[str] = []
    words = re.findall(r"[\w-]+|=", f"{match['before']} {match['after'] or ''}".lower())
    for word in words:
        if word in _DATACLASS_WORDS:
            options.append(_DATACLASS_WORDS[word])
        elif word not in _DATACLASS_FILLER:
            return None  # "a dataclass with a validator": more than the op does
    found = scope.resolve(symbol, ("class",))
    if found is None:
        return None
    return [MakeDataclass(path=found.path, symbol=found.qualname, options=tuple(dict.fromkeys(options)))]


def _decorate(text: str, scope: _Scope) -> list[Op] | None:
    match = next((m for m in (r.match(text) for r in _DECORATE) if m), None)
    symbol = scope.subject(match["sym"]) if match else None
    if match is None or symbol is None or not _is_expression(match["dec"]):
        return None
    if match.re is not _DECORATE[0] and "@" not in text and "decorator" not in text.lower():
        return None  # "add logging to f", "wrap f in a lock": not said to be a decorator
    found = scope.resolve(symbol, ("function", "class"), methods_by_name=True)
    if found is None:
        return None
    return [Decorate(path=found.path, symbol=found.qualname, decorator=match["dec"])]


def _memoise(text: str, scope: _Scope) -> list[Op] | None:
    match = next((m for m in (r.match(text) for r in _MEMOISE) if m), None)
    symbol = scope.subject(match["sym"]) if match else None
    if match is None or symbol is None:
        return None
    how = (match.groupdict().get("how") or "").strip()
    found = scope.resolve(symbol, ("function",), methods_by_name=True)
    if found is None:
        return None
    node = scope.index.node_at(found.path, found.def_line)
    if isinstance(node, ast.AsyncFunctionDef):
        raise DagentError(f"{found.qualname} is a coroutine function: lru_cache would cache one coroutine object, which can be awaited once")
    if node is not None and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node)):
        raise DagentError(f"{found.qualname} is a generator function: a cache would hand out one exhausted generator")
    decorator = _cache_decorator(how, scope.index.sources[found.path])
    if decorator is None:
        return None
    return [Decorate(path=found.path, symbol=found.qualname, decorator=decorator)]


def _cache_decorator(how: str, source: str) -> str | None:
    """The lru_cache decorator `how` describes ("", "lru_cache(maxsize=64)", "an LRU cache of 100
    entries", "functools.cache"), spelled as the module imports functools."""
    how = re.sub(r"^(?:an?|the)\s+", "", how.strip(), flags=re.I)
    size = "None"
    if how:
        call = re.fullmatch(r"(?:functools\.)?(?P<name>lru_cache|cache)\s*(?P<args>\(.*\))?(?:\s+decorator)?", how, re.I)
        words = re.fullmatch(r"(?:functools\.)?(?:lru[\s_]cache|cache|caching|memoi[sz]ation)(?:\s+(?:of|with|size|maxsize|of\s+size|with\s+maxsize)\s*=?\s*(?P<n>\d+)(?:\s+(?:entries|items|results|calls))?)?", how, re.I)
        if call and call["args"]:
            if call["name"].lower() != "lru_cache" or not _is_expression("f" + call["args"]):
                return None
            args = call["args"].strip()[1:-1].strip()
            size = args.removeprefix("maxsize").lstrip(" =") if args else "128"
            if not args:
                return _functools_spelling("lru_cache()", source)
            return _functools_spelling(f"lru_cache({args})", source)
        if words is None and call is None:
            return None
        if words is not None and words["n"]:
            size = words["n"]
    return _functools_spelling(f"lru_cache(maxsize={size})", source)


def _functools_spelling(call: str, source: str) -> str:
    """`lru_cache(...)` when the module does `from functools import lru_cache`, else `functools.lru_cache(...)`."""
    if re.search(r"^from\s+functools\s+import\s+[^\n]*\blru_cache\b", source, re.M):
        return call
    return "functools." + call


def _own_nodes(node: ast.AST) -> list[ast.AST]:
    """The nodes of a function's body, not those of the functions and classes nested in it."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        found.append(child)
        stack.extend(ast.iter_child_nodes(child))
    return found


# ---------------------------------------------------------------- add a parameter


def _add_parameter(text: str, scope: _Scope) -> list[Op] | None:
    targets: list[str] | None = None
    forward = False
    tail = _PASS_TAIL.match(text)
    if tail:
        inside = _PASS_INSIDE.match(tail["rest"])
        named = _PASS_TARGETS.match(tail["rest"])
        if inside is None and (named is None or not named["to"]):
            return None
        text, forward = tail["head"], True
        if inside is None and named is not None:
            targets = [t.strip().removeprefix("the ").removesuffix("()") for t in re.split(r"\s*(?:,\s*and|,|\band\b)\s*", named["to"])]
    planned = _parameter_clause(text, scope)
    if planned is None:
        return None
    found, parameter, default_given = planned
    op = AddParameter(path=found.path, symbol=found.qualname, parameter=parameter)
    name = re.match(r"\w+", parameter).group(0)  # type: ignore[union-attr]
    forwards = _forwards(scope, found, name, targets, forward or default_given)
    if forwards is None:
        return None
    return [op, *forwards]


def _parameter_clause(text: str, scope: _Scope) -> tuple[Definition, str, bool] | None:
    """(the function, the parameter text, whether it has a default worth passing on)."""
    named = _PARAM_NAMED.match(text)
    spec = None if named else _PARAM_SPEC.match(text)
    if named:
        default = named["default"] or named["default2"] or named["default3"] or named["default4"]
        default = default or ("None" if named["optional"] else None)
        name, annotation, subject = named["name"], None, named["func"]
        if default is not None and not _is_expression(default):
            return None
    elif spec:
        parsed = _parameter_from_spec(spec["spec"])
        if parsed is None:
            return None
        name, annotation, default = parsed
        subject = spec["func"]
    else:
        return None
    symbol = scope.subject(subject)
    if symbol is None or not _identifier(name):
        return None
    found = scope.resolve(symbol, ("function",), methods_by_name=True)
    if found is None:
        return None
    node = scope.index.node_at(found.path, found.def_line)
    given = default is not None and default != "None"
    if default is None and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        constant = _default_constant(scope, found.path, name)
        if constant is not None:
            default, value = constant
            given = True
            if annotation is None and _annotated(node):
                annotation = _literal_type(value)
        elif any(node.args.defaults):
            default = "None"  # after parameters with defaults, a parameter needs one too
    elif default is not None and annotation is None and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _annotated(node):
        annotation = _literal_type(default)
    parameter = _parameter(name, annotation, default)
    return (found, parameter, given) if parameter is not None else None


def _annotated(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the function annotates its parameters (any but self/cls), so the new one should be too."""
    params = [a for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs if a.arg not in ("self", "cls")]
    return any(a.annotation is not None for a in params)


def _literal_type(text: str) -> str | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return type(value).__name__ if type(value) in (int, float, str, bool, bytes) else None


def _default_constant(scope: _Scope, path: str, name: str) -> tuple[str, str] | None:
    """A module-level DEFAULT_NAME / NAME_DEFAULT in the function's module: (its name, its value's text)."""
    tree = scope.index.tree(path)
    if tree is None:
        return None
    wanted = {f"DEFAULT_{name.upper()}", f"{name.upper()}_DEFAULT", f"DEFAULT_{name.upper()}_S", f"DEFAULT_{name.upper()}_SECONDS"}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in wanted:
                    return target.id, ast.unparse(node.value)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                if local in wanted:
                    return local, ""
    return None


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


def _parameter_from_spec(spec: str) -> tuple[str, str | None, str | None] | None:
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
    return arg.arg, annotation, default


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


# ---------------------------------------------------------------- passing a parameter on


def _forwards(scope: _Scope, found: Definition, name: str, targets: list[str] | None, infer: bool) -> list[Op] | None:
    """@@forward ops for a new parameter `name` of `found`: to the named callees (None when one is not
    called there), else, when `infer`, to the calls inside that take it and from the callers that have it."""
    node = scope.index.node_at(found.path, found.def_line)
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    calls = _call_names(node, name)
    if targets is not None:
        ops: list[Op] = []
        for target in targets:
            matching = [c for c in calls if c == target or c.rpartition(".")[2] == target]
            if not matching:
                return None
            ops += [ForwardArgument(path=found.path, symbol=found.qualname, name=name, callee=c) for c in dict.fromkeys(matching)]
        return ops
    if not infer:
        return []
    ops = [
        ForwardArgument(path=found.path, symbol=found.qualname, name=name, callee=callee)
        for callee in dict.fromkeys(calls)
        if _takes(scope, found, node, callee, name)
    ]
    return ops + _caller_forwards(scope, found, name)


def _call_names(node: ast.AST, name: str) -> list[str]:
    """Dotted callees of the calls in a function's own body that do not pass `name` yet."""
    names: list[str] = []
    for child in _own_nodes(node):
        if isinstance(child, ast.Call) and not any(k.arg == name for k in child.keywords):
            dotted = _dotted(child.func)
            if dotted:
                names.append(dotted)
    return names


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _function_node(scope: _Scope, path: str, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for d in scope.index.definitions(path):
        if d.qualname == qualname and d.kind == "function":
            node = scope.index.node_at(path, d.def_line)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
    return None


def _accepts(node: ast.FunctionDef | ast.AsyncFunctionDef | None, name: str, kwargs_too: bool) -> bool:
    if node is None:
        return False
    args = node.args
    if any(a.arg == name for a in args.args + args.kwonlyargs):
        return True
    return kwargs_too and args.kwarg is not None


def _takes(scope: _Scope, found: Definition, node: ast.FunctionDef | ast.AsyncFunctionDef, callee: str, name: str) -> bool:
    """Whether a call `callee(...)` inside `found` can take `name=`: a function of the project with a
    parameter so named, a method of the same class (`self.m`), or an injected callable parameter whose
    default is a project function with that parameter or **kwargs."""
    params = {a.arg: a for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    if callee in params:  # an injected callable: judge by its default
        defaults = dict(zip([a.arg for a in (node.args.posonlyargs + node.args.args)][::-1], node.args.defaults[::-1]))
        defaults |= {a.arg: d for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults) if d is not None}
        default = defaults.get(callee)
        target = _dotted(default) if default is not None else None
        return target is not None and _accepts(_resolve_callable(scope, found.path, target), name, kwargs_too=True)
    owner = found.qualname.rpartition(".")[0]
    if callee.startswith("self.") and owner and callee.count(".") == 1:
        return _accepts(_function_node(scope, found.path, f"{owner}.{callee[5:]}"), name, kwargs_too=False)
    return _accepts(_resolve_callable(scope, found.path, callee), name, kwargs_too=False)


def _resolve_callable(scope: _Scope, path: str, dotted: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The project function a name in `path` refers to: defined there, or imported with `from M import`."""
    if "." not in dotted:
        node = _function_node(scope, path, dotted)
        if node is not None:
            return node
    tree = scope.index.tree(path)
    if tree is None:
        return None
    head, _, rest = dotted.partition(".")
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                if (alias.asname or alias.name) == head:
                    home = _file_of_module(scope, stmt.module)
                    if home is not None:
                        return _function_node(scope, home, alias.name if not rest else f"{alias.name}.{rest}")
    return None


def _file_of_module(scope: _Scope, module: str) -> str | None:
    for f in scope.all_files():
        if module in module_names(f, scope.index.sources):
            return f
    return None


def _caller_forwards(scope: _Scope, found: Definition, name: str) -> list[Op]:
    """Functions of the project that call `found` without `name=` and have a parameter `name` themselves."""
    target = found.qualname
    owner, _, func = target.rpartition(".")
    home_modules = module_names(found.path, scope.index.sources)
    ops: list[Op] = []
    for path in scope.all_files():
        if func not in scope.index.sources[path]:
            continue
        tree = scope.index.tree(path)
        if tree is None:
            continue
        local_names = _local_names_for(tree, path, found.path, func, home_modules, owner)
        if not local_names:
            continue
        for d in scope.index.functions(path):
            if (d.path, d.qualname) == (found.path, found.qualname):
                continue
            node = scope.index.node_at(path, d.def_line)
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not _accepts(node, name, kwargs_too=False):
                continue
            callees = [c for c in _call_names(node, name) if c in local_names or (owner and c == f"self.{func}" and d.qualname.startswith(owner + "."))]
            ops += [ForwardArgument(path=path, symbol=d.qualname, name=name, callee=c) for c in dict.fromkeys(callees)]
    return ops


def _local_names_for(tree: ast.Module, path: str, home: str, func: str, home_modules: set[str], owner: str) -> set[str]:
    """How `func` (a module-level function of `home`) is called in the module `path`."""
    if owner:
        return {f"self.{func}"} if path == home else set()
    names = {func} if path == home else set()
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.ImportFrom) and stmt.module in home_modules and not stmt.level:
            names |= {a.asname or a.name for a in stmt.names if a.name == func}
        elif isinstance(stmt, ast.Import):
            names |= {f"{a.asname or a.name}.{func}" for a in stmt.names if a.name in home_modules}
    return names


# ---------------------------------------------------------------- imports


def _import_clause(text: str, scope: _Scope) -> list[Op] | None:
    op = _add_import(text, scope, None)
    return [op] if op is not None else None


def _add_import(text: str, scope: _Scope, default_file: str | None) -> Op | None:
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
    return AddImport(path=_import_target(match["file"], scope, default_file), statement=statement)


def _import_statement(text: str) -> str | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Import, ast.ImportFrom)):
        return None
    return ast.unparse(tree.body[0])


def _import_target(file: str | None, scope: _Scope, default_file: str | None = None) -> str:
    """The file an import goes into: named in the instruction (path or dotted module), else the hint,
    else the file the instruction's other ops edit."""
    if file is None:
        if scope.path_hint is None and default_file is None:
            raise DagentError("say which file the import goes into: '... in PATH' or dagent edit \"...\" PATH")
        return scope.path_hint or default_file  # type: ignore[return-value]
    sources = scope.index.sources
    module = file.removesuffix(".py").replace(".", "/")
    for candidate in (file, module + ".py", module + "/__init__.py"):
        if candidate in sources:
            return candidate
    raise DagentError(f"no file {file!r} in the project to add the import to")
