from fuzzy.distance import edit_distance, similarity


def test_edit_distance():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("flaw", "lawn") == 2


def test_similarity():
    assert similarity("abc", "abc") == 1.0
    assert similarity("", "") == 1.0
    assert similarity("ab", "cd") == 0.0


def test_edit_distance_is_cached():
    assert edit_distance.cache_info().maxsize == 1024
    edit_distance.cache_clear()
    edit_distance("apple", "apply")
    edit_distance("apple", "apply")
    assert edit_distance.cache_info().hits == 1
