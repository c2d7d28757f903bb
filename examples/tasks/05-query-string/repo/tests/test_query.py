from urlkit.query import encode_query, parse_query, with_query


def test_encode_query():
    assert encode_query({"q": "a b&c", "page": 2, "debug": True, "skip": None}) == "debug=true&page=2&q=a%20b%26c"
    assert encode_query({"tag": ["x", "y"]}) == "tag=x&tag=y"


def test_parse_percent_escapes():
    assert parse_query("?q=caf%C3%A9&n=1&n=2") == {"q": ["café"], "n": ["1", "2"]}


def test_parse_plus_is_space():
    assert parse_query("q=hello+world&empty=") == {"q": ["hello world"], "empty": [""]}


def test_round_trip():
    params = {"name": "Zoë + Ann", "x": "1/2"}
    assert parse_query(encode_query(params)) == {k: [v] for k, v in params.items()}


def test_with_query():
    assert with_query("https://h/p?a=1#top", {"b": 2}) == "https://h/p?a=1&b=2#top"
    assert with_query("https://h/p", {}) == "https://h/p"
