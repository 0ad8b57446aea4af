"""Issue 15 A.3: the payout batch runs at the batch time in force (rules.CenterSettings). The
beat fires every few minutes; the task itself checks the time, so a lead's change in the admin
moves the run without a restart, and it runs once per Seoul day."""

from datetime import datetime, time

import pytest
from django.conf import settings
from django.urls import reverse

from fines import services
from fines.gateways import RecordingTransferGateway
from fines.models import PayoutBatch, PayoutStatus
from rules.models import CenterSettings
from tests.fines.conftest import SEOUL

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_gateway():
    RecordingTransferGateway.calls.clear()
    yield
    RecordingTransferGateway.calls.clear()


def seoul(day, hh, mm=0):
    return datetime(2024, 6, day, hh, mm, tzinfo=SEOUL)


def test_beat_fires_every_few_minutes_not_at_a_fixed_time():
    entry = settings.CELERY_BEAT_SCHEDULE["fines-payout-batch"]
    assert entry["task"] == "fines.tasks.payout_batch_tick"
    minutes = entry["schedule"].minute
    assert len(minutes) >= 12 and len(entry["schedule"].hour) == 24


def test_tick_waits_for_the_batch_time_in_force_and_runs_once_a_day(intake):
    payout = intake(at=seoul(17, 10, 0)).payout
    assert services.payout_batch_tick(at=seoul(17, 13, 55)) is None
    report = services.payout_batch_tick(at=seoul(17, 14, 0))
    assert report.paid == [payout.pk]
    assert services.payout_batch_tick(at=seoul(17, 14, 5)) is None
    assert services.payout_batch_tick(at=seoul(17, 23, 55)) is None
    assert PayoutBatch.objects.get().runs == 1
    assert len(RecordingTransferGateway.calls) == 1


def test_lead_moves_the_batch_time_in_the_admin_and_the_next_tick_follows(
    client, make_user, intake
):
    from tests.rules.test_center_settings import form

    lead = make_user("team_lead", username="lead_batch")
    client.force_login(lead)
    row = CenterSettings.objects.get()
    response = client.post(
        reverse("admin:rules_centersettings_change", args=[row.pk]),
        form(row, payout_batch_time="15:30", payout_cutoff="15:00"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payout = intake(at=seoul(17, 14, 30)).payout  # before the new 15:00 cutoff: today
    assert payout.scheduled_at == seoul(17, 15, 30)
    assert services.payout_batch_tick(at=seoul(17, 14, 0)) is None  # the old time: no run
    assert services.payout_batch_tick(at=seoul(17, 15, 25)) is None
    assert services.payout_batch_tick(at=seoul(17, 15, 30)).paid == [payout.pk]
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert row.history.order_by("-history_id").first().payout_batch_time == time(15, 30)


def test_batch_time_moved_earlier_still_pays_what_was_promised_for_today(intake):
    payout = intake(at=seoul(17, 10, 0)).payout
    assert payout.scheduled_at == seoul(17, 14)
    CenterSettings.objects.update(payout_batch_time=time(13, 0))
    assert services.payout_batch_tick(at=seoul(17, 13, 0)).paid == [payout.pk]
