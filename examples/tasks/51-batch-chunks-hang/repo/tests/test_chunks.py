import pytest

from batching.chunks import Upload, chunk, chunk_sizes, plan_uploads


def test_an_exact_multiple():
    assert chunk_sizes(9, 3) == [3, 3, 3]


def test_nothing_to_split():
    assert chunk_sizes(0, 4) == []


def test_a_partial_last_chunk():
    assert chunk_sizes(10, 3) == [3, 3, 3, 1]


def test_chunk_lists():
    assert chunk(list("abcdef"), 2) == [["a", "b"], ["c", "d"], ["e", "f"]]


def test_rejects_a_zero_size():
    with pytest.raises(ValueError):
        chunk_sizes(5, 0)


def test_plan_uploads_exact():
    assert plan_uploads(8, 4) == [Upload(1, 0, 4), Upload(2, 4, 4)]


def test_plan_uploads_with_a_remainder():
    assert plan_uploads(10, 4) == [Upload(1, 0, 4), Upload(2, 4, 4), Upload(3, 8, 2)]
