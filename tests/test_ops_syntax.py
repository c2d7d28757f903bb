"""The op text form: round trips (hypothesis), prefixes, errors, and a fuzz of mutated streams."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dagent.ops.model import (
    MAX_LINE,
    AddImport,
    AddParameter,
    CreateFile,
    Decorate,
    Delete,
    ForwardArgument,
    Insert,
    MakeDataclass,
    MakeStatic,
    MoveFile,
    MoveModule,
    Op,
    RemoveFile,
    RenameSymbol,
    Replace,
)
from dagent.ops.syntax import GRAMMAR, OpParseError, parse, parse_prefix, render, render_op

# ---------------------------------------------------------------- strategies

_CHARS = st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",))
_TRICKY_PATHS = ["a b.py", 'q"uote.py', '"lead.py', "c:12", "dir/x:3.py", "\\back.py", "x:", "üñí/çødé.py", " pad ", "a\tb", "12"]
paths = st.one_of(st.sampled_from(_TRICKY_PATHS), st.text(_CHARS, min_size=1, max_size=24))
_TRICKY_LINES = ["@@end", "@@with", "@@replace x.py", "\\", "\\@@end", "\\\\", "", "   ", "@@", "@", "x\ry", "\x0c", "日本語 ✓"]
body_line = st.one_of(st.sampled_from(_TRICKY_LINES), st.text(_CHARS, max_size=30))
bodies = st.lists(body_line, max_size=5).map(lambda lines: "".join(line + "\n" for line in lines))
nonempty_bodies = st.lists(body_line, min_size=1, max_size=5).map(lambda lines: "".join(line + "\n" for line in lines))
hints = st.one_of(st.none(), st.integers(1, 300), st.just(MAX_LINE))
idents = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
dotted = st.lists(idents, min_size=1, max_size=3).map(".".join)
methods = st.lists(idents, min_size=2, max_size=3).map(".".join)
statements = st.one_of(
    st.builds(lambda m: f"import {m}", dotted),
    st.builds(lambda m, n: f"from {m} import {n}", dotted, idents),
    st.text(_CHARS, min_size=1, max_size=20).map(lambda t: "import " + t),
)
parameters = st.one_of(idents, st.builds(lambda n, t: f"{n}{t}", idents, st.text(_CHARS, max_size=15)))


def _valid(factory):  # type: ignore[no-untyped-def]
    """Build an op from drawn fields, or None when the fields are invalid for the model."""

    def build(**fields):  # type: ignore[no-untyped-def]
        try:
            return factory(**fields)
        except ValidationError:
            return None

    return build


ops_strategy: st.SearchStrategy[Op] = st.one_of(
    st.builds(_valid(Replace), path=paths, old=nonempty_bodies, new=bodies, line=hints),
    st.builds(_valid(Insert), kind=st.sampled_from(["insert_after", "insert_before"]), path=paths, anchor=nonempty_bodies, text=nonempty_bodies, line=hints),
    st.builds(_valid(Delete), path=paths, old=nonempty_bodies, line=hints),
    st.builds(_valid(CreateFile), path=paths, content=bodies),
    st.builds(_valid(RemoveFile), path=paths),
    st.builds(_valid(MoveFile), path=paths, to=paths),
    st.builds(_valid(RenameSymbol), path=paths, symbol=dotted, new_name=idents),
    st.builds(_valid(AddImport), path=paths, statement=statements),
    st.builds(_valid(MakeStatic), path=paths, symbol=methods),
    st.builds(_valid(AddParameter), path=paths, symbol=dotted, parameter=parameters),
    st.builds(_valid(ForwardArgument), path=paths, symbol=dotted, name=idents, callee=dotted),
    st.builds(_valid(Decorate), path=paths, symbol=dotted, decorator=st.one_of(dotted, st.builds(lambda d, t: f"@{d}{t}", dotted, st.text(_CHARS, max_size=12)))),
    st.builds(_valid(MakeDataclass), path=paths, symbol=dotted, options=st.lists(st.sampled_from(["frozen", "order", "slots", "kw_only", "unsafe_hash"]), unique=True, max_size=3).map(tuple)),
    st.builds(_valid(MoveModule), path=paths.map(lambda p: p + ".py"), to=paths.map(lambda p: p + ".py")),
).filter(lambda op: op is not None)

op_lists = st.lists(ops_strategy, max_size=6)


# ---------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(op_lists)
def test_parse_render_round_trip(ops: list[Op]) -> None:
    text = render(ops)
    assert parse(text) == ops
    assert render(parse(text)) == text  # the rendered text is canonical


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(op_lists, st.data())
def test_prefix_parses_to_completed_ops(ops: list[Op], data: st.DataObject) -> None:
    text = render(ops)
    cut = data.draw(st.integers(0, len(text)))
    ends, total = [], 0
    for op in ops:
        total += len(render_op(op))
        ends.append(total)
    prefix = parse_prefix(text[:cut])
    assert prefix.ops == [op for op, end in zip(ops, ends) if end <= cut]
    assert prefix.complete == (cut in (0, *ends))


# ---------------------------------------------------------------- examples


def test_example_stream() -> None:
    text = (
        "@@replace pkg/stats.py:12\n"
        "    return total / (len(xs) - 1)\n"
        "@@with\n"
        "    return total / len(xs)\n"
        "@@end\n"
        "\n"
        "@@rename pkg/stats.py mean average\n"
    )
    assert parse(text) == [
        Replace(path="pkg/stats.py", old="    return total / (len(xs) - 1)\n", new="    return total / len(xs)\n", line=12),
        RenameSymbol(path="pkg/stats.py", symbol="mean", new_name="average"),
    ]


def test_body_lines_that_look_like_markers_are_escaped() -> None:
    op = Replace(path="a.py", old="@@end\n\\x\n", new="@@with\n")
    text = render([op])
    assert text == "@@replace a.py\n\\@@end\n\\\\x\n@@with\n\\@@with\n@@end\n"
    assert parse(text) == [op]


def test_paths_needing_quotes() -> None:
    op = Replace(path="my dir/a:12", old="x\n", line=3)
    assert render_op(op).startswith('@@replace "my dir/a:12":3\n')
    assert parse(render([op])) == [op]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("@@replace a.py\nx\n@@end\n", 3),  # no @@with
        ("@@frobnicate a.py\n", 1),
        ("@@replace a.py\nx\n@@delete b.py\n", 3),  # a marker inside a body
        ('@@replace "a.py":²\nx\n@@with\n@@end\n', 1),  # a unicode digit is no line hint (int() refused it)
        ("@@replace a.py:" + "1" * 5000 + "\nx\n@@with\n@@end\n", 1),  # over int()'s 4300-digit limit
        ("@@replace a.py\nx\n@@with\n", 4),  # unfinished at the end of the text
        ("@@rename a.py mean\n", 1),
        ("@@move a.py\n", 1),
        ('@@remove "a.py\n', 1),
    ],
)
def test_grammar_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(OpParseError) as caught:
        parse(text)
    assert caught.value.line == line
    assert f"line {line}" in str(caught.value)


def test_the_refactoring_ops_text_form() -> None:
    text = (
        "@@forward netfetch/client.py fetch timeout opener\n"
        "@@decorate fuzzy/distance.py edit_distance @functools.lru_cache(maxsize=1024)\n"
        "@@dataclass cartesian/point.py Point frozen order\n"
        "@@dataclass cartesian/point.py Point\n"
        '@@move_module reportgen/helpers.py "report gen/strings.py"\n'
    )
    assert parse(text) == [
        ForwardArgument(path="netfetch/client.py", symbol="fetch", name="timeout", callee="opener"),
        Decorate(path="fuzzy/distance.py", symbol="edit_distance", decorator="functools.lru_cache(maxsize=1024)"),
        MakeDataclass(path="cartesian/point.py", symbol="Point", options=("frozen", "order")),
        MakeDataclass(path="cartesian/point.py", symbol="Point"),
        MoveModule(path="reportgen/helpers.py", to="report gen/strings.py"),
    ]
    assert render(parse(text)) == text
    assert Decorate(path="a.py", symbol="f", decorator=" @cache ").decorator == "cache"


@pytest.mark.parametrize(
    "text",
    [
        "@@forward a.py f timeout\n",  # no callee
        "@@forward a.py f timeout a b\n",
        "@@decorate a.py f functools.cache\n",  # the "@" is part of the form
        "@@decorate a.py f @\n",
        "@@dataclass a.py\n",
        "@@dataclass a.py Point mutable\n",  # not an option
        "@@dataclass a.py Point frozen frozen\n",
        "@@move_module a.py\n",
        "@@move_module a.py b.txt\n",  # a module is a .py file
    ],
)
def test_refactoring_op_grammar_errors(text: str) -> None:
    with pytest.raises(OpParseError) as caught:
        parse(text)
    assert caught.value.line == 1


def test_one_line_fields_are_stripped_so_they_round_trip() -> None:
    op = AddImport(path="a.py", statement="import os  ")
    assert op.statement == "import os"
    assert parse(render([op])) == [op]
    with pytest.raises(ValidationError):
        AddImport(path="a.py", statement="import os\rimport sys")


def test_grammar_is_published() -> None:
    assert 'replace     = "@@replace " PATH' in GRAMMAR
    assert "PATH" in GRAMMAR.splitlines()[0]


# ---------------------------------------------------------------- fuzz

_SEEDS = [
    [
        Replace(path="pkg/stats.py", old="    return total / (len(xs) - 1)\n", new="    return total / len(xs)\n", line=12),
        Insert(kind="insert_before", path="a b.py", anchor="def f():\n", text="@decorator\n"),
        Delete(path="x.py", old="\\weird\n@@end\n", line=3),
    ],
    [
        CreateFile(path="new/mod.py", content='"""Doc."""\n\nX = 1\n'),
        MoveFile(path='"q".py', to="b:1"),
        RemoveFile(path="old.py"),
        RenameSymbol(path="m.py", symbol="A.run", new_name="go"),
        AddImport(path="m.py", statement="from os import path"),
        MakeStatic(path="m.py", symbol="A.helper"),
        AddParameter(path="m.py", symbol="f", parameter="timeout: float = 1.0"),
        ForwardArgument(path="m.py", symbol="f", name="timeout", callee="self.session.get"),
        Decorate(path="m.py", symbol="A.f", decorator="functools.lru_cache(maxsize=1024)"),
        MakeDataclass(path="m.py", symbol="Point", options=("frozen", "order")),
        MoveModule(path="pkg/a.py", to="pkg/b c.py"),
    ],
]
_NOISE_LINES = ["@@replace", "@@with", "@@end", "@@move a", "@@param m.py f", "\\", '"', "", "@@import a.py import", ":7", "@@create \"x"]
_NOISE_CHARS = ['"', ":", "\\", "@", " ", "\n", "1", "²", "\t", "é", "\x00", "{", "."]


def _mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        lines = text.split("\n")
        choice = rng.randrange(7)
        i = rng.randrange(len(lines))
        if choice == 0:
            del lines[i]
        elif choice == 1:
            lines.insert(i, rng.choice(_NOISE_LINES))
        elif choice == 2:
            lines.insert(i, lines[i])
        elif choice == 3 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        text = "\n".join(lines)
        if choice >= 4 and text:
            k = rng.randrange(len(text))
            if choice == 4:
                text = text[:k] + text[k + 1 :]
            elif choice == 5:
                text = text[:k] + rng.choice(_NOISE_CHARS) + text[k:]
            else:
                text = text[:k] + text[k] * rng.randint(2, 30) + text[k + 1 :]
    return text


def test_fuzz_mutated_streams_only_raise_op_parse_error() -> None:
    rng = random.Random(20240501)
    seeds = [render(ops) for ops in _SEEDS]
    start = time.perf_counter()
    outcomes = {"parsed": 0, "error": 0}
    for n in range(12_000):
        text = _mutate(rng.choice(seeds), rng) if n % 10 else "".join(rng.choice(_NOISE_CHARS + ["@@end\n", "x"]) for _ in range(rng.randint(0, 40)))
        try:
            parse(text)
            outcomes["parsed"] += 1
        except OpParseError:
            outcomes["error"] += 1
        _prefix_ok(text)
    assert outcomes["parsed"] > 500 and outcomes["error"] > 500  # the fuzz exercises both paths
    assert time.perf_counter() - start < 15


def _prefix_ok(text: str) -> bool:
    """parse_prefix raises OpParseError on a bad completed part, nothing else."""
    try:
        parse_prefix(text)
    except OpParseError:
        return False
    return True


def test_docs_examples_parse_and_grammar_matches() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "ops.md").read_text()
    streams = [b for b in re.findall(r"^```\n(.*?)^```$", docs, re.S | re.M) if b.startswith("@@")]
    assert len(streams) >= 10
    for stream in streams:
        assert parse(stream), stream
    assert GRAMMAR in docs


def test_a_pinned_head_is_the_op_up_to_its_with_line_and_the_draft_repeats_its_old_lines() -> None:
    from dagent.ops.model import Delete, Insert, Replace
    from dagent.ops.syntax import pinned_head, pinned_head_of, render_op, replace_draft, split_pinned

    replace = Replace(path="a b.py", old="@@x = 1\n", new="x = 2\n", line=3)
    head, rest = split_pinned(render_op(replace))
    assert head == pinned_head_of(replace) == pinned_head("replace", "a b.py", 3, "@@x = 1\n")
    assert head == '@@replace "a b.py":3\n\\@@x = 1\n@@with\n' and rest == "x = 2\n@@end\n"
    assert replace_draft(head) == "\\@@x = 1\n@@end\n"  # the old lines as written, escapes kept
    insert = Insert(kind="insert_before", path="a.py", anchor="y\n", text="z\n", line=1)
    assert pinned_head_of(insert) == "@@insert_before a.py:1\ny\n@@with\n" and replace_draft(pinned_head_of(insert)) is None
    assert pinned_head_of(Delete(path="a.py", old="y\n")) == ""
