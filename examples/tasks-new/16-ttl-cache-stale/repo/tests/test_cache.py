import pytest

from memo import TTLCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(clock):
    return TTLCache(maxsize=3, ttl=10, clock=clock)


@pytest.mark.parametrize("kwargs", [{"maxsize": 0}, {"ttl": 0}, {"ttl": -1}])
def test_bad_args(kwargs):
    with pytest.raises(ValueError):
        TTLCache(**kwargs)


def test_set_get(cache):
    cache.set("a", 1)
    assert cache.get("a") == 1


def test_get_missing_default(cache):
    assert cache.get("x") is None
    assert cache.get("x", 5) == 5


def test_expires(cache, clock):
    cache.set("a", 1)
    clock.now += 10
    assert cache.get("a") is None


def test_alive_just_before_expiry(cache, clock):
    cache.set("a", 1)
    clock.now += 9.999
    assert cache.get("a") == 1


def test_overwrite_refreshes_ttl(cache, clock):
    cache.set("a", 1)
    clock.now += 8
    cache.set("a", 2)
    clock.now += 8
    assert cache.get("a") == 2


def test_eviction_lru(cache):
    for k in "abc":
        cache.set(k, k)
    cache.get("a")
    cache.set("d", "d")
    assert "b" not in cache
    assert "a" in cache and "d" in cache
    assert cache.evictions == 1


def test_contains_expired(cache, clock):
    cache.set("a", 1)
    clock.now += 11
    assert "a" not in cache


def test_contains_missing(cache):
    assert "zz" not in cache


def test_len_skips_expired(cache, clock):
    cache.set("a", 1)
    clock.now += 5
    cache.set("b", 2)
    clock.now += 6
    assert len(cache) == 1


def test_purge(cache, clock):
    cache.set("a", 1)
    cache.set("b", 2)
    clock.now += 20
    cache.set("c", 3)
    assert cache.purge() == 2
    assert len(cache) == 1


def test_pop(cache):
    cache.set("a", 1)
    assert cache.pop("a") == 1
    assert "a" not in cache


def test_pop_missing(cache):
    with pytest.raises(KeyError):
        cache.pop("a")
    assert cache.pop("a", 0) == 0


def test_pop_expired(cache, clock):
    cache.set("a", 1)
    clock.now += 10
    assert cache.pop("a", "gone") == "gone"


def test_get_or_set(cache):
    calls = []
    assert cache.get_or_set("k", lambda: calls.append(1) or 42) == 42
    assert cache.get_or_set("k", lambda: calls.append(1) or 43) == 42
    assert len(calls) == 1


def test_get_or_set_caches_none(cache):
    calls = []
    cache.get_or_set("n", lambda: calls.append(1))
    cache.get_or_set("n", lambda: calls.append(1))
    assert len(calls) == 1


def test_get_or_set_after_expiry(cache, clock):
    cache.get_or_set("k", lambda: 1)
    clock.now += 10
    assert cache.get_or_set("k", lambda: 2) == 2


def test_ttl_left(cache, clock):
    cache.set("a", 1)
    clock.now += 4
    assert cache.ttl_left("a") == pytest.approx(6)
    clock.now += 6
    assert cache.ttl_left("a") is None
    assert cache.ttl_left("nope") is None


def test_stats(cache, clock):
    cache.set("a", 1)
    cache.get("a")
    cache.get("b")
    clock.now += 10
    cache.get("a")
    assert cache.stats() == {"hits": 1, "misses": 2, "evictions": 0, "hit_rate": pytest.approx(1 / 3)}


def test_stats_empty(cache):
    assert cache.stats()["hit_rate"] == 0.0


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10])
def test_size_bound(clock, n):
    c = TTLCache(maxsize=n, ttl=100, clock=clock)
    for i in range(n + 4):
        c.set(i, i)
    assert len(c) == n
    assert c.evictions == 4
    assert list(range(4, n + 4)) == [k for k in range(n + 4) if k in c]


@pytest.mark.parametrize("key", ["s", 7, ("t", 1)])
def test_hashable_keys(cache, key):
    cache.set(key, "v")
    assert cache.get(key) == "v" and key in cache
