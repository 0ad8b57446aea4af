"""Attachments on a case (issue 14.4): store the customer's evidence, let the facts follow.

``case_attachment_add`` is the one door (the case page, the new-case form through
``case_create_with_attachments``; a fine intake records its notice image, already stored,
through ``case_attachment_of_stored_file`` with the same content checks). In order, so that a refusal leaves nothing behind:

1. who may attach (``cases.caseattachment.add``, the case's object rule) and the case is open;
2. the file is what it says, from its bytes (``cases.attachments.detect_attachment``: type,
   size, decompression bomb) -> :class:`AttachmentInvalid` (Korean), nothing stored;
3. the kind answers a "첨부 여부" fact of the playbook that is not yet true -> the fact is
   revised through ``case_revise_facts`` (its permission, its re-proposal and re-plan, its
   refusals) in the same transaction;
4. only then are the file and its thumbnail written to the ``attachments`` storage under a
   generated name, and the row saved with its history; a failure after a file was written
   deletes it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from cases.attachments import DetectedFile, detect_attachment, fact_for
from cases.exceptions import CaseError, InvalidTransition
from cases.models import AttachmentKind, Case, CaseAttachment, FactRevision, Status
from cases.services._common import audited_save, lock_case, mirror, moment, require
from kmcs_site.uploads import make_thumbnail


class AttachmentInvalid(CaseError):
    default_message = "첨부파일을 올릴 수 없습니다."


@dataclass(frozen=True)
class AttachmentResult:
    attachment: CaseAttachment
    #: The fact revision the attachment made (its "첨부 여부" fact became true), if any.
    revision: FactRevision | None = None

    @property
    def message(self) -> str:
        text = f"첨부파일({self.attachment.get_kind_display()})을 올렸습니다."
        if self.revision is not None:
            text += " 사실관계의 첨부 여부를 반영해 제안을 다시 만들었습니다."
        return text


def detected_or_refused(upload, *, check_name: bool = True) -> DetectedFile:
    """:func:`detect_attachment` with its refusal as the service's Korean error."""
    if upload is None:
        raise AttachmentInvalid("첨부할 파일을 선택해 주세요.")
    try:
        return detect_attachment(upload, check_name=check_name)
    except ValidationError as exc:
        raise AttachmentInvalid(" ".join(exc.messages)) from exc


def _kind_or_refused(kind: str) -> AttachmentKind:
    if kind not in AttachmentKind.values:
        raise AttachmentInvalid("첨부파일의 종류를 선택해 주세요.")
    return AttachmentKind(kind)


def _write(storage_field, case: Case, suffix: str, content: ContentFile, written: list) -> str:
    """Save ``content`` under a generated name in the field's storage; remember it for cleanup."""
    name = f"cases/attachments/{case.pk}/{uuid.uuid4().hex}{suffix}"
    saved = storage_field.storage.save(name, content)
    written.append((storage_field.storage, saved))
    return saved


def _store(
    *, case: Case, actor, upload, detected: DetectedFile, kind: str, note: str, at, written: list
) -> CaseAttachment:
    """Write the file (and an image's thumbnail), then the row with its history. Every name
    written goes into ``written``: the caller deletes them if anything after fails."""
    field = CaseAttachment._meta.get_field("file")
    upload.seek(0)
    file_name = _write(field, case, f".{detected.extension}", ContentFile(upload.read()), written)
    thumb_name = ""
    if detected.is_image:
        thumb_name = _write(field, case, ".thumb.jpg", ContentFile(make_thumbnail(upload)), written)
    attachment = CaseAttachment(
        case=case,
        kind=kind,
        file=file_name,
        thumbnail=thumb_name,
        detected_format=detected.format,
        size=upload.size,
        note=note,
        uploaded_by=actor,
        uploaded_at=at,
    )
    audited_save(attachment, actor, reason="첨부파일 추가")
    return attachment


def _delete_written(written: list) -> None:
    for storage, name in written:
        storage.delete(name)


