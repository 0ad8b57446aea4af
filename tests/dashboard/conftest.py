"""A seeded data set for the dashboard: real playbooks through the services (intake, decision,
the overdue job, a fine payout), spread over October 2025 and a little outside it."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.cases.conftest import staff  # noqa: F401  (fixture)
from tests.fines.conftest import _media, intake, ride  # noqa: F401  (fixtures)

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 10, 20, 11, 0, tzinfo=SEOUL)  # "now" of the dashboard in these tests
PLAYBOOKS = ("driver_nonride_cancel", "ev_charging", "parking_double_payment")
CHANNELS = ("chatbot_board", "chat", "phone")


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def facts_for(playbook: str, n: int) -> tuple[dict, dict]:
    """(facts, references) of a valid inquiry number ``n`` of ``playbook`` (made-up data)."""
    if playbook == "driver_nonride_cancel":
        return {
            "received_on": "2025-10-01",
            "driver_id": f"drv-{n:04d}",
            "call_id": str(61_000_000 + n),
            "already_cancelled": False,
            "has_open_duplicate": False,
            "meter_distance_km": "0.0",
            "meter_minutes": 1,
            "start_equals_last_point": True,
            "cancel_reason_recorded": False,
            "fare_amount": 15000 + n * 100,
            "called_on": "2025-09-30",
            "origin": "강남역",
            "ob_unreachable": False,
        }, {}
    if playbook == "ev_charging":
        return {
            "case_type": "paid_not_charged",
            "station_name": f"테스트 충전소 {n}",
            "charge_started_at": "2025-09-30T09:00:00+09:00",
            "charge_ended_at": "2025-09-30T09:40:00+09:00",
            "tid": f"TID-{n:06d}",
            "kwh": "12.500",
            "amount": 5000,
            "cpo_name": ["가CPO", "나CPO"][n % 2],
        }, {}
    return {
        "ownership_verified": True,
        "lot_name": f"테스트 주차장 {n}",
        "lot_district": "서울 강남구",
        "entry_at": "2025-09-30T10:00:00+09:00",
        "exit_at": "2025-09-30T12:00:00+09:00",
        "car_number": "12가3456",
        "pass_amount": 6000,
        "other_app": "tmap",
        "usage_history_attached": True,
        "ticket_hours": 3 if n % 2 else 1,  # cancel_pass_payment / normal_overtime
        "onsite_check_needed": False,
    }, {"parking_payment_id": f"PP-{n:06d}"}


@pytest.fixture
def seed_cases(staff):  # noqa: F811
    """seed_cases(count, start=...) -> cases created through case_create, most decided by a
    lead some hours later (durations vary), a few left open."""
    from cases.services import case_create, case_decide

    numbers = itertools.count(1)

    def _seed(count: int, *, first_day: datetime | None = None, decide_every=4):
        first_day = first_day or kst(2025, 10, 1, 9, 0)
        made = []
        for i in range(count):
            n = next(numbers)
            playbook = PLAYBOOKS[n % 3]
            facts, refs = facts_for(playbook, n)
            at = first_day + timedelta(days=i % 18, hours=n % 7)
            case = case_create(
                playbook=playbook,
                facts=facts,
                channel=CHANNELS[(n // 3) % 3],
                actor=staff.agent,
                customer_phone="010-0000-1234",
                driver_phone="010-0000-5678",
                references=refs,
                at=at,
            ).case
            if n % decide_every:
                case = case_decide(case=case, actor=staff.lead, at=at + timedelta(hours=n % 11 + 1))
            made.append(case)
        return made

    return _seed


@pytest.fixture
def seeded(seed_cases, intake, staff):  # noqa: F811
    """The data set the figure tests compare against direct counts."""
    from cases.services.clocks import clocks_mark_overdue
    from templates_app.models import OutboundMessage

    cases = seed_cases(20)
    cases += seed_cases(2, first_day=kst(2025, 9, 20, 10, 0))  # before the range
    cases += seed_cases(2, first_day=kst(2025, 11, 15, 10, 0))  # after it
    # Two failed SMS. Delivery failures come from the gateway after its retries; the figures
    # only read the outcome, so the status is set directly here.
    # Messages are queued at the real moment of the run: they are dated in the range here, or
    # the failed-SMS figure would compare 0 with 0.
    failed = list(OutboundMessage.objects.order_by("pk").values_list("pk", flat=True)[:3])
    in_range = kst(2025, 10, 10, 9, 0)
    OutboundMessage.objects.filter(pk__in=failed[:2]).update(
        status=OutboundMessage.Status.FAILED, queued_at=in_range
    )
    # And one dead letter (issue 16: transient failures used every attempt): not sent either.
    OutboundMessage.objects.filter(pk__in=failed[2:]).update(
        status=OutboundMessage.Status.DEAD_LETTER, queued_at=in_range
    )
    clocks_mark_overdue(now=kst(2025, 10, 17, 9, 0))
    # Fines: one payout in today's 14:00 batch, one after the cutoff (tomorrow's batch).
    today = intake(at=kst(2025, 10, 20, 9, 0))
    tomorrow = intake(at=kst(2025, 10, 20, 15, 0), call_id="700002", driver_phone="010-0000-5678")
    return {"cases": cases, "payouts": (today.payout, tomorrow.payout)}
