"""Celery tasks of templates_app: thin wrappers that take ids and call a service.

``message_send`` is enqueued by ``services.message_queue`` with ``transaction.on_commit``. It
is safe to run twice (``acks_late`` redelivery, the stale sweeper): the service's claim lets
only one run call the gateway. Attempts are counted on the message row, not in Celery, so the
limit of 5 holds across redeliveries and worker restarts.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from . import services


@shared_task(
    name="templates_app.message_send",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the service decides (MAX_ATTEMPTS on the row)
)
def message_send(self, message_id: int) -> str:
    outcome = services.message_deliver(message_id=message_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="templates_app.message_requeue_stale", acks_late=True)
def message_requeue_stale(older_than_seconds: int = 600) -> int:
    return services.message_requeue_stale(older_than=timedelta(seconds=older_than_seconds))


@shared_task(name="templates_app.message_poll_reports", acks_late=True)
def message_poll_reports(older_than_minutes: int | None = None) -> int:
    """Delivery-report polling fallback: ask the provider about sent messages still without a
    report (a lost or late callback)."""
    from .delivery_reports import reports_poll

    older = timedelta(minutes=older_than_minutes) if older_than_minutes is not None else None
    return reports_poll(older_than=older)
