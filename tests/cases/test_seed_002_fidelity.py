"""Seed 002 to the letter (issue 15 B 002, h23): each test quotes the seed line it enforces."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.consultation_types import all_paths
from cases.models import Case, CaseStep
from cases.playbooks import driver_nonride_cancel as pb
from cases.playbooks import evaluate
from cases.playbooks.base import StaticEnv
from cases.services import case_create, case_decide
from templates_app.models import OutboundMessage

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 5, 10, 0, tzinfo=SEOUL)
SCHEDULED = "대리기사_챗봇게시판_기사미운행건결제취소(처리중)_취소예정"


def _facts(**over):
    data = {
        "received_on": "2024-12-04",
        "driver_id": "drv-1001",
        "call_id": "31337",
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 15000,
        "called_on": "2024-12-03",
        "origin": "강남역",
    }
    data.update(over)
    return data


def _propose(**over):
    return evaluate(pb.CODE, _facts(**over), AT, StaticEnv())


# --- "① 상담유형: 대리_기사 ▶ 요금/포인트 ▶ 결제취소 ▶ 서비스 타입(콜타입)"


@pytest.mark.parametrize(("service_type", "leaf"), [("own", "자사콜"), ("consigned", "위탁콜")])
def test_the_fourth_level_is_the_calls_service_type(service_type, leaf):
    for over in ({}, {"meter_distance_km": "3.2", "meter_minutes": 12}):
        p = _propose(service_type=service_type, **over)
        assert p.consultation_type == ("대리_기사", "요금/포인트", "결제취소", leaf)
        assert p.consultation_type in all_paths()


def test_other_inquiry_keeps_the_service_type_under_the_agents_depths():
    # "① 상담유형: 대리_기사 ▶ (문의에 적절한 2뎁스) ▶ (문의에 적절한 3뎁스) ▶ 서비스 타입(콜타입)"
    p = _propose(
        service_type="consigned",
        inquiry_kind="other",
        other_inquiry_summary="포인트 출금",
        other_type_depth2="포인트",
        other_type_depth3="출금",
    )
    assert p.consultation_type == ("대리_기사", "포인트", "출금", "위탁콜")


def test_a_call_without_its_service_type_keeps_the_placeholder_leaf():
    assert _propose().consultation_type == ("대리_기사", "요금/포인트", "결제취소", "콜타입")


# --- 1. "※ 관련링크 바로가기 ... ㄴ처리예정 SMS 발송: ▶ 처리중 (사유: 취소예정)"


def test_an_approval_not_cancelled_at_once_sends_the_scheduled_sms_before_cancelling():
    p = _propose(cancel_scheduled=True)
    codes = [s.code for s in p.steps]
    assert codes.index("check_meter") < codes.index("send_scheduled_sms")
    assert codes.index("send_scheduled_sms") < codes.index("cancel_payment")
    assert codes.index("cancel_payment") < codes.index("send_sms")
    by_template = {m.template: m for m in p.messages}
    assert by_template[SCHEDULED].step == "send_scheduled_sms"
    assert by_template[SCHEDULED].audience == "driver"
    assert by_template["대리기사_챗봇게시판_기사미운행건결제취소(승인)"].step == "send_sms"
    step = next(s for s in p.steps if s.code == "send_scheduled_sms")
    assert "처리중 (사유: 취소예정)" in step.label
    # "→ 즉시 취소 후, 고객 SMS 발송": an approval cancelled at once sends no 처리예정 SMS.
    assert SCHEDULED not in {m.template for m in _propose().messages}


@pytest.mark.django_db
def test_decided_case_files_the_service_type_leaf_and_drafts_the_scheduled_sms_at_its_step(staff):
    case = case_create(
        playbook=pb.CODE,
        facts=_facts(service_type="own", cancel_scheduled=True),
        channel="chatbot_board",
        actor=staff.agent,
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        at=AT,
    ).case
    case_decide(case=case, actor=staff.agent, at=AT)
    case.refresh_from_db()
    assert case.consultation_type.path_label == "대리_기사 ▶ 요금/포인트 ▶ 결제취소 ▶ 자사콜"
    draft = OutboundMessage.objects.get(template__code=SCHEDULED)
    assert draft.status == OutboundMessage.Status.PLANNED
    assert draft.step == CaseStep.objects.get(case=case, code="send_scheduled_sms")


# --- 5. "반려 (중복 접수)" / "상황: 이미 처리 진행 중인 동일 문의가 있는 경우": batch intake and the
# importer answer a second post like single intake (own case, linked, 반려 (중복 접수)).


@pytest.mark.django_db
def test_batch_intake_answers_a_second_post_for_a_call_in_progress(staff):
    from cases.services.intake import BatchStatus, case_create_batch

    first = case_create(
        playbook=pb.CODE,
        facts=_facts(meter_distance_km=None),  # needs review: stays open
        channel="chatbot_board",
        actor=staff.agent,
        driver_phone="010-0000-5678",
        at=AT,
    ).case
    item = {
        "playbook": pb.CODE,
        "facts": _facts(received_on="2024-12-05"),
        "channel": "chatbot_board",
        "driver_phone": "010-0000-5678",
        "idempotency_key": "batch-dup-1",
    }
    twin = {**item, "idempotency_key": "batch-dup-2"}
    results = case_create_batch(items=[(0, item), (1, twin)], actor=staff.agent, at=AT)
    for result in results:
        assert result.status == BatchStatus.CREATED, result
        assert result.case_id != first.pk
        case = Case.objects.get(pk=result.case_id)
        assert case.duplicate_of_id == first.pk
        assert case.outcome == "rejected_duplicate" and case.status == "decided"
        assert case.facts["duplicate_ref"] == f"상담ID #{first.pk}"
        draft = OutboundMessage.objects.get(
            template__code="대리기사_챗봇게시판_공용(반려)_중복접수", object_id=case.pk
        )
        assert draft.status == OutboundMessage.Status.PLANNED
        assert draft.step.code == "send_sms"
    # Replaying the batch files nothing new.
    again = case_create_batch(items=[(0, item)], actor=staff.agent, at=AT)
    assert again[0].status == BatchStatus.EXISTING


@pytest.mark.django_db
def test_importer_answers_a_second_post_for_a_call_in_progress(staff, tmp_path):
    import json

    from django.core.management import call_command

    first = case_create(
        playbook=pb.CODE,
        facts=_facts(meter_distance_km=None),
        channel="chatbot_board",
        actor=staff.agent,
        driver_phone="010-0000-5678",
        at=AT,
    ).case
    path = tmp_path / "board.jsonl"
    row = {
        "playbook": pb.CODE,
        "channel": "chatbot_board",
        "facts": _facts(received_on="2024-12-05"),
        "driver": {"phone": "010-0000-5678"},
        "idempotency_key": "import-dup-1",
    }
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    call_command("import_cases", str(path), "--as-user", staff.lead.username)
    case = Case.objects.get(idempotency_key="import-dup-1")
    assert case.duplicate_of_id == first.pk
    assert case.facts["has_open_duplicate"] is True
    assert case.facts["duplicate_ref"] == f"상담ID #{first.pk}"
    assert case.business_key == ""  # the guard stays with the case in progress
    assert evaluate(pb.CODE, case.facts, AT, StaticEnv()).outcome == "rejected_duplicate"
