"""Business-hours SLA arithmetic, checked against a minute-by-minute reference and by hand.

The reference below knows nothing of the module's internals: it walks UTC minute by minute,
converts each minute to local wall time with zoneinfo, and asks whether that wall date is a
holiday and whether that wall time lies in one of the weekday's intervals.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.service.business_hours import (
    BusinessCalendar,
    due_at,
    elapsed_minutes,
    warn_at,
)

MADRID = ZoneInfo("Europe/Madrid")
MEXICO = ZoneInfo("America/Mexico_City")
SANTIAGO = ZoneInfo("America/Santiago")

# UTC, a European and a Southern-hemisphere DST zone (Santiago changes at local midnight),
# Mexico City (DST until October 2022), a half-hour DST shift and a +05:45 zone.
ZONES = [
    "UTC",
    "Europe/Madrid",
    "America/Mexico_City",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
]
YEARS_START = datetime(2021, 1, 1, tzinfo=UTC)
YEARS_MINUTES = 6 * 365 * 1440  # 2021 to the end of 2026
MAX_WINDOW = 14 * 1440


def _transition_days() -> dict[str, list[datetime]]:
    """Per zone, the UTC midnights of the days on which it changes its offset, 2021–2026."""
    days: dict[str, list[datetime]] = {}
    for key in ZONES:
        zone = ZoneInfo(key)
        days[key] = []
        previous = None
        for d in range(6 * 365):
            day = YEARS_START + timedelta(days=d)
            offset = day.astimezone(zone).utcoffset()
            if previous is not None and offset != previous:
                days[key].append(day - timedelta(days=1))
            previous = offset
    return days


TRANSITION_DAYS = _transition_days()


# --------------------------------------------------------------------------- the reference


def reference_open(zone: str, weekly, holidays, start: datetime, n: int) -> list[bool]:
    """Whether each of the n minutes from ``start`` (minute-aligned, UTC) is working time."""
    tz = ZoneInfo(zone)
    result = []
    for i in range(n):
        local = (start + timedelta(minutes=i)).astimezone(tz)
        if local.date() in holidays:
            result.append(False)
            continue
        minute = local.hour * 60 + local.minute
        result.append(any(s <= minute < e for s, e in weekly[local.weekday()]))
    return result


def paused(i: int, pauses) -> bool:
    """Whether minute i (counted from the start) lies in one of the pauses (minute offsets)."""
    return any(a <= i and (b is None or i < b) for a, b in pauses)


# --------------------------------------------------------------------------- strategies

BOUNDARY = st.one_of(
    st.integers(0, 1440),
    # Near midnight and the usual DST hours, so intervals straddle transitions often.
    st.sampled_from([0, 30, 60, 90, 120, 150, 180, 210, 1380, 1410, 1440]),
)


@st.composite
def day_intervals(draw) -> list[tuple[int, int]]:
    """Up to three non-overlapping (start, end) minute intervals; adjacent ones allowed."""
    points = sorted(draw(st.lists(BOUNDARY, max_size=6)))
    return [
        (points[i], points[i + 1])
        for i in range(0, len(points) - 1, 2)
        if points[i] < points[i + 1]
    ]


def hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@st.composite
def scenarios(draw):
    """A random calendar, a minute-aligned start (often near a DST change) and a window."""
    zone = draw(st.sampled_from(ZONES))
    weekly = [draw(day_intervals()) for _ in range(7)]
    if not any(weekly):
        weekly[draw(st.integers(0, 6))] = [(540, 1020)]
    if not TRANSITION_DAYS[zone] or draw(st.booleans()):
        start = YEARS_START + timedelta(minutes=draw(st.integers(0, YEARS_MINUTES)))
    else:
        # Half the time, a window around one of the zone's own DST changes.
        day = draw(st.sampled_from(TRANSITION_DAYS[zone]))
        start = day + timedelta(minutes=draw(st.integers(-4 * 1440, 2 * 1440)))
    local_day = start.astimezone(ZoneInfo(zone)).date()
    holidays = {
        local_day + timedelta(days=k) for k in draw(st.lists(st.integers(-1, 15), max_size=4))
    }
    n = draw(st.integers(1, MAX_WINDOW))
    spec = {
        # JSON gives string keys; Python callers give ints: mix both.
        (str(d) if d % 2 else d): [[hhmm(s), hhmm(e)] for s, e in intervals]
        for d, intervals in enumerate(weekly)
        if intervals or draw(st.booleans())
    }
    calendar = BusinessCalendar.from_spec(timezone=zone, weekly=spec, holidays=sorted(holidays))
    reference = reference_open(zone, weekly, holidays, start, n)
    return calendar, start, n, reference


def minute(start: datetime, i: float) -> datetime:
    return start + timedelta(minutes=i)


# --------------------------------------------------------------------------- properties


@settings(max_examples=150)
@given(scenarios(), st.data())
def test_calendar_matches_minute_reference(scenario, data):
    calendar, start, n, reference = scenario
    cumulative = [0, *accumulate(reference)]
    total = cumulative[-1]

    for k in data.draw(st.lists(st.integers(0, n), min_size=1, max_size=8)):
        assert calendar.minutes_between(start, minute(start, k)) == cumulative[k]
    # A start in the middle of a minute counts the rest of that minute only.
    seconds = data.draw(st.integers(1, 59))
    k = data.draw(st.integers(1, n))
    expected = cumulative[k] - reference[0] * seconds / 60
    assert calendar.minutes_between(start + timedelta(seconds=seconds), minute(start, k)) == (
        pytest.approx(expected, abs=1e-9)
    )
    assert calendar.minutes_between(minute(start, k), start) == 0

    for i in data.draw(st.lists(st.integers(0, n - 1), max_size=12)):
        assert calendar.is_open(minute(start, i)) is reference[i]

    if total:
        first_open = reference.index(True)
        assert calendar.next_open(start) == minute(start, first_open)
        for m in data.draw(st.lists(st.integers(1, total), min_size=1, max_size=6)):
            # The m-th open minute ends at the due instant.
            assert calendar.add_minutes(start, m) == minute(start, cumulative.index(m))
    assert calendar.add_minutes(start, 0) == start


PAUSE = st.tuples(
    st.integers(-300, MAX_WINDOW + 300),
    st.one_of(st.none(), st.integers(0, 3 * 1440)),
)


@settings(max_examples=150)
@given(scenarios(), st.lists(PAUSE, max_size=4), st.data())
def test_sla_clock_matches_minute_reference(scenario, raw_pauses, data):
    calendar, start, n, reference = scenario
    pauses_minutes = [(a, None if length is None else a + length) for a, length in raw_pauses]
    pauses = [
        (minute(start, a), None if b is None else minute(start, b)) for a, b in pauses_minutes
    ]
    running = [open_ and not paused(i, pauses_minutes) for i, open_ in enumerate(reference)]
    cumulative = [0, *accumulate(running)]
    total = cumulative[-1]

    for k in data.draw(st.lists(st.integers(0, n), min_size=1, max_size=6)):
        assert elapsed_minutes(calendar, start, minute(start, k), pauses) == cumulative[k]

    target = data.draw(st.integers(0, total + 30))
    due = due_at(calendar, start, target, pauses)
    if target == 0:
        assert due == start
    elif target <= total:
        assert due == minute(start, cumulative.index(target))
        assert elapsed_minutes(calendar, start, due, pauses) == target
        assert elapsed_minutes(calendar, start, due - timedelta(microseconds=1), pauses) < target
        warn = warn_at(calendar, start, target, pauses, fraction=0.5)
        assert warn is not None
        assert warn <= due
        assert elapsed_minutes(calendar, start, warn, pauses) == pytest.approx(target / 2)
    elif any(b is None and a < n for a, b in pauses_minutes):
        # The clock stopped for good inside the window, short of the target.
        assert due is None
        assert warn_at(calendar, start, target, pauses, fraction=1.0) is None
    elif due is not None:
        assert due > minute(start, n - 1)


@given(
    st.sampled_from(ZONES),
    st.lists(day_intervals(), min_size=7, max_size=7).filter(any),
    st.integers(0, YEARS_MINUTES * 60_000_000),
    st.integers(0, 60 * 200_000),
)
def test_add_then_measure_round_trips_to_the_second(zone, weekly, start_us, seconds):
    """minutes_between(s, add_minutes(s, m)) == m at any microsecond and any whole second."""
    calendar = BusinessCalendar(timezone=zone, weekly=tuple(tuple(d) for d in weekly))
    start = YEARS_START + timedelta(microseconds=start_us)
    m = seconds / 60
    end = calendar.add_minutes(start, m)
    assert end >= start
    assert calendar.minutes_between(start, end) == m
    if m:
        # Earliest: a microsecond earlier the target has not been reached.
        assert calendar.minutes_between(start, end - timedelta(microseconds=1)) < m


# --------------------------------------------------------------------------- by hand

OFFICE = {d: [["09:00", "17:00"]] for d in range(5)}  # Monday to Friday, 09:00–17:00


def office(*holidays: date) -> BusinessCalendar:
    return BusinessCalendar.from_spec(timezone="Europe/Madrid", weekly=OFFICE, holidays=holidays)


FRIDAY_1630 = datetime(2026, 3, 6, 16, 30, tzinfo=MADRID)
MONDAY = date(2026, 3, 9)


def test_friday_afternoon_ticket_is_due_monday_morning():
    calendar = office()
    assert due_at(calendar, FRIDAY_1630, 120, []) == datetime(2026, 3, 9, 10, 30, tzinfo=MADRID)
    assert calendar.add_minutes(FRIDAY_1630, 120) == datetime(2026, 3, 9, 10, 30, tzinfo=MADRID)
    monday_noon = datetime(2026, 3, 9, 12, 0, tzinfo=MADRID)
    assert calendar.minutes_between(FRIDAY_1630, monday_noon) == 30 + 180


def test_monday_holiday_moves_due_date_to_tuesday():
    calendar = office(MONDAY)
    assert due_at(calendar, FRIDAY_1630, 120, []) == datetime(2026, 3, 10, 10, 30, tzinfo=MADRID)
    assert not calendar.is_open(datetime(2026, 3, 9, 11, 0, tzinfo=MADRID))
    assert calendar.is_open(datetime(2026, 3, 10, 11, 0, tzinfo=MADRID))


def test_target_ending_at_closing_time_is_due_at_closing_not_next_opening():
    calendar = office()
    friday_16 = datetime(2026, 3, 6, 16, 0, tzinfo=MADRID)
    friday_17 = datetime(2026, 3, 6, 17, 0, tzinfo=MADRID)
    assert calendar.add_minutes(friday_16, 60) == friday_17
    assert not calendar.is_open(friday_17)  # intervals are closed at their end
    assert calendar.next_open(friday_17) == datetime(2026, 3, 9, 9, 0, tzinfo=MADRID)


def test_start_outside_hours_waits_for_opening_and_zero_minutes_is_the_start():
    calendar = office()
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=MADRID)
    assert calendar.add_minutes(saturday, 0) == saturday
    assert due_at(calendar, saturday, 0, []) == saturday
    assert calendar.add_minutes(saturday, 1) == datetime(2026, 3, 9, 9, 1, tzinfo=MADRID)
    assert calendar.next_open(saturday) == datetime(2026, 3, 9, 9, 0, tzinfo=MADRID)
    inside = datetime(2026, 3, 9, 9, 30, tzinfo=MADRID)
    assert calendar.next_open(inside) == inside


def test_weekend_pause_costs_nothing():
    calendar = office()
    pause = (datetime(2026, 3, 6, 17, 0, tzinfo=MADRID), datetime(2026, 3, 9, 9, 0, tzinfo=MADRID))
    assert due_at(calendar, FRIDAY_1630, 120, [pause]) == datetime(
        2026, 3, 9, 10, 30, tzinfo=MADRID
    )


def test_pause_in_working_hours_shifts_due_time_by_its_length():
    calendar = office()
    pause = (datetime(2026, 3, 9, 9, 0, tzinfo=MADRID), datetime(2026, 3, 9, 9, 45, tzinfo=MADRID))
    assert due_at(calendar, FRIDAY_1630, 120, [pause]) == datetime(
        2026, 3, 9, 11, 15, tzinfo=MADRID
    )
    now = datetime(2026, 3, 9, 10, 0, tzinfo=MADRID)
    assert elapsed_minutes(calendar, FRIDAY_1630, now, [pause]) == 30 + 15


def test_overlapping_unsorted_pauses_and_pauses_before_start_count_once():
    calendar = office()
    pauses = [
        (datetime(2026, 3, 9, 9, 30, tzinfo=MADRID), datetime(2026, 3, 9, 10, 0, tzinfo=MADRID)),
        (datetime(2026, 3, 9, 9, 0, tzinfo=MADRID), datetime(2026, 3, 9, 9, 45, tzinfo=MADRID)),
        # Began before the ticket: only its part after the start pauses the clock.
        (datetime(2026, 3, 6, 12, 0, tzinfo=MADRID), datetime(2026, 3, 6, 16, 45, tzinfo=MADRID)),
    ]
    # 15 minutes on Friday, then Monday from 10:00: 105 minutes more.
    assert due_at(calendar, FRIDAY_1630, 120, pauses) == datetime(2026, 3, 9, 11, 45, tzinfo=MADRID)


def test_open_pause_leaves_due_date_unknown_unless_already_reached():
    calendar = office()
    waiting = [(datetime(2026, 3, 9, 9, 30, tzinfo=MADRID), None)]
    assert due_at(calendar, FRIDAY_1630, 120, waiting) is None
    assert due_at(calendar, FRIDAY_1630, 60, waiting) == datetime(2026, 3, 9, 9, 30, tzinfo=MADRID)
    later = datetime(2026, 3, 20, 12, 0, tzinfo=MADRID)
    assert elapsed_minutes(calendar, FRIDAY_1630, later, waiting) == 60


def test_warn_at_flags_eighty_percent_of_the_target():
    calendar = office()
    # 96 minutes: 30 on Friday, 66 on Monday.
    assert warn_at(calendar, FRIDAY_1630, 120, []) == datetime(2026, 3, 9, 10, 6, tzinfo=MADRID)
    waiting = [(datetime(2026, 3, 9, 9, 0, tzinfo=MADRID), None)]
    assert warn_at(calendar, FRIDAY_1630, 120, waiting) is None


def sunday_calendar(zone: str, start: str, end: str) -> BusinessCalendar:
    return BusinessCalendar.from_spec(timezone=zone, weekly={6: [[start, end]]})


def sunday_minutes(calendar: BusinessCalendar, sunday: date, tz: ZoneInfo) -> float:
    start = datetime(sunday.year, sunday.month, sunday.day, tzinfo=tz)
    return calendar.minutes_between(start, start + timedelta(days=2))


def test_madrid_spring_forward_skips_the_missing_hour():
    calendar = sunday_calendar("Europe/Madrid", "01:00", "05:00")
    assert sunday_minutes(calendar, date(2026, 3, 22), MADRID) == 240
    assert sunday_minutes(calendar, date(2026, 3, 29), MADRID) == 180  # 02:00 → 03:00
    one_thirty = datetime(2026, 3, 29, 1, 30, tzinfo=MADRID)
    assert calendar.add_minutes(one_thirty, 60) == datetime(2026, 3, 29, 3, 30, tzinfo=MADRID)
    # An interval that lies wholly in the skipped hour gives nothing that day.
    in_gap = sunday_calendar("Europe/Madrid", "02:15", "02:45")
    assert sunday_minutes(in_gap, date(2026, 3, 29), MADRID) == 0
    assert sunday_minutes(in_gap, date(2026, 4, 5), MADRID) == 30


def test_madrid_fall_back_counts_the_repeated_hour_twice():
    calendar = sunday_calendar("Europe/Madrid", "01:00", "05:00")
    assert sunday_minutes(calendar, date(2026, 10, 25), MADRID) == 300  # 03:00 → 02:00
    in_fold = sunday_calendar("Europe/Madrid", "02:15", "02:45")
    assert sunday_minutes(in_fold, date(2026, 10, 25), MADRID) == 60
    first_0230 = datetime(2026, 10, 25, 2, 30, tzinfo=MADRID)  # fold=0: summer time
    # 15 minutes to the first 02:45, 15 more from the second 02:15: 02:30 winter time.
    assert in_fold.add_minutes(first_0230, 30) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_mexico_city_changes_until_dst_was_abolished():
    calendar = sunday_calendar("America/Mexico_City", "01:00", "05:00")
    assert sunday_minutes(calendar, date(2022, 4, 3), MEXICO) == 180
    assert sunday_minutes(calendar, date(2022, 10, 30), MEXICO) == 300
    assert sunday_minutes(calendar, date(2023, 4, 2), MEXICO) == 240  # no DST since 2022
    assert sunday_minutes(calendar, date(2023, 10, 29), MEXICO) == 240


def test_santiago_changes_at_midnight():
    saturday_night = BusinessCalendar.from_spec(
        timezone="America/Santiago", weekly={5: [["22:00", "24:00"]]}
    )
    start = datetime(2026, 4, 4, tzinfo=SANTIAGO)
    # Clocks go back from Sunday 00:00 to Saturday 23:00: 22:00–24:00 lasts three hours.
    assert saturday_night.minutes_between(start, start + timedelta(days=2)) == 180
    early_sunday = sunday_calendar("America/Santiago", "00:00", "02:00")
    # Clocks go forward from Sunday 00:00 to 01:00: the interval loses its first hour.
    assert sunday_minutes(early_sunday, date(2026, 9, 6), SANTIAGO) == 60
    assert sunday_minutes(early_sunday, date(2026, 9, 13), SANTIAGO) == 120


def test_interval_ending_at_midnight_joins_the_next_day():
    calendar = BusinessCalendar.from_spec(
        timezone="Europe/Madrid", weekly={"0": [["20:00", "24:00"]], "1": [["00:00", "02:00"]]}
    )
    monday_23 = datetime(2026, 3, 9, 23, 0, tzinfo=MADRID)
    assert calendar.add_minutes(monday_23, 120) == datetime(2026, 3, 10, 1, 0, tzinfo=MADRID)
    assert calendar.is_open(datetime(2026, 3, 9, 23, 59, tzinfo=MADRID))


def test_always_open_counts_wall_clock_minutes_in_any_zone():
    calendar = BusinessCalendar.always_open()
    start = datetime(2026, 10, 25, 1, 0, tzinfo=MADRID)
    end = datetime(2026, 10, 25, 4, 0, tzinfo=MADRID)  # four real hours (fall back)
    assert calendar.minutes_between(start, end) == 240
    assert calendar.add_minutes(start, 240) == end
    assert calendar.is_open(datetime(2026, 12, 25, 3, 0, tzinfo=UTC))


def test_long_run_of_holidays_ends():
    holidays = [date(2026, 1, 1) + timedelta(days=k) for k in range(400)]
    calendar = office(*holidays)
    start = datetime(2025, 12, 31, 16, 0, tzinfo=MADRID)
    # 60 minutes on Wednesday 31 December, then nothing until Friday 2027-02-05.
    assert calendar.add_minutes(start, 120) == datetime(2027, 2, 5, 10, 0, tzinfo=MADRID)


def test_calendar_is_hashable_and_round_trips_through_its_spec():
    spec = {
        "timezone": "Europe/Madrid",
        "weekly": {"0": [["15:00", "19:00"], ["09:00", "14:00"]], 4: [["08:00", "15:00"]]},
        "holidays": ["2026-01-06", date(2026, 12, 25)],
    }
    calendar = BusinessCalendar.from_spec(**spec)
    assert calendar.weekly[0] == ((540, 840), (900, 1140))  # sorted
    assert calendar.to_spec() == {
        "timezone": "Europe/Madrid",
        "weekly": {"0": [["09:00", "14:00"], ["15:00", "19:00"]], "4": [["08:00", "15:00"]]},
        "holidays": ["2026-01-06", "2026-12-25"],
    }
    again = BusinessCalendar.from_spec(**calendar.to_spec())
    assert again == calendar
    assert {calendar: "cached"}[again] == "cached"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"timezone": "Europe/Madird"}, "timezone: unknown time zone 'Europe/Madird'"),
        ({"timezone": ""}, "timezone: unknown time zone ''"),
        ({"timezone": "America"}, "timezone: unknown time zone 'America'"),  # a directory
        ({"weekly": {7: [["09:00", "17:00"]]}}, "weekly: unknown weekday 7"),
        ({"weekly": {"mon": [["09:00", "17:00"]]}}, "weekly: unknown weekday 'mon'"),
        ({"weekly": {0: [], "0": []}}, "weekly: weekday 0 (Monday) given twice"),
        (
            {"weekly": {2: [["09:00", "13:00"], ["18:00", "09:00"]]}},
            "weekly[2][1]: end 09:00 is not after start 18:00",
        ),
        ({"weekly": {2: [["09:00", "09:00"]]}}, "weekly[2][0]: end 09:00 is not after start 09:00"),
        ({"weekly": {3: [["9h", "17:00"]]}}, "weekly[3][0]: '9h' is not a time HH:MM"),
        (
            {"weekly": {3: [["09:00", "25:00"]]}},
            "weekly[3][0]: '25:00' is not a time between 00:00 and 24:00",
        ),
        ({"weekly": {3: [["09:00", "17:60"]]}}, "weekly[3][0]: '17:60' is not a time between"),
        ({"weekly": {3: [["24:00", "24:00"]]}}, "weekly[3][0]: 24:00 is only allowed as an end"),
        ({"weekly": {4: [["09:00"]]}}, "weekly[4][0]: expected [start, end]"),
        ({"weekly": {4: "09:00-17:00"}}, "weekly[4]: expected a list of [start, end] pairs"),
        ({"weekly": [["09:00", "17:00"]]}, "weekly: expected a mapping"),
        (
            {"weekly": {1: [["09:00", "14:00"], ["13:00", "17:00"]]}},
            "weekly[1][1]: 13:00–17:00 overlaps weekly[1][0] 09:00–14:00",
        ),
        ({"weekly": {}}, "weekly: no working time on any day"),
        ({"weekly": {0: [], 6: []}}, "weekly: no working time on any day"),
        ({"holidays": ["2026-02-30"]}, "holidays[0]: '2026-02-30' is not a date YYYY-MM-DD"),
        ({"holidays": [date(2026, 1, 1), 20260106]}, "holidays[1]: 20260106 is not a date"),
    ],
)
def test_bad_spec_is_refused_naming_the_part(spec, message):
    arguments = {"timezone": "Europe/Madrid", "weekly": OFFICE, **spec}
    with pytest.raises(ValueError) as error:
        BusinessCalendar.from_spec(**arguments)
    assert message in str(error.value)


NAIVE = datetime(2026, 3, 9, 10, 0)
AWARE = datetime(2026, 3, 9, 10, 0, tzinfo=MADRID)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.is_open(NAIVE), "at"),
        (lambda c: c.next_open(NAIVE), "at"),
        (lambda c: c.minutes_between(NAIVE, AWARE), "start"),
        (lambda c: c.minutes_between(AWARE, NAIVE), "end"),
        (lambda c: c.add_minutes(NAIVE, 5), "start"),
        (lambda c: elapsed_minutes(c, AWARE, NAIVE, []), "now"),
        (lambda c: due_at(c, NAIVE, 5, []), "start"),
        (lambda c: due_at(c, AWARE, 5, [(AWARE, NAIVE)]), "pauses[0] end"),
        (lambda c: due_at(c, AWARE, 5, [(AWARE, None), (NAIVE, None)]), "pauses[1] start"),
    ],
)
def test_naive_datetimes_are_refused_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}: .* is naive"):
        call(office())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.add_minutes(AWARE, -1), "minutes: -1 is not a finite number of minutes"),
        (lambda c: c.add_minutes(AWARE, float("nan")), "minutes: nan is not a finite"),
        (lambda c: due_at(c, AWARE, float("inf"), []), "target_minutes: inf is not a finite"),
        (lambda c: due_at(c, AWARE, "60", []), "target_minutes: expected a number"),
        (
            lambda c: due_at(c, AWARE, 60, [(AWARE, AWARE - timedelta(minutes=1))]),
            "pauses[0]: end 2026-03-09T09:59:00+01:00 is before start",
        ),
        (lambda c: due_at(c, AWARE, 60, [(AWARE,)]), "pauses[0]: expected (start, end or None)"),
        (lambda c: warn_at(c, AWARE, 60, [], fraction=1.5), "fraction: 1.5 is not between 0 and 1"),
    ],
)
def test_bad_minutes_and_pauses_are_refused(call, message):
    with pytest.raises(ValueError) as error:
        call(office())
    assert message in str(error.value)
