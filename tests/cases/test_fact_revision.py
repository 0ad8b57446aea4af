"""Fact revisions (issue 13.2): facts change after intake and the proposal follows.

Seeds: 003 "답변 기록 후 다시 판단" (the team answers), 001 "고객 수긍/미수긍" (the customer
accepts or rejects the refund figure), 002 needs_review (a lead fills the missing fact, then
decides). Bad input: FACTS refuses -> Korean field errors, nothing changed.
"""

from __future__ import annotations

import itertools

import pytest

from cases.exceptions import ActionNotAllowed, DuplicateOpenCase, FactsInvalid, InvalidTransition
from cases.models import Case, CaseStep, FactRevision, StepStatus

pytestmark = pytest.mark.django_db

_ids = itertools.count(880_001)

EV_FACTS = {
    "case_type": "paid_not_charged",
    "station_name": "테스트 충전소",
    "station_kind": "non_direct",
    "charge_started_at": "2025-10-01T09:00:00+09:00",
    "charge_ended_at": "2025-10-01T09:40:00+09:00",
    "kwh": "12.500",
    "amount": 5000,
    "cpo_name": "테스트CPO",
}


def driver_facts(**over) -> dict:
    data = {
        "received_on": "2024-12-04",
        "driver_id": "drv-1001",
        "call_id": str(next(_ids)),
        "already_cancelled": False,
        "has_open_duplicate": False,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "cancel_reason_recorded": False,
        "fare_amount": 15000,
        "called_on": "2024-12-03",
        "origin": "강남역",
        "ob_unreachable": False,
    }
    data.update(over)
    return data


@pytest.fixture
def people(staff):
    from cases.services import staff_profile_set_services

    staff_profile_set_services(
        user=staff.agent, services=["driver", "ev", "parking"], actor=staff.lead
    )
    return staff


def file_case(people, playbook, facts, *, assignee=None):
    from cases.services import case_create

    result = case_create(
        playbook=playbook,
        facts=facts,
        channel="chatbot_board",
        actor=people.agent,
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        assignee=assignee if assignee is not None else people.agent,
    )
    assert result.created, result.message
    return result.case


def ev_case(people, **over):
    return file_case(people, "ev_charging", {**EV_FACTS, "tid": f"TID-{next(_ids)}", **over})


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    steps = list(CaseStep.objects.filter(case=case).values_list("code", "status").order_by("order"))
    return (
        case.facts,
        case.business_key,
        case.proposal,
        case.outcome,
        case.status,
        steps,
        case.history.count(),
        FactRevision.objects.filter(case=case).count(),
        case.outbound_messages.count(),
    )


# --- seed 003: the team answers; the decided case's remaining work follows -------------------


def test_team_answer_replans_a_decided_case_done_steps_stay_done(people):
    from cases.services import case_decide, case_step_complete
    from cases.services.revisions import case_revise_facts

    case = ev_case(people)
    case_decide(case=case, actor=people.agent)
    first = CaseStep.objects.filter(case=case).order_by("order").first()
    case_step_complete(case=case, step_code=first.code, actor=people.agent)
    waiting = CaseStep.objects.get(case=case, code="notify_customer")
    assert "다시 판단" in waiting.label and waiting.status == StepStatus.PENDING
    messages_before = case.outbound_messages.count()

    result = case_revise_facts(
        case=case, actor=people.agent, facts={"team_answer": "cancelled"}, note="담당부서 답변"
    )

    revision = result.revision
    assert revision.number == 1 and revision.created_by == people.agent
    assert revision.changed == ["team_answer"]
    assert revision.facts_before.get("team_answer") is None
    assert revision.facts_after["team_answer"] == "cancelled"
    assert revision.outcome_before == revision.outcome_after == "forward_to_cpo"
    assert revision.proposal_before["messages"] == []
    assert revision.proposal_after["messages"][0]["template"] == "전기차충전_미충전_결제취소완료"
    assert revision.replanned
    case.refresh_from_db()
    assert case.facts["team_answer"] == "cancelled" and case.status == "decided"
    assert "결제취소 완료" in case.reason
    steps = list(CaseStep.objects.filter(case=case).order_by("order"))
    # The step done before stays done and is not written again.
    assert [s.status for s in steps if s.code == first.code] == [StepStatus.DONE]
    # The pending "wait for the answer" step is replaced by the SMS step.
    old = CaseStep.objects.get(pk=waiting.pk)
    assert old.status == StepStatus.SKIPPED
    notify = [s for s in steps if s.code == "notify_customer" and s.status == "pending"]
    assert len(notify) == 1 and "결제취소 완료" in notify[0].label
    assert not old.clock.is_running
    # The answer's SMS is queued once, even when the same revision's plan is written again.
    assert case.outbound_messages.count() == messages_before + 1
    assert case.history.first().history_change_reason.startswith("사실관계 수정 1")
    assert "남은 처리 단계" in result.message


