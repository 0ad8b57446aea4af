"""The status workflow (as data), step completion, the SMS-first rule and the Agit rule."""

from __future__ import annotations

import pytest

from cases.exceptions import (
    ActionNotAllowed,
    AgitPostRequired,
    FactsInvalid,
    InvalidTransition,
    RecordIncomplete,
    SmsNotSentYet,
    StepNotFound,
)
from cases.models import Case, Status
from cases.playbooks.base import StaticEnv
from cases.services import (
    case_answer_save,
    case_decide,
    case_record_update,
    case_step_complete,
    case_step_send,
    case_transition,
    contact_attempt_log,
    escalation_post_create,
    escalation_post_mark_posted,
)
from cases.workflow import TRANSITIONS, check_transition
from templates_app.errors import SmsNotSentYet as OutboxSmsNotSentYet
from templates_app.models import OutboundMessage
from tests.cases.conftest import AT, finish_plan

pytestmark = pytest.mark.django_db

#: (status, transition) -> target for every allowed move; every other pair must be refused.
ALLOWED = {
    ("new", "start"): "in_progress",
    ("in_progress", "wait"): "waiting",
    ("waiting", "resume"): "in_progress",
    ("new", "decide"): "decided",
    ("in_progress", "decide"): "decided",
    ("waiting", "decide"): "decided",
    ("decided", "close"): "closed",
    ("closed", "reopen"): "in_progress",
}


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_transition_table(status, name):
    if (status, name) in ALLOWED:
        assert check_transition(status, name).target == ALLOWED[(status, name)]
    else:
        with pytest.raises(InvalidTransition) as info:
            check_transition(status, name)
        assert "할 수 없습니다" in info.value.message


def test_unknown_transition_and_decide_through_the_wrong_door():
    with pytest.raises(InvalidTransition):
        check_transition("new", "teleport")
    with pytest.raises(InvalidTransition) as info:
        check_transition("new", "decide", service="case_transition")
    assert "처리 결정" in info.value.message


def _bring_to(case, status, staff):
    """Drive a case through the services to ``status``."""
    if status == "new":
        return case
    if status in ("in_progress", "waiting"):
        case_transition(case=case, transition="start", actor=staff.agent, at=AT)
        if status == "waiting":
            case_transition(case=case, transition="wait", waiting_on="partner", actor=staff.agent)
        return case
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    if status == "closed":
        for post in case.escalation_posts.all():
            escalation_post_mark_posted(
                post=post, link_url="https://agit.example/1", actor=staff.agent
            )
        finish_plan(case, staff.agent)
        case_transition(case=case, transition="close", actor=staff.agent)
    return case


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("name", ["start", "wait", "resume", "close", "reopen"])
def test_case_transition_for_every_pair(make_case, staff, status, name):
    case = _bring_to(make_case("reject"), status, staff)
    case.refresh_from_db()
    assert case.status == status
    actor = staff.lead  # may do every move, so only the workflow decides here
    if (status, name) == ("decided", "close"):
        finish_plan(case, staff.agent)  # closing needs the checklist (tests/cases/test_plan.py)
    if (status, name) in ALLOWED:
        case_transition(case=case, transition=name, actor=actor, waiting_on="customer")
        assert Case.objects.get(pk=case.pk).status == ALLOWED[(status, name)]
    else:
        history = case.history.count()
        with pytest.raises(InvalidTransition):
            case_transition(case=case, transition=name, actor=actor, waiting_on="customer")
        case.refresh_from_db()
        assert case.status == status and case.history.count() == history


def test_decide_is_refused_through_case_transition(make_case, staff):
    case = make_case("approve")
    with pytest.raises(InvalidTransition):
        case_transition(case=case, transition="decide", actor=staff.lead)
    assert Case.objects.get(pk=case.pk).status == Status.NEW


def test_timestamps_waiting_on_and_history_reasons(make_case, staff):
    case = make_case("approve")
    case_transition(case=case, transition="start", actor=staff.agent, at=AT)
    assert case.first_response_at == AT and case.status == "in_progress"
    with pytest.raises(FactsInvalid) as info:
        case_transition(case=case, transition="wait", actor=staff.agent)
    assert "waiting_on" in info.value.errors
    case_transition(
        case=case, transition="wait", actor=staff.agent, waiting_on="partner", note="회신 대기"
    )
    assert case.waiting_on == "partner"
    row = case.history.first()
    assert (
        row.history_user == staff.agent
        and row.history_change_reason == "대기 (회신 대기): 회신 대기"
    )
    case_transition(case=case, transition="resume", actor=staff.agent)
    assert case.waiting_on == ""


