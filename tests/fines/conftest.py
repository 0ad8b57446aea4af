"""Fixtures of the fines tests: staff per role, a ride, a notice image, a facts factory, and a
helper that takes a fine in through ``fines.services.fine_intake`` like the agent form does."""

from __future__ import annotations

import io
import itertools
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

SEOUL = ZoneInfo("Asia/Seoul")
#: A Monday morning: before the 14:00 cutoff.
AT = datetime(2024, 6, 17, 10, 0, tzinfo=SEOUL)
CUSTOMER_PHONE = "010-0000-1234"
DRIVER_PHONE = "010-0000-5678"
#: Fake account (Shinhan: 12 digits). Not a real account.
ACCOUNT = "110-000-123456"
#: The ride: Gangnam station -> Seolleung, 2024-06-15 22:00-22:40.
RIDE_START = (37.4979, 127.0276)
RIDE_MID = (37.5020, 127.0380)
RIDE_END = (37.5045, 127.0490)


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def notice_image(name: str = "notice.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(make_user):
    """One user per role; both agents work the driver service (they may take fine cases)."""
    from cases.services import staff_profile_set_services

    people = SimpleNamespace(
        agent=make_user("agent", username="fine_agent"),
        agent_b=make_user("agent", username="fine_agent_b"),
        lead=make_user("team_lead", username="fine_lead"),
        deputy=make_user("deputy_lead", username="fine_deputy"),
        manager=make_user("manager", username="fine_manager"),
        auditor=make_user("auditor", username="fine_auditor"),
    )
    for user in (people.agent, people.agent_b):
        staff_profile_set_services(user=user, services=["driver"], actor=people.lead)
    return people


@pytest.fixture
def ride(staff):
    from fines.services import ride_upsert

    return ride_upsert(
        call_id="700001",
        actor=staff.agent,
        started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
        ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
        start_lat=RIDE_START[0],
        start_lng=RIDE_START[1],
        end_lat=RIDE_END[0],
        end_lng=RIDE_END[1],
        path=[list(RIDE_START), list(RIDE_MID), list(RIDE_END)],
        driver_id="drv-0001",
        driver_name="김기사",
        driver_phone=DRIVER_PHONE,
        fare=25000,
    )


_calls = itertools.count(800_001)


def fine_facts(**overrides) -> dict:
    """A complete general fine of the ride above (a speed camera mid-route)."""
    facts = {
        "call_id": "700001",
        "call_type": "own",
        "notice_type": "fine",
        "violation_kind": "general",
        "bank": "088",
        "account_number": ACCOUNT,
        "account_holder": "홍길동",
        "violation_at": "2024-06-15T22:20:00+09:00",
        "violation_place": "서울 강남구 테헤란로",
        "violation_lat": RIDE_MID[0],
        "violation_lng": RIDE_MID[1],
        "notice_issued_on": "2024-06-20",
        "amount": 40000,
    }
    facts.update(overrides)
    return facts


@pytest.fixture
def intake(staff, ride):
    """intake(**fact_overrides, actor=..., image=True, at=...) -> FineIntakeResult."""
    from fines.services import fine_intake

    def _intake(*, actor=None, image=True, at=AT, decide=True, **overrides):
        kwargs = {}
        for key in ("customer_phone", "driver_phone", "idempotency_key", "channel"):
            if key in overrides:
                kwargs[key] = overrides.pop(key)
        kwargs.setdefault("customer_phone", CUSTOMER_PHONE)
        return fine_intake(
            facts=fine_facts(**overrides),
            actor=actor or staff.agent,
            notice_image=notice_image() if image else None,
            at=at,
            decide=decide,
            **kwargs,
        )

    return _intake
