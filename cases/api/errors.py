"""Every API error has one JSON shape with a Korean message:

    {"detail": "입력값을 확인해 주세요.", "code": "invalid", "errors": {"facts.call_id": ["..."]}}

``errors`` (field -> messages, nested fields dotted) only for validation errors; a few codes add
their own keys (409 ``case_id``). Domain errors of the cases app (:mod:`cases.exceptions`) are
turned into responses here, so views only call services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.exceptions import (
    ActionNotAllowed,
    CaseError,
    DuplicateOpenCase,
    FactsInvalid,
    ProposalFailed,
)
from cases.intake.facts import flatten

INVALID = "입력값을 확인해 주세요."


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, limit: int):
        super().__init__(
            f"요청 본문이 너무 큽니다: 최대 {limit:,}바이트까지 보낼 수 있습니다.",
            self.default_code,
        )


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail: str, code: str = "conflict", **extra: Any):
        super().__init__(detail, code)
        self.extra = extra


class KeyReused(exceptions.APIException):
    """An idempotency key sent again with a different request: 422 naming the key and the
    case it filed (the second request is not filed; a new key files it)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"

    def __init__(self, key: str, case_id: int):
        super().__init__(
            f"멱등 키 '{key}'는 다른 내용의 요청(케이스 #{case_id})에 이미 쓰였습니다. "
            "같은 요청을 다시 보낼 때만 같은 키를 쓰고, 새 접수는 새 키로 보내 주세요.",
            self.default_code,
        )
        self.extra = {"idempotency_key": key, "case_id": case_id}


#: Korean text for DRF's own errors, whatever language the client asked for.
KOREAN = {
    "not_authenticated": (
        "인증 정보가 없습니다. 토큰(Authorization: Token ...) 또는 로그인 세션으로 요청해 주세요."
    ),
    "authentication_failed": "인증에 실패했습니다. 토큰이나 로그인 정보를 확인해 주세요.",
    "permission_denied": "이 작업을 할 권한이 없습니다.",
    "not_found": "찾을 수 없습니다.",
    "not_acceptable": "요청한 응답 형식(Accept)을 제공할 수 없습니다.",
    "unsupported_media_type": "지원하지 않는 본문 형식입니다. Content-Type: application/json으로 보내 주세요.",
    "throttled": "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.",
}


def error_body(detail: str, code: str, errors: Mapping[str, list[str]] | None = None, **extra):
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = dict(errors)
    body.update(extra)
    return body


def invalid_response(errors: Mapping[str, list[str]], detail: str = INVALID) -> Response:
    return Response(error_body(detail, "invalid", errors), status=status.HTTP_400_BAD_REQUEST)


def _domain_response(exc: CaseError) -> Response:
    if isinstance(exc, FactsInvalid):
        return invalid_response(exc.errors)
    if isinstance(exc, ActionNotAllowed):
        return Response(error_body(exc.message, "permission_denied"), status=403)
    if isinstance(exc, DuplicateOpenCase):
        case_id = exc.existing.pk if exc.existing is not None else None
        return Response(error_body(exc.message, "duplicate_open_case", case_id=case_id), status=409)
    if isinstance(exc, ProposalFailed):
        return Response(error_body(exc.message, "proposal_failed"), status=400)
    return Response(error_body(exc.message, "case_error"), status=400)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, CaseError):
        return _domain_response(exc)
    if isinstance(exc, RequestDataTooBig):
        # Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE), should a body get past the API's.
        exc = PayloadTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling (and logging) applies
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(INVALID, "invalid", flatten(exc.detail))
        return response
    if isinstance(exc, Http404):
        code, detail = "not_found", str(exc) or KOREAN["not_found"]
    elif isinstance(exc, DjangoPermissionDenied):
        code, detail = "permission_denied", str(exc) or KOREAN["permission_denied"]
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = str(exc.detail)
        if isinstance(exc, exceptions.MethodNotAllowed):
            detail = f"허용되지 않는 메서드입니다: {context['request'].method}"
        elif "CSRF" in detail:
            detail = "CSRF 검증에 실패했습니다. 세션으로 요청할 때는 X-CSRFToken 헤더가 필요합니다."
        elif isinstance(exc, (exceptions.PermissionDenied, exceptions.NotFound)):
            # Ours carry a Korean message of their own; DRF's default one is replaced.
            if detail == str(type(exc).default_detail):
                detail = KOREAN[code]
        elif isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            detail = f"요청이 너무 많습니다. {int(exc.wait)}초 후에 다시 시도해 주세요."
        elif code in KOREAN:
            detail = KOREAN[code]
    response.data = error_body(detail, code, **getattr(exc, "extra", {}))
    return response
