import pytest

from rooms import Booking, BookingConflict, RoomCalendar, parse_hhmm


@pytest.mark.parametrize("text, minutes", [("00:00", 0), ("08:30", 510), ("23:59", 1439), ("24:00", 1440), ("9:05", 545)])
def test_parse_hhmm(text, minutes):
    assert parse_hhmm(text) == minutes


@pytest.mark.parametrize("text", ["8", "8:5", "25:00", "12:60", "ab:cd", "24:01"])
def test_parse_hhmm_rejects(text):
    with pytest.raises(ValueError):
        parse_hhmm(text)


def test_booking_interval_checked():
    with pytest.raises(ValueError):
        Booking(600, 600, "A")
    with pytest.raises(ValueError):
        Booking(600, 1500, "A")


def test_booking_str():
    assert str(Booking(540, 600, "Oak", "ann")) == "Oak 09:00-10:00 ann"


def test_overlaps_half_open():
    b = Booking(540, 600, "A")
    assert b.overlaps(570, 630)
    assert not b.overlaps(600, 660)
    assert not b.overlaps(480, 540)
    assert b.overlaps(500, 700)


@pytest.fixture
def cal():
    c = RoomCalendar(("Oak", "Elm"))
    c.book("Oak", "09:00", "10:00", "ann")
    c.book("Oak", "11:00", "12:30", "bob")
    c.book("Elm", "08:00", "09:30", "cy")
    return c


def test_needs_rooms():
    with pytest.raises(ValueError):
        RoomCalendar(())


def test_book_back_to_back(cal):
    b = cal.book("Oak", "10:00", "11:00")
    assert b.start == 600


def test_book_conflict(cal):
    with pytest.raises(BookingConflict):
        cal.book("Oak", "09:30", "10:30")


def test_book_outside_hours(cal):
    with pytest.raises(ValueError):
        cal.book("Oak", "07:30", "08:30")
    with pytest.raises(ValueError):
        cal.book("Oak", "17:30", "18:30")


def test_book_unknown_room(cal):
    with pytest.raises(KeyError):
        cal.book("Pine", "09:00", "10:00")


def test_bookings_sorted(cal):
    cal.book("Oak", "08:00", "08:30")
    assert [b.start for b in cal.bookings("Oak")] == [480, 540, 660]


def test_all_bookings_sorted(cal):
    assert [b.room for b in cal.bookings()] == ["Elm", "Oak", "Oak"]


def test_cancel(cal):
    b = cal.bookings("Oak")[0]
    assert cal.cancel(b) is True
    assert cal.cancel(b) is False
    assert cal.is_free("Oak", 540, 600)


def test_is_free(cal):
    assert cal.is_free("Oak", 600, 660)
    assert not cal.is_free("Oak", 590, 660)
    assert not cal.is_free("Oak", 470, 480)


def test_free_slots(cal):
    assert cal.free_slots("Oak") == [(480, 540), (600, 660), (750, 1080)]


def test_free_slots_min_length(cal):
    assert cal.free_slots("Oak", 61) == [(750, 1080)]


def test_free_slots_booked_from_opening(cal):
    assert cal.free_slots("Elm") == [(570, 1080)]


def test_free_slots_empty_room():
    c = RoomCalendar(("A",))
    assert c.free_slots("A") == [(480, 1080)]


def test_first_fit(cal):
    assert cal.first_fit(60) == ("Oak", 480)


def test_first_fit_long(cal):
    assert cal.first_fit(120) == ("Elm", 570)


def test_first_fit_after(cal):
    assert cal.first_fit(30, after=600) == ("Oak", 600)


def test_first_fit_after_inside_gap(cal):
    assert cal.first_fit(30, after=620) == ("Oak", 620)


def test_first_fit_none():
    c = RoomCalendar(("A",), opens=540, closes=600)
    assert c.first_fit(90) is None


def test_utilisation(cal):
    assert cal.utilisation("Oak") == pytest.approx(150 / 600)
    assert cal.utilisation("Elm") == pytest.approx(90 / 600)


def test_busiest(cal):
    assert cal.busiest() == "Oak"


def test_busiest_tie_goes_to_first():
    c = RoomCalendar(("A", "B"))
    assert c.busiest() == "A"
