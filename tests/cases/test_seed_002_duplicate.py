"""Seed 002 answers a duplicate post; it does not fold it (issue 15 B 002).

Seed 002, section 5: "**5. 미운행건 결제취소 - 반려 (중복 접수)**", "상황: 이미 처리 진행 중인 동일
문의가 있는 경우", "CEMS 문자 템플릿 명 | 대리기사\\_챗봇게시판\\_공용(반려)\\_중복접수",
"처리결과(유형) | 반려 (중복 접수)", 처리내용 "-처리불가 사유: 중복 접수 ㄴ(중복접수 상담ID 또는,
아지트 링크 기재)". A second board post about a call in progress is its own case, answered
반려 (중복 접수) with that SMS, and linked to the case in progress.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case
from cases.playbooks import driver_nonride_cancel as playbook
from cases.services import case_create
from templates_app.models import OutboundMessage

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 5, 10, 0, tzinfo=SEOUL)


def _facts(**over):
    data = {
        "received_on": "2024-12-04",
        "driver_id": "drv-1001",
        "call_id": "31337",
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


def _post(actor, **facts):
    return case_create(
        playbook="driver_nonride_cancel",
        facts=_facts(**facts),
        channel="chatbot_board",
        actor=actor,
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        at=AT,
    )


def test_second_post_for_a_call_in_progress_is_its_own_case_decided_rejected_duplicate(staff):
    first = _post(staff.agent).case
    second = _post(staff.agent, received_on="2024-12-05")

    assert second.created and second.case.pk != first.pk
    assert second.duplicate_of is None and second.answered_duplicate_of == first
    case = Case.objects.get(pk=second.case.pk)
    assert case.duplicate_of_id == first.pk  # the link, on the case and in its history
    assert case.history.first().duplicate_of_id == first.pk
    assert case.business_key == ""  # the guard stays with the case in progress
    # Decided as the seed says: outcome, 처리결과(유형), 상담이력 제목, 처리내용 with 상담ID.
    assert case.status == "decided"
    assert case.outcome == "rejected_duplicate"
    assert case.get_result_type_display() == "반려 (중복 접수)"
    assert case.record_title == "반려 (중복 접수)"
    assert f"-처리불가 사유: 중복 접수\nㄴ상담ID #{first.pk}" in case.record_notes
    # Its SMS is the seed's template, drafted at its step (sent when the step is reached).
    message = OutboundMessage.objects.get(case=case)
    assert (
        message.template.name == playbook.TPL_DUPLICATE == "대리기사_챗봇게시판_공용(반려)_중복접수"
    )
    assert message.status == "planned" and message.step.code == "send_sms"
    assert "12월 5일 접수하신" in message.body
    assert "현재 12월 4일 동일한 내용으로 접수된 건이 있어 처리 중" in message.body
    # The first case is untouched and still the one in progress.
    first.refresh_from_db()
    assert first.status == "new" and first.business_key == "31337"
    assert second.answered_duplicate_of.pk == first.pk
    assert f"#{first.pk}" in second.message and "중복 접수" in second.message


def test_a_third_post_links_to_the_case_in_progress_too(staff):
    first = _post(staff.agent).case
    _post(staff.agent)
    third = _post(staff.agent)
    assert third.created and third.case.duplicate_of_id == first.pk
    assert first.duplicates.count() == 2


def test_a_caller_who_may_not_decide_gets_the_case_proposed_rejected_duplicate(staff):
    """The integration user files (intake) but does not decide: the case waits, proposed."""
    first = _post(staff.agent).case
    second = _post(staff.integration)
    case = second.case
    assert case.duplicate_of_id == first.pk and case.status == "new"
    assert second.proposal.outcome == "rejected_duplicate"
    assert case.proposal["outcome"] == "rejected_duplicate"
    assert not OutboundMessage.objects.filter(case=case).exists()


def test_after_the_first_is_decided_a_new_post_is_a_new_inquiry(staff):
    from cases.services import case_decide

    first = _post(staff.agent).case
    case_decide(case=first, actor=staff.agent, at=AT)
    again = _post(staff.agent)
    assert again.created and again.case.duplicate_of is None
    assert again.case.business_key == "31337"


def test_other_inquiry_stores_the_seeds_result_type_in_full(staff):
    """Seed 002 4.: "처리결과(유형) | 반려 (기타: 접수유형 외 다른 문의)"."""
    from cases.services import case_decide

    case = _post(
        staff.agent, inquiry_kind="other", other_inquiry_summary="콜 배정", call_id="40404"
    ).case
    case_decide(case=case, actor=staff.agent, at=AT)
    case.refresh_from_db()
    assert case.result_type == "rejected_other"
    assert case.get_result_type_display() == "반려 (기타: 접수유형 외 다른 문의)"
