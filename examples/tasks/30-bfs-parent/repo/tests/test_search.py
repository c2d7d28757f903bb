from graphs.search import Graph, components, shortest_path

ROADS = Graph([("A", "B"), ("B", "C"), ("C", "D"), ("A", "E"), ("E", "D"), ("X", "Y")])


def test_shortest_path():
    assert shortest_path(ROADS, "A", "D") == ["A", "E", "D"]


def test_path_to_self():
    assert shortest_path(ROADS, "C", "C") == ["C"]


def test_unreachable():
    assert shortest_path(ROADS, "A", "Y") is None


def test_components():
    assert sorted(map(sorted, components(ROADS))) == [["A", "B", "C", "D", "E"], ["X", "Y"]]
