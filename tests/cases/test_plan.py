"""Issue 13.4 / 13.5: a message goes out at its step, not at the decision; closing respects the
checklist. Services first (the views are in tests/workspace/test_flow.py and test_plan_views.py).
"""

from __future__ import annotations

import pytest

from cases.exceptions import (
    ActionNotAllowed,
    CaseError,
    FactsInvalid,
    InvalidTransition,
    StepNotReached,
    StepsPending,
)
from cases.models import Case, CaseStep
from cases.playbooks.base import MessageSpec, StaticEnv
from cases.services import (
    case_create,
    case_decide,
    case_force_close,
    case_message_sent_by_hand,
    case_plan_replace_pending,
    case_propose,
    case_step_complete,
    case_step_mark_na,
    case_step_send,
    case_transition,
    escalation_post_mark_posted,
    plan_pending,
)
from templates_app.models import OutboundMessage
from tests.cases import fakes
from tests.cases.conftest import AT, finish_plan
from tests.templates_app.conftest import RecordingGateway, gateway  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway")]


def _decided(make_case, staff, decision="approve"):
    case = make_case(decision)
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    return case


def _statuses(case) -> set[str]:
    return set(OutboundMessage.objects.filter(object_id=case.pk).values_list("status", flat=True))


def _post_links(case, actor):
    for post in case.escalation_posts.all():
        escalation_post_mark_posted(post=post, link_url="https://agit.example/1", actor=actor)


# --- 13.4: drafts at the decision, sent at their step -------------------------------------------
def test_deciding_drafts_the_messages_and_sends_nothing(
    make_case, staff, django_capture_on_commit_callbacks
):
    case = make_case("approve")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert _statuses(case) == {"planned"}
    assert RecordingGateway.calls == []
    pending = plan_pending(case=case)
    assert [s.code for s in pending.steps] == [
        "cancel_payment",
        "send_sms",
        "save_answer",
        "post_agit",
    ]
    assert {m.step.code for m in pending.messages} == {"send_sms"}
    assert all(m.body for m in pending.messages)  # previewable: rendered at the decision


def test_a_message_whose_step_is_not_reached_is_refused_naming_the_step(make_case, staff):
    case = _decided(make_case, staff)
    with pytest.raises(StepNotReached) as info:
        case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert "'2. SMS 발송' 단계에 아직 도달하지 않았습니다" in info.value.message
    assert "1. 결제취소" in info.value.message  # what comes first
    assert _statuses(case) == {"planned"}
    # "CEMS로 직접 보냄" obeys the same rule.
    message = OutboundMessage.objects.filter(object_id=case.pk).first()
    with pytest.raises(StepNotReached):
        case_message_sent_by_hand(
            case=case, message_id=message.pk, reason="CEMS", actor=staff.agent
        )
    message.refresh_from_db()
    assert message.status == "planned"


def test_sent_once_whatever_the_retries_and_double_clicks(
    make_case, staff, django_capture_on_commit_callbacks
):
    case = _decided(make_case, staff)
    case_step_complete(case=case, step_code="cancel_payment", actor=staff.agent)
    with django_capture_on_commit_callbacks(execute=True):
        step, released = case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert released == 2
    assert _statuses(case) == {"sent"}
    keys = {m.idempotency_key for m in OutboundMessage.objects.filter(object_id=case.pk)}
    assert keys == {
        f"case:{case.pk}:{fakes.TPL_CUSTOMER}:customer",
        f"case:{case.pk}:{fakes.TPL_DRIVER}:driver",
    }
    # Delivery ticked the SMS step, by the agent who sent it.
    step.refresh_from_db()
    assert (step.status, step.done_by) == ("done", staff.agent)
    assert step.history.first().history_change_reason == "문자 발송 완료로 단계 완료"
    # A second click, or a retry of the request: the step is done, nothing is sent again.
    with pytest.raises(CaseError):
        case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert len(RecordingGateway.calls) == 2


def test_a_double_click_before_delivery_releases_once(
    make_case, staff, django_capture_on_commit_callbacks
):
    case = _decided(make_case, staff)
    case_step_complete(case=case, step_code="cancel_payment", actor=staff.agent)
    with django_capture_on_commit_callbacks(execute=True):
        _step, first = case_step_send(case=case, step_code="send_sms", actor=staff.agent)
        _step, second = case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert (first, second) == (2, 0)
    assert len(RecordingGateway.calls) == 2 and _statuses(case) == {"sent"}


def test_an_sms_step_is_not_ticked_by_hand_while_its_messages_are_unsent(make_case, staff):
    case = _decided(make_case, staff)
    case_step_complete(case=case, step_code="cancel_payment", actor=staff.agent)
    with pytest.raises(InvalidTransition) as info:
        case_step_complete(case=case, step_code="send_sms", actor=staff.agent)
    assert "문자를 보내면 완료됩니다" in info.value.message
    assert case.steps.get(code="send_sms").status == "pending"


