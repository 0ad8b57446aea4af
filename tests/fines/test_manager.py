"""The manager's part: evidence review, special-issue payouts, 범칙금 (consent before anything
reaches the driver), the consigned-call deposit request; lead/manager-only actions enforced."""

import pytest

from cases.exceptions import ActionNotAllowed, FactsInvalid
from cases.models import ContactAttempt
from fines import services
from fines.models import FinePayout, PayoutStatus
from fines.services._common import FineError
from templates_app.models import OutboundMessage

pytestmark = pytest.mark.django_db
BUSAN = {"violation_lat": 35.1796, "violation_lng": 129.0756}


def templates(case):
    return list(
        OutboundMessage.objects.filter(object_id=case.pk)
        .order_by("pk")
        .values_list("template__name", flat=True)
    )


def test_manager_confirms_an_evidence_mismatch(intake, staff):
    result = intake(**BUSAN)
    proposal = services.notice_evidence_review(
        notice=result.notice, actor=staff.manager, accept_mismatch=False, reason="운행 경로와 다름"
    )
    assert proposal.outcome == "rejected_evidence_mismatch"
    result.case.refresh_from_db()
    assert result.case.outcome == "rejected_evidence_mismatch" and result.case.status == "decided"
    with pytest.raises(FineError, match="증빙 불일치"):
        services.payout_create(notice=result.notice, actor=staff.manager)


def test_manager_overrides_an_evidence_mismatch_then_pays(intake, staff):
    result = intake(**BUSAN)
    with pytest.raises(ActionNotAllowed):
        services.notice_evidence_review(
            notice=result.notice, actor=staff.lead, accept_mismatch=True, reason="확인"
        )
    proposal = services.notice_evidence_review(
        notice=result.notice, actor=staff.manager, accept_mismatch=True, reason="GPS 오차 확인"
    )
    assert proposal.outcome == "transfer_to_manager"
    result.notice.refresh_from_db()
    assert result.notice.evidence_override_by == staff.manager
    assert result.notice.category == "special"
    payout = services.payout_create(notice=result.notice, actor=staff.manager)
    # Made by hand: a second person approves it before the batch may pay it (four-eyes).
    assert payout.status == PayoutStatus.PENDING_APPROVAL
    payout = services.payout_approve(payout=payout, actor=staff.lead)
    assert payout.status == PayoutStatus.SCHEDULED


def test_evidence_review_needs_a_reason(intake, staff):
    result = intake(**BUSAN)
    with pytest.raises(FactsInvalid):
        services.notice_evidence_review(
            notice=result.notice, actor=staff.manager, accept_mismatch=True, reason=" "
        )


def test_special_issue_payout_is_the_managers(intake, staff):
    result = intake(violation_kind="ev_charging_zone")
    with pytest.raises(ActionNotAllowed):
        services.payout_create(notice=result.notice, actor=staff.agent)
    with pytest.raises(ActionNotAllowed):
        services.payout_create(notice=result.notice, actor=staff.lead)
    payout = services.payout_create(notice=result.notice, actor=staff.manager)
    assert payout.status == "pending_approval"
    # Nothing is promised to the customer or the driver before the approval.
    assert templates(result.case) == ["대리_챗봇게시판_과태료_담당부서전달_시간소요양해"]
    payout = services.payout_approve(payout=payout, actor=staff.deputy)
    assert payout.status == "scheduled"
    assert templates(result.case) == [
        "대리_챗봇게시판_과태료_담당부서전달_시간소요양해",
        "대리_챗봇게시판_과태료_입금예정",
        "대리기사_챗봇게시판_과태료_포인트차감예정",
    ]


def test_withdrawn_driver_fine_deducts_no_points(intake, staff):
    result = intake(violation_kind="withdrawn_driver")
    payout = services.payout_create(notice=result.notice, actor=staff.manager)
    assert payout.charge_driver is False
    assert "대리기사_챗봇게시판_과태료_포인트차감예정" not in templates(result.case)


def test_second_payout_for_the_same_fine_is_refused(intake, staff):
    result = intake()
    with pytest.raises(FineError, match="이미 지급 건"):
        services.payout_create(notice=result.notice, actor=staff.manager, idempotency_key="x-2")
    assert FinePayout.objects.count() == 1


def test_payout_with_a_bad_account_creates_nothing(intake, staff):
    result = intake(violation_kind="fire_facility")
    with pytest.raises(FactsInvalid) as info:
        services.payout_create(
            notice=result.notice, actor=staff.manager, bank="088", account_number="1111-1111-1111"
        )
    assert "같은 숫자" in " ".join(info.value.errors["account_number"])
    # The amount is never input (the service derives it from the notice).
    with pytest.raises(TypeError):
        services.payout_create(notice=result.notice, actor=staff.manager, amount=0)
    assert not FinePayout.objects.exists()