def test_available_transitions_follow_status_and_user(make_case, staff):
    case = make_case("approve")
    assert [t.name for t in case.available_transitions()] == ["start", "decide"]
    assert [t.name for t in case.available_transitions(staff.agent)] == ["start", "decide"]
    assert case.available_transitions(staff.auditor) == []
    # Unassigned: every agent of the service may work it, an agent of another service not.
    assert [t.name for t in case.available_transitions(staff.agent_b)] == ["start", "decide"]
    assert case.available_transitions(staff.parking_agent) == []
    _bring_to(case, "closed", staff)
    case.refresh_from_db()
    assert [t.name for t in case.available_transitions()] == ["reopen"]
    assert case.available_transitions(staff.agent) == []  # reopening is a lead's call
    assert [t.name for t in case.available_transitions(staff.lead)] == ["reopen"]


def test_agents_cannot_reopen(make_case, staff):
    case = _bring_to(make_case("approve"), "closed", staff)
    with pytest.raises(ActionNotAllowed):
        case_transition(case=case, transition="reopen", actor=staff.agent)
    case_transition(case=case, transition="reopen", actor=staff.deputy)
    case.refresh_from_db()
    assert case.status == "in_progress" and case.closed_at is None


def test_other_agents_and_auditors_cannot_move_a_case(make_case, staff):
    case = make_case("approve", assignee=staff.agent)
    for user in (staff.agent_b, staff.parking_agent, staff.auditor, staff.integration):
        with pytest.raises(ActionNotAllowed):
            case_transition(case=case, transition="start", actor=user)
    assert Case.objects.get(pk=case.pk).status == "new"


def test_close_needs_a_consultation_type(make_case, staff):
    case = make_case("approve")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    for post in case.escalation_posts.all():
        escalation_post_mark_posted(post=post, link_url="https://agit.example/1", actor=staff.agent)
    Case.objects.filter(pk=case.pk).update(consultation_type=None)
    with pytest.raises(RecordIncomplete):
        case_transition(case=case, transition="close", actor=staff.agent)


# --- steps ------------------------------------------------------------------------------
def test_step_complete_records_who_and_when(make_case, staff):
    case = make_case("approve")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    step = case_step_complete(case=case, step_code="cancel_payment", actor=staff.agent, at=AT)
    assert (step.status, step.done_by, step.done_at) == ("done", staff.agent, AT)
    assert step.history.first().history_user == staff.agent
    with pytest.raises(StepNotFound):
        case_step_complete(case=case, step_code="cancel_payment", actor=staff.agent)


def test_lead_only_step_is_refused_for_an_agent(make_case, staff):
    case = make_case("lead_only")
    case_decide(case=case, actor=staff.lead, at=AT, env=StaticEnv())
    # Give the agent the case: working it does not make the lead's step theirs.
    from cases.services import case_assign

    case_assign(case=case, assignee=staff.agent, actor=staff.lead)
    with pytest.raises(ActionNotAllowed) as info:
        case_step_complete(case=case, step_code="admin_change", actor=staff.agent)
    assert "팀장, 부팀장만" in info.value.message
    assert case.steps.get(code="admin_change").status == "pending"
    case_step_complete(case=case, step_code="admin_change", actor=staff.deputy)
    assert case.steps.get(code="admin_change").status == "done"


def test_manager_step_is_the_managers(make_case, staff):
    case = make_case("manager_step")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    with pytest.raises(ActionNotAllowed):
        case_step_complete(case=case, step_code="manager_review", actor=staff.lead)
    case_step_complete(case=case, step_code="manager_review", actor=staff.manager)


# --- SMS first --------------------------------------------------------------------------
def test_answer_refused_before_the_decision(make_case, staff):
    case = make_case("approve")
    with pytest.raises(SmsNotSentYet):
        case_answer_save(case=case, text="처리되었습니다", actor=staff.agent)
    assert Case.objects.get(pk=case.pk).answer_text == ""


def test_answer_only_after_every_sms_is_delivered(make_case, staff):
    from templates_app.services import message_mark_sent_by_hand

    case = make_case("approve")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    first, second = OutboundMessage.objects.order_by("pk")
    with pytest.raises(SmsNotSentYet) as info:
        case_answer_save(case=case, text="처리되었습니다", actor=staff.agent)
    assert isinstance(info.value, OutboxSmsNotSentYet)  # either except clause catches it
    assert "SMS 선발송 후 답변내용" in info.value.message
    message_mark_sent_by_hand(message=first, reason="CEMS에서 발송", actor=staff.agent)
    with pytest.raises(SmsNotSentYet):
        case_answer_save(case=case, text="처리되었습니다", actor=staff.agent)
    case.refresh_from_db()
    assert case.answer_text == "" and case.answer_saved_at is None
    OutboundMessage.objects.filter(pk=second.pk).update(status="sent")
    case_answer_save(case=case, text="처리되었습니다", actor=staff.agent, at=AT)
    case.refresh_from_db()
    assert case.answer_text == "처리되었습니다" and case.answer_saved_at == AT
    assert case.steps.get(code="save_answer").status == "done"


