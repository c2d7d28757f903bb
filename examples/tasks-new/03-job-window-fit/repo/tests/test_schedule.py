import pytest

from jobplan import Assignment, JobGraph, Scheduler, ScheduleError
from jobplan.schedule import Worker


def chain(*jobs):
    g = JobGraph()
    previous = ()
    for name, duration in jobs:
        g.add(name, duration, previous)
        previous = (name,)
    return g


@pytest.mark.parametrize("not_before, duration, expected", [
    (0, 1, 0), (0, 8, 0), (3, 2, 3), (7, 1, 7), (9, 2, 10), (0, 9, None),
])
def test_first_slot_in_windows(not_before, duration, expected):
    worker = Worker("w", [(0, 8), (10, 14)])
    assert worker.first_slot(not_before, duration) == expected


def test_first_slot_skips_busy():
    worker = Worker("w", [(0, 8)], busy=[(0, 3), (4, 6)])
    assert worker.first_slot(0, 1) == 3
    assert worker.first_slot(0, 2) == 6


def test_job_that_fills_the_window_exactly():
    worker = Worker("w", [(8, 12)])
    assert worker.first_slot(8, 4) == 8


def test_job_that_ends_at_window_close():
    worker = Worker("w", [(0, 8)], busy=[(0, 5)])
    assert worker.first_slot(0, 3) == 5


def test_too_long_for_any_window():
    s = Scheduler(chain(("big", 9)), {"w": [(0, 8), (10, 18)]})
    with pytest.raises(ScheduleError):
        s.plan()


def test_chain_on_one_worker():
    s = Scheduler(chain(("a", 2), ("b", 3), ("c", 1)), {"w": [(0, 24)]})
    assert s.plan() == [Assignment("a", "w", 0, 2), Assignment("b", "w", 2, 5), Assignment("c", "w", 5, 6)]


def test_parallel_jobs_spread_over_workers():
    g = JobGraph()
    for name in "abc":
        g.add(name, 2)
    plan = Scheduler(g, {"w1": [(0, 8)], "w2": [(0, 8)]}).plan()
    assert [(a.job, a.worker, a.start) for a in plan] == [("a", "w1", 0), ("b", "w2", 0), ("c", "w1", 2)]


def test_jobs_wait_for_the_next_window():
    s = Scheduler(chain(("a", 6), ("b", 3)), {"w": [(0, 8), (24, 32)]})
    assert [a.start for a in s.plan()] == [0, 24]


def test_full_day_of_work():
    s = Scheduler(chain(("a", 4), ("b", 4)), {"w": [(0, 8)]})
    assert [(a.start, a.end) for a in s.plan()] == [(0, 4), (4, 8)]


def test_window_edges_used_by_parallel_jobs():
    g = JobGraph()
    g.add("setup", 1)
    g.add("left", 3, ["setup"])
    g.add("right", 3, ["setup"])
    plan = Scheduler(g, {"w1": [(0, 4)], "w2": [(1, 4)]}).plan()
    assert {a.job: (a.worker, a.start) for a in plan} == {"setup": ("w1", 0), "left": ("w1", 1), "right": ("w2", 1)}


def test_critical_jobs_first():
    g = JobGraph()
    g.add("short", 1)
    g.add("long", 5)
    g.add("after_long", 2, ["long"])
    plan = Scheduler(g, {"w": [(0, 10)]}).plan()
    assert [a.job for a in plan] == ["long", "short", "after_long"]


@pytest.mark.parametrize("workers", [{}, {"w": [(5, 5)]}, {"w": [(-1, 4)]}])
def test_bad_workers(workers):
    with pytest.raises(ValueError):
        Scheduler(chain(("a", 1)), workers)


def test_utilisation():
    plan = [Assignment("a", "w1", 0, 4), Assignment("b", "w1", 4, 6), Assignment("c", "w2", 0, 1)]
    assert Scheduler.utilisation(plan, 8) == {"w1": 0.75, "w2": 0.125}
    with pytest.raises(ValueError):
        Scheduler.utilisation(plan, 0)


def test_gantt():
    plan = [Assignment("a", "w1", 0, 2), Assignment("b", "w2", 1, 4)]
    assert Scheduler.gantt(plan) == "      w1 |##..|\n      w2 |.###|"
