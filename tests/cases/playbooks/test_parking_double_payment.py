"""Seed 000 (이중결제 취소요청 [타사주차권]): one test per branch, identity, evidence, campaign."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from cases.consultation_types import PARKING_DOUBLE_PAYMENT
from cases.playbooks import evaluate
from cases.playbooks import parking_double_payment as pb
from cases.playbooks.base import Campaign, StaticEnv

from .conftest import SEED_CAMPAIGN, kst, step, step_codes, strings_in

AT = kst(2024, 12, 5, 10, 0)  # inside the seed's campaign window
LOT = "한빛타워 민영주차장"
DISTRICT = "서울 강남구"


def facts(**over):
    """A 모두의주차장 ticket, both histories attached, 2h ticket, 3h15m stay by default."""
    data = {
        "channel": "chat",
        "ownership_verified": True,
        "lot_name": LOT,
        "lot_district": DISTRICT,
        "lot_integration": "linked",
        "entry_at": "2024-12-03T14:05:00+09:00",
        "exit_at": "2024-12-03T15:50:00+09:00",
        "car_number": "12가3456",
        "pass_amount": 4000,
        "other_app": "modu",
        "reservation_history_attached": True,
        "payment_history_attached": True,
        "ticket_hours": 2,
        "ticket_car_number": "12가3456",
        "ticket_date": "2024-12-03",
        "ticket_lot_name": LOT,
    }
    data.update(over)
    if "ticket_lot_name" not in over:
        data["ticket_lot_name"] = data["lot_name"]  # the ticket is for the lot used
    return data


def run(data, at=AT, env=None):
    return evaluate(pb.CODE, data, at, env or StaticEnv(campaigns=(SEED_CAMPAIGN,)))


# --------------------------------------------------------------------------- the four decisions


def test_cancel_pass_payment_ticket_valid_not_applied():
    p = run(facts())
    assert p.outcome == "cancel_pass_payment"
    assert p.playbook == "parking_double_payment" and p.version == "2025.01.16-1"
    assert p.consultation_type == PARKING_DOUBLE_PAYMENT["linked"]
    assert step_codes(p) == [
        "identify",
        "check_history",
        "explain",
        "cancel_pass_payment",
        "refund_window",
        "offer_coupon",
        "issue_coupon",
        "save_record",
    ]
    explain = step(p, "explain").script
    # Seed 000 A1 ③ has no amount placeholder: "첨부해 주신 내역으로 주차패스 결제 건은 바로
    # 취소처리하겠습니다." (the amount is in the step's label and the billing memo, not said).
    assert "첨부해 주신 내역으로 주차패스 결제 건은 바로 취소처리하겠습니다." in explain
    assert "4,000원" not in explain
    assert "영업일 기준 3~5일" in explain
    assert step(p, "refund_window").due_rule == "business_days:5"
    coupon = step(p, "offer_coupon").script
    assert coupon.startswith("이번에 다른 업체의 주차권이 자동으로 적용되지 않아")
    assert "사용기한" not in coupon  # seed: "- 사용기한 : ~~24.12.31까지~~" (struck)
    assert "2024년 12월 3일 14시 경에" in step(p, "identify").script
    assert p.messages == ()  # chat: the agent says it
    assert p.billing_memo == "이중결제[타사주차권] 주차패스 결제취소 / 4,000원"
    assert p.figures["refund_amount"] == 4000 and p.figures["coupon_offered"] is True
    assert p.record.title == "주차패스 결제취소 - 타앱 주차권 O"
    assert p.record.inquiry == "이중결제 취소요청 [타사주차권]"


def test_normal_overtime_gives_ticket_hours_used_time_and_excess_fee():
    p = run(facts(exit_at="2024-12-03T17:20:00+09:00", pass_amount=3000))
    assert p.outcome == "normal_overtime"
    explain = step(p, "explain").script
    assert "이용하신 주차권은 2시간권입니다." in explain
    assert "총 3시간 15분으로 확인되고 있는데요." in explain
    assert "남은 1시간 15분에 대한 요금 3,000원이 결제된 것으로 확인되어" in explain
    assert p.figures["used_minutes"] == 195
    assert p.figures["ticket_minutes"] == 120
    assert p.figures["excess_minutes"] == 75
    assert p.figures["excess_fee"] == 3000
    assert "cancel_pass_payment" not in step_codes(p)
    assert p.billing_memo == ""
    assert step(p, "offer_coupon").script.startswith(
        "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어"
    )


def test_stay_exactly_the_ticket_hours_is_not_overtime():
    p = run(facts(exit_at="2024-12-03T16:05:00+09:00"))
    assert p.outcome == "cancel_pass_payment"


def test_bought_after_entry_by_the_reservation_label():
    p = run(facts(bought_after_entry_label=True))
    assert p.outcome == "customer_fault_bought_after_entry"
    explain = step(p, "explain").script
    assert "다만 모두의 주차권을 입차 후 구매하신 내역으로 확인됩니다." in explain
    assert "모두의 주차장 측으로 문의해 주시겠습니까?" in explain
    coupon = step(p, "offer_coupon").script
    assert coupon.startswith("해당 건은 안타깝게도 입차 후 구매 사유로 주차권 적용이 되지 않았던")
    assert "결제된 내역에 대해 도움을 드리긴 어렵지만" in coupon
    assert "cancel_pass_payment" not in step_codes(p)


def test_bought_after_entry_by_payment_time_tmap_refers_to_tmap():
    data = facts(
        other_app="tmap",
        usage_history_attached=True,
        reservation_history_attached=False,
        payment_history_attached=False,
        ticket_purchased_at="2024-12-03T14:20:00+09:00",  # after the 14:05 entry
    )
    p = run(data)
    assert p.outcome == "customer_fault_bought_after_entry"
    assert "다만 티맵 주차권을 입차 후 구매하신" in step(p, "explain").script
    assert "티맵 측으로 문의" in step(p, "explain").script


def test_ticket_paid_before_entry_is_not_a_fault():
    p = run(facts(ticket_purchased_at="2024-12-03T13:00:00+09:00"))
    assert p.outcome == "cancel_pass_payment"


@pytest.mark.parametrize(
    ("over", "item", "sentences"),
    [
        (
            {"ticket_car_number": "34나5678"},
            "차량번호",
            "예약하신 주차권의 차량번호는 34나5678입니다. "
            "다만 실제 이용하신 차량번호는 12가3456으로 확인됩니다.",
        ),
        (
            {"ticket_date": "2024-12-04"},
            "예약일",
            "예약하신 주차권의 예약일은 2024년 12월 04일입니다. "
            "다만 실제 이용하신 예약일은 2024년 12월 03일로 확인됩니다.",
        ),
        (
            {"ticket_lot_name": "한빛타워 제2주차장"},
            "주차장",
            "예약하신 주차권의 주차장은 한빛타워 제2주차장입니다. "
            f"다만 실제 이용하신 주차장은 {LOT}으로 확인됩니다.",
        ),
    ],
)
def test_info_mismatch_names_what_differs(over, item, sentences):
    p = run(facts(**over))
    assert p.outcome == "customer_fault_info_mismatch"
    explain = step(p, "explain").script
    assert sentences in explain
    assert "모두의 주차장 측으로 문의해 주시겠습니까?" in explain
    assert p.figures["mismatched"] == (item,)


def test_mismatch_is_decided_without_stay_figures():
    data = facts(ticket_car_number="34나5678")
    del data["exit_at"], data["ticket_hours"], data["pass_amount"]
    assert run(data).outcome == "customer_fault_info_mismatch"


def test_car_number_spacing_is_not_a_mismatch():
    assert run(facts(ticket_car_number="12가 3456")).outcome == "cancel_pass_payment"


# --------------------------------------------------------------------------- evidence rule


@pytest.mark.parametrize(
    ("attached", "missing"),
    [
        ({"reservation_history_attached": True, "payment_history_attached": False}, ["결제내역"]),
        ({"reservation_history_attached": False, "payment_history_attached": True}, ["예약내역"]),
        (
            {"reservation_history_attached": False, "payment_history_attached": False},
            ["예약내역", "결제내역"],
        ),
        (  # 이용내역 alone is not enough for 모두의주차장: 예약내역 has no 결제시간
            {
                "usage_history_attached": True,
                "reservation_history_attached": False,
                "payment_history_attached": False,
            },
            ["예약내역", "결제내역"],
        ),
    ],
)
def test_modu_needs_both_reservation_and_payment_history(attached, missing):
    p = run(facts(**attached))
    assert p.outcome == "request_evidence"
    assert p.figures["missing_evidence"] == tuple(missing)
    ask = step(p, "request_history")
    assert ask.script == pb.EVIDENCE_ASK_MODU
    assert "'예약내역'과 '결제내역'을 첨부해 주시겠습니까?" in ask.script
    assert ask.waits_on == "customer"
    assert "offer_coupon" not in step_codes(p) and p.figures["coupon_offered"] is False


def test_other_apps_need_usage_history():
    data = facts(other_app="tmap", reservation_history_attached=True, payment_history_attached=True)
    p = run(data)
    assert p.outcome == "request_evidence"
    assert step(p, "request_history").script == pb.EVIDENCE_ASK
    assert "이용내역을 첨부해 주시겠습니까?" in step(p, "request_history").script
    ok = run(dict(data, usage_history_attached=True))
    assert ok.outcome == "cancel_pass_payment"


# --------------------------------------------------------------------------- phone flow


def test_phone_never_decides_and_sends_to_chatbot_board():
    p = run(facts(channel="phone"))  # even with every history at hand
    assert p.outcome == "request_evidence"
    assert step_codes(p) == [
        "identify",
        "explain_history_needed",
        "guide_chatbot_board",
        "save_record",
    ]
    assert "(모두의주차권 - 예약내역과 결제내역)" in step(p, "explain_history_needed").label
    guide = step(p, "guide_chatbot_board")
    assert "챗봇 게시판" in guide.script and guide.waits_on == "customer"
    assert "'예약내역'과 '결제내역'" in guide.script
    assert p.messages == () and p.billing_memo == ""


def test_phone_other_app_asks_for_usage_history():
    p = run(facts(channel="phone", other_app="tmap"))
    assert "이용내역" in step(p, "guide_chatbot_board").script
    assert "(이용내역)" in step(p, "explain_history_needed").label


# --------------------------------------------------------------------------- lot rules


def test_seongbuk_public_lot_refers_to_the_control_center():
    p = run(facts(lot_name="성신여대입구 공영주차장", lot_district="서울 성북구"))
    assert p.outcome == "refer_control_center"
    assert (
        "성북구통합관제센터(02-6925-0023)로 문의해 주시면" in step(p, "refer_control_center").script
    )
    assert "02-6925-0023" in p.reason
    assert step_codes(p) == ["identify", "refer_control_center", "save_record"]
    assert p.escalation is None and p.messages == ()


def test_lot_rules_come_before_phone_and_evidence():
    p = run(
        facts(
            channel="phone",
            lot_name="성북 공영주차장",
            lot_district="서울 성북구",
            reservation_history_attached=False,
        )
    )
    assert p.outcome == "refer_control_center"


def test_seongbuk_private_lot_follows_the_normal_flow():
    p = run(facts(lot_name="성북빌딩 주차장", lot_district="서울 성북구"))
    assert p.outcome == "cancel_pass_payment"
    explicit = run(
        facts(lot_name="성북빌딩 주차장", lot_district="서울 성북구", is_public_lot=True)
    )
    assert explicit.outcome == "refer_control_center"


def test_sokcho_public_lot_center_calls_control_center_and_follows_up():
    p = run(facts(lot_name="속초해수욕장 공영주차장", lot_district="강원 속초시"))
    assert p.outcome == "center_contacts_control_center"
    assert step_codes(p) == [
        "identify",
        "tell_follow_up",
        "contact_control_center",
        "notify_customer",
        "save_record",
    ]
    contact = step(p, "contact_control_center")
    assert "033-636-4240/ 033-637-6242" in contact.label
    assert contact.waits_on == "partner"
    assert step(p, "notify_customer").waits_on == "partner"


def test_incheon_airport_always_goes_to_agit():
    p = run(
        facts(lot_name="인천공항 제1터미널 단기주차장", lot_district="인천 중구", channel="phone")
    )
    assert p.outcome == "escalate_agit"
    assert p.escalation is not None
    assert "인천공항" in p.escalation.body and "12가3456" in p.escalation.body
    assert step(p, "post_agit").waits_on == "team"
    assert p.figures["coupon_offered"] is False


# --------------------------------------------------------------------------- identity


BRANCHES = {
    "cancel_pass_payment": {},
    "normal_overtime": {"exit_at": "2024-12-03T17:20:00+09:00"},
    "customer_fault_bought_after_entry": {"bought_after_entry_label": True},
    "customer_fault_info_mismatch": {"ticket_lot_name": "다른빌딩 주차장"},
    "request_evidence": {"payment_history_attached": False},
    "phone": {"channel": "phone"},
    "refer_control_center": {"lot_name": "정릉 공영주차장", "lot_district": "서울 성북구"},
    "center_contacts_control_center": {
        "lot_name": "청초호 공영주차장",
        "lot_district": "강원 속초시",
    },
    "escalate_agit": {"lot_name": "인천공항 장기주차장 P1", "lot_district": "인천 중구"},
    "onsite_sms": {"bought_after_entry_label": True, "onsite_check_needed": True},
    "board": {"channel": "chatbot_board", "ticket_car_number": "99다9999"},
}


#: Steps whose text is not said to the customer: the Agit post, a call to a control center,
#: the consultation record.
INTERNAL_KINDS = {"post", "action", "memo"}


def customer_strings(p) -> list[str]:
    """What the customer hears or reads: the spoken steps and every SMS."""
    said = [s for s in p.steps if s.kind not in INTERNAL_KINDS]
    return [*strings_in(said), *strings_in(p.messages)]


def internal_strings(p) -> str:
    return " ".join(
        [
            *strings_in(p.record),
            p.operations_memo,
            *strings_in(p.escalation),
            *strings_in([s for s in p.steps if s.kind in INTERNAL_KINDS]),
        ]
    )


@pytest.mark.parametrize("branch", sorted(BRANCHES))
def test_without_ownership_the_lot_name_is_never_said_or_sent(branch):
    """Seed 000 ①: "* 소유인증 X - 주차장명 선언급 불가 (OO시 OO동 - 행정구역은 언급가능)".

    Only what the customer hears or reads loses the name (scripts, SMS); internal records
    (상담이력, 운영메모, the Agit post) keep it (issue 15)."""
    data = facts(ownership_verified=False, **BRANCHES[branch])
    p = run(data)
    name = data["lot_name"]
    assert [s for s in customer_strings(p) if name in s] == []
    assert data["lot_district"] in " ".join(strings_in(p))  # the district may be said
    assert name in p.record.notes  # the consultation record keeps the lot's name
    if p.escalation is not None:
        assert name in p.escalation.body


@pytest.mark.parametrize("branch", sorted(BRANCHES))
def test_with_ownership_the_identify_script_fills_only_the_seeds_placeholders(branch):
    """Seed 000 ①: "20OO년-O월-O일 OO시 경에 입차하신 이용 건 말씀하실까요?" (no lot
    placeholder: "소유인증 O - 주차장 명 선언급 가능" allows it, the script does not add it)."""
    data = facts(ownership_verified=True, **BRANCHES[branch])
    p = run(data)
    identify = step(p, "identify").script
    assert "2024년 12월 3일 14시 경에 입차하신 이용 건 말씀하실까요?" in identify
    assert data["lot_name"] not in identify and "소재 주차장" not in identify
    assert data["lot_name"] in p.record.notes


def test_ticket_lot_name_containing_the_lot_name_is_redacted_too():
    data = facts(ownership_verified=False, ticket_lot_name=f"{LOT} 별관")
    p = run(data)
    assert p.outcome == "customer_fault_info_mismatch"
    assert not [s for s in customer_strings(p) if LOT in s]
    assert "서울 강남구 소재 주차장" in step(p, "explain").script


def test_incheon_airport_script_names_no_facility_to_an_unverified_caller():
    """Seed 000: "인천공항 주차장 관련 모든 요청은 아지트로 확인 요청" and "소유인증 X - 주차장명
    선언급 불가 (OO시 OO동 - 행정구역은 언급가능)": the caller hears the district only; the
    Agit post names the lot."""
    data = facts(
        lot_name="인천공항 제1터미널 단기주차장", lot_district="인천 중구", ownership_verified=False
    )
    p = run(data)
    assert p.outcome == "escalate_agit"
    said = " ".join(customer_strings(p))
    assert "인천공항" not in said and "공항" not in said
    assert (
        "인천 중구 소재 주차장 이용 건은 담당부서 확인이 필요하여"
        in step(p, "tell_follow_up").script
    )
    assert "인천공항 제1터미널 단기주차장" in p.escalation.body
    verified = run(dict(data, ownership_verified=True))
    assert "인천공항 주차장 이용 건은" in step(verified, "tell_follow_up").script


def test_not_the_account_holder_is_a_restriction_proposal_not_an_error():
    """Seed 000 ①: "※ 본인이 아닌 경우 상담제한": a proposal (script + record), not a
    validation error."""
    p = run(facts(account_holder=False))
    assert p.outcome == "consultation_restricted"
    assert step_codes(p) == ["identify", "restrict_consultation", "save_record"]
    assert "가입자 본인이 아닌 경우" in step(p, "restrict_consultation").script
    assert p.record.title == "본인이 아닌 경우 상담제한"
    assert p.messages == () and p.figures["coupon_offered"] is False
    assert not [s for s in customer_strings(p) if LOT in s]


# --------------------------------------------------------------------------- campaign edges


@pytest.mark.parametrize(
    ("at", "offered"),
    [
        (kst(2024, 11, 26, 23, 59), False),
        (kst(2024, 11, 27, 0, 0), True),  # first day
        (kst(2024, 12, 31, 23, 59), True),  # last day
        (kst(2025, 1, 1, 0, 0), False),  # the day after
    ],
)
def test_coupon_only_inside_the_campaign_window(at, offered):
    p = run(facts(), at=at)
    assert ("offer_coupon" in step_codes(p)) is offered
    assert ("issue_coupon" in step_codes(p)) is offered
    assert p.figures["coupon_offered"] is offered
    assert ("쿠폰" in " ".join(s.script for s in p.steps)) is offered


def test_campaign_day_is_the_seoul_day_even_for_a_utc_moment():
    from datetime import UTC, datetime

    just_after = datetime(2024, 12, 31, 15, 30, tzinfo=UTC)  # 2025-01-01 00:30 in Seoul
    assert run(facts(), at=just_after).figures["coupon_offered"] is False
    just_inside = datetime(2024, 11, 26, 15, 30, tzinfo=UTC)  # 2024-11-27 00:30 in Seoul
    assert run(facts(), at=just_inside).figures["coupon_offered"] is True


def test_struck_expiry_line_is_not_said_unless_a_lead_sets_one():
    """Seed 000 A1 ④: "- 사용기한 : ~~24.12.31까지~~" (struck): no expiry is said or sent,
    even when the campaign is extended, unless a lead sets a coupon expiry on the campaign."""
    extended = Campaign(
        SEED_CAMPAIGN.code, SEED_CAMPAIGN.name, SEED_CAMPAIGN.starts_on, date(2025, 2, 28)
    )
    p = run(facts(), at=kst(2025, 1, 15, 9, 0), env=StaticEnv(campaigns=(extended,)))
    assert p.figures["coupon_offered"] is True and "coupon_expires_on" not in p.figures
    assert "사용기한" not in " ".join(customer_strings(p))

    with_expiry = dataclasses.replace(extended, coupon_expires_on=date(2025, 3, 31))
    p = run(facts(), at=kst(2025, 1, 15, 9, 0), env=StaticEnv(campaigns=(with_expiry,)))
    assert p.figures["coupon_expires_on"] == date(2025, 3, 31)
    assert "- 사용기한 : 25.03.31까지" in step(p, "offer_coupon").script
    board = run(
        facts(channel="chatbot_board"),
        at=kst(2025, 1, 15, 9, 0),
        env=StaticEnv(campaigns=(with_expiry,)),
    )
    assert board.messages[-1].template == "주차_T주차권구매권유_쿠폰지급_결제취소_사용기한"
    assert board.messages[-1].context == {
        "coupon_expires_on": date(2025, 3, 31),
        "coupon_link": "https://t.kakao.com/launch?page=coupon",  # the center setting's value
    }


def test_coupon_in_every_decision_branch_during_the_campaign():
    for over in (
        {},
        {"exit_at": "2024-12-03T17:20:00+09:00"},
        {"bought_after_entry_label": True},
        {"ticket_car_number": "34나5678"},
    ):
        p = run(facts(**over))
        assert "offer_coupon" in step_codes(p), p.outcome
        assert "issue_coupon" in step_codes(p), p.outcome


# --------------------------------------------------------------------------- on-site check


def test_onsite_check_sends_the_seed_sms_with_coupon_instead_of_chat():
    p = run(
        facts(bought_after_entry_label=True, onsite_check_needed=True, ownership_verified=False)
    )
    assert p.outcome == "customer_fault_bought_after_entry"
    assert [m.template for m in p.messages] == ["주차_현장확인_T주차권구매권유_쿠폰지급"]
    (message,) = p.messages
    assert message.audience == "customer"
    assert message.context == {
        "inquired_on": date(2024, 12, 5),
        "lot_label": "서울 강남구 소재 주차장",
        "reason": "입차 후 구매",
        "coupon_link": "https://t.kakao.com/launch?page=coupon",  # the center setting's value
    }
    codes = step_codes(p)
    assert "offer_coupon" not in codes  # ④ goes by SMS
    assert codes.index("onsite_check") < codes.index("send_onsite_sms")
    assert step(p, "onsite_check").waits_on == "partner"


def test_onsite_check_outside_the_campaign_has_no_coupon():
    p = run(
        facts(ticket_car_number="34나5678", onsite_check_needed=True, inquired_on="2025-01-03"),
        at=kst(2025, 1, 3, 10, 0),
    )
    assert [m.template for m in p.messages] == ["주차_현장확인_결과안내"]
    assert p.messages[0].context["lot_label"] == LOT  # ownership verified
    assert p.messages[0].context["inquired_on"] == date(2025, 1, 3)
    assert "issue_coupon" not in step_codes(p)


def test_onsite_flag_does_not_change_a_cancel():
    p = run(facts(onsite_check_needed=True))
    assert p.outcome == "cancel_pass_payment" and p.messages == ()


# --------------------------------------------------------------------------- chatbot board


def test_board_answers_are_messages_with_the_branch_and_coupon_templates():
    p = run(facts(channel="chatbot_board", exit_at="2024-12-03T17:20:00+09:00"))
    assert p.outcome == "normal_overtime"
    assert [m.template for m in p.messages] == [
        "주차_챗봇게시판_이중결제_정상결제_주차권시간초과",
        "주차_T주차권구매권유_쿠폰지급_정상이용",
    ]
    assert p.messages[0].context == {
        "inquired_on": date(2024, 12, 5),
        "ticket_hours": 2,
        "used_time": "3시간 15분",
        "excess_time": "1시간 15분",
        "excess_fee": 4000,
    }
    # "사용기한 : ~~24.12.31까지~~" is struck; the link is the center setting's value
    assert p.messages[1].context == {"coupon_link": "https://t.kakao.com/launch?page=coupon"}


# --------------------------------------------------------------------------- facts


def test_fact_errors_are_korean_and_per_field():
    with pytest.raises(ValidationError) as exc:
        run(facts(exit_at="2024-12-03T13:00:00+09:00"))
    assert exc.value.detail["exit_at"][0] == "출차일시: 입차일시 이후여야 합니다."

    data = facts()
    del data["ticket_hours"], data["pass_amount"]
    with pytest.raises(ValidationError) as exc:
        run(data)
    assert set(exc.value.detail) == {"ticket_hours", "pass_amount"}
    assert "주차권 시간" in str(exc.value.detail["ticket_hours"][0])

    with pytest.raises(ValidationError) as exc:
        run(facts(other_app="kakao"))
    assert "타사 주차권 구매처" in str(exc.value.detail["other_app"][0])

    with pytest.raises(ValidationError) as exc:
        run(facts(other_app="other", usage_history_attached=True))
    assert "그 외 앱 이름" in str(exc.value.detail["other_app_name"][0])

    with pytest.raises(ValidationError) as exc:
        run({"other_app": "modu"})
    assert exc.value.detail["lot_name"][0] == "주차장 명: 필수 항목입니다."


# --------------------------------------------------------------------------- identity, property

_HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(_HANGUL, min_size=2, max_size=8).map(lambda s: f"{s} 주차장"),
    branch=st.sampled_from(sorted(BRANCHES)),
    public=st.booleans(),
    channel=st.sampled_from(["chat", "chatbot_board", "phone"]),
)
def test_lot_name_never_leaks_without_ownership_property(name, branch, public, channel):
    over = dict(BRANCHES[branch])
    over.pop("lot_name", None)
    over.setdefault("channel", channel)
    data = facts(ownership_verified=False, lot_name=name, is_public_lot=public, **over)
    if "ticket_lot_name" in BRANCHES[branch]:
        data["ticket_lot_name"] = f"{name} 2관"  # a ticket lot that contains the name
    p = run(data)
    assert not [s for s in customer_strings(p) if name in s]


# --------------------------------------------------------------------------- 시간 초과 (issue 15)


def test_overtime_is_the_ticket_applied_and_only_the_excess_charged():
    """Seed 000 A2 ③ "> 주차권 시간 초과이용한 경우(정상이용)": "주차권 적용 후 남은 OO시간에
    대한 요금 OOO원이 결제된 것으로 확인되어 걱정하지 않으셔도 괜찮습니다." A fact says the
    ticket was applied; the excess fee is computed from the lot's tariff and stated."""
    data = facts(
        exit_at="2024-12-03T17:20:00+09:00",  # 3시간 15분, 2시간권 -> 1시간 15분 초과
        ticket_applied=True,
        extra_fee_unit_minutes=10,
        extra_fee_per_unit=500,
        pass_amount=4000,
    )
    p = run(data)
    assert p.outcome == "normal_overtime"
    assert p.figures["excess_minutes"] == 75 and p.figures["excess_fee"] == 4000  # 8 x 500
    assert (
        "주차권 적용 후 남은 1시간 15분에 대한 요금 4,000원이 결제된 것으로"
        in step(p, "explain").script
    )
    assert "check_excess_fee" not in step_codes(p)
    # A tariff that does not give the charged amount: the agent checks before answering.
    off = run(dict(data, extra_fee_per_unit=600))
    assert off.figures["excess_fee"] == 4800
    assert "요금 4,800원" in step(off, "explain").script
    assert "주차패스 결제금액 4,000원" in step(off, "check_excess_fee").script
    # ticket_applied False: "주차권이 제대로 적용되지 않아 결제가 이루어진 상황" -> 결제취소
    assert run(dict(data, ticket_applied=False)).outcome == "cancel_pass_payment"


