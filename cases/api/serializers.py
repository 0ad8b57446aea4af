"""Request and response shapes of /api/v1/ (Korean messages, English field names).

Requests are *strict*: a key the serializer does not declare is an error, at the top level and
in ``facts`` (the playbook's FACTS decides the facts; :mod:`cases.intake.facts`). Responses are
built as plain dicts or from models and passed through these serializers, so what the schema
documents is what is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import ModuleType
from zoneinfo import ZoneInfo

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.business_keys import REFERENCE_FIELDS
from cases.intake.facts import camel, facts_component
from cases.models import Channel, PlaybookCode, ResultType, Service, Status

SEOUL = ZoneInfo("Asia/Seoul")
UNKNOWN_FIELD = "알 수 없는 항목입니다."
NOT_AN_OBJECT = "JSON 객체({{...}})여야 합니다."


def _msgs(label: str, **extra: str) -> dict[str, str]:
    return {
        "required": f"{label}: 필수 항목입니다.",
        "null": f"{label}: 값이 비어 있습니다.",
        "blank": f"{label}: 빈 값은 입력할 수 없습니다.",
        "invalid": f"{label}: 형식이 올바르지 않습니다.",
        "invalid_choice": f"{label}: 선택할 수 없는 값입니다 ({{input}}).",
        "max_length": f"{label}: {{max_length}}자 이하로 입력해 주세요.",
        "min_value": f"{label}: {{min_value}} 이상이어야 합니다.",
        "max_value": f"{label}: {{max_value}} 이하여야 합니다.",
        "not_a_dict": f"{label}: {NOT_AN_OBJECT}",
        "not_a_list": f"{label}: 목록이어야 합니다.",
        "empty": f"{label}: 하나 이상 선택해 주세요.",
        "date": f"{label}: 날짜와 시각(ISO 8601)을 입력해 주세요.",
        "make_aware": f"{label}: Asia/Seoul 시간대에 없는 시각입니다.",
        "overflow": f"{label}: 날짜 범위를 벗어났습니다.",
        **extra,
    }


class StrictSerializer(serializers.Serializer):
    """A request object: declared keys only; anything else is a field error."""

    default_error_messages = {"invalid": f"요청 본문은 {NOT_AN_OBJECT} (받은 값: {{datatype}})"}

    def to_internal_value(self, data):
        errors: dict = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, Mapping):
                raise
            errors.update(exc.detail)
        if isinstance(data, Mapping):
            for key in data:
                if key not in self.fields:
                    errors[str(key)] = [UNKNOWN_FIELD]
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def create(self, validated_data):  # pragma: no cover - request shapes are never saved
        raise NotImplementedError

    def update(self, instance, validated_data):  # pragma: no cover
        raise NotImplementedError


def facts_field(**kwargs) -> serializers.DictField:
    return serializers.DictField(
        label="사실관계",
        help_text="플레이북의 사실관계 (플레이북별 스키마: <Playbook>Facts)",
        error_messages=_msgs("사실관계"),
        **kwargs,
    )


def at_field() -> serializers.DateTimeField:
    return serializers.DateTimeField(
        required=False,
        allow_null=True,
        default_timezone=SEOUL,
        label="판단 시각",
        help_text="ISO 8601. 비우면 지금. 시간대가 없으면 Asia/Seoul로 봅니다.",
        error_messages=_msgs("판단 시각"),
    )


# --- simulator --------------------------------------------------------------------------------


class EvaluateRequest(StrictSerializer):
    facts = facts_field()
    at = at_field()


@lru_cache(maxsize=64)
def evaluate_request_component(module: ModuleType) -> type[serializers.Serializer]:
    """The request of one playbook's simulator, with its facts component (schema only)."""
    return type(
        f"{camel(module.CODE)}Evaluate",
        (StrictSerializer,),
        {
            "__doc__": f"{module.CODE} 플레이북 시뮬레이터 요청 (저장되는 것은 없습니다).",
            "__module__": __name__,
            "facts": facts_component(module)(label="사실관계"),
            "at": at_field(),
        },
    )


class ProposalStepSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    roles = serializers.ListField(
        child=serializers.CharField(), help_text="이 단계를 할 수 있는 역할"
    )
    kind = serializers.CharField(help_text="action | say | sms | memo | post | payout | check")
    script = serializers.CharField(allow_blank=True, help_text="안내 문구·처리 내용")
    waits_on = serializers.CharField(allow_null=True)


