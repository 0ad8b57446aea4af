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
from datetime import datetime

from . import _common as c
from .base import (
    ALL,
    Env,
    PlaybookError,
    Proposal,
    Step,
)
from .parking_double_payment_decisions import (  # noqa: F401
    _board_context,
    _propose_decision,
)
from .parking_double_payment_facts import (  # noqa: F401
    FACTS,
    Facts,
)
from .parking_double_payment_proposals import (  # noqa: F401
    _ask_evidence_script,
    _base,
    _coupon_text,
    _Ctx,
    _ctx,
    _district_label,
    _entry_words,
    _explain,
    _fault_reason,
    _identify_step,
    _lot_title,
    _propose_evidence,
    _propose_lot_rule,
    _record,
    _record_lot,
    _record_step,
)
from .parking_double_payment_rules import (  # noqa: F401
    Mismatch,
    _customer_fault,
    _norm,
    _stage,
    bought_after_entry,
    decide,
    excess_fee,
    lot_rule,
    mismatches,
    missing_evidence,
    required_evidence,
    used_minutes,
)
from .parking_double_payment_scripts import (  # noqa: F401
    _INTERNAL_STEP_KINDS,
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
    EVIDENCE_THANKS,
    INTEGRATIONS,
    LOT_RULES,
    MISMATCH_EXPLAIN,
    OTHER_APPS,
    OUTCOME_LABELS,
    OUTCOMES,
    OVERTIME_EXPLAIN,
    RESTRICTED_SCRIPT,
    TITLE,
    TPL_BOARD,
    TPL_COUPON,
    TPL_COUPON_WITH_EXPIRY,
    TPL_ONSITE_COUPON,
    TPL_ONSITE_OVERTIME_COUPON,
    TPL_ONSITE_OVERTIME_PLAIN,
    TPL_ONSITE_PLAIN,
    VERSION,
)
from .site_rules import lot_rules

# Fields holding codes or names, never free text: the lot-name redaction leaves them alone.
_NOT_TEXT = frozenset(
    {"playbook", "version", "outcome", "consultation_type", "template", "audience", "result_type"}
    | {"code", "roles", "kind", "waits_on", "due_rule", "route"}
)


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
