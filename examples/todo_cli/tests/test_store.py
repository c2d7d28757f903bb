import json
from datetime import date

import pytest

from todo.store import StoreError, TodoList, load, save


def test_missing_file_is_an_empty_list(tmp_path):
    assert load(tmp_path / "none.json").items == []


def test_round_trip(tmp_path):
    path = tmp_path / "sub" / "todo.json"
    todos = TodoList()
    todos.add("buy milk", due=date(2024, 5, 1), tags=["home", "shop", "home"])
    todos.add("write report")
    save(todos, path)
    loaded = load(path)
    assert loaded == todos
    assert loaded.items[0].tags == ["home", "shop"]
    assert json.loads(path.read_text())["version"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["todo.json"]


def test_ids_continue_after_removal():
    todos = TodoList()
    for title in "abc":
        todos.add(title)
    todos.remove(2)
    assert todos.add("d").id == 4
    todos.remove(4)
    todos.remove(3)
    assert todos.add("e").id == 2


def test_unknown_id():
    with pytest.raises(KeyError, match="no todo with id 9"):
        TodoList().get(9)


@pytest.mark.parametrize("content", ["not json", '{"items": [{"title": "no id"}]}', "[]"])
def test_corrupt_files(tmp_path, content):
    path = tmp_path / "todo.json"
    path.write_text(content)
    with pytest.raises(StoreError, match="not a todo file"):
        load(path)
