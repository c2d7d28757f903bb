"""The edit operations: pydantic models at the boundary between the model, the user and apply.

Text fields (`old`, `new`, `anchor`, `text`, `content`) hold whole lines, each ending in "\\n":
"" is zero lines and "\\n" is one empty line, so every op round-trips through the text form exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Op(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(min_length=1, description="repo-relative POSIX path of the file the op targets")

    @field_validator("path")
    @classmethod
    def _no_newline_in_path(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("a path cannot contain a newline")
        return value

    def paths(self) -> list[str]:
        """Every path this op reads or writes (for path-safety checks)."""
        return [self.path]


class _TextOp(_Op):
    @field_validator("*", mode="after")
    @classmethod
    def _whole_lines(cls, value, info):  # type: ignore[no-untyped-def]
        if info.field_name in {"old", "new", "anchor", "text", "content"} and value and not value.endswith("\n"):
            raise ValueError(f"{info.field_name} must be whole lines ending in a newline")
        return value


_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
_DOTTED = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"

# A line hint has at most 18 digits, so that it always renders and parses back (see syntax.py).
MAX_LINE = 10**18 - 1


def _one_line(value: object) -> object:
    """Strip a one-line text field: the text form strips it too, and a line break would end the op."""
    if isinstance(value, str):
        if "\n" in value or "\r" in value:
            raise ValueError("must be one line")
        return value.strip()
    return value


class Replace(_TextOp):
    """Replace the lines `old` (found by content, `line` a 1-based hint) with `new`."""

    kind: Literal["replace"] = "replace"
    old: str = Field(min_length=1)
    new: str = ""  # empty deletes the old lines
    line: int | None = Field(default=None, ge=1, le=MAX_LINE)


class Insert(_TextOp):
    """Insert `text` after (or before) the lines `anchor`."""

    kind: Literal["insert_after", "insert_before"] = "insert_after"
    anchor: str = Field(min_length=1)
    text: str = Field(min_length=1)
    line: int | None = Field(default=None, ge=1, le=MAX_LINE)


class Delete(_TextOp):
    """Delete the lines `old`."""

    kind: Literal["delete"] = "delete"
    old: str = Field(min_length=1)
    line: int | None = Field(default=None, ge=1, le=MAX_LINE)


class CreateFile(_TextOp):
    """Create a new file (refused if it exists)."""

    kind: Literal["create"] = "create"
    content: str = ""


class RemoveFile(_Op):
    """Delete a whole file."""

    kind: Literal["remove"] = "remove"


class MoveFile(_Op):
    """Move (rename) a file."""

    kind: Literal["move"] = "move"
    to: str = Field(min_length=1)

    def paths(self) -> list[str]:
        return [self.path, self.to]


class RenameSymbol(_Op):
    """Rename a symbol defined in `path` (`name`, `Class.name`) and its uses across the repo."""

    kind: Literal["rename"] = "rename"
    symbol: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
    new_name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class AddImport(_Op):
    """Add an import statement to a module unless it is already there."""

    kind: Literal["import"] = "import"
    statement: str = Field(pattern=r"^(import|from) \S.*$")

    _strip = field_validator("statement", mode="before")(_one_line)


class MakeStatic(_Op):
    """Turn `Class.method` into a @staticmethod (drops `self`, which must be unused)."""

    kind: Literal["static"] = "static"
    symbol: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class AddParameter(_Op):
    """Add a parameter (`name`, `name=default`, `name: T = default`) to a function or method."""

    kind: Literal["param"] = "param"
    symbol: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
    parameter: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\b.*$")

    _strip = field_validator("parameter", mode="before")(_one_line)


class ForwardArgument(_Op):
    """In `function`'s body, pass `name=name` to every call written `callee(...)` (a parameter threaded
    through to the call inside)."""

    kind: Literal["forward"] = "forward"
    symbol: str = Field(pattern=_DOTTED)
    name: str = Field(pattern=_IDENT)
    callee: str = Field(pattern=_DOTTED)


def _decorator_text(value: object) -> object:
    """One line, stripped, without the leading "@" (the text form writes it, the model does not)."""
    value = _one_line(value)
    if isinstance(value, str) and value.startswith("@"):
        value = value[1:].strip()
    return value


class Decorate(_Op):
    """Add `@decorator` to a function, method or class (with its import when the name is unbound and
    well known: a standard module such as `functools`, or a name such as `lru_cache`)."""

    kind: Literal["decorate"] = "decorate"
    symbol: str = Field(pattern=_DOTTED)
    decorator: str = Field(min_length=1, pattern=r"^[A-Za-z_]")

    _strip = field_validator("decorator", mode="before")(_decorator_text)


DATACLASS_OPTIONS = ("frozen", "order", "slots", "kw_only", "unsafe_hash")


class MakeDataclass(_Op):
    """Turn a class into a `@dataclass`: the fields come from its plain `__init__` (`self.x = x`), which
    goes, with a `__repr__` that only repeats what the dataclass writes; the import is added."""

    kind: Literal["dataclass"] = "dataclass"
    symbol: str = Field(pattern=_DOTTED)
    options: tuple[Literal["frozen", "order", "slots", "kw_only", "unsafe_hash"], ...] = ()

    @field_validator("options")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("an option is given twice")
        return value


class MoveModule(_Op):
    """Move a Python module to a new path and rewrite every import of it across the repo."""

    kind: Literal["move_module"] = "move_module"
    to: str = Field(min_length=1)

    @field_validator("path", "to")
    @classmethod
    def _python_file(cls, value: str) -> str:
        if not value.endswith(".py") or "\n" in value or "\r" in value:
            raise ValueError("a module path ends in .py (one line)")
        return value

    def paths(self) -> list[str]:
        return [self.path, self.to]


Op = Annotated[
    Union[
        Replace, Insert, Delete, CreateFile, RemoveFile, MoveFile, RenameSymbol, AddImport, MakeStatic, AddParameter,
        ForwardArgument, Decorate, MakeDataclass, MoveModule,
    ],
    Field(discriminator="kind"),
]

TEXT_OPS = (Replace, Insert, Delete, CreateFile)
STRUCTURAL_OPS = (RenameSymbol, AddImport, MakeStatic, AddParameter, ForwardArgument, Decorate, MakeDataclass, MoveModule)
FILE_OPS = (CreateFile, RemoveFile, MoveFile, MoveModule)


def changes_nothing(ops: Sequence[Op]) -> bool:
    """A stream of replaces whose new text is their old text: it parses and applies, and edits nothing
    (a model that copies the old line it was given as a draft writes one)."""
    return bool(ops) and all(isinstance(op, Replace) and op.old == op.new for op in ops)


class OpStream(BaseModel):
    """An ordered list of ops, applied all-or-nothing."""

    model_config = ConfigDict(frozen=True)

    ops: list[Op] = Field(default_factory=list)
