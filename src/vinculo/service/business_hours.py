"""Business-hours arithmetic for SLA clocks: working hours, holidays, time zones and pauses.

An SLA target ("first response within 4 business hours") counts only the minutes when the
organisation is open. A calendar says when that is: working intervals per weekday in local wall
time of one time zone, plus holidays (whole local days off). An instant is *open* when its wall
date in that zone is not a holiday and its wall time of day lies in one of that weekday's
intervals [start, end). This definition is applied to real (UTC) instants, so days with a DST
change have their true length: an interval across the skipped hour loses it, an interval across
the repeated hour counts it twice, and a wall time that does not exist is never open.

Conventions (the same in every function):

* Every datetime argument must be timezone-aware (ValueError naming the argument otherwise).
  Every datetime returned is in UTC; compare or convert it as any aware datetime.
* Arithmetic is exact to the microsecond: minutes are converted to whole microseconds (rounded
  to the nearest), so ``minutes_between(s, add_minutes(s, m)) == m`` for any ``m`` that is a
  whole number of microseconds, e.g. every whole or fractional number of seconds.
* ``add_minutes(s, m)`` is the *earliest* instant t >= s with ``minutes_between(s, t) == m``:
  a start outside working hours waits for the next opening; a target that runs out exactly at
  a closing time is due at that closing time, not at the next opening; ``m == 0`` returns the
  start itself (the earliest instant with zero minutes elapsed), even outside working hours.
* A calendar without any working interval is refused when it is built (ValueError), so no
  search can run forever. A calendar whose only working time is swallowed by holidays still
  ends: holidays are a finite set. As a last guard, a search that walks 60 working days in a
  row without finding an open minute raises ValueError instead of looping.
* Pauses (waiting on the customer) are (start, end) pairs, end None while still open. They may
  be unsorted, overlap, start before the SLA start or end after "now"; their union is removed
  from the clock.

Instants are handled as integer microseconds since the Unix epoch, and the zone's UTC offsets
as a list of transitions found once per zone (by probing zoneinfo day by day and bisecting each
change to the second) and then shared by every calendar in that zone. The clock is run day by
day: a whole working day ahead of the start is taken at once from its precomputed length, and
only the day where the count starts or stops is walked interval by interval, never minute by
minute (about 7 µs per due date with a 1–5 day target). This assumes a zone never changes its
offset twice within one day, which holds for tzdata.

Why not a library: ``businesstimedelta`` (last release 2019) is built on pytz and has no
pauses; ``business-duration`` and ``businesstime`` only measure durations within one daily
window. None handles several intervals a day with DST-correct wall time and pauses.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["BusinessCalendar", "due_at", "elapsed_minutes", "warn_at"]

Pause = tuple[datetime, datetime | None]

_US = 1_000_000  # microseconds per second
_MINUTE_US = 60 * _US
_DAY_S = 86_400
_DAY_US = _DAY_S * _US
_DAY_MINUTES = 1440
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
_INFINITY = 1 << 62  # "never", in microseconds: far beyond year 9999
# Offsets are probed only inside the range datetime can represent in any zone.
_PROBE_MIN_S = int((datetime(2, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())
_PROBE_MAX_S = int((datetime(9998, 12, 31, tzinfo=UTC) - _EPOCH).total_seconds())
_PROBE_CHUNK_DAYS = 366
_MAX_IDLE_DAYS = 60
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --------------------------------------------------------------------------- time zones


class _ZoneOffsets:
    """The UTC offsets of one zone as sorted segments [bounds[i], bounds[i+1]) → offsets[i].

    Built lazily a year at a time around the instants asked for (bounds in seconds while
    scanning; published in microseconds, ±_INFINITY past the probed range, where the outermost
    offset holds). Readers take the published (bounds, offsets) pair in one read; extensions
    replace it under a lock.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._lock = threading.Lock()
        self._seconds: tuple[list[int], list[int]] | None = None
        self._state: tuple[list[int], list[int]] = ([0, 0], [0])  # empty: every lookup misses

    def _offset_at(self, s: int) -> int:
        """UTC offset in microseconds at epoch second ``s``."""
        offset = datetime.fromtimestamp(s, self._zone).utcoffset()
        assert offset is not None  # a ZoneInfo always knows its offset
        return offset // _ONE_US

    def _first_change(self, lo: int, hi: int, before: int) -> int:
        """Smallest second in (lo, hi] whose offset differs from ``before`` (= offset at lo)."""
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset_at(mid) == before:
                lo = mid
            else:
                hi = mid
        return hi

    def _scan(self, start: int, stop: int) -> tuple[list[int], list[int]]:
        """Segments covering [start, stop): probe every day, bisect each change."""
        bounds, offsets = [start], [self._offset_at(start)]
        x = start
        while x < stop:
            y = min(x + _DAY_S, stop)
            if self._offset_at(y) != offsets[-1]:
                x = self._first_change(x, y, offsets[-1])
                bounds.append(x)
                offsets.append(self._offset_at(x))
                continue
            x = y
        bounds.append(stop)
        return bounds, offsets

    def _extend(self, us: int) -> tuple[list[int], list[int]]:
        s = us // _US
        with self._lock:
            state = self._state
            if state[0][0] <= us < state[0][-1]:
                return state  # another thread got here first
            chunk = _PROBE_CHUNK_DAYS * _DAY_S
            if self._seconds is None:
                lo = max(_PROBE_MIN_S, s - s % _DAY_S - 7 * _DAY_S)
                bounds, offsets = self._scan(lo, min(_PROBE_MAX_S, lo + chunk))
            else:
                bounds, offsets = list(self._seconds[0]), list(self._seconds[1])
            while s >= bounds[-1] and bounds[-1] < _INFINITY:
                if bounds[-1] >= _PROBE_MAX_S:
                    bounds[-1] = _INFINITY  # beyond tzdata's reach: the last offset holds
                    break
                more_b, more_o = self._scan(bounds[-1], min(_PROBE_MAX_S, bounds[-1] + chunk))
                _join(bounds, offsets, more_b, more_o)
            while s < bounds[0] and bounds[0] > -_INFINITY:
                if bounds[0] <= _PROBE_MIN_S:
                    bounds[0] = -_INFINITY
                    break
                more_b, more_o = self._scan(max(_PROBE_MIN_S, bounds[0] - chunk), bounds[0])
                _join(more_b, more_o, bounds, offsets)
                bounds, offsets = more_b, more_o
            self._seconds = (bounds, offsets)
            bounds_us = [b if b in (_INFINITY, -_INFINITY) else b * _US for b in bounds]
            self._state = (bounds_us, offsets)
            return self._state

    def segment(self, us: int) -> tuple[int, int]:
        """(end, offset) in microseconds of the constant-offset segment holding ``us``."""
        bounds, offsets = self._state
        if not bounds[0] <= us < bounds[-1]:
            bounds, offsets = self._extend(us)
        i = bisect.bisect_right(bounds, us)
        return bounds[i], offsets[i - 1]


