"""Seed 002: [챗봇-게시판] 기사_미운행건 결제취소.

A driver asks (chatbot board) to cancel the payment of a call they did not actually drive.
The agent checks 대리어드민 - 콜상세정보 - 운행결과 확인 - 미터기 운행 상세.

Decision, in this order (each reject names exactly one reason, as the seed's table does):

1. ``rejected_other_inquiry``: the request is not a 미운행건 결제취소 (접수유형 외 다른 문의).
   The consultation type then takes the 2nd/3rd depth the agent chose for the real inquiry
   (facts ``other_type_depth2`` / ``other_type_depth3``, default the 002 path).
2. ``rejected_already_processed``: the center already cancelled it (취소일자, 취소금액).
   Checked before the duplicate rule: a finished cancellation is not "처리 중".
3. ``rejected_duplicate``: the same request is open and being processed (its 접수일 and
   상담ID or 아지트 링크).
4. Meter (미터기 운행 상세):
   - ``approved`` ONLY when 운행거리 is 0.0 km AND 출발지와 마지막 지점 동일(유사) AND the
     time is known: the seed's two sub-cases, "0.0km(일분 이하) / 비고: 운행시간 짧음,운행거리
     짧음" and "0.0km(n분) / 비고: 운행거리 짧음". Same-or-nearly is the agent-checked boolean
     ``start_equals_last_point``: the seed has the agent read the meter map (동일(유사)); a
     metre threshold would be a rule the seed does not give.
   - ``rejected_ride_recorded``: distance > 0 and time > 0 and no cancel reason recorded
     (운행거리O, 운행시간 O, 취소사유 기재 X): the driver may have picked the wrong ride.
   - ``needs_review`` for everything else: 0.0 km but the points differ or were not checked,
     distance without time, a recorded cancel reason, time unknown, meter not read. A person
     decides; nothing is auto-approved.

Each outcome carries the seed's CEMS template(s), 빌링처리 메모, 아지트 작성, 처리결과, 상담유형
and 상담이력 (제목 / 문의내용 / 처리내용 layout), and the steps put the SMS before saving the
chatbot answer ("SMS 선발송 후 답변내용 저장").

[아지트 작성 기준]: 특이사항이 있거나 OB 부재 등 히스토리 공유가 필요한 경우 아지트 작성 필수,
그 외에는 운영메모에 처리내용 기재. Approval always posts (the seed's table), other outcomes post
only with ``ob_unreachable`` or ``special_note``; otherwise the notes go to the operations memo.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from rest_framework import serializers

from cases.consultation_types import (
    DRIVER_PAYMENT_CANCEL_PREFIX,
    DRIVER_SERVICE_TYPES,
    driver_payment_cancel,
)

from . import _common as c
from .base import (
    ALL,
    LEADS_AND_MANAGER,
    ConsultationRecord,
    Env,
    EscalationSpec,
    MessageSpec,
    Proposal,
    Step,
)
from .center import CenterRules, center_rules

CODE = "driver_nonride_cancel"
VERSION = "2024.11.20-1"  # seed 002 is undated; its newest section anchor is of 2024-11-20
INQUIRY = "미운행건 결제취소 요청"

# The Agit board and template ("[운영] 대리 CS 대응 > [챗보드_요금조정(광주KMCC)]") and the
# 빌링처리 메모 per outcome ("챗보드 IN / 기사_미운행건 결제취소 / 고객 SMS"; 반려 "-") are center
# settings a lead edits (rules.CenterSettings, read through env.center_rules; issue 15 A.3).

TPL_DRIVER_APPROVED = "대리기사_챗봇게시판_기사미운행건결제취소(승인)"
TPL_CUSTOMER_APPROVED = "대리_챗봇게시판_기사미운행건결제취소(승인)"
# The seed names this driver message without the 대리기사 prefix: kept exactly as written.
TPL_RIDE_RECORDED = "대리_챗봇게시판_기사미운행건결제취소(반려)_운행거리&시간O"
TPL_ALREADY_PROCESSED = "대리기사_챗봇게시판_기사미운행건결제취소(반려)_고객센터기처리"
TPL_OTHER_INQUIRY = "대리기사_챗봇게시판_공용(반려)_접수유형외다른문의"
TPL_DUPLICATE = "대리기사_챗봇게시판_공용(반려)_중복접수"
#: Seed 002 1. "※ 관련링크 바로가기 ... ㄴ처리예정 SMS 발송: ▶ 처리중 (사유: 취소예정)": sent on an
#: approval that cannot be cancelled at once (fact ``cancel_scheduled``), before the cancellation.
TPL_CANCEL_SCHEDULED = "대리기사_챗봇게시판_기사미운행건결제취소(처리중)_취소예정"

TITLES = {
    "approved": "처리완료",
    "rejected_ride_recorded": "반려 (운행거리&시간 O)",
    "rejected_already_processed": "반려 (고객센터 기처리)",
    "rejected_other_inquiry": "반려 (접수유형 외 다른문의)",
    "rejected_duplicate": "반려 (중복 접수)",
    "needs_review": "검토 필요 (자동 판단 불가)",
}
#: Every outcome this playbook gives (DOMAIN.md), code -> Korean label: overrides pick from it
#: (``needs_review`` is what the playbook says when it cannot decide; nobody overrides *to* it).
OUTCOMES = {
    "approved": "승인 (미운행 결제취소)",
    "rejected_ride_recorded": "반려 (운행거리&시간 O)",
    "rejected_already_processed": "반려 (고객센터 기처리)",
    "rejected_other_inquiry": "반려 (접수유형 외 다른 문의)",
    "rejected_duplicate": "반려 (중복 접수)",
    "needs_review": "검토 필요 (자동 판단 불가)",
}
RESULT_TYPE = {
    "approved": "approved",
    "rejected_ride_recorded": "rejected_unable",
    "rejected_already_processed": "rejected_already_processed",
    "rejected_other_inquiry": "rejected_other",
    "rejected_duplicate": "rejected_duplicate",
}

INQUIRY_KINDS = {
    "nonride_cancel": "미운행건 결제취소",
    "other": "접수유형 외 다른 문의",
}
ZERO = Decimal("0.0")


class Facts(c.FactsSerializer):
    received_on = c.day("접수일", "기사님이 챗봇 게시판에 접수한 날짜 (SMS의 '0월 0일')")
    driver_id = c.text("기사 ID", max_length=40)
    service_type = c.choice(
        "서비스 타입(콜타입)",
        DRIVER_SERVICE_TYPES,
        "대리어드민 콜상세정보의 서비스 타입: 상담유형 4뎁스 (비우면 '콜타입')",
        default=None,
    )
    call_id = serializers.RegexField(
        r"\A[0-9]{1,20}\Z",  # ASCII digits only: \d would take "٠" and a trailing newline
        label="콜 ID",
        help_text="숫자만",
        error_messages={**c._messages("콜 ID"), "invalid": "콜 ID: 숫자만 입력해 주세요."},
    )
    inquiry_kind = c.choice(
        "접수 내용 구분",
        INQUIRY_KINDS,
        "미운행건 결제취소 외 요청이면 '접수유형 외 다른 문의'",
        default="nonride_cancel",
    )
    other_inquiry_summary = c.text(
        "실제 문의 내용",
        "접수유형 외 다른 문의일 때 처리내용의 'ㄴ OOO 문의'",
        default="",
        max_length=200,
    )
    other_type_depth2 = c.text(
        "상담유형 2뎁스",
        "접수유형 외 다른 문의: 문의에 적절한 2뎁스 (기본 요금/포인트)",
        default="요금/포인트",
        max_length=40,
    )
    other_type_depth3 = c.text(
        "상담유형 3뎁스",
        "접수유형 외 다른 문의: 문의에 적절한 3뎁스 (기본 결제취소)",
        default="결제취소",
        max_length=40,
    )
    already_cancelled = c.boolean("고객센터 기처리 여부", "고객센터에서 이미 결제를 취소한 건인지")
    cancelled_on = c.day("취소일자", "기처리 건의 취소일자", default=None)
    cancelled_amount = c.integer(
        "취소금액(기처리)", "기처리 건의 취소금액(원)", default=None, allow_null=True
    )
    processed_agit_link = c.text("기처리 아지트 링크", default="", max_length=300)
    has_open_duplicate = c.boolean("중복 접수 여부", "이미 처리 진행 중인 동일 문의가 있는지")
    duplicate_received_on = c.day("기존 접수일", "처리 중인 동일 문의의 접수일", default=None)
    duplicate_ref = c.text("중복접수 상담ID 또는 아지트 링크", default="", max_length=300)
    meter_distance_km = c.decimal(
        "운행거리(km)",
        "미터기 운행 상세의 운행거리, 소수점 한 자리 (예: 0.0)",
        default=None,
        allow_null=True,
        max_digits=5,
    )
    meter_minutes = c.integer(
        "운행시간(분)",
        "미터기 운행 상세의 운행시간(분). 일분 이하는 0 또는 1",
        default=None,
        allow_null=True,
        max_value=1440,
    )
    start_equals_last_point = c.boolean(
        "출발지와 마지막 지점 동일(유사)",
        "미터기 운행 상세 지도에서 출발지와 마지막 지점이 같거나 거의 같은지 (상담사 확인)",
        default=None,
        allow_null=True,
    )
    cancel_reason_recorded = c.boolean(
        "취소사유 기재 여부", "운행결과에 취소사유가 기재되어 있는지"
    )
    cancel_scheduled = c.boolean(
        "즉시 취소 불가 (취소예정)",
        "승인 건을 바로 취소하지 못할 때: 처리예정 SMS '처리중 (사유: 취소예정)'을 먼저 보냄",
    )
    fare_amount = c.integer(
        "결제(취소)금액", "승인 시 취소할 결제금액(원)", default=None, allow_null=True
    )
    called_on = c.day(
        "호출일", "고객이 대리를 호출한 날짜 (고객 SMS의 '0000년 00월 00일')", default=None
    )
    origin = c.text("출발지", "고객 SMS의 '출발지 OO'", default="", max_length=100)
    agit_link = c.text(
        "아지트 링크", "처리내용의 '-아지트 링크 :' (작성 후 기재)", default="", max_length=300
    )
    ob_unreachable = c.boolean("OB 부재", "OB 부재 등 히스토리 공유가 필요하면 아지트 작성 필수")
    special_note = c.text(
        "특이사항", "특이사항이 있으면 아지트 작성 필수", default="", max_length=500
    )

    def validate(self, attrs: dict) -> dict:
        errors = _missing_for(decide(attrs), attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


#: outcome -> (facts its texts need {field: label}, the words of the error)
NEEDS = {
    "rejected_other_inquiry": (
        {"other_inquiry_summary": "실제 문의 내용"},
        "접수유형 외 다른 문의는",
    ),
    "rejected_already_processed": (
        {"cancelled_on": "취소일자", "cancelled_amount": "취소금액(기처리)"},
        "고객센터 기처리 반려는",
    ),
    "rejected_duplicate": (
        {
            "duplicate_received_on": "기존 접수일",
            "duplicate_ref": "중복접수 상담ID 또는 아지트 링크",
        },
        "중복 접수 반려는",
    ),
    "approved": (
        {"fare_amount": "결제(취소)금액", "called_on": "호출일", "origin": "출발지"},
        "승인(결제취소)과 고객 SMS에",
    ),
}


def _missing_for(outcome: str, facts: dict) -> dict[str, str]:
    """{field: Korean message} for the facts ``outcome``'s texts need and ``facts`` lack."""
    needs = NEEDS.get(outcome)
    return c.required_when(facts, *needs) if needs else {}