def test_ticket_applied_without_an_excess_is_a_korean_fact_error():
    with pytest.raises(ValidationError) as exc:
        run(facts(ticket_applied=True))  # 1시간 이용, 2시간권
    assert "주차권 적용 여부" in str(exc.value.detail["ticket_applied"][0])
    with pytest.raises(ValidationError) as exc:
        run(facts(extra_fee_unit_minutes=10))
    assert "함께 입력" in str(exc.value.detail["extra_fee_per_unit"][0])


def test_overtime_sms_never_says_the_ticket_was_not_applied():
    """Seed 000: "+ 고객 언급에 따라 추가 탐색 진행 → 주차현장 확인 필요한 경우 ④가이드는 문자로
    진행". In the overtime branch the ticket WAS applied: the site-check SMS states the excess,
    not section 5's "주차권 적용이 되지 않았던 것 같아요"."""
    from templates_app.catalogue import CATALOGUE_BY_NAME
    from templates_app.render import render_sms

    for env_campaign in (True, False):
        p = run(
            facts(exit_at="2024-12-03T17:20:00+09:00", onsite_check_needed=True),
            env=StaticEnv(campaigns=(SEED_CAMPAIGN,)) if env_campaign else StaticEnv(),
        )
        assert p.outcome == "normal_overtime"
        (message,) = p.messages
        template = CATALOGUE_BY_NAME[message.template]
        text = render_sms(
            body=template.body, variables=template.variables, context=message.context
        ).text
        assert "적용이 되지 않았" not in text
        assert "주차권 적용 후 남은 1시간 15분에 대한 요금 4,000원이 결제된 것으로" in text
        assert ("쿠폰" in text) is env_campaign
