"""상담이력 · 메모 on the case page: the agent edits title/inquiry/billing memo and adds to
처리내용/운영메모 (shown masked, so never rewritten from the page); closed cases refuse; every
save is one history row with the agent as its author."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from tests.workspace.conftest import CUSTOMER_PHONE, messages_of

pytestmark = pytest.mark.django_db


def _url(name: str, case: Case) -> str:
    return reverse(name, kwargs={"case_id": case.pk})


def test_agent_edits_the_record_and_adds_to_the_notes(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    Case.objects.filter(pk=case.pk).update(record_notes=f"고객 {CUSTOMER_PHONE} 통화")
    client = client_for(staff.agent)

    page = client.get(_url("workspace:case", case)).content.decode()
    assert _url("workspace:case_record", case) in page
    assert CUSTOMER_PHONE not in page  # the notes are not put back whole into a textarea

    before = Case.history.filter(id=case.pk).count()
    response = client.post(
        _url("workspace:case_record", case),
        {
            "record_title": "기사 미운행 결제취소 문의",
            "record_inquiry": "운행하지 않았는데 결제됨",
            "notes_addition": "미터기 0.0km 확인",
            "memo_addition": "",
            "billing_memo": "미운행 결제취소",
        },
    )
    assert "상담이력과 메모를 저장했습니다." in messages_of(response)
    case.refresh_from_db()
    assert case.record_title == "기사 미운행 결제취소 문의"
    assert case.record_inquiry == "운행하지 않았는데 결제됨"
    assert case.record_notes == f"고객 {CUSTOMER_PHONE} 통화\n미터기 0.0km 확인"
    assert case.operations_memo == ""
    assert case.billing_memo == "미운행 결제취소"
    latest = Case.history.filter(id=case.pk).order_by("-history_id").first()
    assert Case.history.filter(id=case.pk).count() == before + 1
    assert latest.history_user_id == staff.agent.pk


def test_too_long_title_is_a_korean_error_and_changes_nothing(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    response = client.post(_url("workspace:case_record", case), {"record_title": "가" * 201})
    assert any("200" in m for m in messages_of(response)), messages_of(response)
    case.refresh_from_db()
    assert case.record_title != "가" * 201


def test_closed_case_refuses_the_edit(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    Case.objects.filter(pk=case.pk).update(status="closed")
    client = client_for(staff.agent)
    page = client.get(_url("workspace:case", case)).content.decode()
    assert _url("workspace:case_record", case) not in page
    response = client.post(_url("workspace:case_record", case), {"record_title": "바꾸기"})
    assert any("종결된 케이스" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.record_title != "바꾸기"


def test_another_agents_case_is_a_404(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    other = client_for(staff.agent_b)
    response = other.post(_url("workspace:case_record", case), {"record_title": "x"})
    assert response.status_code == 404
