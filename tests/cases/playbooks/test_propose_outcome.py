"""``propose_outcome`` (issue 13 item 3): a lead's override brings the chosen outcome's own
steps, SMS, memos, record and Agit post, exactly as ``propose`` builds them, or is refused with
a Korean message naming the fact the outcome's texts need."""

from __future__ import annotations

from datetime import date

import pytest

from cases.playbooks import PLAYBOOKS, evaluate, validate_facts
from cases.playbooks import driver_nonride_cancel as dnc
from cases.playbooks.base import PlaybookError, StaticEnv

from .conftest import SEED_CAMPAIGN, kst
from .test_parking_operations import ENV as OPERATIONS_ENV
from .test_parking_operations import MIDTERM
from .test_parking_operations_seed_001 import ENV as SEED_001_ENV
from .test_parking_operations_seed_001 import REFUND as REFUND_63
from .test_registry import _branch_samples

INSIDE = kst(2024, 12, 5, 10, 0)
FINE_AT = kst(2024, 6, 17, 10, 0)
FINE = {
    "call_id": "700001",
    "has_notice_image": True,
    "bank": "088",
    "account_number": "110-000-123456",
    "account_holder": "홍길동",
    "violation_at": "2024-06-15T22:20:00+09:00",
    "violation_place": "서울 강남구 테헤란로",
    "notice_issued_on": "2024-06-20",
    "amount": 40000,
    "evidence_result": "pass",
}
DRIVER = {
    "received_on": "2024-11-20",
    "driver_id": "D-1",
    "call_id": "700123",
    "meter_distance_km": "0.0",
    "meter_minutes": 1,
    "start_equals_last_point": True,
    "fare_amount": 23000,
    "called_on": "2024-11-19",
    "origin": "강남역",
}
PARKING = {
    "lot_name": "한빛 주차장",
    "lot_district": "서울 강남구",
    "entry_at": "2024-12-03T14:05:00+09:00",
    "exit_at": "2024-12-03T15:05:00+09:00",
    "other_app": "modu",
    "reservation_history_attached": True,
    "payment_history_attached": True,
    "ticket_hours": 2,
    "pass_amount": 3000,
    "car_number": "12가3456",
    "channel": "chatbot_board",
}
EV = {
    "station_name": "판교",
    "charge_started_at": "2025-04-09T14:30:00+09:00",
    "charge_ended_at": "2025-04-09T15:00:00+09:00",
    "tid": "T1",
    "kwh": "0.000",
    "amount": 5000,
}


def _samples():
    """The registry's branch samples, plus a sample of every outcome they do not reach."""
    yield from _branch_samples()
    env = StaticEnv(campaigns=(SEED_CAMPAIGN,))
    yield "parking_double_payment", dict(PARKING, lot_name="인천공항 제1주차장"), INSIDE, env
    yield "parking_double_payment", dict(PARKING, channel="phone"), INSIDE, env
    # seed 000 ①: "※ 본인이 아닌 경우 상담제한" (a proposal, not a refusal)
    yield "parking_double_payment", dict(PARKING, account_holder=False), INSIDE, env
    yield "driver_nonride_cancel", dict(DRIVER, start_equals_last_point=None), INSIDE, env
    yield "ev_charging", dict(EV, case_type="charged_not_paid"), INSIDE, env
    for case in ("paid_not_charged", "postbill_before_payment", "postbill_after_payment"):
        yield "ev_charging", dict(EV, case_type=case), INSIDE, env
    for over in (
        {},
        {"call_type": "consigned"},
        {"violation_kind": "disabled_parking"},
        {"violation_kind": "parking_enforcement", "driver_disputes": True},
        {"notice_type": "penalty"},
        {"duplicate_of_case_id": 3},
        {"has_notice_image": False},
        # seed 004 ②: a place/time mismatch is a 특이이슈 (transfer); only the manager's
        # finding after that transfer rejects it
        {"evidence_result": "fail", "evidence_reason": "위반장소 불일치"},
        {
            "evidence_result": "fail",
            "evidence_reason": "위반장소 불일치",
            "evidence_rejected": True,
        },
    ):
        yield "traffic_fine", dict(FINE, **over), FINE_AT, StaticEnv()
    for over in ({}, {"customer_agrees": True}, {"customer_agrees": False}):
        yield "parking_operations", dict(MIDTERM, **over), INSIDE, OPERATIONS_ENV
    yield (
        "parking_operations",
        {"request_kind": "car_number_change", "partner": "kmpark", "site_kind": "manual_normal"}
        | {"new_car_number": "34나5678"},
        INSIDE,
        OPERATIONS_ENV,
    )
    # seed 001 tables 6-7 (issue 15 B 001): 주차권, 63빌딩 환불정책 with / without evidence
    for over in ({}, {"evidence_provided": True}, {"evidence_provided": False}):
        yield "parking_operations", dict(REFUND_63, **over), INSIDE, SEED_001_ENV
    for over in ({}, {"unresolvable": True}):
        yield "parking_operations", {"request_kind": "parking_ticket", **over}, INSIDE, SEED_001_ENV


