"""Seed 000 (이중결제 취소요청 [타사주차권]): how each outcome becomes steps, records and messages.

Split from ``cases.playbooks.parking_double_payment`` (issue 14.9), which re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from .parking_double_payment_rules import (
    excess_fee,
    mismatches,
    missing_evidence,
    required_evidence,
    used_minutes,
)
from .parking_double_payment_scripts import (
    _LOT_FACTS,
    _TYPE_KEY,
    AFTER_ENTRY_EXPLAIN,
    CAMPAIGN_CODE,
    CANCEL_EXPLAIN,
    CHANNELS,
    CODE,
    COUPON_BODY,
    COUPON_INTRO,
    EVIDENCE_ASK,
    EVIDENCE_ASK_MODU,
    LOT_RULES,
    MISMATCH_EXPLAIN,
    OUTCOME_LABELS,
    OVERTIME_EXPLAIN,
    TITLE,
    TPL_BOARD,
    VERSION,
)
from .site_rules import LotRule, lot_rules, match_lot_rule

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
