"""Seed 000: 이중결제 취소요청 [타사주차권] - 쿠폰제시버전 ([보관-25.1.16]).

The customer bought another app's parking ticket (모두의주차장, 티맵...) and the parking pass
(주차패스: plate recognition) charged them too.

Order of decision, as the seed reads:

1. 본인 확인: not the account holder -> 상담제한 (a fact error, no proposal: the seed stops the
   consultation there). 소유인증 X -> the lot NAME is never said or written anywhere in the
   proposal; only the district ("서울 성북구 소재 주차장"). A final redaction pass guarantees
   it even for texts built from other facts.
2. Lot rules (정책 및 참고사항), before anything else and on every channel:
   성북구 공영주차장 -> ``refer_control_center`` (the customer calls 성북구통합관제센터
   02-6925-0023); 속초시 공영주차장 -> ``center_contacts_control_center`` (we call
   033-636-4240 / 033-637-6242, wait on them, then tell the customer); 인천공항 주차장 ->
   ``escalate_agit`` (every request). "공영" is the ``is_public_lot`` fact, or when the agent
   leaves it empty, '공영' in the lot name.
3. 유선 (phone): the seed's phone flow never decides: pick 확인 -> 타사 주차권 내역 필요안내 ->
   챗봇 게시판 접수 안내. Outcome ``request_evidence``.
4. 채팅 / 챗봇 게시판: history missing -> ``request_evidence`` (모두의주차장: BOTH 예약내역 and
   결제내역, because 예약내역 shows no 결제시간; other apps: 이용내역).
5. With the history: '입차 후 구매' (the 예약내역 label, or the ticket paid after entry) ->
   ``customer_fault_bought_after_entry``; car number / date / lot of the ticket differ from the
   actual use -> ``customer_fault_info_mismatch``; stay longer than the ticket's hours ->
   ``normal_overtime`` (the pass charged the excess); otherwise the ticket was valid and not
   applied -> ``cancel_pass_payment`` (refund 영업일 기준 3~5일).
6. Coupon (T 주차권 구매권유 + 할인쿠폰) in each of the four decisions, only while the campaign
   ``parking_ticket_coupon`` is active on the Seoul date of ``at`` (seed: 2024-11-27 ~
   2024-12-31, extendable: the campaign row is data). 사용기한 = the campaign's end date. The
   lot rules and the evidence request are not decisions, so they offer no coupon.
7. Q2 branches (정상결제: overtime and both customer faults) where the customer's words need a
   주차현장 확인: ④ goes by SMS (seed section 5 template; outside the campaign the same notice
   without the coupon) after the site check, instead of the chat text. Q1 (결제취소) has no such
   branch: the attached history decides it.

Channel ``chatbot_board`` (where the phone flow sends the customer) decides like chat, but the
answer is written, so each decision also queues the branch's guidance message (and the coupon
message during the campaign): templates written in the seed's voice from the chat scripts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rest_framework import serializers

from cases.consultation_types import PARKING_DOUBLE_PAYMENT

from . import _common as c
from .base import (
    ALL,
    ConsultationRecord,
    Env,
    EscalationSpec,
    MessageSpec,
    PlaybookError,
    Proposal,
    Step,
)
from .center import CenterRules, center_rules
from .site_rules import DEFAULT_LOT_RULES, LotRule, lot_rules, match_lot_rule

CODE = "parking_double_payment"
VERSION = "2025.01.16-1"  # seed title: [보관-25.1.16]
TITLE = "이중결제 취소요청 [타사주차권]"
CAMPAIGN_CODE = "parking_ticket_coupon"

# The lot rules (성북구·속초시 공영, 인천공항, with the control centers' phones) and the coupon
# link are data a lead edits (rules.LotRule, rules.CenterSettings), read through ``env``
# (site_rules.lot_rules, center.center_rules); today's values are their defaults.

CHANNELS = {"chat": "채팅", "chatbot_board": "챗봇 게시판", "phone": "유선"}
OTHER_APPS = {"modu": "모두의주차장", "tmap": "티맵", "other": "그 외 앱"}
INTEGRATIONS = {"linked": "연동", "unlinked": "비연동", "unaffiliated": "비제휴", "other": "기타"}
# 비제휴 lots have no leaf of their own in the seed's type list (연동, 비연동, 기타).
_TYPE_KEY = {"linked": "linked", "unlinked": "unlinked", "unaffiliated": "other", "other": "other"}

OUTCOME_LABELS = {
    "cancel_pass_payment": "주차패스 결제취소 - 타앱 주차권 O",
    "normal_overtime": "주차패스 정상결제 - 주차권 시간 초과이용 (정상이용)",
    "customer_fault_bought_after_entry": "주차패스 정상결제 - 입차 후 구매 (고객귀책)",
    "customer_fault_info_mismatch": "주차패스 정상결제 - 차량번호/예약일/주차장 정보상이 (고객귀책)",
    "request_evidence": "타사 주차권 내역 요청",
    "refer_control_center": "성북구 공영주차장 - 성북구통합관제센터 문의 안내",
    "center_contacts_control_center": "속초시 공영주차장 - 관제센터 연락 후 사후 안내",
    "escalate_agit": "인천공항 주차장 - 아지트 확인 요청",
    "consultation_restricted": "본인이 아닌 경우 상담제한",
}
#: Every outcome this playbook gives (DOMAIN.md), code -> Korean label: overrides pick from it.
OUTCOMES = dict(OUTCOME_LABELS)

# Template names (templates_app.catalogue holds the texts).
TPL_ONSITE_COUPON = "주차_현장확인_T주차권구매권유_쿠폰지급"
TPL_ONSITE_PLAIN = "주차_현장확인_결과안내"
TPL_BOARD = {
    "cancel_pass_payment": "주차_챗봇게시판_이중결제_주차패스결제취소",
    "normal_overtime": "주차_챗봇게시판_이중결제_정상결제_주차권시간초과",
    "customer_fault_bought_after_entry": "주차_챗봇게시판_이중결제_고객귀책_입차후구매",
    "customer_fault_info_mismatch": "주차_챗봇게시판_이중결제_고객귀책_정보상이",
    "request_evidence": "주차_챗봇게시판_이중결제_타사주차권내역요청",
    "refer_control_center": "주차_챗봇게시판_이중결제_성북구통합관제센터안내",
    "follow_up": "주차_챗봇게시판_이중결제_확인후안내",
}
TPL_COUPON = {
    "cancel_pass_payment": "주차_T주차권구매권유_쿠폰지급_결제취소",
    "normal_overtime": "주차_T주차권구매권유_쿠폰지급_정상이용",
    "fault": "주차_T주차권구매권유_쿠폰지급_고객귀책",
}
#: A lead set a coupon expiry on the campaign: the variant with "- 사용기한 : ~까지".
TPL_COUPON_WITH_EXPIRY = {key: f"{name}_사용기한" for key, name in TPL_COUPON.items()}
TPL_ONSITE_OVERTIME_COUPON = "주차_현장확인_정상이용_T주차권구매권유_쿠폰지급"
TPL_ONSITE_OVERTIME_PLAIN = "주차_현장확인_정상이용_결과안내"
#: Step kinds whose text is not said to the customer (Agit post, a call to a control center,
#: the consultation record): they keep the lot's name without 소유인증.
_INTERNAL_STEP_KINDS = frozenset({"post", "action", "memo"})

# --------------------------------------------------------------------------- scripts (seed 000)

EVIDENCE_ASK = "번거로우시겠지만 이용하신 주차권의 날짜와 차량번호가 확인되도록 이용내역을 첨부해 주시겠습니까?"
EVIDENCE_ASK_MODU = (
    "번거로우시겠지만 이용하신 주차권의 날짜와 차량번호가 확인되도록, "
    "'예약내역'과 '결제내역'을 첨부해 주시겠습니까?"
)
EVIDENCE_THANKS = "첨부해 주셔서 감사합니다."

CANCEL_EXPLAIN = (
    "주차권이 정상적으로 적용되었다면 주차패스 내역은 생성되더라도 결제되지 않아요.\n"
    "다만, 주차권이 제대로 적용되지 않아 결제가 이루어진 상황으로 확인됩니다.\n\n"
    "첨부해 주신 내역으로 주차패스 결제 건은 바로 취소처리하겠습니다.\n"
    "카드사에 따라 취소 이후 실제 환불까지 영업일 기준 3~5일의 시간이 소요될 수 있으니 "
    "양해 부탁드립니다."
)
OVERTIME_EXPLAIN = (
    "확인해 보니 고객님께서 이용하신 주차권은 {hours}시간권입니다.\n"
    "주차장을 이용하신 시간은 총 {used}으로 확인되고 있는데요.\n\n"
    "주차권 적용 후 남은 {excess}에 대한 요금 {amount}이 결제된 것으로 확인되어 "
    "걱정하지 않으셔도 괜찮습니다."
)
AFTER_ENTRY_EXPLAIN = (
    "다만 {ticket}을 입차 후 구매하신 내역으로 확인됩니다.\n"
    "입차 후 구매 시 주차권 적용이 어려울 수 있어요.\n\n"
    "번거로우시겠지만 주차권 관련하여 {seller} 측으로 문의해 주시겠습니까?"
)
MISMATCH_EXPLAIN = (  # the seed's "[..]는 OOO입니다 ... [..]은 OOO으로", particles fitted
    "확인해 보니 고객님께서 예약하신 주차권의 {item_topic} {reserved}입니다. "
    "다만 실제 이용하신 {item_topic} {actual_with}확인됩니다. "
    "카카오 T로 결제된 요금은 정상 이용하신 내역으로 확인되어, 번거로우시겠지만 주차권 환불 "
    "관련하여 {seller} 측으로 문의해 주시겠습니까?"
)

COUPON_INTRO = {
    "cancel_pass_payment": (
        "이번에 다른 업체의 주차권이 자동으로 적용되지 않아 많이 불편하셨을 것 같아요.\n\n"
        "카카오 T 주차권은 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 있으니 "
        "다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요."
    ),
    "normal_overtime": (
        "이번에 다른 업체의 주차권과 주차패스의 결제 건으로 혼동되어 많이 불편하셨을 것 같아요.\n"
        "카카오 T 주차권은 주차패스와 이중결제 걱정 없이 더욱 간편하게 주차장을 이용할 수 "
        "있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요."
    ),
    "fault": (
        "해당 건은 안타깝게도 {reason} 사유로 주차권 적용이 되지 않았던 것 같아요.\n"
        "결제된 내역에 대해 도움을 드리긴 어렵지만, 카카오 T 주차권은 주차패스와 이중결제 걱정 "
        "없이 더욱 간편하게 주차장을 이용할 수 있으니 다음엔 카카오 T 주차권 꼭 한 번 이용해 보세요."
    ),
}
COUPON_BODY = (
    "\n\n더 편리하게 주차장을 이용하실 수 있도록 카카오 T 주차권 할인쿠폰도 지급해 드릴게요.\n\n"
    "[쿠폰 사용 안내]\n"
    "- 사용범위 : 카카오 T 또는 카카오내비 앱을 통한 주차권 구매 전용\n"
    "- 적용방법 : 주차권 결제단계에서 '쿠폰적용' 선택\n"
    "{expiry_line}"
    "쿠폰 발급이 완료되면 아래의 링크에서 확인하실 수 있어요.\n"
    "{link}\n\n"
    "편리한 주차서비스를 카카오 T와 함께 경험해 보시길 바랄게요."
)


# --------------------------------------------------------------------------- facts


class Facts(c.FactsSerializer):
    channel = c.choice(
        "응대 채널",
        CHANNELS,
        "채팅·챗봇 게시판: 내역 확인 후 처리 / 유선: 내역 필요 안내 후 챗봇 게시판 접수 안내",
        default="chat",
    )
    account_holder = c.boolean(
        "카카오 T 계정 가입자 본인 여부",
        "문의하신 카카오 T 계정 가입자 본인이십니까? (본인이 아닌 경우 상담제한)",
        default=True,
    )
    ownership_verified = c.boolean(
        "소유인증 여부",
        "소유인증 O - 주차장 명 선언급 가능 / 소유인증 X - 주차장명 선언급 불가 "
        "(OO시 OO동 - 행정구역은 언급가능)",
        default=False,
    )
    lot_name = c.text("주차장 명", "주차패스 이용 건의 주차장 명", min_length=2, max_length=100)
    lot_district = c.text(
        "주차장 행정구역",
        "예: 서울 성북구, 강원 속초시 (소유인증 전에는 행정구역까지만 언급)",
        min_length=2,
        max_length=60,
    )
    is_public_lot = c.boolean(
        "공영주차장 여부",
        "성북구·속초시 공영주차장 규칙에 사용. 비워두면 주차장 명에 '공영'이 있는지로 판단",
        default=None,
        allow_null=True,
    )
    lot_integration = c.choice(
        "주차장 연동 구분", INTEGRATIONS, "상담유형 소분류: 연동, 비연동, 기타", default="other"
    )
    entry_at = c.moment("입차일시", "주차패스 이용 건의 입차 일시 (20OO년-O월-O일 OO시)")
    exit_at = c.moment("출차일시", "주차장 이용시간 계산에 사용", default=None)
    car_number = c.text(
        "실제 이용 차량번호", "주차패스 이용 건의 차량번호", default="", max_length=20
    )
    pass_amount = c.integer(
        "주차패스 결제금액", "주차패스로 결제된 금액(원)", default=None, allow_null=True
    )
    other_app = c.choice(
        "타사 주차권 구매처", OTHER_APPS, "모두의주차장은 '예약내역'과 '결제내역' 모두 필요"
    )
    other_app_name = c.text(
        "그 외 앱 이름", "구매처가 '그 외 앱'일 때 앱 이름", default="", max_length=40
    )
    usage_history_attached = c.boolean(
        "이용내역 첨부 여부", "주차권의 날짜와 차량번호가 확인되는 이용내역 (모두의주차장 외)"
    )
    reservation_history_attached = c.boolean("예약내역 첨부 여부", "모두의주차장 '예약내역'")
    payment_history_attached = c.boolean(
        "결제내역 첨부 여부", "모두의주차장 '결제내역' (예약내역에는 결제시간이 없음)"
    )
    ticket_hours = c.integer(
        "주차권 시간",
        "이용하신 주차권의 O시간권",
        default=None,
        allow_null=True,
        min_value=1,
        max_value=720,
    )
    ticket_applied = c.boolean(
        "주차권 적용 여부",
        "주차패스 내역에 주차권이 적용되고 남은 시간 요금만 결제되었는지 (예: 시간 초과이용). "
        "비우면 이용시간과 주차권 시간으로 판단",
        default=None,
        allow_null=True,
    )
    extra_fee_unit_minutes = c.integer(
        "추가요금 단위(분)",
        "현장 요금표의 추가요금 단위, 예: 10분당 → 10 (초과 요금 계산에 사용)",
        default=None,
        allow_null=True,
        min_value=1,
        max_value=1440,
    )
    extra_fee_per_unit = c.integer(
        "단위당 추가요금(원)",
        "현장 요금표의 단위당 추가요금, 예: 10분당 1,000원 → 1000",
        default=None,
        allow_null=True,
        min_value=0,
    )
    ticket_purchased_at = c.moment(
        "주차권 결제시간", "타사 주차권 결제(구매) 일시: 입차 이후면 '입차 후 구매'", default=None
    )
    bought_after_entry_label = c.boolean(
        "'입차 후 구매' 문구 확인", "모두의 주차권 예약내역 상 '입차 후 구매' 문구가 있는지"
    )
    ticket_car_number = c.text(
        "주차권 차량번호", "예약하신 주차권의 차량번호", default="", max_length=20
    )
    ticket_date = c.day("주차권 예약일", "예약하신 주차권의 이용(예약)일", default=None)
    ticket_lot_name = c.text(
        "주차권 주차장 명", "예약하신 주차권의 주차장 명", default="", max_length=100
    )
    onsite_check_needed = c.boolean(
        "주차현장 확인 필요 여부",
        "고객 언급에 따라 추가 탐색 진행 → 주차현장 확인이 필요한 경우 ④ 안내는 문자로 진행",
    )
    inquired_on = c.day(
        "문의일", "현장확인 문자의 '0월 0일 문의하셨던 건' (비우면 판단일)", default=None
    )

    def validate(self, attrs: dict) -> dict:
        # "※ 본인이 아닌 경우 상담제한" (seed 000 ①) is what the agent does (a proposal:
        # script + record, outcome consultation_restricted), not a refusal of the facts.
        errors: dict[str, str] = {}
        if (attrs.get("extra_fee_unit_minutes") is None) != (
            attrs.get("extra_fee_per_unit") is None
        ):
            errors["extra_fee_per_unit"] = (
                "추가요금: 단위(분)와 단위당 요금(원)은 함께 입력해야 합니다."
            )
        if attrs.get("other_app") == "other" and not attrs.get("other_app_name"):
            errors["other_app_name"] = "그 외 앱 이름: 구매처가 '그 외 앱'이면 필수 항목입니다."
        exit_at, entry_at = attrs.get("exit_at"), attrs.get("entry_at")
        if exit_at and entry_at and exit_at <= entry_at:
            errors["exit_at"] = "출차일시: 입차일시 이후여야 합니다."
        if _stage(attrs) == "decide" and not _customer_fault(attrs):
            # Only cancel vs overtime needs the stay and the ticket's hours; a customer fault
            # is decided from the ticket alone.
            errors.update(
                c.required_when(
                    attrs,
                    {
                        "exit_at": "출차일시",
                        "ticket_hours": "주차권 시간",
                        "pass_amount": "주차패스 결제금액",
                    },
                    "타사 주차권 내역으로 처리 방향을 정하려면",
                )
            )
            used = used_minutes(attrs) if attrs.get("exit_at") and not errors else None
            if (
                attrs.get("ticket_applied")
                and used is not None
                and attrs.get("ticket_hours")
                and used <= attrs["ticket_hours"] * 60
            ):
                errors["ticket_applied"] = (
                    "주차권 적용 여부: 주차권이 적용되었다면 남은 시간 요금만 결제됩니다. "
                    "이용시간이 주차권 시간을 넘지 않으니 입차·출차일시와 주차권 시간을 확인해 주세요."
                )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


FACTS = Facts


# --------------------------------------------------------------------------- decision


def lot_rule(facts: dict, rules: tuple[LotRule, ...] = DEFAULT_LOT_RULES) -> str | None:
    """The seed's lot rules, which come before any other decision: the outcome of the first
    rule (rows in force, through ``env.lot_rules``) whose lot the facts describe."""
    rule = match_lot_rule(facts, rules)
    return rule.action if rule else None


def missing_evidence(facts: dict) -> list[str]:
    if facts["other_app"] == "modu":
        missing = []
        if not facts.get("reservation_history_attached"):
            missing.append("예약내역")
        if not facts.get("payment_history_attached"):
            missing.append("결제내역")
        return missing
    return [] if facts.get("usage_history_attached") else ["이용내역"]


def required_evidence(facts: dict) -> list[str]:
    """The history this app's ticket needs (모두의주차장: 예약내역 and 결제내역)."""
    return ["예약내역", "결제내역"] if facts["other_app"] == "modu" else ["이용내역"]