SAMPLES = list(_samples())


def _choose(code, data, outcome, at, env):
    return PLAYBOOKS[code].propose_outcome(validate_facts(code, data), outcome, at, env)


@pytest.mark.parametrize(("code", "data", "at", "env"), SAMPLES)
def test_the_outcome_the_facts_lead_to_is_exactly_what_propose_gives(code, data, at, env):
    natural = evaluate(code, data, at, env)
    if natural.outcome == "needs_review":
        return
    assert _choose(code, data, natural.outcome, at, env) == natural


@pytest.mark.parametrize("code", sorted(PLAYBOOKS))
def test_the_samples_reach_every_declared_outcome_but_needs_review(code):
    reached = {evaluate(c, d, at, env).outcome for c, d, at, env in SAMPLES if c == code}
    assert set(PLAYBOOKS[code].OUTCOMES) - {"needs_review"} <= reached


def test_approving_a_needs_review_case_brings_the_seed_002_approval():
    review = dict(DRIVER, start_equals_last_point=None)
    assert evaluate(dnc.CODE, review, INSIDE, StaticEnv()).outcome == "needs_review"
    chosen = _choose(dnc.CODE, review, "approved", INSIDE, StaticEnv())
    natural = evaluate(dnc.CODE, DRIVER, INSIDE, StaticEnv())
    assert chosen.outcome == "approved" and chosen.result_type == "approved"
    assert [(m.template, m.audience) for m in chosen.messages] == [
        ("대리기사_챗봇게시판_기사미운행건결제취소(승인)", "driver"),
        ("대리_챗봇게시판_기사미운행건결제취소(승인)", "customer"),
    ]
    assert chosen.messages == natural.messages
    assert chosen.billing_memo == "챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS"
    assert chosen.record.title == "처리완료" and chosen.record.inquiry == "미운행건 결제취소 요청"
    assert chosen.escalation.template == "챗보드_요금조정(광주KMCC)"
    assert [s.code for s in chosen.steps] == [s.code for s in natural.steps]
    # The reason says a person decided, and keeps what the meter showed.
    assert "검토 결정" in chosen.reason and "출발지와 마지막 지점" in chosen.reason


def test_a_rejection_chosen_for_an_approvable_case_sends_the_rejection_sms():
    chosen = _choose(dnc.CODE, DRIVER, "rejected_ride_recorded", INSIDE, StaticEnv())
    assert [m.template for m in chosen.messages] == [dnc.TPL_RIDE_RECORDED]
    assert chosen.messages[0].context == {"received_on": date(2024, 11, 20), "call_id": "700123"}
    assert chosen.billing_memo == "" and chosen.escalation is None
    assert chosen.record.title == "반려 (운행거리&시간 O)"


