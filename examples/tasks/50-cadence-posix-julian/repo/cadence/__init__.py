"""cadence: recurrence rules, iCalendar events, time zones and business days."""

from cadence.recurrence import *  # noqa: F401,F403
from cadence.recurrence import __all__ as _recurrence_all

__version__ = "1.4.0"
__all__ = list(_recurrence_all)