FACTS = Facts


def decide(facts: dict) -> str:
    if facts.get("inquiry_kind", "nonride_cancel") == "other":
        return "rejected_other_inquiry"
    if facts.get("already_cancelled"):
        return "rejected_already_processed"
    if facts.get("has_open_duplicate"):
        return "rejected_duplicate"
    return _meter_decision(facts)[0]


def _meter_decision(facts: dict) -> tuple[str, str]:
    """(outcome, why) from the meter detail alone."""
    distance = facts.get("meter_distance_km")
    minutes = facts.get("meter_minutes")
    same = facts.get("start_equals_last_point")
    if distance is None:
        return "needs_review", "미터기 운행 상세(운행거리) 미확인"
    if facts.get("cancel_reason_recorded"):
        return "needs_review", "운행결과에 취소사유가 기재되어 있음: 가이드에 없는 경우"
    if distance == ZERO:
        if same is None:
            return "needs_review", "운행거리 0.0km이나 출발지와 마지막 지점 동일(유사) 여부 미확인"
        if not same:
            return (
                "needs_review",
                "운행거리 0.0km이나 출발지와 마지막 지점이 다름: 가이드에 없는 경우",
            )
        if minutes is None:
            return "needs_review", "운행거리 0.0km, 출발지·마지막 지점 동일이나 운행시간 미확인"
        if minutes <= 1:
            return "approved", "운행거리 0.0km(일분 이하), 출발지와 마지막 지점 동일(유사)"
        return "approved", f"운행거리 0.0km({minutes}분), 출발지와 마지막 지점 동일(유사)"
    if minutes is None or minutes == 0:
        return (
            "needs_review",
            f"운행거리 {distance}km 기록, 운행시간 없음/미확인: 가이드에 없는 경우",
        )
    return (
        "rejected_ride_recorded",
        f"운행거리 {distance}km · 운행시간 {minutes}분 기록, 취소사유 기재 X",
    )


