"""How values compare as dates.

Dates are read from `YYYY-MM-DD` and timestamps from `YYYY-MM-DD HH:MM:SS` (a `T`
instead of the space, fractions of a second and a zone such as `Z` or `+02:00` are
accepted too); YAML dates and Python dates/datetimes count as well. Timestamps with a
zone are converted to UTC; timestamps without one (MailerLite writes them so) are taken
as UTC already.

A rule value that is a date means the whole day: `before: 2024-03-01` is before that
day starts, `after: 2024-03-01` from the next day on, `equals` any time that day, and
`between` includes both bound days. A rule value with a time means that instant. A
subscriber's date without a time counts as the start of its day.

`within_days: N` holds for a timestamp at or after `now - N days`, and for a date on or
after the day of `now - N days`; later dates (the future included) count too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: A point in time as naive UTC, and whether it carried a time of day.
Moment = tuple[dt.datetime, bool]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_ONE_DAY = dt.timedelta(days=1)


def utc_naive(value: dt.datetime) -> dt.datetime:
    """`value` in UTC without tzinfo, so that all moments compare with each other."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def moment_of(value: object) -> Moment | None:
    """The moment a value names, or None when it is not a date."""
    if isinstance(value, dt.datetime):
        return utc_naive(value), True
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), False
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10 and _DAY.fullmatch(text):
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day), False
        if _STAMP.fullmatch(text):
            return utc_naive(dt.datetime.fromisoformat(text)), True
    except ValueError:  # well formed but impossible, such as 2024-02-30
        return None
    return None


def is_date(value: object) -> bool:
    return moment_of(value) is not None


@dataclass(frozen=True)
class Span:
    """The time a rule value covers: a whole day `[start, end)`, or one instant."""

    start: dt.datetime
    end: dt.datetime
    #: True for an instant (end included), False for a day (end excluded).
    closed: bool


def span_of(value: object) -> Span | None:
    moment = moment_of(value)
    if moment is None:
        return None
    start, has_time = moment
    if has_time:
        return Span(start, start, closed=True)
    return Span(start, start + _ONE_DAY, closed=False)


def is_before(at: dt.datetime, span: Span) -> bool:
    return at < span.start


def is_after(at: dt.datetime, span: Span) -> bool:
    return at > span.end if span.closed else at >= span.end


def is_during(at: dt.datetime, span: Span) -> bool:
    return span.start <= at and not is_after(at, span)


def is_between(at: dt.datetime, low: Span, high: Span) -> bool:
    return low.start <= at and not is_after(at, high)


@dataclass(frozen=True)
class Since:
    """The start of a `within_days` window, for timestamps and for plain dates."""

    instant: dt.datetime
    day: dt.datetime

    @classmethod
    def days_before(cls, now: dt.datetime, days: int) -> Since:
        instant = utc_naive(now) - dt.timedelta(days=days)
        return cls(instant, dt.datetime(instant.year, instant.month, instant.day))

    def holds(self, moment: Moment) -> bool:
        at, has_time = moment
        return at >= (self.instant if has_time else self.day)
