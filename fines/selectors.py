"""Reads of the fines app, scoped to the user who asks, with their joins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.access import is_agent_only
from fines import crypto
from fines.accounts import normalize_account_number
from fines.models import FineNotice, FinePayout, PayoutStatus
from fines.schedule import SEOUL, PayoutPolicy, batch_moment
from kmcs_site.permissions import user_can, user_roles


def fine_notice_list_visible_to(*, user) -> QuerySet[FineNotice]:
    """Managers, leads and auditors: every fine. Agents: only the fines of the cases they may
    see (cases.selectors decides that, the same rule as the case list)."""
    from cases.selectors import case_list_visible_to

    if not user_can(user, "fines.finenotice.view"):
        return FineNotice.objects.none()
    notices = FineNotice.objects.select_related("case", "intake_by", "duplicate_of")
    if user.is_superuser or not is_agent_only(user_roles(user)):
        return notices
    return notices.filter(case__in=case_list_visible_to(user=user).values("pk"))


def payout_list(*, user) -> QuerySet[FinePayout]:
    """The ledger (과태료 관리): every role that may view it sees all rows, masked."""
    if not user_can(user, "fines.finepayout.view"):
        return FinePayout.objects.none()
    return FinePayout.objects.select_related("notice", "created_by")


def payout_account_search_key(*, number: str) -> str:
    """The keyed hash an account search looks for (kept server-side, never in a URL)."""
    return crypto.account_hash(normalize_account_number(number))


def payout_search_by_account(*, queryset: QuerySet[FinePayout], number: str):
    """Equality search on the account number through its keyed hash (never a LIKE)."""
    digits = normalize_account_number(number)
    if not digits.isdigit():
        return queryset.none()
    return queryset.filter(account_hash=crypto.account_hash(digits))


def payout_batch_today(*, at: datetime | None = None) -> tuple[datetime, QuerySet[FinePayout]]:
    """Today's batch moment and the payouts it pays (scheduled for it, or paid in it)."""
    local = (at or timezone.now()).astimezone(SEOUL)
    moment = batch_moment(local.date(), PayoutPolicy.from_settings())
    rows = FinePayout.objects.select_related("notice", "created_by").filter(
        Q(scheduled_at=moment) | Q(status=PayoutStatus.SCHEDULED, scheduled_at__lt=moment)
    )
    return moment, rows


# --- daily reconciliation: our paid payouts vs the bank's statement (issue 16 item 4) ----------


@dataclass(frozen=True)
class ReconciliationRow:
    """One line of the report: a payout, a bank statement line, or both."""

    payout_id: int | None
    reference: str  # the statement's 출금 인자내역 (KMCS-P<id>)
    our_status: str  # the payout's status label ("" when the bank line names no payout)
    our_amount: int | None  # paid by us that day
    bank_amount: int | None  # withdrawn on the bank's statement that day
    verdict: str  # "일치" or what is wrong

    @property
    def mismatch(self) -> bool:
        return self.verdict != MATCH


MATCH = "일치"


@dataclass(frozen=True)
class ReconciliationReport:
    day: date
    rows: list[ReconciliationRow]

    @property
    def mismatches(self) -> list[ReconciliationRow]:
        return [row for row in self.rows if row.mismatch]

    @property
    def our_total(self) -> int:
        return sum(row.our_amount or 0 for row in self.rows)

    @property
    def bank_total(self) -> int:
        return sum(row.bank_amount or 0 for row in self.rows)


def payout_reconciliation(*, day: date, statement) -> ReconciliationReport:
    """Compare the payouts we marked paid on ``day`` (Asia/Seoul) with the bank's withdrawals
    of that day (``statement``: lines with ``amount`` and ``print_content``). Two queries
    whatever the number of rows. Mismatches: paid by us but not on the statement, on the
    statement but not paid by us (e.g. 확인 필요: the bank moved the money), amounts differ,
    a statement line naming no payout, the same payout twice on the statement."""
    from fines.openbanking import print_reference

    start = datetime.combine(day, time.min, tzinfo=SEOUL)
    paid = {
        payout.pk: payout
        for payout in FinePayout.objects.filter(
            status=PayoutStatus.PAID, paid_at__gte=start, paid_at__lt=start + timedelta(days=1)
        )
        .select_related("transfer")
        .order_by("pk")
    }
    by_reference: dict[str, list] = {}
    for line in statement:
        by_reference.setdefault(line.print_content, []).append(line)
    named = {}
    for reference in by_reference:
        payout_id = _payout_id_of(reference)
        if payout_id is not None and payout_id not in paid:
            named[payout_id] = None
    if named:
        for payout in FinePayout.objects.filter(pk__in=list(named)).select_related("transfer"):
            named[payout.pk] = payout
    rows = []
    for payout in paid.values():
        reference = print_reference(payout.pk)
        lines = by_reference.pop(reference, [])
        amount = payout.transfer.amount if hasattr(payout, "transfer") else payout.amount
        bank_amount = sum(line.amount for line in lines) if lines else None
        if not lines:
            verdict = "은행 내역 없음 (지급 완료로 기록됨)"
        elif len(lines) > 1:
            verdict = f"은행 내역 {len(lines)}건 (중복 이체)"
        elif bank_amount != amount:
            verdict = "금액 불일치"
        else:
            verdict = MATCH
        rows.append(
            ReconciliationRow(
                payout.pk, reference, payout.get_status_display(), amount, bank_amount, verdict
            )
        )
    for reference, lines in by_reference.items():
        payout_id = _payout_id_of(reference)
        payout = named.get(payout_id) if payout_id is not None else None
        status = payout.get_status_display() if payout is not None else ""
        verdict = (
            f"은행 이체됨, KMCS 상태 '{status}'"
            if payout is not None
            else "KMCS 지급 건을 찾을 수 없는 은행 내역"
        )
        rows.append(
            ReconciliationRow(
                payout.pk if payout is not None else None,
                reference,
                status,
                None,
                sum(line.amount for line in lines),
                verdict,
            )
        )
    return ReconciliationReport(day=day, rows=rows)


def _payout_id_of(reference: str) -> int | None:
    prefix = "KMCS-P"
    if reference.startswith(prefix) and reference[len(prefix) :].isdigit():
        return int(reference[len(prefix) :])
    return None
