"""PRC working-day calendar: weekends, public holidays and make-up working days (调休), one data file per year.

Filing deadlines are counted in working days (Algorithm Provisions Arts. 24-25). The State Council publishes each
year's schedule in the autumn before, so the calendar knows only the years it has data for and refuses to guess
beyond them: a deadline that runs into an unknown year raises :class:`CalendarRangeError`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources

from hegui.errors import UsageError
from hegui.rules.yamlio import loads_yaml


class CalendarRangeError(UsageError):
    """A date falls in a year whose holiday schedule hegui does not have."""


@dataclass(frozen=True)
class YearSchedule:
    year: int
    status: str
    source: str
    holidays: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]
    names: dict[dt.date, str]


def _as_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def parse_schedule(raw: dict[str, object], where: str) -> YearSchedule:
    """Validate one year file: every date must fall in its year; make-up days must be weekends."""
    year = int(str(raw["year"]))
    holidays: set[dt.date] = set()
    names: dict[dt.date, str] = {}
    for block in raw.get("holidays", []) or []:  # type: ignore[attr-defined]
        start = _as_date(block["from"], where)
        end = _as_date(block["to"], where)
        if end < start:
            raise UsageError(f"{where}: holiday {block['name']} ends before it starts")
        day = start
        while day <= end:
            holidays.add(day)
            names[day] = str(block["name"])
            day += dt.timedelta(days=1)
    makeup = {_as_date(d, where) for d in raw.get("makeup_workdays", []) or []}  # type: ignore[attr-defined]
    for d in holidays | makeup:
        if d.year != year:
            raise UsageError(f"{where}: {d} is not in {year}")
    for d in makeup:
        if d.weekday() < 5:
            raise UsageError(f"{where}: make-up working day {d} is not a weekend day")
        if d in holidays:
            raise UsageError(f"{where}: {d} is both a holiday and a make-up working day")
    return YearSchedule(
        year=year,
        status=str(raw.get("status", "to_verify")),
        source=str(raw.get("source", "")),
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup),
        names=names,
    )


@functools.cache
def schedules() -> dict[int, YearSchedule]:
    """All bundled years, keyed by year."""
    out: dict[int, YearSchedule] = {}
    folder = resources.files("hegui.rules").joinpath("data/calendar")
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            where = f"hegui/rules/data/calendar/{entry.name}"
            sched = parse_schedule(loads_yaml(entry.read_text(encoding="utf-8"), source=where), where)
            out[sched.year] = sched
    return out


def known_years() -> list[int]:
    return sorted(schedules())


def _schedule(day: dt.date) -> YearSchedule:
    try:
        return schedules()[day.year]
    except KeyError:
        years = known_years()
        raise CalendarRangeError(
            f"no PRC holiday schedule for {day.year} (hegui knows {years[0]}-{years[-1]}); add "
            f"hegui/rules/data/calendar/{day.year}.yaml from the State Council notice, or count by hand"
        ) from None


def is_working_day(day: dt.date) -> bool:
    """Mon-Fri unless a public holiday; Sat/Sun only when a make-up working day."""
    sched = _schedule(day)
    if day in sched.makeup_workdays:
        return True
    if day in sched.holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` (the start day itself is not counted), i.e. the last day to act."""
    if n < 0:
        raise UsageError(f"working days must be non-negative, got {n}")
    _schedule(start)
    day = start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
