import pytest

from textkit.ini import IniError, parse_ini

SAMPLE = """
# global options
debug = yes

[Server]
host = example.org
port = 8080
; a comment
tags = web, api , ,internal

[empty]
"""


def test_sections_and_defaults():
    sections = parse_ini(SAMPLE)
    assert set(sections) == {"", "server", "empty"}
    assert sections[""].get_bool("debug") is True
    assert sections["empty"].values == {}


def test_typed_getters():
    server = parse_ini(SAMPLE)["server"]
    assert server.get("HOST") == "example.org"
    assert server.get_int("port") == 8080
    assert server.get_int("workers", default=4) == 4
    assert server.get_list("tags") == ["web", "api", "internal"]


def test_values_may_contain_equals_signs():
    section = parse_ini("[db]\nurl = postgres://u@h/db?sslmode=require\n")["db"]
    assert section.get("url") == "postgres://u@h/db?sslmode=require"


def test_repeated_section_merges():
    sections = parse_ini("[a]\nx = 1\n[b]\ny = 2\n[a]\nz = 3\n")
    assert sections["a"].values == {"x": "1", "z": "3"}


@pytest.mark.parametrize(
    "text, line",
    [("[broken\nx = 1", 1), ("a = 1\njust words", 2), ("\n\n = value", 3), ("[]", 1)],
)
def test_syntax_errors_carry_line_numbers(text, line):
    with pytest.raises(IniError) as info:
        parse_ini(text)
    assert info.value.line == line


def test_conversion_errors():
    section = parse_ini("[s]\nport = eighty\nflag = maybe\n")["s"]
    with pytest.raises(IniError, match="not an integer"):
        section.get_int("port")
    with pytest.raises(IniError, match="not a boolean"):
        section.get_bool("flag")
