"""A small directed weighted graph: reachability, shortest paths, topological order, components."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Hashable, Iterable

Node = Hashable


class CycleError(ValueError):
    def __init__(self, cycle: list[Node]):
        super().__init__("cycle: " + " -> ".join(map(str, cycle)))
        self.cycle = cycle


class Graph:
    def __init__(self, edges: Iterable[tuple] = ()):
        self._out: dict[Node, dict[Node, float]] = {}
        for edge in edges:
            self.add_edge(*edge)

    def add_node(self, node: Node) -> None:
        self._out.setdefault(node, {})

    def add_edge(self, src: Node, dst: Node, weight: float = 1.0) -> None:
        if weight < 0:
            raise ValueError("negative weights are not supported")
        self.add_node(src)
        self.add_node(dst)
        self._out[src][dst] = weight

    def remove_edge(self, src: Node, dst: Node) -> None:
        del self._out[src][dst]

    def nodes(self) -> list[Node]:
        return list(self._out)

    def edges(self) -> list[tuple[Node, Node, float]]:
        return [(s, d, w) for s, outs in self._out.items() for d, w in outs.items()]

    def successors(self, node: Node) -> list[Node]:
        return list(self._out[node])

    def weight(self, src: Node, dst: Node) -> float:
        return self._out[src][dst]

    def __contains__(self, node: Node) -> bool:
        return node in self._out

    def __len__(self) -> int:
        return len(self._out)

    def reversed(self) -> Graph:
        g = Graph()
        for node in self._out:
            g.add_node(node)
        for src, dst, w in self.edges():
            g.add_edge(src, dst, w)
        return g

    def reachable(self, start: Node) -> set[Node]:
        seen = {start}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in self._out[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen

    def ancestors(self, node: Node) -> set[Node]:
        """Every node with a path to `node` (not `node` itself)."""
        return self.reversed().reachable(node) - {node}

    def descendants(self, node: Node) -> set[Node]:
        return self.reachable(node) - {node}

    def shortest_path(self, src: Node, dst: Node) -> tuple[float, list[Node]] | None:
        dist = {src: 0.0}
        prev: dict[Node, Node] = {}
        heap = [(0.0, 0, src)]
        tie = 1
        while heap:
            d, _, node = heapq.heappop(heap)
            if node == dst:
                path = [dst]
                while path[-1] != src:
                    path.append(prev[path[-1]])
                return d, path[::-1]
            if d > dist[node]:
                continue
            for nxt, w in self._out[node].items():
                nd = d + w
                if nd < dist.get(nxt, float("inf")):
                    dist[nxt] = nd
                    prev[nxt] = node
                    heapq.heappush(heap, (nd, tie, nxt))
                    tie += 1
        return None

    def topological_order(self) -> list[Node]:
        """Kahn's algorithm; ties broken by insertion order. Raises CycleError naming a cycle."""
        indeg = {n: 0 for n in self._out}
        for _, dst, _ in self.edges():
            indeg[dst] += 1
        order = []
        ready = deque(n for n in self._out if indeg[n] == 0)
        while ready:
            node = ready.popleft()
            order.append(node)
            for nxt in self._out[node]:
                indeg[nxt] -= 1
                if indeg[nxt] == 0:
                    ready.append(nxt)
        if len(order) < len(self._out):
            raise CycleError(self._find_cycle({n for n in self._out if indeg[n] > 0}))
        return order

    def _find_cycle(self, candidates: set[Node]) -> list[Node]:
        start = next(n for n in self._out if n in candidates)
        path, index = [start], {start: 0}
        node = start
        while True:
            node = next(n for n in self._out[node] if n in candidates)
            if node in index:
                return path[index[node]:] + [node]
            index[node] = len(path)
            path.append(node)

    def strongly_connected(self) -> list[set[Node]]:
        """Kosaraju: finish order on the graph, then sweeps on the reversed graph."""
        order: list[Node] = []
        seen: set[Node] = set()
        for root in self._out:
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter(self._out[root]))]
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    stack.pop()
                    order.append(node)
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, iter(self._out[nxt])))
        rev = self.reversed()
        assigned: set[Node] = set()
        comps = []
        for node in reversed(order):
            if node in assigned:
                continue
            comp = rev.reachable(node) - assigned
            assigned |= comp
            comps.append(comp)
        return comps
