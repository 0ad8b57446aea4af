"""Issue #12: the fine-notice image upload.

- Stored XSS: a real GIF whose comment block holds HTML, uploaded as ``notice.html``, was kept
  with the client's extension and served inline as ``text/html`` to the manager.
- A decompression-bomb PNG (tiny file, huge declared size) answered 500.
- A failed intake left the uploaded image (personal data) on disk with no row pointing at it.

Everything goes through the agent's real intake form (``/admin/fines/finenotice/add/``) and the
manager's real image URL.
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fines.models import FineNotice
from tests.security.conftest import ACCOUNT, SEOUL

pytestmark = pytest.mark.django_db

XSS = b"<html><body><script>alert(document.cookie)</script></body></html>"
RIDE_START = (37.4979, 127.0276)
RIDE_MID = (37.5020, 127.0380)
RIDE_END = (37.5045, 127.0490)
BUSAN = (35.1796, 129.0756)


def xss_gif() -> bytes:
    """A GIF Pillow accepts (it decodes and verifies) with the HTML in its comment block."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("P", (4, 4), 1).save(buffer, format="GIF", comment=XSS)
    data = buffer.getvalue()
    assert XSS in data
    return data


def png_with_size(width: int, height: int) -> bytes:
    """A valid 8x8 PNG whose IHDR then declares ``width`` x ``height``: a few hundred bytes
    that would decode to gigabytes (a decompression bomb)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    body = bytes(data[ihdr : ihdr + 4 + 13])
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return bytes(data)


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def ride(people):
    from fines.services import ride_upsert

    return ride_upsert(
        call_id="712001",
        actor=people["agent"],
        started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
        ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
        start_lat=RIDE_START[0],
        start_lng=RIDE_START[1],
        end_lat=RIDE_END[0],
        end_lng=RIDE_END[1],
        path=[list(RIDE_START), list(RIDE_MID), list(RIDE_END)],
        driver_id="drv-7120",
        driver_name="김기사",
        driver_phone="010-0000-7120",
        fare=25000,
    )


def form_data(upload, **over) -> dict:
    """What the agent types into the intake form for the ride above."""
    data = {
        "call_id": "712001",
        "call_type": "own",
        "notice_type": "fine",
        "violation_kind": "general",
        "violation_at": "2024-06-15 22:20",
        "violation_place": "서울 강남구 테헤란로",
        "violation_lat": RIDE_MID[0],
        "violation_lng": RIDE_MID[1],
        "notice_issued_on": "2024-06-20",
        "amount": 40000,
        "bank": "088",
        "account_number": ACCOUNT,
        "account_holder": "홍길동",
        "customer_phone": "010-0000-7121",
    }
    data.update(over)
    if upload is not None:
        data["notice_image"] = upload
    return data


def post_intake(client, upload, **over):
    return client.post(reverse("admin:fines_finenotice_add"), form_data(upload, **over))


def html_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("notice.html", xss_gif(), content_type="text/html")


# --- stored XSS ---------------------------------------------------------------------------------
def test_html_named_gif_is_stored_under_a_generated_gif_name(people, client_for, ride):
    response = post_intake(client_for(people["agent"]), html_upload())
    assert response.status_code == 302, response.content.decode()[-1500:]
    notice = FineNotice.objects.get()
    name = Path(notice.notice_image.name).name
    assert name.endswith(".gif"), name
    assert "html" not in notice.notice_image.name.lower()
    assert "notice" not in name  # the client's name is never kept
    with notice.notice_image.open("rb") as stored:
        assert stored.read() == xss_gif()


@pytest.mark.parametrize("role", ["manager", "team_lead", "agent"])
def test_notice_image_is_served_as_the_stored_image_type(people, client_for, ride, role):
    post_intake(client_for(people["agent"]), html_upload())
    notice = FineNotice.objects.get()
    url = reverse("admin:fines_finenotice_image", args=[notice.pk])
    response = client_for(people[role]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline") and disposition.endswith('.gif"'), disposition
    assert "html" not in disposition
    assert b"".join(response.streaming_content) == xss_gif()


def _legacy_notice(people, ride, name: str, content: bytes) -> FineNotice:
    """A notice stored before the fix: the client's extension kept on disk."""
    post_intake(_client(people["agent"]), None)
    notice = FineNotice.objects.get()
    stored = notice.notice_image.storage.save(f"fines/notices/712001/{name}", ContentFile(content))
    FineNotice.objects.filter(pk=notice.pk).update(notice_image=stored)
    notice.refresh_from_db()
    return notice


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_legacy_html_named_image_is_still_served_as_an_image(people, ride):
    notice = _legacy_notice(people, ride, "a1b2.html", xss_gif())
    response = _client(people["manager"]).get(
        reverse("admin:fines_finenotice_image", args=[notice.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "html" not in response["Content-Disposition"]


def test_a_stored_file_that_is_not_an_image_is_only_ever_downloaded(people, ride):
    notice = _legacy_notice(people, ride, "a1b2.html", XSS)
    response = _client(people["manager"]).get(
        reverse("admin:fines_finenotice_image", args=[notice.pk])
    )
    assert response.status_code == 200
    assert "html" not in response["Content-Type"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "html" not in response["Content-Disposition"]


# --- decompression bomb -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "size",
    [
        (20_000, 20_000),  # 400 Mpx: Pillow's own DecompressionBombError
        (9_000, 9_000),  # 81 Mpx: under Pillow's limit, over ours
    ],
)
def test_decompression_bomb_png_is_a_korean_form_error(people, client_for, ride, settings, size):
    bomb = SimpleUploadedFile("bomb.png", png_with_size(*size), content_type="image/png")
    response = post_intake(client_for(people["agent"]), bomb)
    assert response.status_code == 200
    html = response.content.decode()
    assert "이미지가 너무 큽니다" in html
    assert not FineNotice.objects.exists()
    assert media_files(settings) == []


def test_the_service_refuses_a_bomb_with_facts_invalid(people, ride):
    from cases.exceptions import FactsInvalid
    from fines.services import fine_intake
    from tests.security.conftest import fine_facts

    with pytest.raises(FactsInvalid) as caught:
        fine_intake(
            facts=fine_facts("712001"),
            actor=people["agent"],
            notice_image=SimpleUploadedFile("b.png", png_with_size(20_000, 20_000)),
            customer_phone="010-0000-7121",
        )
    assert "notice_image" in caught.value.errors


# --- no orphaned personal data ------------------------------------------------------------------
def test_a_repeated_notice_of_an_open_case_leaves_no_file(people, ride, settings):
    """The first notice's case is still open (taken in, not decided yet); the agent enters the
    same notice again: the service stores nothing (it points at the open case), after the image
    was already written. That image must not stay on disk. (Since seed 004's place/time
    mismatch is decided at intake as 담당자 이관, an open first case is one taken in without a
    decision.)"""
    from fines.services import fine_intake
    from tests.security.conftest import fine_facts

    def enter(name: str, **extra):
        return fine_intake(
            facts=fine_facts("712001"),
            actor=people["agent"],
            notice_image=SimpleUploadedFile(name, xss_gif()),
            customer_phone="010-0000-7121",
            **extra,
        )

    first = enter("a.gif", decide=False)
    assert first.created and first.case.status == "new"
    kept = media_files(settings)
    assert len(kept) == 1
    second = enter("b.gif")
    assert not second.created and second.case == first.case
    assert FineNotice.objects.count() == 1
    assert media_files(settings) == kept


def test_a_replayed_intake_leaves_no_file(people, ride, settings):
    from fines.services import fine_intake
    from tests.security.conftest import fine_facts

    def once():
        return fine_intake(
            facts=fine_facts("712001", violation_lat=BUSAN[0], violation_lng=BUSAN[1]),
            actor=people["agent"],
            notice_image=SimpleUploadedFile("n.gif", xss_gif()),
            customer_phone="010-0000-7121",
            idempotency_key="fine-712001-a",
        )

    assert once().created
    kept = media_files(settings)
    replay = once()
    assert not replay.created
    assert media_files(settings) == kept


def test_an_error_after_the_file_was_written_leaves_no_file(
    people, client_for, ride, settings, monkeypatch
):
    from cases.exceptions import FactsInvalid
    from fines.services import intake

    def broken(*args, **kwargs):
        raise FactsInvalid({"amount": ["금액을 확인해 주세요."]})

    monkeypatch.setattr(intake, "propose_for", broken)
    response = post_intake(client_for(people["agent"]), html_upload())
    assert response.status_code == 200
    assert "금액을 확인해 주세요." in response.content.decode()
    assert not FineNotice.objects.exists()
    assert media_files(settings) == []
