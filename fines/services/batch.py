"""The daily 14:00 payout batch. Paying twice is impossible:

1. a payout is taken under a row lock and only while ``scheduled``;
2. its ``BankTransfer`` row (unique on the payout and on the idempotency key) is written and
   committed *before* the bank is called: a second run, a second worker or a retry after a
   crash finds the row and skips the payout;
3. the result is written with a conditional update (``scheduled`` -> ``paid``/``failed``).

A transfer whose answer is unknown (timeout, 5xx after the request left, an unreadable answer:
:class:`fines.gateways.TransferUncertain`, or the process died while the bank was answering) is
never sent again blindly: the payout goes to 확인 필요 (``needs_reconciliation``) and
:func:`payout_transfers_reconcile` (Celery beat, and before every batch) asks the bank's
transfer-result inquiry (``gateway.status``) for that key first:

- the bank paid it -> ``paid`` (처리완료 SMS queued, as for a batch payment);
- the bank refused it -> ``failed`` with the bank's code;
- the bank has no such transfer -> back to ``scheduled``; the next batch sends the *same* key
  (a late twin of the first request is refused or absorbed by the bank, never paid twice);
- the bank cannot say -> stays 확인 필요 and the leads are alerted (once per transfer).

A bank without an inquiry leaves the payout to a person (admin: 이체 기록).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cases.playbooks import traffic_fine
from fines import codes
from fines.gateways import TransferUncertain, get_gateway
from fines.models import BankTransfer, FinePayout, PayoutBatch, PayoutStatus
from fines.schedule import SEOUL, PayoutPolicy, batch_moment

from ._common import FineError, audited_save, now_or, queue_message, received_on

log = logging.getLogger(__name__)


@dataclass
class BatchReport:
    batch_id: int
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    reconciled: list[int] = field(default_factory=list)  # pending transfers settled first
    #: Sent, but the bank's answer is unknown: now 확인 필요, reconciled before any resend.
    uncertain: list[int] = field(default_factory=list)


#: Four-eyes: a manual payout is paid only once a second person approved it. The status already
#: says so (``pending_approval`` is never due) and a check constraint refuses the rest; the batch
#: asks again, so a row changed behind the services' back is still not paid.
APPROVED = Q(approval_reason="") | Q(approved_by__isnull=False)


def batch_for(at: datetime) -> datetime:
    """The batch moment a run at ``at`` performs: today's, or yesterday's before today's time."""
    policy = PayoutPolicy.from_settings()
    local = at.astimezone(SEOUL)
    moment = batch_moment(local.date(), policy)
    if local < moment:
        moment = batch_moment(local.date() - timedelta(days=1), policy)
    return moment


def payout_batch_run(*, at=None) -> BatchReport:
    """Pay every scheduled payout due at the batch moment (late ones included)."""
    at = now_or(at)
    run_for = batch_for(at)
    batch, _ = PayoutBatch.objects.get_or_create(run_for=run_for)
    PayoutBatch.objects.filter(pk=batch.pk, started_at__isnull=True).update(started_at=at)
    _verify_unchecked(at)
    gateway = get_gateway()
    # First what earlier runs left unknown: a transfer the bank never received is scheduled
    # again and paid below, in this run, with its first key.
    report = BatchReport(batch_id=batch.pk)
    report.reconciled = payout_transfers_reconcile(gateway=gateway)
    due = list(
        # Due: promised for the run's Seoul day or earlier ("당일 또는 익일 14시 지급": the day is
        # the promise). A lead who moves the batch time earlier still pays today's payouts today.
        FinePayout.objects.filter(
            status=PayoutStatus.SCHEDULED, scheduled_at__lt=_next_day(run_for)
        )
        .filter(APPROVED)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )
    for payout_id in due:
        try:
            result = payout_pay(payout_id=payout_id, batch=batch, gateway=gateway, at=at)
        except Exception:
            # One payout that cannot be recorded (its transaction rolled back, its transfer
            # left pending for the reconciliation) must not stop the others' payments.
            log.exception("payout %s could not be paid or recorded", payout_id)
            result = "skipped"
        outcomes = {"paid": report.paid, "failed": report.failed, "uncertain": report.uncertain}
        outcomes.get(result, report.skipped).append(payout_id)
    _update_totals(batch, timezone.now())
    return report


def _next_day(moment: datetime) -> datetime:
    """Midnight (Asia/Seoul) after ``moment``'s Seoul day."""
    local = moment.astimezone(SEOUL)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=SEOUL)


