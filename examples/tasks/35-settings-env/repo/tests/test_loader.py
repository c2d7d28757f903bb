import pytest

from appsettings.loader import SettingsError, load


def test_defaults():
    settings = load({})
    assert settings["timeout"] == 30.0
    assert settings["port"] == 8000


def test_environment_overrides():
    settings = load({"APP_PORT": "9000", "APP_DEBUG": "yes", "PATH": "/bin"})
    assert (settings["port"], settings["debug"]) == (9000, True)


def test_bad_values():
    with pytest.raises(SettingsError, match="not a boolean"):
        load({"APP_DEBUG": "maybe"})
    with pytest.raises(SettingsError, match="not a int"):
        load({"APP_WORKERS": "many"})


def test_unknown_setting():
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load({"APP_COLOUR": "red"})
