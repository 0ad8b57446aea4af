"""Case attachments (issue 14.4): the customer's evidence, checked by its bytes, on the case page
and in its log; the "첨부 여부" facts follow the attachments; downloads follow case visibility.

Bad input (a file that is not what its name says, too big, a decompression bomb) is refused with
a Korean message and leaves nothing: no row, no file in the storage, no fact changed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import CaseAttachment, FactRevision
from tests.security.test_upload_xss import png_with_size
from tests.workspace.conftest import messages_of

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(size=(40, 30), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    """Each test its own attachments storage (case ids repeat between tests)."""
    storages = {name: dict(conf) for name, conf in settings.STORAGES.items()}
    storages["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None},
    }
    settings.STORAGES = storages
    return tmp_path


def stored_files(attachment_root, case) -> list[Path]:
    root = Path(attachment_root) / "cases" / "attachments" / str(case.pk)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, case, data: bytes, name: str, kind="other", note=""):
    url = reverse("workspace:case_attachment_add", kwargs={"case_id": case.pk})
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(url, {"file": file, "kind": kind, "note": note})


def parking_case(staff, *, assigned=True, **over):
    from cases.services import case_assign, case_create
    from tests.cases.test_with_real_playbooks import _parking_facts

    facts = _parking_facts(
        reservation_history_attached=False, payment_history_attached=False, **over
    )
    result = case_create(
        playbook="parking_double_payment",
        facts=facts,
        channel="chat",
        actor=staff.parking_agent,
        references={"parking_payment_id": f"PP-{id(facts)}"},
    )
    assert result.created, result.message
    if assigned:
        case_assign(case=result.case, assignee=staff.parking_agent, actor=staff.lead)
    return result.case


def test_image_is_stored_with_a_thumbnail_shown_on_the_page_and_in_the_log(
    staff, make_case, client_for, attachment_root
):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    response = upload(client, case, png(), "앱 화면 캡처.png", note="고객 제출 캡처")
    assert response.status_code == 302
    attachment = CaseAttachment.objects.get(case=case)
    assert (attachment.kind, attachment.detected_format) == ("other", "PNG")
    assert attachment.file.name.endswith(".png") and "캡처" not in attachment.file.name
    assert attachment.thumbnail.name.endswith(".thumb.jpg")
    assert len(stored_files(attachment_root, case)) == 2
    assert attachment.history.get().history_user == staff.agent

    page = client.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    file_url = reverse(
        "workspace:case_attachment", kwargs={"case_id": case.pk, "attachment_id": attachment.pk}
    )
    thumb_url = reverse(
        "workspace:case_attachment_thumbnail",
        kwargs={"case_id": case.pk, "attachment_id": attachment.pk},
    )
    assert 'id="attachments"' in page and thumb_url in page
    timeline = page[page.index('id="timeline"') :]
    assert "첨부파일 추가: 기타 (PNG)" in timeline and file_url in timeline

    response = client.get(file_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert b"".join(response.streaming_content) == png()
    thumb = client.get(thumb_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    from PIL import Image

    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert image.format == "JPEG" and max(image.size) <= 320


def test_pdf_is_only_downloaded_and_has_no_thumbnail(staff, make_case, client_for):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    upload(client, case, PDF_BYTES, "receipt.pdf", kind="charging_receipt")
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.detected_format == "PDF" and not attachment.thumbnail
    kwargs = {"case_id": case.pk, "attachment_id": attachment.pk}
    response = client.get(reverse("workspace:case_attachment", kwargs=kwargs))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        client.get(reverse("workspace:case_attachment_thumbnail", kwargs=kwargs)).status_code == 404
    )


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("screenshot.png", b"<html><script>alert(1)</script></html>", "이미지나 PDF가 아닙니다"),
        ("receipt.pdf", None, "파일 이름(.pdf)과 실제 내용(PNG 이미지)이 다릅니다"),
        ("notice.jpg", PDF_BYTES, "파일 이름(.jpg)과 실제 내용(PDF)이 다릅니다"),
        ("bomb.png", "bomb", "첨부 이미지가 너무 큽니다"),
        ("big.png", "big", "첨부파일은 10KB 이하만 올릴 수 있습니다 (올린 파일 11KB)"),
        ("empty.png", b"", "파일이 비어있습니다"),
    ],
)
def test_bad_input_is_refused_in_korean_and_nothing_is_stored(
    staff, make_case, client_for, settings, attachment_root, name, data, expected
):
    settings.KMCS_ATTACHMENT_MAX_BYTES = 10 * 1024
    if data is None:
        data = png()
    elif data == "bomb":
        data = png_with_size(30_000, 30_000)
    elif data == "big":
        data = png(size=(400, 400)) + b"\0" * (settings.KMCS_ATTACHMENT_MAX_BYTES + 1)
    case = make_case(assignee=staff.agent)
    response = upload(client_for(staff.agent), case, data, name)
    assert response.status_code == 302
    assert any(expected in m for m in messages_of(response)), messages_of(response)
    assert not CaseAttachment.objects.filter(case=case).exists()
    assert not CaseAttachment.history.filter(case_id=case.pk).exists()
    assert stored_files(attachment_root, case) == []


def test_kind_sets_the_playbooks_attached_fact_and_the_proposal_follows(staff, client_for):
    case = parking_case(staff)
    assert case.proposal["outcome"] != "cancel_pass_payment"
    client = client_for(staff.parking_agent)
    upload(client, case, png(), "reservation.png", kind="reservation_history")
    case.refresh_from_db()
    assert case.facts["reservation_history_attached"] is True
    assert case.facts["payment_history_attached"] is False
    revision = FactRevision.objects.get(case=case)
    assert revision.note == "첨부파일 추가: 예약내역 (모두의주차장)"
    response = upload(client, case, png(color=(0, 0, 200)), "payment.png", kind="payment_history")
    assert any("제안을 다시 만들었습니다" in m for m in messages_of(response))
    case.refresh_from_db()
    assert case.facts["payment_history_attached"] is True
    assert case.proposal["outcome"] == "cancel_pass_payment"
    # A second file of a kind already counted adds the file, not another revision.
    upload(client, case, png(color=(0, 90, 0)), "payment2.png", kind="payment_history")
    assert FactRevision.objects.filter(case=case).count() == 2
    assert CaseAttachment.objects.filter(case=case).count() == 3
    # The facts form has no checkbox for them any more: they come from the attachments.
    page = client.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    assert 'name="rev-payment_history_attached"' not in page


def test_a_refused_fact_revision_stores_no_file(staff, client_for, attachment_root):
    """The attached fact is revised first: when the revision is refused (an agent on a case
    not assigned to them may work it but not revise it), the file is not kept either."""
    case = parking_case(staff, assigned=False)
    response = upload(
        client_for(staff.parking_agent), case, png(), "r.png", kind="reservation_history"
    )
    assert any("사실관계를 수정할 권한이 없습니다" in m for m in messages_of(response))
    assert not CaseAttachment.objects.filter(case=case).exists()
    assert stored_files(attachment_root, case) == []


def test_new_case_form_takes_the_evidence_instead_of_checkboxes(staff, client_for, settings):
    from tests.cases.test_with_real_playbooks import _parking_facts

    client = client_for(staff.parking_agent)
    url = reverse("workspace:case_create", kwargs={"playbook": "parking_double_payment"})
    page = client.get(url).content.decode()
    assert 'type="file" name="reservation_history_attached"' in page
    assert 'type="checkbox" name="reservation_history_attached"' not in page
    facts = {
        k: v
        for k, v in _parking_facts().items()
        if k not in ("reservation_history_attached", "payment_history_attached")
    }
    facts["entry_at"] = "2024-12-03T14:05"
    facts["exit_at"] = "2024-12-03T15:50"
    form = {
        "channel": "chat",
        "customer_phone": "010-0000-1234",
        "idempotency_key": "workspace:test-attach-1",
        **{k: ("on" if v is True else v) for k, v in facts.items()},
    }
    bad = dict(form, idempotency_key="workspace:test-attach-0")
    bad["reservation_history_attached"] = SimpleUploadedFile("r.png", b"not an image")
    response = client.post(url, bad)
    assert response.status_code == 200
    assert "첨부파일이 이미지나 PDF가 아닙니다" in response.content.decode()
    assert not CaseAttachment.objects.exists()

    form["reservation_history_attached"] = SimpleUploadedFile("r.png", png())
    form["payment_history_attached"] = SimpleUploadedFile("p.pdf", PDF_BYTES)
    response = client.post(url, form)
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "error" in line
    ]
    attachment = CaseAttachment.objects.select_related("case").get(kind="reservation_history")
    case = attachment.case
    assert case.facts["reservation_history_attached"] is True
    assert case.facts["payment_history_attached"] is True
    assert {a.kind for a in case.attachments.all()} == {"reservation_history", "payment_history"}


def test_downloads_follow_case_visibility(staff, make_case, client_for):
    mine = make_case(assignee=staff.agent)
    theirs = make_case(assignee=staff.agent_b)
    upload(client_for(staff.agent), mine, png(), "a.png")
    upload(client_for(staff.agent_b), theirs, png(), "b.png")
    a = CaseAttachment.objects.get(case=mine)
    b = CaseAttachment.objects.get(case=theirs)

    def get(user, case, attachment, name="workspace:case_attachment"):
        kwargs = {"case_id": case.pk, "attachment_id": attachment.pk}
        return client_for(user).get(reverse(name, kwargs=kwargs)).status_code

    assert get(staff.agent, mine, a) == 200
    assert get(staff.agent, theirs, b) == 404  # another agent's case: as if it did not exist
    assert get(staff.agent, theirs, b, "workspace:case_attachment_thumbnail") == 404
    assert get(staff.agent, mine, b) == 404  # no reaching b through a case I may see
    assert get(staff.auditor, theirs, b) == 200  # auditors read every case's record
    assert get(staff.integration, mine, a) == 403
    assert get(None, mine, a) == 302
    # Another agent may not attach to my case either (404: not visible).
    response = upload(client_for(staff.agent_b), mine, png(), "x.png")
    assert response.status_code == 404


def test_closed_case_takes_no_attachment(staff, make_case, client_for, attachment_root):
    from cases.services import case_force_close

    case = make_case(assignee=staff.agent)
    from cases.services import case_decide

    case_decide(case=case, actor=staff.agent)
    from cases.services import escalation_post_mark_posted

    for post in case.escalation_posts.all():
        link = f"https://agit.in/g/1/wall/{post.pk}"
        escalation_post_mark_posted(post=post, link_url=link, actor=staff.agent)
    case_force_close(case=case, reason="테스트 종결", actor=staff.lead)
    response = upload(client_for(staff.lead), case, png(), "a.png")
    assert any("종결된 케이스에는 파일을 첨부할 수 없습니다" in m for m in messages_of(response))
    assert stored_files(attachment_root, case) == []


def test_thumbnail_follows_the_photos_orientation_and_drops_its_metadata():
    """A phone photo stored sideways with EXIF orientation 6: the preview stands upright and
    carries no EXIF (location, device) of the original."""
    from PIL import Image

    from kmcs_site.uploads import make_thumbnail

    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° to display
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (255, 0, 0)).save(buffer, format="JPEG", exif=exif.tobytes())
    buffer.seek(0)
    with Image.open(io.BytesIO(make_thumbnail(buffer))) as preview:
        assert preview.size == (20, 40)
        assert dict(preview.getexif()) == {}


# --- the fine notice a fine intake takes in is the case's attachment ----------------------------
def _fine_intake(staff, image, **over):
    from fines.services import fine_intake
    from tests.fines.conftest import fine_facts

    return fine_intake(
        facts=fine_facts(call_id="790001", **over),
        actor=staff.agent,
        notice_image=image,
        customer_phone="010-0000-7901",
        decide=False,
    )


def test_fine_intake_notice_is_the_cases_one_attachment_on_page_and_timeline(
    staff, client_for, attachment_root
):
    from cases.services import case_assign

    result = _fine_intake(staff, SimpleUploadedFile("고지서.png", png(), content_type="image/png"))
    case, notice = result.case, result.notice
    case_assign(case=case, assignee=staff.agent, actor=staff.lead)
    attachment = CaseAttachment.objects.get(case=case)
    assert (attachment.kind, attachment.detected_format) == ("fine_notice", "PNG")
    # One stored file, recorded by the notice and by the attachment.
    assert attachment.file.name == notice.notice_image.name
    assert not attachment.thumbnail
    files = sorted(p for p in Path(attachment_root).rglob("*") if p.is_file())
    assert [p.name for p in files] == [Path(notice.notice_image.name).name]
    assert attachment.history.get().history_user == staff.agent
    case.refresh_from_db()
    assert case.facts["has_notice_image"] is True

    client = client_for(staff.agent)
    page = client.get(reverse("workspace:case", kwargs={"case_id": case.pk})).content.decode()
    kwargs = {"case_id": case.pk, "attachment_id": attachment.pk}
    file_url = reverse("workspace:case_attachment", kwargs=kwargs)
    thumb_url = reverse("workspace:case_attachment_thumbnail", kwargs=kwargs)
    assert thumb_url in page[page.index('id="attachments"') :]
    timeline = page[page.index('id="timeline"') :]
    assert "첨부파일 추가: 과태료 고지서 (PNG)" in timeline and file_url in timeline
    response = client.get(file_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png()
    thumb = client.get(thumb_url)  # made in memory: nothing more is written
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    from PIL import Image

    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert image.format == "JPEG"
    assert len([p for p in Path(attachment_root).rglob("*") if p.is_file()]) == 1

    other = client_for(staff.agent_b)
    assert other.get(file_url).status_code == 404
    assert other.get(thumb_url).status_code == 404
    assert other.get(reverse("workspace:case", kwargs={"case_id": case.pk})).status_code == 404


def test_fine_intake_with_a_bad_notice_stores_nothing(staff, attachment_root, settings):
    from cases.exceptions import FactsInvalid
    from cases.models import Case
    from fines.models import FineNotice

    settings.KMCS_ATTACHMENT_MAX_PIXELS = 100  # the attachments' limit holds for a notice too
    with pytest.raises(FactsInvalid) as caught:
        _fine_intake(staff, SimpleUploadedFile("n.png", png(), content_type="image/png"))
    assert "첨부 이미지가 너무 큽니다" in " ".join(caught.value.errors["notice_image"])
    assert not (Case.objects.exists() or FineNotice.objects.exists())
    assert not CaseAttachment.objects.exists()
    assert [p for p in Path(attachment_root).rglob("*") if p.is_file()] == []


def test_demo_cases_attach_the_file_each_true_attached_fact_claims(db, attachment_root):
    """The demo data claims no document it does not have: every "첨부 여부" fact that is true
    on a demo case has an attachment of its kind, a small generated fake file that passes the
    same checks; a second run stores nothing more."""
    from django.core.management import call_command

    from cases.attachments import ATTACHMENT_FACTS
    from cases.models import Case
    from kmcs_site.demo_data import demo_plan

    class Null:
        def write(self, *args, **kwargs):
            pass

        def flush(self):
            pass

    call_command("kmcs_demo_users", force=True, password="pw-demo-1234", stdout=Null())
    call_command("kmcs_demo_cases", force=True, stdout=Null(), stderr=Null())
    assert Case.objects.count() == len(demo_plan())  # no demo case skipped
    claimed = 0
    for case in Case.objects.filter(playbook__in=ATTACHMENT_FACTS).prefetch_related("attachments"):
        kinds = sorted(a.kind for a in case.attachments.all())
        facts_kinds = sorted(
            str(kind)
            for kind, fact in ATTACHMENT_FACTS[case.playbook].items()
            if case.facts.get(fact) is True
        )
        assert kinds == facts_kinds, (case.pk, case.playbook, case.facts)
        claimed += len(kinds)
    assert claimed >= 8
    formats = set(CaseAttachment.objects.values_list("detected_format", flat=True))
    assert formats == {"PNG", "PDF"}
    files = [p for p in Path(attachment_root).rglob("*") if p.is_file()]
    count = CaseAttachment.objects.count()
    call_command("kmcs_demo_cases", force=True, stdout=Null(), stderr=Null())
    assert CaseAttachment.objects.count() == count
    assert len([p for p in Path(attachment_root).rglob("*") if p.is_file()]) == len(files)
