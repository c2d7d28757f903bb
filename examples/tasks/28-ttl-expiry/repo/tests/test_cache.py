from ttlcache.cache import TTLCache


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_fresh_entries_are_returned():
    cache = TTLCache(10, clock=Clock())
    cache.set("k", "v")
    assert cache.get("k") == "v"
    assert cache.get("other", 0) == 0


def test_expired_entries_are_gone():
    clock = Clock()
    cache = TTLCache(10, clock=clock)
    cache.set("k", "v")
    clock.now = 10
    assert cache.get("k", "default") == "default"
    assert len(cache) == 0


def test_counters():
    clock = Clock()
    cache = TTLCache(5, clock=clock)
    cache.set("a", 1)
    cache.get("a")
    clock.now = 6
    cache.get("a")
    assert (cache.hits, cache.misses) == (1, 1)


def test_purge_and_per_item_ttl():
    clock = Clock()
    cache = TTLCache(5, clock=clock)
    cache.set("short", 1, ttl=1)
    cache.set("long", 2)
    clock.now = 2
    assert cache.purge() == 1
    assert cache.get("long") == 2
