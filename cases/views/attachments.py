"""Attachments on the case page (issue 14.4): upload one, open one.

Files are never reachable by a storage path or a public media URL: a download names the case
and the attachment's id, the case comes through the visibility selector (someone else's case
is a 404, as for an id that does not exist) and the attachment must belong to it. The type
served is the one read from the bytes at upload: an image inline as that image type, a PDF
only as a download; never sniffed, never HTML, under its own sandbox policy.
"""

from __future__ import annotations

from django import forms
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views import View

from cases.models import AttachmentKind, Case
from cases.selectors import case_panel_rows
from cases.views.base import ActionRequiredMixin, CaseActionView, visible_case_or_404
from kmcs_site.uploads import IMAGE_TYPES, PDF_TYPE


class AttachmentForm(forms.Form):
    """The upload form: the file, its kind (chosen by the agent), an optional note. What the
    file is, is checked by the service from its bytes."""

    file = forms.FileField(
        label=_("파일"),
        error_messages={"required": _("첨부할 파일을 선택해 주세요.")},
        widget=forms.FileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    kind = forms.ChoiceField(
        label=_("종류"),
        choices=AttachmentKind.choices,
        error_messages={"required": _("첨부파일의 종류를 선택해 주세요.")},
    )
    note = forms.CharField(label=_("메모"), max_length=200, required=False)

    def __init__(self, *args, playbook: str = "", **kwargs):
        from cases.attachments import kind_choices

        super().__init__(*args, **kwargs)
        if playbook:
            self.fields["kind"].choices = kind_choices(playbook)


class AttachmentAddView(CaseActionView):
    action = "cases.caseattachment.add"

    def get_form(self):
        return AttachmentForm(self.request.POST, self.request.FILES)

    def perform(self, case: Case, form) -> str:
        from cases.services.attachments import case_attachment_add

        data = form.cleaned_data
        result = case_attachment_add(
            case=case,
            actor=self.request.user,
            upload=data["file"],
            kind=data["kind"],
            note=data["note"],
        )
        return result.message

    def success_url(self, case: Case) -> str:
        return super().success_url(case) + "#attachments"


class AttachmentFileView(ActionRequiredMixin, View):
    """GET the file (``thumbnail=False``) or an image's preview of one of a case's attachments."""

    action = "cases.caseattachment.view"
    http_method_names = ["get", "head"]
    thumbnail = False

    def get(self, request, case_id, attachment_id):
        case = visible_case_or_404(request.user, case_id)
        attachment = get_object_or_404(case.attachments.all(), pk=attachment_id)
        if self.thumbnail:
            if not attachment.is_image:
                raise Http404("미리보기가 없는 첨부파일입니다.")
            handle, extension, content_type, inline = (
                attachment.thumbnail or _preview_of(attachment),
                "jpg",
                "image/jpeg",
                True,
            )
        else:
            handle = attachment.file
            if attachment.is_image:
                extension, content_type = IMAGE_TYPES[attachment.detected_format]
                inline = True
            else:
                extension, content_type = PDF_TYPE
                inline = False
        response = FileResponse(
            handle.open("rb"),
            content_type=content_type,
            as_attachment=not inline,
            filename=f"case-{case.pk}-{attachment.kind}-{attachment.pk}.{extension}",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


def _preview_of(attachment):
    """The preview of an image stored without one (the fine notice a fine intake recorded, one
    file only: ``case_attachment_of_stored_file``), made in memory; its pixels were bounded at
    upload, so decoding it is safe."""
    from django.core.files.base import ContentFile

    from kmcs_site.uploads import make_thumbnail

    with attachment.file.open("rb") as handle:
        return ContentFile(make_thumbnail(handle))


def case_attachment_context(request, case: Case) -> dict:
    """The case page's attachments (one query, uploader included) and, for who may attach to
    this open case, the upload form with the playbook's evidence kinds first."""
    from kmcs_site.permissions import user_can

    may_attach = case.status != "closed" and user_can(
        request.user, "cases.caseattachment.add", case
    )
    return {
        "attachments": case_panel_rows(case, "attachments"),
        "attachment_form": AttachmentForm(playbook=case.playbook) if may_attach else None,
    }
