import pytest

from netgraph import CycleError, Graph

BUILD = [("fetch", "compile"), ("compile", "test"), ("compile", "package"), ("test", "release"),
         ("package", "release"), ("lint", "release")]


@pytest.fixture
def build():
    return Graph(BUILD)


@pytest.fixture
def roads():
    return Graph([("a", "b", 4), ("a", "c", 1), ("c", "b", 2), ("b", "d", 1), ("c", "d", 5), ("d", "e", 3)])


def test_nodes_in_insertion_order(build):
    assert build.nodes() == ["fetch", "compile", "test", "package", "release", "lint"]


def test_len_contains(build):
    assert len(build) == 6
    assert "lint" in build and "deploy" not in build


def test_negative_weight_rejected():
    with pytest.raises(ValueError):
        Graph().add_edge("a", "b", -1)


def test_edges_and_weight(roads):
    assert ("a", "c", 1) in roads.edges()
    assert roads.weight("c", "b") == 2


def test_remove_edge(roads):
    roads.remove_edge("a", "c")
    assert roads.successors("a") == ["b"]


def test_successors(build):
    assert build.successors("compile") == ["test", "package"]


def test_reachable(build):
    assert build.reachable("compile") == {"compile", "test", "package", "release"}


def test_descendants(build):
    assert build.descendants("test") == {"release"}
    assert build.descendants("release") == set()


def test_ancestors(build):
    assert build.ancestors("release") == {"fetch", "compile", "test", "package", "lint"}


def test_ancestors_of_root(build):
    assert build.ancestors("fetch") == set()


def test_ancestors_middle(build):
    assert build.ancestors("test") == {"fetch", "compile"}


def test_reversed_keeps_nodes_and_weights(roads):
    rev = roads.reversed()
    assert sorted(rev.nodes()) == sorted(roads.nodes())
    assert rev.weight("b", "a") == 4


def test_reversed_edge_count(roads):
    assert len(roads.reversed().edges()) == len(roads.edges())


def test_shortest_path(roads):
    assert roads.shortest_path("a", "e") == (7, ["a", "c", "b", "d", "e"])


def test_shortest_path_self(roads):
    assert roads.shortest_path("a", "a") == (0, ["a"])


def test_shortest_path_unreachable(roads):
    assert roads.shortest_path("e", "a") is None


def test_shortest_path_direct_vs_detour():
    g = Graph([("s", "t", 10), ("s", "m", 3), ("m", "t", 3)])
    assert g.shortest_path("s", "t") == (6, ["s", "m", "t"])


def test_topological_order(build):
    order = build.topological_order()
    assert order == ["fetch", "lint", "compile", "test", "package", "release"]


@pytest.mark.parametrize("src, dst", BUILD)
def test_topological_order_respects_edges(build, src, dst):
    order = build.topological_order()
    assert order.index(src) < order.index(dst)


def test_cycle_detected():
    g = Graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    with pytest.raises(CycleError) as info:
        g.topological_order()
    assert info.value.cycle == ["a", "b", "c", "a"]


def test_self_loop_cycle():
    g = Graph([("x", "x")])
    with pytest.raises(CycleError):
        g.topological_order()


def test_isolated_node_in_order():
    g = Graph([("a", "b")])
    g.add_node("z")
    assert g.topological_order() == ["a", "z", "b"]


def test_scc():
    g = Graph([("a", "b"), ("b", "a"), ("b", "c"), ("c", "d"), ("d", "c"), ("d", "e")])
    comps = g.strongly_connected()
    assert comps == [{"a", "b"}, {"c", "d"}, {"e"}]


def test_scc_dag_all_singletons(build):
    assert all(len(c) == 1 for c in build.strongly_connected())
    assert len(build.strongly_connected()) == 6


def test_edges_after_add_node_only():
    g = Graph()
    g.add_node("solo")
    assert g.edges() == [] and g.reachable("solo") == {"solo"}
