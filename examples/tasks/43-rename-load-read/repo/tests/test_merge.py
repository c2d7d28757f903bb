from configio.merge import deep_merge, load_all


def test_deep_merge():
    base = {"db": {"host": "a", "port": 1}, "debug": False}
    assert deep_merge(base, {"db": {"port": 2}, "debug": True}) == {"db": {"host": "a", "port": 2}, "debug": True}
    assert base["db"]["port"] == 1


def test_load_all_layers_files(tmp_path):
    (tmp_path / "base.json").write_text('{"db": {"host": "prod", "port": 5432}}')
    (tmp_path / "local.ini").write_text("db.host = localhost\n")
    paths = [tmp_path / "base.json", tmp_path / "missing.json", tmp_path / "local.ini"]
    assert load_all(paths) == {"db": {"host": "localhost", "port": 5432}}