def payout_batch_tick(*, at=None) -> BatchReport | None:
    """The beat's call every few minutes (issue 15 A.3): today's batch once the batch time in
    force (``rules.CenterSettings``, read now: a lead's change needs no restart) has come, and
    once per Seoul day (a run of today already started -> None). Before the time -> None.
    Two ticks at once are harmless: payout_batch_run pays each payout once."""
    at = now_or(at)
    local = at.astimezone(SEOUL)
    if local < batch_moment(local.date(), PayoutPolicy.from_settings(at)):
        return None
    day_start = datetime.combine(local.date(), datetime.min.time(), tzinfo=SEOUL)
    ran_today = PayoutBatch.objects.filter(
        run_for__gte=day_start, run_for__lt=_next_day(day_start), started_at__isnull=False
    ).exists()
    if ran_today:
        return None
    return payout_batch_run(at=at)


def payout_transfers_reconcile(*, gateway=None, older_than: int | None = None) -> list[int]:
    """Ask the bank what became of every transfer whose answer we do not have: the payouts in
    확인 필요, and transfers left ``pending`` by a process that died at the bank. Only those
    older than ``older_than`` seconds (default ``KMCS_BANK_RECONCILE_AFTER_SECONDS``: a request
    still in flight is not asked about). Returns the payouts settled (paid or failed).

    Nothing is ever sent from here: "not found" schedules the payout again for the next batch.
    """
    from django.conf import settings

    gateway = gateway or get_gateway()
    inquiry = getattr(gateway, "status", None)
    if inquiry is None:
        return []
    seconds = settings.KMCS_BANK_RECONCILE_AFTER_SECONDS if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=seconds)
    pending = (
        BankTransfer.objects.filter(state=BankTransfer.State.PENDING, requested_at__lte=cutoff)
        .select_related("payout")
        .order_by("requested_at", "pk")
    )
    settled, unknown = [], []
    for transfer in pending:
        payout = transfer.payout
        try:
            result = inquiry(
                transfer.idempotency_key,
                payout_id=payout.pk,
                requested_at=transfer.requested_at,
                amount=transfer.amount,
            )
        except Exception as exc:  # the bank cannot say: still unknown, leads alerted
            log.warning("transfer result of payout %s unknown: %s", payout.pk, exc)
            if _still_unknown(transfer.pk, str(exc)):
                unknown.append(payout.pk)
            continue
        try:
            if result is None:
                outcome = _not_found(transfer.pk)
            else:
                outcome = _record_result(payout.pk, result, timezone.now(), via=RECONCILED)
        except Exception:  # stays pending; the next run asks again
            log.exception("recording the reconciled transfer of payout %s failed", payout.pk)
            continue
        if outcome in ("paid", "failed"):
            settled.append(payout.pk)
    if unknown:
        _alert_leads(unknown)
    return settled


def _inquired(transfer: BankTransfer, error: str = "") -> None:
    transfer.inquiry_count += 1
    transfer.last_inquiry_at = timezone.now()
    transfer.last_inquiry_error = error[:200]


@transaction.atomic
def _still_unknown(transfer_id: int, error: str) -> bool:
    """Record the failed inquiry; the payout is (or stays) 확인 필요. True when the leads have
    not been alerted about this transfer yet."""
    transfer = BankTransfer.objects.select_for_update(of=("self",)).get(pk=transfer_id)
    if transfer.state != BankTransfer.State.PENDING:
        return False
    _inquired(transfer, error)
    first_alert = transfer.alerted_at is None
    if first_alert:
        transfer.alerted_at = timezone.now()
    transfer.save()
    _mark_uncertain(transfer.payout_id, f"이체 결과 조회 실패: {error}")
    return first_alert


@transaction.atomic
def _not_found(transfer_id: int) -> str:
    """The bank has no transfer with this key: nothing moved. Back to ``scheduled`` (its due
    time unchanged, so the next batch pays it) with the transfer row kept for the resend."""
    transfer = BankTransfer.objects.select_for_update(of=("self",)).get(pk=transfer_id)
    payout = FinePayout.objects.select_for_update(of=("self",)).get(pk=transfer.payout_id)
    if transfer.state != BankTransfer.State.PENDING:
        return "skipped"
    _inquired(transfer)
    transfer.state = BankTransfer.State.NOT_FOUND
    transfer.completed_at = timezone.now()
    transfer.save()
    if payout.status == PayoutStatus.NEEDS_RECONCILIATION:
        payout.status = PayoutStatus.SCHEDULED
        payout.failure_reason = ""
        audited_save(
            payout,
            None,
            reason="은행 결과조회: 이체 없음 → 다음 배치에 같은 거래번호로 지급",
            validate_constraints=False,
        )
    return "not_found"


