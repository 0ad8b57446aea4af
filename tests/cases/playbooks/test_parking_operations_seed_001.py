"""Seed 001 fidelity (issue 15 B 001), pure: every test quotes the seed line it enforces."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from cases.consultation_types import PARKING_OPERATIONS
from cases.playbooks import evaluate, validate_facts
from cases.playbooks import parking_operations as pb
from cases.playbooks.base import ALL, LEADS, PlaybookError, RouteInfo, StaticEnv

from .conftest import kst, step, step_codes

AT = kst(2025, 6, 2, 10, 0)
OWNERS = ("@owner4", "@owner5", "@owner6", "@owner7")


def key(**kw):
    return tuple(sorted(kw.items()))


T_MONTHLY = RouteInfo(
    route_id=11,
    channel_kind="admin_direct",
    channel_target="주차 어드민 (parking admin)",
    recipients_to=(),
    recipients_cc=(),
    procedure="직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)",
    allowed_roles=ALL,
)
LINKED_FEE = RouteInfo(
    route_id=12,
    channel_kind="admin_direct",
    channel_target="주차 어드민 (parking admin)",
    recipients_to=(),
    recipients_cc=(),
    procedure="@owner4, @owner5, @owner6, @owner7 멘션",
    allowed_roles=ALL,
    mentions=OWNERS,
)
TICKET = RouteInfo(
    route_id=13,
    channel_kind="agit",
    channel_target="아지트",
    recipients_to=(),
    recipients_cc=(),
    procedure="· 아지트 기존 업무 유지하되, 운영사 확인 요청이 필요한 경우 위 담당자 참고해서 "
    "처리\n· 처리불가 시 사업담당(@owner4, @owner5, @owner6, @owner7) 멘션",
    allowed_roles=ALL,
    mentions=OWNERS,
)
KMP_SHEET = RouteInfo(
    route_id=14,
    channel_kind="google_sheet",
    channel_target="KMP 현장결제 취소 요청 리스트",
    recipients_to=(),
    recipients_cc=(),
    procedure="KMP 현장결제 취소 요청 리스트 작성",
    allowed_roles=LEADS,
)
REFUND_63 = RouteInfo(
    route_id=15,
    channel_kind="admin_direct",
    channel_target="주차 어드민 (parking admin)",
    recipients_to=(),
    recipients_cc=(),
    procedure="1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 주장 시 증빙 확인 요청, "
    "없을 경우 운영사 확인해보겠다고 안내 후 결제취소",
    allowed_roles=ALL,
)
MARCH = __import__("datetime").date(2025, 3, 1)
ENV = StaticEnv(
    routes={
        key(
            request_kind="car_number_change",
            partner="kmpark",
            site_kind="t_monthly",
            pass_month=MARCH,
        ): T_MONTHLY,
        key(
            request_kind="lot_info_change", partner="other", topic="fee", integration="linked"
        ): LINKED_FEE,
        key(request_kind="parking_ticket", partner="kmpark"): TICKET,
        key(request_kind="parking_ticket", partner="other"): TICKET,
        key(request_kind="onsite_payment_cancel", partner="kmpark"): KMP_SHEET,
        key(request_kind="parking_refund", site="63빌딩"): REFUND_63,
    }
)


def run(data, env=ENV):
    return evaluate(pb.CODE, data, AT, env)


# ---- table 2: "| T월 주차권 | Parking Admin | 직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용) |"

T_MONTHLY_FACTS = {
    "request_kind": "car_number_change",
    "partner": "kmpark",
    "site_kind": "t_monthly",
    "car_number": "12가3456",
    "new_car_number": "34나5678",
}


def test_t_monthly_request_needs_the_pass_start_date_in_korean():
    """ "25.3월 정기권부터 적용": the pass's month decides, so the agent gives it."""
    with pytest.raises(ValidationError) as exc:
        validate_facts(pb.CODE, T_MONTHLY_FACTS)
    assert "정기권 시작일" in str(exc.value.detail["start_date"][0])
    assert "25.3월 정기권부터" in str(exc.value.detail["start_date"][0])


def test_t_monthly_route_is_asked_with_the_pass_month_not_the_request_date():
    """ "(25.3월 정기권부터 적용)": a pass starting 2025-03-17 is a March pass, whatever the day
    of the request (AT is June): the route key carries pass_month = 2025-03-01."""
    p = run({**T_MONTHLY_FACTS, "start_date": "2025-03-17"})
    assert p.outcome == "follow_route"
    assert "직접 앱에서 차량번호 변경" in step(p, "follow_route").label
    assert "주차 어드민" in step(p, "follow_route").label  # channel cell: Parking Admin
    # A February pass asked in June is a different question (the env has no answer for it).
    p = run({**T_MONTHLY_FACTS, "start_date": "2025-02-20"})
    assert p.outcome == "needs_review"


# ---- rows whose procedure is an @mention -------------------------------------------------


def test_a_mention_procedure_on_a_parking_admin_row_is_an_agit_post_with_the_mentions():
    """Table 5: "| 연동 | **@owner4, @owner5, @owner6, @owner7 멘션** | | **All** |" (channel
    cell merged with "parking admin" above): the work is an Agit post mentioning them."""
    p = run({"request_kind": "lot_info_change", "topic": "fee", "integration": "linked"})
    assert p.outcome == "follow_route"
    assert p.escalation is not None
    assert p.escalation.mentions == OWNERS
    assert p.escalation.board == "아지트"
    follow = step(p, "follow_route")
    assert follow.kind == "post" and follow.waits_on == "team"
    assert "멘션: @owner4 @owner5 @owner6 @owner7" in follow.script


