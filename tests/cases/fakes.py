"""A small fake playbook for the cases core tests: the services are tested against the
contract (cases/playbooks/base.py), not against one seed's wording.

This module *is* the playbook (CODE, VERSION, FACTS, OUTCOMES, propose). It poses as
``traffic_fine`` (a driver-service playbook keyed by call ID) so that the case's choices
validation holds; the fixture swaps it into the registry for one test only.
"""

from __future__ import annotations

from rest_framework import serializers

from cases.consultation_types import DRIVER_PAYMENT_CANCEL
from cases.playbooks.base import (
    ALL,
    LEADS,
    ConsultationRecord,
    EscalationSpec,
    MessageSpec,
    Proposal,
    RouteInfo,
    Step,
)
from templates_app.definitions import TemplateDef

CODE = "traffic_fine"
VERSION = "fake-1"

TPL_CUSTOMER = "테스트_고객_처리완료"
TPL_DRIVER = "테스트_기사_처리완료"
TPL_DRIVER_REJECT = "테스트_기사_반려"

TEMPLATES = (
    TemplateDef(
        name=TPL_CUSTOMER,
        audience="customer",
        service="driver",
        body="안녕하세요. {{ day }} 접수 건의 {{ amount }} 처리가 완료되었어요.",
        variables={"day": "date_md", "amount": "amount"},
        source="tests",
    ),
    TemplateDef(
        name=TPL_DRIVER,
        audience="driver",
        service="driver",
        body="기사님, 콜 {{ call_id }} 건이 처리되었어요.",
        variables={"call_id": "call_id"},
        source="tests",
    ),
    TemplateDef(
        name=TPL_DRIVER_REJECT,
        audience="driver",
        service="driver",
        body="기사님, 콜 {{ call_id }} 건은 처리할 수 없어요.",
        variables={"call_id": "call_id"},
        source="tests",
    ),
)


class Facts(serializers.Serializer):
    call_id = serializers.RegexField(
        r"^\d{1,20}$", label="콜 ID", error_messages={"invalid": "콜 ID: 숫자만 입력해 주세요."}
    )
    decision = serializers.ChoiceField(
        choices=[
            "approve",
            "reject",
            "lead_only",
            "lead_route",
            "manager_step",
            "review",
            "auto_sms",
        ],
        label="판단",
    )
    amount = serializers.IntegerField(label="금액", min_value=0, default=12300)
    received_on = serializers.DateField(label="접수일")


def propose(facts, at, env) -> Proposal:
    decision = facts["decision"]
    base = {
        "playbook": CODE,
        "version": VERSION,
        "consultation_type": DRIVER_PAYMENT_CANCEL,
        "record": ConsultationRecord(
            title="처리완료" if decision == "approve" else "반려",
            inquiry="테스트 문의",
            notes=f"-콜 ID: {facts['call_id']}",
        ),
    }
    if decision == "approve":
        return Proposal(
            **base,
            outcome="approved",
            reason="조건 충족",
            result_type="approved",
            steps=(
                Step("cancel_payment", "결제취소", ALL, kind="action"),
                Step("send_sms", "SMS 발송", ALL, kind="sms"),
                Step("save_answer", "답변내용 저장", ALL, kind="action"),
                Step("post_agit", "아지트 작성", ALL, kind="post"),
            ),
            messages=(
                MessageSpec(
                    TPL_CUSTOMER,
                    "customer",
                    {"day": facts["received_on"], "amount": facts["amount"]},
                ),
                MessageSpec(TPL_DRIVER, "driver", {"call_id": facts["call_id"]}),
            ),
            billing_memo="챗보드 IN / 테스트 / 고객 SMS",
            escalation=EscalationSpec(
                board="[운영] 대리 CS 대응", template="테스트", body="승인 건"
            ),
        )
    if decision == "reject":
        return Proposal(
            **base,
            outcome="rejected_ride_recorded",
            reason="운행 기록 있음",
            result_type="rejected_unable",
            steps=(
                Step("send_sms", "SMS 발송", ALL, kind="sms"),
                Step("save_answer", "답변내용 저장", ALL, kind="action"),
                Step("operations_memo", "운영메모", ALL, kind="memo"),
            ),
            messages=(MessageSpec(TPL_DRIVER_REJECT, "driver", {"call_id": facts["call_id"]}),),
            operations_memo="반려: 운행 기록 있음",
        )
    if decision == "lead_only":
        return Proposal(
            **base,
            outcome="approved",
            reason="팀장 처리 건",
            steps=(Step("admin_change", "어드민 직접 변경", LEADS, kind="action"),),
        )
    if decision == "lead_route":
        return Proposal(
            **base,
            outcome="approved",
            reason="팀장 경로",
            route=RouteInfo(
                route_id=1,
                channel_kind="email",
                channel_target="ops@partner.example",
                recipients_to=("ops@partner.example",),
                recipients_cc=(),
                procedure="메일 발송",
                allowed_roles=LEADS,
            ),
        )
    if decision == "manager_step":
        return Proposal(
            **base,
            outcome="approved",
            reason="담당자 이관",
            steps=(
                Step("transfer", "담당자 이관", ALL, kind="action"),
                Step("manager_review", "담당자 처리", frozenset({"manager"}), kind="action"),
            ),
        )
    if decision == "auto_sms":
        # An automatic SMS step: it sends by itself once the step before it is settled.
        return Proposal(
            **base,
            outcome="approved",
            reason="자동 문자",
            steps=(
                Step("pay", "지급 건 생성", ALL, kind="payout"),
                Step("sms_auto", "입금 예정 SMS", ALL, kind="sms", auto=True),
                Step("save_record", "상담이력 저장", ALL, kind="memo"),
            ),
            messages=(
                MessageSpec(
                    TPL_CUSTOMER,
                    "customer",
                    {"day": facts["received_on"], "amount": facts["amount"]},
                    step="sms_auto",
                ),
            ),
        )
    return Proposal(**base, outcome="needs_review", reason="가이드에 없음")


FACTS = Facts
OUTCOMES = ("approved", "rejected_ride_recorded", "rejected_duplicate", "needs_review")


def facts(decision="approve", call_id="900001", **extra):
    return {"call_id": call_id, "decision": decision, "received_on": "2024-12-02", **extra}
