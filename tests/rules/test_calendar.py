"""PRC working days, including make-up working days, and the refusal to guess beyond known years."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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


def test_shipped_calendars_agree_with_the_chinese_calendar_package() -> None:
    """Every day of every shipped year: working day or not, as the ``chinese-calendar`` package says."""
    import chinese_calendar

    checked = 0
    for year in calendar.known_years():
        day = dt.date(year, 1, 1)
        while day.year == year:
            assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
            day += dt.timedelta(days=1)
            checked += 1
    assert checked >= 365 * 3


def test_2027_is_not_shipped_and_the_message_says_where_to_add_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No 2027 schedule was in the sources hegui was built from (chinese-calendar 1.11.0 stops at 2026)."""
    monkeypatch.setenv("HEGUI_DATA_DIR", str(tmp_path))
    assert 2027 not in calendar.known_years()
    with pytest.raises(
        calendar.CalendarRangeError, match=r"no PRC holiday schedule for 2027.*2027\.yaml"
    ) as exc:
        calendar.add_working_days(dt.date(2026, 12, 28), 10)
    assert str(tmp_path / "calendars" / "2027.yaml") in exc.value.detail
    assert "2027年" in exc.value.detail_zh


def test_user_calendar_folder_adds_a_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEGUI_DATA_DIR", str(tmp_path))
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "2027.yaml").write_text(
        "year: 2027\nstatus: to_verify\nsource: test data, not the State Council notice\n"
        "holidays:\n- {name: New Year, from: 2027-01-01, to: 2027-01-03}\nmakeup_workdays: []\n",
        encoding="utf-8",
    )
    assert 2027 in calendar.known_years()
    assert not calendar.is_working_day(dt.date(2027, 1, 1))
    assert calendar.add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)


def test_bad_user_calendar_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEGUI_DATA_DIR", str(tmp_path))
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "2027.yaml").write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(UsageError, match="a calendar file is a mapping"):
        calendar.known_years()


def test_a_deadline_outside_known_calendars_says_so_in_the_assessment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hegui.rules import assess

    monkeypatch.setenv("HEGUI_DATA_DIR", str(tmp_path))
    a = assess(
        {
            "name": "late",
            "offered_to_public_in_mainland": True,
            "algorithm_types": ["personalised_push"],
            "public_opinion_or_mobilisation": True,
            "launch_date": "2026-12-28",
        },
        as_of=dt.date(2026, 12, 30),
    )
    dl = next(f.deadline for f in a.findings if f.duty.id == "ALG-20")
    assert dl is not None and dl.due is None and "2027" in (dl.problem or "")