def _join(bounds: list[int], offsets: list[int], more_b: list[int], more_o: list[int]) -> None:
    """Append the segments (more_b, more_o), which start where ``bounds`` ends, in place."""
    bounds.pop()
    if more_o[0] == offsets[-1]:  # the same offset continues: one segment, not two
        more_b, more_o = more_b[1:], more_o[1:]
    bounds.extend(more_b)
    offsets.extend(more_o)


_ZONES: dict[str, _ZoneOffsets] = {}
_ZONES_LOCK = threading.Lock()


def _zone_offsets(key: str) -> _ZoneOffsets:
    found = _ZONES.get(key)
    if found is None:
        with _ZONES_LOCK:
            found = _ZONES.setdefault(key, _ZoneOffsets(ZoneInfo(key)))
    return found


# --------------------------------------------------------------------------- conversions


def _to_us(value: datetime, name: str) -> int:
    if not isinstance(value, datetime):
        raise ValueError(f"{name}: expected a datetime, got {type(value).__name__}")
    try:
        return (value - _EPOCH) // _ONE_US  # a naive datetime cannot be subtracted
    except TypeError:
        raise ValueError(
            f"{name}: {value.isoformat()} is naive; give a timezone-aware datetime"
        ) from None


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _minutes_to_us(minutes: float, name: str) -> int:
    if type(minutes) is int and minutes >= 0:
        return minutes * _MINUTE_US
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise ValueError(f"{name}: expected a number of minutes, got {minutes!r}")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"{name}: {minutes!r} is not a finite number of minutes >= 0")
    return round(minutes * _MINUTE_US)


class SpecError(ValueError):
    """A calendar specification that cannot be used. ``where`` names the part
    (``timezone``, ``weekly[2][1]``, ``holidays[3]``), ``code`` what is wrong and ``params``
    the values, so that a caller can say it in the reader's language; ``str()`` says it in
    English."""

    def __init__(self, where: str, code: str, message: str, **params: object) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.code, self.params = where, code, params


