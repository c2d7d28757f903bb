import pytest

from histo.bins import bin_index, edges, histogram, render


def test_interior_values():
    assert histogram([0, 1, 4.9, 5, 7.5], 0, 10, 2) == [3, 2]


def test_upper_bound_goes_to_last_bin():
    assert bin_index(10, 0, 10, 5) == 4
    assert histogram([0, 10, 10], 0, 10, 4) == [1, 0, 0, 2]


def test_out_of_range():
    with pytest.raises(ValueError, match="outside"):
        histogram([11], 0, 10, 2)


def test_edges_and_render():
    assert edges(0, 1, 4) == [0, 0.25, 0.5, 0.75, 1.0]
    assert render([1, 2, 0], width=4) == "##\n####\n"
