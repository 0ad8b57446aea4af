"""Seed 003: [전기차충전] 미충전 및 미결제 관련 문의 (사후청구 포함).

Four cases, chosen by the agent as the fact ``case_type`` (the seed's 목차 1-4; DOMAIN.md calls
them A-D; the seed's own admin guide letters them differently, "미충전 유형 A/B/C", which we
only quote):

- A ``paid_not_charged`` -> ``forward_to_cpo``: 1) 이용내역 특정 -> 2) CPO 메일문의 (실제
  이용내역 / 정산제외 예고) -> 3) 아지트 [전기차충전cs] 전달 (정산 제외 이견 여부 / 결제취소
  완료 여부). 상담유형 전기차충전 ▶ 오류 ▶ 미충전결제 ▶ 직영 외 | 센터필드.
- B ``charged_not_paid`` -> ``postbill_notice``: 통신오류로 미결제, 결제 예정 알림톡 안내.
- C ``postbill_before_payment`` -> ``exclude_from_billing``: 아지트 [사후청구 결제취소] 전달,
  결제 스케줄 제외 요청.
- D ``postbill_after_payment`` -> ``cancel_after_settlement``: 아지트 [사후청구 결제취소]
  전달, 정산제외 이견 여부, 결제취소 완료 여부.
  B, C, D: 상담유형 전기차충전 ▶ 결제 ▶ 결제실패/미수 ▶ 직영 외 | 센터필드.

The leaf (직영 외 / 센터필드) is the fact ``station_kind``. A, C and D tell the customer the
responsible team will answer by SMS; that SMS is proposed once the team's answer is recorded
(fact ``team_answer``: re-evaluate then). Until then the last step waits on the team and no
message is queued, so nothing reaches the customer before there is an answer.

Time promises (step clocks): the seed tells the customer the team answers "순차적으로 ... 다소
시간이 소요" without a number, so every step that waits on the team carries the center's service
level (``rules.CenterSettings.ev_team_answer_rule``, today 3 business days), the CPO mail
``ev_cpo_answer_rule`` and the customer's SMS once the team answered ``ev_customer_sms_rule``.
They, and the Agit boards ([전기차충전cs], [사후청구 결제취소]), are center settings a lead edits,
read through ``env.center_rules(at)`` (issue 15 A.3): no constant here decides them.
"""

from __future__ import annotations

from datetime import datetime

from rest_framework import serializers

from cases.consultation_types import EV_NOT_CHARGED, EV_PAYMENT_FAILED

from . import _common as c
from .base import ALL, ConsultationRecord, Env, EscalationSpec, MessageSpec, Proposal, Step
from .center import center_rules

CODE = "ev_charging"
VERSION = "2025.04.09-3"  # seed 003 is undated; its newest section anchor is of 2025-04-09
#: -2: waiting steps carry due rules (step clocks, issue 9)
#: -3: the admin check names the seed's 미충전 어드민 가이드 (유형 A/B/C) with the center's link

