"""The payout batch rule: before the cutoff -> today 14:00, at/after -> tomorrow 14:00."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from fines.schedule import PayoutPolicy, parse_hhmm, scheduled_payout_at

SEOUL = ZoneInfo("Asia/Seoul")


def at(day, hh, mm, ss=0):
    return datetime(2024, 6, day, hh, mm, ss, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("created", "paid"),
    [
        (at(17, 13, 59), at(17, 14, 0)),  # 13:59 -> same day
        (at(17, 13, 59, 59), at(17, 14, 0)),
        (at(17, 14, 0), at(18, 14, 0)),  # 14:00 exactly is not "before the cutoff"
        (at(17, 14, 1), at(18, 14, 0)),
        (at(17, 0, 0), at(17, 14, 0)),  # midnight belongs to the new day
        (at(16, 23, 59), at(17, 14, 0)),
    ],
)
def test_cutoff_edges(created, paid):
    assert scheduled_payout_at(created, PayoutPolicy()) == paid


def test_utc_input_is_read_in_seoul():
    # 04:59 UTC = 13:59 KST; 05:00 UTC = 14:00 KST.
    utc = ZoneInfo("UTC")
    assert scheduled_payout_at(datetime(2024, 6, 17, 4, 59, tzinfo=utc)) == at(17, 14, 0)
    assert scheduled_payout_at(datetime(2024, 6, 17, 5, 0, tzinfo=utc)) == at(18, 14, 0)


def test_weekends_count_by_default():
    friday_late = at(14, 15, 0)  # 2024-06-14 is a Friday
    assert scheduled_payout_at(friday_late) == at(15, 14, 0)  # Saturday


def test_weekends_skipped_when_configured():
    policy = PayoutPolicy(skip_weekends=True)
    assert scheduled_payout_at(at(14, 15, 0), policy) == at(17, 14, 0)  # Fri late -> Mon
    assert scheduled_payout_at(at(15, 9, 0), policy) == at(17, 14, 0)  # Sat morning -> Mon
    assert scheduled_payout_at(at(14, 9, 0), policy) == at(14, 14, 0)  # Fri morning: same day


@pytest.mark.django_db
def test_cutoff_setting_moves_the_edge():
    # The cutoff is a center setting leads edit (rules.CenterSettings, issue 15), not an env var.
    from rules.models import CenterSettings

    CenterSettings.objects.update(payout_cutoff=time(13, 30))
    policy = PayoutPolicy.from_settings()
    assert policy.cutoff == time(13, 30)
    assert scheduled_payout_at(at(17, 13, 29), policy) == at(17, 14, 0)
    assert scheduled_payout_at(at(17, 13, 30), policy) == at(18, 14, 0)


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        scheduled_payout_at(datetime(2024, 6, 17, 10, 0))


def test_malformed_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm("2pm")


def test_batch_is_in_the_beat_schedule(settings):
    # Issue 15: the beat ticks every 5 minutes; the task runs at the batch time in force
    # (rules.CenterSettings), see tests/fines/test_batch_time_from_rules.py.
    entry = settings.CELERY_BEAT_SCHEDULE["fines-payout-batch"]
    assert entry["task"] == "fines.tasks.payout_batch_tick"
    assert entry["schedule"].minute == set(range(0, 60, 5))
    assert settings.CELERY_TIMEZONE == "Asia/Seoul"
