"""The traffic_fine playbook, pure: every category x kind path, the decision order, the steps in
the seed's order with their roles, the messages, the Agit posts and the bad-input errors."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cases.consultation_types import TRAFFIC_FINE
from cases.playbooks import PLAYBOOKS, evaluate, traffic_fine
from cases.playbooks.base import MANAGER, StaticEnv
from fines import codes

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 6, 17, 10, 0, tzinfo=SEOUL)
BASE = {
    "call_id": "700001",
    "has_notice_image": True,
    "bank": "088",
    "account_number": "110-000-123456",
    "account_holder": "홍길동",
    "violation_at": "2024-06-15T22:20:00+09:00",
    "violation_place": "서울 강남구 테헤란로",
    "notice_issued_on": "2024-06-20",
    "amount": 40000,
    "evidence_result": "pass",
}


def propose(at=AT, **overrides):
    return evaluate("traffic_fine", {**BASE, **overrides}, at, StaticEnv())


def codes_of(proposal):
    return [s.code for s in proposal.steps]


def test_registered_in_the_registry():
    assert PLAYBOOKS["traffic_fine"] is traffic_fine
    assert traffic_fine.CODE == "traffic_fine" and traffic_fine.VERSION
    assert set(traffic_fine.OUTCOMES) == {
        "payout",
        "transfer_to_manager",
        "rejected_duplicate",
        "rejected_evidence_mismatch",
        "request_documents",
    }


def test_general_own_fine_is_paid_by_the_agent_in_the_seed_order():
    p = propose()
    assert p.outcome == "payout"
    assert p.consultation_type == TRAFFIC_FINE["general"]
    assert codes_of(p) == [
        "intake",
        "duplicate_check",
        "evidence_check",
        "agit_post",
        "ledger_check",
        "payout_create",
        "sms_deposit_scheduled",
        "sms_points_deduction",
        "agit_history",
    ]
    assert all("agent" in s.roles for s in p.steps)
    assert [(m.template, m.audience) for m in p.messages] == [
        ("대리_챗봇게시판_과태료_입금예정", "customer"),
        ("대리기사_챗봇게시판_과태료_포인트차감예정", "driver"),
    ]
    assert p.messages[0].context == {
        "received_on": date(2024, 6, 17),
        "amount": 40000,
        "payout_on": date(2024, 6, 17),
    }
    assert p.messages[1].context == {"call_id": "700001", "amount": 40000}
    assert (p.escalation.board, p.escalation.template) == ("[운영] 대리CS대응", "일반_과태료")
    assert p.figures["scheduled_payout_at"] == "2024-06-17T14:00:00+09:00"
    assert p.result_type == "approved"
    assert "110000123456" not in p.escalation.body and "3456" in p.escalation.body


@pytest.mark.parametrize(
    ("hh", "mm", "paid_on"), [(13, 59, 17), (14, 0, 18), (14, 1, 18), (0, 0, 17)]
)
def test_payout_day_follows_the_cutoff(hh, mm, paid_on):
    p = propose(at=datetime(2024, 6, 17, hh, mm, tzinfo=SEOUL))
    assert p.figures["scheduled_payout_at"] == f"2024-06-{paid_on}T14:00:00+09:00"
    assert p.messages[0].context["payout_on"] == date(2024, 6, paid_on)


def test_consigned_fine_agent_pays_then_manager_claims_from_the_partner():
    p = propose(call_type="consigned")
    assert p.outcome == "payout"
    assert p.consultation_type == TRAFFIC_FINE["consigned"]
    assert codes_of(p) == [
        "intake",
        "duplicate_check",
        "evidence_check",
        "ledger_check",
        "payout_create",
        "sms_deposit_scheduled",
        "agit_post",
        "agit_cmnp",
        "partner_deposit_request",
    ]
    claim = p.steps[-1]
    assert claim.roles == MANAGER
    assert "과태료(수도) 신한은행 000-000-000000 (placeholder)" in claim.script
    assert "★반드시 기사명으로 입금하도록 요청" in claim.script
    # The partner's driver pays the branch: no point deduction SMS to a consigned driver.
    assert [m.audience for m in p.messages] == ["customer"]
    assert p.figures["charge_driver"] is False
    assert p.escalation.template == "위탁콜_과태료"
    (cmnp,) = p.figures["extra_escalations"]
    assert cmnp["board"] == "[운영] 대리 카모-CMNP CS운영"
    assert cmnp["template"] == "[KM > CMNP] 위탁콜 과태료 양식"


SPECIAL_KINDS = sorted(codes.SPECIAL_KINDS - {codes.GOOD_MILEAGE})


@pytest.mark.parametrize("kind", SPECIAL_KINDS)
@pytest.mark.parametrize("call_type", ["own", "consigned"])
def test_special_issue_fines_go_to_the_manager(kind, call_type):
    p = propose(violation_kind=kind, call_type=call_type)
    assert p.outcome == "transfer_to_manager"
    assert p.consultation_type == TRAFFIC_FINE["special"]
    assert p.escalation.template == "특이이슈_과태료"
    assert [(m.template, m.audience) for m in p.messages] == [
        ("대리_챗봇게시판_과태료_담당부서전달_시간소요양해", "customer")
    ]
    steps = codes_of(p)
    # Agent: intake .. Agit transfer .. SMS; then the manager's part.
    assert (
        steps.index("agit_post") < steps.index("sms_transfer_delay") < steps.index("ledger_check")
    )
    for step in p.steps[steps.index("ledger_check") :]:
        assert step.roles == MANAGER, step.code
    assert ("agit_cmnp" in steps) is (call_type == "consigned")


@pytest.mark.parametrize("call_type", ["own", "consigned"])
def test_penalty_notice_goes_to_the_manager_with_consent_first(call_type):
    p = propose(notice_type="penalty", call_type=call_type, car_number="12가3456")
    assert p.outcome == "transfer_to_manager"
    assert p.consultation_type == TRAFFIC_FINE["penalty"]
    steps = codes_of(p)
    assert steps[steps.index("sms_transfer_delay") + 1 :][:5] == [
        "penalty_consent",
        "penalty_driver_ob",
        "penalty_mms",
        "agit_history",
        "sms_done",
    ]
    assert "payout_create" not in steps
    consent = p.steps[steps.index("penalty_consent")]
    assert consent.roles == MANAGER and "개인정보수집동의" in consent.label
    assert "고객 차량번호 엑셀파일" in p.steps[steps.index("agit_post")].label
    assert "12가3456" in p.escalation.body


def test_good_mileage_is_a_penalty_notice():
    p = propose(violation_kind="good_mileage")  # notice_type left as "fine"
    assert p.outcome == "transfer_to_manager"
    assert p.consultation_type == TRAFFIC_FINE["penalty"]


def test_parking_dispute_adds_the_dashcam_process_with_a_due_date():
    p = propose(violation_kind="parking_enforcement", driver_disputes=True, amount=40001)
    assert p.outcome == "transfer_to_manager"
    steps = codes_of(p)
    assert steps.index("dispute_driver_ob") < steps.index("dispute_dashcam_request")
    dashcam = p.steps[steps.index("dispute_dashcam_request")]
    assert dashcam.due_rule == "days:14" and dashcam.waits_on == "customer"
    assert p.figures["dashcam_due_on"] == "2024-07-01"
    assert p.figures["cash_driver_share"] == 20000
    assert p.figures["cash_company_share"] == 20001


def test_duplicate_comes_first_and_points_to_the_first_case():
    p = propose(duplicate_of_case_id=41, has_notice_image=False)
    assert p.outcome == "rejected_duplicate"
    assert "#41" in p.reason
    assert p.result_type == "rejected_duplicate"
    assert p.messages == () and p.escalation is None
    assert p.figures["duplicate_of_case_id"] == 41
    ledger = propose(earlier_payout_id=7)
    assert ledger.outcome == "rejected_duplicate" and "지급 건 #7" in ledger.reason


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"has_notice_image": False}, "고지서"),
        ({"account_number": "", "bank": ""}, "계좌"),
        ({"account_holder": ""}, "계좌"),
        ({"notice_type": "penalty", "has_notice_image": False}, "고지서"),
    ],
)
def test_missing_notice_or_account_requests_documents(overrides, missing):
    if overrides.get("has_notice_image") is False:
        overrides = {**overrides, "amount": None}
    p = propose(**overrides)
    assert p.outcome == "request_documents"
    assert missing in p.reason
    assert missing in p.figures["answer"]
    assert p.messages == ()


def test_explicit_has_account_flag_is_honoured():
    p = propose(account_number="", bank="", account_holder="", has_account=True)
    assert p.outcome == "payout"


def test_evidence_fail_is_a_special_issue_the_manager_rejects_or_accepts():
    """Seed 004 ② "예시) 장소, 시간 불일치 건 / ...": a mismatch is transferred, the agent never
    rejects it; only the manager's finding (evidence_rejected) gives the rejection."""
    p = propose(evidence_result="fail", evidence_reason="위반일시가 운행 시간과 맞지 않습니다.")
    assert p.outcome == "transfer_to_manager"
    assert p.consultation_type == TRAFFIC_FINE["special"]
    review = next(s for s in p.steps if s.code == "manager_evidence_review")
    assert review.roles == MANAGER and review.waits_on == "team"
    rejected = propose(evidence_result="fail", evidence_rejected=True)
    assert rejected.outcome == "rejected_evidence_mismatch"
    assert rejected.result_type == "rejected_unable"
    overridden = propose(evidence_result="fail", evidence_override=True)
    assert overridden.outcome == "transfer_to_manager"
    assert overridden.consultation_type == TRAFFIC_FINE["special"]
    assert "manager_evidence_review" not in [s.code for s in overridden.steps]