CASE_TYPES = {
    "paid_not_charged": "결제된 건에 대해서 미충전 주장",
    "charged_not_paid": "충전완료했으나 결제되지 않아 결제요청",
    "postbill_before_payment": "사후청구 건 결제 전 미충전 주장으로 청구 취소요청",
    "postbill_after_payment": "사후청구 건 결제 후 미충전 주장으로 결제 취소요청",
}
#: case type (A-D) -> the outcome the seed gives it.
OUTCOME_FOR_CASE = {
    "paid_not_charged": "forward_to_cpo",
    "charged_not_paid": "postbill_notice",
    "postbill_before_payment": "exclude_from_billing",
    "postbill_after_payment": "cancel_after_settlement",
}
INQUIRIES = {
    "paid_not_charged": "충전하지 않았는데 결제되었어요.",
    "charged_not_paid": "충전완료했는데 결제가 안되었어요.",
    "postbill_before_payment": "사후청구 건 결제 전 미충전 주장으로 청구 취소요청",
    "postbill_after_payment": "사후청구 건 결제 후 미충전 주장으로 결제 취소요청",
}
TITLES = {
    "forward_to_cpo": "미충전결제 - CPO 확인요청 및 아지트 [전기차충전cs] 전달",
    "postbill_notice": "충전완료 미결제 - 통신오류, 결제 예정 알림톡 안내",
    "exclude_from_billing": "사후청구 결제 전 미충전 주장 - 결제 스케줄 제외 요청",
    "cancel_after_settlement": "사후청구 결제 후 미충전 주장 - 결제취소 요청",
}
#: Every outcome this playbook gives (DOMAIN.md), code -> Korean label: overrides pick from it.
OUTCOMES = {
    "forward_to_cpo": "(A) 미충전결제 - CPO 확인요청 후 아지트 전달",
    "postbill_notice": "(B) 충전완료 미결제 - 결제 예정 알림톡 안내",
    "exclude_from_billing": "(C) 사후청구 결제 전 - 결제 스케줄 제외 요청",
    "cancel_after_settlement": "(D) 사후청구 결제 후 - 정산 제외·결제취소 요청",
}
STATION_KINDS = {"non_direct": "직영 외", "center_field": "센터필드"}
TEAM_ANSWERS = {
    "cancelled": "결제취소 완료",
    "excluded": "결제 스케줄 제외 완료",
    "charge_confirmed": "실제 충전 확인 (취소 불가)",
}
# Which answers each case can receive from the responsible team.
ANSWERS_FOR = {
    "paid_not_charged": {"cancelled", "charge_confirmed"},
    "charged_not_paid": set(),
    "postbill_before_payment": {"excluded", "charge_confirmed"},
    "postbill_after_payment": {"cancelled", "charge_confirmed"},
}
TPL_ANSWER = {
    "cancelled": "전기차충전_미충전_결제취소완료",
    "excluded": "전기차충전_사후청구_결제제외완료",
    "charge_confirmed": "전기차충전_미충전주장_충전이용확인",
}
SORRY_TEAM = (
    "이용에 불편을 드려 죄송합니다.\n"
    "문의하신 내용은 제가 즉시 도움드리고 싶으나, 담당부서의 확인이 필요한 점 양해부탁드립니다.\n\n"
    "담당부서로 확인하여 계정에 등록된 고객님 연락처로 문자 안내드려도 괜찮으실까요?\n\n"
    "담당부서의 경우 순차적으로 확인 후 처리하다 보니 다소 시간이 소요되는 점 양해 부탁드립니다.\n"
    "제가 더 신경 써서 최대한 빠르게 확인될 수 있도록 노력하겠습니다."
)
COMM_ERROR = (
    "이용에 불편을 드려 죄송합니다.\n"
    "충전은 완료되었으나, 충전기와의 일시적인 통신오류로 정상 결제되지 않은 것으로 확인됩니다.\n\n"
    "결제되지 않은 금액은 고객님께 결제 예정 알림톡을 발송해 드리고 있습니다.\n"
    "번거로우시겠지만 추후 알림톡 통해 확인 부탁드립니다."
)
EXCLUDE_FORWARD = (
    "실제로 충전하지 않은 내역으로 결제가 되지 않도록 담당부서로 전달드리겠습니다.\n"
    "담당부서로 확인 후 문자 안내드려도 괜찮으실까요?\n\n"
    "담당부서의 경우 순차적으로 확인 후 진행되어 다소 시간이 소요되는 점 양해 부탁드립니다.\n"
    "제가 더 신경 써서 최대한 빠르게 확인될 수 있도록 노력하겠습니다."
)
CANCEL_FORWARD = (
    "이용에 불편을 드려 죄송합니다.\n"
    "해당 건에 대해서는 현재 바로 처리가 어려워 담당부서로 확인 후 문자 발송드려도 괜찮으실까요?\n\n"
    "담당부서의 경우 순차적으로 확인 후 진행되어 다소 시간이 소요되는 점 양해 부탁드립니다.\n"
    "제가 더 신경 써서 최대한 빠르게 확인될 수 있도록 노력하겠습니다."
)
#: Seed 003's "🔎 미충전 어드민 가이드 참고 - ..." line of each 📌 block, per case type: the guide's
#: title as the seed writes it and the center setting holding its link (blank = title only).
#: Q2 (charged_not_paid) names no guide.
ADMIN_GUIDES = {
    "paid_not_charged": ("미충전 유형 A 결제 건에 대한 미충전 주장", "ev_guide_a_url"),
    "postbill_before_payment": (
        "미충전 유형 B 사후청구 결제 전 미충전 주장으로 취소 요청",
        "ev_guide_b_url",
    ),
    "postbill_after_payment": (
        "미충전 유형 C 사후청구 결제 후 미충전 주장으로 취소 요청",
        "ev_guide_c_url",
    ),
}
GUIDE_PREFIX = "🔎 미충전 어드민 가이드 참고 - "
USED_QUESTION = "당시 해당 전기차 충전 서비스를 이용하시지 않은걸까요?"
EMPATHY = "발화 시점 및 상황에 맞는 감성표현 활용 필요 (호응, 공감, 양해, 사과)"

