import pytest

from primes.sieve import factorize, sieve, twin_primes


def test_small_primes():
    assert sieve(10) == [2, 3, 5, 7]
    assert sieve(1) == []


def test_no_squares_of_primes():
    assert sieve(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    assert 49 not in sieve(50)


def test_factorize():
    assert factorize(360) == {2: 3, 3: 2, 5: 1}
    assert factorize(97) == {97: 1}
    with pytest.raises(ValueError):
        factorize(0)


def test_twin_primes():
    assert twin_primes(50) == [(3, 5), (5, 7), (11, 13), (17, 19), (29, 31), (41, 43)]
