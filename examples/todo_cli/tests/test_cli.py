import json

import pytest

from todo.cli import main


@pytest.fixture
def run(tmp_path, capsys):
    path = tmp_path / "todo.json"

    def _run(*args: str) -> tuple[int, str, str]:
        status = main(["--file", str(path), "--today", "2024-05-15", *args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    _run.path = path
    return _run


def test_add_and_list(run):
    assert run("add", "water", "the", "plants", "--due", "fri", "--tag", "home")[1] == "added #1: water the plants\n"
    run("add", "file taxes", "--due", "2024-05-14")
    status, out, _ = run("list")
    assert status == 0
    assert out.splitlines() == [
        "[ ]   2 file taxes (due yesterday)",
        "[ ]   1 water the plants (due in 2 days) #home",
    ]


def test_done_and_filters(run):
    run("add", "a")
    run("add", "b", "--tag", "x")
    assert run("done", "1")[1] == "done: #1\n"
    assert run("list")[1] == "[ ]   2 b #x\n"
    assert run("list", "--done")[1] == "[x]   1 a\n"
    assert run("list", "--all", "--tag", "x")[1] == "[ ]   2 b #x\n"


def test_rm_persists(run):
    run("add", "a")
    run("add", "b")
    run("rm", "1")
    items = json.loads(run.path.read_text())["items"]
    assert [item["title"] for item in items] == ["b"]


def test_overdue(run):
    run("add", "late", "--due", "2024-05-01")
    run("add", "soon", "--due", "+1d")
    assert run("list", "--overdue")[1] == "[ ]   1 late (due 14 days ago)\n"


def test_errors_exit_1_with_a_message(run):
    assert run("add", "x", "--due", "whenever")[0:1] == (1,)
    status, _, err = run("done", "7")
    assert status == 1
    assert err == "todo: no todo with id 7\n"
    assert not run.path.exists()


def test_usage_errors_exit_2(run):
    with pytest.raises(SystemExit) as info:
        run("frobnicate")
    assert info.value.code == 2
