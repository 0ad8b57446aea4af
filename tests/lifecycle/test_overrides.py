"""Issue 13 item 3: overrides only to the outcomes a playbook declares (select, not free text),
and an override of every playbook leaves a record and either its messages or a follow-up."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.exceptions import UnknownOutcome
from cases.labels import outcome_filter_choices, outcome_labels, override_choices
from cases.models import Case
from cases.playbooks import PLAYBOOKS
from cases.playbooks.base import PlaybookError
from cases.services import case_create, case_decide, case_propose
from kmcs_site.demo_data import VARIANTS, phones

pytestmark = pytest.mark.django_db

#: DOMAIN.md's outcome codes (parking_operations: README "Seed 001 outcome codes").
DOMAIN_OUTCOMES = {
    "parking_double_payment": [
        "cancel_pass_payment",
        "normal_overtime",
        "customer_fault_bought_after_entry",
        "customer_fault_info_mismatch",
        "request_evidence",
        "refer_control_center",
        "center_contacts_control_center",
        "escalate_agit",
        "consultation_restricted",  # seed 000 ① ※ 본인이 아닌 경우 상담제한 (issue 15)
    ],
    "driver_nonride_cancel": [
        "approved",
        "rejected_ride_recorded",
        "rejected_already_processed",
        "rejected_other_inquiry",
        "rejected_duplicate",
        "needs_review",
    ],
    "ev_charging": [
        "forward_to_cpo",
        "postbill_notice",
        "exclude_from_billing",
        "cancel_after_settlement",
    ],
    "traffic_fine": [
        "payout",
        "transfer_to_manager",
        "rejected_duplicate",
        "rejected_evidence_mismatch",
        "request_documents",
    ],
    "parking_operations": [
        "follow_route",
        "explain_refund",
        "escalate_business_owner",
        "needs_review",
        "request_site_evidence",
        "cancel_site_payment",
    ],
}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def people(make_user):
    from cases.services import staff_profile_set_services

    lead = make_user("team_lead", username="lead_h6")
    agent = make_user("agent", username="agent_h6")
    staff_profile_set_services(user=agent, services=["driver", "ev", "parking"], actor=lead)
    return lead, agent


def _case(playbook, agent, n=1, variant=0):
    v = VARIANTS[playbook][variant]
    customer, driver = phones(n)
    return case_create(
        playbook=playbook,
        facts=v.facts(timezone.localdate(), n),
        channel="chatbot_board",
        actor=agent,
        customer_phone=customer,
        driver_phone=driver,
    ).case


@pytest.mark.parametrize("playbook", sorted(DOMAIN_OUTCOMES))
def test_every_playbook_declares_its_outcomes_in_order_with_korean_labels(playbook):
    declared = PLAYBOOKS[playbook].OUTCOMES
    assert list(declared) == DOMAIN_OUTCOMES[playbook]
    assert all(HANGUL.search(label) for label in declared.values())
    assert "needs_review" not in dict(override_choices(playbook))


def test_admin_filter_lists_every_playbooks_outcomes_with_labels():
    choices = dict(outcome_filter_choices())
    for playbook, codes in DOMAIN_OUTCOMES.items():
        for code in codes:
            assert outcome_labels(playbook)[code] in choices[code]


@pytest.mark.parametrize(
    ("typed", "variant"),
    [("승인", 2), ("approve", 2), ("payout", 2), ("needs_review", 0), ("승인", 0)],
)
def test_a_typed_or_undeclared_outcome_is_refused_and_nothing_changes(people, typed, variant):
    lead, agent = people
    case = _case("driver_nonride_cancel", agent, variant=variant)  # 2: needs_review, 0: approved
    with pytest.raises(UnknownOutcome) as exc:
        case_decide(case=case, actor=lead, override_outcome=typed, override_reason="확인함")
    assert "다음 중에서 고르세요" in exc.value.message and "반려 (중복 접수)" in exc.value.message
    case.refresh_from_db()
    assert case.status == "new" and case.outcome == "" and not case.steps.exists()


def test_workspace_override_form_is_a_select_and_refuses_a_typed_outcome(people):
    lead, agent = people
    case = _case("driver_nonride_cancel", agent, variant=2)
    client = Client()
    client.force_login(lead)
    page = client.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    assert '<select name="outcome"' in page and "반려 (운행거리&amp;시간 O)" in page
    assert 'list="outcomes"' not in page
    response = client.post(
        reverse("workspace:case_override", args=[case.pk]),
        {"outcome": "승인", "reason": "확인함"},
        follow=True,
    )
    text = response.content.decode()
    assert "이 플레이북의 처리 결과가 아닙니다" in text and "승인 (미운행 결제취소)" in text
    case.refresh_from_db()
    assert case.status == "new" and not case.is_override


def test_admin_override_is_a_select_and_decides(people):
    lead, agent = people
    case = _case("driver_nonride_cancel", agent, variant=2)
    client = Client()
    client.force_login(lead)
    url = reverse("admin:cases_case_override", args=[case.pk])
    page = client.get(url).content.decode()
    assert '<select name="outcome"' in page
    bad = client.post(url, {"outcome": "승인", "reason": "확인"})
    assert "이 플레이북의 처리 결과가 아닙니다" in bad.content.decode()
    case.refresh_from_db()
    assert case.status == "new"
    client.post(url, {"outcome": "rejected_ride_recorded", "reason": "미터기 지도 확인"})
    case.refresh_from_db()
    assert case.status == "decided" and case.outcome == "rejected_ride_recorded"
    assert case.is_override and case.overridden_by == lead


def _chosen(case, target):
    """What the playbook's ``propose_outcome`` gives for ``target`` on the case's facts (a
    proposal, or None: no texts), or the PlaybookError refusing it."""
    from cases.playbooks import validate_facts
    from cases.playbooks.env import DatabaseEnv

    module = PLAYBOOKS[case.playbook]
    facts = validate_facts(case.playbook, case.facts)
    try:
        return module.propose_outcome(facts, target, timezone.now(), DatabaseEnv())
    except PlaybookError as exc:
        return exc


@pytest.mark.parametrize("playbook", sorted(DOMAIN_OUTCOMES))
def test_an_override_of_every_playbook_leaves_a_record_and_its_texts_or_a_follow_up(
    people, playbook
):
    lead, agent = people
    case = _case(playbook, agent, n=7)
    proposed = case_propose(case=case).outcome
    # The first other outcome the playbook can decide on these facts (one needing a fact the
    # case lacks is refused: see the tests below).
    target, chosen = next(
        (code, chosen)
        for code, _label in override_choices(playbook)
        if code != proposed and not isinstance(chosen := _chosen(case, code), PlaybookError)
    )
    case_decide(case=case, actor=lead, override_outcome=target, override_reason="팀장 판단")
    case.refresh_from_db()
    label = outcome_labels(playbook)[target]
    assert case.status == "decided" and case.outcome == target and case.is_override
    assert case.record_title
    assert label in case.operations_memo and "팀장 판단" in case.operations_memo
    assert Case.history.filter(id=case.pk, outcome=target).exists()
    codes = list(case.steps.order_by("order").values_list("code", flat=True))
    if chosen is None:
        # No playbook text for this outcome on these facts: the follow-up says it is done by hand.
        assert "팀장 판단" in case.record_notes
        follow = case.steps.get(code="override_follow_up")
        assert label in follow.label and "직접" in follow.label
        return
    # The outcome's own plan: its steps, record, memos and messages, as a decision writes them.
    assert "override_follow_up" not in codes
    assert codes == [s.code for s in chosen.steps]
    assert (case.record_title, case.record_notes) == (chosen.record.title, chosen.record.notes)
    assert case.billing_memo == chosen.billing_memo
    assert sorted(case.outbound_messages.values_list("template__name", flat=True)) == sorted(
        m.template for m in chosen.messages
    )
    assert set(case.outbound_messages.values_list("status", flat=True)) <= {"planned"}


def test_overriding_a_needs_review_case_to_approved_plans_the_seed_002_approval(people):
    """Seed 002 승인: the driver's and the customer's '취소완료' SMS drafted at their step (sent
    only after '어드민 확인 후 결제취소'), the billing memo, the record and the Agit post."""
    from cases.exceptions import StepNotReached
    from cases.models import EscalationPost
    from cases.playbooks import driver_nonride_cancel as dnc
    from cases.services import case_step_complete, case_step_send

    lead, agent = people
    case = _case("driver_nonride_cancel", agent, n=3, variant=2)
    assert case_propose(case=case).outcome == "needs_review"
    case_decide(case=case, actor=lead, override_outcome="approved", override_reason="지도 확인함")
    case.refresh_from_db()
    assert (case.outcome, case.result_type, case.is_override) == ("approved", "approved", True)
    assert case.record_title == "처리완료" and case.record_inquiry == "미운행건 결제취소 요청"
    assert case.billing_memo == "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS"
    assert "지도 확인함" in case.operations_memo
    post = EscalationPost.objects.get(case=case)
    assert (post.board, post.template) == ("[운영] 대리 CS 대응", "챗보드_요금조정(광주KMCC)")
    messages = case.outbound_messages.order_by("audience")
    assert [(m.template.name, m.audience, m.status, m.step.code) for m in messages] == [
        (dnc.TPL_CUSTOMER_APPROVED, "customer", "planned", "send_sms"),
        (dnc.TPL_DRIVER_APPROVED, "driver", "planned", "send_sms"),
    ]
    fare = f"{case.facts['fare_amount']:,}원"
    assert all(fare in m.body for m in messages)  # ■ 취소금액 in both SMS
    assert "override_follow_up" not in set(case.steps.values_list("code", flat=True))
    # Sent at their step, like any decision: not before "어드민 확인 후 결제취소".
    with pytest.raises(StepNotReached):
        case_step_send(case=case, step_code="send_sms", actor=case.assignee)
    for code in ("check_meter", "cancel_payment"):
        case_step_complete(case=case, step_code=code, actor=case.assignee)
    _step, count = case_step_send(case=case, step_code="send_sms", actor=case.assignee)
    assert count == 2
    assert "planned" not in set(case.outbound_messages.values_list("status", flat=True))


def test_an_override_whose_texts_need_a_missing_fact_is_refused_and_nothing_changes(people):
    from cases.exceptions import ProposalFailed

    lead, agent = people
    v = VARIANTS["driver_nonride_cancel"][2]  # needs_review
    facts = v.facts(timezone.localdate(), 4)
    for name in ("fare_amount", "called_on", "origin"):
        facts.pop(name)
    customer, driver = phones(4)
    case = case_create(
        playbook="driver_nonride_cancel",
        facts=facts,
        channel="chatbot_board",
        actor=agent,
        customer_phone=customer,
        driver_phone=driver,
    ).case
    with pytest.raises(ProposalFailed) as exc:
        case_decide(case=case, actor=lead, override_outcome="approved", override_reason="확인")
    message = exc.value.message
    assert "승인 (미운행 결제취소)" in message and "사실관계를 먼저 보완해 주세요" in message
    assert "결제(취소)금액" in message and "호출일" in message and "출발지" in message
    case.refresh_from_db()
    assert case.status == "new" and case.outcome == "" and not case.is_override
    assert not case.steps.exists() and not case.outbound_messages.exists()
    assert case.billing_memo == "" and not case.escalation_posts.exists()


def test_an_override_to_an_outcome_without_texts_keeps_the_generic_follow_up(people):
    """traffic_fine: a payout is created by the fines decision, never by a case override, so an
    override to payout sends no 입금 예정 SMS and says the rest is done by hand."""
    lead, agent = people
    case = _case("traffic_fine", agent, n=5, variant=1)  # request_documents
    assert case_propose(case=case).outcome == "request_documents"
    case_decide(case=case, actor=lead, override_outcome="payout", override_reason="계좌 확인")
    case.refresh_from_db()
    assert case.outcome == "payout" and not case.outbound_messages.exists()
    assert "override_follow_up" in set(case.steps.values_list("code", flat=True))
