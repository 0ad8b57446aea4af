"""case_propose / case_decide: one transaction from proposal to messages, memos, post, steps."""

from __future__ import annotations

import pytest

from cases.exceptions import (
    ActionNotAllowed,
    InvalidTransition,
    NeedsReview,
    OverrideReasonRequired,
    ProposalFailed,
    RecipientMissing,
    UnknownOutcome,
)
from cases.models import Case, CaseStep, EscalationPost, Status
from cases.playbooks.base import StaticEnv
from cases.services import (
    case_decide,
    case_force_close,
    case_propose,
    case_record_update,
    case_transition,
    escalation_post_mark_posted,
    message_idempotency_key,
)
from templates_app.models import OutboundMessage
from tests.cases import fakes
from tests.cases.conftest import AT

pytestmark = pytest.mark.django_db


def _snapshot(case):
    case.refresh_from_db()
    return (
        case.status,
        case.outcome,
        case.billing_memo,
        case.operations_memo,
        case.assignee_id,
        CaseStep.objects.filter(case=case).count(),
        EscalationPost.objects.filter(case=case).count(),
        OutboundMessage.objects.count(),
        case.history.count(),
    )


def test_propose_runs_the_playbook_with_the_stored_facts(make_case):
    case = make_case("approve")
    proposal = case_propose(case=case, at=AT, env=StaticEnv())
    assert proposal.outcome == "approved"
    assert proposal.messages[0].context["day"].isoformat() == "2024-12-02"


def test_decide_end_to_end(make_case, staff):
    case = make_case("approve")
    decided = case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert decided is not None and case.status == Status.DECIDED  # the caller's copy too
    case.refresh_from_db()
    assert case.status == Status.DECIDED and case.decided_at == AT
    assert case.first_response_at == AT
    assert (case.outcome, case.reason, case.result_type) == ("approved", "조건 충족", "approved")
    assert case.result_type_label == "승인"
    assert case.playbook_version == fakes.VERSION
    assert case.proposal["outcome"] == "approved" and case.proposal["steps"][0]["roles"] == sorted(
        ["agent", "team_lead", "deputy_lead", "manager"]
    )
    assert case.consultation_type.path_label == "대리_기사 ▶ 요금/포인트 ▶ 결제취소 ▶ 콜타입"
    assert (case.record_title, case.record_inquiry) == ("처리완료", "테스트 문의")
    assert case.record_notes == f"-콜 ID: {case.call_id}"
    assert case.billing_memo == "챗보드 IN / 테스트 / 고객 SMS"
    assert not case.is_override and case.override_reason == ""
    # An unassigned case is the decider's from now on (guardian permission included).
    assert case.assignee == staff.agent
    assert staff.agent.has_perm("cases.work_case", case)

    post = case.escalation_posts.get()
    assert (post.board, post.body, post.created_by, post.link_url) == (
        "[운영] 대리 CS 대응",
        "승인 건",
        staff.agent,
        "",
    )
    steps = list(case.steps.order_by("order"))
    assert [s.code for s in steps] == ["cancel_payment", "send_sms", "save_answer", "post_agit"]
    assert all(s.status == "pending" for s in steps)

    # The decision writes the plan: each message is a draft linked to the step that sends it.
    messages = list(OutboundMessage.objects.order_by("pk"))
    assert {(m.status, m.step.code) for m in messages} == {("planned", "send_sms")}
    assert [(m.template.name, m.audience, m.recipient) for m in messages] == [
        (fakes.TPL_CUSTOMER, "customer", "01000001234"),
        (fakes.TPL_DRIVER, "driver", "01000005678"),
    ]
    assert messages[0].idempotency_key == f"case:{case.pk}:{fakes.TPL_CUSTOMER}:customer"
    assert messages[0].idempotency_key == message_idempotency_key(
        case, fakes.TPL_CUSTOMER, "customer"
    )
    assert "12월 2일" in messages[0].body and "12,300원" in messages[0].body
    assert all(m.subject == case for m in messages)
    assert list(case.outbound_messages.order_by("pk")) == messages

    last = case.history.first()
    assert last.history_user == staff.agent and last.history_change_reason == "결정: approved"


def test_deciding_twice_queues_nothing_twice(make_case, staff):
    case = make_case("approve")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    before = _snapshot(case)
    with pytest.raises(InvalidTransition) as info:
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert "처리결정" in info.value.message
    assert _snapshot(case) == before


