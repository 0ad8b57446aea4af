"""Business-day arithmetic over weekends and Korean public holidays (no DB)."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmcs_site.business_time import (
    SEOUL,
    DueRuleError,
    add_business_days,
    business_days_between,
    due_at,
    holiday_name,
    is_business_day,
    next_business_day,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 24), True),  # a Tuesday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 2, 17), False),  # 설날
        (date(2026, 2, 16), False),  # 설날 전날
        (date(2025, 10, 6), False),  # 추석
        (date(2025, 10, 8), False),  # 추석 대체공휴일
        (date(2025, 3, 3), False),  # 삼일절 대체공휴일
        (date(2025, 10, 10), True),  # the Friday after the long 추석 weekend
    ],
)
def test_is_business_day(day, expected):
    assert is_business_day(day) is expected


def test_holiday_names_are_korean():
    assert "설날" in holiday_name(date(2026, 2, 17))
    assert holiday_name(date(2026, 11, 24)) is None


def test_next_business_day_skips_weekend_and_holidays():
    assert next_business_day(date(2026, 11, 27)) == date(2026, 11, 30)  # Fri -> Mon
    # 추석 2025: Fri 10-03 개천절, weekend, 10-06..10-08 추석+대체, 10-09 한글날
    assert next_business_day(date(2025, 10, 2)) == date(2025, 10, 10)


def test_five_business_days_across_seollal_2026():
    # Thu 2026-02-12 + 5 business days: 13 (Fri), [16,17,18 설날], 19, 20, 23, 24
    assert add_business_days(date(2026, 2, 12), 5) == date(2026, 2, 24)


def test_business_days_between_counts_only_business_days():
    assert business_days_between(date(2026, 2, 12), date(2026, 2, 24)) == 5
    assert business_days_between(date(2026, 2, 12), date(2026, 2, 12)) == 0


def test_due_at_rules():
    start = datetime(2026, 11, 27, 15, 30, tzinfo=SEOUL)  # Friday afternoon
    assert due_at("business_days:3", start) == datetime(2026, 12, 2, 15, 30, tzinfo=SEOUL)
    assert due_at("days:14", start) == start + timedelta(days=14)
    assert due_at("hours:4", start) == start + timedelta(hours=4)
    assert due_at("next_business_day", start) == datetime(2026, 11, 30, 18, 0, tzinfo=SEOUL)


def test_due_at_converts_to_seoul_first():
    from datetime import UTC

    utc_start = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 2026-11-28 01:00 in Seoul (Sat)
    assert due_at("business_days:1", utc_start).date() == date(2026, 11, 30)
    assert due_at("business_days:1", utc_start).hour == 1


@pytest.mark.parametrize("rule", ["weeks:2", "business_days:x", "days:", "next_business_day:2"])
def test_due_at_rejects_unknown_rules(rule):
    with pytest.raises(DueRuleError):
        due_at(rule, datetime(2026, 11, 24, 9, tzinfo=SEOUL))


def test_due_at_needs_an_aware_start():
    with pytest.raises(ValueError):
        due_at("days:1", datetime(2026, 11, 24, 9))


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)), st.integers(0, 30))
def test_add_business_days_lands_on_a_business_day(day, count):
    result = add_business_days(day, count)
    assert result >= day
    assert business_days_between(day, result) == count
    if count:
        assert is_business_day(result)