# ---- table 6: 주차권 -----------------------------------------------------------------------


def test_parking_ticket_and_parking_refund_are_selectable_with_korean_labels():
    """Tables 6 (주차권) and 7 (63빌딩 환불정책) are request kinds of the playbook."""
    choices = pb.Facts().fields["request_kind"].choices
    assert choices["parking_ticket"] == "주차권"
    assert choices["parking_refund"] == "주차요금 환불(현장 환불정책)"
    assert PARKING_OPERATIONS["parking_ticket"][0] == "주차_고객"
    assert PARKING_OPERATIONS["parking_refund"][0] == "주차_고객"


def test_parking_ticket_keeps_the_agit_work_without_mentioning_the_owners():
    """Table 6: "· 아지트 기존 업무 유지하되, ...": the usual Agit post, no business owners."""
    p = run({"request_kind": "parking_ticket", "partner": "kmpark", "details": "주차권 미적용"})
    assert p.outcome == "follow_route"
    assert p.escalation is not None and p.escalation.mentions == ()
    assert step(p, "follow_route").kind == "post"
    assert "operator_check" not in step_codes(p)
    assert p.consultation_type == PARKING_OPERATIONS["parking_ticket"]


def test_parking_ticket_operator_check_refers_to_the_partners_contacts():
    """Table 6: "운영사 확인 요청이 필요한 경우 위 담당자 참고해서 처리"."""
    p = run({"request_kind": "parking_ticket", "partner": "kmpark", "operator_check_needed": True})
    check = step(p, "operator_check")
    assert "위 담당자 참고해서 처리" in check.script
    assert "KMP 현장결제 취소 요청 리스트 작성" in check.script  # 케이엠파크's contact row
    assert check.waits_on == "partner"


def test_parking_ticket_unresolvable_mentions_the_business_owners():
    """Table 6: "· 처리불가 시 사업담당(@owner4, @owner5, @owner6, @owner7) 멘션"."""
    p = run({"request_kind": "parking_ticket", "unresolvable": True})
    assert p.outcome == "escalate_business_owner"
    assert p.escalation.mentions == OWNERS
    assert "@owner4 @owner5 @owner6 @owner7" in step(p, "post_agit").label
    assert "처리불가" in p.record.notes


# ---- table 7: 63빌딩 환불정책 ---------------------------------------------------------------

REFUND = {
    "request_kind": "parking_refund",
    "special_site": "building_63",
    "discount_claim": "hanwha_employee",
    "car_number": "12가3456",
}


def test_63_refund_needs_the_claim():
    """Table 7: "1.한화생명 직원 할인 미적용 시, 2. 식음업장 할인 미적용 주장 시"."""
    with pytest.raises(ValidationError) as exc:
        validate_facts(pb.CODE, {**REFUND, "discount_claim": None})
    assert "환불 요청 사유" in str(exc.value.detail["discount_claim"][0])


def test_63_refund_asks_for_evidence_first():
    """Table 7: "... 할인 미적용 주장 시 증빙 확인 요청"."""
    p = run({**REFUND, "discount_claim": "fnb_discount"})
    assert p.outcome == "request_site_evidence"
    ask = step(p, "request_evidence")
    assert ask.kind == "say" and ask.waits_on == "customer"
    assert "식음업장 할인 미적용 건은 증빙 확인이 필요합니다" in ask.script
    assert "증빙 확인 요청" in p.record.notes
    assert "cancel_payment" not in step_codes(p)


def test_63_refund_with_evidence_checks_it_then_cancels():
    p = run({**REFUND, "evidence_provided": True})
    assert p.outcome == "cancel_site_payment"
    assert step_codes(p)[-3:] == ["check_evidence", "cancel_payment", "notify_customer"]
    assert "증빙 확인 후 결제취소" in p.record.notes


def test_63_refund_without_evidence_says_the_operator_will_be_asked_then_cancels():
    """Table 7: "없을 경우 운영사 확인해보겠다고 안내 후 결제취소"."""
    p = run({**REFUND, "evidence_provided": False})
    assert p.outcome == "cancel_site_payment"
    assert step_codes(p)[-2:] == ["explain_operator_check", "cancel_payment"]
    assert "운영사에 확인해 보겠습니다" in step(p, "explain_operator_check").script
    assert "운영사 확인해보겠다고 안내 후 결제취소" in p.record.notes
    assert "결제취소" in step(p, "cancel_payment").label


def test_63_refund_for_another_claim_is_not_improvised():
    p = run({**REFUND, "discount_claim": "other"})
    assert p.outcome == "needs_review"
    assert step(p, "review").roles == LEADS


def test_63_refund_overrides():
    asked = run(REFUND)
    assert asked.outcome == "request_site_evidence"
    with pytest.raises(PlaybookError, match="증빙 확인 여부"):
        pb.propose_outcome(validate_facts(pb.CODE, REFUND), "cancel_site_payment", AT, ENV)
    back = pb.propose_outcome(
        validate_facts(pb.CODE, {**REFUND, "evidence_provided": False}),
        "request_site_evidence",
        AT,
        ENV,
    )
    assert back.outcome == "request_site_evidence"