def _distance_line(facts: dict) -> str:
    distance = facts.get("meter_distance_km")
    minutes = facts.get("meter_minutes")
    km = f"{distance} km" if distance is not None else "미확인"
    time = f"{minutes}분" if minutes is not None else "미확인"
    return f"ㄴ운행거리: {km} ({time})"


def _notes(outcome: str, facts: dict) -> str:
    head = f"-기사 ID: {facts['driver_id']}"
    if outcome in ("approved", "rejected_ride_recorded", "needs_review"):
        lines = [head, "-진행내용:", _distance_line(facts)]
        if outcome == "needs_review":
            lines.append(f"ㄴ검토 사유: {_meter_decision(facts)[1]}")
        lines.append(f"-아지트 링크 : {facts.get('agit_link', '')}".rstrip())
        return "\n".join(lines)
    if outcome == "rejected_already_processed":
        link = facts.get("processed_agit_link") or ""
        return f"{head}\n-처리불가 사유: 고객센터 취소처리\nㄴ아지트 링크: {link}".rstrip()
    if outcome == "rejected_other_inquiry":
        return f"{head}\n-처리불가 사유: 미이용 결제취소 외 요청\nㄴ {facts['other_inquiry_summary']} 문의"
    return f"{head}\n-처리불가 사유: 중복 접수\nㄴ{facts['duplicate_ref']}"


