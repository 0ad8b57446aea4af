"""What an attachment may be, and which playbook fact it answers (issue 14.4).

Pure rules, no I/O beyond reading the upload: the service (``cases.services.attachments``)
stores, the views serve. The checks are the fine-notice upload's (``kmcs_site.uploads``): the
type comes from the bytes, a decompression bomb is refused from the header, every refusal is a
Korean ``ValidationError`` and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from cases.models import AttachmentKind
from kmcs_site.uploads import (
    IMAGE_TYPES,
    PDF,
    PDF_TYPE,
    UploadMessages,
    detect_image_format,
    looks_like_pdf,
)

#: playbook -> {attachment kind: the boolean fact "… 첨부 여부" it makes true}. The seeds' own
#: words: seed 000 "이용내역을 첨부" / "'예약내역'과 '결제내역'을 첨부", seed 004 "첨부파일(고지서)".
ATTACHMENT_FACTS: dict[str, dict[str, str]] = {
    "parking_double_payment": {
        AttachmentKind.USAGE_HISTORY: "usage_history_attached",
        AttachmentKind.RESERVATION_HISTORY: "reservation_history_attached",
        AttachmentKind.PAYMENT_HISTORY: "payment_history_attached",
    },
    "traffic_fine": {AttachmentKind.FINE_NOTICE: "has_notice_image"},
}

#: The kinds offered first on a playbook's upload form (the evidence its seed asks for).
PLAYBOOK_KINDS: dict[str, tuple[str, ...]] = {
    "parking_double_payment": (
        AttachmentKind.USAGE_HISTORY,
        AttachmentKind.RESERVATION_HISTORY,
        AttachmentKind.PAYMENT_HISTORY,
    ),
    "ev_charging": (AttachmentKind.CHARGING_RECEIPT,),
    "traffic_fine": (AttachmentKind.FINE_NOTICE,),
}

ATTACHMENT_WORDING = UploadMessages(
    not_image="첨부파일이 이미지나 PDF가 아닙니다. JPG·PNG·GIF·WEBP 이미지나 PDF 파일을 올려 주세요.",
    too_many_pixels="첨부 이미지가 너무 큽니다 (최대 {limit}만 화소). "
    "해상도를 줄이거나 화면을 캡처해서 다시 올려 주세요.",
)


@dataclass(frozen=True)
class DetectedFile:
    format: str  # JPEG / PNG / GIF / WEBP / PDF
    extension: str
    content_type: str

    @property
    def is_image(self) -> bool:
        return self.format != PDF


def fact_for(playbook: str, kind: str) -> str | None:
    """The fact an attachment of ``kind`` answers on a case of ``playbook`` (None: no fact)."""
    return ATTACHMENT_FACTS.get(playbook, {}).get(kind)


def attachment_facts(playbook: str) -> frozenset[str]:
    """The facts of ``playbook`` that come from attachments (no checkbox for them)."""
    return frozenset(ATTACHMENT_FACTS.get(playbook, {}).values())


def kind_choices(playbook: str) -> list[tuple[str, str]]:
    """Kinds for the upload select: the playbook's evidence first, then the rest (a playbook
    whose seed names no evidence starts at 기타)."""
    first = PLAYBOOK_KINDS.get(playbook, (AttachmentKind.OTHER,))
    rest = [k for k in AttachmentKind.values if k not in first]
    return [(k, AttachmentKind(k).label) for k in (*first, *rest)]


def detect_attachment(upload, *, check_name: bool = True) -> DetectedFile:
    """What ``upload`` is, from its bytes; a Korean ``ValidationError`` when it may not be
    attached (empty, over ``KMCS_ATTACHMENT_MAX_BYTES``, neither an allowed image nor a PDF,
    or an image declaring more than ``KMCS_ATTACHMENT_MAX_PIXELS`` pixels).

    ``check_name=False`` skips only the name-versus-content check, for an upload whose client
    name was never going to be used: the fine notice's stored name comes from its bytes, and
    its intake has accepted ``notice.html`` holding a GIF since issue 12 (stored as ``.gif``)."""
    limit = settings.KMCS_ATTACHMENT_MAX_BYTES
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError("첨부파일이 비어 있습니다.", code="empty")
    if size > limit:
        raise ValidationError(
            f"첨부파일은 {_human(limit)} 이하만 올릴 수 있습니다 (올린 파일 {_human(size)}).",
            code="too_large",
        )
    if looks_like_pdf(upload):
        detected = DetectedFile(PDF, *PDF_TYPE)
    else:
        fmt = detect_image_format(
            upload, max_pixels=settings.KMCS_ATTACHMENT_MAX_PIXELS, wording=ATTACHMENT_WORDING
        )
        if fmt not in IMAGE_TYPES:
            raise ValidationError(
                f"지원하지 않는 이미지 형식입니다 ({fmt}). "
                "JPG·PNG·GIF·WEBP 이미지나 PDF를 올려 주세요.",
                code="format",
            )
        detected = DetectedFile(fmt, *IMAGE_TYPES[fmt])
    if check_name:
        _check_name(getattr(upload, "name", "") or "", detected)
    return detected


#: Extensions a name may carry for each detected format.
_EXTENSIONS = {
    "JPEG": {"jpg", "jpeg", "jpe", "jfif"},
    "PNG": {"png"},
    "GIF": {"gif"},
    "WEBP": {"webp"},
    "PDF": {"pdf"},
}


def _check_name(name: str, detected: DetectedFile) -> None:
    """A file must be what its name says: ``receipt.pdf`` holding a PNG, or ``photo.jpg``
    holding a PDF, is refused (a renamed file is a mistake or a trick; the agent re-saves it).
    A name without an extension says nothing and passes."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or "/" in extension or "\\" in extension:
        return
    extension = extension.lower()
    if extension not in _EXTENSIONS[detected.format]:
        what = "PDF" if detected.format == PDF else f"{detected.format} 이미지"
        raise ValidationError(
            f"파일 이름(.{extension[:10]})과 실제 내용({what})이 다릅니다. "
            "원본 파일을 그대로 올려 주세요.",
            code="name_mismatch",
        )


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + "MB"
    return f"{max(1, size // 1024)}KB"


def validate_attachment(upload) -> None:
    """Form-field validator: :func:`detect_attachment` without its result."""
    detect_attachment(upload)
