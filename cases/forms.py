"""Forms of the agent workspace and the auditor views.

The "new case" form is *generated* from the playbook's ``FACTS`` DRF serializer: one field
per fact, with the serializer's Korean label, help text and choices. The form does not
validate the facts itself: it only turns widget values into the facts mapping, and
``cases.services.case_create`` validates them with the same ``FACTS`` the API and the importer
use (one definition, several doors). Its Korean field errors are put back on the form fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from types import ModuleType
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import fields as drf

from cases.models import Audience, Channel, ContactResult, PlaybookCode, Status, WaitingOn

REQUIRED = {"required": _("필수 항목입니다.")}

# --- new case: a form from the playbook's FACTS ------------------------------------------

#: Form fields of the case itself (intake arguments), not facts. A fact with one of these
#: names is filled in by ``case_create`` (``channel``) or would collide, so it is not repeated.
CASE_FIELDS = ("channel", "customer_phone", "driver_phone")

NULL_BOOLEAN_CHOICES = (("", _("미확인")), ("true", _("예")), ("false", _("아니오")))


@dataclass(frozen=True)
class FactField:
    """How one serializer field travels through the form."""

    name: str
    kind: str  # "bool" | "nullbool" | "value" | "attachment"
    #: For an "attachment" field: the attachment kind whose file answers the fact.
    attachment_kind: str = ""


def _initial(field: drf.Field) -> Any:
    default = field.default
    if default is drf.empty or default is None or callable(default):
        return None
    return default


def _form_field(field: drf.Field) -> tuple[forms.Field, str]:
    """A Django form field that renders ``field`` and accepts anything (validation is FACTS')."""
    common = {
        "label": field.label,
        "help_text": field.help_text or "",
        "required": False,
        "initial": _initial(field),
    }
    attrs: dict[str, Any] = {}
    if isinstance(field, drf.BooleanField):
        if field.allow_null:
            widget = forms.Select(choices=NULL_BOOLEAN_CHOICES, attrs=attrs)
            initial = {True: "true", False: "false"}.get(common.pop("initial"), "")
            return forms.CharField(widget=widget, initial=initial, **common), "nullbool"
        return forms.BooleanField(widget=forms.CheckboxInput(attrs=attrs), **common), "bool"
    if isinstance(field, drf.ChoiceField):
        # A fact among rows (운영사): the rows in use now, not the list the code was written with.
        current = getattr(field, "current_choices", None)
        choices = list((current() if current else field.choices).items())
        if not field.required or field.allow_null or field.default is not drf.empty:
            choices = [("", "---------"), *choices]
        return forms.CharField(widget=forms.Select(choices=choices, attrs=attrs), **common), "value"
    if isinstance(field, drf.DateTimeField):
        attrs["type"] = "datetime-local"
        return forms.CharField(widget=forms.DateTimeInput(attrs=attrs), **common), "value"
    if isinstance(field, drf.DateField):
        attrs["type"] = "date"
        return forms.CharField(widget=forms.DateInput(attrs=attrs), **common), "value"
    if isinstance(field, (drf.IntegerField, drf.DecimalField, drf.FloatField)):
        attrs["inputmode"] = "decimal" if not isinstance(field, drf.IntegerField) else "numeric"
        return forms.CharField(widget=forms.TextInput(attrs=attrs), **common), "value"
    if isinstance(field, drf.CharField) and (field.max_length or 0) >= 300:
        attrs["rows"] = 2
        return forms.CharField(widget=forms.Textarea(attrs=attrs), strip=False, **common), "value"
    if field.write_only:
        attrs["autocomplete"] = "off"
    return forms.CharField(widget=forms.TextInput(attrs=attrs), strip=False, **common), "value"


class FactsForm(forms.Form):
    """Base of the generated forms: the case's intake fields, then one field per fact."""

    channel = forms.ChoiceField(
        label=_("접수 채널"), choices=Channel.choices, error_messages=REQUIRED
    )
    customer_phone = forms.CharField(
        label=_("고객 전화번호"), required=False, max_length=20, help_text=_("예: 010-0000-1234")
    )
    driver_phone = forms.CharField(
        label=_("기사 전화번호"), required=False, max_length=20, help_text=_("예: 010-0000-5678")
    )
    #: One submission = one case: a double click replays the key and finds the same case.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    playbook: str = ""
    fact_fields: tuple[FactField, ...] = ()

    def facts(self) -> dict[str, Any]:
        """The facts mapping for ``case_create``: empty inputs are left out so FACTS' defaults
        (and its "필수 항목입니다." for required facts) apply."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for spec in self.fact_fields:
            value = data.get(spec.name)
            if spec.kind == "attachment":
                continue  # the service sets it from the files (attachment_uploads)
            if spec.kind == "bool":
                out[spec.name] = bool(value)
            elif spec.kind == "nullbool":
                if value in ("true", "false"):
                    out[spec.name] = value == "true"
            elif value not in (None, ""):
                out[spec.name] = value
        return out

    def attachment_uploads(self) -> list[tuple[str, Any]]:
        """(attachment kind, file) for each file given with the inquiry."""
        return [
            (spec.attachment_kind, self.cleaned_data[spec.name])
            for spec in self.fact_fields
            if spec.kind == "attachment" and self.cleaned_data.get(spec.name)
        ]

    def add_service_errors(self, errors: Mapping[str, list[str]]) -> None:
        """Put ``FactsInvalid.errors`` (field -> Korean messages) on the matching fields."""
        for name, messages in errors.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)

    def fact_bound_fields(self):
        return [self[spec.name] for spec in self.fact_fields]

    def case_bound_fields(self):
        return [self[name] for name in CASE_FIELDS]


def facts_form_class(module: ModuleType) -> type[FactsForm]:
    """A :class:`FactsForm` subclass for the playbook ``module`` (its ``FACTS``)."""
    attrs: dict[str, Any] = {}
    specs = []
    from cases.attachments import ATTACHMENT_FACTS, validate_attachment

    # A "첨부 여부" fact comes from the files attached with the inquiry, not a checkbox (#14.4).
    attached = {fact: kind for kind, fact in ATTACHMENT_FACTS.get(module.CODE, {}).items()}
    for name, field in module.FACTS().fields.items():
        if field.read_only or name in CASE_FIELDS or name in FactsForm.base_fields:
            continue
        if name in attached:
            attrs[name] = forms.FileField(
                label=field.label.removesuffix(" 여부"),
                help_text=field.help_text or "",
                required=False,
                validators=[validate_attachment],
                widget=forms.FileInput(attrs={"accept": "image/*,application/pdf"}),
            )
            attrs[name].fact_required = False
            specs.append(FactField(name=name, kind="attachment", attachment_kind=attached[name]))
            continue
        form_field, kind = _form_field(field)
        form_field.fact_required = field.required  # shown as required; FACTS enforces it
        attrs[name] = form_field
        specs.append(FactField(name=name, kind=kind))
    attrs["playbook"] = module.CODE
    attrs["fact_fields"] = tuple(specs)
    return type(f"{module.CODE.title().replace('_', '')}FactsForm", (FactsForm,), attrs)


# --- lists --------------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    """Filters of the queue and the case list (unknown values are errors, never ignored)."""

    status = forms.ChoiceField(label=_("상태"), required=False)
    playbook = forms.ChoiceField(
        label=_("플레이북"), required=False, choices=[("", _("전체")), *PlaybookCode.choices]
    )

    def __init__(self, *args, statuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = [(s.value, s.label) for s in Status if statuses is None or s in statuses]
        self.fields["status"].choices = [("", _("전체")), *allowed]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


# --- actions on a case ------------------------------------------------------------------


class DecideForm(forms.Form):
    """Accept the proposal shown on the page (its fingerprint: it must not have changed)."""

    fingerprint = forms.CharField(
        max_length=64,
        error_messages={"required": _("확인한 제안 정보가 없습니다. 화면을 새로 고쳐 주세요.")},
    )


class OverrideForm(forms.Form):
    """Decide another outcome than the proposal: a select of the playbook's declared
    ``OUTCOMES`` (Korean labels), never free text; the service refuses any other code too."""

    outcome = forms.ChoiceField(label=_("처리 결과"), choices=(), error_messages=REQUIRED)
    reason = forms.CharField(
        label=_("변경 사유"), widget=forms.Textarea(attrs={"rows": 2}), error_messages=REQUIRED
    )

    def __init__(self, *args, playbook: str, exclude: str | None = None, **kwargs):
        from cases.labels import override_choices

        super().__init__(*args, **kwargs)
        choices = [(c, label) for c, label in override_choices(playbook) if c != exclude]
        field = self.fields["outcome"]
        field.choices = [("", _("처리 결과를 고르세요"))] + choices
        names = ", ".join(label for _code, label in choices)
        field.error_messages["invalid_choice"] = (
            _("'%(value)s'은(는) 이 플레이북의 처리 결과가 아닙니다. 다음 중에서 고르세요: ")
            + names
        )


class StepForm(forms.Form):
    step_code = forms.CharField(max_length=60, error_messages=REQUIRED)


class StepNAForm(StepForm):
    """'해당 없음': the step does not apply to this case, and why (kept in the step's history)."""

    reason = forms.CharField(label=_("해당 없음 사유"), max_length=300, error_messages=REQUIRED)


class ForceCloseForm(forms.Form):
    """A lead closes with steps still open: the reason is required and recorded."""

    reason = forms.CharField(label=_("강제 종결 사유"), max_length=300, error_messages=REQUIRED)


class ContactAttemptForm(forms.Form):
    target = forms.ChoiceField(label=_("대상"), choices=Audience.choices, error_messages=REQUIRED)
    result = forms.ChoiceField(
        label=_("결과"), choices=ContactResult.choices, error_messages=REQUIRED
    )
    is_special = forms.BooleanField(label=_("특이사항 있음"), required=False)
    note = forms.CharField(
        label=_("메모"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class EscalationPostForm(forms.Form):
    board = forms.CharField(label=_("게시판"), max_length=300, required=False)
    template = forms.CharField(label=_("템플릿"), max_length=200, required=False)
    body = forms.CharField(
        label=_("본문"), widget=forms.Textarea(attrs={"rows": 5}), error_messages=REQUIRED
    )
    link_url = forms.URLField(
        assume_scheme="https",
        label=_("아지트 링크"),
        max_length=500,
        required=False,
        error_messages={"invalid": _("올바른 URL을 입력해 주세요.")},
    )


class PostLinkForm(forms.Form):
    post_id = forms.IntegerField(min_value=1, error_messages=REQUIRED)
    link_url = forms.URLField(
        assume_scheme="https",
        label=_("아지트 링크"),
        max_length=500,
        error_messages={**REQUIRED, "invalid": _("올바른 URL을 입력해 주세요.")},
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("답변내용"), widget=forms.Textarea(attrs={"rows": 5}), error_messages=REQUIRED
    )


class RecordForm(forms.Form):
    """상담이력 · 메모 on the case page: title, inquiry and billing memo are edited whole (the page
    shows them as they are); 처리내용 and 운영메모 are added to (the page shows them masked)."""

    record_title = forms.CharField(label=_("제목"), required=False, max_length=200)
    record_inquiry = forms.CharField(
        label=_("문의내용"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes_addition = forms.CharField(
        label=_("처리내용 추가"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    memo_addition = forms.CharField(
        label=_("운영메모 추가"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    billing_memo = forms.CharField(
        label=_("빌링처리 메모"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    @classmethod
    def for_case(cls, case) -> RecordForm:
        return cls(
            initial={
                "record_title": case.record_title,
                "record_inquiry": case.record_inquiry,
                "billing_memo": case.billing_memo,
            }
        )


class SentByHandForm(forms.Form):
    """ "SMS 선발송": the agent sent this message through CEMS by hand and records it here."""

    message_id = forms.IntegerField(min_value=1, error_messages=REQUIRED)
    reason = forms.CharField(label=_("수동 발송 사유"), max_length=300, error_messages=REQUIRED)


class TransitionForm(forms.Form):
    transition = forms.CharField(max_length=20, error_messages=REQUIRED)
    waiting_on = forms.ChoiceField(
        label=_("대기 대상"), required=False, choices=[("", "---------"), *WaitingOn.choices]
    )
    note = forms.CharField(label=_("메모"), required=False, max_length=300)


class UnmaskForm(forms.Form):
    field = forms.ChoiceField(
        label=_("항목"),
        choices=[("customer_phone", _("고객 전화번호")), ("driver_phone", _("기사 전화번호"))],
        error_messages=REQUIRED,
    )
    reason = forms.CharField(label=_("조회 사유"), max_length=300, error_messages=REQUIRED)


# --- auditor history ------------------------------------------------------------------------


class HistoryFilterForm(forms.Form):
    """Who / which model / when / which object. The date range is Seoul calendar days."""

    user = forms.ModelChoiceField(
        label=_("사용자"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=_("전체"),
        error_messages={"invalid_choice": _("없는 사용자입니다.")},
    )
    model = forms.ChoiceField(
        label=_("대상 종류"),
        required=False,
        error_messages={"invalid_choice": _("선택할 수 없는 대상 종류입니다.")},
    )
    start = forms.DateField(
        label=_("시작일"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("날짜를 YYYY-MM-DD 형식으로 입력해 주세요.")},
    )
    end = forms.DateField(
        label=_("종료일"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("날짜를 YYYY-MM-DD 형식으로 입력해 주세요.")},
    )
    object_id = forms.IntegerField(
        label=_("대상 ID"),
        required=False,
        min_value=1,
        error_messages={
            "invalid": _("대상 ID는 숫자로 입력해 주세요."),
            "min_value": _("대상 ID는 1 이상입니다."),
        },
    )

    case = forms.IntegerField(
        label=_("케이스 번호"),
        required=False,
        min_value=1,
        help_text=_("케이스와 그 단계·게시글·연락 기록의 이력"),
        error_messages={
            "invalid": _("케이스 번호는 숫자로 입력해 주세요."),
            "min_value": _("케이스 번호는 1 이상입니다."),
        },
    )
    archived = forms.BooleanField(
        label=_("보관된 이력 포함"),
        required=False,
        help_text=_("보관 기간(24개월)이 지나 보관 테이블로 옮긴 이력도 함께 봅니다."),
    )

    def __init__(self, *args, model_choices=(), **kwargs):
        from kmcs_site.history import archive_supported

        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("전체")), *model_choices]
        if not archive_supported():
            # The archive step runs on PostgreSQL only: on SQLite there is nothing archived.
            self.fields["archived"].disabled = True
            self.fields["archived"].help_text = _(
                "보관된 이력은 PostgreSQL 운영 DB에만 있습니다. 이 DB(SQLite)는 이력을 "
                "보관 테이블로 옮기지 않으므로 모든 이력이 이미 목록에 있습니다."
            )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("종료일은 시작일보다 빠를 수 없습니다."))
        if data.get("object_id") and not data.get("model"):
            self.add_error("object_id", _("대상 ID로 찾으려면 대상 종류를 먼저 선택해 주세요."))
        return data

    def period(self) -> tuple[datetime | None, datetime | None]:
        """[start 00:00, day after end 00:00) in Asia/Seoul, as aware datetimes."""
        tz = timezone.get_current_timezone()
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        since = timezone.make_aware(datetime.combine(start, time.min), tz) if start else None
        until = (
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
            if end
            else None
        )
        return since, until
