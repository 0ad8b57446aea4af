"""The API reads JSON only, and never more than ``KMCS_API_MAX_BODY_BYTES`` (or the view's own
``max_body_bytes``: batch intake), nested at most :data:`cases.intake.jsonsafe.MAX_DEPTH` deep.

The size is checked by Content-Length before DRF reads the body (:func:`check_body_size`,
called from the API views' ``initial``: DRF reads ``request.body``, which Django caps at
DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400), and here again by what was actually read (a
body without Content-Length). Both answer 413 with the API's JSON error stating the limit.
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from cases.api.errors import PayloadTooLarge
from cases.intake import jsonsafe


def body_limit(view) -> int:
    """A view may allow more (batch intake); every other view has the API's limit."""
    return getattr(view, "max_body_bytes", None) or settings.KMCS_API_MAX_BODY_BYTES


def check_body_size(request, view) -> None:
    """413 when the declared Content-Length is over the view's limit (nothing is read)."""
    limit = body_limit(view)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(limit)


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        view = (parser_context or {}).get("view")
        limit = body_limit(view)
        request = (parser_context or {}).get("request")
        if request is not None:
            check_body_size(request, view)
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(limit)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("요청 본문이 UTF-8이 아닙니다. JSON은 UTF-8로 보내 주세요.") from exc
        try:
            return jsonsafe.loads(text)
        except jsonsafe.JsonTooDeep as exc:
            raise ParseError(str(exc)) from exc
        except ValueError as exc:
            where = ""
            if isinstance(exc, json.JSONDecodeError):
                where = f" ({exc.lineno}번째 줄 {exc.colno}번째 글자)"
            raise ParseError(f"JSON 형식이 올바르지 않습니다{where}.") from exc
