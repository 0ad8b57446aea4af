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
