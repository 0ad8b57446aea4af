"""A fake playbook whose steps cover every kind of time promise (tests of the clocks only).

It poses as ``traffic_fine`` (keyed by call ID), like tests/cases/fakes.py, and is swapped into
the registry for one test at a time.
"""

from __future__ import annotations

from rest_framework import serializers

from cases.consultation_types import DRIVER_PAYMENT_CANCEL
from cases.playbooks.base import ALL, MANAGER, ConsultationRecord, Proposal, Step

CODE = "traffic_fine"
VERSION = "clock-fake-1"

STEPS = (
    Step("check", "확인", ALL, kind="check"),  # waits on nobody: no clock
    Step("ask_team", "담당부서 확인 요청", ALL, kind="post", waits_on="team"),
    Step(
        "ask_partner",
        "운영사 메일 발송",
        ALL,
        kind="action",
        waits_on="partner",
        due_rule="next_business_day",
    ),
    Step("dashcam", "블랙박스 요청", ALL, kind="say", waits_on="customer", due_rule="days:14"),
    Step(
        "payout",
        "지급 건 생성",
        ALL,
        kind="payout",
        waits_on="payout_batch",
        due_rule="payout_batch",
    ),
    Step("refund_window", "카드사 환불", ALL, kind="check", due_rule="business_days:5"),
    Step(
        "manager_check", "담당자 확인", MANAGER, kind="check", waits_on="team", due_rule="hours:4"
    ),
)


class Facts(serializers.Serializer):
    call_id = serializers.RegexField(r"^\d{1,20}$", label="콜 ID")
    partner = serializers.CharField(label="운영사", required=False, allow_blank=True, default="")
    cpo_name = serializers.CharField(label="CPO", required=False, allow_blank=True, default="")


FACTS = Facts


def propose(facts, at, env) -> Proposal:
    return Proposal(
        playbook=CODE,
        version=VERSION,
        outcome="payout",
        reason="테스트",
        consultation_type=DRIVER_PAYMENT_CANCEL,
        steps=STEPS,
        record=ConsultationRecord(title="테스트", inquiry="테스트 문의", notes="-"),
    )