def test_evidence_unknown_does_not_reject_but_asks_for_a_manual_check():
    p = propose(evidence_result="unknown")
    assert p.outcome == "payout"
    assert "evidence_manual" in codes_of(p)
    assert "evidence_manual" not in codes_of(propose())


def test_stored_facts_never_hold_the_plain_account_number():
    serializer = traffic_fine.FACTS(data=BASE)
    assert serializer.is_valid(), serializer.errors
    stored = serializer.data
    assert "account_number" not in stored
    assert stored["account_masked"] == "신한은행 ********3456"
    assert stored["has_account"] is True
    # The stored facts decide the same way when read back.
    again = traffic_fine.FACTS(data=dict(stored))
    assert again.is_valid(), again.errors
    assert traffic_fine.propose(again.validated_data, AT).outcome == "payout"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"account_number": "110-abc-123456"}, "account_number", "숫자"),
        ({"account_number": "1234567"}, "account_number", "자리"),
        ({"amount": 0}, "amount", "0원보다 커야"),
        ({"amount": -5000}, "amount", "0원보다 커야"),
        (
            {"violation_at": "2024-06-21T09:00:00+09:00"},
            "violation_at",
            "고지일보다 늦을 수 없습니다",
        ),
        ({"call_id": "70000A"}, "call_id", "숫자"),
        ({"violation_kind": "speeding"}, "violation_kind", "선택할 수 없는"),
        ({"account_number": "110000123456", "bank": ""}, "bank", "은행"),
        ({"amount": None}, "amount", "필수"),
    ],
)
def test_bad_input_gives_a_korean_error(overrides, field, message):
    serializer = traffic_fine.FACTS(data={**BASE, **overrides})
    assert not serializer.is_valid()
    assert message in " ".join(str(e) for e in serializer.errors[field])


def test_masked_account_survives_revalidation_of_stored_facts():
    first = traffic_fine.FACTS(data=BASE)
    assert first.is_valid()
    again = traffic_fine.FACTS(data=dict(first.data))
    assert again.is_valid()
    assert again.data["account_masked"] == "신한은행 ********3456"
    p = traffic_fine.propose(again.validated_data, AT)
    assert "********3456" in p.escalation.body
