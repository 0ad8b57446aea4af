"""Admin of case e-mail (issue 16): a read-only record of what KMCS sent to CPOs and partners
and the replies that came back, scoped like the outbox admin (an agent sees the mails of the
cases they may see: ``cases.mail_selectors.emails_visible_to``), with a lead's "재발송" for
failed mails (``cases.services.emails.case_email_retry``, same Message-ID).

Registered from ``cases/admin.py`` (one import line): the admin module is shared."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.exceptions import CaseError
from cases.mail_selectors import emails_visible_to
from cases.models import CaseEmail
from kmcs_site.admin import AuditedAdmin
from kmcs_site.pagination import CappedCountPaginator
from kmcs_site.permissions import user_can
from kmcs_site.privacy import mask_email, mask_text

#: "123", "#123", "KMCS-123", "[KMCS-123]": a case id in the search box.
CASE_ID_SEARCH = re.compile(r"^\[?(?:KMCS-|#)?(\d{1,12})\]?$", re.IGNORECASE)


@admin.register(CaseEmail)
class CaseEmailAdmin(AuditedAdmin):
    list_display = (
        "id",
        "created_at",
        "case_link",
        "direction",
        "status",
        "subject",
        "address_display",
        "attempts",
        "sent_at",
        "received_at",
    )
    list_filter = ("status", "direction")
    search_fields = ("subject",)
    search_help_text = _("케이스 번호(예: 123, KMCS-123) 또는 제목")
    list_select_related = ("case",)
    paginator = CappedCountPaginator
    actions = ["retry_emails"]
    fields = (
        "case_link",
        "direction",
        "status",
        "subject",
        "sender_display",
        "to_display",
        "cc_display",
        "body_display",
        "step_code",
        "message_id",
        "in_reply_to",
        "attempts",
        "error",
        "created_by",
        "created_at",
        "sent_at",
        "received_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return emails_visible_to(user=request.user, emails=super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        found = CASE_ID_SEARCH.match((search_term or "").strip())
        if found:
            return queryset.filter(case_id=int(found.group(1))), False
        return super().get_search_results(request, queryset, search_term)

    # --- scoped object pages: another agent's mail is a 404, like a missing id ---

    def _visible_or_404(self, request, object_id):
        if not self.has_view_or_change_permission(request):
            return  # the admin's own 403 for roles that may not open the list
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("메일을 찾을 수 없습니다."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- a record: written by the services only ---

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- columns: addresses masked for roles that do not send mail (auditors) ---
    # Two sets of columns, both plain methods (nothing about the user is kept on the shared
    # admin instance): ``*_display`` masked, ``*_full`` as written; a user who may send mail
    # gets the full ones.

    FULL_COLUMNS = {
        "address_display": "address_full",
        "sender_display": "sender_full",
        "to_display": "to_full",
        "cc_display": "cc_full",
    }

    def _with_columns(self, request, names):
        if not user_can(request.user, "cases.caseemail.add"):
            return tuple(names)
        return tuple(self.FULL_COLUMNS.get(name, name) for name in names)

    def get_list_display(self, request):
        return self._with_columns(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._with_columns(request, self.fields)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @staticmethod
    def _address(obj, show) -> str:
        if obj.direction == "inbound":
            return show(obj.from_address)
        return ", ".join(show(a) for a in obj.to)

    @admin.display(description=_("주소"))
    def address_display(self, obj):
        return self._address(obj, mask_email)

    @admin.display(description=_("주소"))
    def address_full(self, obj):
        return self._address(obj, str)

    @admin.display(description=_("보낸 사람"))
    def sender_display(self, obj):
        return mask_email(obj.from_address)

    @admin.display(description=_("보낸 사람"))
    def sender_full(self, obj):
        return obj.from_address

    @admin.display(description=_("받는 사람"))
    def to_display(self, obj):
        return ", ".join(mask_email(a) for a in obj.to) or "-"

    @admin.display(description=_("받는 사람"))
    def to_full(self, obj):
        return ", ".join(obj.to) or "-"

    @admin.display(description=_("참조"))
    def cc_display(self, obj):
        return ", ".join(mask_email(a) for a in obj.cc) or "-"

    @admin.display(description=_("참조"))
    def cc_full(self, obj):
        return ", ".join(obj.cc) or "-"

    @admin.display(description=_("케이스"), ordering="case_id")
    def case_link(self, obj):
        from django.urls import reverse

        url = reverse("admin:cases_case_change", args=[obj.case_id])
        return format_html('<a href="{}">#{}</a>', url, obj.case_id)

    @admin.display(description=_("본문"))
    def body_display(self, obj):
        return format_html(
            '<div style="white-space: pre-wrap; max-width: 60em">{}</div>', mask_text(obj.body)
        )

    # --- actions ---

    @admin.action(description=_("선택한 실패 메일 재발송 (팀장)"), permissions=["retry"])
    def retry_emails(self, request, queryset):
        """One service call per mail: only failed outbound mails go again (same Message-ID);
        the service asks the object rule too."""
        from cases.services.emails import case_email_retry

        done = []
        for email in queryset:
            try:
                case_email_retry(email=email, actor=request.user)
            except (CaseError, PermissionDenied) as exc:
                self.message_user(request, f"#{email.pk}: {exc}", messages.WARNING)
            else:
                done.append(f"#{email.pk}")
        if done:
            self.message_user(
                request, _("다시 발송 대기열에 넣었습니다: ") + ", ".join(done), messages.SUCCESS
            )