def _meter_step(facts: dict) -> Step:
    distance = facts.get("meter_distance_km")
    minutes = facts.get("meter_minutes")
    same = facts.get("start_equals_last_point")
    same_words = {True: "동일(유사)", False: "다름", None: "미확인"}[same]
    remark = ""
    if distance == ZERO and minutes is not None:
        remark = (
            " / 비고: 운행시간 짧음,운행거리 짧음" if minutes <= 1 else " / 비고: 운행거리 짧음"
        )
    km = f"{distance}km" if distance is not None else "미확인"
    time = ("일분 이하" if minutes <= 1 else f"{minutes}분") if minutes is not None else "미확인"
    return Step(
        "check_meter",
        "대리어드민 - 콜상세정보 - 운행결과 확인 - 미터기 운행 상세 확인",
        ALL,
        f"운행거리: {km}({time}){remark}\nㄴ미터기 운행 상세 확인: 출발지와 마지막 지점 {same_words}",
        kind="check",
    )


def _agit(outcome: str, facts: dict, why: str, rules: CenterRules) -> EscalationSpec | None:
    history = facts.get("ob_unreachable") or facts.get("special_note")
    if outcome != "approved" and not history:
        return None
    lines = [
        f"[챗보드] 기사_미운행건 결제취소 - {TITLES[outcome]}",
        f"-기사 ID: {facts['driver_id']}",
        f"-콜 ID: {facts['call_id']}",
        f"-접수일: {c.ymd(facts['received_on'])}",
        _distance_line(facts),
        f"-처리: {why}",
    ]
    if outcome == "approved":
        lines.append(f"-취소금액: {c.won(facts['fare_amount'])}")
    if facts.get("ob_unreachable"):
        lines.append("-OB 부재")
    if facts.get("special_note"):
        lines.append(f"-특이사항: {facts['special_note']}")
    # The seed names the template for the approval post only; a history post (OB 부재,
    # 특이사항) goes to the same board and the agent picks the template.
    template = rules.agit_nonride_template if outcome == "approved" else ""
    return EscalationSpec(board=rules.agit_nonride_board, template=template, body="\n".join(lines))


