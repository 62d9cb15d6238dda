"""PRC working days, including make-up working days, and the refusal to guess beyond known years."""

from __future__ import annotations

import datetime as dt

import pytest

from hegui.errors import UsageError
from hegui.rules import calendar
from hegui.rules.calendar import CalendarRangeError, add_working_days, is_working_day, parse_schedule

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 26), True),  # Sunday make-up day before Spring Festival
        (D(2025, 1, 28), False),  # Spring Festival eve, holiday
        (D(2025, 2, 8), True),  # Saturday make-up day
        (D(2025, 10, 8), False),  # last day of the 8-day National Day / Mid-Autumn break
        (D(2025, 10, 11), True),  # Saturday make-up
        (D(2024, 2, 9), True),  # 除夕 2024 was not an official holiday
        (D(2024, 2, 18), True),  # Sunday make-up
        (D(2026, 1, 4), True),  # Sunday make-up after New Year 2026
        (D(2026, 2, 23), False),
        (D(2026, 3, 7), False),  # ordinary Saturday
        (D(2026, 3, 9), True),  # ordinary Monday
    ],
)
def test_is_working_day(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_ten_working_days_across_national_day_2025() -> None:
    # Fri 26 Sep: Sun 28 (make-up), 29, 30, [1-8 Oct off], 9, 10, Sat 11 (make-up), 13, 14, 15, 16.
    assert add_working_days(D(2025, 9, 26), 10) == D(2025, 10, 16)


def test_zero_working_days_is_the_start_day() -> None:
    assert add_working_days(D(2025, 3, 3), 0) == D(2025, 3, 3)


def test_crossing_into_a_known_next_year() -> None:
    assert add_working_days(D(2025, 12, 22), 20) == D(2026, 1, 20)


def test_beyond_known_years_is_a_clear_error() -> None:
    last = max(calendar.known_years())
    with pytest.raises(CalendarRangeError, match=f"no PRC holiday schedule for {last + 1}"):
        add_working_days(D(last, 12, 28), 10)
    with pytest.raises(CalendarRangeError):
        is_working_day(D(2019, 5, 1))


def test_schedule_validation_rejects_weekday_makeup_days() -> None:
    raw = {"year": 2030, "holidays": [], "makeup_workdays": ["2030-01-02"]}
    with pytest.raises(UsageError, match="not a weekend day"):
        parse_schedule(raw, "x.yaml")


def test_schedule_validation_rejects_dates_in_another_year() -> None:
    raw = {"year": 2030, "holidays": [{"name": "x", "from": "2031-01-01", "to": "2031-01-01"}]}
    with pytest.raises(UsageError, match="not in 2030"):
        parse_schedule(raw, "x.yaml")


def test_every_bundled_year_has_holidays_and_makeup_days() -> None:
    for year, sched in calendar.schedules().items():
        assert len(sched.holidays) >= 20, year
        assert sched.makeup_workdays, year
        assert sched.source, year