SESSION_FIELDS = {
    "tid": "충전 TID",
    "charge_ended_at": "충전종료일시",
    "kwh": "충전량(kWh)",
    "amount": "충전액",
}


class Facts(c.FactsSerializer):
    case_type = c.choice("문의 유형", CASE_TYPES, "가이드 목차 1~4")
    station_kind = c.choice(
        "충전소 구분", STATION_KINDS, "상담유형 소분류: 직영 외 / 센터필드", default="non_direct"
    )
    station_name = c.text("충전소명", max_length=100)
    charge_started_at = c.moment("충전시작일시", "이용내역 특정: OO년 OO월 OO일 OO시 OO분")
    charge_ended_at = c.moment("충전종료일시", default=None)
    tid = c.text("충전 TID", "어드민 충전 내역의 TID", default="", max_length=60)
    kwh = c.decimal("충전량(kWh)", default=None, allow_null=True, max_digits=7, decimal_places=3)
    amount = c.integer("충전액", "원 단위", default=None, allow_null=True)
    cpo_name = c.text(
        "CPO(충전사업자)", "미충전결제 확인 메일을 보낼 CPO", default="", max_length=100
    )
    team_answer = c.choice(
        "담당부서 답변",
        TEAM_ANSWERS,
        "담당부서(아지트) 답변이 오면 선택: 고객 문자 안내가 제안됩니다",
        default=None,
    )

    cpo_answer = c.text(
        "CPO 회신",
        "CPO 메일문의에 대한 회신 (회신 메일이 오면 자동 기록; 답변 판단은 담당부서 답변으로)",
        default="",
        max_length=2000,
    )

    def validate(self, attrs: dict) -> dict:
        errors: dict[str, str] = {}
        case = attrs["case_type"]
        if case != "charged_not_paid":
            errors.update(c.required_when(attrs, SESSION_FIELDS, "어드민 확인 항목으로"))
        ended, started = attrs.get("charge_ended_at"), attrs.get("charge_started_at")
        if ended and started and ended < started:
            errors["charge_ended_at"] = "충전종료일시: 충전시작일시 이후여야 합니다."
        answer = attrs.get("team_answer")
        if answer and answer not in ANSWERS_FOR[case]:
            errors["team_answer"] = (
                f"담당부서 답변: '{CASE_TYPES[case]}' 유형에는 '{TEAM_ANSWERS[answer]}' 답변을 "
                "받을 수 없습니다."
            )
        if answer in ("cancelled", "excluded") and attrs.get("amount") is None:
            errors["amount"] = "충전액: 취소·제외 금액 안내에 필수 항목입니다."
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


FACTS = Facts
#: Issue 16: a reply to the e-mail of step ``email_cpo`` (the CPO's answer) is recorded in the
#: fact ``cpo_answer`` by the inbound-mail service, through the fact revision (case_revise_facts).
AWAITED_REPLIES = {"email_cpo": "cpo_answer"}


def station_label(name: str) -> str:
    return name if name.rstrip().endswith("충전소") else f"{name} 충전소"


def _when(moment: datetime) -> str:
    """The seed's 'OO년 OO월 OO일 OO시 OO분'."""
    local = c.seoul(moment)
    return f"{local:%y}년 {local:%m}월 {local:%d}일 {local:%H}시 {local:%M}분"


def admin_guide(case: str, rules) -> str:
    """The seed's guide reference for ``case`` ("" for none): the title, then the link a lead
    set in the center settings on its own line."""
    if case not in ADMIN_GUIDES:
        return ""
    title, field = ADMIN_GUIDES[case]
    link = (getattr(rules, field, "") or "").strip()
    return GUIDE_PREFIX + title + (f"\n{link}" if link else "")


