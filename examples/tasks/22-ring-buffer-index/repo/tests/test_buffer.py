import pytest

from ringbuf.buffer import RingBuffer


def filled(capacity, items):
    buf = RingBuffer(capacity)
    for item in items:
        buf.append(item)
    return buf


def test_overwrites_oldest():
    assert list(filled(3, "abcde")) == ["c", "d", "e"]


def test_indexing():
    buf = filled(3, "abcd")
    assert (buf[0], buf[-1], buf[-3]) == ("b", "d", "b")


def test_index_past_the_end_raises():
    buf = filled(4, "xyz")
    with pytest.raises(IndexError, match="index 3 out of range for 3 items"):
        buf[3]


def test_pop_oldest():
    buf = filled(2, "pqr")
    assert buf.pop_oldest() == "q"
    assert list(buf) == ["r"]
    buf.pop_oldest()
    with pytest.raises(IndexError):
        buf.pop_oldest()
