import pytest


def test_read_json(tmp_path):
    from configio.files import read

    path = tmp_path / "app.json"
    path.write_text('{"debug": true, "db": {"port": 5432}}')
    assert read(path) == {"debug": True, "db": {"port": 5432}}


def test_read_ini_with_dotted_keys(tmp_path):
    from configio.files import read

    path = tmp_path / "app.ini"
    path.write_text("# db\ndb.host = localhost\ndb.port = 5432\nname = demo\n")
    assert read(path) == {"db": {"host": "localhost", "port": "5432"}, "name": "demo"}


def test_old_name_is_gone():
    import configio.files

    assert not hasattr(configio.files, "load")


def test_package_exports_read():
    import configio

    assert "read" in configio.__all__ and configio.read is configio.files.read


def test_unsupported_suffix(tmp_path):
    from configio.files import ConfigFileError

    import configio.files

    path = tmp_path / "app.yaml"
    path.write_text("a: 1")
    reader = getattr(configio.files, "read", None) or getattr(configio.files, "load")
    with pytest.raises(ConfigFileError, match="unsupported suffix"):
        reader(path)
