"""Forms of the case page's e-mail and Agit-webhook buttons (issue 16; their own module:
``cases/forms.py`` is shared). Addresses are checked by ``case_email_send`` (Korean field
errors, nothing saved); the form only bounds the sizes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.mail_selectors import MAIL_STEPS

REQUIRED = {"required": _("필수 항목입니다.")}


class CaseEmailForm(forms.Form):
    step_code = forms.ChoiceField(
        choices=[("", "-"), *((code, code) for code in MAIL_STEPS)],
        required=False,
        widget=forms.HiddenInput,
    )
    to = forms.CharField(
        label=_("받는 사람 (To)"),
        max_length=2000,
        error_messages=REQUIRED,
        help_text=_("여러 명은 쉼표로 구분"),
    )
    cc = forms.CharField(label=_("참조 (Cc)"), max_length=2000, required=False)
    subject = forms.CharField(label=_("제목"), max_length=400, error_messages=REQUIRED)
    body = forms.CharField(
        label=_("본문"),
        max_length=20000,
        error_messages=REQUIRED,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    @classmethod
    def for_draft(cls, draft):
        if draft is None:
            return cls()
        return cls(
            initial={
                "step_code": draft.step_code,
                "to": ", ".join(draft.to),
                "cc": ", ".join(draft.cc),
                "subject": draft.subject,
                "body": draft.body,
            }
        )


class EmailRowForm(forms.Form):
    email_id = forms.IntegerField(min_value=1, error_messages=REQUIRED)


class PostRowForm(forms.Form):
    post_id = forms.IntegerField(min_value=1, error_messages=REQUIRED)
