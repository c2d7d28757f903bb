from mailaddr.validate import is_valid, normalize, problems


def test_valid_addresses():
    for address in ["jo@example.org", "first.last+tag@mail.co.uk", "x@a-b.io"]:
        assert is_valid(address), problems(address)


def test_empty_sides():
    assert problems("@example.org") == ["both sides of @ must be non-empty"]
    assert problems("someone@") == ["both sides of @ must be non-empty"]


def test_bad_parts():
    assert problems("a..b@example.org") == ["bad local part 'a..b'"]
    assert problems("jo@-bad-.com") == ["bad domain '-bad-.com'"]
    assert problems("jo@example.123") == ["top-level domain '123' must be letters"]
    assert problems("nobody") == ["no @ in 'nobody'"]


def test_normalize():
    assert normalize(" Jo@Example.ORG ") == "Jo@example.org"
