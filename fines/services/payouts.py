"""The payout ledger: create (with the account check), approve / reject (four-eyes), cancel,
reveal an account number.

The amount of a payout is never input: :func:`payout_amount_for` derives it from the notice
(or from the seed 004 cash split of a disputed parking fine). A payout made by hand, a
re-creation after a cancel, or a payout to an account other than the one the customer sent
waits in ``pending_approval`` until a second person (a lead or a manager, not its creator)
approves it (:func:`payout_approve`); the batch pays only ``scheduled`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from cases.exceptions import ActionNotAllowed, FactsInvalid
from cases.playbooks import traffic_fine
from fines import codes, crypto
from fines.accounts import AccountFormatError, check_account_format
from fines.models import (
    LIVE_STATUSES,
    AccountUnmaskLog,
    FineNotice,
    FinePayout,
    PayoutStatus,
)
from fines.schedule import PayoutPolicy, scheduled_payout_at
from fines.verifiers import VerifierUnavailable, get_verifier

from ._common import FineError, audited_save, now_or, queue_message, received_on, require

MANAGER_CATEGORIES = (codes.CAT_SPECIAL, codes.CAT_PENALTY)


def default_charge_driver(notice: FineNotice) -> bool:
    """Own-call drivers lose points; consigned calls are claimed from the partner, and a
    withdrawn driver has no points to deduct."""
    return notice.call_type == codes.OWN and notice.violation_kind != codes.WITHDRAWN_DRIVER


def _check_notice(notice: FineNotice, actor) -> None:
    if notice.category in MANAGER_CATEGORIES:
        require(
            actor,
            "fines.finenotice.manage",
            message="특이이슈 과태료·범칙금의 지급 건은 담당자(관리자)만 생성할 수 있습니다.",
        )
    if notice.duplicate_of_id is not None:
        raise FineError(
            f"중복 접수된 과태료입니다 (원건 케이스 #{notice.duplicate_of.case_id}). "
            "지급 건을 만들 수 없습니다."
        )
    if notice.evidence_result == codes.EVIDENCE_FAIL and notice.evidence_override_by_id is None:
        raise FineError("증빙 불일치 건입니다. 담당자(관리자) 승인 후에만 지급할 수 있습니다.")
    if not notice.notice_image and notice.outcome == codes.REQUEST_DOCUMENTS:
        raise FineError("고지서가 없어 지급할 수 없습니다. 서류 보완 후 다시 접수해 주세요.")
    if notice.case_id is None:
        raise FineError("케이스에 연결되지 않은 과태료는 지급할 수 없습니다.")


@dataclass(frozen=True)
class PayoutAmount:
    """What a fine pays: ``customer`` (the bank transfer and the customer's SMS) and
    ``driver`` (the points deducted from the driver, stated in the driver's SMS)."""

    customer: int
    driver: int


def payout_amount_for(notice: FineNotice) -> PayoutAmount:
    """The amount of the notice's payout, derived, never typed.

    - the notice's amount (고지서 금액), the driver charged the same;
    - a disputed parking fine decided ``cash_split`` (seed 004: 블랙박스 미제출 → 기사 50% /
      당사 50%): the customer gets the dispute's cash amount (the two shares, which add up to
      the fine by a database constraint) and the driver is charged their half only.
    """
    from fines.models import DisputeResolution, ParkingDispute

    dispute = ParkingDispute.objects.filter(notice_id=notice.pk).first()
    if dispute is not None and dispute.resolution == DisputeResolution.CASH_SPLIT:
        if not dispute.cash_amount:
            raise FineError("현금 지급액이 정해지지 않은 건입니다.")
        return PayoutAmount(customer=dispute.cash_amount, driver=dispute.driver_share or 0)
    if not notice.amount or notice.amount <= 0:
        raise FactsInvalid(
            {"amount": ["고지서 금액이 없어 지급할 수 없습니다 (0원보다 커야 합니다)."]}
        )
    return PayoutAmount(customer=notice.amount, driver=notice.amount)


def _approval_reason(*, notice, manual: bool, earlier: bool, bank, digits, holder) -> str:
    """Why this payout needs a second person; "" when it is the decision's own payout."""
    reasons = []
    if manual:
        reasons.append("수동 생성")
    if earlier:
        reasons.append("취소·실패·반려 후 재생성")
    if not notice.has_account or crypto.account_hash(digits) != notice.account_hash:
        reasons.append("접수 계좌와 다른 계좌")
    elif bank != notice.bank:
        reasons.append("접수 계좌와 다른 은행")
    if holder != (notice.account_holder or "").strip():
        reasons.append("접수 예금주와 다른 예금주")
    return ", ".join(reasons)


def _account(notice, bank, account_number, holder) -> tuple[str, str, str]:
    bank = bank or notice.bank
    holder = (holder or notice.account_holder or "").strip()
    if account_number:
        try:
            digits = check_account_format(bank=bank, number=account_number)
        except AccountFormatError as exc:
            raise FactsInvalid({"account_number": [str(exc)]}) from exc
    elif notice.has_account:
        digits = notice.account.reveal()  # the system's own use: not a person seeing it
    else:
        raise FactsInvalid({"account_number": ["고객 계좌번호가 없습니다."]})
    if not holder:
        raise FactsInvalid({"holder": ["예금주를 입력하세요."]})
    return bank, digits, holder


@transaction.atomic
def payout_create(
    *,
    notice: FineNotice,
    actor,
    bank: str | None = None,
    account_number: str | None = None,
    holder: str | None = None,
    charge_driver: bool | None = None,
    idempotency_key: str | None = None,
    manual: bool = True,
    at=None,
) -> FinePayout:
    """신규 지급 건 생성: call ID, account, holder -> account check -> scheduled (or 승인 대기).

    - The amount is :func:`payout_amount_for` the notice: there is no amount argument.
    - ``manual`` (the default: a person creating it in the admin) and any re-creation or other
      account/holder than the notice's -> ``pending_approval`` (no SMS, not in any batch) until
      :func:`payout_approve`. The decision's own payout (``manual=False``, the notice's account,
      the first payout of the notice) is scheduled at once.

    - The same ``idempotency_key`` again returns the payout it created.
    - A live payout for the notice (or for the same call ID and violation time) -> FineError
      naming it; two agents at once: the partial unique constraints let one win.
    - The account check refuses (FactsInvalid, Korean) and nothing is created; when the
      verifier cannot answer (bank API down) the payout is created as ``created`` and
      :func:`payout_verify_pending` schedules it once the bank answers.
    - On creation: [고객] 입금 예정 SMS, then [기사] 포인트 차감 예정 SMS (with the call ID) when
      the driver is charged; on payment the batch sends 처리완료.
    """
    require(actor, "fines.finepayout.add", message="지급 건을 생성할 권한이 없습니다.")
    at = now_or(at)
    notice = (
        FineNotice.objects.select_for_update(of=("self",))
        .select_related("case", "duplicate_of")
        .get(pk=notice.pk)
    )
    key = idempotency_key or f"fine:{notice.pk}:payout"
    existing = FinePayout.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.status in LIVE_STATUSES:
        return existing
    earlier = FinePayout.objects.filter(notice=notice).count()
    if existing is not None:
        # The default key's payout was cancelled or failed: a new one needs a new key.
        key = f"{key}:{earlier + 1}"
    _check_notice(notice, actor)
    live = FinePayout.objects.filter(notice=notice, status__in=LIVE_STATUSES).first()
    if live is not None:
        raise FineError(f"이미 지급 건이 있습니다 (지급 #{live.pk}, {live.get_status_display()}).")
    _check_cash_not_posted(notice)
    amount = payout_amount_for(notice).customer
    bank, digits, holder = _account(notice, bank, account_number, holder)
    charge = default_charge_driver(notice) if charge_driver is None else charge_driver
    approval = _approval_reason(
        notice=notice, manual=manual, earlier=bool(earlier), bank=bank, digits=digits, holder=holder
    )

    payout = FinePayout(
        notice=notice,
        call_id=notice.call_id,
        violation_at=notice.violation_at,
        amount=amount,
        bank=bank,
        account=digits,
        account_hash=crypto.account_hash(digits),
        account_last4=digits[-4:],
        account_length=len(digits),
        holder=holder,
        charge_driver=charge,
        idempotency_key=key,
        created_by=actor,
        created_at=at,
        approval_reason=approval,
    )
    try:
        verdict = get_verifier().verify(bank=bank, number=digits, holder=holder)
    except VerifierUnavailable as exc:
        payout.status = PayoutStatus.CREATED
        payout.verification_error = str(exc)[:200]
    else:
        if not verdict.ok:
            raise FactsInvalid({"account_number": [f"계좌 유효성 체크 실패: {verdict.reason}"]})
        payout.status = PayoutStatus.SCHEDULED
        payout.verified_by = verdict.verifier
        payout.verified_at = at
        payout.scheduled_at = scheduled_payout_at(at, PayoutPolicy.from_settings(at))
    if approval:
        # Nothing is promised and nothing is due before the second person approves.
        payout.status = PayoutStatus.PENDING_APPROVAL
        payout.scheduled_at = None

    if payout.status == PayoutStatus.CREATED:
        # Ask the bank again later; the daily batch also sweeps what is still unchecked. A dead
        # broker only delays that (logged), never fails the committed request (issue 12).
        from kmcs_site.broker import call_after_commit

        call_after_commit(lambda: _enqueue_verify(payout.pk))  # pk: read after the save below
    # SMS first, then the ledger row (one transaction: both or neither).
    if payout.status == PayoutStatus.SCHEDULED:
        _queue_creation_messages(payout, notice, actor)
    try:
        with transaction.atomic():
            audited_save(
                payout,
                actor,
                reason=f"지급 건 생성 (승인 요청: {approval})" if approval else "지급 건 생성",
                validate_constraints=False,
            )
    except IntegrityError as exc:
        other = (
            FinePayout.objects.filter(idempotency_key=key).first()
            or FinePayout.objects.filter(
                call_id=notice.call_id, violation_at=notice.violation_at, status__in=LIVE_STATUSES
            ).first()
            or FinePayout.objects.filter(notice=notice, status__in=LIVE_STATUSES).first()
        )
        if other is not None and other.idempotency_key == key:
            return other
        raise FineError(
            "이미 지급 건이 있습니다" + (f" (지급 #{other.pk})." if other else ".")
        ) from exc
    if payout.status == PayoutStatus.PENDING_APPROVAL:
        from notifications.notify import notify_payout_approval

        notify_payout_approval(payout=payout, at=at)
    return payout


def _enqueue_verify(payout_id: int) -> None:
    from fines.tasks import payout_verify_pending as task

    task.apply_async((payout_id,), countdown=VERIFY_RETRY_SECONDS)


VERIFY_RETRY_SECONDS = 300


def _check_cash_not_posted(notice: FineNotice) -> None:
    """A disputed fine whose cash payment was requested on Agit is paid there, not twice."""
    from fines.models import ParkingDispute

    dispute = ParkingDispute.objects.filter(notice_id=notice.pk).first()
    if dispute is not None and dispute.cash_request_posted_at is not None:
        raise FineError("현금 지급 요청(아지트)으로 지급되는 건입니다. 지급 건을 만들 수 없습니다.")


def _queue_creation_messages(payout: FinePayout, notice: FineNotice, actor) -> None:
    case = notice.case
    queue_message(
        case=case,
        template=traffic_fine.TPL_DEPOSIT_SCHEDULED,
        audience="customer",
        context=traffic_fine.deposit_context(
            received_on=received_on(case), amount=payout.amount, scheduled_at=payout.scheduled_at
        ),
        actor=actor,
    )
    if payout.charge_driver:
        queue_message(
            case=case,
            template=traffic_fine.TPL_POINTS_DEDUCTION,
            audience="driver",
            context=traffic_fine.points_context(
                call_id=payout.call_id, amount=_driver_amount(payout, notice)
            ),
            actor=actor,
        )


def _driver_amount(payout: FinePayout, notice: FineNotice) -> int:
    amount = payout_amount_for(notice)
    # The payout's own amount is what the customer is paid; the driver's share follows it.
    return amount.driver if amount.customer == payout.amount else payout.amount


@transaction.atomic
def payout_verify_pending(*, payout: FinePayout, actor=None, at=None) -> FinePayout:
    """Retry the account check of a ``created`` payout (the bank API was down at creation)."""
    at = now_or(at)
    payout = (
        FinePayout.objects.select_for_update(of=("self",))
        .select_related("notice__case")
        .get(pk=payout.pk)
    )
    if payout.status != PayoutStatus.CREATED:
        return payout
    if payout.approval_reason and payout.approved_by_id is None:
        return payout  # never scheduled without its approval (the constraint says so too)
    try:
        verdict = get_verifier().verify(
            bank=payout.bank, number=payout.account.reveal(), holder=payout.holder
        )
    except VerifierUnavailable as exc:
        payout.verification_error = str(exc)[:200]
        audited_save(
            payout, actor, reason="계좌 확인 재시도 (응답 없음)", validate_constraints=False
        )
        return payout
    if not verdict.ok:
        payout.status = PayoutStatus.FAILED
        payout.failure_reason = f"계좌 유효성 체크 실패: {verdict.reason}"[:200]
        audited_save(payout, actor, reason="계좌 확인 실패", validate_constraints=False)
        return payout
    payout.status = PayoutStatus.SCHEDULED
    payout.verified_by = verdict.verifier
    payout.verified_at = at
    payout.verification_error = ""
    payout.scheduled_at = scheduled_payout_at(at, PayoutPolicy.from_settings(at))
    _queue_creation_messages(payout, payout.notice, actor)
    audited_save(payout, actor, reason="계좌 인증 성공 (지급 예정)", validate_constraints=False)
    return payout


@transaction.atomic
def payout_cancel(*, payout: FinePayout, actor, reason: str, at=None) -> FinePayout:
    """Cancel a payout the batch has not taken yet (leads and managers)."""
    require(
        actor, "fines.finepayout.cancel", message="지급 취소는 팀장·부팀장·담당자만 할 수 있습니다."
    )
    if not (reason or "").strip():
        raise FactsInvalid({"reason": ["취소 사유를 입력하세요."]})
    payout = FinePayout.objects.select_for_update(of=("self",)).get(pk=payout.pk)
    cancellable = (PayoutStatus.PENDING_APPROVAL, PayoutStatus.CREATED, PayoutStatus.SCHEDULED)
    if payout.status not in cancellable:
        raise FineError(f"'{payout.get_status_display()}' 상태의 지급 건은 취소할 수 없습니다.")
    if hasattr(payout, "transfer"):
        raise FineError("이미 이체가 요청된 지급 건은 취소할 수 없습니다.")
    payout.status = PayoutStatus.CANCELLED
    payout.cancelled_by = actor
    payout.cancel_reason = reason.strip()
    audited_save(payout, actor, reason=f"지급 취소: {reason.strip()}", validate_constraints=False)
    return payout


def _pending(payout: FinePayout, actor, verb: str) -> FinePayout:
    """The payout locked, still awaiting approval, and ``actor`` a second person."""
    require(
        actor,
        "fines.finepayout.approve",
        message=f"지급 건 {verb}은 팀장·부팀장·담당자(관리자)만 할 수 있습니다.",
    )
    locked = (
        FinePayout.objects.select_for_update(of=("self",))
        .select_related("notice__case")
        .get(pk=payout.pk)
    )
    if locked.status != PayoutStatus.PENDING_APPROVAL:
        raise FineError(
            f"'{locked.get_status_display()}' 상태의 지급 건은 {verb}할 수 없습니다 (승인 대기 건만)."
        )
    message = f"지급 건을 만든 사람은 {verb}할 수 없습니다. 다른 팀장·담당자가 {verb}해야 합니다."
    require(actor, "fines.finepayout.approve", locked, message=message)
    if locked.created_by_id == actor.pk:  # a superuser passes user_can, never four-eyes
        raise ActionNotAllowed(message)
    return locked


@transaction.atomic
def payout_approve(*, payout: FinePayout, actor, at=None) -> FinePayout:
    """Four-eyes: a lead or manager who did not create the payout approves it.

    The batch it joins is decided by the approval time (before the cutoff: today 14:00); the
    customer's 입금 예정 SMS (and the driver's) are queued now, with the payout's amount. When
    the bank's account check did not answer at creation, the approved payout waits as
    ``created`` and :func:`payout_verify_pending` schedules it once the bank answers.
    """
    at = now_or(at)
    payout = _pending(payout, actor, "승인")
    payout.approved_by = actor
    payout.approved_at = at
    if payout.verified_at is None:
        payout.status = PayoutStatus.CREATED
        audited_save(payout, actor, reason="지급 승인 (계좌 확인 대기)", validate_constraints=False)
        from kmcs_site.broker import call_after_commit  # a dead broker never fails this

        call_after_commit(_enqueue_verify, payout.pk)
        return payout
    payout.status = PayoutStatus.SCHEDULED
    payout.scheduled_at = scheduled_payout_at(at, PayoutPolicy.from_settings(at))
    _queue_creation_messages(payout, payout.notice, actor)
    audited_save(payout, actor, reason="지급 승인", validate_constraints=False)
    return payout


@transaction.atomic
def payout_reject(*, payout: FinePayout, actor, reason: str, at=None) -> FinePayout:
    """The second person refuses the payout (reason required); the fine is free again."""
    if not (reason or "").strip():
        raise FactsInvalid({"reason": ["반려 사유를 입력하세요."]})
    at = now_or(at)
    payout = _pending(payout, actor, "반려")
    payout.status = PayoutStatus.REJECTED
    payout.rejected_by = actor
    payout.rejected_at = at
    payout.reject_reason = reason.strip()
    audited_save(payout, actor, reason=f"지급 반려: {reason.strip()}", validate_constraints=False)
    return payout


@transaction.atomic
def account_reveal(*, actor, reason: str, payout: FinePayout | None = None, notice=None) -> str:
    """The full account number, for leads and managers, logged (who, when, which row, why)."""
    require(
        actor,
        "fines.finepayout.unmask",
        message="계좌번호 전체 보기는 팀장·부팀장·담당자만 할 수 있습니다.",
    )
    if not (reason or "").strip():
        raise FactsInvalid({"reason": ["조회 사유를 입력하세요."]})
    subject = payout if payout is not None else notice
    if subject is None or not subject.account:
        raise FineError("계좌번호가 없습니다.")
    AccountUnmaskLog.objects.create(
        payout=payout, notice=notice if payout is None else None, actor=actor, reason=reason.strip()
    )
    return subject.account.reveal()
