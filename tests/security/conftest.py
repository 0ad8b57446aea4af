"""Fixtures of the security tests: one user per role (plus a second agent), and a *world* with
at least one row of every model the admin shows, made through the services people use.

Personal data in the world is distinctive on purpose, so a page that leaks it is caught by a
plain substring search: the hidden middle digits of the phones (9876, 8765) and the middle of
the account number (987654) appear nowhere else.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kmcs_site.permissions import Role

SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 6, 17, 10, 0, tzinfo=SEOUL)  # a Monday, before the 14:00 cutoff

CUSTOMER_PHONE = "010-9876-5432"
DRIVER_PHONE = "010-8765-4321"
ACCOUNT = "110-987-654321"  # Shinhan (088), 12 digits; a made-up number

#: Substrings that only a full (unmasked) phone or account number contains.
SECRETS = (
    "010-9876",
    "0109876",
    "9876-5432",
    "98765432",
    "010-8765",
    "0108765",
    "8765-4321",
    "87654321",
    "987654",
    "110-987",
    "110987",
)

ROLES = (*[role.value for role in Role], "anonymous")


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(make_user):
    """role -> user (every role of kmcs_site.permissions.Role), "anonymous" -> None, and
    "agent_b": a second agent working the same services (object-level checks)."""
    from cases.services import staff_profile_set_services

    users = {role.value: make_user(role.value, username=f"sec_{role.value}") for role in Role}
    users["agent_b"] = make_user("agent", username="sec_agent_b")
    users["anonymous"] = None
    for name in ("agent", "agent_b"):
        staff_profile_set_services(
            user=users[name], services=["parking", "driver", "ev"], actor=users["team_lead"]
        )
    return users


@pytest.fixture
def client_for():
    def _client(user, **kwargs) -> Client:
        client = Client(**kwargs)
        if user is not None:
            client.force_login(user)
        return client

    return _client


def nonride_facts(call_id: str) -> dict:
    """driver_nonride_cancel facts the playbook approves (0.0 km, same point)."""
    return {
        "received_on": "2024-06-17",
        "driver_id": "drv-9001",
        "call_id": call_id,
        "already_cancelled": False,
        "has_open_duplicate": False,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "cancel_reason_recorded": False,
        "fare_amount": 15000,
        "called_on": "2024-06-16",
        "origin": "강남역",
        "ob_unreachable": False,
    }


def fine_facts(call_id: str, **over) -> dict:
    facts = {
        "call_id": call_id,
        "call_type": "own",
        "notice_type": "fine",
        "violation_kind": "general",
        "bank": "088",
        "account_number": ACCOUNT,
        "account_holder": "홍길동",
        "violation_at": "2024-06-15T22:20:00+09:00",
        "violation_place": "서울 강남구 테헤란로",
        "notice_issued_on": "2024-06-20",
        "amount": 40000,
    }
    facts.update(over)
    return facts


@pytest.fixture
def make_case(people):
    from cases.services import case_assign, case_create

    counter = iter(range(930_001, 939_999))

    def _make(*, assignee=None, call_id=None):
        result = case_create(
            playbook="driver_nonride_cancel",
            facts=nonride_facts(call_id or str(next(counter))),
            channel="chatbot_board",
            actor=people["agent"],
            customer_phone=CUSTOMER_PHONE,
            driver_phone=DRIVER_PHONE,
            driver_id="drv-9001",
            at=AT,
        )
        assert result.created, result.message
        if assignee is not None:
            case_assign(case=result.case, assignee=assignee, actor=people["team_lead"], at=AT)
        return result.case

    return _make


@pytest.fixture
def world(people, make_case):
    """At least one row of every admin model, each written by the service that owns it."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from knox.models import AuthToken

    from cases.services import case_decide, case_phone_unmask
    from fines import services as fines
    from templates_app.models import OutboundMessage

    lead, manager, agent = people["team_lead"], people["manager"], people["agent"]
    case = make_case(assignee=agent)  # the matrix's "agent" works this one
    case_decide(case=case, actor=agent, at=AT)  # SMS to driver and customer -> the outbox
    case_b = make_case(assignee=people["agent_b"])  # agent A must not learn it exists
    case_phone_unmask(case=case, actor=lead, field="customer_phone", reason="본인 확인 요청")
    from cases.services.emails import case_email_send

    # A case mail (issue 16): the CaseEmail admin's row (queued; never sent in tests).
    case_email_send(
        case=case, actor=agent, to=["ops@partner.example"], subject="확인 요청", body="확인 부탁"
    )

    # A case attachment (issue 14.4): the download views' object.
    from cases.services.attachments import case_attachment_add

    attachment = case_attachment_add(
        case=case,
        actor=agent,
        upload=SimpleUploadedFile("capture.png", png_bytes(), content_type="image/png"),
        kind="other",
    ).attachment

    ride = fines.ride_upsert(
        call_id="930500",
        actor=agent,
        started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
        ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
        driver_id="drv-9001",
        driver_name="김기사",
        driver_phone=DRIVER_PHONE,
        fare=25000,
    )
    fine = fines.fine_intake(
        facts=fine_facts("930500"),
        actor=agent,
        notice_image=SimpleUploadedFile("notice.png", png_bytes(), content_type="image/png"),
        customer_phone=CUSTOMER_PHONE,
        driver_phone=DRIVER_PHONE,
        at=AT,
    )
    assert fine.payout is not None, fine.message
    fines.payout_batch_run(at=AT.replace(hour=14))
    fines.account_reveal(actor=lead, reason="입금 확인", payout=fine.payout)
    parking = fines.fine_intake(
        facts=fine_facts(
            "930501", violation_kind="parking_enforcement", violation_at="2024-06-15T23:10:00+09:00"
        ),
        actor=agent,
        notice_image=SimpleUploadedFile("notice2.png", png_bytes(), content_type="image/png"),
        customer_phone=CUSTOMER_PHONE,
        at=AT,
    )
    dispute = fines.dispute_open(
        notice=parking.notice, actor=manager, driver_claim="주차한 적 없음", at=AT
    )

    # Reference data loaded by the migrations has no history row yet: a lead edits one of
    # each, through the services the admin calls, so every history page has a version to open.
    from cases.models import Campaign, ConsultationType
    from cases.services import campaign_save, consultation_type_set_active
    from partners import services as partners
    from partners.models import Channel, Contact, Partner, Route, Site

    for model, update in (
        (Partner, partners.partner_update),
        (Site, partners.site_update),
        (Channel, partners.channel_update),
        (Contact, partners.contact_update),
        (Route, partners.route_update),
    ):
        row = model.objects.order_by("pk").first()
        update(**{model._meta.model_name: row}, actor=lead, notes=f"{row.notes} (확인)".strip())
    leaf = ConsultationType.objects.filter(is_leaf=True, is_active=True).order_by("pk").last()
    consultation_type_set_active(node=leaf, is_active=False, actor=lead)
    consultation_type_set_active(node=leaf, is_active=True, actor=lead)
    campaign = Campaign.objects.order_by("pk").first()
    campaign.ends_on += timedelta(days=7)
    campaign_save(campaign=campaign, actor=lead)

    AuthToken.objects.create(user=people["integration"])
    # django-axes' own rows (written by its login signal handlers in real life).
    at = AT + timedelta(days=1)
    common = {"user_agent": "pytest", "ip_address": "127.0.0.9", "username": "sec_agent"}
    AccessAttempt.objects.create(
        **common,
        http_accept="*/*",
        path_info="/accounts/login/",
        attempt_time=at,
        failures_since_start=1,
    )
    AccessLog.objects.create(
        **common, http_accept="*/*", path_info="/accounts/login/", attempt_time=at
    )
    AccessFailureLog.objects.create(
        **common, http_accept="*/*", path_info="/accounts/login/", attempt_time=at, locked_out=False
    )
    assert OutboundMessage.objects.filter(object_id=case.pk).exists()
    return SimpleNamespace(
        case=case,
        case_b=case_b,
        attachment=attachment,
        ride=ride,
        notice=fine.notice,
        payout=fine.payout,
        parking_notice=parking.notice,
        dispute=dispute,
    )