def test_a_replaced_step_that_is_the_same_step_keeps_its_promise(people):
    """A revision that does not change a waiting step does not move its due time."""
    from cases.services import case_decide
    from cases.services.revisions import case_revise_facts

    case = ev_case(people)
    case_decide(case=case, actor=people.agent)
    before = CaseStep.objects.get(case=case, code="post_agit").clock
    case_revise_facts(case=case, actor=people.agent, facts={"kwh": "13.000"})
    after = CaseStep.objects.get(case=case, code="post_agit", status="pending").clock
    assert after.pk != before.pk
    assert (after.started_at, after.due_at) == (before.started_at, before.due_at)


# --- seed 002: a lead fills the missing fact of a needs_review case, then decides -----------


def test_lead_fills_the_missing_fact_of_a_needs_review_case_then_decides(people):
    from cases.exceptions import NeedsReview
    from cases.services import case_decide
    from cases.services.revisions import case_revise_facts

    case = file_case(people, "driver_nonride_cancel", driver_facts(start_equals_last_point=None))
    assert case.proposal["outcome"] == "needs_review"
    with pytest.raises(NeedsReview):
        case_decide(case=case, actor=people.lead)

    result = case_revise_facts(
        case=case, actor=people.lead, facts={"start_equals_last_point": True}, note="미터기 확인"
    )
    assert result.revision.outcome_before == "needs_review"
    assert result.revision.outcome_after == "approved"
    assert not result.revision.replanned  # not decided yet: a revision simply re-proposes
    case.refresh_from_db()
    assert case.status == "new" and case.proposal["outcome"] == "approved"
    case_decide(case=case, actor=people.lead)
    assert case.outcome == "approved"


# --- seed 001: the customer rejects the refund figure ----------------------------------------


def test_customer_rejects_the_refund_figure_escalates_to_business_owners(people):
    from cases.services import case_decide
    from cases.services.revisions import case_revise_facts

    facts = {
        "request_kind": "midterm_cancel",
        "partner": "kmpark",
        "site_kind": "t_monthly",
        "lot_name": f"테스트 주차장 {next(_ids)}",
        "car_number": "12가3456",
        "paid_amount": 150000,
        "start_date": "2025-05-01",
        "cancel_date": "2025-05-10",
        "daily_max_fee": 10000,
    }
    case = file_case(people, "parking_operations", facts)
    case_decide(case=case, actor=people.agent)
    assert case.outcome == "explain_refund"
    posts = case.escalation_posts.count()

    result = case_revise_facts(
        case=case, actor=people.agent, facts={"customer_agrees": False}, note="고객 미수긍"
    )
    assert result.revision.outcome_after == "escalate_business_owner"
    case.refresh_from_db()
    assert case.outcome == "escalate_business_owner" and case.status == "decided"
    assert case.escalation_posts.count() == posts + 1  # the mention post the route prescribes