class ProposalMessageSerializer(serializers.Serializer):
    template = serializers.CharField(help_text="CEMS 템플릿 명")
    audience = serializers.CharField(help_text="customer | driver")
    body = serializers.CharField(allow_null=True, help_text="승인된 템플릿 버전으로 만든 문자 본문")
    byte_length = serializers.IntegerField(required=False)
    length_class = serializers.CharField(required=False)
    error = serializers.CharField(allow_null=True, help_text="문자를 만들 수 없는 이유")


class ConsultationRecordSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, help_text="제목")
    inquiry = serializers.CharField(allow_blank=True, help_text="문의내용")
    notes = serializers.CharField(allow_blank=True, help_text="처리내용")


class EscalationSerializer(serializers.Serializer):
    board = serializers.CharField(help_text="아지트 게시판")
    template = serializers.CharField(allow_blank=True)
    body = serializers.CharField(allow_blank=True)
    mentions = serializers.ListField(child=serializers.CharField())


class ProposalMemoSerializer(serializers.Serializer):
    billing = serializers.CharField(allow_blank=True, help_text="빌링처리 메모")
    operations = serializers.CharField(allow_blank=True, help_text="운영메모")
    record = ConsultationRecordSerializer(allow_null=True, help_text="상담이력")
    consultation_type = serializers.ListField(child=serializers.CharField(), help_text="상담유형")
    result_type = serializers.CharField(allow_null=True, help_text="처리결과(유형) 코드")
    result_type_label = serializers.CharField(allow_null=True)
    escalation = EscalationSerializer(allow_null=True, help_text="아지트 작성")


class RouteSerializer(serializers.Serializer):
    route_id = serializers.IntegerField(allow_null=True)
    channel_kind = serializers.CharField()
    channel_target = serializers.CharField(allow_blank=True)
    recipients_to = serializers.ListField(child=serializers.CharField())
    recipients_cc = serializers.ListField(child=serializers.CharField())
    procedure = serializers.CharField(allow_blank=True)
    allowed_roles = serializers.ListField(child=serializers.CharField())
    notes = serializers.CharField(allow_blank=True)
    mentions = serializers.ListField(child=serializers.CharField())


class ProposalSerializer(serializers.Serializer):
    playbook = serializers.CharField()
    version = serializers.CharField()
    outcome = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    steps = ProposalStepSerializer(many=True)
    messages = ProposalMessageSerializer(many=True)
    memo = ProposalMemoSerializer()
    route = RouteSerializer(allow_null=True)
    figures = serializers.DictField(allow_null=True)


class PlaybookSerializer(serializers.Serializer):
    code = serializers.CharField()
    version = serializers.CharField()
    label = serializers.CharField()
    facts_component = serializers.CharField(help_text="스키마에서 사실관계 컴포넌트 이름")


# --- intake -----------------------------------------------------------------------------------


class CustomerSerializer(StrictSerializer):
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, error_messages=_msgs("고객 전화번호")
    )


class DriverSerializer(StrictSerializer):
    id = serializers.CharField(
        required=False, allow_blank=True, max_length=40, error_messages=_msgs("기사 ID")
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, error_messages=_msgs("기사 전화번호")
    )


_REFERENCE_LABELS = {
    "call_id": ("콜 ID", 40),
    "charge_tid": ("충전 TID", 64),
    "station": ("충전소", 100),
    "parking_payment_id": ("주차 결제 ID", 64),
    "lot": ("주차장", 100),
}
assert set(_REFERENCE_LABELS) == set(REFERENCE_FIELDS)

ReferencesSerializer = type(
    "ReferencesSerializer",
    (StrictSerializer,),
    {
        "__doc__": "업무 참조 (중복 접수 판단 기준: 콜 ID, 결제 ID, TID ...)",
        "__module__": __name__,
        **{
            name: serializers.CharField(
                required=False,
                allow_blank=True,
                max_length=length,
                label=label,
                error_messages=_msgs(label),
            )
            for name, (label, length) in _REFERENCE_LABELS.items()
        },
    },
)


class CaseCreateRequest(StrictSerializer):
    playbook = serializers.ChoiceField(
        choices=PlaybookCode.choices, label="플레이북", error_messages=_msgs("플레이북")
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices, label="접수 채널", error_messages=_msgs("접수 채널")
    )
    facts = facts_field()
    customer = CustomerSerializer(required=False)
    driver = DriverSerializer(required=False)
    references = ReferencesSerializer(required=False)
    idempotency_key = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=100,
        label="멱등 키",
        help_text="같은 키로 다시 보내면 새 케이스 대신 처음 만든 케이스를 200으로 돌려줍니다.",
        error_messages=_msgs("멱등 키"),
    )