@pytest.mark.parametrize(
    ("code", "data", "outcome", "at", "env", "named"),
    [
        (
            dnc.CODE,
            {k: v for k, v in DRIVER.items() if k != "fare_amount"} | {"meter_minutes": None},
            "approved",
            INSIDE,
            StaticEnv(),
            "결제(취소)금액",
        ),
        (dnc.CODE, DRIVER, "rejected_already_processed", INSIDE, StaticEnv(), "취소일자"),
        (dnc.CODE, DRIVER, "rejected_duplicate", INSIDE, StaticEnv(), "기존 접수일"),
        (dnc.CODE, DRIVER, "rejected_other_inquiry", INSIDE, StaticEnv(), "실제 문의 내용"),
        (
            "ev_charging",
            {"case_type": "charged_not_paid", "station_name": "판교"}
            | {"charge_started_at": "2025-04-09T14:30:00+09:00"},
            "forward_to_cpo",
            INSIDE,
            StaticEnv(),
            "충전 TID",
        ),
        (
            "parking_double_payment",
            dict(PARKING, pass_amount=None, bought_after_entry_label=True),
            "cancel_pass_payment",
            INSIDE,
            StaticEnv(),
            "주차패스 결제금액",
        ),
        ("parking_double_payment", PARKING, "normal_overtime", INSIDE, StaticEnv(), "주차권 시간"),
        (
            "parking_double_payment",
            PARKING,
            "customer_fault_info_mismatch",
            INSIDE,
            StaticEnv(),
            "주차권 차량번호",
        ),
        (
            "parking_double_payment",
            PARKING,
            "refer_control_center",
            INSIDE,
            StaticEnv(),
            "주차장 행정구역",
        ),
        ("traffic_fine", FINE, "rejected_duplicate", FINE_AT, StaticEnv(), "중복 원건"),
        ("traffic_fine", FINE, "request_documents", FINE_AT, StaticEnv(), "고지서 이미지"),
        (
            "parking_operations",
            MIDTERM,
            "escalate_business_owner",
            INSIDE,
            OPERATIONS_ENV,
            "고객 수긍 여부",
        ),
        (
            "parking_operations",
            dict(MIDTERM, customer_agrees=False),
            "follow_route",
            INSIDE,
            OPERATIONS_ENV,
            "고객 수긍 여부",
        ),
    ],
)
def test_an_outcome_whose_texts_need_a_missing_fact_is_refused_naming_it(
    code, data, outcome, at, env, named
):
    with pytest.raises(PlaybookError) as exc:
        _choose(code, data, outcome, at, env)
    message = str(exc.value)
    assert named in message and "사실관계를 먼저 보완해 주세요" in message
    assert PLAYBOOKS[code].OUTCOMES[outcome] in message


def test_an_ev_outcome_is_its_case_type():
    chosen = _choose(
        "ev_charging",
        dict(EV, case_type="paid_not_charged"),
        "cancel_after_settlement",
        INSIDE,
        StaticEnv(),
    )
    natural = evaluate(
        "ev_charging", dict(EV, case_type="postbill_after_payment"), INSIDE, StaticEnv()
    )
    assert chosen == natural


def test_a_parking_outcome_chosen_against_the_rules_keeps_the_lot_name_rule():
    data = dict(PARKING, exit_at="2024-12-03T18:05:00+09:00", lot_name="비밀 주차장")
    chosen = _choose("parking_double_payment", data, "cancel_pass_payment", INSIDE, StaticEnv())
    assert chosen.outcome == "cancel_pass_payment"
    assert chosen.billing_memo == "이중결제[타사주차권] 주차패스 결제취소 / 3,000원"
    assert [m.template for m in chosen.messages] == ["주차_챗봇게시판_이중결제_주차패스결제취소"]
    assert all("비밀 주차장" not in s.script for s in chosen.steps)  # 소유인증 X


def test_evidence_asked_again_names_the_apps_history():
    chosen = _choose("parking_double_payment", PARKING, "request_evidence", INSIDE, StaticEnv())
    assert chosen.messages[0].context["evidence"] == "'예약내역'과 '결제내역'"
    assert "예약내역, 결제내역 첨부 요청" in chosen.reason


def test_a_general_fine_sent_to_the_manager_goes_by_the_special_issue_board():
    chosen = _choose("traffic_fine", FINE, "transfer_to_manager", FINE_AT, StaticEnv())
    assert chosen.escalation.template == "특이이슈_과태료"
    assert [m.template for m in chosen.messages] == [
        "대리_챗봇게시판_과태료_담당부서전달_시간소요양해"
    ]
    assert "담당자 판단" in chosen.reason


def test_outcomes_without_texts_on_these_facts_give_none():
    # A payout is created by the fines decision, never by a case override: no SMS promises it.
    assert (
        _choose("traffic_fine", dict(FINE, has_notice_image=False), "payout", FINE_AT, StaticEnv())
        is None
    )
    # No route answers these facts: the lead carries the request out by hand.
    data = {"request_kind": "car_number_change", "partner": "amano", "site_kind": "manual_normal"}
    data["new_car_number"] = "34나5678"
    assert evaluate("parking_operations", data, INSIDE, OPERATIONS_ENV).outcome == "needs_review"
    assert _choose("parking_operations", data, "follow_route", INSIDE, OPERATIONS_ENV) is None
    # The refund outcomes are a mid-term cancel's: on another request, done by hand.
    data = dict(data, partner="kmpark")
    assert evaluate("parking_operations", data, INSIDE, OPERATIONS_ENV).outcome == "follow_route"
    for outcome in ("explain_refund", "escalate_business_owner"):
        assert _choose("parking_operations", data, outcome, INSIDE, OPERATIONS_ENV) is None
