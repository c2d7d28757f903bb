import pytest

from minilex import LexError, tokenize
from minilex.lexer import kinds, untokenize


def texts(source):
    return [t.text for t in tokenize(source) if t.kind not in ("NEWLINE", "EOF", "INDENT", "DEDENT")]


def values(source, kind):
    return [t.value for t in tokenize(source) if t.kind == kind]


def test_simple_statement():
    assert kinds("let x = 1") == ["KEYWORD", "NAME", "OP", "NUMBER", "NEWLINE", "EOF"]


def test_empty_source():
    assert kinds("") == ["EOF"]
    assert kinds("\n\n   \n# only a comment\n") == ["EOF"]


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("42", 42), ("1_000_000", 1000000), ("0x1F", 31), ("0b1010", 10), ("0o17", 15),
    ("3.25", 3.25), ("1e3", 1000.0), ("2.5E-2", 0.025), (".5", 0.5), ("6_0.0_5", 60.05),
])
def test_numbers(text, value):
    assert values(text, "NUMBER") == [value]


@pytest.mark.parametrize("text", ["12abc", "0xZZ", "0b102"])
def test_bad_numbers(text):
    with pytest.raises(LexError):
        tokenize(text)


def test_range_operator_after_integer():
    assert texts("1..10") == ["1", "..", "10"]


@pytest.mark.parametrize("text, value", [
    ('"plain"', "plain"), ("'single'", "single"), (r'"a\tb"', "a\tb"), (r'"q\"q"', 'q"q'),
    (r"'\u00e9t\u00e9'", "été"), (r'"back\\slash"', "back\\slash"), ('"# not a comment"', "# not a comment"),
])
def test_strings(text, value):
    assert values(text, "STRING") == [value]


@pytest.mark.parametrize("text", ['"open', "'line\nbreak'", r'"\q"', r'"\u12"'])
def test_bad_strings(text):
    with pytest.raises(LexError):
        tokenize(text)


def test_keywords_and_literals():
    toks = [t for t in tokenize("if true and not nil") if t.kind == "KEYWORD"]
    assert [t.value for t in toks] == ["if", True, "and", "not", None]


def test_longest_operator_wins():
    assert texts("a **= b ** c * d ... e .. f -> g |> h") == [
        "a", "**=", "b", "**", "c", "*", "d", "...", "e", "..", "f", "->", "g", "|>", "h",
    ]


def test_comparison_operators():
    assert texts("a<=b>=c!=d==e<f>g") == ["a", "<=", "b", ">=", "c", "!=", "d", "==", "e", "<", "f", ">", "g"]


def test_unexpected_character():
    with pytest.raises(LexError) as info:
        tokenize("let a = 1\nlet b = $2")
    assert (info.value.line, info.value.column) == (2, 9)


def test_positions():
    toks = tokenize("let  x =\t10\n  \nfoo(bar)")
    assert [(t.text, t.line, t.column) for t in toks if t.kind in ("NAME", "NUMBER")] == [
        ("x", 1, 6), ("10", 1, 10), ("foo", 3, 1), ("bar", 3, 5),
    ]


def test_comment_ends_line():
    assert kinds("x = 1  # set x\ny = 2") == ["NAME", "OP", "NUMBER", "NEWLINE"] * 2 + ["EOF"]


def test_indent_and_dedent():
    source = "if a:\n    b = 1\n    if c:\n        d\ne\n"
    assert kinds(source) == [
        "KEYWORD", "NAME", "OP", "NEWLINE",
        "INDENT", "NAME", "OP", "NUMBER", "NEWLINE",
        "KEYWORD", "NAME", "OP", "NEWLINE",
        "INDENT", "NAME", "NEWLINE",
        "DEDENT", "DEDENT", "NAME", "NEWLINE", "EOF",
    ]


def test_dedents_at_end_of_file():
    assert kinds("def f:\n    return 1")[-3:] == ["NEWLINE", "DEDENT", "EOF"]


def test_tabs_indent_to_eight():
    toks = tokenize("if a:\n\tb\nif c:\n        d\n")
    assert [t.kind for t in toks].count("INDENT") == 2
    assert [t.kind for t in toks].count("DEDENT") == 2


def test_bad_dedent():
    with pytest.raises(LexError, match="dedent"):
        tokenize("if a:\n    b\n  c\n")


def test_blank_and_comment_lines_do_not_indent():
    assert kinds("a\n\n        # comment\n\nb\n") == ["NAME", "NEWLINE", "NAME", "NEWLINE", "EOF"]


def test_crlf_newlines():
    toks = tokenize("a = 1\r\nb = 2\r\n")
    assert [t.kind for t in toks].count("NEWLINE") == 2
    assert [t.line for t in toks if t.kind == "NAME"] == [1, 2]


def test_brackets_join_lines():
    source = "total = sum(\n    a,\n  b,\n)\nnext"
    assert kinds(source) == ["NAME", "OP", "NAME", "OP", "NAME", "OP", "NAME", "OP", "OP",
                             "NEWLINE", "NAME", "NEWLINE", "EOF"]
    assert [t.line for t in tokenize(source) if t.kind == "NAME"] == [1, 1, 2, 3, 5]


@pytest.mark.parametrize("source, message", [("f(a, b", "never closed"), ("a]", "unmatched"), ("(a]", "unmatched")])
def test_bracket_errors(source, message):
    with pytest.raises(LexError, match=message):
        tokenize(source)


def test_backslash_continuation():
    source = "let total = a + \\\n    b\nprint(total)"
    assert kinds(source) == ["KEYWORD", "NAME", "OP", "NAME", "OP", "NAME", "NEWLINE",
                             "NAME", "OP", "NAME", "OP", "NEWLINE", "EOF"]


def test_backslash_continuation_positions():
    toks = tokenize("x = 1 + \\\n  2\ny")
    assert [(t.text, t.line, t.column) for t in toks if t.kind in ("NAME", "NUMBER")] == [
        ("x", 1, 1), ("1", 1, 5), ("2", 2, 3), ("y", 3, 1),
    ]


def test_backslash_continuation_crlf():
    assert texts("a = \\\r\n  b\r\n") == ["a", "=", "b"]


def test_backslash_not_at_line_end():
    with pytest.raises(LexError):
        tokenize("a = \\ b")


def test_untokenize_round_trip():
    source = "def f(x, y):\n    if x >= y:\n        return x\n    return [y, x.z]\nf(1, 2)\n"
    assert untokenize(tokenize(source)) == source


def test_untokenize_kinds_stable():
    source = "let a=(1+2)*\\\n3\nif a:\n  b\n"
    again = untokenize(tokenize(source))
    assert kinds(again) == kinds(source)
