"""Input checks with Korean messages, shared by the intake form, the API and the services."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from kmcs_site.uploads import IMAGE_TYPES, UploadMessages
from kmcs_site.uploads import detect_image_format as _detect_image_format

call_id_validator = RegexValidator(
    r"^\d{1,20}$", "콜ID는 숫자만 입력할 수 있습니다 (최대 20자리).", code="call_id"
)


#: The raster formats a notice may be, with the extension and content type they are stored and
#: served under. The client's file name and content type are never used for either.
NOTICE_IMAGE_TYPES: dict[str, tuple[str, str]] = IMAGE_TYPES

NOT_IMAGE_MESSAGE = "고지서 이미지가 아닙니다. JPG·PNG·GIF·WEBP 이미지 파일을 올려 주세요."
NOTICE_WORDING = UploadMessages(
    not_image=NOT_IMAGE_MESSAGE,
    too_many_pixels="고지서 이미지가 너무 큽니다 (최대 {limit}만 화소). "
    "해상도를 줄여서 다시 올려 주세요.",
)


def detect_image_format(upload) -> str:
    """The format Pillow reads from the file's own bytes (``"PNG"``, ``"GIF"``, ...).

    Refuses (ValidationError, Korean) a file that is not an image, fails verification, or
    declares more pixels than ``KMCS_FINE_NOTICE_MAX_PIXELS`` (a decompression bomb): the
    shared upload check of ``kmcs_site.uploads`` with the notice's wording.
    """
    return _detect_image_format(
        upload, max_pixels=settings.KMCS_FINE_NOTICE_MAX_PIXELS, wording=NOTICE_WORDING
    )


def validate_notice_image(upload) -> None:
    """The notice must be a real image of an allowed format, within the size limits.

    The browser's content type and the file name are not trusted: Pillow decodes the header
    and verifies the data, so a renamed PDF or a text file is refused.
    """
    limit = settings.KMCS_FINE_NOTICE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None or size == 0:
        raise ValidationError("고지서 이미지 파일이 비어 있습니다.", code="empty")
    if size > limit:
        raise ValidationError(
            f"고지서 이미지는 {limit // (1024 * 1024)}MB 이하만 올릴 수 있습니다.",
            code="too_large",
        )
    fmt = detect_image_format(upload)
    if fmt not in settings.KMCS_FINE_NOTICE_FORMATS or fmt not in NOTICE_IMAGE_TYPES:
        raise ValidationError(
            f"지원하지 않는 이미지 형식입니다 ({fmt}). JPG·PNG·GIF·WEBP 파일을 올려 주세요.",
            code="format",
        )


def stored_image_type(fieldfile) -> tuple[str, str] | None:
    """(extension, content type) of a stored notice, read from its bytes; None when the
    stored file is not one of the allowed raster formats (it is then only ever downloaded)."""
    try:
        with fieldfile.open("rb") as handle:
            fmt = detect_image_format(handle)
    except ValidationError:
        return None
    if fmt not in settings.KMCS_FINE_NOTICE_FORMATS:
        return None
    return NOTICE_IMAGE_TYPES.get(fmt)
