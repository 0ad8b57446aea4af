"""Reads of the fines app, scoped to the user who asks, with their joins."""

from __future__ import annotations

from datetime import datetime

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
