"""Files people upload (fine notices, case attachments): what they are is read from their bytes.

One implementation for every upload, so the fine-notice image (``fines.validators``) and the
case attachments (``cases.attachments``) refuse the same things the same way:

- the client's file name and content type are never trusted: Pillow decodes an image's header
  and verifies its data, a PDF is recognised by its own header and trailer;
- a decompression bomb (a few hundred bytes declaring 20000 x 20000 pixels) is refused from the
  header, before anything decodes it; Pillow's own bomb error and warning become the same
  refusal, never a 500;
- every refusal is a Korean ``ValidationError`` whose wording the caller chooses (a notice is
  "고지서 이미지", an attachment "첨부파일").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError

#: Raster formats a person may upload, with the extension and content type they are stored and
#: served under (never the client's).
IMAGE_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
PDF = "PDF"
PDF_TYPE = ("pdf", "application/pdf")


@dataclass(frozen=True)
class UploadMessages:
    """The Korean wording of one kind of upload's refusals."""

    not_image: str
    too_many_pixels: str  # formatted with {limit} (in 만 화소)


def detect_image_format(upload, *, max_pixels: int, wording: UploadMessages) -> str:
    """The format Pillow reads from the file's own bytes (``"PNG"``, ``"GIF"``, ...).

    Refuses a file that is not an image, fails verification, or declares more than
    ``max_pixels`` pixels. Only the header is read for the size. The file position is restored.
    """
    from PIL import Image, UnidentifiedImageError

    def too_many() -> ValidationError:
        return ValidationError(
            wording.too_many_pixels.format(limit=f"{max_pixels // 10_000:,}"),
            code="too_many_pixels",
        )

    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise too_many()
                fmt = image.format
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(wording.not_image, code="not_image") from exc
    finally:
        upload.seek(position)
    return fmt


def looks_like_pdf(upload) -> bool:
    """A PDF by its bytes: ``%PDF-1.x`` at the very start and ``%%EOF`` in its last kilobyte.

    Not a parser: enough to refuse a renamed image, script or archive. PDFs are only ever
    downloaded (``Content-Disposition: attachment``), never shown inside the back office.
    """
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0, 2)
        size = upload.tell()
        upload.seek(max(0, size - 1024))
        tail = upload.read(1024)
    finally:
        upload.seek(position)
    return head[:7] in (b"%PDF-1.", b"%PDF-2.") and b"%%EOF" in tail


def make_thumbnail(upload, *, box: int = 320) -> bytes:
    """A JPEG preview at most ``box`` pixels wide and high, EXIF-rotated and without metadata.

    Only called on an upload :func:`detect_image_format` accepted (its pixel count is bounded),
    so decoding it is safe. A GIF's first frame is its preview.
    """
    import io

    from PIL import Image, ImageOps

    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.seek(0)
            preview = ImageOps.exif_transpose(image.convert("RGBA"))
            preview.thumbnail((box, box))
            flat = Image.new("RGB", preview.size, (255, 255, 255))
            flat.paste(preview, mask=preview.getchannel("A"))
            out = io.BytesIO()
            flat.save(out, format="JPEG", quality=80)
            return out.getvalue()
    finally:
        upload.seek(position)
