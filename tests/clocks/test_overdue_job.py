"""The overdue beat job: marks each broken promise once, puts it in the leads' and the
assignee's queues, and tells them by e-mail (or any configured notifier) exactly once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail

from cases.dashboard.selectors import overdue_clocks_for
from cases.models import StepClock
from cases.services import case_step_complete
from cases.services.clocks import case_clocks_pause, clocks_mark_overdue, clocks_notify_overdue
from tests.clocks.conftest import kst

pytestmark = pytest.mark.django_db

AFTER_BATCH = kst(2025, 10, 2, 15, 0)  # payout (14:00) and manager_check (14:00) are overdue


def marked_codes(case) -> set[str]:
    return set(
        StepClock.objects.filter(case=case, overdue_marked_at__isnull=False).values_list(
            "step_code", flat=True
        )
    )


def test_the_job_marks_each_broken_promise_once(decided_case):
    case = decided_case()
    first = clocks_mark_overdue(now=AFTER_BATCH)
    assert len(first) == 2 and marked_codes(case) == {"payout", "manager_check"}
    assert clocks_mark_overdue(now=AFTER_BATCH) == []  # twice: nothing marked twice
    assert clocks_mark_overdue(now=kst(2025, 10, 2, 16, 0)) == []
    marks = StepClock.history.filter(history_change_reason="기한 초과 표시")
    assert marks.count() == 2 and {m.history_user_id for m in marks} == {None}
    assert set(
        StepClock.objects.filter(pk__in=first).values_list("overdue_marked_at", flat=True)
    ) == {AFTER_BATCH}
    # later, the next business day passes too (추석: Friday 10-10 18:00)
    assert len(clocks_mark_overdue(now=kst(2025, 10, 10, 18, 1))) == 1
    assert marked_codes(case) == {"payout", "manager_check", "ask_partner"}


def test_done_stopped_and_paused_clocks_are_never_marked(decided_case, staff):
    case = decided_case()
    case_step_complete(case=case, step_code="payout", actor=staff.agent, at=kst(2025, 10, 2, 13))
    case_clocks_pause(case=case, actor=staff.agent, at=kst(2025, 10, 2, 11))
    clocks_mark_overdue(now=kst(2025, 10, 20, 9, 0))
    # Paused at 11:00, within their time: ask_team, ask_partner, manager_check stand still
    # while the case waits on the customer. payout was done in time. The customer's own
    # deadline (dashcam) and the card refund ran on and are late by 10-20.
    assert marked_codes(case) == {"dashcam", "refund_window"}
    paused = StepClock.objects.filter(case=case, paused_at__isnull=False)
    assert set(paused.values_list("step_code", flat=True)) == {
        "ask_team",
        "ask_partner",
        "manager_check",
    }


def test_the_overdue_queues(decided_case, staff):
    mine = decided_case()  # decided (and so assigned) by staff.agent
    theirs = decided_case(actor=staff.agent_b)
    clocks_mark_overdue(now=AFTER_BATCH)
    everyone = overdue_clocks_for(user=staff.lead)
    assert {c.case_id for c in everyone} == {mine.pk, theirs.pk} and everyone.count() == 4
    assert overdue_clocks_for(user=staff.manager).count() == 4
    assert {c.case_id for c in overdue_clocks_for(user=staff.agent)} == {mine.pk}
    assert {c.case_id for c in overdue_clocks_for(user=staff.agent_b)} == {theirs.pk}
    assert overdue_clocks_for(user=staff.auditor).count() == 0
    assert overdue_clocks_for(user=staff.integration).count() == 0
    # done: it leaves the queue
    case_step_complete(case=mine, step_code="payout", actor=staff.agent, at=AFTER_BATCH)
    assert [c.step_code for c in overdue_clocks_for(user=staff.agent)] == ["manager_check"]


def test_notifications_go_to_the_assignee_and_the_leads_once(decided_case, staff):
    case = decided_case()
    clocks_mark_overdue(now=AFTER_BATCH)
    assert clocks_notify_overdue(now=AFTER_BATCH) == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    # the assignee, both leads; the manager for the manager-only step; nobody else
    assert set(by_recipient) == {
        "agent_a@kmcs.example",
        "lead@kmcs.example",
        "deputy@kmcs.example",
        "manager@kmcs.example",
    }
    assert all(m.from_email == settings.KMCS_NOTIFY_FROM_EMAIL for m in mail.outbox)
    agent_mail = by_recipient["agent_a@kmcs.example"]
    assert agent_mail.subject == "[KMCS] 기한 초과 단계 2건"
    assert f"/work/cases/{case.pk}/" in agent_mail.body and "지급 건 생성" in agent_mail.body
    assert "2025-10-02 14:00" in agent_mail.body
    assert "담당자 확인" in by_recipient["manager@kmcs.example"].body
    assert "지급 건 생성" not in by_recipient["manager@kmcs.example"].body
    # run again: nothing new, no second e-mail
    clocks_mark_overdue(now=AFTER_BATCH)
    assert clocks_notify_overdue(now=AFTER_BATCH) == 0
    assert len(mail.outbox) == 4


class BrokenNotifier:
    def send(self, notices):
        raise ConnectionError("SMTP 서버에 연결할 수 없습니다")


class RecordingNotifier:
    sent: list = []

    def send(self, notices):
        type(self).sent.append([(n.username, [i.step_label for i in n.items]) for n in notices])


def test_a_failed_notification_is_tried_again_by_the_next_run(decided_case, settings):
    decided_case()
    clocks_mark_overdue(now=AFTER_BATCH)
    settings.KMCS_OVERDUE_NOTIFIER = "tests.clocks.test_overdue_job.BrokenNotifier"
    assert clocks_notify_overdue(now=AFTER_BATCH) == 0
    assert StepClock.objects.filter(notified_at__isnull=False).count() == 0
    settings.KMCS_OVERDUE_NOTIFIER = "tests.clocks.test_overdue_job.RecordingNotifier"
    RecordingNotifier.sent = []
    assert clocks_notify_overdue(now=AFTER_BATCH) == 2
    (batch,) = RecordingNotifier.sent
    assert ("agent_a", ["5. 지급 건 생성", "7. 담당자 확인"]) in batch
    assert mail.outbox == []  # the pluggable notifier replaced e-mail


def test_the_beat_task_is_scheduled_and_idempotent(decided_case):
    from cases.tasks import clocks_mark_overdue as task
    from kmcs_site.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["cases-clocks-mark-overdue"]
    assert entry["task"] == "cases.tasks.clocks_mark_overdue"
    assert entry["task"] in app.tasks
    decided_case(at=kst(2024, 1, 2, 10, 0))  # long overdue by now
    first = task.apply().get()
    second = task.apply().get()
    assert first == {"marked": 6, "notified": 6}
    assert second == {"marked": 0, "notified": 0}