def _mark_uncertain(payout_id: int, why: str) -> bool:
    """``scheduled`` -> 확인 필요 under the row lock (a finished payout is never touched)."""
    with transaction.atomic():
        payout = FinePayout.objects.select_for_update(of=("self",)).get(pk=payout_id)
        if payout.status != PayoutStatus.SCHEDULED:
            return payout.status == PayoutStatus.NEEDS_RECONCILIATION
        payout.status = PayoutStatus.NEEDS_RECONCILIATION
        payout.failure_reason = why[:200]
        audited_save(payout, None, reason=f"확인 필요: {why}"[:250], validate_constraints=False)
    return True


def _alert_leads(payout_ids: list[int]) -> None:
    """Tell the leads (팀장·부팀장) by e-mail that payouts are still unknown at the bank. The
    admin list (상태: 확인 필요) is where they see them; a mail failure is only logged."""
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    from kmcs_site.permissions import LEADS

    log.error("payouts still unknown at the bank after reconciliation: %s", payout_ids)
    from notifications.notify import notify_payout_check

    notify_payout_check(payout_ids=payout_ids)  # in the app too (issue 14.5), once per transfer
    recipients = sorted(
        {
            email
            for email in get_user_model()
            .objects.filter(is_active=True, groups__name__in=[r.value for r in LEADS])
            .exclude(email="")
            .values_list("email", flat=True)
        }
    )
    if not recipients:
        return
    listed = ", ".join(f"#{pk}" for pk in payout_ids)
    try:
        send_mail(
            subject=f"[KMCS] 과태료 지급 확인 필요 {len(payout_ids)}건",
            message=(
                "은행 이체결과조회로도 결과를 알 수 없는 지급 건이 있습니다 "
                f"(지급 {listed}). 다시 보내지 않았습니다. 어드민 → 과태료 관리 → "
                "상태 '확인 필요'에서 확인하세요. 다음 조회는 자동으로 이어집니다."
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        log.exception("alerting the leads about payouts %s failed", payout_ids)


def _verify_unchecked(at) -> None:
    """Payouts still waiting for the account check (bank API was down): ask again first, so a
    payout verified before the cutoff is paid in this run."""
    from .payouts import payout_verify_pending

    for payout in FinePayout.objects.filter(status=PayoutStatus.CREATED).order_by("pk"):
        try:
            payout_verify_pending(payout=payout, at=at)
        except FineError:
            log.exception("account check of payout %s failed", payout.pk)


def _update_totals(batch: PayoutBatch, at) -> None:
    transfers = BankTransfer.objects.filter(batch=batch)
    succeeded = transfers.filter(state=BankTransfer.State.SUCCEEDED)
    with transaction.atomic():
        locked = PayoutBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
        locked.paid_count = succeeded.count()
        locked.failed_count = transfers.filter(state=BankTransfer.State.FAILED).count()
        locked.paid_amount = sum(succeeded.values_list("amount", flat=True))
        locked.finished_at = at
        locked.runs += 1
        locked.save()


def _claim(payout_id: int, batch: PayoutBatch, at) -> FinePayout | None:
    """Take the payout for this run, or None when it is not ours to pay."""
    with transaction.atomic():
        payout = (
            FinePayout.objects.select_for_update(of=("self",))
            .filter(APPROVED, pk=payout_id, status=PayoutStatus.SCHEDULED)
            .first()
        )
        if payout is None:
            return None
        # The bank said it never received the first request (reconciliation): the same row,
        # the same key, sent again.
        reopened = BankTransfer.objects.filter(
            payout=payout, state=BankTransfer.State.NOT_FOUND
        ).update(
            state=BankTransfer.State.PENDING,
            batch=batch,
            requested_at=at,
            completed_at=None,
            alerted_at=None,
        )
        if reopened:
            return payout
        try:
            with transaction.atomic():
                BankTransfer.objects.create(
                    payout=payout,
                    batch=batch,
                    idempotency_key=payout.idempotency_key,
                    amount=payout.amount,
                    requested_at=at,
                )
        except IntegrityError:
            return None
        return payout


def payout_pay(*, payout_id: int, batch: PayoutBatch, gateway=None, at=None) -> str:
    """Pay one payout: ``paid``, ``failed``, ``uncertain`` (sent, answer unknown: 확인 필요) or
    ``skipped`` (already taken / not due / the request never left)."""
    at = now_or(at)
    payout = _claim(payout_id, batch, at)
    if payout is None:
        return "skipped"
    gateway = gateway or get_gateway()
    try:
        result = gateway.transfer(
            idempotency_key=payout.idempotency_key,
            bank=payout.bank,
            account_number=payout.account.reveal(),
            holder=payout.holder,
            amount=payout.amount,
            payout_id=payout.pk,
        )
    except TransferUncertain as exc:
        # Never retried blindly: 확인 필요 until the bank's result inquiry answers.
        log.warning("bank transfer of payout %s uncertain: %s", payout_id, exc)
        _mark_uncertain(payout_id, str(exc))
        return "uncertain"
    except Exception as exc:
        from fines.openbanking import TransferNotSent

        if isinstance(exc, TransferNotSent):
            # Nothing left the building: the payout waits for the next batch, same key.
            log.warning("bank transfer of payout %s not sent: %s", payout_id, exc)
            BankTransfer.objects.filter(payout_id=payout_id, state="pending").update(
                state=BankTransfer.State.NOT_FOUND, error=str(exc)[:200]
            )
            return "skipped"
        # Anything else: we cannot tell whether the bank got it. 확인 필요, like a timeout.
        log.exception("bank transfer of payout %s raised; 확인 필요", payout_id)
        _mark_uncertain(payout_id, f"이체 응답 확인 불가: {type(exc).__name__}")
        return "uncertain"
    return _record_result(payout_id, result, timezone.now())


#: Suffix of the history reason when the answer came from the bank's inquiry after a crash.
RECONCILED = " (은행 조회로 확인)"


@transaction.atomic
def _record_result(payout_id: int, result, at, *, via: str = "") -> str:
    payout = (
        FinePayout.objects.select_for_update(of=("self",))
        .select_related("notice__case")
        .get(pk=payout_id)
    )
    transfer = BankTransfer.objects.select_for_update(of=("self",)).get(payout=payout)
    transfer.completed_at = at
    transfer.bank_reference = result.reference[:64]
    # Under the row lock the status check is the conditional update: only a payout still
    # ``scheduled`` moves, so a late duplicate answer cannot touch a finished one.
    if payout.status not in (PayoutStatus.SCHEDULED, PayoutStatus.NEEDS_RECONCILIATION):
        transfer.save()
        return "skipped"
    if via:
        _inquired(transfer)
    if result.ok:
        transfer.state = BankTransfer.State.SUCCEEDED
        transfer.save()
        payout.status = PayoutStatus.PAID
        payout.paid_at = at
        payout.failure_reason = ""  # a 확인 필요 note is history now
        audited_save(payout, None, reason="14:00 배치 지급 완료" + via, validate_constraints=False)
        _on_paid(payout, at, amount=transfer.amount)
        return "paid"
    transfer.state = BankTransfer.State.FAILED
    transfer.error = result.error[:200]
    transfer.error_code = (getattr(result, "code", "") or "")[:20]
    transfer.save()
    payout.status = PayoutStatus.FAILED
    payout.failure_reason = result.error[:200] or "이체 실패"
    audited_save(payout, None, reason="14:00 배치 지급 실패" + via, validate_constraints=False)
    return "failed"


def done_template(category: str) -> str:
    """The 처리완료 SMS of a paid fine: the seed's special-issue step 10 ("처리 완료 시 [고객]
    처리완료 SMS 발송"); general and consigned fines have their own template, which the seed
    does not prescribe and a lead switches on (issue 15 B 004)."""
    if category in (codes.CAT_GENERAL, codes.CAT_CONSIGNED):
        return traffic_fine.TPL_DONE_GENERAL
    return traffic_fine.TPL_DONE


def _on_paid(payout: FinePayout, at, *, amount: int) -> None:
    """The notice is complete, and the customer gets the 처리완료 SMS: the draft the decision
    planned at its ``sms_done`` step is released now (the step waited for this payment), and
    a special-issue fine without a draft gets it queued. A template a lead has switched off
    ("사용 (팀장 설정)") sends nothing; a general/consigned fine decided while it was off has
    no draft and gets nothing either."""
    from templates_app.models import OutboundMessage, SmsTemplate
    from templates_app.services import message_release

    notice = payout.notice
    if notice.completed_at is None:
        notice.completed_at = at
        audited_save(notice, None, reason="지급 완료", validate_constraints=False)
    code = done_template(notice.category)
    if not SmsTemplate.objects.filter(code=code, enabled=True).exists():
        return
    draft = OutboundMessage.objects.filter(
        step__case_id=notice.case_id,
        template__code=code,
        status=OutboundMessage.Status.PLANNED,
    ).first()
    if draft is not None:
        message_release(message=draft, actor=None)
        return
    if code == traffic_fine.TPL_DONE_GENERAL:
        return
    try:
        queue_message(
            case=notice.case,
            template=code,
            audience="customer",
            # The amount the bank transferred (the transfer row), which is what was paid.
            context=traffic_fine.done_context(received_on=received_on(notice.case), amount=amount),
            actor=None,
        )
    except FineError:
        # The money moved; a missing phone or template must not undo the payment record.
        log.exception("처리완료 SMS for payout %s not queued", payout.pk)
