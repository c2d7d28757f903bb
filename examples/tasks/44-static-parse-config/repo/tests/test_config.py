import inspect

import pytest

from settingsfile.config import Config

TEXT = "# server\nHost = example.org\nport = 8080  # http\n\nport = 8081\n"


def test_parse_config_on_the_class():
    assert Config.parse_config(TEXT) == {"host": "example.org", "port": "8081"}


def test_parse_config_is_a_staticmethod():
    assert isinstance(inspect.getattr_static(Config, "parse_config"), staticmethod)


def test_from_text_and_getters():
    config = Config.from_text(TEXT)
    assert config.get("HOST") == "example.org"
    assert config.get_int("port") == 8081
    assert config.get_int("workers", 4) == 4


def test_merged():
    merged = Config({"a": "1", "b": "2"}).merged(Config({"b": "3"}))
    assert merged.values == {"a": "1", "b": "3"}


def test_errors():
    with pytest.raises(ValueError, match="line 2"):
        Config.from_text("a = 1\njust text")