def _session_lines(facts: dict) -> list[str]:
    lines = [
        f"-충전소명: {facts['station_name']}",
        f"-TID: {facts.get('tid') or '-'}",
        f"-충전시작: {c.ymd_hm(facts['charge_started_at'])}",
        f"-종료일시: {c.ymd_hm(facts['charge_ended_at']) if facts.get('charge_ended_at') else '-'}",
        f"-충전량: {facts['kwh']} kWh" if facts.get("kwh") is not None else "-충전량: -",
        f"-충전액: {c.won(facts['amount'])}" if facts.get("amount") is not None else "-충전액: -",
    ]
    return lines


#: outcome -> the case type (A-D) that gives it: the outcomes and the case types are one to one.
CASE_FOR_OUTCOME = {outcome: case for case, outcome in OUTCOME_FOR_CASE.items()}


def propose_outcome(facts: dict, outcome: str, at: datetime, env: Env) -> Proposal:
    """The proposal for ``outcome`` chosen by a lead (an override): the outcome *is* a case
    type (A-D), so it is :func:`propose` for the facts with that case type, under the same
    rules FACTS applies (A, C and D need the session identified: TID, 종료일시, 충전량, 충전액;
    a team answer must be one that case type can receive). Refused (PlaybookError naming the
    facts) otherwise: the lead revises the facts first.
    """
    case = CASE_FOR_OUTCOME.get(outcome)
    if case is None:
        c.refuse_override(outcome, "이 플레이북의 처리 결과가 아닙니다.")
    chosen = {**facts, "case_type": case}
    try:
        Facts().validate(chosen)
    except serializers.ValidationError as exc:
        c.refuse_override(OUTCOMES[outcome], exc.detail)
    return propose(chosen, at, env)