def _stage(facts: dict, rules: tuple[LotRule, ...] = DEFAULT_LOT_RULES) -> str:
    if not facts.get("account_holder", True):
        return "restricted"  # ※ 본인이 아닌 경우 상담제한: nothing else is said
    if lot_rule(facts, rules):
        return "lot_rule"
    if facts.get("channel", "chat") == "phone":
        return "phone"
    if missing_evidence(facts):
        return "evidence"
    return "decide"


def _norm(value: str) -> str:
    return "".join(value.split())


@dataclass(frozen=True)
class Mismatch:
    item: str
    reserved: str
    actual: str


def mismatches(facts: dict, actual_lot: str | None = None) -> list[Mismatch]:
    """Which of 차량번호 / 예약일 / 주차장 differ between the ticket and the actual use.

    ``actual_lot`` is how the actual lot may be named (district only without 소유인증)."""
    found: list[Mismatch] = []
    ticket_car, car = facts.get("ticket_car_number", ""), facts.get("car_number", "")
    if ticket_car and car and _norm(ticket_car) != _norm(car):
        found.append(Mismatch("차량번호", ticket_car, car))
    ticket_date = facts.get("ticket_date")
    entry_day = c.seoul(facts["entry_at"]).date()
    if ticket_date and ticket_date != entry_day:
        found.append(Mismatch("예약일", c.ymd(ticket_date), c.ymd(entry_day)))
    ticket_lot = facts.get("ticket_lot_name", "")
    if ticket_lot and _norm(ticket_lot) != _norm(facts["lot_name"]):
        found.append(Mismatch("주차장", ticket_lot, actual_lot or facts["lot_name"]))
    return found


