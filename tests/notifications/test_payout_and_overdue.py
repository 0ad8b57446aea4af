"""'지급 승인 요청' goes to the leads and managers who may approve (never the creator);
'처리 기한 초과' goes to the assignee once per step, however often the overdue job runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.models import Kind, Notification
from tests.fines.conftest import _media, intake, ride, staff  # noqa: F401
from tests.integrations.mail_support import ev_case, people  # noqa: F401

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


def test_a_manual_payout_tells_every_approver_but_its_creator(intake, staff):  # noqa: F811
    from fines import services

    result = intake(violation_kind="eco_parking", at=datetime(2024, 6, 17, 9, 0, tzinfo=SEOUL))
    Notification.objects.all().delete()
    payout = services.payout_create(
        notice=result.notice, actor=staff.manager, at=datetime(2024, 6, 17, 9, 5, tzinfo=SEOUL)
    )
    assert payout.status == "pending_approval"
    told = set(
        Notification.objects.filter(kind=Kind.PAYOUT_APPROVAL).values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {staff.lead.pk, staff.deputy.pk}  # the manager created it; agents never
    row = Notification.objects.filter(recipient=staff.lead).get()
    assert row.path == f"/admin/fines/finepayout/{payout.pk}/change/"
    assert f"#{payout.pk}" in row.title
    # the same create again (idempotent) tells nobody twice
    services.payout_create(notice=result.notice, actor=staff.manager)
    assert Notification.objects.filter(kind=Kind.PAYOUT_APPROVAL).count() == 2


def test_an_overdue_step_is_announced_once_to_its_assignee(ev_case, people):  # noqa: F811
    from cases.models import StepClock
    from cases.services.clocks import clocks_mark_overdue

    case = ev_case()
    clock = StepClock.objects.get(case=case, step_code="email_cpo")
    later = clock.due_at + timedelta(minutes=1)
    marked = clocks_mark_overdue(now=later)
    assert clock.pk in marked
    mine = Notification.objects.filter(recipient=people.agent, kind=Kind.STEP_OVERDUE)
    assert mine.count() == len(marked)  # one per overdue step of the case
    rows = mine.filter(dedupe_key=f"overdue:step:{clock.step_id}")
    row = rows.get()
    assert "CPO 메일문의" in row.title and row.path == f"/work/cases/{case.pk}/"
    # the job again, later: still one
    clocks_mark_overdue(now=later + timedelta(hours=1))
    assert rows.count() == 1 and mine.count() == len(marked)
    # the lead is not the assignee: not told in the app (the leads' overdue mail stays)
    assert not Notification.objects.filter(recipient=people.lead).exists()
