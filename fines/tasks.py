"""Celery tasks of the fines app: thin, they take ids (or nothing) and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="fines.tasks.payout_batch_run")
def payout_batch_run() -> dict:
    """The daily 14:00 (Asia/Seoul) batch, from CELERY_BEAT_SCHEDULE. Safe to run twice."""
    from fines.services import payout_batch_run as run

    report = run()
    return {
        "batch": report.batch_id,
        "paid": len(report.paid),
        "failed": len(report.failed),
        "reconciled": len(report.reconciled),
    }


@shared_task(name="fines.tasks.payout_batch_tick")
def payout_batch_tick() -> dict:
    """Every few minutes (beat): today's batch once the batch time in force (rules.CenterSettings,
    edited by leads in the admin) has come, once a day; otherwise nothing."""
    from fines.services import payout_batch_tick as tick

    report = tick()
    if report is None:
        return {"batch": None}
    return {"batch": report.batch_id, "paid": len(report.paid), "failed": len(report.failed)}


@shared_task(name="fines.tasks.payout_verify_pending")
def payout_verify_pending(payout_id: int) -> str:
    """Retry the account check of a payout created while the bank API was down."""
    from fines.models import FinePayout
    from fines.services import payout_verify_pending as verify

    payout = FinePayout.objects.filter(pk=payout_id).first()
    if payout is None:
        return "missing"
    return verify(payout=payout).status


@shared_task(name="fines.tasks.payout_reconcile")
def payout_reconcile() -> dict:
    """Every KMCS_BANK_RECONCILE_EVERY_SECONDS (beat): ask the bank (이체결과조회) what became of
    the transfers in 확인 필요; never sends anything (not found -> scheduled for the batch)."""
    from fines.models import FinePayout, PayoutStatus
    from fines.services import payout_transfers_reconcile

    settled = payout_transfers_reconcile()
    waiting = FinePayout.objects.filter(status=PayoutStatus.NEEDS_RECONCILIATION).count()
    return {"settled": len(settled), "needs_reconciliation": waiting}
