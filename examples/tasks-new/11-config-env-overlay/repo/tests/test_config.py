import pytest

from layered import Config, ConfigError, coerce, deep_merge, from_env

DEFAULTS = {
    "debug": False,
    "workers": 4,
    "ratio": 0.5,
    "name": "svc",
    "tags": ["a"],
    "db": {"host": "localhost", "port": 5432, "opts": {"ssl": False}},
    "empty": {},
}


def test_deep_merge_nested():
    out = deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}})
    assert out == {"a": {"b": 1, "c": 3}}


def test_deep_merge_replaces_scalars_and_lists():
    assert deep_merge({"a": [1, 2], "b": 1}, {"a": [3], "b": {"x": 1}}) == {"a": [3], "b": {"x": 1}}


def test_deep_merge_does_not_alias():
    base = {"a": {"b": [1]}}
    out = deep_merge(base, {})
    out["a"]["b"].append(2)
    assert base == {"a": {"b": [1]}}


def test_deep_merge_adds_keys():
    assert deep_merge({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}


@pytest.mark.parametrize("text, expected", [("yes", True), ("ON", True), ("0", False), (" false ", False)])
def test_coerce_bool(text, expected):
    assert coerce(text, False) is expected


def test_coerce_bool_bad():
    with pytest.raises(ConfigError):
        coerce("maybe", True)


@pytest.mark.parametrize("text, expected", [("8", 8), ("1_000", 1000), (" -3 ", -3)])
def test_coerce_int(text, expected):
    assert coerce(text, 1) == expected


def test_coerce_int_bad():
    with pytest.raises(ConfigError):
        coerce("4.5", 1)


def test_coerce_float_and_list_and_str():
    assert coerce("0.25", 1.0) == 0.25
    assert coerce("x, y,,z", []) == ["x", "y", "z"]
    assert coerce("hello", "s") == "hello"


def test_coerce_float_bad():
    with pytest.raises(ConfigError):
        coerce("abc", 1.0)


def test_from_env_nested():
    env = {"APP_DB__PORT": "6543", "APP_DEBUG": "1"}
    assert from_env(env, DEFAULTS) == {"db": {"port": 6543}, "debug": True}


def test_from_env_case_insensitive():
    assert from_env({"APP_Db__Host": "db1"}, DEFAULTS) == {"db": {"host": "db1"}}


def test_from_env_ignores_unknown_and_foreign():
    env = {"APP_NOPE": "1", "HOME": "/root", "APP_": "x", "APP_DB__NOPE": "1", "OTHER_DEBUG": "1"}
    assert from_env(env, DEFAULTS) == {}


def test_from_env_ignores_sections():
    assert from_env({"APP_DB": "x", "APP_DB__OPTS": "y"}, DEFAULTS) == {}


def test_from_env_deep():
    assert from_env({"APP_DB__OPTS__SSL": "true"}, DEFAULTS) == {"db": {"opts": {"ssl": True}}}


def test_from_env_prefix():
    assert from_env({"SVC_WORKERS": "2"}, DEFAULTS, prefix="SVC_") == {"workers": 2}


def test_config_layers_and_env():
    cfg = Config(DEFAULTS, {"db": {"host": "prod"}}, {"workers": 16}, env={"APP_WORKERS": "32"})
    assert cfg.get("db.host") == "prod"
    assert cfg.get("db.port") == 5432
    assert cfg.get("workers") == 32


def test_config_env_sees_file_keys():
    cfg = Config({}, {"cache": {"ttl": 60}}, env={"APP_CACHE__TTL": "5"})
    assert cfg.get("cache.ttl") == 5


def test_get_default_and_missing():
    cfg = Config(DEFAULTS)
    assert cfg.get("db.user", "postgres") == "postgres"
    with pytest.raises(ConfigError):
        cfg.get("db.user")


def test_get_through_scalar():
    with pytest.raises(ConfigError):
        Config(DEFAULTS).get("name.first")


def test_require():
    cfg = Config(DEFAULTS, {"name": ""})
    cfg.require("db.host")
    with pytest.raises(ConfigError, match="name, secret"):
        cfg.require("db.host", "name", "secret")


def test_section():
    db = Config(DEFAULTS).section("db")
    assert db.get("opts.ssl") is False
    with pytest.raises(ConfigError):
        Config(DEFAULTS).section("workers")


def test_as_dict_is_copy():
    cfg = Config(DEFAULTS)
    d = cfg.as_dict()
    d["db"]["host"] = "x"
    assert cfg.get("db.host") == "localhost"


def test_flat():
    flat = Config(DEFAULTS).flat()
    assert flat["db.opts.ssl"] is False
    assert flat["empty"] == {}
    assert flat["tags"] == ["a"]
    assert "db" not in flat


def test_deep_merge_scalar_replaces_section():
    assert deep_merge({"a": {"b": 1}}, {"a": None}) == {"a": None}


def test_config_layer_disables_section():
    cfg = Config(DEFAULTS, {"db": "sqlite:///:memory:"})
    assert cfg.get("db") == "sqlite:///:memory:"