def _format_minute(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _parse_time(text: object, where: str) -> int:
    match = _TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise SpecError(where, "bad_time", f"{text!r} is not a time HH:MM", value=text)
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise SpecError(where, "bad_time", f"{text!r} is not a time between 00:00 and 24:00",
                        value=text)
    return hours * 60 + minutes


def _is_pair(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes) and len(value) == 2


def _parse_weekday(key: object) -> int:
    day: int | None = None
    if isinstance(key, int) and not isinstance(key, bool):
        day = key
    elif isinstance(key, str) and key.strip().isdigit():
        day = int(key)
    if day is None or not 0 <= day <= 6:
        raise SpecError("weekly", "unknown_weekday",
                        f"unknown weekday {key!r} (0 = Monday … 6 = Sunday)", value=key)
    return day


# --------------------------------------------------------------------------- the calendar


@dataclass(frozen=True)
class BusinessCalendar:
    """When an organisation is open: weekly intervals in local wall time, and holidays.

    ``weekly[d]`` holds the intervals of weekday ``d`` (Monday = 0) as (start, end) minutes
    after local midnight, 0 <= start < end <= 1440, sorted and not overlapping (adjacent is
    fine). Build it with :meth:`from_spec` (JSON-shaped input, clear errors) or
    :meth:`always_open`. Equal calendars are equal and hash alike, so they can key a cache.
    """

    timezone: str
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()
    _zone: _ZoneOffsets = field(init=False, repr=False, compare=False)
    _weekly_us: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    _day_totals: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _holiday_days: frozenset[int] = field(init=False, repr=False, compare=False)
    _always: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = _zone_offsets(self.timezone)
        except (ZoneInfoNotFoundError, OSError, ValueError, TypeError) as exc:  # OSError: 'America'
            raise SpecError("timezone", "unknown_zone", f"unknown time zone {self.timezone!r}",
                            value=self.timezone) from exc
        if len(self.weekly) != 7:
            raise ValueError(f"weekly: expected 7 weekdays, got {len(self.weekly)}")
        weekly = tuple(_check_day(day, intervals) for day, intervals in enumerate(self.weekly))
        if not any(weekly):
            raise SpecError("weekly", "no_working_time", "no working time on any day")
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"holidays: {holiday!r} is not a date")
        set_ = object.__setattr__
        set_(self, "weekly", weekly)
        set_(self, "holidays", holidays)
        set_(self, "_zone", zone)
        weekly_us = tuple(tuple((s * _MINUTE_US, e * _MINUTE_US) for s, e in day) for day in weekly)
        set_(self, "_weekly_us", weekly_us)
        set_(self, "_day_totals", tuple(sum(e - s for s, e in day) for day in weekly_us))
        epoch_ordinal = _EPOCH.toordinal()
        set_(self, "_holiday_days", frozenset(h.toordinal() - epoch_ordinal for h in holidays))
        set_(self, "_always", not holidays and all(day == ((0, _DAY_MINUTES),) for day in weekly))

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_spec(
        cls,
        *,
        timezone: str,
        weekly: Mapping[int | str, Sequence[Sequence[str]]],
        holidays: Iterable[date | str] = (),
    ) -> BusinessCalendar:
        """Build a calendar from the JSON-shaped form an organisation's settings store.

        ``weekly`` maps a weekday (Monday = 0 … Sunday = 6, as int or its string form) to a
        list of ``["HH:MM", "HH:MM"]`` intervals in local wall time ("24:00" allowed as an
        end); missing weekdays are closed. ``holidays`` are dates or ISO "YYYY-MM-DD" strings.
        A ValueError names the offending part: ``timezone``, ``weekly[2][1]``, ``holidays[3]``.
        """
        if not isinstance(timezone, str) or not timezone:
            raise SpecError("timezone", "unknown_zone", f"unknown time zone {timezone!r}",
                            value=timezone)
        if not isinstance(weekly, Mapping):
            raise ValueError("weekly: expected a mapping of weekday to intervals")
        days: list[tuple[tuple[int, int], ...] | None] = [None] * 7
        for key, intervals in weekly.items():
            day = _parse_weekday(key)
            if days[day] is not None:
                raise ValueError(f"weekly: weekday {day} ({_WEEKDAY_NAMES[day]}) given twice")
            if isinstance(intervals, str | bytes) or not isinstance(intervals, Sequence):
                raise ValueError(f"weekly[{day}]: expected a list of [start, end] pairs")
            parsed = []
            for i, pair in enumerate(intervals):
                where = f"weekly[{day}][{i}]"
                if not _is_pair(pair):
                    raise ValueError(f"{where}: expected [start, end], got {pair!r}")
                start = _parse_time(pair[0], where)
                if start == _DAY_MINUTES:
                    raise SpecError(where, "midnight_start", "24:00 is only allowed as an end")
                parsed.append((start, _parse_time(pair[1], where)))
            days[day] = tuple(parsed)
        parsed_holidays = []
        for i, holiday in enumerate(holidays):
            if isinstance(holiday, str):
                try:
                    holiday = date.fromisoformat(holiday)
                except ValueError:
                    raise ValueError(
                        f"holidays[{i}]: {holiday!r} is not a date YYYY-MM-DD"
                    ) from None
            elif not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"holidays[{i}]: {holiday!r} is not a date")
            parsed_holidays.append(holiday)
        return cls(
            timezone=timezone,
            weekly=tuple(day or () for day in days),
            holidays=frozenset(parsed_holidays),
        )

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """24x7 in UTC: the clock of an organisation that configured no business hours."""
        return cls(timezone="UTC", weekly=(((0, _DAY_MINUTES),),) * 7)

    def to_spec(self) -> dict[str, object]:
        """The JSON-ready form that :meth:`from_spec` reads back into an equal calendar."""
        return {
            "timezone": self.timezone,
            "weekly": {
                str(day): [[_format_minute(s), _format_minute(e)] for s, e in intervals]
                for day, intervals in enumerate(self.weekly)
                if intervals
            },
            "holidays": sorted(h.isoformat() for h in self.holidays),
        }

    # ----------------------------------------------------------------- public arithmetic

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` falls in working hours (intervals are closed at their end)."""
        us = _to_us(at, "at")
        if self._always:
            return True
        _, offset = self._zone.segment(us)
        day, time_of_day = divmod(us + offset, _DAY_US)
        if day in self._holiday_days:
            return False
        intervals = self._weekly_us[(day + _EPOCH_WEEKDAY) % 7]
        return any(s <= time_of_day < e for s, e in intervals)

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself if open, else the next opening (in UTC)."""
        us = _to_us(at, "at")
        # The first open microsecond ends one microsecond after the opening.
        return _from_us(self._add(us, 1) - 1)

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes in [start, end); 0 when end <= start."""
        return self._between(_to_us(start, "start"), _to_us(end, "end")) / _MINUTE_US

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant (UTC) at which ``minutes`` business minutes have elapsed.

        A start outside working hours waits for the next opening; ``minutes == 0`` returns
        ``start``; a count that ends exactly at a closing time returns that closing time.
        """
        us = _to_us(start, "start")
        return _from_us(self._add(us, _minutes_to_us(minutes, "minutes")))

    # ----------------------------------------------------------------- internals (µs)

    def _walk(self, frm: int, budget: int, limit: int) -> tuple[int, int]:
        """Run the business clock from ``frm`` until ``budget`` µs are used or ``limit`` is hit.

        Returns (the instant it stopped, the µs used). Walks the zone's constant-offset
        segments; inside one, wall time is UTC plus a fixed offset, so a local day is 24 hours
        and each interval maps to one UTC span. A whole day that lies ahead is taken in one
        step from its precomputed total; only the day where the clock stops is walked interval
        by interval.
        """
        if self._always:
            used = min(budget, limit - frm) if frm < limit else 0
            return frm + used, used
        holidays, weekly, totals = self._holiday_days, self._weekly_us, self._day_totals
        used = 0
        u = frm
        idle = 0
        while u < limit:
            seg_end, offset = self._zone.segment(u)
            stop = seg_end if seg_end < limit else limit
            day = (u + offset) // _DAY_US
            midnight = day * _DAY_US - offset  # the UTC instant of local midnight
            while midnight < stop:
                if day not in holidays:
                    weekday = (day + _EPOCH_WEEKDAY) % 7
                    total = totals[weekday]
                    if not total:
                        idle += 1
                    elif midnight >= u and midnight + _DAY_US <= stop and total < budget - used:
                        used += total
                        idle = 0
                    else:
                        found = False
                        for s, e in weekly[weekday]:
                            a = midnight + s
                            b = midnight + e
                            if a < u:
                                a = u
                            if b > stop:
                                b = stop
                            if a < b:
                                found = True
                                if b - a >= budget - used:
                                    return a + budget - used, budget
                                used += b - a
                        idle = 0 if found else idle + 1
                    if idle > _MAX_IDLE_DAYS:
                        local = date.fromordinal(day + _EPOCH.toordinal())
                        raise ValueError(
                            f"calendar {self.timezone}: no working time in "
                            f"{_MAX_IDLE_DAYS} working days up to {local.isoformat()}"
                        )
                day += 1
                midnight += _DAY_US
            u = stop
        return limit, used

    def _add(self, frm: int, amount: int) -> int:
        """The instant when ``amount`` business µs have run from ``frm`` (``frm`` if 0)."""
        return frm if amount == 0 else self._walk(frm, amount, _INFINITY)[0]

    def _between(self, frm: int, to: int) -> int:
        """Business µs in [frm, to)."""
        return self._walk(frm, _INFINITY, to)[1]


def _check_day(day: int, intervals: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Validate one weekday's (start, end) minute pairs; return them sorted."""
    for i, (s, e) in enumerate(intervals):
        where = f"weekly[{day}][{i}]"
        if not (0 <= s < _DAY_MINUTES and 0 < e <= _DAY_MINUTES):
            raise ValueError(f"{where}: ({s}, {e}) is outside 00:00–24:00")
        if e <= s:
            raise SpecError(
                where, "end_before_start",
                f"end {_format_minute(e)} is not after start {_format_minute(s)}",
                start=_format_minute(s), end=_format_minute(e))
    order = sorted(range(len(intervals)), key=lambda i: intervals[i])
    for i, j in itertools.pairwise(order):
        (s1, e1), (s2, e2) = intervals[i], intervals[j]
        if s2 < e1:
            raise SpecError(
                f"weekly[{day}][{j}]", "overlap",
                f"{_format_minute(s2)}–{_format_minute(e2)} overlaps "
                f"weekly[{day}][{i}] {_format_minute(s1)}–{_format_minute(e1)}",
                interval=f"{_format_minute(s2)}–{_format_minute(e2)}",
                other=f"{_format_minute(s1)}–{_format_minute(e1)}")
    return tuple((int(intervals[i][0]), int(intervals[i][1])) for i in order)


# --------------------------------------------------------------------------- SLA clock


def _merged_pauses(pauses: Sequence[Pause], start: int) -> list[tuple[int, int]]:
    """Pauses as sorted, disjoint [a, b) µs spans from ``start`` on; an open pause ends never."""
    spans: list[tuple[int, int]] = []
    for i, pause in enumerate(pauses):
        if not _is_pair(pause):
            raise ValueError(f"pauses[{i}]: expected (start, end or None), got {pause!r}")
        a = _to_us(pause[0], f"pauses[{i}] start")
        b = _INFINITY if pause[1] is None else _to_us(pause[1], f"pauses[{i}] end")
        if b < a:
            raise ValueError(
                f"pauses[{i}]: end {pause[1].isoformat()} is before start {pause[0].isoformat()}"
            )
        a = max(a, start)
        if a < b:
            spans.append((a, b))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def elapsed_minutes(
    calendar: BusinessCalendar, start: datetime, now: datetime, pauses: Sequence[Pause] = ()
) -> float:
    """Business minutes the SLA clock has run from ``start`` to ``now``, pauses excluded."""
    s, n = _to_us(start, "start"), _to_us(now, "now")
    if n <= s:
        return 0.0
    total = calendar._between(s, n)
    for a, b in _merged_pauses(pauses, s):
        if a >= n:
            break
        total -= calendar._between(a, min(b, n))
    return total / _MINUTE_US


def due_at(
    calendar: BusinessCalendar,
    start: datetime,
    target_minutes: float,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """The earliest instant (UTC) when the clock reaches ``target_minutes``, or None.

    None means a pause is still open and the target was not reached before it began: the due
    date is unknown until the customer answers. A target of 0 is due at ``start``.
    """
    t = _to_us(start, "start")
    remaining = _minutes_to_us(target_minutes, "target_minutes")
    if remaining == 0:
        return _from_us(t)
    for a, b in _merged_pauses(pauses, t):
        stopped, used = calendar._walk(t, remaining, a)  # run until done or the pause begins
        if used == remaining:
            return _from_us(stopped)
        remaining -= used
        if b >= _INFINITY:
            return None
        t = b
    return _from_us(calendar._add(t, remaining))


def warn_at(
    calendar: BusinessCalendar,
    start: datetime,
    target_minutes: float,
    pauses: Sequence[Pause] = (),
    fraction: float = 0.8,
) -> datetime | None:
    """When ``fraction`` of the target has run (the "about to breach" flag), or None as
    :func:`due_at`."""
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise ValueError(f"fraction: expected a number between 0 and 1, got {fraction!r}")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction: {fraction!r} is not between 0 and 1")
    target = _minutes_to_us(target_minutes, "target_minutes") * fraction / _MINUTE_US
    return due_at(calendar, start, target, pauses)
