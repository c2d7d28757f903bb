import pytest

from jobs.pqueue import JobQueue


def test_priorities():
    q = JobQueue()
    q.push("low", 5)
    q.push("urgent", 0)
    q.push("normal", 2)
    assert q.drain() == ["urgent", "normal", "low"]


def test_fifo_among_equal_priorities():
    q = JobQueue()
    for job in ["write", "read", "compact", "backup"]:
        q.push(job, 1)
    assert q.drain() == ["write", "read", "compact", "backup"]


def test_unorderable_jobs():
    q = JobQueue()
    q.push({"id": 1})
    q.push({"id": 2})
    assert q.pop() == {"id": 1}


def test_empty():
    q = JobQueue()
    with pytest.raises(IndexError):
        q.pop()
    q.push("x")
    assert q.peek() == "x" and len(q) == 1
