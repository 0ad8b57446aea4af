"""Celery tasks of notifications: thin, they take ids and call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="notifications.notification_email_send", acks_late=True)
def notification_email_send(notification_id: int) -> str:
    """The e-mail copy of one notification; safe twice (the service claims the row)."""
    from .services import notification_email_deliver

    return notification_email_deliver(notification_id=notification_id)


@shared_task(name="notifications.notification_email_requeue")
def notification_email_requeue() -> int:
    """Beat job (``CELERY_BEAT_SCHEDULE['notifications-email-requeue']``): copies the broker
    lost or the mail server refused go to Celery again."""
    from .services import notification_email_requeue as sweep

    return sweep()
