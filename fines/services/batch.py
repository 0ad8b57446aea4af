"""The daily 14:00 payout batch. Paying twice is impossible:

1. a payout is taken under a row lock and only while ``scheduled``;
2. its ``BankTransfer`` row (unique on the payout and on the idempotency key) is written and
   committed *before* the bank is called: a second run, a second worker or a retry after a
   crash finds the row and skips the payout;
3. the result is written with a conditional update (``scheduled`` -> ``paid``/``failed``).

A transfer left ``pending`` (the process died while the bank was answering) is settled by the
bank's answer for its idempotency key: automatically when the bank offers an inquiry
(``gateway.status``, :func:`payout_transfers_reconcile`, run before every batch), otherwise by a
person (admin: 이체 기록). It is asked again only from a bank that executes one transfer per key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cases.playbooks import traffic_fine
from fines.gateways import get_gateway
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
    due = list(
        FinePayout.objects.filter(status=PayoutStatus.SCHEDULED, scheduled_at__lte=run_for)
        .filter(APPROVED)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )
    report = BatchReport(batch_id=batch.pk)
    gateway = get_gateway()
    report.reconciled = payout_transfers_reconcile(gateway=gateway)
    for payout_id in due:
        try:
            result = payout_pay(payout_id=payout_id, batch=batch, gateway=gateway, at=at)
        except Exception:
            # One payout that cannot be recorded (its transaction rolled back, its transfer
            # left pending for the reconciliation) must not stop the others' payments.
            log.exception("payout %s could not be paid or recorded", payout_id)
            result = "skipped"
        {"paid": report.paid, "failed": report.failed}.get(result, report.skipped).append(payout_id)
    _update_totals(batch, timezone.now())
    return report


def payout_transfers_reconcile(*, gateway=None, older_than: int | None = None) -> list[int]:
    """Settle transfers left ``pending`` longer than ``older_than`` seconds (default
    ``KMCS_BANK_RECONCILE_AFTER_SECONDS``): the process that asked the bank died before it
    wrote the answer. Returns the payouts settled.

    - the bank knows the key (``gateway.status``): its answer is written, as the run would have;
    - the bank never saw the key and executes one transfer per key (``gateway.idempotent``):
      the same request, same key, is sent again (a late twin is absorbed by the bank);
    - a bank without an inquiry: nothing is done; a person decides (admin: 이체 기록).
    """
    from django.conf import settings

    gateway = gateway or get_gateway()
    inquiry = getattr(gateway, "status", None)
    if inquiry is None:
        return []
    seconds = settings.KMCS_BANK_RECONCILE_AFTER_SECONDS if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=seconds)
    pending = (
        BankTransfer.objects.filter(state=BankTransfer.State.PENDING, requested_at__lt=cutoff)
        .select_related("payout")
        .order_by("requested_at", "pk")
    )
    settled = []
    for transfer in pending:
        payout = transfer.payout
        try:
            result = inquiry(transfer.idempotency_key)
            if result is None:
                if not getattr(gateway, "idempotent", False):
                    continue
                result = gateway.transfer(
                    idempotency_key=transfer.idempotency_key,
                    bank=payout.bank,
                    account_number=payout.account.reveal(),
                    holder=payout.holder,
                    amount=transfer.amount,
                )
        except Exception:  # the bank did not answer: try again at the next run
            log.exception("reconciling the transfer of payout %s failed", payout.pk)
            continue
        try:
            outcome = _record_result(payout.pk, result, timezone.now(), via=RECONCILED)
        except Exception:  # stays pending; the next run asks again
            log.exception("recording the reconciled transfer of payout %s failed", payout.pk)
            continue
        if outcome in ("paid", "failed"):
            settled.append(payout.pk)
    return settled


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
    """Pay one payout: ``paid``, ``failed`` or ``skipped`` (already taken / not due)."""
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
        )
    except Exception:  # the bank's answer is unknown: leave the transfer pending
        log.exception("bank transfer of payout %s raised; left pending", payout_id)
        return "skipped"
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
    if payout.status != PayoutStatus.SCHEDULED:
        transfer.save()
        return "skipped"
    if result.ok:
        transfer.state = BankTransfer.State.SUCCEEDED
        transfer.save()
        payout.status = PayoutStatus.PAID
        payout.paid_at = at
        audited_save(payout, None, reason="14:00 배치 지급 완료" + via, validate_constraints=False)
        _on_paid(payout, at, amount=transfer.amount)
        return "paid"
    transfer.state = BankTransfer.State.FAILED
    transfer.error = result.error[:200]
    transfer.save()
    payout.status = PayoutStatus.FAILED
    payout.failure_reason = result.error[:200] or "이체 실패"
    audited_save(payout, None, reason="14:00 배치 지급 실패" + via, validate_constraints=False)
    return "failed"


def _on_paid(payout: FinePayout, at, *, amount: int) -> None:
    """처리완료 SMS to the customer (general/consigned: the seed's special-issue step 10 and the
    issue's "done on payment") and the notice is complete."""
    notice = payout.notice
    if notice.completed_at is None:
        notice.completed_at = at
        audited_save(notice, None, reason="지급 완료", validate_constraints=False)
    try:
        queue_message(
            case=notice.case,
            template=traffic_fine.TPL_DONE,
            audience="customer",
            # The amount the bank transferred (the transfer row), which is what was paid.
            context=traffic_fine.done_context(received_on=received_on(notice.case), amount=amount),
            actor=None,
        )
    except FineError:
        # The money moved; a missing phone or template must not undo the payment record.
        log.exception("처리완료 SMS for payout %s not queued", payout.pk)
