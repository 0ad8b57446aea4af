"""Celery queues by kind (issue 17.6): SMS, e-mail, payouts and clocks on their own queues."""

from __future__ import annotations

import pytest
from django.conf import settings

from kmcs_site.celery import app


@pytest.fixture(autouse=True, scope="module")
def _tasks_loaded():
    app.loader.import_default_modules()  # what a worker does at start: every tasks.py


def _queue(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name)
    return route["queue"].name


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("templates_app.message_send", "sms"),
        ("templates_app.message_requeue_stale", "sms"),
        ("templates_app.message_poll_reports", "sms"),
        ("cases.tasks.case_email_send", "email"),
        ("cases.tasks.email_requeue_stale", "email"),
        ("notifications.notification_email_send", "email"),
        ("notifications.notification_email_requeue", "email"),
        ("fines.tasks.payout_batch_run", "payouts"),
        ("fines.tasks.payout_batch_tick", "payouts"),
        ("fines.tasks.payout_reconcile", "payouts"),
        ("cases.tasks.clocks_mark_overdue", "clocks"),
        ("cases.tasks.agit_post_publish", "kmcs"),
        ("cases.tasks.dashboard_summary_refresh", "kmcs"),
    ],
)
def test_each_kind_of_task_goes_to_its_own_queue(task, queue):
    assert task in app.tasks, task  # a renamed task would silently fall back to the default
    assert _queue(task) == queue


def test_every_registered_task_lands_on_a_queue_some_worker_reads():
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours
    for name in ours:
        assert _queue(name) in settings.KMCS_CELERY_QUEUES, name


def test_the_chaos_worker_and_the_test_worker_read_every_queue():
    from bench.chaos import QUEUE

    assert set(QUEUE.split(",")) == set(settings.KMCS_CELERY_QUEUES)
