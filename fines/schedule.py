"""When a payout is paid: the daily batch rule of seed 004, as a pure function.

"어드민 생성 시간에 따라 당일 또는 익일 14시 지급": a payout created strictly before the cutoff
(center settings ``payout_cutoff``, seed 14:00 Asia/Seoul) is paid in that day's batch
(``payout_batch_time``, seed 14:00); one created at or after the cutoff goes to the next
day's batch. 14:00:00 itself is *not* before the cutoff, so it goes to the next day: the batch
starts at 14:00 and a row created in that second may already have missed it.

Weekends: the seed says 당일 또는 익일 (calendar days) and Korean interbank transfers settle
every day, so by default Saturday and Sunday are ordinary batch days. With
``KMCS_PAYOUT_SKIP_WEEKENDS = True`` a Saturday or Sunday run moves to Monday. Public holidays are
not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def parse_hhmm(value: str) -> time:
    """ "14:00" -> time(14, 0); a clear error for a malformed setting."""
    try:
        hour, minute = (int(part) for part in value.split(":"))
        return time(hour, minute)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"시각 설정은 HH:MM 형식이어야 합니다: {value!r}") from exc


@dataclass(frozen=True)
class PayoutPolicy:
    cutoff: time = time(14, 0)
    batch_time: time = time(14, 0)
    skip_weekends: bool = False

    @classmethod
    def from_rules(cls, rules) -> PayoutPolicy:
        """From a ``cases.playbooks.center.CenterRules`` (what playbooks get from ``env``)."""
        from django.conf import settings

        return cls(
            cutoff=rules.payout_cutoff,
            batch_time=rules.payout_batch_time,
            skip_weekends=settings.KMCS_PAYOUT_SKIP_WEEKENDS,
        )

    @classmethod
    def from_settings(cls, at: datetime | None = None) -> PayoutPolicy:
        """Cutoff and batch time from the center settings in force at ``at`` (default now;
        ``rules.CenterSettings``, edited by leads in the admin, no restart needed)."""
        from django.conf import settings

        from rules.selectors import center_rules

        rules = center_rules(at)
        return cls(
            cutoff=rules.payout_cutoff,
            batch_time=rules.payout_batch_time,
            skip_weekends=settings.KMCS_PAYOUT_SKIP_WEEKENDS,
        )


def _next_batch_day(day: date, policy: PayoutPolicy) -> date:
    while policy.skip_weekends and day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def scheduled_payout_at(created_at: datetime, policy: PayoutPolicy | None = None) -> datetime:
    """The batch moment (aware, Asia/Seoul) that pays a payout created at ``created_at``."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    policy = policy or PayoutPolicy()
    local = created_at.astimezone(SEOUL)
    day = local.date()
    if local.time() >= policy.cutoff or policy.skip_weekends and day.weekday() >= 5:
        day += timedelta(days=1)
    day = _next_batch_day(day, policy)
    return datetime.combine(day, policy.batch_time, tzinfo=SEOUL)


def batch_moment(on: date, policy: PayoutPolicy | None = None) -> datetime:
    """The batch moment of the day ``on`` (the run the 14:00 task performs that day)."""
    policy = policy or PayoutPolicy()
    return datetime.combine(on, policy.batch_time, tzinfo=SEOUL)
