"""Due-time rules of the step clocks over weekends, Korean public holidays and the 14:00 payout
cutoff, service levels, and how a pause moves a due time (kmcs_site.business_time; no DB)."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fines.schedule import PayoutPolicy
from kmcs_site.business_time import (
    SEOUL,
    DueRuleError,
    due_at,
    extend_for_pause,
    holiday_name,
    is_business_day,
    resolve_rule,
)


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


LEVELS = {"team": "business_days:3", "customer": "days:7", "loop": "service_level:team"}


def test_the_calendar_this_file_relies_on_comes_from_the_package():
    # Not written here: the `holidays` KR calendar says so (a wrong assumption fails loudly).
    assert "추석" in holiday_name(date(2025, 10, 6))
    assert "대체" in holiday_name(date(2025, 10, 8))  # 추석 substitute holiday
    assert "한글날" in holiday_name(date(2025, 10, 9))
    assert "설날" in holiday_name(date(2026, 2, 17))
    assert "대체" in holiday_name(date(2025, 3, 3))  # 삼일절 fell on a Saturday
    assert holiday_name(date(2025, 10, 10)) is None


# --- business days ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        # refund 3-5 영업일 (seed 000/002), decided on a Friday afternoon: the weekend is skipped
        ("business_days:5", kst(2026, 11, 27, 15, 30), kst(2026, 12, 4, 15, 30)),
        # across 추석 2025: 10-03 개천절, 10-06..08 추석 + 대체공휴일, 10-09 한글날
        ("business_days:3", kst(2025, 10, 2, 10, 0), kst(2025, 10, 14, 10, 0)),
        # across 설날 2026: 02-16..18
        ("business_days:5", kst(2026, 2, 12, 9, 0), kst(2026, 2, 24, 9, 0)),
        # 대체공휴일 2025-03-03 (삼일절 on Saturday): Friday + 1 business day is Tuesday
        ("business_days:1", kst(2025, 2, 28, 11, 0), kst(2025, 3, 4, 11, 0)),
        # started on a holiday itself: counting starts from the next business day
        ("business_days:1", kst(2025, 10, 6, 12, 0), kst(2025, 10, 10, 12, 0)),
    ],
)
def test_business_day_rules_skip_weekends_and_korean_holidays(rule, start, expected):
    assert due_at(rule, start) == expected
    assert is_business_day(expected.date())


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (kst(2026, 11, 27, 9, 0), kst(2026, 11, 30, 18, 0)),  # Friday -> Monday, end of day
        (kst(2025, 10, 2, 23, 0), kst(2025, 10, 10, 18, 0)),  # before 추석 -> after 한글날
        (kst(2026, 2, 13, 10, 0), kst(2026, 2, 19, 18, 0)),  # before 설날 -> Thursday after
        (kst(2025, 2, 28, 10, 0), kst(2025, 3, 4, 18, 0)),  # over the 대체공휴일
    ],
)
def test_next_business_day_for_hiparking_without_site_contact(start, expected):
    assert due_at("next_business_day", start) == expected


def test_calendar_day_and_hour_rules_ignore_holidays():
    start = kst(2025, 10, 2, 10, 0)
    assert due_at("days:14", start) == kst(2025, 10, 16, 10, 0)  # dashcam "2주 정도"
    assert due_at("hours:4", start) == kst(2025, 10, 2, 14, 0)


# --- the 14:00 payout batch ---------------------------------------------------------------------
POLICY = PayoutPolicy()  # cutoff 14:00, batch 14:00, calendar days (seed: 당일 또는 익일)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (kst(2024, 6, 20, 13, 59, 59), kst(2024, 6, 20, 14, 0)),  # before the cutoff: same day
        (kst(2024, 6, 20, 14, 0), kst(2024, 6, 21, 14, 0)),  # at the cutoff: next day
        (kst(2024, 6, 20, 23, 30), kst(2024, 6, 21, 14, 0)),
        (kst(2024, 6, 22, 9, 0), kst(2024, 6, 22, 14, 0)),  # Saturday is a batch day
        (kst(2025, 10, 6, 15, 0), kst(2025, 10, 7, 14, 0)),  # 추석: interbank runs daily
    ],
)
def test_payout_batch_rule_follows_the_14_00_cutoff(created, expected):
    assert due_at("payout_batch", created, payout_policy=POLICY) == expected


def test_payout_batch_rule_can_skip_weekends_by_policy():
    policy = PayoutPolicy(skip_weekends=True)
    assert due_at("payout_batch", kst(2024, 6, 21, 15, 0), payout_policy=policy) == kst(
        2024, 6, 24, 14, 0
    )


@pytest.mark.django_db  # the center settings (rules app) are rows
def test_payout_batch_rule_reads_the_center_settings_in_force_by_default(settings):
    """Seed 004 "어드민 생성 시간에 따라 당일 또는 익일 14시 지급": the cutoff and batch time are
    the center settings a lead edits (rules.CenterSettings), read at the payout's moment. Django
    settings no longer decide them."""
    from rules.models import CenterSettings
    from rules.services import center_settings_create

    settings.KMCS_PAYOUT_CUTOFF = "09:00"  # ignored: not a center setting any more
    in_force = CenterSettings.objects.order_by("-effective_from").first()
    assert due_at("payout_batch", kst(2024, 6, 20, 12, 30)) == kst(2024, 6, 20, 14, 0)
    center_settings_create(
        actor=None,
        effective_from=kst(2024, 6, 1, 0, 0),
        payout_cutoff=time(12, 0),
        payout_batch_time=time(15, 0),
        dispute_driver_share_pct=in_force.dispute_driver_share_pct,
        dispute_company_share_pct=in_force.dispute_company_share_pct,
        dashcam_wait_days=in_force.dashcam_wait_days,
        evidence_max_distance_m=in_force.evidence_max_distance_m,
        evidence_time_slack_minutes=in_force.evidence_time_slack_minutes,
        evidence_parking_window_hours=in_force.evidence_parking_window_hours,
        coupon_link=in_force.coupon_link,
        deposit_account=in_force.deposit_account,
    )
    assert due_at("payout_batch", kst(2024, 6, 20, 12, 30)) == kst(2024, 6, 21, 15, 0)
    assert due_at("payout_batch", kst(2024, 6, 20, 11, 0)) == kst(2024, 6, 20, 15, 0)
    # before the new row's moment the earlier row is still the rule
    assert due_at("payout_batch", kst(2024, 5, 31, 12, 30)) == kst(2024, 5, 31, 14, 0)


# --- service levels -----------------------------------------------------------------------------
def test_service_levels_resolve_through_the_setting(settings):
    assert resolve_rule("service_level:team", LEVELS) == "business_days:3"
    assert resolve_rule("days:14", LEVELS) == "days:14"
    assert due_at("service_level:team", kst(2025, 10, 2, 10, 0), levels=LEVELS) == kst(
        2025, 10, 14, 10, 0
    )
    # the shipped default: seed 003's "담당부서 ... 순차적으로" = 3 business days
    assert settings.KMCS_SERVICE_LEVELS["team"] == "business_days:3"
    settings.KMCS_SERVICE_LEVELS = {**settings.KMCS_SERVICE_LEVELS, "team": "business_days:1"}
    assert due_at("service_level:team", kst(2025, 10, 2, 10, 0)) == kst(2025, 10, 10, 10, 0)


@pytest.mark.parametrize("rule", ["service_level:nobody", "service_level:loop", "service_level:"])
def test_unknown_or_looping_service_levels_are_refused(rule):
    with pytest.raises(DueRuleError):
        due_at(rule, kst(2025, 10, 2, 10, 0), levels=LEVELS)


@pytest.mark.django_db  # the center settings (rules app) are rows
def test_every_waits_on_has_a_default_service_level(settings):
    from cases.playbooks.base import WAITS_ON

    start = kst(2025, 10, 2, 10, 0)
    for who in WAITS_ON:
        assert due_at(f"service_level:{who}", start) >= start, who


# --- pauses -------------------------------------------------------------------------------------
def test_a_pause_moves_a_business_day_promise_by_the_business_days_it_touched():
    due = kst(2025, 10, 14, 10, 0)  # Tuesday
    # Monday 09:00 -> Wednesday 09:00: Tuesday and Wednesday were lost -> Thursday
    assert extend_for_pause("business_days:3", due, kst(2025, 10, 13, 9), kst(2025, 10, 15, 9)) == (
        kst(2025, 10, 16, 10, 0)
    )
    # Friday evening -> Monday morning: one business day (Monday), not three calendar days
    assert extend_for_pause(
        "business_days:3", due, kst(2025, 10, 10, 17), kst(2025, 10, 13, 9)
    ) == (kst(2025, 10, 15, 10, 0))
    # within one day: no business day lost
    assert (
        extend_for_pause("business_days:3", due, kst(2025, 10, 13, 9), kst(2025, 10, 13, 17)) == due
    )


def test_a_pause_over_holidays_costs_no_holiday():
    due = kst(2025, 10, 14, 10, 0)
    # Thursday 10-02 -> Friday 10-10: only Friday 10-10 was a business day
    assert extend_for_pause("business_days:3", due, kst(2025, 10, 2, 12), kst(2025, 10, 10, 9)) == (
        kst(2025, 10, 15, 10, 0)
    )


def test_a_pause_moves_calendar_and_hour_promises_by_wall_time():
    due = kst(2025, 10, 16, 10, 0)
    paused, resumed = kst(2025, 10, 3, 8, 0), kst(2025, 10, 4, 20, 30)
    assert extend_for_pause("days:14", due, paused, resumed) == due + (resumed - paused)
    assert extend_for_pause("hours:4", due, paused, resumed) == due + timedelta(
        hours=36, minutes=30
    )
    assert extend_for_pause("days:14", due, resumed, paused) == due  # nothing to fold


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 1)),
    st.integers(0, 20),
    st.integers(0, 15 * 24 * 60),
)
def test_paused_business_promises_still_land_on_business_days(start, count, pause_minutes):
    start = start.replace(tzinfo=SEOUL)
    due = due_at(f"business_days:{max(count, 1)}", start)
    paused = start + timedelta(hours=1)
    moved = extend_for_pause(
        "business_days:1", due, paused, paused + timedelta(minutes=pause_minutes)
    )
    assert moved >= due
    assert is_business_day(moved.astimezone(SEOUL).date())
    assert moved.astimezone(SEOUL).time() == due.astimezone(SEOUL).time()
