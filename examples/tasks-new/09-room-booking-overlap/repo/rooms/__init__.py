from .calendar import Booking, BookingConflict, RoomCalendar, parse_hhmm

__all__ = ["Booking", "BookingConflict", "RoomCalendar", "parse_hhmm"]