def test_send_is_refused_for_steps_without_messages_other_agents_and_undecided_cases(
    make_case, staff
):
    case = _decided(make_case, staff)
    with pytest.raises(CaseError) as info:
        case_step_send(case=case, step_code="cancel_payment", actor=staff.agent)
    assert "보낼 문자가 없습니다" in info.value.message
    with pytest.raises(ActionNotAllowed):
        case_step_send(case=case, step_code="send_sms", actor=staff.agent_b)
    with pytest.raises(ActionNotAllowed):
        case_step_send(case=case, step_code="send_sms", actor=staff.auditor)
    fresh = make_case("approve", assignee=staff.agent)
    with pytest.raises(InvalidTransition):
        case_step_send(case=fresh, step_code="send_sms", actor=staff.agent)


def test_an_automatic_step_sends_once_the_steps_before_it_are_done(
    make_case, staff, django_capture_on_commit_callbacks
):
    case = make_case("auto_sms")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert _statuses(case) == {"planned"}
    with django_capture_on_commit_callbacks(execute=True):
        case_step_complete(case=case, step_code="pay", actor=staff.agent)
    assert _statuses(case) == {"sent"} and len(RecordingGateway.calls) == 1
    assert case.steps.get(code="sms_auto").status == "done"


# --- N/A with a reason ------------------------------------------------------------------------------
def test_mark_not_applicable_needs_a_reason_and_is_audited(make_case, staff):
    case = _decided(make_case, staff)
    with pytest.raises(FactsInvalid) as info:
        case_step_mark_na(case=case, step_code="cancel_payment", reason="  ", actor=staff.agent)
    assert "사유" in info.value.errors["reason"][0]
    assert case.steps.get(code="cancel_payment").status == "pending"
    step = case_step_mark_na(
        case=case, step_code="cancel_payment", reason="이미 취소된 결제", actor=staff.agent
    )
    assert (step.status, step.na_reason, step.done_by) == (
        "not_applicable",
        "이미 취소된 결제",
        staff.agent,
    )
    row = step.history.first()
    assert row.history_user == staff.agent
    assert row.history_change_reason == "해당 없음: 이미 취소된 결제"
    # Settled: the SMS step after it is reached now.
    case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert _statuses(case) == {"queued"}


def test_an_sms_step_not_applicable_cancels_its_drafts(make_case, staff):
    case = _decided(make_case, staff)
    case_step_mark_na(
        case=case, step_code="send_sms", reason="고객이 문자 수신 거부", actor=staff.agent
    )
    assert _statuses(case) == {"cancelled"}
    assert RecordingGateway.calls == []
    message = OutboundMessage.objects.filter(object_id=case.pk).first()
    with pytest.raises(CaseError):
        case_message_sent_by_hand(case=case, message_id=message.pk, reason="x", actor=staff.agent)


def test_a_lead_only_step_is_not_marked_na_by_an_agent(make_case, staff):
    from cases.services import case_assign

    case = make_case("lead_only")
    case_decide(case=case, actor=staff.lead, at=AT, env=StaticEnv())
    case_assign(case=case, assignee=staff.agent, actor=staff.lead)
    with pytest.raises(ActionNotAllowed):
        case_step_mark_na(case=case, step_code="admin_change", reason="불필요", actor=staff.agent)
    assert case.steps.get(code="admin_change").status == "pending"


# --- 13.5: closing -----------------------------------------------------------------------------------
def test_close_is_refused_while_steps_are_open_and_names_them(make_case, staff):
    case = _decided(make_case, staff, "reject")
    with pytest.raises(StepsPending) as info:
        case_transition(case=case, transition="close", actor=staff.agent)
    assert "남은 단계: 1. SMS 발송, 2. 답변내용 저장, 3. 운영메모" in info.value.message
    assert Case.objects.get(pk=case.pk).status == "decided"
    # Done or not applicable (with a reason) both count.
    case_step_mark_na(
        case=case, step_code="operations_memo", reason="메모 불필요", actor=staff.agent
    )
    finish_plan(case, staff.agent)
    case_transition(case=case, transition="close", actor=staff.agent)
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_a_lead_force_closes_with_a_reason_an_agent_may_not(make_case, staff):
    case = _decided(make_case, staff)
    _post_links(case, staff.agent)
    with pytest.raises(ActionNotAllowed):
        case_force_close(case=case, reason="종결 요청", actor=staff.agent)
    with pytest.raises(FactsInvalid):
        case_force_close(case=case, reason=" ", actor=staff.lead)
    assert Case.objects.get(pk=case.pk).status == "decided"
    case_force_close(case=case, reason="고객 취소", actor=staff.deputy)
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    row = case.history.first()
    assert row.history_user == staff.deputy
    assert row.history_change_reason.startswith("강제 종결: 고객 취소 (미완료 단계: 1. 결제취소")
    # A closed case sends nothing: its drafts stay unsent, its steps cannot be worked.
    assert _statuses(case) == {"planned"}
    with pytest.raises(InvalidTransition):
        case_step_send(case=case, step_code="send_sms", actor=staff.lead)