# --- the duplicate guard and the business key ------------------------------------------------


def test_own_case_is_never_a_duplicate_of_itself_and_the_key_follows_the_facts(people):
    from cases.services.revisions import case_revise_facts

    case = file_case(people, "driver_nonride_cancel", driver_facts())
    new_call = str(next(_ids))
    case_revise_facts(case=case, actor=people.agent, facts={"meter_minutes": 2})
    case_revise_facts(case=case, actor=people.agent, facts={"call_id": new_call})
    case.refresh_from_db()
    assert case.call_id == new_call and case.business_key == new_call
    assert case.fact_revisions.count() == 2


def test_revision_to_another_open_cases_key_is_refused(people):
    from cases.services.revisions import case_revise_facts

    other = file_case(people, "driver_nonride_cancel", driver_facts())
    case = file_case(people, "driver_nonride_cancel", driver_facts())
    before = snapshot(case)
    with pytest.raises(DuplicateOpenCase) as caught:
        case_revise_facts(case=case, actor=people.agent, facts={"call_id": other.call_id})
    assert f"#{other.pk}" in caught.value.message
    assert snapshot(case) == before


# --- bad input and refusals: Korean errors, nothing changed ----------------------------------


@pytest.mark.parametrize(
    "facts, field",
    [
        ({"team_answer": "bogus"}, "team_answer"),
        ({"amount": "많이"}, "amount"),
        ({"case_type": None}, "case_type"),  # removing a required fact
        ({"no_such_fact": 1}, "no_such_fact"),
    ],
)
def test_a_revision_facts_refuse_gives_korean_field_errors_and_changes_nothing(
    people, facts, field
):
    from cases.services import case_decide
    from cases.services.revisions import case_revise_facts

    case = ev_case(people)
    case_decide(case=case, actor=people.agent)
    before = snapshot(case)
    with pytest.raises(FactsInvalid) as caught:
        case_revise_facts(case=case, actor=people.agent, facts=facts)
    assert field in caught.value.errors
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in m) for m in caught.value.errors[field])
    assert snapshot(case) == before


def test_a_revision_that_changes_nothing_is_refused(people):
    from cases.services.revisions import case_revise_facts

    case = ev_case(people)
    before = snapshot(case)
    with pytest.raises(FactsInvalid, match="바뀐 사실관계가 없습니다"):
        case_revise_facts(case=case, actor=people.agent, facts={"amount": 5000})
    assert snapshot(case) == before


def test_who_may_revise(people):
    from cases.services import case_assign
    from cases.services.revisions import case_revise_facts

    case = ev_case(people)
    for user in (people.agent_b, people.auditor, people.integration):
        with pytest.raises(ActionNotAllowed):
            case_revise_facts(case=case, actor=user, facts={"amount": 6000})
    unassigned = ev_case(people)
    case_assign(case=unassigned, assignee=None, actor=people.lead)
    with pytest.raises(ActionNotAllowed):  # an agent takes the case first
        case_revise_facts(case=unassigned, actor=people.agent, facts={"amount": 6000})
    for user in (people.lead, people.deputy, people.manager):
        case_revise_facts(case=case, actor=user, facts={"amount": 6000 + user.pk})
    assert case.fact_revisions.count() == 3


def test_closed_case_is_refused(people):
    from cases.services.revisions import case_revise_facts

    case = ev_case(people)
    Case.objects.filter(pk=case.pk).update(status="closed")
    with pytest.raises(InvalidTransition, match="재오픈"):
        case_revise_facts(case=case, actor=people.lead, facts={"amount": 6000})