def test_answer_after_the_worker_sent_the_sms(make_case, staff, django_capture_on_commit_callbacks):
    """The real path: decide commits (the SMS is drafted), the agent sends it at its step, the
    outbox task sends (in-process here) and ticks the step, then the answer is saved."""
    case = make_case("reject")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"planned"}
    with django_capture_on_commit_callbacks(execute=True):
        case_step_send(case=case, step_code="send_sms", actor=staff.agent)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert case.steps.get(code="send_sms").status == "done"
    case_answer_save(case=case, text="반려 안내", actor=staff.agent)
    assert Case.objects.get(pk=case.pk).answer_text == "반려 안내"


def test_empty_answer_is_refused(make_case, staff):
    case = make_case("approve")
    with pytest.raises(FactsInvalid):
        case_answer_save(case=case, text="  ", actor=staff.agent)


# --- OB and the Agit rule ----------------------------------------------------------------
def test_no_answer_ob_creates_the_agit_post_and_blocks_closing(make_case, staff):
    case = make_case("reject")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    attempt = contact_attempt_log(
        case=case, actor=staff.agent, target="driver", result="no_answer", note="2회 시도", at=AT
    )
    post = attempt.escalation_post
    assert post is not None and post.reason == "ob_no_answer" and post.link_url == ""
    assert post.board == "[운영] 대리 CS 대응"
    assert "OB 부재" in post.body and "010-****-5678" in post.body and "2회 시도" in post.body
    with pytest.raises(AgitPostRequired) as info:
        case_transition(case=case, transition="close", actor=staff.agent)
    assert "아지트" in info.value.message
    assert Case.objects.get(pk=case.pk).status == "decided"
    escalation_post_mark_posted(post=post, link_url="https://agit.example/ob/1", actor=staff.agent)
    finish_plan(case, staff.agent)
    case_transition(case=case, transition="close", actor=staff.agent)
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_special_note_also_requires_a_post(make_case, staff):
    case = make_case("reject")
    attempt = contact_attempt_log(
        case=case,
        actor=staff.agent,
        target="customer",
        result="answered",
        is_special=True,
        note="고객 항의",
    )
    assert attempt.escalation_post.reason == "special"


def test_ordinary_ob_goes_to_the_operations_memo(make_case, staff):
    case = make_case("reject")
    attempt = contact_attempt_log(
        case=case, actor=staff.agent, target="customer", result="answered", note="안내 완료", at=AT
    )
    assert attempt.escalation_post is None
    case.refresh_from_db()
    assert case.operations_memo.endswith("고객 통화: 안내 완료")
    assert case.escalation_posts.count() == 0


def test_playbook_post_must_be_written_before_closing(make_case, staff):
    case = make_case("approve")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    with pytest.raises(AgitPostRequired):
        case_transition(case=case, transition="close", actor=staff.agent)
    post = case.escalation_posts.get()
    escalation_post_mark_posted(post=post, link_url="https://agit.example/2", actor=staff.agent)
    assert case.steps.get(code="post_agit").status == "done"
    finish_plan(case, staff.agent)
    case_transition(case=case, transition="close", actor=staff.agent)


def test_escalation_post_create_and_permissions(make_case, staff):
    case = make_case("approve", assignee=staff.agent)
    post = escalation_post_create(case=case, actor=staff.agent, board="", body="특이사항 공유")
    assert post.board == "[운영] 대리 CS 대응" and post.reason == "manual"
    with pytest.raises(FactsInvalid):
        escalation_post_create(case=case, actor=staff.agent, board="x", body=" ")
    with pytest.raises(ActionNotAllowed):
        escalation_post_create(case=case, actor=staff.agent_b, board="x", body="y")
    with pytest.raises(ActionNotAllowed):
        contact_attempt_log(case=case, actor=staff.agent_b, target="driver", result="no_answer")
    with pytest.raises(FactsInvalid):
        escalation_post_mark_posted(post=post, link_url="not a url", actor=staff.agent)


def test_closed_cases_are_read_only(make_case, staff):
    case = _bring_to(make_case("reject"), "closed", staff)
    with pytest.raises(InvalidTransition):
        case_record_update(case=case, actor=staff.lead, record_notes="x")
    with pytest.raises(InvalidTransition):
        contact_attempt_log(case=case, actor=staff.lead, target="driver", result="no_answer")
    with pytest.raises(InvalidTransition):
        case_answer_save(case=case, text="x", actor=staff.lead)
