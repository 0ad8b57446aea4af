"""Seed 002 ([챗봇-게시판] 기사_미운행건 결제취소): one test per branch, needs_review paths."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.exceptions import ValidationError

from cases.consultation_types import DRIVER_PAYMENT_CANCEL
from cases.playbooks import driver_nonride_cancel as pb
from cases.playbooks import evaluate
from cases.playbooks.base import LEADS_AND_MANAGER, RESULT_TYPES, StaticEnv

from .conftest import kst, step, step_codes

AT = kst(2024, 11, 21, 11, 0)
ENV = StaticEnv()


def facts(**over):
    data = {
        "received_on": "2024-11-20",
        "driver_id": "D-100200",
        "call_id": "7001234567",
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 23000,
        "called_on": "2024-11-19",
        "origin": "강남역",
    }
    data.update(over)
    return data


def run(data):
    return evaluate(pb.CODE, data, AT, ENV)


def assert_sms_before_answer(p):
    codes = step_codes(p)
    assert codes.index("send_sms") < codes.index("save_answer"), codes


# --------------------------------------------------------------------------- approve


@pytest.mark.parametrize(
    ("minutes", "remark"),
    [(0, "운행시간 짧음,운행거리 짧음"), (1, "운행시간 짧음,운행거리 짧음"), (7, "운행거리 짧음")],
)
def test_approved_zero_distance_same_point(minutes, remark):
    p = run(facts(meter_minutes=minutes, agit_link="https://agit.example/wall/1"))
    assert p.outcome == "approved"
    assert p.result_type == "approved" and RESULT_TYPES[p.result_type] == "승인"
    assert p.consultation_type == DRIVER_PAYMENT_CANCEL
    assert [(m.template, m.audience) for m in p.messages] == [
        ("대리기사_챗봇게시판_기사미운행건결제취소(승인)", "driver"),
        ("대리_챗봇게시판_기사미운행건결제취소(승인)", "customer"),
    ]
    driver, customer = p.messages
    assert driver.context == {"received_on": date(2024, 11, 20), "amount": 23000}
    assert customer.context == {
        "called_on": date(2024, 11, 19),
        "origin": "강남역",
        "amount": 23000,
    }
    assert p.billing_memo == "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS"
    assert p.escalation.board == "[운영] 대리 CS 대응"
    assert p.escalation.template == "챗보드_요금조정(광주KMCC)"
    assert p.operations_memo == ""  # the Agit post carries the history
    assert p.record.title == "처리완료"
    assert p.record.inquiry == "미운행건 결제취소 요청"
    assert p.record.notes == (
        f"-기사 ID: D-100200\n-진행내용:\nㄴ운행거리: 0.0 km ({minutes}분)\n"
        "-아지트 링크 : https://agit.example/wall/1"
    )
    assert step_codes(p) == [
        "check_meter",
        "cancel_payment",
        "send_sms",
        "save_answer",
        "billing_memo",
        "post_agit",
        "save_record",
    ]
    assert_sms_before_answer(p)
    assert remark in step(p, "check_meter").script
    assert "출발지와 마지막 지점 동일(유사)" in step(p, "check_meter").script
    assert "23,000원" in step(p, "cancel_payment").label


# --------------------------------------------------------------------------- rejects


def test_rejected_ride_recorded():
    p = run(facts(meter_distance_km="3.4", meter_minutes=12, start_equals_last_point=False))
    assert p.outcome == "rejected_ride_recorded"
    assert p.result_type == "rejected_unable" and RESULT_TYPES[p.result_type] == "반려 (처리불가)"
    assert [(m.template, m.audience) for m in p.messages] == [
        ("대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O", "driver")
    ]
    assert p.messages[0].context == {"received_on": date(2024, 11, 20), "call_id": "7001234567"}
    assert p.record.title == "반려 (운행거리&시간 O)"
    assert (
        p.record.notes
        == "-기사 ID: D-100200\n-진행내용:\nㄴ운행거리: 3.4 km (12분)\n-아지트 링크 :"
    )
    assert p.billing_memo == "" and p.escalation is None
    assert p.operations_memo == p.record.notes  # 그 외에는 운영메모에 처리내용 기재
    assert p.consultation_type == DRIVER_PAYMENT_CANCEL
    assert step_codes(p) == [
        "check_meter",
        "send_sms",
        "save_answer",
        "operations_memo",
        "save_record",
    ]
    assert "재인입" in step(p, "save_answer").label


def test_rejected_already_processed_gives_date_and_amount():
    p = run(
        facts(
            already_cancelled=True,
            cancelled_on="2024-11-18",
            cancelled_amount=18000,
            processed_agit_link="https://agit.example/wall/9",
        )
    )
    assert p.outcome == "rejected_already_processed"
    assert p.result_type == "rejected_already_processed"
    assert RESULT_TYPES[p.result_type] == "반려 (기처리 완료)"
    assert [m.template for m in p.messages] == [
        "대리기사_챗봇게시판_기사미운행건결제취소(반려)_고객센터기처리"
    ]
    assert p.messages[0].context == {
        "received_on": date(2024, 11, 20),
        "amount": 18000,
        "cancelled_on": date(2024, 11, 18),
    }
    assert p.record.title == "반려 (고객센터 기처리)"
    assert p.record.notes == (
        "-기사 ID: D-100200\n-처리불가 사유: 고객센터 취소처리\nㄴ아지트 링크: https://agit.example/wall/9"
    )
    assert "2024년 11월 18일" in p.reason and "18,000원" in p.reason
    assert p.billing_memo == "" and p.escalation is None
    assert_sms_before_answer(p)


def test_rejected_other_inquiry_takes_the_agent_chosen_type():
    p = run(
        facts(
            inquiry_kind="other",
            other_inquiry_summary="포인트 출금",
            other_type_depth2="포인트",
            other_type_depth3="출금",
        )
    )
    assert p.outcome == "rejected_other_inquiry"
    assert p.result_type == "rejected_other"
    assert p.consultation_type == ("대리_기사", "포인트", "출금", DRIVER_PAYMENT_CANCEL[-1])
    assert [m.template for m in p.messages] == ["대리기사_챗봇게시판_공용(반려)_접수유형외다른문의"]
    assert p.messages[0].context == {"received_on": date(2024, 11, 20)}
    assert p.record.title == "반려 (접수유형 외 다른문의)"
    assert (
        p.record.notes
        == "-기사 ID: D-100200\n-처리불가 사유: 미이용 결제취소 외 요청\nㄴ 포인트 출금 문의"
    )
    assert_sms_before_answer(p)


def test_rejected_other_inquiry_defaults_to_the_002_path():
    p = run(facts(inquiry_kind="other", other_inquiry_summary="콜 배정"))
    assert p.consultation_type == DRIVER_PAYMENT_CANCEL


def test_rejected_duplicate_names_the_earlier_request():
    p = run(
        facts(
            has_open_duplicate=True,
            duplicate_received_on="2024-11-15",
            duplicate_ref="상담ID 55501",
        )
    )
    assert p.outcome == "rejected_duplicate"
    assert p.result_type == "rejected_duplicate"
    assert [m.template for m in p.messages] == ["대리기사_챗봇게시판_공용(반려)_중복접수"]
    assert p.messages[0].context == {
        "received_on": date(2024, 11, 20),
        "earlier_received_on": date(2024, 11, 15),
    }
    assert p.record.title == "반려 (중복 접수)"
    assert p.record.notes == "-기사 ID: D-100200\n-처리불가 사유: 중복 접수\nㄴ상담ID 55501"
    assert_sms_before_answer(p)


def test_reject_order_other_then_processed_then_duplicate():
    both = dict(
        already_cancelled=True,
        cancelled_on="2024-11-18",
        cancelled_amount=18000,
        has_open_duplicate=True,
        duplicate_received_on="2024-11-15",
        duplicate_ref="상담ID 1",
    )
    assert run(facts(**both)).outcome == "rejected_already_processed"
    assert (
        run(facts(inquiry_kind="other", other_inquiry_summary="기타", **both)).outcome
        == "rejected_other_inquiry"
    )


# --------------------------------------------------------------------------- needs_review


@pytest.mark.parametrize(
    "over",
    [
        {"start_equals_last_point": False},  # 0.0 km but the points differ
        {"start_equals_last_point": None},  # not checked
        {"meter_minutes": None},  # time unknown
        {"meter_distance_km": None},  # meter not read
        {"meter_distance_km": "2.5", "meter_minutes": 0},  # distance but no time
        {"meter_distance_km": "2.5", "meter_minutes": None},
        {"cancel_reason_recorded": True},  # the seed rejects only with no cancel reason
        {"meter_distance_km": "0.1", "meter_minutes": 1, "cancel_reason_recorded": True},
    ],
)
def test_anything_the_seed_does_not_decide_needs_review(over):
    p = run(facts(**over))
    assert p.outcome == "needs_review"
    assert p.messages == ()
    assert p.result_type is None
    assert p.billing_memo == ""
    review = step(p, "review")
    assert review.roles == LEADS_AND_MANAGER and review.waits_on == "team"
    assert "send_sms" not in step_codes(p) and "cancel_payment" not in step_codes(p)


def test_small_distance_with_time_is_a_recorded_ride_not_an_approval():
    p = run(facts(meter_distance_km="0.1", meter_minutes=2))
    assert p.outcome == "rejected_ride_recorded"


# --------------------------------------------------------------------------- Agit rule


def test_ob_absence_or_special_note_requires_an_agit_post():
    plain = run(facts(meter_distance_km="3.4", meter_minutes=12))
    assert plain.escalation is None and plain.operations_memo
    absent = run(facts(meter_distance_km="3.4", meter_minutes=12, ob_unreachable=True))
    assert absent.escalation is not None and "-OB 부재" in absent.escalation.body
    assert absent.escalation.board == "[운영] 대리 CS 대응"
    assert absent.escalation.template == ""  # the seed names a template for approvals only
    assert absent.operations_memo == ""
    assert "post_agit" in step_codes(absent)
    noted = run(facts(meter_distance_km=None, special_note="기사 재문의 예정"))
    assert noted.outcome == "needs_review"
    assert "-특이사항: 기사 재문의 예정" in noted.escalation.body


# --------------------------------------------------------------------------- facts


def test_approval_needs_the_amount_and_the_customer_sms_values():
    data = facts()
    del data["fare_amount"], data["origin"]
    with pytest.raises(ValidationError) as exc:
        run(data)
    assert set(exc.value.detail) == {"fare_amount", "origin"}
    assert "결제(취소)금액" in str(exc.value.detail["fare_amount"][0])


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"call_id": "70-12"}, "call_id", "콜 ID: 숫자만"),
        ({"call_id": "٧٠١"}, "call_id", "콜 ID: 숫자만"),  # digits, but not the ones SMS shows
        ({"meter_distance_km": "0.05"}, "meter_distance_km", "소수점 1자리"),
        ({"meter_minutes": -1}, "meter_minutes", "0 이상"),
        ({"received_on": "11/20"}, "received_on", "접수일: 형식"),
        ({"inquiry_kind": "other"}, "other_inquiry_summary", "실제 문의 내용"),
        ({"already_cancelled": True}, "cancelled_on", "취소일자"),
        ({"has_open_duplicate": True}, "duplicate_ref", "중복접수 상담ID"),
    ],
)
def test_fact_errors_are_korean(over, field, words):
    with pytest.raises(ValidationError) as exc:
        run(facts(**over))
    assert words in str(exc.value.detail[field][0])


def test_distance_is_read_as_the_meter_shows_it():
    p = run(facts(meter_distance_km=0))
    assert p.figures["meter_distance_km"] == Decimal("0.0")
    assert p.outcome == "approved"