@lru_cache(maxsize=64)
def case_create_component(module: ModuleType) -> type[serializers.Serializer]:
    """The intake request for one playbook (schema only: ``playbook`` is its code)."""
    return type(
        f"{camel(module.CODE)}CaseCreate",
        (CaseCreateRequest,),
        {
            "__doc__": f"{module.CODE} 케이스 접수 요청",
            "__module__": __name__,
            "playbook": serializers.ChoiceField(choices=[(module.CODE, module.CODE)]),
            "facts": facts_component(module)(label="사실관계"),
        },
    )


class CaseMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    template = serializers.CharField(source="template.name")
    audience = serializers.CharField()
    recipient = serializers.CharField(source="recipient_masked", help_text="가려진 수신 번호")
    status = serializers.CharField(help_text="queued | sending | sent | failed | sent_by_hand")
    status_label = serializers.CharField(source="get_status_display")
    body = serializers.CharField(help_text="개인정보를 가린 본문")
    byte_length = serializers.IntegerField()
    length_class = serializers.CharField()
    attempts = serializers.IntegerField()
    queued_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        from kmcs_site.privacy import mask_message_body

        data = super().to_representation(instance)
        data["body"] = mask_message_body(instance)
        return data


class CaseReferencesOut(serializers.Serializer):
    call_id = serializers.CharField()
    charge_tid = serializers.CharField()
    station = serializers.CharField()
    parking_payment_id = serializers.CharField()
    lot = serializers.CharField()


class CaseSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    playbook = serializers.CharField()
    playbook_version = serializers.CharField(allow_blank=True)
    service = serializers.CharField()
    channel = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    waiting_on = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True, help_text="결정 전에는 빈 값")
    result_type = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    assignee = serializers.CharField(source="assignee.username", allow_null=True)
    customer_phone = serializers.CharField(source="masked_customer_phone", help_text="가려진 번호")
    driver_id = serializers.CharField(allow_blank=True)
    driver_phone = serializers.CharField(source="masked_driver_phone", help_text="가려진 번호")
    references = CaseReferencesOut(source="*")


class CaseDetailSerializer(CaseSummarySerializer):
    reason = serializers.CharField(allow_blank=True)
    is_override = serializers.BooleanField()
    messages = CaseMessageSerializer(source="outbound_messages.all", many=True)


class CaseIntakeResponse(CaseDetailSerializer):
    """The case intake created or found (the view sets the ``intake_*`` attributes)."""

    created = serializers.BooleanField(
        source="intake_created", help_text="false: 같은 멱등 키로 이미 접수된 케이스"
    )
    proposal = ProposalSerializer(
        source="intake_proposal", allow_null=True, help_text="플레이북 제안 (지금 기준)"
    )
    proposal_error = serializers.CharField(
        source="intake_proposal_error", allow_null=True, help_text="제안을 만들 수 없는 이유"
    )


@extend_schema_field({"$ref": "#/components/schemas/CaseCreateRequest"})
class IntakeItemField(serializers.JSONField):
    # One item of a batch: any JSON here (the view validates each item on its own, so a bad
    # one is answered per item); documented as the single intake request.
    pass


class CaseBatchRequest(StrictSerializer):
    """일괄 접수 요청 ``{"cases": [...]}``: 항목마다 단건 접수와 같은 형식이며, 항목별로 따로
    검사해 항목별로 답합니다."""

    cases = serializers.ListField(
        child=IntakeItemField(),
        min_length=1,
        max_length=settings.KMCS_API_BATCH_MAX_CASES,
        label="케이스 목록",
        help_text=(
            f"단건 접수(POST /api/v1/cases/)와 같은 요청을 최대 "
            f"{settings.KMCS_API_BATCH_MAX_CASES}건. 항목마다 멱등 키를 주세요."
        ),
        error_messages={
            **_msgs("케이스 목록"),
            "min_length": "케이스를 한 건 이상 보내 주세요.",
            "max_length": "한 번에 최대 {max_length}건까지 보낼 수 있습니다.",
            "not_a_list": "케이스 목록은 배열이어야 합니다 (받은 값: {input_type}).",
        },
    )


class CaseBatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="요청의 cases 배열에서의 위치 (0부터)")
    status = serializers.ChoiceField(
        choices=[
            ("created", "새로 접수"),
            ("existing", "같은 멱등 키로 이미 접수된 케이스"),
            ("duplicate", "처리 중인 같은 건(또는 같은 요청의 앞 항목)이 있어 접수하지 않음"),
            ("invalid", "입력 오류: 접수하지 않음 (errors)"),
            ("conflict", "다른 요청이 쓴 멱등 키"),
            (
                "idempotency_key_reused",
                "같은 멱등 키가 다른 내용의 요청에 이미 쓰임: 접수하지 않음 (단건의 422)",
            ),
        ],
        help_text="created | existing | duplicate | invalid | conflict | idempotency_key_reused",
    )
    case_id = serializers.IntegerField(
        allow_null=True, help_text="접수된 케이스, 기존 케이스 또는 중복의 원래 케이스"
    )
    idempotency_key = serializers.CharField(allow_null=True)
    outcome = serializers.CharField(
        allow_null=True, help_text="새 케이스: 플레이북 제안의 처리 결과"
    )
    proposal_error = serializers.CharField(allow_null=True, help_text="제안을 만들 수 없는 이유")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        allow_null=True,
        help_text=(
            "invalid: 필드별 오류 (중첩 필드는 점으로: facts.call_id); "
            "idempotency_key_reused: idempotency_key의 오류"
        ),
    )
    message = serializers.CharField(help_text="한국어 설명")


class CaseBatchResponse(serializers.Serializer):
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="상태별 항목 수 (created, existing, ...)"
    )
    results = CaseBatchItemSerializer(many=True)


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="한국어 오류 메시지")
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="필드별 오류 (중첩 필드는 점으로: facts.call_id)",
    )


class DuplicateCaseErrorSerializer(ApiErrorSerializer):
    case_id = serializers.IntegerField(help_text="처리 중인 기존 케이스 ID")


class KeyReusedErrorSerializer(ApiErrorSerializer):
    idempotency_key = serializers.CharField(help_text="다른 내용의 요청에 이미 쓰인 멱등 키")
    case_id = serializers.IntegerField(help_text="그 키로 접수된 케이스 ID")


# --- lists and exports ------------------------------------------------------------------------


def _text(label: str, max_length: int) -> serializers.CharField:
    return serializers.CharField(
        required=False, max_length=max_length, label=label, error_messages=_msgs(label)
    )


def _choice(label: str, choices) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices, required=False, label=label, error_messages=_msgs(label)
    )


def _moment(label: str) -> serializers.DateTimeField:
    return serializers.DateTimeField(
        required=False, default_timezone=SEOUL, label=label, error_messages=_msgs(label)
    )


class CaseFilters(StrictSerializer):
    playbook = _choice("플레이북", PlaybookCode.choices)
    status = serializers.MultipleChoiceField(
        choices=Status.choices,
        required=False,
        label="상태",
        help_text="여러 번 줄 수 있습니다 (?status=new&status=waiting)",
        error_messages=_msgs("상태"),
    )
    channel = _choice("접수 채널", Channel.choices)
    service = _choice("서비스", Service.choices)
    outcome = _text("처리 결과 코드", 60)
    result_type = _choice("처리결과(유형)", ResultType.choices)
    call_id = _text("콜 ID", 40)
    charge_tid = _text("충전 TID", 64)
    parking_payment_id = _text("주차 결제 ID", 64)
    driver_id = _text("기사 ID", 40)
    customer_phone_last4 = serializers.RegexField(
        r"^\d{4}$",
        required=False,
        label="고객 전화번호 끝 4자리",
        error_messages=_msgs(
            "고객 전화번호 끝 4자리", invalid="고객 전화번호 끝 4자리: 숫자 4자리"
        ),
    )
    created_after = _moment("접수 시각 이후 (포함)")
    created_before = _moment("접수 시각 이전 (제외)")
    assignee = _text("담당 상담사", 150)
    assignee.help_text = "me | none | 사용자 이름"


class CaseListParams(CaseFilters):
    cursor = serializers.CharField(
        required=False, help_text="다음/이전 페이지 커서 (응답의 next/previous)"
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.KMCS_API_MAX_PAGE_SIZE,
        label="페이지 크기",
        error_messages=_msgs("페이지 크기"),
    )


class CaseExportParams(CaseFilters):
    file_type = serializers.ChoiceField(
        choices=[("csv", "CSV"), ("xlsx", "XLSX")],
        default="csv",
        label="파일 형식",
        error_messages=_msgs("파일 형식"),
    )
    unmask = serializers.BooleanField(
        default=False,
        label="전화번호 전체 표시",
        help_text="cases.case.unmask 권한이 있어야 하며, 케이스마다 조회 기록(UnmaskLog)이 남습니다.",
    )
    unmask_reason = serializers.CharField(
        required=False, max_length=300, label="조회 사유", error_messages=_msgs("조회 사유")
    )

    def validate(self, attrs):
        if attrs.get("unmask") and not (attrs.get("unmask_reason") or "").strip():
            raise serializers.ValidationError(
                {"unmask_reason": ["전화번호 전체를 내보내려면 조회 사유를 입력해 주세요."]}
            )
        return attrs
