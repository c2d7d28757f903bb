from inifile import dump, parse


def test_round_trip():
    text = "[a]\nx = 1\ny = two words\n\n[b]\nz = 3\n"
    assert dump(parse(text)) == text


def test_default_first():
    cfg = parse("[b]\nz = 3\n")
    cfg.set("DEFAULT", "x", "1")
    assert dump(cfg).startswith("[DEFAULT]\nx = 1\n\n[b]")


def test_multiline_values_are_indented():
    cfg = parse("[a]\nlist = one\n  two\n  three\n")
    out = dump(cfg)
    assert out == "[a]\nlist = one\n    two\n    three\n"
    assert parse(out).getlist("a", "list") == ["one", "two", "three"]


def test_aligned():
    cfg = parse("[a]\nx = 1\nlonger = 2\n")
    assert dump(cfg, align=True) == "[a]\nx      = 1\nlonger = 2\n"


def test_quotes_values_with_edge_spaces():
    cfg = parse("[a]\n")
    cfg.set("a", "pad", "  padded ")
    out = dump(cfg)
    assert out == '[a]\npad = "  padded "\n'
    assert parse(out).get("a", "pad") == "  padded "