def test_redeciding_after_reopen_reuses_the_message_keys(make_case, staff):
    case = make_case("approve")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    for post in case.escalation_posts.all():
        escalation_post_mark_posted(post=post, link_url="https://agit.example/1", actor=staff.agent)
    # The checklist is not finished: a lead closes it anyway, with a reason (issue 13.5).
    case_force_close(case=case, reason="고객 요청으로 종결", actor=staff.lead)
    case_transition(case=case, transition="reopen", actor=staff.lead)
    case_decide(case=case, actor=staff.lead, at=AT, env=StaticEnv())
    assert OutboundMessage.objects.count() == 2  # same keys: the outbox returned the originals
    # ...re-drafted for the new plan, at its new SMS step, still unsent.
    new_sms = case.steps.filter(code="send_sms").order_by("-order").first()
    assert set(OutboundMessage.objects.values_list("status", "step")) == {("planned", new_sms.pk)}
    # The old pending steps were replaced, the done one (post_agit) stays as the record.
    statuses = list(case.steps.order_by("order").values_list("code", "status"))
    assert statuses[:4] == [
        ("cancel_payment", "skipped"),
        ("send_sms", "skipped"),
        ("save_answer", "skipped"),
        ("post_agit", "done"),
    ]
    assert [code for code, status in statuses[4:]] == [
        "cancel_payment",
        "send_sms",
        "save_answer",
        "post_agit",
    ]


def test_missing_phone_is_a_clear_error_and_nothing_is_saved(make_case, staff):
    case = make_case("approve", driver_phone=None)
    before = _snapshot(case)
    with pytest.raises(RecipientMissing) as info:
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert "기사 전화번호" in info.value.message and fakes.TPL_DRIVER in info.value.message
    assert _snapshot(case) == before
    # Entering the phone is enough to decide.
    case_record_update(case=case, actor=staff.agent, driver_phone="010-0000-5678")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert OutboundMessage.objects.count() == 2


def test_a_message_the_outbox_refuses_rolls_back_the_whole_decision(make_case, staff):
    from templates_app.models import SmsTemplate

    SmsTemplate.objects.filter(name=fakes.TPL_DRIVER).update(status="retired")
    case = make_case("approve")
    before = _snapshot(case)
    from cases.exceptions import MessageNotQueued

    with pytest.raises(MessageNotQueued) as info:
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert fakes.TPL_DRIVER in info.value.message
    assert _snapshot(case) == before


def test_override_is_recorded_with_reason_and_decider(make_case, staff):
    case = make_case("reject")
    case_decide(
        case=case,
        actor=staff.lead,
        override_outcome="approved",
        override_reason="기사 통화로 미운행 확인",
        at=AT,
        env=StaticEnv(),
    )
    case.refresh_from_db()
    assert case.is_override and case.outcome == "approved"
    assert case.override_reason == "기사 통화로 미운행 확인" and case.overridden_by == staff.lead
    assert case.reason == "기사 통화로 미운행 확인"
    assert case.proposal["outcome"] == "rejected_ride_recorded"  # what the playbook said
    # No message of the outcome that was not chosen is sent; the follow-up is a step.
    assert OutboundMessage.objects.count() == 0
    assert list(case.steps.values_list("code", flat=True)) == [
        "override_follow_up",
        "override_record",
    ]
    assert case.history.first().history_change_reason == "결정: approved (제안과 다르게)"


def test_override_needs_a_reason(make_case, staff):
    case = make_case("reject")
    before = _snapshot(case)
    for reason in (None, "", "   "):
        with pytest.raises(OverrideReasonRequired):
            case_decide(
                case=case,
                actor=staff.lead,
                override_outcome="approved",
                override_reason=reason,
                at=AT,
                env=StaticEnv(),
            )
    assert _snapshot(case) == before


def test_agents_may_not_override(make_case, staff):
    case = make_case("reject")
    before = _snapshot(case)
    with pytest.raises(ActionNotAllowed) as info:
        case_decide(
            case=case,
            actor=staff.agent,
            override_outcome="approved",
            override_reason="왜냐하면",
            at=AT,
            env=StaticEnv(),
        )
    assert "팀장" in info.value.message
    assert _snapshot(case) == before


def test_override_to_an_unknown_outcome_is_refused(make_case, staff):
    case = make_case("reject")
    with pytest.raises(UnknownOutcome):
        case_decide(
            case=case,
            actor=staff.lead,
            override_outcome="teleport",
            override_reason="x",
            at=AT,
            env=StaticEnv(),
        )


def test_override_to_the_proposed_outcome_is_a_plain_decision(make_case, staff):
    case = make_case("reject")
    case_decide(
        case=case,
        actor=staff.agent,
        override_outcome="rejected_ride_recorded",
        override_reason="동일",
        at=AT,
        env=StaticEnv(),
    )
    case.refresh_from_db()
    assert not case.is_override and case.outcome == "rejected_ride_recorded"
    assert OutboundMessage.objects.count() == 1


