"""Celery tasks of the cases app: thin, they call a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cases.tasks.clocks_mark_overdue")
def clocks_mark_overdue() -> dict:
    """Beat job (``CELERY_BEAT_SCHEDULE['cases-clocks-mark-overdue']``): mark the step clocks
    whose promise is broken, then tell the assignee and the leads. Safe to run twice: a clock
    is marked once and notified once."""
    from cases.services.clocks import clocks_mark_overdue as mark
    from cases.services.clocks import clocks_notify_overdue as notify

    marked = mark()
    notified = notify()
    return {"marked": len(marked), "notified": notified}


@shared_task(
    name="cases.tasks.case_email_send",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the service decides (KMCS_EMAIL_MAX_ATTEMPTS, counted on the row)
)
def case_email_send(self, email_id: int) -> str:
    """Send one queued case e-mail (issue 16); safe twice: the service claims the row."""
    from cases.services.emails import case_email_deliver

    outcome = case_email_deliver(email_id=email_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(
    name="cases.tasks.agit_post_publish",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the service decides (KMCS_AGIT_MAX_ATTEMPTS, counted on the row)
)
def agit_post_publish(self, post_id: int) -> str:
    """Post one Agit escalation through the webhook (issue 16); one idempotency key per post."""
    from cases.services.agit import agit_post_deliver

    outcome = agit_post_deliver(post_id=post_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="cases.tasks.email_requeue_stale")
def email_requeue_stale() -> int:
    """Beat job (``CELERY_BEAT_SCHEDULE['cases-email-requeue-stale']``): queued case mails whose
    broker message was lost go to Celery again; safe twice (the send claims the row)."""
    from cases.services.emails import email_requeue_stale as sweep

    return sweep()


@shared_task(name="cases.tasks.agit_requeue_stale")
def agit_requeue_stale() -> int:
    """Beat job (``CELERY_BEAT_SCHEDULE['cases-agit-requeue-stale']``): Agit posts stuck in
    ``queued`` go to Celery again; safe twice (claim + one idempotency key per post)."""
    from cases.services.agit import agit_requeue_stale as sweep

    return sweep()


@shared_task(name="cases.tasks.dashboard_summary_refresh")
def dashboard_summary_refresh() -> dict:
    """Beat, every minute: re-count the days of the cases written since the last run (17.4)."""
    from cases.dashboard.summary import summary_refresh

    return summary_refresh()
