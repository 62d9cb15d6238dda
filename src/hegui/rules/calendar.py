"""PRC working-day calendar: weekends, public holidays and make-up working days (调休), one data file per year.

Filing deadlines are counted in working days (Algorithm Provisions Arts. 24-25). The State Council publishes each
year's schedule in the autumn before, so the calendar knows only the years it has data for and refuses to guess
beyond them: a deadline that runs into an unknown year raises :class:`CalendarRangeError`, which says where to put
the missing year. Users add or correct years without touching the package: every ``YYYY.yaml`` in the user
calendar folder (``calendars`` in hegui's user data folder: ``$HEGUI_DATA_DIR/calendars``, else
``$XDG_DATA_HOME/hegui/calendars``, else ``~/.local/share/hegui/calendars``) is read after the bundled files and
wins for its year.

2027: the State Council's notice on the 2027 holidays was not in any source hegui was built from (the
``chinese-calendar`` package, 1.11.0, stops at 2026), so no 2027 file is shipped; add it to the user folder.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hegui.config import user_data_dir
from hegui.errors import UsageError
from hegui.rules.yamlio import loads_yaml


class CalendarRangeError(UsageError):
    """A date falls in a year whose holiday schedule hegui does not have."""

    def __init__(self, message: str, *, detail_zh: str = "") -> None:
        super().__init__(message)
        self.detail_zh = detail_zh or message


def user_calendar_dir() -> Path:
    """Where users put extra or corrected ``YYYY.yaml`` schedules (``calendars`` in the user data folder)."""
    return user_data_dir() / "calendars"


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


def schedules() -> dict[int, YearSchedule]:
    """All known years, keyed by year: the bundled ones, then the user folder's (which win for their year)."""
    return _schedules(str(user_calendar_dir()))


@functools.cache
def _schedules(user_dir: str) -> dict[int, YearSchedule]:
    out: dict[int, YearSchedule] = {}
    folder = resources.files("hegui.rules").joinpath("data/calendar")
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            where = f"hegui/rules/data/calendar/{entry.name}"
            sched = parse_schedule(loads_yaml(entry.read_text(encoding="utf-8"), source=where), where)
            out[sched.year] = sched
    user = Path(user_dir)
    if user.is_dir():
        for path in sorted(user.glob("*.yaml")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"{path}: cannot read the calendar file: {exc}") from None
            raw = loads_yaml(text, source=path)
            if not isinstance(raw, dict) or "year" not in raw:
                raise UsageError(f"{path}: a calendar file is a mapping with year, holidays, makeup_workdays")
            sched = parse_schedule(raw, str(path))
            out[sched.year] = sched
    return out


def known_years() -> list[int]:
    return sorted(schedules())


def _schedule(day: dt.date) -> YearSchedule:
    try:
        return schedules()[day.year]
    except KeyError:
        years = known_years()
        folder = user_calendar_dir()
        raise CalendarRangeError(
            f"no PRC holiday schedule for {day.year} (hegui knows {years[0]}-{years[-1]}); once the State "
            f"Council publishes it, add {folder / f'{day.year}.yaml'} (format: docs/rules.md), or count by hand",
            detail_zh=f"缺少{day.year}年节假日安排（已知{years[0]}-{years[-1]}年），无法计算；国务院公布后请添加"
            f" {folder / f'{day.year}.yaml'}，或人工计算",
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
