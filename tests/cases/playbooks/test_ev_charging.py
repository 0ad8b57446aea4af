"""Seed 003 ([전기차충전] 미충전 및 미결제): the four cases A-D and the team's answer."""

from __future__ import annotations

from datetime import datetime

import pytest
from rest_framework.exceptions import ValidationError

from cases.consultation_types import EV_NOT_CHARGED, EV_PAYMENT_FAILED
from cases.playbooks import ev_charging as pb
from cases.playbooks import evaluate
from cases.playbooks.base import StaticEnv

from .conftest import SEOUL, kst, step, step_codes

AT = kst(2025, 4, 10, 15, 0)
ENV = StaticEnv()


def facts(case_type="paid_not_charged", **over):
    data = {
        "case_type": case_type,
        "station_name": "판교역 공영 충전소",
        "charge_started_at": "2025-04-09T14:30:00+09:00",
        "charge_ended_at": "2025-04-09T15:10:00+09:00",
        "tid": "TID-0042",
        "kwh": "0.000",
        "amount": 12800,
        "cpo_name": "에버온",
    }
    data.update(over)
    return data


def run(data):
    return evaluate(pb.CODE, data, AT, ENV)


IDENTIFY_WHEN = "실례지만 25년 04월 09일 14시 30분 판교역 공영 충전소"


def test_a_paid_not_charged_forwards_to_cpo_then_agit():
    p = run(facts())
    assert p.outcome == "forward_to_cpo"
    assert p.consultation_type == EV_NOT_CHARGED["non_direct"]
    assert p.consultation_type == ("전기차충전", "오류", "미충전결제", "직영 외")
    assert step_codes(p) == [
        "identify",
        "explain_forward",
        "check_admin",
        "email_cpo",
        "post_agit",
        "notify_customer",
        "save_record",
    ]
    assert step(p, "identify").script == f"{IDENTIFY_WHEN} 내역에 대한 문의 맞으실까요?"
    assert "담당부서의 확인이 필요한 점 양해부탁드립니다." in step(p, "explain_forward").script
    admin = step(p, "check_admin").script
    for part in (
        "TID-0042",
        "2025년 04월 09일 14:30",
        "2025년 04월 09일 15:10",
        "0.000 kWh",
        "12,800원",
    ):
        assert part in admin
    mail = step(p, "email_cpo")
    assert mail.waits_on == "cpo"
    assert "실제 이용내역" in mail.label and "정산제외 예고" in mail.label
    assert "실제 이용내역 확인" in mail.script and "정산에서 제외될 예정" in mail.script
    assert "에버온" in mail.script
    assert p.escalation.board == "전기차충전cs"
    assert "정산 제외 이견 여부/ 결제취소 완료 여부" in p.escalation.body
    assert step(p, "post_agit").waits_on == "team"
    assert step(p, "notify_customer").waits_on == "team"
    assert p.messages == ()  # nothing reaches the customer before the team answers
    assert p.record.inquiry == "충전하지 않았는데 결제되었어요."


def test_a_team_answer_cancelled_sends_the_follow_up_sms():
    p = run(facts(team_answer="cancelled"))
    assert [(m.template, m.audience) for m in p.messages] == [
        ("전기차충전_미충전_결제취소완료", "customer")
    ]
    assert p.messages[0].context == {
        "used_at": datetime(2025, 4, 9, 14, 30, tzinfo=SEOUL),
        "station": "판교역 공영 충전소",
        "amount": 12800,
    }
    assert step(p, "notify_customer").waits_on is None
    assert "결제취소 완료" in p.reason


def test_b_charged_not_paid_is_a_postbill_notice():
    data = {
        "case_type": "charged_not_paid",
        "station_name": "광교",
        "charge_started_at": "2025-04-09T08:05:00+09:00",
        "station_kind": "center_field",
    }
    p = run(data)
    assert p.outcome == "postbill_notice"
    assert p.consultation_type == EV_PAYMENT_FAILED["center_field"]
    assert step_codes(p) == ["identify", "explain_postbill", "save_record"]
    assert step(p, "identify").script == (
        "실례지만 25년 04월 09일 08시 05분 광교 충전소 이용 건에 대한 문의 맞으실까요?"
    )
    explain = step(p, "explain_postbill").script
    assert "충전기와의 일시적인 통신오류로 정상 결제되지 않은 것으로 확인됩니다." in explain
    assert "결제 예정 알림톡" in explain
    assert p.escalation is None and p.messages == ()


def test_c_postbill_before_payment_asks_to_exclude_from_billing():
    p = run(facts("postbill_before_payment"))
    assert p.outcome == "exclude_from_billing"
    assert p.consultation_type == ("전기차충전", "결제", "결제실패/미수", "직영 외")
    identify = step(p, "identify").script
    assert identify.startswith(f"{IDENTIFY_WHEN} 내역에 대한 문의 맞으실까요?")
    assert "당시 해당 전기차 충전 서비스를 이용하시지 않은걸까요?" in identify
    assert "실제로 충전하지 않은 내역으로 결제가 되지 않도록" in step(p, "explain_forward").script
    assert p.escalation.board == "사후청구 결제취소"
    assert "-담당자 전달: 결제 스케줄 제외 요청" in p.escalation.body
    assert "email_cpo" not in step_codes(p)
    answered = run(facts("postbill_before_payment", team_answer="excluded"))
    assert [m.template for m in answered.messages] == ["전기차충전_사후청구_결제제외완료"]


def test_d_postbill_after_payment_asks_settlement_exclusion_and_cancel():
    p = run(facts("postbill_after_payment"))
    assert p.outcome == "cancel_after_settlement"
    assert p.consultation_type == EV_PAYMENT_FAILED["non_direct"]
    assert p.escalation.board == "사후청구 결제취소"
    assert "-담당자 전달: 정산제외 이견 여부, 결제취소 완료 여부" in p.escalation.body
    assert (
        "현재 바로 처리가 어려워 담당부서로 확인 후 문자 발송드려도"
        in step(p, "explain_forward").script
    )
    answered = run(facts("postbill_after_payment", team_answer="charge_confirmed"))
    assert [m.template for m in answered.messages] == ["전기차충전_미충전주장_충전이용확인"]
    assert set(answered.messages[0].context) == {"used_at", "station"}


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (facts(tid=""), "tid", "충전 TID: 어드민 확인 항목으로 필수"),
        (facts(amount=None), "amount", "충전액"),
        (facts(team_answer="excluded"), "team_answer", "받을 수 없습니다"),
        (facts("charged_not_paid", team_answer="cancelled"), "team_answer", "받을 수 없습니다"),
        (facts(charge_ended_at="2025-04-09T14:00:00+09:00"), "charge_ended_at", "이후여야"),
        (facts(case_type="E"), "case_type", "문의 유형"),
    ],
)
def test_fact_errors_are_korean(data, field, words):
    with pytest.raises(ValidationError) as exc:
        run(data)
    assert words in str(exc.value.detail[field][0])
