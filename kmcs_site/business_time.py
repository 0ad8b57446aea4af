"""Business days in Asia/Seoul, on the maintained Korean holiday calendar (`holidays`, KR).

The playbooks promise things in business days ("영업일 기준 3~5일"), calendar days ("2주 정도")
or "the next business day" (하이파킹 without a site contact yet). One module computes them all
so a promise reads the same on the case page, in the overdue job and in tests. No holiday is
written by hand here: 설날, 추석 and 대체공휴일 come from the package, which is updated yearly.

Two rule kinds reach outside this module, lazily and only when used: ``payout_batch`` asks
``fines.schedule`` (the one definition of "당일 또는 익일 14시"), and ``service_level:NAME`` reads
the named level from ``settings.KMCS_SERVICE_LEVELS`` (promises the seeds make without a number,
e.g. seed 003's "담당부서 ... 순차적으로 확인": the center's own service level, kept as a setting).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SEOUL = ZoneInfo("Asia/Seoul")


class DueRuleError(ValueError):
    """A due rule string that this module does not understand (a data error, shown as is)."""


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KR", years=year, language="ko")


def holiday_name(day: date) -> str | None:
    """The Korean name of the public holiday on ``day``, or None."""
    return _holidays_for(day.year).get(day)


def is_business_day(day: date) -> bool:
    """Monday to Friday, and not a Korean public holiday (substitute holidays included)."""
    return day.weekday() < 5 and day not in _holidays_for(day.year)


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """The ``count``-th business day after ``day`` (``count`` >= 0; 0 -> ``day`` itself)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    for _ in range(count):
        day = next_business_day(day)
    return day


def business_days_between(start: date, end: date) -> int:
    """Business days in (start, end]: how many business days have passed since ``start``."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count


def resolve_rule(rule: str, levels: Mapping[str, str] | None = None) -> str:
    """``service_level:NAME`` -> the rule the level names (``levels`` or the setting
    ``KMCS_SERVICE_LEVELS``); any other rule unchanged. A level may not name another level:
    one lookup, so a typo in the setting cannot loop."""
    kind, _, name = rule.partition(":")
    if kind != "service_level":
        return rule
    if levels is None:
        from django.conf import settings

        levels = settings.KMCS_SERVICE_LEVELS
    resolved = levels.get(name)
    if not resolved:
        raise DueRuleError(f"서비스 수준 '{name}'이(가) 설정(KMCS_SERVICE_LEVELS)에 없습니다.")
    if resolved.startswith("service_level:"):
        raise DueRuleError(f"서비스 수준 '{name}'은(는) 다른 서비스 수준을 가리킬 수 없습니다.")
    return resolved


def counts_business_days(rule: str) -> bool:
    """True for rules measured in business days (a pause extends them by business days)."""
    return rule.partition(":")[0] in ("business_days", "next_business_day")


def due_at(
    rule: str, start: datetime, *, levels: Mapping[str, str] | None = None, payout_policy=None
) -> datetime:
    """When a promise made at ``start`` falls due, in Asia/Seoul.

    Rules (stored on playbook steps as ``due_rule``):
    - ``business_days:N``: the same clock time on the N-th business day after the start's date;
    - ``days:N``: N calendar days later (``days:14`` = "2주 정도");
    - ``hours:N``: N hours later;
    - ``next_business_day``: the end of the next business day (18:00);
    - ``payout_batch``: the daily batch that pays a payout created at ``start`` (before the
      cutoff: that day's batch, otherwise the next day's; ``fines.schedule``);
    - ``service_level:NAME``: the rule the setting ``KMCS_SERVICE_LEVELS[NAME]`` names.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    rule = resolve_rule(rule, levels)
    local = start.astimezone(SEOUL)
    kind, _, arg = rule.partition(":")
    try:
        if kind == "business_days":
            day = add_business_days(local.date(), int(arg))
            return datetime.combine(day, local.timetz().replace(tzinfo=None), SEOUL)
        if kind == "days":
            return local + timedelta(days=int(arg))
        if kind == "hours":
            return local + timedelta(hours=int(arg))
        if kind == "next_business_day" and not arg:
            day = next_business_day(local.date())
            return datetime(day.year, day.month, day.day, 18, 0, tzinfo=SEOUL)
        if kind == "payout_batch" and not arg:
            from fines.schedule import PayoutPolicy, scheduled_payout_at

            # the center settings in force when the payout was created decide its batch (a
            # lead's change for later does not move payouts already promised)
            policy = payout_policy or PayoutPolicy.from_settings(at=local)
            return scheduled_payout_at(local, policy)
    except ValueError as exc:
        raise DueRuleError(f"기한 규칙 '{rule}'의 숫자가 올바르지 않습니다.") from exc
    raise DueRuleError(f"알 수 없는 기한 규칙입니다: '{rule}'")


def extend_for_pause(
    rule: str, due: datetime, paused_from: datetime, paused_until: datetime
) -> datetime:
    """The due time of a promise after it stood still from ``paused_from`` to ``paused_until``.

    A promise keeps its own unit: a business-day promise moves by the business days the pause
    reached into (``business_days_between`` of the two Seoul dates, so a pause within one day
    costs nothing and a Friday-to-Monday pause costs one day, not three); a calendar or hour
    promise moves by the paused wall time. ``rule`` is the resolved rule (not a service level).
    """
    if paused_until <= paused_from:
        return due
    if counts_business_days(rule):
        lost = business_days_between(
            paused_from.astimezone(SEOUL).date(), paused_until.astimezone(SEOUL).date()
        )
        local = due.astimezone(SEOUL)
        day = add_business_days(local.date(), lost)
        return datetime.combine(day, local.timetz().replace(tzinfo=None), SEOUL)
    return due + (paused_until - paused_from)