def _messages(outcome: str, facts: dict) -> tuple[MessageSpec, ...]:
    received = facts["received_on"]
    if outcome == "approved":
        scheduled = ()
        if facts.get("cancel_scheduled"):
            scheduled = (
                MessageSpec(
                    TPL_CANCEL_SCHEDULED,
                    "driver",
                    {"received_on": received},
                    step="send_scheduled_sms",
                ),
            )
        return (
            *scheduled,
            MessageSpec(
                TPL_DRIVER_APPROVED,
                "driver",
                {"received_on": received, "amount": facts["fare_amount"]},
                step="send_sms",
            ),
            MessageSpec(
                TPL_CUSTOMER_APPROVED,
                "customer",
                {
                    "called_on": facts["called_on"],
                    "origin": facts["origin"],
                    "amount": facts["fare_amount"],
                },
                step="send_sms",
            ),
        )
    if outcome == "rejected_ride_recorded":
        return (
            MessageSpec(
                TPL_RIDE_RECORDED, "driver", {"received_on": received, "call_id": facts["call_id"]}
            ),
        )
    if outcome == "rejected_already_processed":
        return (
            MessageSpec(
                TPL_ALREADY_PROCESSED,
                "driver",
                {
                    "received_on": received,
                    "amount": facts["cancelled_amount"],
                    "cancelled_on": facts["cancelled_on"],
                },
            ),
        )
    if outcome == "rejected_other_inquiry":
        return (MessageSpec(TPL_OTHER_INQUIRY, "driver", {"received_on": received}),)
    if outcome == "rejected_duplicate":
        return (
            MessageSpec(
                TPL_DUPLICATE,
                "driver",
                {"received_on": received, "earlier_received_on": facts["duplicate_received_on"]},
            ),
        )
    return ()


def _reason(outcome: str, facts: dict) -> str:
    if outcome == "rejected_other_inquiry":
        return f"접수유형 외 다른 문의: {facts['other_inquiry_summary']} 문의"
    if outcome == "rejected_already_processed":
        return f"고객센터 기처리: {c.ymd(facts['cancelled_on'])} {c.won(facts['cancelled_amount'])} 취소 완료"
    if outcome == "rejected_duplicate":
        return f"중복 접수: {c.md(facts['duplicate_received_on'])} 접수 건 처리 중 ({facts['duplicate_ref']})"
    return _meter_decision(facts)[1]


def propose(facts: dict, at: datetime, env: Env) -> Proposal:
    outcome = decide(facts)
    return _proposal(outcome, facts, _reason(outcome, facts), center_rules(env, at))


def propose_outcome(facts: dict, outcome: str, at: datetime, env: Env) -> Proposal:
    """The proposal for ``outcome`` chosen by a lead (an override): the outcome's own steps,
    SMS, billing memo, record and Agit post, built as :func:`propose` builds them.

    Refused (PlaybookError, naming the facts) when the outcome's texts need a fact the case
    lacks: the approval SMS names 취소금액, 호출일 and 출발지, a 기처리 반려 its 취소일자...
    For the meter outcomes chosen against the meter rule, the reason says so and keeps what
    the meter showed.
    """
    if outcome not in RESULT_TYPE:
        c.refuse_override(OUTCOMES.get(outcome, outcome), "이 결과의 문자와 상담이력이 없습니다.")
    c.refuse_override(OUTCOMES[outcome], _missing_for(outcome, facts))
    natural = decide(facts)
    reason = _reason(outcome, facts)
    if outcome != natural and outcome in ("approved", "rejected_ride_recorded"):
        reason = f"{OUTCOMES[outcome]} (검토 결정) · 자동 판단: {_reason(natural, facts)}"
    return _proposal(outcome, facts, reason, center_rules(env, at))