def test_bank_api_down_creates_the_payout_waiting_for_the_check(intake, staff, settings):
    settings.KMCS_ACCOUNT_VERIFIER = "fines.verifiers.HttpBankVerifier"
    settings.KMCS_BANK_VERIFY_URL = "http://127.0.0.1:9/verify"
    settings.KMCS_BANK_API_TIMEOUT = 1
    result = intake(violation_kind="eco_parking")
    payout = services.payout_create(notice=result.notice, actor=staff.manager)
    assert payout.status == PayoutStatus.PENDING_APPROVAL and payout.verified_at is None
    payout = services.payout_approve(payout=payout, actor=staff.lead)
    assert payout.status == PayoutStatus.CREATED and payout.scheduled_at is None
    assert "입금예정" not in " ".join(templates(result.case))  # no promise before the check
    settings.KMCS_ACCOUNT_VERIFIER = "fines.verifiers.FormatChecksumVerifier"
    payout = services.payout_verify_pending(payout=payout)
    assert payout.status == PayoutStatus.SCHEDULED and payout.scheduled_at is not None
    assert "대리_챗봇게시판_과태료_입금예정" in templates(result.case)


def test_penalty_nothing_reaches_the_driver_without_consent(intake, staff):
    result = intake(notice_type="penalty", car_number="12가3456")
    assert result.outcome == "transfer_to_manager" and result.payout is None
    notice = result.notice
    with pytest.raises(ActionNotAllowed):
        services.penalty_consent_record(notice=notice, actor=staff.agent, given=True)
    with pytest.raises(FineError, match="동의"):
        services.penalty_driver_notify(notice=notice, actor=staff.manager)
    services.penalty_consent_record(notice=notice, actor=staff.manager, given=False)
    with pytest.raises(FineError, match="동의"):
        services.penalty_driver_notify(notice=notice, actor=staff.manager)
    with pytest.raises(FineError, match="동의"):
        services.penalty_evidence_mms(notice=notice, actor=staff.manager)
    assert not ContactAttempt.objects.filter(case=result.case, target="driver").exists()


def test_penalty_full_flow_in_the_seed_order(intake, staff):
    result = intake(notice_type="penalty", car_number="12가3456")
    notice = result.notice
    with pytest.raises(FineError):
        services.penalty_complete(notice=notice, actor=staff.manager)
    services.penalty_consent_record(notice=notice, actor=staff.manager, given=True)
    with pytest.raises(FineError, match="기사 OB"):
        services.penalty_evidence_mms(notice=notice, actor=staff.manager)
    services.penalty_driver_notify(notice=notice, actor=staff.manager)
    services.penalty_evidence_mms(notice=notice, actor=staff.manager)
    services.penalty_complete(notice=notice, actor=staff.manager)
    notice.refresh_from_db()
    assert notice.consent_given is True and notice.consent_recorded_by == staff.manager
    assert notice.driver_police_call_at and notice.evidence_mms_at and notice.completed_at
    assert list(
        ContactAttempt.objects.filter(case=result.case)
        .order_by("pk")
        .values_list("target", flat=True)
    ) == ["customer", "driver"]
    assert templates(result.case) == [
        "대리_챗봇게시판_과태료_담당부서전달_시간소요양해",
        "대리_챗봇게시판_범칙금_처리완료",
    ]
    services.penalty_complete(notice=notice, actor=staff.manager)  # twice: one SMS
    assert len(templates(result.case)) == 2


def test_consigned_partner_claim_is_recorded_by_the_manager(intake, staff):
    result = intake(call_type="consigned")
    with pytest.raises(ActionNotAllowed):
        services.partner_claim_record(notice=result.notice, actor=staff.agent)
    notice = services.partner_claim_record(notice=result.notice, actor=staff.manager)
    assert notice.partner_claim_at is not None
    general = intake(violation_at="2024-06-15T22:30:00+09:00")
    with pytest.raises(FineError, match="위탁콜"):
        services.partner_claim_record(notice=general.notice, actor=staff.manager)


def test_cancel_is_for_leads_and_managers(intake, staff):
    result = intake()
    with pytest.raises(ActionNotAllowed):
        services.payout_cancel(payout=result.payout, actor=staff.agent, reason="고객 요청")
    payout = services.payout_cancel(payout=result.payout, actor=staff.lead, reason="고객 요청")
    assert payout.status == "cancelled"
    # A cancelled payout frees the fine for a corrected one, which a second person approves;
    # its amount is the notice's again (never typed).
    again = services.payout_create(notice=result.notice, actor=staff.agent)
    assert again.status == "pending_approval" and again.pk != payout.pk
    assert again.amount == result.notice.amount
    again = services.payout_approve(payout=again, actor=staff.lead)
    assert again.status == "scheduled"


def test_reveal_is_logged_and_for_leads_and_managers_only(intake, staff):
    from fines.models import AccountUnmaskLog

    payout = intake().payout
    for user in (staff.agent, staff.auditor):
        with pytest.raises(ActionNotAllowed):
            services.account_reveal(actor=user, reason="확인", payout=payout)
    with pytest.raises(FactsInvalid):
        services.account_reveal(actor=staff.manager, reason="", payout=payout)
    assert not AccountUnmaskLog.objects.exists()
    number = services.account_reveal(actor=staff.deputy, reason="입금 오류 확인", payout=payout)
    assert number == "110000123456"
    log = AccountUnmaskLog.objects.get()
    assert (log.actor, log.payout, log.reason) == (staff.deputy, payout, "입금 오류 확인")
