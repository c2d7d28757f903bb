"""Lengths of routes given as lists of (lat, lon) stops."""

from __future__ import annotations

from geo.distance import haversine

Stop = tuple[float, float]


def leg_lengths(stops: list[Stop]) -> list[float]:
    return [haversine(*a, *b) for a, b in zip(stops, stops[1:])]


def route_length(stops: list[Stop], closed: bool = False) -> float:
    """Kilometres along the stops in order; a closed route returns to the first stop."""
    total = sum(leg_lengths(stops))
    if closed and len(stops) > 1:
        total += haversine(*stops[-1], *stops[0])
    return total


def longest_leg(stops: list[Stop]) -> tuple[int, float]:
    """Index of the stop that starts the longest leg, and that leg's length."""
    legs = leg_lengths(stops)
    if not legs:
        raise ValueError("a route needs at least two stops")
    index = max(range(len(legs)), key=legs.__getitem__)
    return index, legs[index]