def test_needs_review_is_not_decided_without_an_outcome(make_case, staff):
    case = make_case("review")
    before = _snapshot(case)
    with pytest.raises(NeedsReview):
        case_decide(case=case, actor=staff.lead, at=AT, env=StaticEnv())
    assert _snapshot(case) == before
    case_decide(
        case=case,
        actor=staff.lead,
        override_outcome="rejected_duplicate",
        override_reason="동일 콜 처리 중",
        at=AT,
        env=StaticEnv(),
    )
    case.refresh_from_db()
    assert case.outcome == "rejected_duplicate" and case.is_override


@pytest.mark.parametrize("decision", ["lead_only", "lead_route"])
def test_agent_refused_a_lead_only_proposal_and_nothing_changes(make_case, staff, decision):
    case = make_case(decision)
    before = _snapshot(case)
    with pytest.raises(ActionNotAllowed) as info:
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert "팀장·부팀장" in info.value.message
    assert _snapshot(case) == before
    for lead in (staff.lead, staff.deputy):
        other = make_case(decision)
        case_decide(case=other, actor=lead, at=AT, env=StaticEnv())
        assert Case.objects.get(pk=other.pk).status == Status.DECIDED


def test_manager_only_steps_do_not_stop_the_agent_from_transferring(make_case, staff):
    case = make_case("manager_step")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert Case.objects.get(pk=case.pk).status == Status.DECIDED


def test_agent_may_not_decide_another_agents_case(make_case, staff):
    from cases.services import case_assign

    case = make_case("approve")
    case_assign(case=case, assignee=staff.agent_b, actor=staff.lead)
    before = _snapshot(case)
    with pytest.raises(ActionNotAllowed):
        case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    assert _snapshot(case) == before
    case_decide(case=case, actor=staff.agent_b, at=AT, env=StaticEnv())


def test_auditors_and_integrations_never_decide(make_case, staff):
    case = make_case("approve")
    for user in (staff.auditor, staff.integration):
        with pytest.raises(ActionNotAllowed):
            case_decide(case=case, actor=user, at=AT, env=StaticEnv())


def test_a_proposal_of_another_playbook_is_refused(make_case, staff):
    import dataclasses

    case = make_case("approve")
    foreign = dataclasses.replace(
        case_propose(case=case, at=AT, env=StaticEnv()), playbook="ev_charging"
    )
    with pytest.raises(ProposalFailed):
        case_decide(case=case, actor=staff.agent, proposal=foreign, at=AT)


def test_an_explicit_proposal_is_decided_as_given(make_case, staff):
    import dataclasses

    case = make_case("approve")
    proposal = dataclasses.replace(
        case_propose(case=case, at=AT, env=StaticEnv()), operations_memo="추가 메모"
    )
    case_decide(case=case, actor=staff.agent, proposal=proposal, at=AT)
    case.refresh_from_db()
    assert case.operations_memo == "추가 메모"


def test_declared_outcomes_of_the_real_playbooks():
    from cases.playbooks import get_playbook
    from cases.services.decisions import declared_outcomes

    assert declared_outcomes(fakes) >= {"approved", "rejected_duplicate"}
    assert declared_outcomes(get_playbook("ev_charging")) == {
        "forward_to_cpo",
        "postbill_notice",
        "exclude_from_billing",
        "cancel_after_settlement",
    }
    assert declared_outcomes(object()) == frozenset()


def test_override_uses_the_playbooks_propose_outcome_hook(make_case, staff, monkeypatch):
    """A playbook that can spell out the chosen outcome sends that outcome's messages."""

    def propose_outcome(facts, outcome, at, env):
        assert outcome == "approved"
        return fakes.propose({**facts, "decision": "approve"}, at, env)

    monkeypatch.setattr(fakes, "propose_outcome", propose_outcome, raising=False)
    case = make_case("reject")
    case_decide(
        case=case,
        actor=staff.lead,
        override_outcome="approved",
        override_reason="재확인 결과 승인",
        at=AT,
        env=StaticEnv(),
    )
    case.refresh_from_db()
    assert case.is_override and case.result_type == "approved"
    assert set(OutboundMessage.objects.values_list("template__name", flat=True)) == {
        fakes.TPL_CUSTOMER,
        fakes.TPL_DRIVER,
    }
    assert case.proposal["outcome"] == "rejected_ride_recorded"


def test_a_given_proposal_with_another_outcome_is_not_a_back_door(make_case, staff):
    import dataclasses

    case = make_case("reject")
    forged = dataclasses.replace(
        case_propose(case=case, at=AT, env=StaticEnv()), outcome="approved", messages=()
    )
    with pytest.raises(ProposalFailed):
        case_decide(case=case, actor=staff.agent, proposal=forged, at=AT, env=StaticEnv())
    assert Case.objects.get(pk=case.pk).status == Status.NEW
