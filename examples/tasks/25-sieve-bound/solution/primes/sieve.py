"""Primes by the sieve of Eratosthenes, and factorisation by trial division."""

from __future__ import annotations

import math


def sieve(limit: int) -> list[int]:
    """All primes <= limit."""
    if limit < 2:
        return []
    is_prime = [True] * (limit + 1)
    is_prime[0] = is_prime[1] = False
    for p in range(2, math.isqrt(limit) + 1):
        if is_prime[p]:
            for multiple in range(p * p, limit + 1, p):
                is_prime[multiple] = False
    return [n for n, prime in enumerate(is_prime) if prime]


def factorize(n: int) -> dict[int, int]:
    """Prime factors with their exponents: 360 -> {2: 3, 3: 2, 5: 1}."""
    if n < 1:
        raise ValueError("n must be positive")
    factors: dict[int, int] = {}
    p = 2
    while p * p <= n:
        while n % p == 0:
            factors[p] = factors.get(p, 0) + 1
            n //= p
        p += 1
    if n > 1:
        factors[n] = factors.get(n, 0) + 1
    return factors


def twin_primes(limit: int) -> list[tuple[int, int]]:
    found = sieve(limit)
    return [(a, b) for a, b in zip(found, found[1:]) if b - a == 2]
