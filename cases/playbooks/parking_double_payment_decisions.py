"""Seed 000 (이중결제 취소요청 [타사주차권]): the four decisions (cancel, overtime, the two customer
faults) as steps, records and messages.

Split from ``cases.playbooks.parking_double_payment`` (issue 14.9), which re-exports every name
here.
"""

from __future__ import annotations

from typing import Any

from . import _common as c
from .base import (
    ALL,
    MessageSpec,
    Proposal,
    Step,
)
from .parking_double_payment_proposals import (
    _base,
    _coupon_text,
    _Ctx,
    _explain,
    _fault_reason,
    _identify_step,
    _record,
    _record_step,
)
from .parking_double_payment_rules import (
    excess_fee,
    mismatches,
    used_minutes,
)
from .parking_double_payment_scripts import (
    EVIDENCE_THANKS,
    OUTCOME_LABELS,
    TPL_BOARD,
    TPL_COUPON,
    TPL_COUPON_WITH_EXPIRY,
    TPL_ONSITE_COUPON,
    TPL_ONSITE_OVERTIME_COUPON,
    TPL_ONSITE_OVERTIME_PLAIN,
    TPL_ONSITE_PLAIN,
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
