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


@pytest.mark.parametrize("playbook", sorted(DOMAIN_OUTCOMES))
def test_an_override_of_every_playbook_leaves_a_record_and_a_follow_up(people, playbook):
    lead, agent = people
    case = _case(playbook, agent, n=7)
    proposed = case_propose(case=case).outcome
    target = next(code for code, _label in override_choices(playbook) if code != proposed)
    case_decide(case=case, actor=lead, override_outcome=target, override_reason="팀장 판단")
    case.refresh_from_db()
    label = outcome_labels(playbook)[target]
    assert case.status == "decided" and case.outcome == target and case.is_override
    assert case.record_title and "팀장 판단" in case.record_notes
    codes = set(case.steps.values_list("code", flat=True))
    # No playbook spells out another outcome's texts: the follow-up says it is done by hand.
    assert case.outbound_messages.exists() or "override_follow_up" in codes
    follow = case.steps.get(code="override_follow_up")
    assert label in follow.label and "직접" in follow.label
    assert label in case.operations_memo
    assert Case.history.filter(id=case.pk, outcome=target).exists()
