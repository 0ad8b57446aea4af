"""The case page's plan (issue 13.4 / 13.5): each step with its drafted SMS, "해당 없음" with a
reason, the steps that block closing, and the leads' forced close; refusals are Korean messages
that change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import case_decide
from tests.workspace.conftest import messages_of

pytestmark = pytest.mark.django_db


def _url(name: str, case: Case) -> str:
    return reverse(name, kwargs={"case_id": case.pk})


def _decided(staff, make_case) -> Case:
    case = make_case(assignee=staff.agent)
    case_decide(case=case, actor=staff.agent)
    return case


def test_the_page_shows_each_step_with_its_drafted_sms_and_what_blocks_closing(
    staff, client_for, make_case
):
    case = _decided(staff, make_case)
    html = client_for(staff.agent).get(_url("workspace:case", case)).content.decode()
    assert "발송 전 (단계 대기)" in html  # the draft's status, at its step
    assert "15,000원" in html  # its preview
    assert "앞 단계를 마친 뒤 보낼 수 있습니다" in html
    assert "3. [고객/기사] &#x27;취소완료&#x27; SMS 발송" in html
    assert 'id="close-blockers"' in html
    assert _url("workspace:case_force_close", case) not in html  # an agent: no forced close
    assert _url("workspace:case_step_na", case) in html
    lead_page = client_for(staff.lead).get(_url("workspace:case", case)).content.decode()
    assert _url("workspace:case_force_close", case) in lead_page
    assert "<script>" not in html  # plain forms (CSP: no inline script)


def test_not_applicable_needs_a_reason_then_is_recorded(staff, client_for, make_case):
    case = _decided(staff, make_case)
    client = client_for(staff.agent)
    url = _url("workspace:case_step_na", case)
    response = client.post(url, {"step_code": "check_meter"})
    assert any("해당 없음 사유" in m for m in messages_of(response)), messages_of(response)
    assert case.steps.get(code="check_meter").status == "pending"
    response = client.post(url, {"step_code": "check_meter", "reason": "어드민 장애, 통화로 확인"})
    assert messages_of(response) == [
        "'대리어드민 - 콜상세정보 - 운행결과 확인 - 미터기 운행 상세 확인' 단계를 "
        "'해당 없음'으로 처리했습니다."
    ]
    step = case.steps.get(code="check_meter")
    assert (step.status, step.na_reason) == ("not_applicable", "어드민 장애, 통화로 확인")


def test_force_close_is_a_leads_with_a_reason(staff, client_for, make_case):
    case = _decided(staff, make_case)
    for post in case.escalation_posts.all():
        post.link_url = "https://agit.example/1"
        post.save()
    url = _url("workspace:case_force_close", case)
    assert client_for(staff.agent).post(url, {"reason": "x"}).status_code == 403
    lead = client_for(staff.lead)
    response = lead.post(url, {})
    assert any("강제 종결 사유" in m for m in messages_of(response)), messages_of(response)
    assert Case.objects.get(pk=case.pk).status == "decided"
    response = lead.post(url, {"reason": "고객 요청 철회"})
    assert messages_of(response) == [
        "케이스를 강제 종결했습니다. 사유와 미완료 단계가 이력에 남았습니다."
    ]
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.history.first().history_change_reason.startswith("강제 종결: 고객 요청 철회")
