"""Forms of the workspace search box and of the related-cases panel (issue 14.1, 14.3)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import LinkKind
from cases.search import MAX_TERM

REQUIRED = {"required": _("필수 항목입니다.")}


class SearchForm(forms.Form):
    """The one search box (POSTed: a phone number never travels in a URL)."""

    q = forms.CharField(
        label=_("검색"),
        max_length=MAX_TERM,
        error_messages={
            "required": _("검색어를 입력해 주세요."),
            "max_length": _("검색어는 %(limit_value)d자까지 입력할 수 있습니다."),
        },
    )

    def clean_q(self) -> str:
        value = " ".join(self.cleaned_data["q"].split())
        if not value:
            raise forms.ValidationError(_("검색어를 입력해 주세요."))
        return value


class CaseNumberField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("케이스 번호를 입력해 주세요."),
                "invalid": _("케이스 번호는 숫자로 입력해 주세요."),
                "min_value": _("케이스 번호가 올바르지 않습니다."),
                "max_value": _("케이스 번호가 올바르지 않습니다."),
            },
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().lstrip("#")
        return super().to_python(value)


class CaseLinkForm(forms.Form):
    other = CaseNumberField(label=_("연결할 케이스 번호"))
    kind = forms.ChoiceField(
        label=_("관계"),
        choices=[(k.value, k.label) for k in LinkKind if k != LinkKind.MERGED],
        error_messages={**REQUIRED, "invalid_choice": _("연결 종류를 선택해 주세요.")},
    )
    note = forms.CharField(label=_("메모"), max_length=300, required=False)


class CaseMergeForm(forms.Form):
    original = CaseNumberField(label=_("원건 케이스 번호"))
    reason = forms.CharField(label=_("병합 사유"), max_length=300, required=False)
