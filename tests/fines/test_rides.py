"""Ride records (entered or imported), re-running the evidence check, and a board-created
traffic_fine case completed by the agent's intake."""

import json

import pytest
from django.core.management import CommandError, call_command

from cases.exceptions import ActionNotAllowed
from fines import services
from fines.models import FineNotice, Ride
from tests.fines.conftest import AT, CUSTOMER_PHONE, DRIVER_PHONE, fine_facts, notice_image

pytestmark = pytest.mark.django_db


def test_import_command_upserts_rides(tmp_path, staff):
    path = tmp_path / "rides.csv"
    path.write_text(
        "call_id,started_at,ended_at,end_lat,end_lng,path,driver_name,fare\n"
        "710001,2024-06-15T22:00:00+09:00,2024-06-15T22:40:00+09:00,37.5045,127.049,"
        f'"{json.dumps([[37.4979, 127.0276], [37.5045, 127.049]])}",김기사,25000\n'
        "710002,2024-06-15T23:00:00+09:00,,,,,,\n",
        encoding="utf-8",
    )
    call_command("import_rides", str(path), as_user=staff.agent.username)
    ride = Ride.objects.get(call_id="710001")
    assert ride.fare == 25000 and ride.path[-1] == [37.5045, 127.049]
    assert ride.source == "import" and ride.trace().end == (37.5045, 127.049)
    call_command("import_rides", str(path), as_user=staff.agent.username)  # re-runnable
    assert Ride.objects.count() == 2


def test_import_reports_bad_rows_and_keeps_good_ones(tmp_path, staff):
    path = tmp_path / "rides.csv"
    path.write_text(
        "call_id,started_at,ended_at\n"
        "710003,2024-06-15T22:00:00+09:00,2024-06-15T22:40:00+09:00\n"
        "71000X,2024-06-15T22:00:00+09:00,2024-06-15T22:40:00+09:00\n"
        "710004,2024-06-15T22:40:00+09:00,2024-06-15T22:00:00+09:00\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="2행"):
        call_command("import_rides", str(path), as_user=staff.agent.username)
    assert list(Ride.objects.values_list("call_id", flat=True)) == ["710003"]


def test_manual_correction_of_a_ride_is_for_leads(staff, ride):
    with pytest.raises(ActionNotAllowed):
        services.ride_upsert(call_id=ride.call_id, actor=staff.agent, fare=1)
    services.ride_upsert(call_id=ride.call_id, actor=staff.lead, fare=1)
    ride.refresh_from_db()
    assert ride.fare == 1


def test_evidence_recheck_after_the_ride_arrives(staff):
    result = services.fine_intake(
        facts=fine_facts(call_id="720001"),
        actor=staff.agent,
        notice_image=notice_image(),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    assert result.notice.evidence_result == "unknown"
    services.ride_upsert(
        call_id="720001",
        actor=staff.agent,
        source="import",
        started_at="2024-06-15T22:00:00+09:00",
        ended_at="2024-06-15T22:40:00+09:00",
        path=[[37.4979, 127.0276], [37.5020, 127.0380], [37.5045, 127.0490]],
    )
    notice = services.notice_evidence_recheck(notice=result.notice, actor=staff.agent)
    assert notice.evidence_result == "pass" and notice.ride.call_id == "720001"


def test_agent_completes_a_case_the_chatbot_board_created(staff, ride, make_user):
    from cases.services import case_create

    board = make_user("integration", username="chatbot")
    opened = case_create(
        playbook="traffic_fine",
        facts={"call_id": "700001"},
        channel="chatbot_board",
        actor=board,
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    ).case
    result = services.fine_intake(
        facts=fine_facts(),
        actor=staff.agent,
        notice_image=notice_image(),
        customer_phone=CUSTOMER_PHONE,
        at=AT,
    )
    assert result.case.pk == opened.pk and result.created
    assert result.outcome == "payout" and result.payout is not None
    assert FineNotice.objects.get().case_id == opened.pk
    opened.refresh_from_db()
    assert opened.business_key.startswith("700001:")  # re-keyed to call ID + violation minute
