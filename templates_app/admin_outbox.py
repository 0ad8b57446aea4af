"""The outbox admin (read-only): who was sent what, masked; retry, release a dead letter and
"sent by hand", each asking kmcs_site.permissions. Registered on import by templates_app.admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import SimpleListFilter, helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kmcs_site.admin import AuditedAdmin
from kmcs_site.pagination import CappedCountPaginator
from kmcs_site.privacy import (
    mask_message_body,
    mask_phone,
    mask_text,
    recall_search,
    remember_search,
)

from . import services
from .errors import MessageError
from .forms import (
    MarkSentByHandForm,
    RecipientSearchForm,
)
from .models import OutboundMessage
from .phones import is_korean_phone, phone_digits
from .selectors import messages_visible_to

#: What the outbox's exact-number search is remembered as in the session (kmcs_site.privacy).
RECIPIENT_SEARCH = "outbox.recipient"


def pre_text(text: str):
    """Long text (an SMS body) kept as written: line breaks shown, width bounded."""
    return format_html('<div style="white-space: pre-wrap; max-width: 60em">{}</div>', text)


class RecipientSearchFilter(SimpleListFilter):
    """``?rcpt=<token>``: the results of a 수신 번호(정확히) search made by POST.

    The URL carries a keyed hash (``kmcs_site.privacy.search_token``), never the number; the
    number stays in the searching user's session. A token this session did not make (copied
    from a log or from someone else's screen) finds nothing.
    """

    title = _("수신 번호(정확히)")
    parameter_name = "rcpt"

    def lookups(self, request, model_admin):
        token = self.value()
        if not token:
            return ()
        self.digits = recall_search(request, token, purpose=RECIPIENT_SEARCH)
        if self.digits is None:
            return ((token, _("만료된 검색입니다: 번호로 다시 검색하세요")),)
        return ((token, mask_phone(self.digits)),)

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        digits = getattr(self, "digits", None)
        if digits is None:
            return queryset.none()
        return queryset.filter(recipient=digits)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(AuditedAdmin):
    """The outbox, read-only for everyone, scoped like the cases (an agent sees the messages of
    the cases they may see: ``templates_app.selectors.messages_visible_to``). The recipient is
    masked everywhere, and so are the bodies (``kmcs_site.privacy.mask_message_body``): every
    role sees cases masked, a full number only through the case's logged unmask."""

    list_display = (
        "id",
        "queued_at",
        "recipient_display",
        "audience",
        "template_name",
        "version_display",
        "status",
        "report_display",
        "attempts",
        "sent_at",
        "subject_display",
    )
    list_filter = ("status", "report_status", "audience", RecipientSearchFilter)
    search_fields = ("idempotency_key__exact", "provider_key__exact", "template__name")
    search_help_text = _(
        "중복 방지 키·발송사 그룹키(정확히) 또는 템플릿 이름. 수신 번호는 '수신 번호(정확히)' 칸에서 찾으세요 "
        "(번호가 주소에 남지 않습니다)."
    )
    change_list_template = "admin/templates_app/outboundmessage/change_list.html"
    list_select_related = ("template", "template_version", "content_type")
    paginator = CappedCountPaginator
    actions = ["retry_messages", "retry_dead_letters", "mark_sent_by_hand"]
    fields = (
        "status",
        "recipient_display",
        "audience",
        "template",
        "version_display",
        "body_display",
        "length_class",
        "byte_length",
        "subject_display",
        "idempotency_key",
        "provider_key",
        "attempts",
        "last_error",
        "provider_message_id",
        "report_status",
        "report_code",
        "report_message",
        "reported_at",
        "queued_by",
        "queued_at",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "hand_reason_display",
        "hand_sent_by",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return messages_visible_to(user=request.user, messages=super().get_queryset(request))

    def _visible_or_404(self, request, object_id):
        """A message outside the user's cases is answered like one that does not exist (404,
        as the case admin does), not with the admin's "perhaps it was deleted" redirect."""
        if not self.has_view_or_change_permission(request):
            return  # the admin's own answer (403) for roles that may not open the outbox
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("문자를 찾을 수 없습니다."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_search_results(self, request, queryset, search_term):
        # A full number in the GET search box is in the URL already: search nothing, and
        # point to the POST form so nobody makes a habit of it.
        digits = phone_digits(search_term)
        if digits and len(digits) >= 9 and is_korean_phone(digits):
            self.message_user(
                request,
                _(
                    "전화번호는 검색창이 아니라 '수신 번호(정확히)' 칸에서 찾으세요: 검색창의 값은 "
                    "주소(URL)와 접속 기록에 남습니다."
                ),
                messages.WARNING,
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def get_urls(self):
        find = path(
            "find-recipient/",
            self.admin_site.admin_view(self.find_recipient_view),
            name="templates_app_outboundmessage_find_recipient",
        )
        return [find, *super().get_urls()]

    def find_recipient_view(self, request):
        """수신 번호(정확히): POST the number, get the list at ``?rcpt=<keyed hash>``.

        The number is kept in the user's session only (``kmcs_site.privacy.remember_search``);
        what the list shows is still scoped to the cases the user may see.
        """
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RecipientSearchForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            token = remember_search(
                request, form.cleaned_data["recipient"], purpose=RECIPIENT_SEARCH
            )
            url = reverse("admin:templates_app_outboundmessage_changelist")
            return HttpResponseRedirect(f"{url}?{RecipientSearchFilter.parameter_name}={token}")
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("수신 번호로 문자 찾기"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/templates_app/outboundmessage/find_recipient.html", page
        )

    def changelist_view(self, request, extra_context=None):
        extra = {"recipient_form": RecipientSearchForm(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("수신 번호"))
    def recipient_display(self, obj):
        return obj.recipient_masked

    @admin.display(description=_("템플릿"), ordering="template__name")
    def template_name(self, obj):
        return obj.template.name

    @admin.display(description=_("버전"))
    def version_display(self, obj):
        return f"v{obj.template_version.number}"

    @admin.display(description=_("발송 본문"))
    def body_display(self, obj):
        return pre_text(mask_message_body(obj))

    @admin.display(description=_("수신 결과"), ordering="report_status")
    def report_display(self, obj):
        """The carrier's report with the provider's code (callback or polling, issue 16)."""
        if not obj.report_status:
            return "-"
        return f"{obj.get_report_status_display()} ({obj.report_code or '-'})"

    @admin.display(description=_("수동 발송 사유"))
    def hand_reason_display(self, obj):
        return mask_text(obj.hand_reason) if obj.hand_reason else "-"

    @admin.display(description=_("관련 기록"))
    def subject_display(self, obj):
        if obj.content_type_id is None:
            return "-"
        ct = obj.content_type
        label = f"{ct.app_label}.{ct.model} #{obj.object_id}"
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[obj.object_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.action(description=_("선택한 문자 다시 발송 (실패·발송 중 멈춤)"), permissions=["retry"])
    def retry_messages(self, request, queryset):
        done = []
        for message in queryset:
            try:
                services.message_retry(message=message, actor=request.user)
            except MessageError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                done.append(f"#{message.pk}")
        if done:
            self.message_user(
                request, _("다시 발송 대기열에 넣었습니다: ") + ", ".join(done), messages.SUCCESS
            )

    @admin.action(
        description=_("선택한 재처리 대기 문자 다시 발송 (팀장)"), permissions=["retry_dead_letter"]
    )
    def retry_dead_letters(self, request, queryset):
        """Dead letter -> queue, one service call per message (a retry never sends twice: the
        row keeps its provider idempotency key)."""
        done = []
        for message in queryset:
            try:
                services.message_retry_dead_letter(message=message, actor=request.user)
            except (MessageError, PermissionDenied) as exc:
                self.message_user(request, f"#{message.pk}: {exc}", messages.WARNING)
            else:
                done.append(f"#{message.pk}")
        if done:
            self.message_user(
                request, _("다시 발송 대기열에 넣었습니다: ") + ", ".join(done), messages.SUCCESS
            )

    @admin.action(
        description=_("선택한 문자를 수동 발송으로 처리"), permissions=["mark_sent_by_hand"]
    )
    def mark_sent_by_hand(self, request, queryset):
        """Asks for the reason on an intermediate page (like delete confirmation), then records it."""
        if "apply" in request.POST:
            form = MarkSentByHandForm(request.POST)
            if form.is_valid():
                done = []
                for message in queryset:
                    try:
                        services.message_mark_sent_by_hand(
                            message=message, reason=form.cleaned_data["reason"], actor=request.user
                        )
                    except PermissionDenied:
                        # The queryset is scoped already; the service asks the object rule too.
                        self.message_user(
                            request,
                            _("문자 #%(pk)s: 수동 발송으로 기록할 권한이 없습니다.")
                            % {"pk": message.pk},
                            messages.WARNING,
                        )
                    except MessageError as exc:
                        self.message_user(request, str(exc), messages.WARNING)
                    else:
                        done.append(f"#{message.pk}")
                if done:
                    self.message_user(
                        request,
                        _("수동 발송으로 처리했습니다: ") + ", ".join(done),
                        messages.SUCCESS,
                    )
                return None
        else:
            form = MarkSentByHandForm()
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("수동 발송 처리"),
            "queryset": queryset.select_related("template"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "mark_sent_by_hand",
        }
        return TemplateResponse(
            request, "admin/templates_app/outboundmessage/mark_sent_by_hand.html", page
        )
