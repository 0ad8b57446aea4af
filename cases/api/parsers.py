"""The API reads JSON only, and never more than ``KMCS_API_MAX_BODY_BYTES`` (or the view's own
``max_body_bytes``: batch intake).

DRF's JSON parser reads the request stream directly (Django's DATA_UPLOAD_MAX_MEMORY_SIZE does
not apply to it), so the size check is here: by Content-Length before reading, and by what was
actually read for chunked bodies. Both answer 413 with the API's JSON error.
"""

from __future__ import annotations

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from cases.api.errors import PayloadTooLarge


def _reject_constant(name: str):
    raise ValueError(f"JSON에 쓸 수 없는 값입니다: {name}")


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        view = (parser_context or {}).get("view")
        # A view may allow more (batch intake); every other view has the API's limit.
        limit = getattr(view, "max_body_bytes", None) or settings.KMCS_API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        meta = getattr(request, "META", {}) if request is not None else {}
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except (TypeError, ValueError):
            declared = 0
        if declared > limit:
            raise PayloadTooLarge(limit)
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(limit)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("요청 본문이 UTF-8이 아닙니다. JSON은 UTF-8로 보내 주세요.") from exc
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            where = ""
            if isinstance(exc, json.JSONDecodeError):
                where = f" ({exc.lineno}번째 줄 {exc.colno}번째 글자)"
            raise ParseError(f"JSON 형식이 올바르지 않습니다{where}.") from exc
