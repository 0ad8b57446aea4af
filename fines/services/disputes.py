"""Disputed parking fines (주정차 위반 과태료 기사 미인정 시 처리 프로세스, 2024.6.12)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from cases.exceptions import FactsInvalid
from cases.playbooks import traffic_fine
from fines import codes
from fines.models import DisputeResolution, FineNotice, ParkingDispute
from fines.schedule import SEOUL
from rules.selectors import center_rules

from ._common import FineError, audited_save, now_or, require


def _manage(actor) -> None:
    require(actor, "fines.finenotice.manage", message="담당자(관리자)만 할 수 있는 처리입니다.")


def _locked(dispute: ParkingDispute) -> ParkingDispute:
    return (
        ParkingDispute.objects.select_for_update(of=("self",))
        .select_related("notice__case")
        .get(pk=dispute.pk)
    )


@transaction.atomic
def dispute_open(
    *,
    notice: FineNotice,
    actor,
    driver_claim: str,
    arrival_matches_violation: bool | None = None,
    at=None,
) -> ParkingDispute:
    """The driver denies the parking fine; the driver was told it is theirs (공지 961번)."""
    _manage(actor)
    if notice.violation_kind not in codes.PARKING_KINDS:
        raise FineError("주정차 위반 과태료에만 기사 미인정 절차를 진행할 수 있습니다.")
    if not (driver_claim or "").strip():
        raise FactsInvalid({"driver_claim": ["기사 주장을 입력하세요."]})
    at = now_or(at)
    dispute = ParkingDispute(
        notice=notice,
        driver_claim=driver_claim.strip(),
        arrival_matches_violation=arrival_matches_violation,
        driver_informed_at=at,
        opened_by=actor,
    )
    audited_save(dispute, actor, reason="기사 미인정 등록")
    return dispute


@transaction.atomic
def dispute_request_dashcam(*, dispute: ParkingDispute, actor, at=None) -> ParkingDispute:
    """[고객 OB] 기사 주장 전달 + 블랙박스 요청 + 2주 정도 소요 안내: the due date is stored."""
    _manage(actor)
    at = now_or(at)
    dispute = _locked(dispute)
    if dispute.resolution != DisputeResolution.PENDING:
        raise FineError("이미 결정된 건입니다.")
    dispute.dashcam_requested_at = at
    dispute.dashcam_due_on = at.astimezone(SEOUL).date() + timedelta(
        days=center_rules(at).dashcam_wait_days  # leads' setting in force (rules app)
    )
    audited_save(dispute, actor, reason="블랙박스 요청")
    return dispute


@transaction.atomic
def dispute_resolve(*, dispute: ParkingDispute, actor, resolution: str, note: str = "", at=None):
    """Decide the dispute. Returns the payout for ``charge_driver`` / ``driver_admitted``.

    - ``driver_admitted``: the driver accepts -> the special-issue process (payout, points);
    - ``charge_driver``: the footage proves the customer -> charged to the driver (payout);
    - ``customer_bears``: the footage proves the driver -> no payout;
    - ``cash_split``: no footage -> cash to the customer, 50% driver / 50% company (the
      company pays the odd won), no bank payout: the cash request goes to Agit once confirmed.
    """
    from .payouts import payout_create

    _manage(actor)
    at = now_or(at)
    dispute = _locked(dispute)
    if dispute.resolution != DisputeResolution.PENDING:
        raise FineError("이미 결정된 건입니다.")
    if resolution not in DisputeResolution.values or resolution == DisputeResolution.PENDING:
        raise FactsInvalid({"resolution": ["결과를 선택하세요."]})
    notice = dispute.notice
    dashcam_needed = (DisputeResolution.CHARGE_DRIVER, DisputeResolution.CASH_SPLIT)
    if resolution in dashcam_needed and dispute.dashcam_requested_at is None:
        raise FineError("고객에게 블랙박스를 먼저 요청해 주세요.")
    payout = None
    if resolution == DisputeResolution.CASH_SPLIT:
        if not notice.amount:
            raise FineError("과태료 금액이 없어 현금 지급액을 계산할 수 없습니다.")
        # The split in force at the decision (rules.CenterSettings; seed: 기사 50% / 당사 50%).
        driver, company = center_rules(at).split(notice.amount)
        dispute.cash_amount = notice.amount
        dispute.driver_share = driver
        dispute.company_share = company
        dispute.driver_agreed_at = at
    elif resolution in (DisputeResolution.CHARGE_DRIVER, DisputeResolution.DRIVER_ADMITTED):
        payout = payout_create(notice=notice, actor=actor, charge_driver=True, manual=False, at=at)
    dispute.resolution = resolution
    dispute.resolved_at = at
    dispute.resolution_note = (note or "").strip()
    audited_save(dispute, actor, reason=f"기사 미인정 결정: {dispute.get_resolution_display()}")
    return payout


@transaction.atomic
def dispute_cash_documents(
    *,
    dispute: ParkingDispute,
    actor,
    id_copy_received: bool,
    account_copy_received: bool,
    chat_id: str = "",
) -> ParkingDispute:
    """신분증 사본(주민번호 모두 기재) + 동일 명의 계좌 사본 (채팅상담 ID 기재)."""
    _manage(actor)
    dispute = _locked(dispute)
    dispute.id_copy_received = id_copy_received
    dispute.account_copy_received = account_copy_received
    dispute.chat_id = (chat_id or "").strip()
    audited_save(dispute, actor, reason="현금 지급 서류 수령")
    return dispute


@transaction.atomic
def dispute_cash_confirm(*, dispute: ParkingDispute, actor) -> ParkingDispute:
    _manage(actor)
    dispute = _locked(dispute)
    if dispute.resolution != DisputeResolution.CASH_SPLIT:
        raise FineError("블랙박스 미제출(현금 지급) 건이 아닙니다.")
    dispute.cash_confirmed = True
    audited_save(dispute, actor, reason="현금 지급 확정")
    return dispute


@transaction.atomic
def dispute_cash_post(*, dispute: ParkingDispute, actor, at=None):
    """아지트 대리CS > 과태료 현금 지급 요청: only for a confirmed cash payment whose ID and
    account copies were received (seed), once."""
    from cases.services.escalations import escalation_post_create

    _manage(actor)
    at = now_or(at)
    dispute = _locked(dispute)
    missing = []
    if not dispute.cash_confirmed:
        missing.append("현금 지급 확정")
    if not dispute.id_copy_received:
        missing.append("신분증 사본")
    if not dispute.account_copy_received:
        missing.append("계좌 사본")
    if not dispute.chat_id:
        missing.append("채팅상담 ID")
    if missing:
        raise FineError(
            "현금 지급 요청 아지트는 다음이 있어야 작성할 수 있습니다: " + ", ".join(missing)
        )
    if dispute.cash_request_posted_at is not None:
        raise FineError("이미 현금 지급 요청 아지트를 작성했습니다.")
    notice = dispute.notice
    from fines.models import LIVE_STATUSES, FinePayout

    if FinePayout.objects.filter(notice=notice, status__in=LIVE_STATUSES).exists():
        # Paid (or about to be) by the bank batch: a cash request would pay the fine twice.
        raise FineError("이 과태료에는 이미 계좌 지급 건이 있어 현금 지급을 요청할 수 없습니다.")
    body = "\n".join(
        [
            f"[{traffic_fine.AGIT_CASH_TEMPLATE}] 주정차 위반 과태료 (기사 미인정, 블랙박스 미제출)",
            f"-콜ID: {notice.call_id}",
            f"-지급액: {dispute.cash_amount:,}원 (기사 {dispute.driver_share:,}원 / "
            f"당사 {dispute.company_share:,}원)",
            f"-채팅상담 ID: {dispute.chat_id} (신분증·계좌 사본 확인용)",
            "-첨부: 기사/고객 정보 파일 (댓글)",
        ]
    )
    post = escalation_post_create(
        case=notice.case,
        actor=actor,
        board=traffic_fine.AGIT_CASH_BOARD,
        template=traffic_fine.AGIT_CASH_TEMPLATE,
        body=body,
        reason="special",
        at=at,
    )
    dispute.cash_request_posted_at = at
    audited_save(dispute, actor, reason="현금 지급 요청 아지트 작성")
    return post
