import textwrap

import pytest

from inifile import Config, DuplicateError, ParseError, parse, parse_file
from inifile.parser import InterpolationError

SAMPLE = textwrap.dedent("""\
    ; global settings
    timeout = 30
    debug = no

    [server]
    Host = example.org
    port: 8080          ; the admin port
    ports = 80,
        443
    url = https://${host}:${port}/

    [client]
    retries = 0x10
    debug = yes
    ratio = 0.75
    banner = "  hello ; world  "
    server_url = ${server:url}api
    """)


@pytest.fixture
def cfg():
    return parse(SAMPLE)


def test_sections_in_order(cfg):
    assert list(cfg) == ["server", "client"]


def test_keys_lower_case(cfg):
    assert cfg.get("server", "HOST") == "example.org"
    assert "host" in cfg.sections["server"]


def test_colon_assignment_and_inline_comment(cfg):
    assert cfg.get("server", "port") == "8080"


def test_default_fallback(cfg):
    assert cfg.getint("server", "timeout") == 30
    assert cfg.getbool("server", "debug") is False
    assert cfg.getbool("client", "debug") is True


def test_keys_with_defaults(cfg):
    assert cfg.keys("client") == ["retries", "debug", "ratio", "banner", "server_url", "timeout"]


def test_continuation(cfg):
    assert cfg.raw("server", "ports") == "80,\n443"
    assert cfg.getlist("server", "ports") == ["80", "443"]


def test_interpolation(cfg):
    assert cfg.get("server", "url") == "https://example.org:8080/"


def test_cross_section_interpolation(cfg):
    assert cfg.get("client", "server_url") == "https://example.org:8080/api"


def test_int_base_prefix(cfg):
    assert cfg.getint("client", "retries") == 16


def test_float(cfg):
    assert cfg.getfloat("client", "ratio") == 0.75


def test_quoted_value_keeps_spaces_and_semicolon(cfg):
    assert cfg.get("client", "banner") == "  hello ; world  "


def test_missing_key_with_default(cfg):
    assert cfg.get("client", "nope", "fallback") == "fallback"
    assert cfg.getint("client", "nope", 5) == 5
    with pytest.raises(KeyError):
        cfg.get("client", "nope")


def test_undefined_reference():
    cfg = parse("[a]\nx = ${missing}\n")
    with pytest.raises(InterpolationError):
        cfg.get("a", "x", "default does not hide it")


def test_recursive_reference():
    cfg = parse("[a]\nx = ${y}\ny = ${x}\n")
    with pytest.raises(InterpolationError, match="deeper"):
        cfg.get("a", "x")


@pytest.mark.parametrize("text, expected", [
    ("1", True), ("yes", True), ("On", True), ("TRUE", True),
    ("0", False), ("no", False), ("off", False), ("False", False),
])
def test_booleans(text, expected):
    assert parse(f"[s]\nflag = {text}\n").getbool("s", "flag") is expected


def test_bad_boolean():
    with pytest.raises(ValueError):
        parse("[s]\nflag = maybe\n").getbool("s", "flag")


@pytest.mark.parametrize("line", ["just text", "= value", "[unclosed"])
def test_parse_errors(line):
    with pytest.raises(ParseError) as info:
        parse(f"[s]\na = 1\n{line}\n")
    assert info.value.line == 3


def test_duplicate_key_is_an_error():
    with pytest.raises(DuplicateError) as info:
        parse("[s]\nname = a\nother = b\nName = c\n")
    assert info.value.line == 4


def test_duplicate_default_key_is_an_error():
    with pytest.raises(DuplicateError):
        parse("level = 1\nlevel = 2\n[s]\n")


def test_same_key_in_two_sections_is_fine():
    cfg = parse("[a]\nname = 1\n[b]\nname = 2\n")
    assert (cfg.get("a", "name"), cfg.get("b", "name")) == ("1", "2")


def test_duplicate_section_is_an_error():
    with pytest.raises(DuplicateError):
        parse("[a]\nx = 1\n[b]\n[a]\ny = 2\n")


def test_lenient_mode_later_value_wins():
    cfg = parse("[a]\nx = 1\n[a]\nx = 2\ny = 3\n", strict=False)
    assert cfg.section("a") == {"x": "2", "y": "3"}
    assert list(cfg) == ["a"]


def test_section_header_comment():
    cfg = parse("[a] ; first\nx = 1\n")
    assert cfg.get("a", "x") == "1"


def test_hash_inside_value_without_space():
    assert parse("[a]\ncolor = #ff0000\nurl = http://x/#frag\n").get("a", "url") == "http://x/#frag"


def test_parse_file_with_bom(tmp_path):
    path = tmp_path / "app.ini"
    path.write_text("\ufeff[app]\nname = demo\n", encoding="utf-8")
    assert parse_file(path).get("app", "name") == "demo"


def test_set_creates_section():
    cfg = Config()
    cfg.set("new", "Key", "v")
    assert list(cfg) == ["new"] and cfg.get("new", "key") == "v"