def _proposal(outcome: str, facts: dict, reason: str, rules: CenterRules) -> Proposal:
    messages = _messages(outcome, facts)
    escalation = _agit(outcome, facts, reason, rules)
    billing_memo = rules.nonride_billing_memo(outcome)
    notes = _notes(outcome, facts)
    service_type = facts.get("service_type") or ""
    if outcome == "rejected_other_inquiry":
        prefix = (
            DRIVER_PAYMENT_CANCEL_PREFIX[0],
            facts.get("other_type_depth2") or DRIVER_PAYMENT_CANCEL_PREFIX[1],
            facts.get("other_type_depth3") or DRIVER_PAYMENT_CANCEL_PREFIX[2],
        )
        ctype = driver_payment_cancel(service_type, prefix)
    else:
        ctype = driver_payment_cancel(service_type)

    steps: list[Step] = []
    if outcome in ("approved", "rejected_ride_recorded", "needs_review"):
        steps.append(_meter_step(facts))
    if outcome == "approved" and facts.get("cancel_scheduled"):
        steps.append(
            Step(
                "send_scheduled_sms",
                f"[기사] 처리예정 SMS 발송: 처리중 (사유: 취소예정) ({TPL_CANCEL_SCHEDULED})",
                ALL,
                "즉시 취소하지 못한 승인 건: 취소 전에 처리예정 SMS를 보내고, 취소 후 "
                "'취소완료' SMS를 보냅니다.",
                kind="sms",
            )
        )
    if outcome == "approved":
        steps.append(
            Step(
                "cancel_payment",
                f"어드민 확인 후 결제취소 (즉시, {c.won(facts['fare_amount'])})",
                ALL,
                kind="action",
            )
        )
    if outcome == "needs_review":
        steps.append(
            Step(
                "review",
                "팀장/담당자 검토: 가이드에 없는 경우라 승인·반려를 사람이 결정",
                LEADS_AND_MANAGER,
                reason,
                kind="check",
                waits_on="team",
            )
        )
    else:
        who = "[고객/기사] '취소완료' SMS 발송" if outcome == "approved" else "[기사] 반려 SMS 발송"
        sent_here = [m.template for m in messages if m.step in ("", "send_sms")]
        steps.append(
            Step(
                "send_sms",
                f"{who} ({', '.join(sent_here)})",
                ALL,
                "🚨 (주의) SMS 선발송 후 답변내용 저장!!",
                kind="sms",
            )
        )
        answer_hint = {
            "rejected_ride_recorded": " - 이용기록을 잘못 선택한 경우일 수 있으니 반려 재인입 유도",
        }.get(outcome, "")
        steps.append(
            Step(
                "save_answer",
                "답변내용 저장 (챗봇에서 기사에게 노출되는 답변: 기사 SMS와 같은 내용)"
                + answer_hint,
                ALL,
                kind="action",
            )
        )
    if billing_memo:
        steps.append(Step("billing_memo", "빌링처리 메모 작성", ALL, billing_memo, kind="memo"))
    if escalation:
        steps.append(
            Step(
                "post_agit",
                f"아지트 작성: {escalation.board}"
                + (f" > {escalation.template}" if escalation.template else ""),
                ALL,
                escalation.body,
                kind="post",
            )
        )
    else:
        steps.append(Step("operations_memo", "운영메모에 처리내용 기재", ALL, notes, kind="memo"))
    result_label = {
        "approved": "승인",
        "rejected_ride_recorded": "반려 (처리불가)",
        "rejected_already_processed": "반려 (기처리 완료)",
        "rejected_other_inquiry": "반려 (기타: 접수유형 외 다른 문의)",
        "rejected_duplicate": "반려 (중복 접수)",
    }.get(outcome)
    steps.append(
        Step(
            "save_record",
            "상담이력 저장" + (f" (처리결과: {result_label})" if result_label else ""),
            ALL,
            kind="memo",
        )
    )

    return Proposal(
        playbook=CODE,
        version=VERSION,
        outcome=outcome,
        reason=reason,
        consultation_type=ctype,
        steps=tuple(steps),
        messages=messages,
        record=ConsultationRecord(title=TITLES[outcome], inquiry=INQUIRY, notes=notes),
        result_type=RESULT_TYPE.get(outcome),
        billing_memo=billing_memo,
        operations_memo="" if escalation else notes,
        escalation=escalation,
        figures={
            "meter_distance_km": facts.get("meter_distance_km"),
            "meter_minutes": facts.get("meter_minutes"),
            "cancel_amount": facts.get("fare_amount")
            if outcome == "approved"
            else facts.get("cancelled_amount"),
        },
    )