def test_an_overridden_case_is_revised_by_a_lead_not_the_agent(people):
    from cases.services import case_decide
    from cases.services.revisions import case_revise_facts

    case = ev_case(people)
    case_decide(
        case=case,
        actor=people.lead,
        override_outcome="postbill_notice",
        override_reason="CPO 확인 결과 통신오류",
    )
    assert case.is_override
    before = snapshot(case)
    with pytest.raises(ActionNotAllowed, match="팀장"):
        case_revise_facts(case=case, actor=people.agent, facts={"team_answer": "cancelled"})
    assert snapshot(case) == before
    case_revise_facts(case=case, actor=people.lead, facts={"team_answer": "cancelled"})
    case.refresh_from_db()
    assert not case.is_override and case.outcome == "forward_to_cpo"


# --- the case page ----------------------------------------------------------------------------


@pytest.fixture
def client_for():
    from django.test import Client

    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client


def test_case_page_revision_shows_old_and_new_proposal_side_by_side(people, client_for):
    from django.urls import reverse

    case = file_case(people, "driver_nonride_cancel", driver_facts(start_equals_last_point=None))
    client = client_for(people.lead)
    page = client.get(reverse("workspace:case", kwargs={"case_id": case.pk}))
    assert f'action="/work/cases/{case.pk}/facts/"' in page.content.decode()
    form = page.context["revision_form"]
    data = {f"rev-{name}": value for name, value in form.initial.items()}
    data = {
        k: ("true" if v is True else "false" if v is False else v)
        for k, v in data.items()
        if v is not None
    }
    for spec in form.fact_fields:  # checkboxes post nothing when unchecked
        if spec.kind == "bool" and data.get(f"rev-{spec.name}") == "false":
            data.pop(f"rev-{spec.name}")
    data["rev-start_equals_last_point"] = "true"
    data["rev-note"] = "미터기 지도에서 출발지·마지막 지점 확인"
    response = client.post(
        reverse("workspace:case_revise_facts", kwargs={"case_id": case.pk}), data
    )
    assert response.status_code == 302
    revision = case.fact_revisions.get()
    assert revision.changed == ["start_equals_last_point"], revision.changed
    html = client.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    assert "이전 제안" in html and "새 제안" in html
    assert "검토 필요" in html  # the old proposal's outcome, in Korean
    assert "사실관계 수정 1" in html  # the case log


def test_case_page_bad_revision_shows_korean_field_errors_and_changes_nothing(people, client_for):
    from django.urls import reverse

    case = ev_case(people)
    before = snapshot(case)
    client = client_for(people.agent)
    response = client.post(
        reverse("workspace:case_revise_facts", kwargs={"case_id": case.pk}),
        {"rev-case_type": "paid_not_charged", "rev-amount": "많이", "rev-team_answer": "bogus"},
    )
    assert response.status_code == 200
    form = response.context["revision_form"]
    assert form.errors["amount"] and form.errors["team_answer"]
    html = response.content.decode()
    assert "아무것도 바뀌지 않았습니다" in html
    assert snapshot(case) == before
    # Another agent's case: 404, as for a case that does not exist.
    other = client_for(people.agent_b).post(
        reverse("workspace:case_revise_facts", kwargs={"case_id": case.pk}),
        {"rev-amount": "6000"},
    )
    assert other.status_code == 404
    assert snapshot(case) == before


def test_admin_revise_facts_page_for_leads(people, client_for):
    from django.urls import reverse

    case = file_case(people, "driver_nonride_cancel", driver_facts(start_equals_last_point=None))
    url = reverse("admin:cases_case_revise_facts", args=[case.pk])
    lead = client_for(people.lead)
    assert lead.get(url).status_code == 200
    assert client_for(people.auditor).get(url).status_code == 403
    bad = lead.post(url, {"rev-meter_minutes": "열", "rev-received_on": "2024-12-04"})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert not case.fact_revisions.exists()
    form = lead.get(url).context["form"]
    data = {
        f"rev-{k}": ("true" if v is True else "false" if v is False else v)
        for k, v in form.initial.items()
        if v is not None and v is not False
    }
    data["rev-start_equals_last_point"] = "true"
    response = lead.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert case.fact_revisions.get().outcome_after == "approved"
