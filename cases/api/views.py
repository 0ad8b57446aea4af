"""/api/v1/ views: validate the request, call one service or selector, shape the answer.

Domain errors (cases.exceptions) become responses in :mod:`cases.api.errors`; permissions are
:mod:`cases.api.permissions` classes, each asking ``kmcs_site.permissions.user_can``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import asdict, replace

from django.conf import settings
from django.utils import timezone, translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api import serializers as s
from cases.api.errors import Conflict, KeyReused, flatten
from cases.api.parsers import check_body_size
from cases.api.permissions import ActionPermission
from cases.api.presenters import proposal_payload
from cases.api.selectors import (
    case_for_api_or_404,
    case_intake_answer,
    cases_for_api,
    filter_cases,
)
from cases.api.simulator import playbook_simulate, prefixed
from cases.exceptions import ActionNotAllowed, CaseError, DuplicateOpenCase, FactsInvalid
from cases.intake.facts import camel, unknown_fact_errors
from cases.intake.requests import case_create_kwargs, request_errors
from cases.playbooks import PLAYBOOKS, UnknownPlaybook, get_playbook
from kmcs_site.permissions import user_can

logger = logging.getLogger("kmcs.api")

CanEvaluate = ActionPermission.for_action(
    "api.playbook.evaluate", "플레이북 시뮬레이터를 쓸 권한이 없습니다."
)
CanCreateCase = ActionPermission.for_action("api.case.create", "케이스를 접수할 권한이 없습니다.")
CanReadCases = ActionPermission.for_action("cases.case.view", "케이스를 볼 권한이 없습니다.")
CanExportCases = ActionPermission.for_action(
    "api.case.export", "케이스를 내보낼 권한이 없습니다 (팀장·부팀장·담당자)."
)

ERRORS = {
    400: OpenApiResponse(s.ApiErrorSerializer, description="입력 오류 (필드별 오류는 errors)"),
    401: OpenApiResponse(s.ApiErrorSerializer, description="인증 정보 없음·실패"),
    403: OpenApiResponse(s.ApiErrorSerializer, description="권한 없음"),
}
NOT_FOUND = {404: OpenApiResponse(s.ApiErrorSerializer, description="없음 (또는 볼 수 없음)")}
TOO_LARGE = {413: OpenApiResponse(s.ApiErrorSerializer, description="요청 본문이 너무 큼")}
BODY_ERRORS = {
    **ERRORS,
    **TOO_LARGE,
    415: OpenApiResponse(s.ApiErrorSerializer, description="JSON이 아닌 본문"),
}


class KoreanJsonErrorsMixin:
    """Messages in Korean whatever the client's Accept-Language (LocaleMiddleware) says, and
    errors as JSON even from views that render files, YAML or HTML."""

    def dispatch(self, request, *args, **kwargs):
        with translation.override("ko"):
            return super().dispatch(request, *args, **kwargs)

    def perform_authentication(self, request):
        # Throttles first: the per-address one counts every request, also those with a wrong
        # token (guessing) or none (DRF would answer 401/403 before counting them).
        self.check_throttles(request)
        super().perform_authentication(request)

    def check_throttles(self, request):
        if getattr(request, "_kmcs_throttles_checked", False):
            return  # already counted in perform_authentication
        request._kmcs_throttles_checked = True
        super().check_throttles(request)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH"):
            check_body_size(request, self)  # 413 (JSON) before DRF reads the body

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class KoreanAPIView(KoreanJsonErrorsMixin, APIView):
    pass


class SchemaView(KoreanJsonErrorsMixin, SpectacularAPIView):
    """The OpenAPI 3 schema (YAML by default, ?format=json for JSON); not listed in itself."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SwaggerView(KoreanJsonErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's static files (no CDN). The split view serves
    its start-up script at ``?script`` instead of inline: the CSP allows no inline script."""


class RedocView(KoreanJsonErrorsMixin, SpectacularRedocView):
    """Redoc from drf-spectacular-sidecar's static files (no CDN, no Google Fonts link: the
    CSP allows our own origin only)."""

    template_name = "api/redoc.html"


def _validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_SHARED = threading.local()


def shared_serializer(serializer_class):
    """One instance of ``serializer_class`` per thread, its fields built once (issue 17.5).

    DRF deep-copies every declared field (and the nested serializers' fields) the first time a
    new instance's ``fields`` is read: for the intake request and answer that cost more than
    the rest of the view. ``run_validation`` and ``to_representation`` keep no state on the
    instance, so a shared one answers what a fresh one would."""
    cache = getattr(_SHARED, "by_class", None)
    if cache is None:
        cache = _SHARED.by_class = {}
    serializer = cache.get(serializer_class)
    if serializer is None:
        serializer = serializer_class()
        serializer.fields  # noqa: B018 - build the fields once
        cache[serializer_class] = serializer
    return serializer


def _validated_fast(serializer_class, data):
    """``_validated`` for the hot path: a valid body through the shared instance; a bad one
    through a fresh serializer, so its errors are exactly what ``is_valid`` words."""
    try:
        return shared_serializer(serializer_class).run_validation(data)
    except ValidationError:
        return _validated(serializer_class, data)


# --- playbooks ------------------------------------------------------------------------------


class PlaybookListView(KoreanAPIView):
    permission_classes = [CanEvaluate]

    @extend_schema(
        operation_id="playbooks_list",
        summary="플레이북 목록",
        responses={200: s.PlaybookSerializer(many=True), **ERRORS},
        tags=["playbooks"],
    )
    def get(self, request):
        from cases.models import PlaybookCode

        labels = dict(PlaybookCode.choices)
        items = [
            {
                "code": code,
                "version": module.VERSION,
                "label": str(labels.get(code, code)),
                "facts_component": f"{camel(code)}Facts",
            }
            for code, module in PLAYBOOKS.items()
        ]
        return Response(s.PlaybookSerializer(items, many=True).data)


class PlaybookEvaluateView(KoreanAPIView):
    """POST /api/v1/playbooks/{code}/evaluate/ (unknown code: 404).

    The schema lists one subclass per playbook (:func:`evaluate_view_for`), each with that
    playbook's facts component; this generic route only answers the codes nobody knows.
    """

    permission_classes = [CanEvaluate]
    playbook_code: str | None = None

    @extend_schema(exclude=True)
    def post(self, request, code: str | None = None):
        return self.evaluate(request, code)

    def evaluate(self, request, code: str | None) -> Response:
        code = self.playbook_code or code
        try:
            get_playbook(code)
        except UnknownPlaybook as exc:
            raise NotFound(str(exc)) from exc
        data = _validated(s.EvaluateRequest, request.data)
        at = data.get("at") or timezone.now()
        proposal = playbook_simulate(code=code, facts=data["facts"], at=at)
        return Response(s.ProposalSerializer(proposal_payload(proposal)).data)


def evaluate_view_for(code: str) -> type[PlaybookEvaluateView]:
    """The simulator of one playbook, documented with that playbook's facts component."""
    module = get_playbook(code)

    def post(self, request):
        return self.evaluate(request, code)

    schema = extend_schema(
        operation_id=f"playbooks_{code}_evaluate",
        summary=f"{code} 시뮬레이터",
        description=(
            "사실관계로 플레이북 제안(처리 결과, 단계, 문자, 메모, 경로, 계산값)을 돌려줍니다. "
            "아무것도 저장하지 않습니다. 케이스 화면과 같은 경로(cases.playbooks.evaluate)입니다."
            "\n\n" + (module.__doc__ or "").strip()
        ),
        request=s.evaluate_request_component(module),
        responses={200: s.ProposalSerializer, **BODY_ERRORS},
        tags=["playbooks"],
    )
    return type(
        f"{camel(code)}EvaluateView",
        (PlaybookEvaluateView,),
        {"playbook_code": code, "post": schema(post), "__module__": __name__},
    )


# --- cases ------------------------------------------------------------------------------------


class CasePagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = settings.KMCS_API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.KMCS_API_MAX_PAGE_SIZE
    invalid_cursor_message = "페이지 커서가 올바르지 않습니다."

    def decode_cursor(self, request):
        # A cursor the client mangled is a bad parameter (400), not a missing page (DRF: 404).
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from exc


def _intake_request_schema():
    return PolymorphicProxySerializer(
        component_name="CaseCreate",
        serializers={code: s.case_create_component(m) for code, m in PLAYBOOKS.items()},
        resource_type_field_name="playbook",
    )


class CaseCollectionView(KoreanAPIView, GenericAPIView):
    serializer_class = s.CaseSummarySerializer
    pagination_class = CasePagination

    def get_permissions(self):
        return [CanCreateCase()] if self.request.method == "POST" else [CanReadCases()]

    def get_queryset(self):
        return cases_for_api(user=self.request.user)

    @extend_schema(
        operation_id="cases_list",
        summary="케이스 목록",
        description="보이는 케이스만 (상담사: 자기 케이스와 담당 서비스의 미배정 케이스). 최신순, 커서 페이지.",
        parameters=[s.CaseFilters],
        responses={200: s.CaseSummarySerializer(many=True), **ERRORS},
        tags=["cases"],
    )
    def get(self, request):
        params = _validated(s.CaseListParams, request.query_params)
        cases = filter_cases(self.get_queryset(), params, user=request.user)
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(s.CaseSummarySerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_create",
        summary="케이스 접수",
        description=(
            "케이스를 만들고 플레이북 제안을 함께 돌려줍니다 (201). 같은 idempotency_key로 다시 "
            "보내면 처음 만든 케이스를 200으로 돌려주고(내용이 다르면 422와 그 키), "
            "같은 업무 키(콜 ID·결제 ID·TID...)로 "
            "처리 중인 케이스가 있으면 409와 그 케이스 ID를 돌려줍니다."
        ),
        request=_intake_request_schema(),
        responses={
            201: s.CaseIntakeResponse,
            200: OpenApiResponse(s.CaseIntakeResponse, description="같은 멱등 키: 기존 케이스"),
            422: OpenApiResponse(
                s.KeyReusedErrorSerializer,
                description="같은 멱등 키, 다른 내용의 요청 (접수하지 않음: 새 키로 보내기)",
            ),
            409: OpenApiResponse(
                s.DuplicateCaseErrorSerializer, description="처리 중인 같은 건 (중복 접수)"
            ),
            **BODY_ERRORS,
        },
        tags=["cases"],
    )
    def post(self, request):
        from cases.services import case_create, case_propose

        data = _validated_fast(s.CaseCreateRequest, request.data)
        kwargs = case_create_kwargs(data)
        module = PLAYBOOKS.get(kwargs["playbook"])  # None: case_create names the field
        if module is not None:
            _refuse_unknown_facts(module, kwargs["facts"])
        try:
            result = case_create(actor=request.user, **kwargs)
        except FactsInvalid as exc:
            raise FactsInvalid(request_errors(exc.errors, module)) from exc
        case = result.case
        if result.duplicate_of is not None:
            raise DuplicateOpenCase(result.duplicate_of)
        if not result.created and not (
            case.created_by_id == request.user.pk or user_can(request.user, "cases.case.view", case)
        ):
            raise Conflict(
                "이 멱등 키는 다른 요청에 이미 쓰였습니다. 새 키로 보내 주세요.",
                code="idempotency_key_conflict",
            )
        if result.key_reused:
            raise KeyReused(kwargs["idempotency_key"], case.pk)
        proposal, proposal_error = result.proposal, result.proposal_error
        if not result.created:
            # A retry: the proposal as of now (the case may have been decided meanwhile).
            try:
                proposal = case_propose(case=case)
            except CaseError as exc:
                proposal_error = exc.message
        answer = case_intake_answer(case=case, created=result.created)
        answer.intake_created = result.created
        answer.intake_proposal = proposal_payload(proposal) if proposal is not None else None
        answer.intake_proposal_error = proposal_error
        body = shared_serializer(s.CaseIntakeResponse).to_representation(answer)
        if result.created:
            logger.info("case #%s created by %s through the API", case.pk, request.user.pk)
        return Response(
            body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


class CaseBatchView(KoreanAPIView):
    """POST /api/v1/cases/batch/: many intake requests at once, one answer per item."""

    permission_classes = [CanCreateCase]
    max_body_bytes = settings.KMCS_API_MAX_BATCH_BODY_BYTES

    @extend_schema(
        operation_id="cases_batch_create",
        summary="케이스 일괄 접수",
        description=(
            f"단건 접수와 같은 요청을 한 번에 최대 {settings.KMCS_API_BATCH_MAX_CASES}건 "
            "접수합니다. 항목마다 단건과 같은 검사(플레이북 사실관계, 모르는 필드, 전화번호, "
            "참조)와 중복 접수 검사를 하고, 항목별로 답합니다: created(새 케이스), "
            "existing(같은 멱등 키로 이미 접수: 그 케이스 ID), duplicate(처리 중인 같은 건 또는 "
            "같은 요청의 앞 항목: 그 케이스 ID), invalid(필드별 오류, 접수하지 않음), "
            "conflict(다른 요청이 쓴 멱등 키), idempotency_key_reused(같은 멱등 키가 다른 내용의 "
            "요청에 이미 쓰임: 단건의 422와 같으며 접수하지 않음, 그 키의 케이스 ID). 잘못된 "
            "항목이 있어도 나머지는 접수되며, 같은 "
            "요청을 다시 보내면 아무것도 두 번 만들지 않습니다 (항목마다 멱등 키를 주세요). "
            "요청 본문 자체가 잘못되면(배열이 아님, 0건, 최대 건수 초과) 400입니다."
        ),
        request=s.CaseBatchRequest,
        responses={200: s.CaseBatchResponse, **BODY_ERRORS},
        tags=["cases"],
    )
    def post(self, request):
        from cases.services.intake import batch_item_invalid, case_create_batch

        data = _validated(s.CaseBatchRequest, request.data)
        item_shape = shared_serializer(s.CaseCreateRequest)
        items, results = [], []
        for index, raw in enumerate(data["cases"]):
            try:
                valid = item_shape.run_validation(raw)
            except ValidationError as exc:
                key = raw.get("idempotency_key") if isinstance(raw, dict) else None
                results.append(
                    batch_item_invalid(
                        index, flatten(exc.detail), key if isinstance(key, str) else None
                    )
                )
                continue
            items.append((index, case_create_kwargs(valid)))
        playbooks = {index: kwargs["playbook"] for index, kwargs in items}
        for result in case_create_batch(items=items, actor=request.user):
            if result.errors:  # the service names fields as case_create does
                module = PLAYBOOKS.get(playbooks[result.index])
                result = replace(result, errors=request_errors(result.errors, module))
            results.append(result)
        results.sort(key=lambda r: r.index)
        counts = Counter(r.status for r in results)
        created = counts.get("created", 0)
        if created:
            logger.info("%s cases created by %s through the batch API", created, request.user.pk)
        body = {"counts": dict(counts), "results": [asdict(r) for r in results]}
        return Response(shared_serializer(s.CaseBatchResponse).to_representation(body))


def _refuse_unknown_facts(module, facts) -> None:
    """Unknown facts refuse the request before anything is saved (with the other fact errors)."""
    unknown = unknown_fact_errors(module, facts)
    if not unknown:
        return
    serializer = module.FACTS(data=facts)
    known = {} if serializer.is_valid() else flatten(serializer.errors)
    raise FactsInvalid(prefixed({**known, **unknown}, "facts"))


class CaseDetailView(KoreanAPIView):
    permission_classes = [CanReadCases]

    @extend_schema(
        operation_id="cases_retrieve",
        summary="케이스 조회",
        description="상태, 처리 결과, 문자와 그 발송 상태 (본문의 개인정보는 가려서).",
        responses={200: s.CaseDetailSerializer, **ERRORS, **NOT_FOUND},
        tags=["cases"],
    )
    def get(self, request, case_id: int):
        case = case_for_api_or_404(user=request.user, case_id=case_id)
        return Response(s.CaseDetailSerializer(case).data)


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CaseExportView(KoreanAPIView):
    permission_classes = [CanExportCases]

    def perform_content_negotiation(self, request, force=False):
        # The file type is a parameter (file_type); Accept: text/csv must not be a 406, and
        # errors are JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="cases_export",
        summary="케이스 내보내기 (CSV/XLSX)",
        description=(
            "목록과 같은 조건으로 케이스를 파일로 내보냅니다. 전화번호는 가려서 내보내며, "
            "unmask=true와 조회 사유를 주면 cases.case.unmask 권한이 있는 사람에게만 전체 번호를 "
            "내보내고 케이스마다 조회 기록(UnmaskLog)을 남깁니다."
        ),
        parameters=[s.CaseExportParams],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
            **ERRORS,
        },
        tags=["cases"],
    )
    def get(self, request):
        from cases.intake.exporter import export_response

        params = _validated(s.CaseExportParams, request.query_params)
        if params["unmask"] and not user_can(request.user, "cases.case.unmask"):
            raise ActionNotAllowed("전화번호 전체를 내보낼 권한이 없습니다.")
        from kmcs_site.db_router import read_alias, request_replica_context

        # The rows come from the replica when one is configured (issue 17.7) unless this user
        # just wrote; fixed on the queryset, because a CSV is read while it streams, after
        # this method returns. The unmask log rows are written to the primary.
        with request_replica_context(request):
            cases = filter_cases(cases_for_api(user=request.user), params, user=request.user)
            cases = cases.using(read_alias())
        return export_response(
            cases,
            file_type=params["file_type"],
            actor=request.user,
            unmask_reason=params.get("unmask_reason", "").strip() if params["unmask"] else None,
            filters={k: v for k, v in request.query_params.items() if k != "unmask_reason"},
        )


def api_not_found(request, *args, **kwargs):
    from django.http import JsonResponse

    return JsonResponse({"detail": "없는 API 경로입니다.", "code": "not_found"}, status=404)