def test_force_close_keeps_the_record_rules(make_case, staff):
    case = _decided(make_case, staff)  # the playbook's Agit post has no link yet
    from cases.exceptions import AgitPostRequired

    with pytest.raises(AgitPostRequired):
        case_force_close(case=case, reason="고객 취소", actor=staff.lead)


# --- a revised proposal replaces the pending plan (the API of the fact revision) ------------------
def test_replace_pending_keeps_done_steps_and_sent_messages(
    make_case, staff, django_capture_on_commit_callbacks
):
    case = _decided(make_case, staff)
    case_step_complete(case=case, step_code="cancel_payment", actor=staff.agent)
    proposal = case_propose(case=case, at=AT, env=StaticEnv())
    # The revision drops the driver's message and changes the customer's amount.
    revised = type(proposal)(
        **{
            **proposal.__dict__,
            "messages": (
                MessageSpec(fakes.TPL_CUSTOMER, "customer", {"day": AT.date(), "amount": 45000}),
            ),
        }
    )
    plan = case_plan_replace_pending(case=case, proposal=revised, actor=staff.agent, at=AT)
    codes = list(case.steps.order_by("order").values_list("code", "status"))
    assert codes[0] == ("cancel_payment", "done")  # done stays done, and is not written again
    assert [s.code for s in plan.steps] == ["send_sms", "save_answer", "post_agit"]
    assert {s.code for s in plan.replaced_steps} == {"send_sms", "save_answer", "post_agit"}
    assert all(s.status == "skipped" for s in plan.replaced_steps)
    customer, driver = OutboundMessage.objects.filter(object_id=case.pk).order_by("pk")
    assert customer.status == "planned" and "45,000원" in customer.body
    assert customer.step_id == plan.steps[0].pk
    assert driver.status == "cancelled" and [m.pk for m in plan.cancelled_messages] == [driver.pk]
    # Sent once; a new plan holding the same message again sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    with django_capture_on_commit_callbacks(execute=True):
        case_plan_replace_pending(case=case, proposal=revised, actor=staff.agent, at=AT)
    assert len(RecordingGateway.calls) == 1
    customer.refresh_from_db()
    assert customer.status == "sent"
    assert not case.steps.filter(code="send_sms", status="pending").exists()


def test_replace_pending_refuses_a_message_without_a_phone_and_writes_nothing(make_case, staff):
    case = _decided(make_case, staff)
    Case.objects.filter(pk=case.pk).update(customer_phone="")
    before = list(CaseStep.objects.filter(case=case).values_list("pk", "status"))
    proposal = case_propose(case=case, at=AT, env=StaticEnv())
    from cases.exceptions import RecipientMissing

    with pytest.raises(RecipientMissing):
        case_plan_replace_pending(case=case, proposal=proposal, actor=staff.agent, at=AT)
    assert list(CaseStep.objects.filter(case=case).values_list("pk", "status")) == before


# --- the seeds -----------------------------------------------------------------------------------------
def _parking_onsite_case(staff):
    facts = {
        "ownership_verified": True,
        "lot_name": "한빛타워 민영주차장",
        "lot_district": "서울 강남구",
        "lot_integration": "linked",
        "entry_at": "2024-12-03T14:05:00+09:00",
        "exit_at": "2024-12-03T15:50:00+09:00",
        "car_number": "12가3456",
        "pass_amount": 4000,
        "other_app": "modu",
        "reservation_history_attached": True,
        "payment_history_attached": True,
        "ticket_hours": 2,
        "ticket_car_number": "34나5678",
        "ticket_date": "2024-12-03",
        "ticket_lot_name": "한빛타워 민영주차장",
        "onsite_check_needed": True,
        "channel": "chat",
    }
    return case_create(
        playbook="parking_double_payment",
        facts=facts,
        channel="chat",
        actor=staff.parking_agent,
        customer_phone="010-0000-1234",
        at=AT,
    ).case


def test_seed_000_onsite_sms_goes_only_after_the_onsite_check(
    staff, django_capture_on_commit_callbacks
):
    """Seed 000: "주차현장 확인 필요한 경우 ④가이드는 문자로 진행": the SMS after the check."""
    case = _parking_onsite_case(staff)
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=case, actor=staff.parking_agent, at=AT)
    assert case.outcome == "customer_fault_info_mismatch"
    assert _statuses(case) == {"planned"} and RecordingGateway.calls == []
    for code in ("identify", "check_history", "explain", "tell_onsite_check"):
        case_step_complete(case=case, step_code=code, actor=staff.parking_agent)
    with pytest.raises(StepNotReached) as info:
        case_step_send(case=case, step_code="send_onsite_sms", actor=staff.parking_agent)
    assert "주차현장 확인 요청" in info.value.message
    assert RecordingGateway.calls == []
    case_step_complete(case=case, step_code="onsite_check", actor=staff.parking_agent)
    with django_capture_on_commit_callbacks(execute=True):
        case_step_send(case=case, step_code="send_onsite_sms", actor=staff.parking_agent)
    assert _statuses(case) == {"sent"} and len(RecordingGateway.calls) == 1
    assert case.steps.get(code="send_onsite_sms").status == "done"
