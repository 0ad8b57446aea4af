"""Forms of the templates_app admin: the template form (writes drafts) and the preview form.

The preview form is generated from a version's declared variables, one field per variable
with the field type its VARIABLE_TYPES code calls for, so a lead types what an agent's case
will supply and sees exactly what the renderer makes of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .definitions import VARIABLE_TYPES
from .models import SmsTemplate
from .phones import is_korean_phone
from .render import template_problems


def _json_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class SmsTemplateForm(forms.ModelForm):
    """Template metadata plus the *working text*: saving a changed text writes a draft."""

    body = forms.CharField(
        label=_("본문"),
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90}),
        strip=False,
        help_text=_(
            "변수는 {{ 이름 }} 형식으로 씁니다. 승인된 본문은 바뀌지 않고, 저장하면 초안이 "
            "만들어집니다(초안이 있으면 초안을 고칩니다). 초안은 승인해야 발송에 쓰입니다."
        ),
    )
    variables = forms.JSONField(
        label=_("변수 선언"),
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 90}),
        help_text=_('{"이름": "타입"} 형식. 타입: ') + ", ".join(VARIABLE_TYPES),
    )

    class Meta:
        model = SmsTemplate
        fields = [
            "name",
            "audience",
            "service",
            "sending_system",
            "enabled",
            "description",
            "source",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "sending_system" in self.fields:
            self.fields["sending_system"].required = False
        # The working text: the draft if there is one (it has the highest number), else the
        # approved version. Saving a different text writes the draft (services.template_edit).
        if self.instance.pk and not self.is_bound:
            working = self.instance.versions.order_by("-number").first()
            if working is not None:
                self.initial.setdefault("body", working.body)
                self.initial.setdefault("variables", working.variables)

    def clean_sending_system(self):
        # Optional in a post: a template is a CEMS template unless it says otherwise.
        return (
            self.cleaned_data.get("sending_system")
            or SmsTemplate._meta.get_field("sending_system").default
        )

    def clean_variables(self):
        value = self.cleaned_data.get("variables")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_('변수 선언은 {"이름": "타입"} 형식이어야 합니다.'))
        return value

    def clean(self):
        cleaned = super().clean()
        body = cleaned.get("body")
        variables = cleaned.get("variables")
        if body is not None and variables is not None:
            problems = template_problems(body, variables)
            if problems:
                self.add_error("body", [p.message for p in problems])
        return cleaned


# --- preview --------------------------------------------------------------------------------

_call_id = RegexValidator(r"^[0-9]+$", _("콜 ID는 숫자만 입력하세요."))


def _phone(value: str) -> None:
    if not is_korean_phone(value):
        raise forms.ValidationError(_("전화번호 형식이 아닙니다 (예: 010-0000-1234)."))


def _field_for(type_code: str, label: str) -> forms.Field:
    common: dict[str, Any] = {"label": label, "required": True}
    match type_code:
        case "int":
            return forms.IntegerField(**common)
        case "amount":
            return forms.IntegerField(min_value=0, help_text=_("원 단위 정수"), **common)
        case "date_md" | "date_ymd":
            return forms.DateField(widget=admin_widgets.AdminDateWidget, **common)
        case "datetime":
            return forms.SplitDateTimeField(widget=admin_widgets.AdminSplitDateTime, **common)
        case "phone":
            return forms.CharField(max_length=20, validators=[_phone], **common)
        case "call_id":
            return forms.CharField(max_length=40, validators=[_call_id], **common)
        case "url":
            return forms.URLField(assume_scheme="https", **common)
        case _:
            return forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2, "cols": 60}), strip=False, **common
            )


def sample_value(type_code: str) -> Any:
    """A harmless example per type, so the preview shows a full message before any typing."""
    today = timezone.localdate()
    return {
        "text": "예시",
        "int": 1,
        "amount": 12300,
        "date_md": today,
        "date_ymd": today,
        "datetime": timezone.localtime().replace(second=0, microsecond=0),
        "phone": "010-0000-1234",
        "call_id": "1234567890",
        "url": "https://example.com",
    }.get(type_code, "예시")


def preview_form_class(variables: Mapping[str, str]) -> type[forms.Form]:
    fields = {
        name: _field_for(type_code, f"{name} ({type_code})")
        for name, type_code in _json_dict(variables).items()
    }
    return type("SmsPreviewForm", (forms.Form,), fields)


def preview_initial(variables: Mapping[str, str]) -> dict[str, Any]:
    return {name: sample_value(code) for name, code in _json_dict(variables).items()}


def preview_context(form: forms.Form) -> dict[str, Any]:
    """Form values -> render context (aware datetimes already: USE_TZ, Asia/Seoul input)."""
    values = {}
    for name, value in form.cleaned_data.items():
        if isinstance(value, datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value)
        values[name] = value
    return values


class MarkSentByHandForm(forms.Form):
    reason = forms.CharField(
        label=_("수동 발송 사유"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("예: CEMS에서 직접 발송함, 고객 요청으로 유선 안내함"),
        max_length=1000,
    )


class RecipientSearchForm(forms.Form):
    """수신 번호(정확히): a full number, sent by POST so it never lands in a URL or access log."""

    recipient = forms.CharField(
        label=_("수신 번호(정확히)"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "size": 16}),
        help_text=_("휴대전화 번호 전체 (하이픈 무관). 번호는 주소(URL)에 남지 않습니다."),
    )

    def clean_recipient(self) -> str:
        from .phones import InvalidPhoneNumber, validate_korean_mobile

        try:
            return validate_korean_mobile(self.cleaned_data["recipient"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc
