"""Reads of the notifications: a person's own, newest first; the bell's unread count."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification, NotificationPreference


def notification_list_for(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first (index ``notification_inbox``); the rows carry
    their own title and link, so a page of them is one query whatever it shows."""
    qs = Notification.objects.filter(recipient=user).only(
        "id", "kind", "title", "body", "path", "created_at", "read_at", "recipient_id"
    )
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    """The bell's number: one COUNT on the partial index ``notification_unread``."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_get_for_user_or_404(*, user, notification_id: int) -> Notification:
    """One of the user's own notifications; anybody else's is a 404 (no existence leak)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Notification, pk=notification_id, recipient=user)


def preference_for(*, user) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user=user).first()
