"""The notice image a fine intake takes in is the filed case's 과태료 고지서 attachment
(issue 14.4): one stored file, on the case page for whoever works the case, none for another
agent, and ``has_notice_image`` agrees with the attachments. A refused image stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.exceptions import FactsInvalid
from cases.models import CaseAttachment
from tests.fines.test_intake import nothing_stored

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def media(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_intake_with_an_image_gives_the_case_exactly_one_fine_notice_attachment(
    intake, staff, settings
):
    from cases.services import case_assign

    result = intake(decide=False)
    case, notice = result.case, result.notice
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.kind == "fine_notice" and attachment.detected_format == "PNG"
    assert attachment.get_kind_display() == "과태료 고지서"
    assert attachment.file.name == notice.notice_image.name
    assert media(settings) == [Path(settings.MEDIA_ROOT) / notice.notice_image.name]
    case.refresh_from_db()
    assert case.facts["has_notice_image"] is True

    case_assign(case=case, assignee=staff.agent, actor=staff.lead)
    page = client_for(staff.agent).get(reverse("workspace:case", kwargs={"case_id": case.pk}))
    assert page.status_code == 200
    kwargs = {"case_id": case.pk, "attachment_id": attachment.pk}
    file_url = reverse("workspace:case_attachment", kwargs=kwargs)
    assert file_url in page.content.decode()
    assert client_for(staff.agent).get(file_url).status_code == 200
    assert client_for(staff.agent_b).get(file_url).status_code == 404


def test_a_decided_intake_keeps_the_attachment(intake):
    result = intake()
    assert result.created
    assert list(result.case.attachments.values_list("kind", flat=True)) == ["fine_notice"]


def test_intake_without_an_image_attaches_nothing(intake, settings):
    result = intake(image=False, amount=None)
    assert not result.case.attachments.exists()
    assert result.case.facts.get("has_notice_image") in (None, False)
    assert media(settings) == []


def test_a_bad_image_is_a_korean_error_and_nothing_is_stored(staff, ride, settings):
    from fines.services import fine_intake
    from tests.fines.conftest import CUSTOMER_PHONE, fine_facts

    fake = SimpleUploadedFile("notice.png", b"GIF89a not really", content_type="image/png")
    with pytest.raises(FactsInvalid) as info:
        fine_intake(
            facts=fine_facts(), actor=staff.agent, notice_image=fake, customer_phone=CUSTOMER_PHONE
        )
    assert "고지서 이미지가 아닙니다" in " ".join(info.value.errors["notice_image"])
    assert nothing_stored() and not CaseAttachment.objects.exists()
    assert media(settings) == []


def test_an_error_after_the_attachment_leaves_no_row_and_no_file(intake, settings, monkeypatch):
    from fines.services import decisions

    def broken(**kwargs):
        raise FactsInvalid({"amount": ["금액을 확인해 주세요."]})

    monkeypatch.setattr(decisions, "fine_decide", broken)
    with pytest.raises(FactsInvalid):
        intake()
    assert nothing_stored() and not CaseAttachment.objects.exists()
    assert media(settings) == []


def test_the_same_notice_twice_while_open_stores_one_attachment(intake, settings):
    first = intake(decide=False)
    second = intake()
    assert not second.created and second.case == first.case
    assert CaseAttachment.objects.count() == 1
    assert len(media(settings)) == 1