def bought_after_entry(facts: dict) -> bool:
    if facts.get("bought_after_entry_label"):
        return True
    purchased = facts.get("ticket_purchased_at")
    return bool(purchased and purchased > facts["entry_at"])


def used_minutes(facts: dict) -> int | None:
    if not facts.get("exit_at"):
        return None
    return int((facts["exit_at"] - facts["entry_at"]).total_seconds() // 60)


def _customer_fault(facts: dict) -> str | None:
    if bought_after_entry(facts):
        return "customer_fault_bought_after_entry"
    if mismatches(facts):
        return "customer_fault_info_mismatch"
    return None


def excess_fee(facts: dict) -> int | None:
    """The fee for the time beyond the ticket (seed 000 A2 ③: "주차권 적용 후 남은 OO시간에
    대한 요금 OOO원").

    From the lot's tariff when the agent gives it (추가요금 단위 and 단위당 요금: every started
    unit is charged); otherwise the pass amount, since with the ticket applied the pass charged
    only the excess."""
    used, hours = used_minutes(facts), facts.get("ticket_hours")
    if used is None or not hours:
        return None
    unit, per_unit = facts.get("extra_fee_unit_minutes"), facts.get("extra_fee_per_unit")
    if unit and per_unit is not None:
        excess = max(used - hours * 60, 0)
        return -(-excess // unit) * per_unit
    return facts.get("pass_amount")


def decide(facts: dict, rules: tuple[LotRule, ...] = DEFAULT_LOT_RULES) -> str:
    stage = _stage(facts, rules)
    if stage == "restricted":
        return "consultation_restricted"
    if stage == "lot_rule":
        return lot_rule(facts, rules)
    if stage in ("phone", "evidence"):
        return "request_evidence"
    fault = _customer_fault(facts)
    if fault:
        return fault
    applied = facts.get("ticket_applied")
    if applied is False:  # "주차권이 제대로 적용되지 않아 결제가 이루어진 상황"
        return "cancel_pass_payment"
    if applied or used_minutes(facts) > facts["ticket_hours"] * 60:
        return "normal_overtime"  # the ticket was applied; the pass charged the excess only
    return "cancel_pass_payment"


# --------------------------------------------------------------------------- proposal


@dataclass(frozen=True)
class _Ctx:
    facts: dict
    at: datetime
    lot_label: str  # the name with 소유인증, else "<district> 소재 주차장"
    seller: str  # "모두의 주차장", "티맵", or the app's name
    ticket_name: str  # "모두의 주차권", ...
    campaign_end: Any  # date | None
    coupon_expires: Any = None  # date | None: only when a lead set it on the campaign
    coupon_link: str = ""  # rules.CenterSettings.coupon_link in force at ``at``
    lot: LotRule | None = None  # the lot rule the facts fall under (rows in force at ``at``)
    #: the center settings in force at ``at`` (Agit board, billing memo format; issue 15 A.3)
    center: CenterRules = CenterRules()


def _ctx(facts: dict, at: datetime, env: Env) -> _Ctx:
    campaign = env.active_campaign(CAMPAIGN_CODE, c.seoul(at))
    app = facts["other_app"]
    seller = (
        {"modu": "모두의 주차장", "tmap": "티맵"}.get(app)
        or facts.get("other_app_name")
        or "구매처"
    )
    ticket = {"modu": "모두의 주차권", "tmap": "티맵 주차권"}.get(app) or f"{seller} 주차권"
    label = facts["lot_name"] if facts.get("ownership_verified") else _district_label(facts)
    center = center_rules(env, at)
    return _Ctx(
        facts,
        at,
        label,
        seller,
        ticket,
        campaign.ends_on if campaign else None,
        getattr(campaign, "coupon_expires_on", None) if campaign else None,
        center.coupon_link,
        match_lot_rule(facts, lot_rules(env, at)),
        center,
    )


def _district_label(facts: dict) -> str:
    return f"{facts['lot_district']} 소재 주차장"


def _record_lot(facts: dict) -> str:
    """The lot as internal records write it: always the name (records are not read to the
    customer), with the district, and whether it may be said."""
    said = "" if facts.get("ownership_verified") else " / 소유인증 X: 고객 안내는 행정구역만"
    return f"{facts['lot_name']} ({facts['lot_district']}){said}"


def _entry_words(facts: dict) -> str:
    entry = c.seoul(facts["entry_at"])
    return f"{entry.year}년 {entry.month}월 {entry.day}일 {entry.hour}시"


def _identify_step(ctx: _Ctx) -> Step:
    script = (
        "이중결제가 발생되어 많이 당황스러우셨을 텐데요. "
        "정확한 안내를 위해 확인 후 안내 도와드리겠습니다.\n"
        "문의하신 카카오 T 계정 가입자 본인이십니까?\n"
        f"-- 네, 고객님. {_entry_words(ctx.facts)} 경에 입차하신 이용 건 "
        "말씀하실까요?\n--\n확인 감사합니다."
    )
    rule = (
        "소유인증 O - 주차장 명 선언급 가능"
        if ctx.facts.get("ownership_verified")
        else "소유인증 X - 주차장명 선언급 불가 (행정구역까지만 언급)"
    )
    return Step(
        "identify",
        f"기본안내 (감성케어+본인확인+주차이용건 확인) · {rule}",
        ALL,
        script,
        kind="say",
    )


def _ask_evidence_script(facts: dict) -> str:
    return EVIDENCE_ASK_MODU if facts["other_app"] == "modu" else EVIDENCE_ASK


def _coupon_text(outcome: str, ctx: _Ctx, reason: str = "") -> str:
    key = outcome if outcome in COUPON_INTRO else "fault"
    intro = COUPON_INTRO[key].format(reason=reason)
    line = f"- 사용기한 : {c.yy_dots(ctx.coupon_expires)}까지\n" if ctx.coupon_expires else ""
    return intro + COUPON_BODY.format(expiry_line=line, link=ctx.coupon_link)


def _fault_reason(outcome: str, ctx: _Ctx) -> str:
    facts = ctx.facts
    if outcome == "customer_fault_bought_after_entry":
        return "입차 후 구매"
    if outcome == "customer_fault_info_mismatch":
        items = "/".join(m.item for m in mismatches(facts))
        return f"주차권 {items} 정보 상이"
    if outcome == "normal_overtime":
        return f"주차권 시간({facts['ticket_hours']}시간) 초과 이용"
    return ""


def _explain(outcome: str, ctx: _Ctx) -> str:
    facts = ctx.facts
    if outcome == "cancel_pass_payment":
        return CANCEL_EXPLAIN.format(amount=c.won(facts["pass_amount"]))
    if outcome == "normal_overtime":
        used = used_minutes(facts)
        return OVERTIME_EXPLAIN.format(
            hours=facts["ticket_hours"],
            used=c.duration(used),
            excess=c.duration(used - facts["ticket_hours"] * 60),
            amount=c.won(excess_fee(facts)),
        )
    if outcome == "customer_fault_bought_after_entry":
        return AFTER_ENTRY_EXPLAIN.format(ticket=ctx.ticket_name, seller=ctx.seller)
    found = mismatches(facts, ctx.lot_label)
    item = "/".join(m.item for m in found)
    return MISMATCH_EXPLAIN.format(
        item_topic=c.josa(item, "은/는"),
        reserved=" / ".join(m.reserved for m in found),
        actual_with=c.josa(" / ".join(m.actual for m in found), "으로/로") + " ",
        seller=ctx.seller,
    )


def _record(outcome: str, ctx: _Ctx, lines: list[str]) -> ConsultationRecord:
    facts = ctx.facts
    head = [
        f"-입차일시: {c.ymd_hm(facts['entry_at'])}",
        f"-주차장: {_record_lot(facts)}",
        f"-타사 주차권: {ctx.seller}",
    ]
    if facts.get("pass_amount") is not None:
        head.append(f"-주차패스 결제금액: {c.won(facts['pass_amount'])}")
    return ConsultationRecord(
        title=_lot_title(outcome, ctx) or OUTCOME_LABELS[outcome],
        inquiry=TITLE,
        notes="\n".join(head + lines),
    )


def _record_step(channel: str) -> Step:
    return Step(
        "save_record",
        f"상담이력 저장 (상담유형: 주차_고객 ▶ 결제 ▶ 이중결제, 채널: {CHANNELS[channel]})",
        ALL,
        kind="memo",
    )


def _base(outcome: str, reason: str, facts: dict, **kw) -> Proposal:
    return Proposal(
        playbook=CODE,
        version=VERSION,
        outcome=outcome,
        reason=reason,
        consultation_type=PARKING_DOUBLE_PAYMENT[_TYPE_KEY[facts.get("lot_integration", "other")]],
        **kw,
    )


def _lot_title(outcome: str, ctx: _Ctx) -> str:
    """A lot rule's record title names the rule's lot and center (rows a lead edits):
    "성북구 공영주차장 - 성북구통합관제센터 문의 안내" as the seed's rules read today."""
    lot = ctx.lot
    if outcome not in LOT_RULES or lot is None or lot.action != outcome:
        return ""
    if outcome == "refer_control_center":
        return f"{lot.label} - {lot.center_name} 문의 안내"
    if outcome == "center_contacts_control_center":
        return f"{lot.label} - 관제센터 연락 후 사후 안내"
    return f"{lot.label} - 아지트 확인 요청"


def _propose_lot_rule(outcome: str, ctx: _Ctx) -> Proposal:
    facts = ctx.facts
    channel = facts.get("channel", "chat")
    inquired_on = facts.get("inquired_on") or c.seoul(ctx.at).date()
    steps = [_identify_step(ctx)]
    messages: list[MessageSpec] = []
    escalation = None
    lot = ctx.lot
    if lot is None or lot.action != outcome:  # propose_outcome checked it; a guard for callers
        raise PlaybookError(f"이 주차장에 해당하는 주차장 규칙이 없습니다 ({_LOT_FACTS} 확인).")
    label = lot.label
    if outcome == "refer_control_center":
        name, phone = lot.center_name, lot.center_phone
        reason = f"{label}: 고객이 직접 관제센터로 문의 안내 ({name} {phone})"
        steps.append(
            Step(
                "refer_control_center",
                f"{label} → 고객이 직접 관제센터로 문의 안내 ({name} {phone})",
                ALL,
                f"이용하신 주차장은 {c.josa(label, '으로/로')}, 해당 건은 관제센터에서 직접 확인이 "
                "가능해요.\n번거로우시겠지만 "
                f"{name}({phone})로 문의해 주시면 정확하게 안내받으실 수 있습니다.",
                kind="say",
            )
        )
        memo = f"{label} 이중결제 문의 → {name}({phone}) 직접 문의 안내"
        if channel == "chatbot_board":
            messages.append(
                MessageSpec(
                    TPL_BOARD["refer_control_center"],
                    "customer",
                    # the lot rule's row fills the SMS (no phone literal in the template)
                    {"inquired_on": inquired_on, "center_name": name, "center_phone": phone},
                )
            )
    elif outcome == "center_contacts_control_center":
        name, phone = lot.center_name, lot.center_phone
        reason = f"{label}: 센터에서 관제센터({phone})로 연락하여 조치 후 고객 사후 안내"
        steps += [
            Step(
                "tell_follow_up",
                "센터에서 관제센터 확인 후 사후 안내 예정임을 안내",
                ALL,
                f"이용하신 주차장은 {c.josa(label, '으로/로')}, 저희 고객센터에서 관제센터로 직접 확인하여 "
                "조치한 뒤 다시 안내드리겠습니다.\n확인에 다소 시간이 소요되는 점 양해 부탁드립니다.",
                kind="say",
            ),
            Step(
                "contact_control_center",
                f"{name} 연락 ({phone}): 입차일시·차량번호·타사 주차권 내역 전달, 조치 요청",
                ALL,
                f"{_entry_words(facts)} 입차 건 / 차량번호 {facts.get('car_number') or '-'} / "
                f"타사 주차권 {ctx.seller}: 주차패스 이중결제 확인 및 조치 요청",
                kind="action",
                waits_on="partner",
            ),
            Step(
                "notify_customer",
                "관제센터 조치 결과 고객 사후 안내",
                ALL,
                kind="say",
                waits_on="partner",
            ),
        ]
        memo = f"{label} 이중결제 문의 → {name}({phone}) 연락, 조치 후 고객 사후 안내 예정"
        if channel == "chatbot_board":
            messages.append(
                MessageSpec(TPL_BOARD["follow_up"], "customer", {"inquired_on": inquired_on})
            )
    else:
        reason = f"{label} 관련 모든 요청은 아지트로 확인 요청"
        body = "\n".join(
            [
                f"[{label}] 주차패스 이중결제(타사주차권) 확인 요청",
                f"-입차일시: {c.ymd_hm(facts['entry_at'])}",
                f"-주차장: {_record_lot(facts)}",
                f"-차량번호: {facts.get('car_number') or '-'}",
                f"-타사 주차권: {ctx.seller}",
                f"-주차패스 결제금액: {c.won(facts['pass_amount']) if facts.get('pass_amount') is not None else '-'}",
            ]
        )
        # The seed names no board or template: "아지트로 확인 요청". The post is internal: it
        # names the lot even without 소유인증; the caller hears the district only.
        escalation = EscalationSpec(board=ctx.center.agit_parking_board, body=body)
        spoken = (
            label
            if facts.get("ownership_verified")
            else ctx.lot_label
            if "공항" not in facts["lot_district"]
            else "이용하신 주차장"
        )
        steps += [
            Step(
                "tell_follow_up",
                "담당부서 확인 후 안내 예정임을 안내",
                ALL,
                f"{spoken} 이용 건은 담당부서 확인이 필요하여, 확인 후 안내드리겠습니다.\n"
                "확인에 다소 시간이 소요되는 점 양해 부탁드립니다.",
                kind="say",
            ),
            Step("post_agit", "아지트로 확인 요청 작성", ALL, body, kind="post", waits_on="team"),
            Step("notify_customer", "아지트 답변 후 고객 안내", ALL, kind="say", waits_on="team"),
        ]
        memo = f"{label} 이중결제 문의 → 아지트 확인 요청"
    if messages:
        steps.append(Step("send_board_answer", "챗봇 게시판 답변 문자 발송", ALL, kind="sms"))
    steps.append(_record_step(channel))
    return _base(
        outcome,
        reason,
        facts,
        steps=tuple(steps),
        messages=tuple(messages),
        record=_record(outcome, ctx, [f"-처리내용: {memo}"]),
        operations_memo=memo,
        escalation=escalation,
        figures={"coupon_offered": False},
    )


def _propose_evidence(ctx: _Ctx) -> Proposal:
    facts = ctx.facts
    channel = facts.get("channel", "chat")
    modu = facts["other_app"] == "modu"
    needed = "'예약내역'과 '결제내역'" if modu else "이용내역"
    steps = [_identify_step(ctx)]
    messages: list[MessageSpec] = []
    if channel == "phone":
        reason = "유선 문의: 타사 주차권 내역 필요 안내 후 챗봇 게시판 접수 안내 (유선에서는 처리하지 않음)"
        steps += [
            Step(
                "explain_history_needed",
                "타사 주차권 내역 필요안내"
                + (" (모두의주차권 - 예약내역과 결제내역)" if modu else " (이용내역)"),
                ALL,
                "이중결제 확인을 위해서는 이용하신 주차권의 날짜와 차량번호가 확인되는 "
                f"{needed}이 필요합니다.",
                kind="say",
            ),
            Step(
                "guide_chatbot_board",
                "챗봇 게시판 접수 안내",
                ALL,
                f"번거로우시겠지만 카카오 T 앱 챗봇 게시판으로 {needed}을 첨부하여 접수해 주시면, "
                "확인 후 안내드리겠습니다.",
                kind="say",
                waits_on="customer",
            ),
        ]
        memo = f"유선 이중결제 문의: 타사 주차권({ctx.seller}) {needed} 필요 안내, 챗봇 게시판 접수 안내"
    else:
        # A lead may ask again for history that was attached (unreadable, wrong ride): then the
        # request names what this app's history is (모두의주차장: both), as if it were missing.
        missing = missing_evidence(facts) or required_evidence(facts)
        reason = f"타사 주차권 내역 없음: {', '.join(missing)} 첨부 요청" + (
            " (모두의주차장은 예약내역과 결제내역 모두 필요: 예약내역에는 결제시간이 없음)"
            if modu
            else ""
        )
        steps.append(
            Step(
                "request_history",
                "타사 주차권 내역 요청 (주차장 명 / 차량번호 / 결제시간)",
                ALL,
                _ask_evidence_script(facts),
                kind="say",
                waits_on="customer",
            )
        )
        if channel == "chatbot_board":
            messages.append(
                MessageSpec(
                    TPL_BOARD["request_evidence"],
                    "customer",
                    {
                        "inquired_on": facts.get("inquired_on") or c.seoul(ctx.at).date(),
                        "evidence": needed,
                    },
                )
            )
            steps.append(Step("send_board_answer", "챗봇 게시판 답변 문자 발송", ALL, kind="sms"))
        memo = f"이중결제 문의: 타사 주차권({ctx.seller}) {', '.join(missing)} 첨부 요청"
    steps.append(_record_step(channel))
    return _base(
        "request_evidence",
        reason,
        facts,
        steps=tuple(steps),
        messages=tuple(messages),
        record=_record("request_evidence", ctx, [f"-처리내용: {memo}"]),
        operations_memo=memo,
        figures={"coupon_offered": False, "missing_evidence": tuple(missing_evidence(facts))},
    )


def _propose_decision(outcome: str, ctx: _Ctx) -> Proposal:
    facts = ctx.facts
    channel = facts.get("channel", "chat")
    coupon = ctx.campaign_end is not None
    onsite = bool(facts.get("onsite_check_needed")) and outcome != "cancel_pass_payment"
    inquired_on = facts.get("inquired_on") or c.seoul(ctx.at).date()
    reason_words = _fault_reason(outcome, ctx)
    used = used_minutes(facts)
    explain = _explain(outcome, ctx)

    steps = [
        _identify_step(ctx),
        Step(
            "check_history",
            "타 앱 주차권 내역 확인 (주차장 명 / 차량번호 / 결제시간)",
            ALL,
            EVIDENCE_THANKS,
            kind="check",
        ),
        Step("explain", f"상황설명 - {OUTCOME_LABELS[outcome]}", ALL, explain, kind="say"),
    ]
    messages: list[MessageSpec] = []
    billing = ""
    if outcome == "cancel_pass_payment":
        steps += [
            Step(
                "cancel_pass_payment",
                f"주차패스 결제 건 취소처리 ({c.won(facts['pass_amount'])})",
                ALL,
                kind="action",
            ),
            Step(
                "refund_window",
                "카드사 환불 (취소 이후 영업일 기준 3~5일)",
                ALL,
                kind="check",
                due_rule="business_days:5",
            ),
        ]
        billing = ctx.center.double_payment_billing_memo(c.won(facts["pass_amount"]))

    if onsite:
        steps += [
            Step(
                "tell_onsite_check",
                "주차현장 확인 후 문자 안내 예정임을 안내",
                ALL,
                "말씀해 주신 내용은 주차현장 확인이 필요하여, 확인 후 계정에 등록된 연락처로 "
                "문자 안내드리겠습니다.",
                kind="say",
            ),
            Step(
                "onsite_check",
                "주차현장 확인 요청 (고객 언급에 따라 추가 탐색)",
                ALL,
                kind="action",
                waits_on="partner",
            ),
        ]
        if outcome == "normal_overtime":
            # The ticket was applied: the SMS states the excess, never "적용이 되지 않았던".
            template = TPL_ONSITE_OVERTIME_COUPON if coupon else TPL_ONSITE_OVERTIME_PLAIN
            onsite_context = {
                **_board_context(outcome, ctx, inquired_on),
                "lot_label": ctx.lot_label,
            }
        else:
            template = TPL_ONSITE_COUPON if coupon else TPL_ONSITE_PLAIN
            onsite_context = {
                "inquired_on": inquired_on,
                "lot_label": ctx.lot_label,
                "reason": reason_words,
            }
        if coupon:  # the link is the center setting in force, not a literal in the template
            onsite_context["coupon_link"] = ctx.coupon_link
        messages.append(MessageSpec(template, "customer", onsite_context))
        steps.append(
            Step(
                "send_onsite_sms",
                "현장확인 내용 안내 문자 발송"
                + (" (T 주차권 구매권유 및 쿠폰지급 포함)" if coupon else ""),
                ALL,
                kind="sms",
            )
        )
        if coupon:
            steps.append(Step("issue_coupon", "카카오 T 주차권 할인쿠폰 발행", ALL, kind="action"))
    else:
        if coupon and channel != "chatbot_board":  # on the board the coupon is a message
            steps.append(
                Step(
                    "offer_coupon",
                    "카카오 T 주차권 구매 권유 제안 및 쿠폰 지급",
                    ALL,
                    _coupon_text(outcome, ctx, reason_words),
                    kind="say",
                )
            )
        if coupon:
            steps.append(Step("issue_coupon", "카카오 T 주차권 할인쿠폰 발행", ALL, kind="action"))
        if channel == "chatbot_board":
            messages.append(
                MessageSpec(
                    TPL_BOARD[outcome], "customer", _board_context(outcome, ctx, inquired_on)
                )
            )
            if coupon:
                key = outcome if outcome in TPL_COUPON else "fault"
                name = TPL_COUPON[key]
                context: dict[str, Any] = {"coupon_link": ctx.coupon_link}
                if ctx.coupon_expires:  # struck in the seed: only when a lead set one
                    name = TPL_COUPON_WITH_EXPIRY[key]
                    context["coupon_expires_on"] = ctx.coupon_expires
                if key == "fault":
                    context["reason"] = reason_words
                messages.append(MessageSpec(name, "customer", context))
            steps.append(Step("send_board_answer", "챗봇 게시판 답변 문자 발송", ALL, kind="sms"))
    steps.append(_record_step(channel))

    lines = [f"-처리내용: {OUTCOME_LABELS[outcome]}"]
    if outcome == "normal_overtime":
        fee = excess_fee(facts)
        lines.append(
            f"ㄴ{facts['ticket_hours']}시간권 적용 / 이용시간 {c.duration(used)} / "
            f"초과 {c.duration(used - facts['ticket_hours'] * 60)} 요금 {c.won(fee)} "
            f"(주차패스 결제금액 {c.won(facts['pass_amount'])})"
        )
        if fee != facts["pass_amount"]:
            steps.insert(
                len(steps) - 1,
                Step(
                    "check_excess_fee",
                    "초과 요금 확인: 요금표로 계산한 초과 요금과 주차패스 결제금액이 다름",
                    ALL,
                    f"요금표 계산 {c.won(fee)} / 주차패스 결제금액 {c.won(facts['pass_amount'])}: "
                    "주차패스 결제내역과 현장 요금표를 확인해 주세요.",
                    kind="check",
                ),
            )
    elif outcome.startswith("customer_fault"):
        lines.append(f"ㄴ사유: {reason_words} → {ctx.seller} 측 문의 안내")
    if onsite:
        lines.append("-주차현장 확인 후 문자 안내")
    lines.append(
        (
            f"-쿠폰: 지급 (사용기한 {c.yy_dots(ctx.coupon_expires)}까지)"
            if ctx.coupon_expires
            else "-쿠폰: 지급"
        )
        if coupon
        else "-쿠폰: 캠페인 기간 외 (미지급)"
    )
    memo = " / ".join(
        [f"이중결제[타사주차권-{ctx.seller}]", OUTCOME_LABELS[outcome]]
        + (["현장확인 문자"] if onsite else [])
        + (["쿠폰 지급"] if coupon else [])
    )

    ticket_minutes = facts["ticket_hours"] * 60 if facts.get("ticket_hours") else None
    figures: dict[str, Any] = {
        "pass_amount": facts.get("pass_amount"),
        "ticket_minutes": ticket_minutes,
        "used_minutes": used,
        "excess_minutes": (
            max(used - ticket_minutes, 0) if used is not None and ticket_minutes else None
        ),
        "coupon_offered": coupon,
    }
    if coupon and ctx.coupon_expires:
        figures["coupon_expires_on"] = ctx.coupon_expires
    if outcome == "cancel_pass_payment":
        figures["refund_amount"] = facts["pass_amount"]
    if outcome == "normal_overtime":
        figures["excess_fee"] = excess_fee(facts)
    if outcome == "customer_fault_info_mismatch":
        figures["mismatched"] = tuple(m.item for m in mismatches(facts))

    reason = (
        OUTCOME_LABELS[outcome]
        + ": "
        + {
            "cancel_pass_payment": "주차권이 적용되지 않아 결제됨 → 주차패스 결제취소, 환불 영업일 기준 3~5일",
            "normal_overtime": f"{reason_words}, 초과 이용 요금 정상결제",
        }.get(outcome, f"{reason_words} → {ctx.seller} 측 문의 안내")
    )
    return _base(
        outcome,
        reason,
        facts,
        steps=tuple(steps),
        messages=tuple(messages),
        record=_record(outcome, ctx, lines),
        billing_memo=billing,
        operations_memo=memo,
        figures=figures,
    )


def _board_context(outcome: str, ctx: _Ctx, inquired_on) -> dict[str, Any]:
    facts = ctx.facts
    if outcome == "cancel_pass_payment":
        return {"inquired_on": inquired_on, "pass_amount": facts["pass_amount"]}
    if outcome == "normal_overtime":
        used = used_minutes(facts)
        return {
            "inquired_on": inquired_on,
            "ticket_hours": facts["ticket_hours"],
            "used_time": c.duration(used),
            "excess_time": c.duration(used - facts["ticket_hours"] * 60),
            "excess_fee": excess_fee(facts),
        }
    if outcome == "customer_fault_bought_after_entry":
        return {"inquired_on": inquired_on, "ticket_name": ctx.ticket_name, "seller": ctx.seller}
    found = mismatches(facts, ctx.lot_label)
    return {
        "inquired_on": inquired_on,
        "mismatch_item": "/".join(m.item for m in found),
        "reserved_value": " / ".join(m.reserved for m in found),
        "actual_value": " / ".join(m.actual for m in found),
        "seller": ctx.seller,
    }


# Fields holding codes or names, never free text: the lot-name redaction leaves them alone.
_NOT_TEXT = frozenset(
    {"playbook", "version", "outcome", "consultation_type", "template", "audience", "result_type"}
    | {"code", "roles", "kind", "waits_on", "due_rule", "route"}
)


LOT_RULES = ("refer_control_center", "center_contacts_control_center", "escalate_agit")
#: The lot facts a lot rule's texts state ("이용하신 주차장은 성북구 공영주차장으로 ...").
_LOT_FACTS = "주차장 명, 주차장 행정구역, 공영주차장 여부"


#: What deciding cancel vs overtime needs (FACTS demands them unless today's lot rules apply).
_DECIDE_FIELDS = {
    "exit_at": "출차일시",
    "ticket_hours": "주차권 시간",
    "pass_amount": "주차패스 결제금액",
}


def propose(facts: dict, at: datetime, env: Env) -> Proposal:
    rules = lot_rules(env, at)
    if _stage(facts, rules) == "decide" and not _customer_fault(facts):
        # FACTS has no env: it asks for these unless today's lot rules take the lot. A lead
        # may have ended such a rule since; then the case needs them here (Korean, by name).
        missing = c.required_when(
            facts, _DECIDE_FIELDS, "타사 주차권 내역으로 처리 방향을 정하려면"
        )
        if missing:
            raise PlaybookError(" ".join(missing.values()))
    return _proposal(decide(facts, rules), facts, at, env)


def propose_outcome(facts: dict, outcome: str, at: datetime, env: Env) -> Proposal:
    """The proposal for ``outcome`` chosen by a lead (an override), built as :func:`propose`
    builds it (steps, scripts, board SMS and coupon during the campaign, billing memo, record,
    the lot-name rule of 소유인증).

    Refused (PlaybookError naming the facts) when the outcome's texts need what the case lacks
    or contradicts: 결제취소 states the pass amount; 시간 초과 the stay, the ticket's hours and
    the fee, and a stay longer than the ticket; 정보상이 a ticket car number / date / lot that
    differs; a lot rule a lot of its district (its scripts name 성북구·속초시 공영, 인천공항).
    """
    label = OUTCOMES.get(outcome, outcome)
    if outcome not in OUTCOMES:
        c.refuse_override(label, "이 플레이북의 처리 결과가 아닙니다.")
    holder = facts.get("account_holder", True)
    if (outcome == "consultation_restricted") == holder:
        c.refuse_override(
            label,
            "카카오 T 계정 가입자 본인 여부: 본인이 아닌 경우 상담제한만 할 수 있습니다."
            if not holder
            else "카카오 T 계정 가입자 본인 여부: 본인이 확인된 건입니다.",
        )
    if outcome in LOT_RULES and lot_rule(facts, lot_rules(env, at)) != outcome:
        c.refuse_override(label, f"이 주차장은 이 규칙의 대상이 아닙니다 ({_LOT_FACTS} 확인).")
    why = "이 결과의 안내와 문자에"
    if outcome == "cancel_pass_payment":
        c.refuse_override(label, c.required_when(facts, {"pass_amount": "주차패스 결제금액"}, why))
    if outcome == "normal_overtime":
        needed = {
            "exit_at": "출차일시",
            "ticket_hours": "주차권 시간",
            "pass_amount": "주차패스 결제금액",
        }
        c.refuse_override(label, c.required_when(facts, needed, why))
        if used_minutes(facts) <= facts["ticket_hours"] * 60:
            c.refuse_override(
                label, "이용시간이 주차권 시간을 넘지 않습니다 (입차·출차일시, 주차권 시간 확인)."
            )
    if outcome == "customer_fault_info_mismatch" and not mismatches(facts):
        c.refuse_override(
            label,
            "주차권 차량번호·주차권 예약일·주차권 주차장 명 중 실제 이용과 다른 항목이 없습니다.",
        )
    return _proposal(outcome, facts, at, env)


def _proposal(outcome: str, facts: dict, at: datetime, env: Env) -> Proposal:
    ctx = _ctx(facts, at, env)
    if outcome == "consultation_restricted":
        proposal = _propose_restricted(ctx)
    elif outcome in LOT_RULES:
        proposal = _propose_lot_rule(outcome, ctx)
    elif outcome == "request_evidence":
        proposal = _propose_evidence(ctx)
    else:
        proposal = _propose_decision(outcome, ctx)
    if facts.get("ownership_verified"):
        return proposal
    # 소유인증 X: whatever text a fact carried in (the ticket's lot name, the actual lot in a
    # mismatch), the lot's name must not reach the customer: what is said (scripts) or sent
    # (SMS). Internal records (Agit post, 운영메모, 상담이력, a call to a control center) keep it.
    name, label = facts["lot_name"], _district_label(facts)

    def redact(value):
        return c.redact_strings(value, lambda s: s.replace(name, label), skip=_NOT_TEXT)

    return dataclasses.replace(
        proposal,
        steps=tuple(
            step if step.kind in _INTERNAL_STEP_KINDS else redact(step) for step in proposal.steps
        ),
        messages=redact(proposal.messages),
    )


RESTRICTED_SCRIPT = (
    "죄송하지만 고객님의 개인정보 보호를 위해, 카카오 T 계정 가입자 본인이 아닌 경우 이용 "
    "건에 대한 상담이 제한됩니다.\n"
    "번거로우시겠지만 가입자 본인께서 직접 문의해 주시면 확인 후 안내 도와드리겠습니다."
)


def _propose_restricted(ctx: _Ctx) -> Proposal:
    """Seed 000 ① "※ 본인이 아닌 경우 상담제한": the caller is not the account holder. The
    agent says so (no lot, no use, no amount) and records the call; nothing is decided."""
    facts = ctx.facts
    channel = facts.get("channel", "chat")
    memo = "이중결제 문의: 카카오 T 계정 가입자 본인이 아님 → 상담제한 안내"
    steps = (
        Step(
            "identify",
            "기본안내 (감성케어+본인확인) · 본인이 아닌 경우 상담제한",
            ALL,
            "이중결제가 발생되어 많이 당황스러우셨을 텐데요. "
            "정확한 안내를 위해 확인 후 안내 도와드리겠습니다.\n"
            "문의하신 카카오 T 계정 가입자 본인이십니까?",
            kind="say",
        ),
        Step(
            "restrict_consultation",
            "본인이 아닌 경우 상담제한 안내",
            ALL,
            RESTRICTED_SCRIPT,
            kind="say",
        ),
        _record_step(channel),
    )
    return _base(
        "consultation_restricted",
        "카카오 T 계정 가입자 본인이 아님: 상담제한 (※ 본인이 아닌 경우 상담제한)",
        facts,
        steps=steps,
        record=_record("consultation_restricted", ctx, [f"-처리내용: {memo}"]),
        operations_memo=memo,
        figures={"coupon_offered": False},
    )
