"""Step clocks through the services: started by the decision, stopped by the checklist, the
re-decision and closing; paused and resumed while the case waits on the customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.exceptions import ActionNotAllowed, InvalidTransition
from cases.models import StepClock
from cases.services import case_decide, case_force_close, case_step_complete, case_transition
from cases.services.clocks import case_clocks_pause, case_clocks_resume
from tests.clocks.conftest import AT, kst

pytestmark = pytest.mark.django_db


def clocks_of(case) -> dict[str, StepClock]:
    return {c.step_code: c for c in StepClock.objects.filter(case=case)}


def test_the_decision_starts_a_clock_for_every_waiting_step(decided_case):
    case = decided_case()
    clocks = clocks_of(case)
    # "check" waits on nobody and has no rule: no clock
    assert set(clocks) == {
        "ask_team",
        "ask_partner",
        "dashcam",
        "payout",
        "refund_window",
        "manager_check",
    }
    expected = {
        "ask_team": ("service_level:team", "business_days:3", kst(2025, 10, 14, 10, 0)),
        "ask_partner": ("next_business_day", "next_business_day", kst(2025, 10, 10, 18, 0)),
        "dashcam": ("days:14", "days:14", kst(2025, 10, 16, 10, 0)),
        "payout": ("payout_batch", "payout_batch", kst(2025, 10, 2, 14, 0)),
        "refund_window": ("business_days:5", "business_days:5", kst(2025, 10, 16, 10, 0)),
        "manager_check": ("hours:4", "hours:4", kst(2025, 10, 2, 14, 0)),
    }
    for code, (rule, effective, due) in expected.items():
        clock = clocks[code]
        assert (clock.rule, clock.effective_rule, clock.due_at) == (rule, effective, due), code
        assert clock.started_at == AT and clock.is_running and not clock.is_paused
        assert clock.step.code == code and clock.playbook == "traffic_fine"
    assert {c for c, clock in clocks.items() if clock.pauses_on_customer} == {
        "ask_team",
        "ask_partner",
        "manager_check",
    }
    assert clocks["ask_team"].history.get().history_change_reason == "기한 시작"


def test_counterparty_comes_from_the_case_facts(decided_case):
    case = decided_case(partner="hiparking")
    clock = clocks_of(case)["ask_partner"]
    assert clock.partner.code == "hiparking" and clock.counterparty == "하이파킹"
    assert clocks_of(case)["ask_team"].counterparty == ""


def test_completing_the_step_stops_its_clock(decided_case, staff):
    case = decided_case()
    done_at = kst(2025, 10, 13, 9, 0)
    case_step_complete(case=case, step_code="ask_team", actor=staff.agent, at=done_at)
    clock = clocks_of(case)["ask_team"]
    assert clock.stopped_at == done_at and clock.stop_reason == "done"
    assert clock.remaining() == kst(2025, 10, 14, 10, 0) - done_at  # done a day early
    assert not clock.is_overdue()
    assert clock.history.count() == 2  # started, stopped
    # a late completion is a fact the clock keeps
    case_step_complete(case=case, step_code="payout", actor=staff.agent, at=kst(2025, 10, 2, 15))
    late = clocks_of(case)["payout"]
    assert late.is_overdue() and late.remaining() == timedelta(hours=-1)


def test_closing_the_case_stops_every_running_clock(decided_case, staff):
    case = decided_case()
    closed_at = kst(2025, 10, 10, 11, 0)
    case_force_close(case=case, reason="종결 요청", actor=staff.lead, at=closed_at)
    clocks = clocks_of(case).values()
    assert all(c.stopped_at == closed_at and c.stop_reason == "case_closed" for c in clocks)


def test_a_re_decision_stops_the_replaced_steps_clocks_and_starts_new_ones(decided_case, staff):
    case = decided_case()
    case_force_close(case=case, reason="종결 요청", actor=staff.lead, at=kst(2025, 10, 2, 11))
    case_transition(case=case, transition="reopen", actor=staff.lead, at=kst(2025, 10, 10, 9))
    case_decide(case=case, actor=staff.lead, at=kst(2025, 10, 10, 10))
    running = StepClock.objects.filter(case=case, stopped_at__isnull=True)
    assert running.count() == 6
    assert {c.started_at for c in running} == {kst(2025, 10, 10, 10)}
    assert running.get(step_code="ask_team").due_at == kst(2025, 10, 15, 10, 0)
    assert StepClock.objects.filter(case=case, stop_reason="case_closed").count() == 6


# --- pause / resume ---------------------------------------------------------------------------
def test_waiting_on_the_customer_pauses_the_clocks_that_need_their_answer(decided_case, staff):
    case = decided_case()
    paused_at, resumed_at = kst(2025, 10, 13, 9, 0), kst(2025, 10, 15, 9, 0)  # Mon -> Wed
    case_clocks_pause(case=case, actor=staff.agent, at=paused_at)
    case.refresh_from_db()
    assert case.waiting_on == "customer" and case.status == "decided"
    clocks = clocks_of(case)
    # team waits on the customer's answer: paused. The customer's own deadline, the batch and
    # the card refund run on; a clock already past due (manager_check, ask_partner) stays so.
    assert {c for c, clock in clocks.items() if clock.is_paused} == {"ask_team"}
    assert clocks["ask_team"].remaining(kst(2025, 10, 14, 12)) == (
        kst(2025, 10, 14, 10, 0) - paused_at
    )  # stands still

    case_clocks_resume(case=case, actor=staff.agent, at=resumed_at)
    case.refresh_from_db()
    assert case.waiting_on == ""
    team = clocks_of(case)["ask_team"]
    assert not team.is_paused and team.paused_seconds == 2 * 24 * 3600
    assert team.due_at == kst(2025, 10, 16, 10, 0)  # two business days later
    assert clocks_of(case)["dashcam"].due_at == kst(2025, 10, 16, 10, 0)  # untouched
    reasons = list(
        team.history.order_by("history_date").values_list("history_change_reason", flat=True)
    )
    assert reasons == ["기한 시작", "고객 회신 대기: 일시정지", "고객 회신: 재개"]


def test_closing_while_paused_folds_the_pause_in(decided_case, staff):
    case = decided_case()
    case_clocks_pause(case=case, actor=staff.agent, at=kst(2025, 10, 2, 11))
    case_force_close(case=case, reason="종결 요청", actor=staff.lead, at=kst(2025, 10, 2, 13))
    case.refresh_from_db()
    team = clocks_of(case)["ask_team"]
    assert case.waiting_on == "" and team.stop_reason == "case_closed"
    assert team.paused_at is None and team.paused_seconds == 2 * 3600


def test_pause_and_resume_refuse_what_makes_no_sense(decided_case, staff, clock_playbook):
    from cases.services import case_create

    case = decided_case()
    with pytest.raises(InvalidTransition, match="고객 회신 대기 중인 케이스가 아닙니다"):
        case_clocks_resume(case=case, actor=staff.agent, at=AT)
    case_clocks_pause(case=case, actor=staff.agent, at=AT)
    with pytest.raises(InvalidTransition, match="이미 고객 회신 대기 중"):
        case_clocks_pause(case=case, actor=staff.agent, at=AT)
    # another agent's case: refused, nothing changes
    with pytest.raises(ActionNotAllowed):
        case_clocks_resume(case=case, actor=staff.agent_b, at=AT)
    assert clocks_of(case)["ask_team"].is_paused
    # auditors read, never change
    with pytest.raises(ActionNotAllowed):
        case_clocks_resume(case=case, actor=staff.auditor, at=AT)
    # before the decision the workflow's own "대기" is the tool
    fresh = case_create(
        playbook="traffic_fine",
        facts={"call_id": "5999999"},
        channel="chatbot_board",
        actor=staff.agent,
        at=AT,
    ).case
    with pytest.raises(InvalidTransition, match="처리 결정 전"):
        case_clocks_pause(case=fresh, actor=staff.agent, at=AT)


def test_pausing_creates_no_clock_history_for_clocks_that_do_not_pause(decided_case, staff):
    case = decided_case()
    case_clocks_pause(case=case, actor=staff.agent, at=kst(2025, 10, 2, 11))
    dashcam = clocks_of(case)["dashcam"]
    assert dashcam.history.count() == 1 and not dashcam.is_paused
