"""Unweighted graphs: breadth-first distances, shortest paths, components."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable

Node = Hashable


class Graph:
    def __init__(self, edges: list[tuple[Node, Node]] = ()) -> None:
        self._adj: dict[Node, list[Node]] = defaultdict(list)
        for a, b in edges:
            self.add_edge(a, b)

    def add_edge(self, a: Node, b: Node) -> None:
        self._adj[a].append(b)
        self._adj[b].append(a)

    def neighbors(self, node: Node) -> list[Node]:
        return self._adj.get(node, [])

    def nodes(self) -> list[Node]:
        return list(self._adj)


def shortest_path(graph: Graph, start: Node, goal: Node) -> list[Node] | None:
    parent: dict[Node, Node | None] = {start: None}
    visited = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = parent[node]
            return path[::-1]
        for nxt in graph.neighbors(node):
            if nxt not in visited:
                visited.add(nxt)
                parent[nxt] = node
                queue.append(nxt)
    return None


def components(graph: Graph) -> list[set[Node]]:
    seen: set[Node] = set()
    found = []
    for root in graph.nodes():
        if root in seen:
            continue
        group, queue = {root}, deque([root])
        while queue:
            for nxt in graph.neighbors(queue.popleft()):
                if nxt not in group:
                    group.add(nxt)
                    queue.append(nxt)
        seen |= group
        found.append(group)
    return found
