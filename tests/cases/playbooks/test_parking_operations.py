"""Seed 001 (정기권, 주차장정보): routes from the env, allowed roles, mid-term refund."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.exceptions import ValidationError

from cases.consultation_types import PARKING_OPERATIONS
from cases.playbooks import evaluate
from cases.playbooks import parking_operations as pb
from cases.playbooks.base import ALL, LEADS, RouteInfo, StaticEnv

from .conftest import kst, step, step_codes

AT = kst(2025, 5, 12, 10, 0)

SLACK_KMP = RouteInfo(
    route_id=1,
    channel_kind="slack",
    channel_target="카카오t-정기권-문의",
    recipients_to=(),
    recipients_cc=(),
    procedure='"카카오t-정기권-문의"채널에서 KMP 운영 서비스팀 요청',
    allowed_roles=ALL,
)
EMAIL_HIPARKING = RouteInfo(
    route_id=2,
    channel_kind="email",
    channel_target="현장 담당자",
    recipients_to=("site-manager@hiparking.example",),
    recipients_cc=("contact2@kakaomobility.example", "contact3@hiparking.example"),
    procedure="현장별 담당자에게 E-mail 발송",
    allowed_roles=LEADS,
    notes="월초 담당자메일 공유 전에 문의 인입 시에는 고객분께 시간소요 양해",
)
AGIT_OWNERS = RouteInfo(
    route_id=3,
    channel_kind="agit",
    channel_target="주차 운영 아지트",
    recipients_to=(),
    recipients_cc=(),
    procedure="경과일 수 x 일최대요금으로 안내했으나, 미수긍한 경우 @owner4 @owner5, @owner6, @owner7 멘션",
    allowed_roles=ALL,
)
AGIT_KMPNS = RouteInfo(
    route_id=4,
    channel_kind="agit",
    channel_target="주차 운영 아지트",
    recipients_to=(),
    recipients_cc=(),
    procedure="아지트 글 작성 또는 핫라인(고객센터) 이용",
    allowed_roles=ALL,
    mentions=("@owner1", "@owner2", "@owner3"),
)
AMANO_SHARE = RouteInfo(
    route_id=5,
    channel_kind="amano_share",
    channel_target="아마노쉐어 게시판",
    recipients_to=(),
    recipients_cc=(),
    procedure="아마노쉐어 게시판 작성",
    allowed_roles=LEADS,
)
ADMIN_FEE = RouteInfo(
    route_id=6,
    channel_kind="admin_direct",
    channel_target="parking admin",
    recipients_to=(),
    recipients_cc=(),
    procedure="웹검색, 모두의주차장 정보 참고하여 현장 주차요금 확인 후 변경",
    allowed_roles=LEADS,
)


def key(**kw):
    return tuple(sorted(kw.items()))


ENV = StaticEnv(
    routes={
        key(
            request_kind="car_number_change", partner="kmpark", site_kind="manual_normal"
        ): SLACK_KMP,
        key(
            request_kind="unregistered", partner="hiparking", site_kind="manual_normal"
        ): EMAIL_HIPARKING,
        key(
            request_kind="midterm_cancel",
            partner="hiparking",
            site_kind="manual_normal",
            customer_agrees=True,
        ): EMAIL_HIPARKING,
        key(
            request_kind="midterm_cancel",
            partner="hiparking",
            site_kind="manual_normal",
            customer_agrees=False,
        ): AGIT_OWNERS,
        key(request_kind="onsite_payment_cancel", partner="kmpns"): AGIT_KMPNS,
        key(request_kind="onsite_payment_cancel", partner="amano"): AMANO_SHARE,
        key(
            request_kind="lot_info_change", partner="other", topic="fee", integration="unlinked"
        ): ADMIN_FEE,
        key(request_kind="lot_info_change", partner="other", topic="contract"): AGIT_OWNERS,
        key(request_kind="stop_selling", partner="other", integration="linked"): AGIT_OWNERS,
    }
)

MIDTERM = {
    "request_kind": "midterm_cancel",
    "partner": "hiparking",
    "site_kind": "manual_normal",
    "paid_amount": 150000,
    "start_date": "2025-03-01",
    "cancel_date": "2025-03-10",
    "daily_max_fee": 10000,
    "lot_name": "하이파킹 OO빌딩",
}


def run(data, env=ENV):
    return evaluate(pb.CODE, data, AT, env)


# --------------------------------------------------------------------------- routes


def test_car_number_change_follows_the_route_for_all():
    p = run(
        {
            "request_kind": "car_number_change",
            "partner": "kmpark",
            "site_kind": "manual_normal",
            "car_number": "12가3456",
            "new_car_number": "34나5678",
        }
    )
    assert p.outcome == "follow_route"
    assert p.route == SLACK_KMP
    assert p.consultation_type == PARKING_OPERATIONS["car_number_change"]
    assert step_codes(p) == ["check_request", "follow_route", "notify_customer"]
    assert all(s.roles == ALL for s in p.steps)
    route_step = step(p, "follow_route")
    assert "카카오t-정기권-문의" in route_step.label
    assert route_step.waits_on == "partner"
    assert "12가3456 → 34나5678" in route_step.script
    assert p.figures is None


def test_lead_only_route_gives_steps_only_to_leads():
    p = run({"request_kind": "unregistered", "partner": "hiparking", "site_kind": "manual_normal"})
    assert p.outcome == "follow_route"
    assert p.route.allowed_roles == LEADS
    assert p.steps and all(s.roles == LEADS for s in p.steps)
    script = step(p, "follow_route").script
    assert "수신: site-manager@hiparking.example" in script
    assert "참조: contact2@kakaomobility.example, contact3@hiparking.example" in script
    assert "비고: 월초 담당자메일 공유 전에" in script


def test_agit_route_posts_with_its_mentions():
    p = run({"request_kind": "onsite_payment_cancel", "partner": "kmpns", "car_number": "12가3456"})
    assert p.outcome == "follow_route"
    assert p.escalation.board == "주차 운영 아지트"
    assert p.escalation.mentions == ("@owner1", "@owner2", "@owner3")
    assert step(p, "follow_route").kind == "post"


def test_k_twin_tower_is_routed_like_amano():
    p = run({"request_kind": "onsite_payment_cancel", "special_site": "k_twin_tower"})
    assert p.route == AMANO_SHARE
    assert all(s.roles == LEADS for s in p.steps)


def test_building_63_adds_its_refund_policy():
    p = run(
        {"request_kind": "onsite_payment_cancel", "partner": "amano", "special_site": "building_63"}
    )
    assert "한화생명 직원 할인 미적용" in step(p, "site_policy").script


def test_lot_info_change_by_topic_and_integration():
    fee = run({"request_kind": "lot_info_change", "topic": "fee", "integration": "unlinked"})
    assert fee.route == ADMIN_FEE and fee.outcome == "follow_route"
    assert step(fee, "follow_route").waits_on is None  # changed directly in the admin
    contract = run({"request_kind": "lot_info_change", "topic": "contract"})
    assert contract.route == AGIT_OWNERS
    assert contract.consultation_type == PARKING_OPERATIONS["lot_info_change"]


def test_stop_selling_of_a_linked_lot_mentions_the_owners():
    p = run({"request_kind": "stop_selling", "integration": "linked", "lot_name": "OO빌딩"})
    assert p.outcome == "follow_route"
    assert p.consultation_type == PARKING_OPERATIONS["stop_selling"]
    assert p.escalation.mentions == ("@owner4", "@owner5", "@owner6", "@owner7")
    assert "-주차장: OO빌딩" in p.escalation.body


def test_no_route_needs_review_by_leads():
    p = run({"request_kind": "stop_selling", "integration": "unaffiliated"})
    assert p.outcome == "needs_review"
    assert p.route is None
    assert step(p, "review").roles == LEADS
    assert "경로가 없습니다" in p.reason


# --------------------------------------------------------------------------- mid-term cancel


def test_midterm_cancel_explains_the_refund_before_the_answer():
    p = run(MIDTERM)
    assert p.outcome == "explain_refund"
    assert p.route is None
    assert p.figures == {
        "paid_amount": 150000,
        "start_date": date(2025, 3, 1),
        "cancel_date": date(2025, 3, 10),
        "elapsed_days": 10,
        "daily_max_fee": 10000,
        "deduction": 100000,
        "refund": 50000,
    }
    explain = step(p, "explain_refund")
    assert explain.waits_on == "customer"
    assert "경과일 수 10일, 시작일과 해지일 포함" in explain.script
    assert "10일 x 10,000원 = 100,000원" in explain.script
    assert "환불 예정금액: 50,000원" in explain.script


def test_midterm_cancel_accepted_goes_by_the_partner_channel_for_leads():
    p = run(dict(MIDTERM, customer_agrees=True))
    assert p.outcome == "follow_route"
    assert p.route == EMAIL_HIPARKING
    assert all(s.roles == LEADS for s in p.steps)
    assert "환불 예정 50,000원" in step(p, "follow_route").script
    assert p.figures["refund"] == 50000


def test_midterm_cancel_refused_escalates_to_business_owners():
    p = run(dict(MIDTERM, customer_agrees=False))
    assert p.outcome == "escalate_business_owner"
    assert p.escalation.mentions == ("@owner4", "@owner5", "@owner6", "@owner7")
    assert "고객 미수긍" in p.escalation.body
    assert "@owner4 @owner5 @owner6 @owner7" in step(p, "post_agit").label
    assert all(s.roles == ALL for s in p.steps)


@pytest.mark.parametrize(
    ("paid", "start", "cancel", "daily", "days", "refund"),
    [
        (150000, "2025-03-01", "2025-03-01", 10000, 1, 140000),  # same day counts as one
        (150000, "2025-03-01", "2025-03-31", 10000, 31, 0),  # never below 0
        (150000, "2025-03-01", "2025-03-15", 10000, 15, 0),  # exactly zero
        (90000, "2024-02-28", "2024-03-01", 5000, 3, 75000),  # leap day counted
    ],
)
def test_refund_is_paid_minus_elapsed_days_times_daily_max(
    paid, start, cancel, daily, days, refund
):
    p = run(
        dict(MIDTERM, paid_amount=paid, start_date=start, cancel_date=cancel, daily_max_fee=daily)
    )
    assert p.figures["elapsed_days"] == days
    assert p.figures["refund"] == refund


# --------------------------------------------------------------------------- facts


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            {
                "request_kind": "car_number_change",
                "site_kind": "manual_normal",
                "new_car_number": "1",
            },
            "partner",
            "운영사",
        ),
        ({"request_kind": "unregistered", "partner": "kmpark"}, "site_kind", "현장 구분"),
        ({"request_kind": "lot_info_change"}, "topic", "정보수정 항목"),
        ({"request_kind": "lot_info_change", "topic": "fee"}, "integration", "연동 구분"),
        ({"request_kind": "stop_selling"}, "integration", "연동 구분"),
        (dict(MIDTERM, cancel_date="2025-02-01"), "cancel_date", "시작일보다 빠를 수 없습니다"),
        ({k: v for k, v in MIDTERM.items() if k != "daily_max_fee"}, "daily_max_fee", "일최대요금"),
        (
            {
                "request_kind": "onsite_payment_cancel",
                "partner": "kmpark",
                "special_site": "k_twin_tower",
            },
            "partner",
            "아마노코리아",
        ),
        ({"request_kind": "refund"}, "request_kind", "요청 유형"),
    ],
)
def test_fact_errors_are_korean(data, field, words):
    with pytest.raises(ValidationError) as exc:
        run(data)
    assert words in str(exc.value.detail[field][0])