def propose(facts: dict, at: datetime, env: Env) -> Proposal:
    case = facts["case_type"]
    outcome = OUTCOME_FOR_CASE[case]
    leaf = facts.get("station_kind") or "non_direct"
    ctype = (EV_NOT_CHARGED if case == "paid_not_charged" else EV_PAYMENT_FAILED)[leaf]
    station = station_label(facts["station_name"])
    when = _when(facts["charge_started_at"])
    answer = facts.get("team_answer")
    rules = center_rules(env, at)
    board_cpo, board_postbill = rules.agit_ev_cpo_board, rules.agit_ev_postbill_board

    if case == "charged_not_paid":
        identify = f"실례지만 {when} {station} 이용 건에 대한 문의 맞으실까요?"
    else:
        identify = f"실례지만 {when} {station} 내역에 대한 문의 맞으실까요?"
    if case in ("postbill_before_payment", "postbill_after_payment"):
        identify += f"\n\n{USED_QUESTION}"
        identify_label = "이용내역 특정, 이용여부 탐색"
    else:
        identify_label = "이용내역 특정"
    steps = [Step("identify", f"{identify_label} ({EMPATHY})", ALL, identify, kind="say")]

    session = "\n".join(_session_lines(facts))
    guide = admin_guide(case, rules)
    admin_check = Step(
        "check_admin",
        "어드민 확인: 충전소명/ TID/ 충전시작/ 종료일시/ 충전량/ 충전액"
        + (" (미충전 어드민 가이드 참고)" if guide else ""),
        ALL,
        session + (f"\n\n{guide}" if guide else ""),
        kind="check",
    )
    escalation = None
    if outcome == "forward_to_cpo":
        cpo = facts.get("cpo_name") or "CPO"
        mail = "\n".join(
            [
                f"[카카오 T 전기차충전] 미충전 결제 건 확인 요청 ({cpo})",
                *_session_lines(facts),
                "-요청: 실제 이용내역 확인 부탁드립니다.",
                "-정산제외 예고: 실제 충전되지 않은 것으로 확인되면 해당 건은 정산에서 제외될 예정입니다.",
            ]
        )
        body = "\n".join(
            [
                "[미충전결제] 결제된 건 미충전 주장",
                *_session_lines(facts),
                f"-CPO 확인요청: {cpo} 메일문의 (실제 이용내역/ 정산제외 예고)",
                "-담당자 전달: 정산 제외 이견 여부/ 결제취소 완료 여부",
            ]
        )
        escalation = EscalationSpec(board=board_cpo, body=body)
        steps += [
            Step(
                "explain_forward",
                "다른 결제수단 또는 다른 충전기 이용 권장, 담당부서 확인 후 문자 안내 동의",
                ALL,
                SORRY_TEAM,
                kind="say",
            ),
            admin_check,
            Step(
                "email_cpo",
                f"CPO 메일문의 ({cpo}): 실제 이용내역/ 정산제외 예고",
                ALL,
                mail,
                kind="action",
                waits_on="cpo",
                due_rule=rules.ev_cpo_answer_rule,
            ),
            Step(
                "post_agit",
                f"아지트 [{board_cpo}] 전달 (담당자 전달: 정산 제외 이견 여부/ 결제취소 완료 여부)",
                ALL,
                body,
                kind="post",
                waits_on="team",
                due_rule=rules.ev_team_answer_rule,
            ),
        ]
    elif outcome == "postbill_notice":
        steps.append(
            Step(
                "explain_postbill",
                "통신오류 미결제, 사후결제 가능 안내 (결제 예정 알림톡)",
                ALL,
                COMM_ERROR,
                kind="say",
            )
        )
    else:
        ask = (
            "결제 스케줄 제외 요청"
            if outcome == "exclude_from_billing"
            else "정산제외 이견 여부, 결제취소 완료 여부"
        )
        body = "\n".join(
            [f"[사후청구] {CASE_TYPES[case]}", *_session_lines(facts), f"-담당자 전달: {ask}"]
        )
        escalation = EscalationSpec(board=board_postbill, body=body)
        steps += [
            Step(
                "explain_forward",
                "담당부서 전달, 확인 후 문자 안내 동의",
                ALL,
                EXCLUDE_FORWARD if outcome == "exclude_from_billing" else CANCEL_FORWARD,
                kind="say",
            ),
            admin_check,
            Step(
                "post_agit",
                f"아지트 [{board_postbill}] 전달 (담당자 전달: {ask})",
                ALL,
                body,
                kind="post",
                waits_on="team",
                due_rule=rules.ev_team_answer_rule,
            ),
        ]

    messages: tuple[MessageSpec, ...] = ()
    if escalation is not None:
        if answer:
            context = {"used_at": facts["charge_started_at"], "station": station}
            if answer != "charge_confirmed":
                context["amount"] = facts["amount"]
            messages = (MessageSpec(TPL_ANSWER[answer], "customer", context),)
            steps.append(
                Step(
                    "notify_customer",
                    f"담당부서 답변 고객 문자 안내 ({TEAM_ANSWERS[answer]})",
                    ALL,
                    kind="sms",
                    due_rule=rules.ev_customer_sms_rule,
                )
            )
        else:
            steps.append(
                Step(
                    "notify_customer",
                    "담당부서 답변 후 고객 문자 안내 (답변 기록 후 다시 판단)",
                    ALL,
                    kind="sms",
                    waits_on="team",
                    due_rule=rules.ev_team_answer_rule,
                )
            )
    steps.append(
        Step("save_record", f"상담이력 저장 (상담유형: {' ▶ '.join(ctype)})", ALL, kind="memo")
    )

    done = {
        "forward_to_cpo": f"CPO 메일문의 → 아지트 [{board_cpo}] 전달",
        "postbill_notice": "통신오류 미결제 안내, 결제 예정 알림톡 확인 요청",
        "exclude_from_billing": f"아지트 [{board_postbill}] 전달 (결제 스케줄 제외 요청)",
        "cancel_after_settlement": (
            f"아지트 [{board_postbill}] 전달 (정산제외 이견 여부, 결제취소 완료 여부)"
        ),
    }[outcome]
    lines = (
        _session_lines(facts)
        if case != "charged_not_paid"
        else [
            f"-충전소명: {facts['station_name']}",
            f"-충전시작: {c.ymd_hm(facts['charge_started_at'])}",
        ]
    )
    lines.append(f"-처리내용: {done}")
    if answer:
        lines.append(f"-담당부서 답변: {TEAM_ANSWERS[answer]} → 고객 문자 안내")
    notes = "\n".join(lines)
    reason = f"{CASE_TYPES[case]}: {done}"
    if answer:
        reason += f" / 담당부서 답변: {TEAM_ANSWERS[answer]}"

    figures = {"amount": facts.get("amount"), "kwh": facts.get("kwh")}
    return Proposal(
        playbook=CODE,
        version=VERSION,
        outcome=outcome,
        reason=reason,
        consultation_type=ctype,
        steps=tuple(steps),
        messages=messages,
        record=ConsultationRecord(title=TITLES[outcome], inquiry=INQUIRIES[case], notes=notes),
        operations_memo=f"[전기차충전] {CASE_TYPES[case]} / {done}",
        escalation=escalation,
        figures=figures,
    )
