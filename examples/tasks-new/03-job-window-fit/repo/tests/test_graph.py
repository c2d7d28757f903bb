import pytest

from jobplan import CycleError, JobGraph


def build():
    g = JobGraph()
    g.add("fetch", 2)
    g.add("deps", 3, ["fetch"])
    g.add("lint", 1, ["fetch"])
    g.add("build", 4, ["deps"])
    g.add("test", 5, ["build"])
    g.add("docs", 2, ["deps"])
    g.add("package", 1, ["test", "docs", "lint"])
    return g


def test_order():
    assert build().order() == ["fetch", "deps", "build", "docs", "lint", "test", "package"]


def test_levels():
    assert build().levels() == [["fetch"], ["deps", "lint"], ["build", "docs"], ["test"], ["package"]]


def test_earliest_starts():
    assert build().earliest_starts() == {
        "fetch": 0, "deps": 2, "lint": 2, "build": 5, "docs": 5, "test": 9, "package": 14,
    }


def test_makespan():
    assert build().makespan() == 15


def test_critical_path():
    assert build().critical_path() == ["fetch", "deps", "build", "test", "package"]


def test_slack():
    slack = build().slack()
    assert slack["lint"] == 11
    assert slack["docs"] == 7
    assert all(slack[n] == 0 for n in ["fetch", "deps", "build", "test", "package"])


def test_empty_graph():
    g = JobGraph()
    assert g.order() == [] and g.makespan() == 0 and g.critical_path() == []


def test_duplicate_job():
    g = JobGraph()
    g.add("a", 1)
    with pytest.raises(ValueError):
        g.add("a", 2)


@pytest.mark.parametrize("duration", [0, -1])
def test_bad_duration(duration):
    with pytest.raises(ValueError):
        JobGraph().add("a", duration)


def test_missing_dependency():
    g = JobGraph()
    g.add("a", 1, ["ghost"])
    assert g.missing() == {"a": {"ghost"}}
    with pytest.raises(KeyError):
        g.order()


def test_cycle():
    g = JobGraph()
    g.add("a", 1, ["c"])
    g.add("b", 1, ["a"])
    g.add("c", 1, ["b"])
    g.add("d", 1)
    with pytest.raises(CycleError) as info:
        g.order()
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


def test_no_cycle():
    assert build().find_cycle() is None


def test_dependents():
    assert build().dependents()["deps"] == {"build", "docs"}