@transaction.atomic
def case_attachment_add(
    *, case: Case, actor, upload, kind: str, note: str = "", at=None
) -> AttachmentResult:
    """Attach ``upload`` (an image or a PDF, checked by its bytes) to ``case`` as ``kind``.

    Refusals (nothing stored, nothing changed): ``ActionNotAllowed`` (may not work the case),
    ``InvalidTransition`` (closed case), :class:`AttachmentInvalid` (no file, unknown kind, not
    an image or PDF, not what its name says, too big, too many pixels), and the fact
    revision's own refusals when the attachment answers a "첨부 여부" fact.
    """
    at = moment(at)
    locked = lock_case(case)
    require(
        actor,
        "cases.caseattachment.add",
        locked,
        message="이 케이스에 파일을 첨부할 권한이 없습니다.",
    )
    if locked.status == Status.CLOSED:
        raise InvalidTransition(
            "종결된 케이스에는 파일을 첨부할 수 없습니다. 재오픈 후 첨부해 주세요."
        )
    kind = _kind_or_refused(kind)
    note = (note or "").strip()
    if len(note) > 200:
        raise AttachmentInvalid("첨부파일 메모는 200자 이하로 입력해 주세요.")
    detected = detected_or_refused(upload)

    revision = None
    fact = fact_for(locked.playbook, kind)
    if fact and (locked.facts or {}).get(fact) is not True:
        from cases.services.revisions import case_revise_facts

        result = case_revise_facts(
            case=locked,
            actor=actor,
            facts={fact: True},
            note=f"첨부파일 추가: {kind.label}",
            at=at,
        )
        revision = result.revision
        locked = lock_case(locked)
    written: list = []
    try:
        attachment = _store(
            case=locked,
            actor=actor,
            upload=upload,
            detected=detected,
            kind=kind,
            note=note,
            at=at,
            written=written,
        )
    except BaseException:
        _delete_written(written)
        raise
    mirror(case, locked)
    return AttachmentResult(attachment=attachment, revision=revision)


@transaction.atomic
def case_create_with_attachments(
    *, uploads: Sequence[tuple[str, Any]], actor, facts, playbook: str, **create_kwargs
):
    """``case_create`` with the evidence that came with the inquiry (the new-case form).

    Every file is checked before anything is written; the "첨부 여부" facts of the kinds given
    are true at intake (so the first proposal already counts them), and the files are stored
    on the new case in the same transaction. A replayed or duplicate submission (no new case)
    stores nothing. Returns ``case_create``'s result.
    """
    from cases.services.intake import case_create

    checked = []
    for kind, upload in uploads:
        kind = _kind_or_refused(kind)
        checked.append((kind, upload, detected_or_refused(upload)))
    facts = dict(facts)
    for kind, _upload, _detected in checked:
        fact = fact_for(playbook, kind)
        if fact:
            facts[fact] = True
    result = case_create(playbook=playbook, facts=facts, actor=actor, **create_kwargs)
    if not result.created or result.key_reused:
        return result
    written: list = []
    try:
        for kind, upload, detected in checked:
            _store(
                case=result.case,
                actor=actor,
                upload=upload,
                detected=detected,
                kind=kind,
                note="",
                at=moment(create_kwargs.get("at")),
                written=written,
            )
    except BaseException:
        _delete_written(written)
        raise
    return result


def case_attachment_of_stored_file(
    *, case: Case, actor, stored, upload, kind: str, at=None, reason: str = "첨부파일 추가"
) -> CaseAttachment:
    """Record a file another row of the same intake already wrote to the ``attachments``
    storage as an attachment of ``case``: the fine notice (``FineNotice.notice_image``, whose
    field stores in this storage) becomes the case's 과태료 고지서 attachment.

    Why the attachment reuses the stored file instead of the FineNotice referencing a new
    attachment: the notice row is inserted (and its image written, under a name read from its
    bytes) before its case exists, and the notice's image URL, the payout rule "no image, no
    payout" and the orphan-file cleanup all read ``notice_image`` already. Pointing the
    attachment at that one name keeps one stored file, needs no new column, and a rolled-back
    intake loses the row and the attachment together (the intake deletes the file then).
    No thumbnail is written (a second file the intake would have to clean up): the preview of
    an image without one is made in memory when it is asked for
    (``cases.views.attachments.AttachmentFileView``).

    Checks: the bytes are an attachment (:func:`detect_attachment`: type, size, decompression
    bomb; the client's name is not checked since it is never kept) ->
    :class:`AttachmentInvalid`. The caller has checked who may take the case in and sets the
    kind's "첨부 여부" fact in the facts it files the case with; this adds no fact revision.
    """
    from cases.models.attachment import AttachmentStorage

    if not stored or not isinstance(stored.storage, AttachmentStorage):
        raise ValueError("the stored file must be in the attachments storage")
    detected = detected_or_refused(upload, check_name=False)
    attachment = CaseAttachment(
        case=case,
        kind=_kind_or_refused(kind),
        file=stored.name,
        thumbnail="",
        detected_format=detected.format,
        size=upload.size,
        uploaded_by=actor,
        uploaded_at=moment(at),
    )
    audited_save(attachment, actor, reason=reason)
    return attachment
