"""Input checks with Korean messages, shared by the intake form, the API and the services."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

call_id_validator = RegexValidator(
    r"^\d{1,20}$", "콜ID는 숫자만 입력할 수 있습니다 (최대 20자리).", code="call_id"
)


def validate_notice_image(upload) -> None:
    """The notice must be a real image of an allowed format, within the size limit.

    The browser's content type and the file name are not trusted: Pillow decodes the header
    and verifies the data, so a renamed PDF or a text file is refused.
    """
    from PIL import Image, UnidentifiedImageError

    limit = settings.KMCS_FINE_NOTICE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None or size == 0:
        raise ValidationError("고지서 이미지 파일이 비어 있습니다.", code="empty")
    if size > limit:
        raise ValidationError(
            f"고지서 이미지는 {limit // (1024 * 1024)}MB 이하만 올릴 수 있습니다.",
            code="too_large",
        )
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "고지서 이미지가 아닙니다. JPG·PNG·GIF·WEBP 이미지 파일을 올려 주세요.",
            code="not_image",
        ) from exc
    finally:
        upload.seek(position)
    if fmt not in settings.KMCS_FINE_NOTICE_FORMATS:
        raise ValidationError(
            f"지원하지 않는 이미지 형식입니다 ({fmt}). JPG·PNG·GIF·WEBP 파일을 올려 주세요.",
            code="format",
        )
