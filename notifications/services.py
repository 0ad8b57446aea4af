"""Writing notifications, reading them off, the person's e-mail preference and the e-mail copy.

- :func:`notification_create` is called by the ``notify_*`` functions of
  :mod:`notifications.notify`, which the business services call inside their own transaction
  (not signals: a notification belongs to the change a service made, and the service says so).
- The e-mail copy (for people who chose it, :func:`preference_set`) is handed to Celery after
  commit through :mod:`kmcs_site.broker` (a dead broker never fails the change); the row's
  ``email_pending`` flag is the outbox, so :func:`notification_email_requeue` (beat) sends what
  the broker lost, and the send claims the row first, so a redelivered task mails once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kmcs_site.permissions import user_can

from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)


class NotificationError(Exception):
    """A refused notification action; ``message`` is the Korean text a screen shows."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def site_url(path: str) -> str:
    """``KMCS_SITE_URL`` + ``path``: the link an e-mail carries (no request to ask the host)."""
    return settings.KMCS_SITE_URL.rstrip("/") + path


def wants_email(user) -> bool:
    if not user.email:
        return False
    return NotificationPreference.objects.filter(user=user, email_enabled=True).exists()


def notification_create(
    *,
    recipient,
    kind: str,
    title: str,
    body: str = "",
    path: str = "",
    case=None,
    dedupe_key: str = "",
    at=None,
) -> Notification | None:
    """One notification for ``recipient``; None when there is nobody to tell (no user, an
    inactive one) or the ``dedupe_key`` was already used for them (told once per thing)."""
    if recipient is None or not recipient.is_active:
        return None
    if (
        dedupe_key
        and Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).exists()
    ):
        return None
    row = Notification(
        recipient=recipient,
        kind=kind,
        title=title[:200],
        body=body,
        path=path[:300],
        case=case,
        dedupe_key=dedupe_key[:120],
        created_at=at or timezone.now(),
        email_pending=wants_email(recipient),
    )
    try:
        with transaction.atomic():  # a savepoint: a lost race must not break the caller's work
            row.save()
    except IntegrityError:
        return None  # the same key written concurrently: told once
    if row.email_pending:
        from kmcs_site.broker import call_after_commit

        call_after_commit(notification_email_enqueue, row.pk)
    return row


def notification_email_enqueue(notification_id: int) -> bool:
    from kmcs_site.broker import publish

    from .tasks import notification_email_send

    return publish(notification_email_send, [notification_id], what=f"알림 메일 #{notification_id}")


def notification_email_deliver(*, notification_id: int) -> str:
    """Send the e-mail copy of one notification, once. ``sent`` / ``skipped`` / ``failed``.

    Claimed by one conditional UPDATE (pending -> not pending, ``emailed_at`` set): a second
    delivery of the same task finds nothing to claim. A mail error gives the claim back (the
    sweeper tries again) and is logged, never raised.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, email_pending=True).update(
        email_pending=False, emailed_at=now
    )
    if not claimed:
        return "skipped"
    row = Notification.objects.select_related("recipient").get(pk=notification_id)
    user = row.recipient
    if not (user.is_active and user.email):
        return "skipped"
    lines = [row.title, ""]
    if row.body:
        lines += [row.body, ""]
    if row.path:
        lines += [site_url(row.path), ""]
    lines += ["알림 설정 (메일 받지 않기): " + site_url(reverse("notifications:preferences"))]
    try:
        send_mail(
            subject=f"[KMCS] {row.title}"[:300],
            message="\n".join(lines),
            from_email=settings.KMCS_NOTIFY_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except Exception:
        logger.exception("알림 메일 발송 실패: 알림 #%s (다음 정리 작업에서 다시 보냄)", row.pk)
        Notification.objects.filter(pk=row.pk, emailed_at=now).update(
            email_pending=True, emailed_at=None
        )
        return "failed"
    return "sent"


def notification_email_requeue(*, older_than: int = 120) -> int:
    """Beat job: e-mail copies still pending after ``older_than`` seconds (the broker lost them
    or the mail server refused) go to Celery again. Safe twice: the send claims the row."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    ids = list(
        Notification.objects.filter(email_pending=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        notification_email_enqueue(pk)
    return len(ids)


# --- the person's own actions ------------------------------------------------------------------
def _require(actor, action: str) -> None:
    if not user_can(actor, action):
        raise NotificationError("알림을 사용할 권한이 없습니다.")


def notification_mark_read(*, notification: Notification, actor, at=None) -> bool:
    """Mark one of the actor's notifications read; True if it was unread. Someone else's
    notification is refused (the views never find it: they look it up among the actor's)."""
    _require(actor, "notifications.inbox.mark_read")
    if notification.recipient_id != actor.pk:
        raise NotificationError("다른 사람의 알림입니다.")
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=at or timezone.now()
    )
    return bool(updated)


def notification_mark_all_read(*, actor, at=None) -> int:
    """Mark every unread notification of the actor read; how many."""
    _require(actor, "notifications.inbox.mark_read")
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=at or timezone.now()
    )


@transaction.atomic
def preference_set(*, user, email_enabled: bool, actor) -> NotificationPreference:
    """The person's own e-mail choice (history kept); nobody sets another person's."""
    _require(actor, "notifications.preference.edit")
    if actor.pk != user.pk:
        raise NotificationError("알림 설정은 본인만 바꿀 수 있습니다.")
    if email_enabled and not user.email:
        raise NotificationError(
            "메일 주소가 없어 메일 알림을 켤 수 없습니다. 팀장에게 등록을 요청하세요."
        )
    pref = NotificationPreference.objects.select_for_update().filter(user=user).first()
    if pref is None:
        pref = NotificationPreference(user=user)
    elif pref.email_enabled == bool(email_enabled):
        return pref
    pref.email_enabled = bool(email_enabled)
    pref.updated_at = timezone.now()
    pref._history_user = actor
    pref._change_reason = "메일 알림 켬" if email_enabled else "메일 알림 끔"
    pref.full_clean()
    pref.save()
    return pref
