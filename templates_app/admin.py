"""Admin of templates_app: templates with their versions and a preview; the read-only outbox
in ``templates_app.admin_outbox`` (registered on import).

Thin on purpose: every write goes through ``templates_app.services`` and every permission
question through ``kmcs_site.permissions.user_can`` (via RoleAdminMixin: ``approve`` ->
``templates_app.smstemplate.approve`` and so on).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kmcs_site.admin import AuditedAdmin, RoleAdminMixin
from kmcs_site.pagination import CappedCountPaginator

from . import services
from .admin_outbox import OutboundMessageAdmin, pre_text  # noqa: F401
from .errors import TemplateError
from .forms import (
    SmsTemplateForm,
    preview_context,
    preview_form_class,
    preview_initial,
)
from .models import SmsTemplate, SmsTemplateVersion
from .render import RenderError, render_sms


class SmsTemplateVersionInline(RoleAdminMixin, admin.TabularInline):
    """Every version, read-only: approved text is never edited, drafts are edited in the form."""

    model = SmsTemplateVersion
    extra = 0
    can_delete = False
    ordering = ("-number",)
    fields = (
        "number",
        "status",
        "body_display",
        "variables",
        "created_by",
        "created_at",
        "approved_by",
        "approved_at",
        "retired_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by", "approved_by")

    @admin.display(description=_("본문"))
    def body_display(self, obj):
        return pre_text(obj.body)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SmsTemplate)
class SmsTemplateAdmin(AuditedAdmin):
    form = SmsTemplateForm
    list_display = (
        "name",
        "audience",
        "service",
        "sending_system",
        "enabled",
        "status",
        "approved_display",
        "draft_display",
        "updated_at",
        "preview_link",
    )
    list_filter = ("status", "audience", "service", "sending_system", "enabled")
    search_fields = ("name", "code", "description")
    inlines = [SmsTemplateVersionInline]
    paginator = CappedCountPaginator
    actions = ["approve_drafts", "retire_templates"]

    def get_queryset(self, request):
        versions = SmsTemplateVersion.objects.filter(template=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                approved_number=Subquery(versions.filter(status="approved").values("number")[:1]),
                draft_number=Subquery(versions.filter(status="draft").values("number")[:1]),
            )
        )

    def get_fieldsets(self, request, obj=None):
        editable = obj is None or self.has_change_permission(request, obj)
        text_fields = ("body", "variables") if editable else ("working_body", "working_variables")
        main = (
            "name",
            "audience",
            "service",
            "sending_system",
            "enabled",
            "description",
            "source",
        )
        if obj is not None:
            # The stable key playbooks name the template by: shown, never edited.
            main = ("code", *main)
        return (
            (None, {"fields": main}),
            (_("본문 (작업본: 초안이 있으면 초안, 없으면 승인본)"), {"fields": text_fields}),
        )

    def get_readonly_fields(self, request, obj=None):
        # The stable key (code) is how playbooks refer to a template: fixed once created; the
        # CEMS name stays editable (a lead corrects it when CEMS spells it otherwise).
        if obj is None:
            return ()
        if not self.has_change_permission(request, obj):
            # Read-only pages that build a form without change=True (simple-history's version
            # page for an auditor) must know the display-only fields of get_fieldsets.
            return ("code", "working_body", "working_variables")
        return ("code",)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_retired:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # templates are retired, never deleted (messages refer to them)

    # --- columns ---

    @admin.display(description=_("승인 버전"), ordering="approved_number")
    def approved_display(self, obj):
        number = getattr(obj, "approved_number", None)
        return f"v{number}" if number else "-"

    @admin.display(description=_("초안"))
    def draft_display(self, obj):
        number = getattr(obj, "draft_number", None)
        return f"v{number} 승인 대기" if number else "-"

    @admin.display(description=_("미리보기"))
    def preview_link(self, obj):
        url = reverse("admin:templates_app_smstemplate_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("미리보기"))

    def _working_version(self, obj):
        return obj.versions.order_by("-number").first() if obj and obj.pk else None

    @admin.display(description=_("본문"))
    def working_body(self, obj):
        version = self._working_version(obj)
        return pre_text(version.body) if version else "-"

    @admin.display(description=_("변수 선언"))
    def working_variables(self, obj):
        version = self._working_version(obj)
        return version.variables if version else "-"

    # --- saving: one service per change ---

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.template_create(
                name=data["name"],
                audience=data["audience"],
                service=data["service"],
                description=data.get("description", ""),
                source=data.get("source", ""),
                body=data["body"],
                variables=data["variables"],
                actor=request.user,
                sending_system=data.get("sending_system") or "cems",
                enabled=data.get("enabled", True),
            )
            # The admin goes on with ``obj`` (inlines, log entry): make it the saved row.
            obj.pk = created.pk
            obj.status = created.status
            obj._state.adding = False
            obj._state.db = created._state.db
            self.message_user(
                request, _("초안 v1이 저장되었습니다. 승인해야 발송에 쓰입니다."), messages.INFO
            )
            return
        # The stored row, not ``obj``: the form already wrote the new name into ``obj``, and the
        # service compares with what is stored to say "CEMS 템플릿 명 변경: old → new".
        services.template_update(
            template=SmsTemplate.objects.get(pk=obj.pk),
            actor=request.user,
            audience=data["audience"],
            service=data["service"],
            description=data.get("description", ""),
            source=data.get("source", ""),
            name=data.get("name"),
            sending_system=data.get("sending_system"),
            enabled=data.get("enabled"),
        )
        draft = services.template_edit(
            template=obj, body=data["body"], variables=data["variables"], actor=request.user
        )
        if draft is not None:
            self.message_user(
                request,
                _("초안 v%(n)s이 저장되었습니다. 승인 전까지는 기존 승인본이 발송에 쓰입니다.")
                % {"n": draft.number},
                messages.INFO,
            )

    # --- actions ---

    @admin.action(description=_("선택한 템플릿의 초안 승인"), permissions=["approve"])
    def approve_drafts(self, request, queryset):
        approved = []
        for template in queryset:
            draft = services.template_draft_version(template)
            if draft is None:
                self.message_user(
                    request,
                    _("%(name)s: 승인할 초안이 없습니다.") % {"name": template.name},
                    messages.WARNING,
                )
                continue
            try:
                services.template_version_approve(version=draft, actor=request.user)
            except TemplateError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            approved.append(f"{template.name} v{draft.number}")
        if approved:
            self.message_user(request, _("승인했습니다: ") + ", ".join(approved), messages.SUCCESS)

    @admin.action(description=_("선택한 템플릿 폐기"), permissions=["change"])
    def retire_templates(self, request, queryset):
        names = []
        for template in queryset:
            services.template_retire(template=template, actor=request.user)
            names.append(template.name)
        if names:
            self.message_user(request, _("폐기했습니다: ") + ", ".join(names), messages.SUCCESS)

    # --- preview ---

    def get_urls(self):
        urls = super().get_urls()
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="templates_app_smstemplate_preview",
        )
        return [preview, *urls]

    def preview_view(self, request, object_id):
        """Pick a version, type sample values, see the message and its length class.

        POST carries the values (they may be real-looking numbers: keep them out of URLs and
        access logs); nothing is saved. ``_approve`` approves the shown draft.
        """
        if not self.has_preview_permission(request):
            raise PermissionDenied
        template = self.get_object(request, unquote(object_id))
        if template is None:
            raise Http404(_("문자 템플릿이 없습니다."))
        versions = list(template.versions.select_related("approved_by").order_by("-number"))
        if not versions:
            raise Http404(_("버전이 없는 템플릿입니다."))
        version = self._preview_version(request, versions)
        can_approve = (
            version.status == SmsTemplateVersion.Status.DRAFT
            and not template.is_retired
            and self.has_approve_permission(request)
        )
        if request.method == "POST" and "_approve" in request.POST:
            if not can_approve:
                raise PermissionDenied
            try:
                services.template_version_approve(version=version, actor=request.user)
            except TemplateError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request, _("v%(n)s을 승인했습니다.") % {"n": version.number}, messages.SUCCESS
                )
            url = reverse("admin:templates_app_smstemplate_preview", args=[template.pk])
            return HttpResponseRedirect(f"{url}?version={version.pk}")

        form_class = preview_form_class(version.variables)
        if request.method == "POST":
            form = form_class(request.POST)
            context = preview_context(form) if form.is_valid() else None
        else:
            form = form_class(initial=preview_initial(version.variables))
            context = preview_initial(version.variables)
        rendered = error = None
        if context is not None:
            try:
                rendered = render_sms(
                    body=version.body, variables=version.variables, context=context
                )
            except RenderError as exc:
                error = exc.message
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": template,
            "title": _("문자 미리보기: %(name)s") % {"name": template.name},
            "versions": versions,
            "version": version,
            "form": form,
            "media": self.media + form.media,
            "rendered": rendered,
            "error": error,
            "can_approve": can_approve,
            "has_view_permission": self.has_view_permission(request, template),
        }
        return TemplateResponse(request, "admin/templates_app/smstemplate/preview.html", page)

    @staticmethod
    def _preview_version(request, versions):
        wanted = request.GET.get("version") or request.POST.get("version")
        if wanted:
            for version in versions:
                if str(version.pk) == wanted:
                    return version
            raise Http404(_("해당 버전이 없습니다."))
        # Default: the draft (what a lead is about to approve), else the approved version.
        for status in (SmsTemplateVersion.Status.DRAFT, SmsTemplateVersion.Status.APPROVED):
            for version in versions:
                if version.status == status:
                    return version
        return versions[0]
