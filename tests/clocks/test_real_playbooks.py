"""The playbooks' time promises as due rules, and clocks on real playbook decisions."""

from __future__ import annotations

from datetime import date

import pytest

from cases.playbooks import ev_charging, evaluate, parking_operations
from cases.playbooks.base import ALL, LEADS, RouteInfo, StaticEnv
from kmcs_site.business_time import due_at
from tests.clocks.conftest import kst

EV_FACTS = {
    "case_type": "paid_not_charged",
    "station_name": "테스트 충전소",
    "station_kind": "non_direct",
    "charge_started_at": "2025-10-01T09:00:00+09:00",
    "charge_ended_at": "2025-10-01T09:40:00+09:00",
    "tid": "TID-0001",
    "kwh": "12.500",
    "amount": 5000,
    "cpo_name": "테스트CPO",
}
HIPARKING = RouteInfo(
    route_id=2,
    channel_kind="email",
    channel_target="현장 담당자",
    recipients_to=("site-manager@hiparking.example",),
    recipients_cc=("contact3@hiparking.example",),
    procedure="현장별 담당자에게 E-mail 발송",
    allowed_roles=LEADS,
)
KMPARK = RouteInfo(
    route_id=1,
    channel_kind="email",
    channel_target="정기권 담당",
    recipients_to=("pass@kmpark.example",),
    recipients_cc=(),
    procedure="담당자에게 E-mail 발송",
    allowed_roles=ALL,
)


def route_env(partner: str, route: RouteInfo) -> StaticEnv:
    key = (("partner", partner), ("request_kind", "unregistered"), ("site_kind", "manual_normal"))
    return StaticEnv(routes={key: route})


def steps_by_code(proposal):
    return {s.code: s for s in proposal.steps}


def test_ev_team_answers_carry_the_team_service_level():
    """The levels are center settings (rules.CenterSettings ev_*_rule, issue 15 A.3); StaticEnv
    carries today's values: 3 business days for the team and the CPO."""
    p = evaluate("ev_charging", EV_FACTS, kst(2025, 10, 1, 10), StaticEnv())
    steps = steps_by_code(p)
    assert p.version == ev_charging.VERSION == "2025.04.09-3"
    assert steps["email_cpo"].due_rule == "business_days:3"
    assert steps["post_agit"].due_rule == "business_days:3"
    assert steps["notify_customer"].due_rule == "business_days:3"
    # every waiting step now has a rule the clocks can compute
    for step in p.steps:
        if step.waits_on:
            assert due_at(step.due_rule, kst(2025, 10, 1, 10)) > kst(2025, 10, 1, 10)


@pytest.mark.parametrize("known", [True, None])
def test_hiparking_with_a_known_site_contact_is_unchanged(known):
    facts = {
        "request_kind": "unregistered",
        "partner": "hiparking",
        "site_kind": "manual_normal",
        "site_contact_known": known,
    }
    p = evaluate(
        "parking_operations", facts, kst(2025, 5, 12, 10), route_env("hiparking", HIPARKING)
    )
    assert [s.code for s in p.steps] == ["check_request", "follow_route", "notify_customer"]
    assert steps_by_code(p)["follow_route"].due_rule is None


def test_hiparking_before_the_site_contacts_are_shared_is_due_next_business_day():
    facts = {
        "request_kind": "unregistered",
        "partner": "hiparking",
        "site_kind": "manual_normal",
        "site_contact_known": False,
    }
    at = kst(2025, 10, 2, 16)  # before 추석
    p = evaluate("parking_operations", facts, at, route_env("hiparking", HIPARKING))
    assert p.version == parking_operations.VERSION == "2025.05.01-2"
    assert [s.code for s in p.steps] == [
        "check_request",
        "explain_delay",
        "follow_route",
        "notify_customer",
    ]
    steps = steps_by_code(p)
    assert "다음 영업일" in steps["explain_delay"].script and steps["explain_delay"].kind == "say"
    route = steps["follow_route"]
    assert route.due_rule == "next_business_day" and "다음 영업일" in route.label
    assert route.roles == LEADS and route.waits_on == "partner"
    assert due_at(route.due_rule, at) == kst(2025, 10, 10, 18, 0)


def test_other_partners_ignore_the_site_contact_fact():
    facts = {
        "request_kind": "unregistered",
        "partner": "kmpark",
        "site_kind": "manual_normal",
        "site_contact_known": False,
    }
    p = evaluate("parking_operations", facts, kst(2025, 5, 12, 10), route_env("kmpark", KMPARK))
    assert "explain_delay" not in steps_by_code(p)


@pytest.mark.django_db
def test_a_fine_payout_clock_is_due_at_the_payout_batch(intake):
    from cases.models import StepClock

    before = intake(at=kst(2024, 6, 20, 13, 30))
    clock = StepClock.objects.get(case=before.case, step_code="payout_create")
    assert clock.rule == "payout_batch" and clock.waits_on == "payout_batch"
    assert clock.due_at == before.payout.scheduled_at == kst(2024, 6, 20, 14, 0)
    assert not clock.pauses_on_customer


@pytest.mark.django_db
def test_a_fine_after_the_cutoff_is_due_at_the_next_batch(intake):
    from cases.models import StepClock

    after = intake(at=kst(2024, 6, 20, 14, 0))
    clock = StepClock.objects.get(case=after.case, step_code="payout_create")
    assert clock.due_at == kst(2024, 6, 21, 14, 0) == after.payout.scheduled_at
    assert clock.due_at.date() == date(2024, 6, 21)
