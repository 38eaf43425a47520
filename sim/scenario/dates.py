"""The calendar of a run: day 0 is 1 January 2019, so a day number is a date of the
platform's year that the seed document describes.

It is the one place the date of day 0 is written: the 1106 festival (5-6 November 2019)
is days 308-309, the source-goods programme's launch (October 2019) day 273.

>>> date_of(308), date_of(309)
(datetime.date(2019, 11, 5), datetime.date(2019, 11, 6))
>>> day_of(datetime.date(2019, 10, 1))
273
"""

from __future__ import annotations

import datetime

__all__ = ["DAY_ZERO", "date_of", "day_of"]

DAY_ZERO = datetime.date(2019, 1, 1)
"""The date of day 0 (0-based days: day 364 is 31 December 2019)."""


def date_of(day: int) -> datetime.date:
    """The date of a (0-based) simulated day."""
    return DAY_ZERO + datetime.timedelta(days=day)


def day_of(date: datetime.date) -> int:
    """The simulated day of a date (negative before day 0)."""
    return (date - DAY_ZERO).days
