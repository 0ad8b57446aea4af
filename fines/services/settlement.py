"""A lead settles a payout in 확인 필요 by hand (issue 16 item 4), after asking the bank.

The reconciliation job (:func:`fines.services.batch.payout_transfers_reconcile`) settles what
the bank's 이체결과조회 can answer. Where it cannot (the bank has no inquiry, or keeps failing
to answer), a lead calls the bank and records what it said:

- ``paid``: the bank confirms the transfer arrived. Its 거래고유번호 is required; the payout is
  paid exactly as a batch payment would be (처리완료 SMS where the fine's template is on).
- ``not_paid``: the bank confirms nothing moved. The payout is ``failed`` with the lead's note.
  Nothing is sent again from here: paying the customer after that is a new payout, which goes
  through four-eyes approval like every manual payout.

Never a second transfer: this records an answer, it never calls the bank's transfer API, and it
works only on a payout still in 확인 필요 whose transfer is still waiting for an answer (under
the row locks, so the reconciliation job and a second lead cannot settle it twice). The payout
and its transfer keep their history with the lead's name and note.
"""

from __future__ import annotations

from django.db import transaction

from fines.models import BankTransfer, FinePayout, PayoutStatus

from ._common import FineError, audited_save, now_or, require

OUTCOMES = {"paid": "지급 완료 확인", "not_paid": "미이체 확인"}


@transaction.atomic
def payout_settle_manually(
    *, payout: FinePayout, actor, outcome: str, note: str, bank_reference: str = "", at=None
) -> FinePayout:
    """Record what the bank told a lead about a payout in 확인 필요 (see the module)."""
    require(
        actor,
        "fines.finepayout.settle",
        message="확인 필요 지급 건의 수동 확인은 팀장·부팀장만 할 수 있습니다.",
    )
    at = now_or(at)
    note = (note or "").strip()
    bank_reference = (bank_reference or "").strip()
    if outcome not in OUTCOMES:
        raise FineError("확인 결과는 '지급 완료 확인' 또는 '미이체 확인' 중에서 고르세요.")
    if not note:
        raise FineError("은행에 확인한 내용(담당자, 시각 등)을 메모에 적어 주세요.")
    if outcome == "paid" and not bank_reference:
        raise FineError("지급 완료로 확인하려면 은행이 알려준 거래고유번호를 입력하세요.")
    locked = (
        FinePayout.objects.select_for_update(of=("self",))
        .select_related("notice__case")
        .get(pk=payout.pk)
    )
    if locked.status != PayoutStatus.NEEDS_RECONCILIATION:
        raise FineError(
            f"'{locked.get_status_display()}' 상태의 지급 건은 수동 확인할 수 없습니다 "
            "(확인 필요 건만)."
        )
    transfer = BankTransfer.objects.select_for_update(of=("self",)).filter(payout=locked).first()
    if transfer is None or transfer.state != BankTransfer.State.PENDING:
        raise FineError(
            "이 지급 건에는 결과를 기다리는 이체 기록이 없습니다. 새로고침 후 확인하세요."
        )
    label = OUTCOMES[outcome]
    transfer.completed_at = at
    transfer._history_user = actor
    transfer._change_reason = f"수동 확인: {label}"
    if outcome == "paid":
        from .batch import _on_paid

        transfer.state = BankTransfer.State.SUCCEEDED
        transfer.bank_reference = bank_reference[:64]
        transfer.save()
        locked.status = PayoutStatus.PAID
        locked.paid_at = at
        locked.failure_reason = ""
        audited_save(
            locked,
            actor,
            reason=f"수동 확인: {label} (은행 거래번호 {bank_reference[:40]}) - {note}"[:250],
            validate_constraints=False,
        )
        _on_paid(locked, at, amount=transfer.amount)
        return locked
    transfer.state = BankTransfer.State.FAILED
    transfer.error = f"수동 확인: 미이체 - {note}"[:200]
    transfer.save()
    locked.status = PayoutStatus.FAILED
    locked.failure_reason = f"은행 확인 결과 미이체: {note}"[:200]
    audited_save(
        locked, actor, reason=f"수동 확인: {label} - {note}"[:250], validate_constraints=False
    )
    return locked
