"""Admin screens for the route table and its reference data (seed 001).

Thin on purpose: who may do what comes from ``kmcs_site.permissions.ACTIONS`` through
``AuditedAdmin`` (leads and managers edit, only leads delete, agents and auditors read), and
every save and delete goes through ``partners.services`` so the admin obeys the same rules as
code (overlapping routes, e-mail channels without recipients, immutable partner codes) and
records the acting user in history. Rule violations appear on the form and as admin messages.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import ErrorList
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from kmcs_site.admin import AuditedAdmin, RoleAdminMixin
from kmcs_site.pagination import CappedCountPaginator

from . import selectors, services
from .models import (
    ROUTE_KEY_TAKEN,
    Channel,
    ChannelRecipient,
    Contact,
    Partner,
    RecipientKind,
    Route,
    RouteMention,
    Site,
    SiteKindOption,
)


class ServiceValidatedForm(forms.ModelForm):
    """Adds the services' extra rules (``services.validate_extra``) to the form's validation and
    repeats every error as an admin message.

    The model's own validation (fields, ``clean()``, constraints) already ran in
    ``ModelForm._post_clean``; when an extra rule fails it replaces the DB constraints' generic
    message, so an overlap names the route it overlaps.
    """

    request = None  # set per request by ServiceAdmin.get_form

    def _post_clean(self):
        super()._post_clean()
        if not any(field != NON_FIELD_ERRORS for field in self._errors):
            try:
                services.validate_extra(self.instance)
            except ValidationError as exc:
                self._drop_errors(code=ROUTE_KEY_TAKEN)
                self._update_errors(exc)
        if self._errors and self.request is not None:
            for field, errors in self._errors.items():
                label = self.fields[field].label if field in self.fields else None
                for error in errors:
                    messages.error(self.request, f"{label}: {error}" if label else error)

    def _drop_errors(self, *, code: str) -> None:
        kept = [
            e for e in self._errors.get(NON_FIELD_ERRORS, ErrorList()).as_data() if e.code != code
        ]
        if kept:
            self._errors[NON_FIELD_ERRORS] = self.error_class(kept, error_class="nonfield")
        else:
            self._errors.pop(NON_FIELD_ERRORS, None)


class ServiceAdmin(AuditedAdmin):
    form = ServiceValidatedForm
    paginator = CappedCountPaginator  # no COUNT(*) of a whole table on a list page (issue 7)
    selector = None  # a partners.selectors list function; the admin reads through it

    def get_queryset(self, request):
        qs = self.selector() if self.selector else super().get_queryset(request)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(self, request, obj, form, change):
        services.record_save(instance=obj, actor=request.user)

    def delete_model(self, request, obj):
        services.record_delete(instance=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.record_delete(instance=obj, actor=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form already showed every rule; this catches a save refused in between (a
        # concurrent edit): the transaction is rolled back and the reason shown as a message.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(request.get_full_path())

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "seed_key")


@admin.register(Partner)
class PartnerAdmin(ServiceAdmin):
    selector = staticmethod(selectors.partner_list)
    list_display = ("name", "code", "is_active", "seed_key")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    ordering = ("name",)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # Codes cross the API: fixed once the partner exists (services refuse a change too).
        return (*fields, "code") if obj is not None else fields


def site_kind_select(form: forms.ModelForm, name: str) -> None:
    """``name`` as a list of the 현장 구분 rows in use (plus the row's own kind if a lead has
    since retired it): the list is rows, not a constant (issue 15 A.2)."""
    if name not in form.fields:  # a reader's page: read-only
        return
    names = selectors.site_kind_names()
    current = getattr(form.instance, name, "")
    if current and current not in names:
        names[current] = selectors.site_kind_names(active_only=False).get(current, current)
    form.fields[name].widget = forms.Select(choices=[("", "---------"), *names.items()])


def site_kind_filter(field: str) -> type[admin.SimpleListFilter]:
    """A list filter on the code ``field`` offering the 현장 구분 rows by name (retired ones too,
    since old rows still name them)."""

    class SiteKindFilter(admin.SimpleListFilter):
        title = _("현장 구분")
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(selectors.site_kind_names(active_only=False).items())

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    return SiteKindFilter


@admin.display(description=_("현장 구분"), ordering="site_kind_name")
def site_kind_column(obj) -> str:
    """The kind's name, annotated by the list's selector (no query per row)."""
    return obj.site_kind_name or getattr(obj, "kind", "") or getattr(obj, "site_kind", "")


class SiteAdminForm(ServiceValidatedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        site_kind_select(self, "kind")


@admin.register(SiteKindOption)
class SiteKindOptionAdmin(ServiceAdmin):
    """Seed 001's 현장 구분 (수동현장 일반/특수, T월주차권): rows a lead adds, renames, retires."""

    selector = staticmethod(lambda: SiteKindOption.objects.all())
    list_display = ("name", "code", "position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    ordering = ("position", "code")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # Routes, sites and cases name a kind by its code: fixed once the row exists.
        fields = tuple(f for f in fields if f != "seed_key")
        return (*fields, "code") if obj is not None else fields


@admin.register(Site)
class SiteAdmin(ServiceAdmin):
    form = SiteAdminForm
    selector = staticmethod(selectors.site_list)
    list_display = (
        "name",
        "partner",
        site_kind_column,
        "integration",
        "district",
        "routes_like",
        "is_active",
    )
    list_filter = (site_kind_filter("kind"), "integration", "is_active", "partner")
    search_fields = ("name", "district", "partner__name", "special_policy")
    autocomplete_fields = ("partner", "routes_like")
    list_select_related = ("partner", "routes_like")
    ordering = ("name",)


class RecipientFormSet(forms.BaseInlineFormSet):
    """The channel's To/Cc rows, checked with the service's rule (an e-mail channel needs one,
    other kinds none) against the kind chosen on the same page; a refused page saves nothing."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        to = [row["contact"] for row in kept if row.get("kind") == RecipientKind.TO]
        cc = [row["contact"] for row in kept if row.get("kind") == RecipientKind.CC]
        services.check_recipients(self.instance.kind, to, cc)


class ChannelRecipientInline(RoleAdminMixin, admin.TabularInline):
    model = ChannelRecipient
    formset = RecipientFormSet
    fields = ("kind", "contact", "position")
    autocomplete_fields = ("contact",)
    extra = 0
    ordering = ("kind", "position", "id")


class RouteMentionInline(RoleAdminMixin, admin.TabularInline):
    model = RouteMention
    fields = ("contact", "position")
    autocomplete_fields = ("contact",)
    extra = 0
    ordering = ("position", "id")


@admin.register(Channel)
class ChannelAdmin(ServiceAdmin):
    selector = staticmethod(selectors.channel_list)
    inlines = (ChannelRecipientInline,)
    list_display = ("name", "kind", "partner", "target", "recipient_count", "is_active")
    list_filter = ("kind", "is_active", "partner")
    search_fields = ("name", "target", "recipients__email", "partner__name")
    autocomplete_fields = ("partner",)
    list_select_related = ("partner",)
    ordering = ("name",)

    @admin.display(description=_("수신·참조 수"))
    def recipient_count(self, obj: Channel) -> int:
        return len(obj.recipient_links.all())


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    selector = staticmethod(selectors.contact_list)
    list_display = (
        "label",
        "name",
        "email",
        "mention",
        "partner",
        "effective_from",
        "effective_to",
        "is_active",
    )
    list_filter = ("is_active", "partner")
    search_fields = ("label", "name", "email", "mention", "partner__name")
    autocomplete_fields = ("partner",)
    list_select_related = ("partner",)
    ordering = ("label", "email", "mention")


class RouteAdminForm(ServiceValidatedForm):
    """Carries the version the lead loaded (hidden); a save over a newer version is refused on
    the form, and ``services.record_save`` refuses it again if it slips in meanwhile."""

    class Meta:
        widgets = {"version": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        site_kind_select(self, "site_kind")

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and "version" in data:
            current = (
                Route.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            )
            if current is not None and data["version"] != current:
                raise ValidationError(
                    _(
                        "다른 사용자가 이 경로를 먼저 수정했습니다 (불러온 버전 %(loaded)s, 현재 "
                        "버전 %(current)s). 새로 고쳐 최신 내용을 확인한 뒤 다시 저장하세요. "
                        "입력한 내용은 저장되지 않았습니다."
                    )
                    % {"loaded": data["version"], "current": current},
                    code="route_conflict",
                )
        return data


@admin.register(Route)
class RouteAdmin(ServiceAdmin):
    form = RouteAdminForm
    inlines = (RouteMentionInline,)
    selector = staticmethod(lambda: selectors.route_list(links=False))
    list_display = (
        "id",
        "request_kind",
        "partner",
        "site",
        site_kind_column,
        "integration",
        "topic",
        "customer_agrees",
        "channel",
        "allowed_roles",
        "effective_from",
        "effective_until",
        "is_active",
    )
    list_display_links = ("id", "request_kind")
    list_filter = (
        "request_kind",
        "is_active",
        "allowed_roles",
        site_kind_filter("site_kind"),
        "integration",
        "topic",
        "channel__kind",
        "partner",
    )
    search_fields = (
        "procedure",
        "notes",
        "mention_contacts__mention",
        "detail",
        "seed_key",
        "partner__name",
        "site__name",
        "channel__name",
    )
    autocomplete_fields = ("partner", "site", "channel", "alternative_channel")
    list_select_related = ("partner", "site", "channel")
    ordering = ("request_kind", "partner__name", "site_kind", "integration", "topic", "id")
    fieldsets = (
        (
            _("어떤 요청에"),
            {
                "fields": (
                    "request_kind",
                    "partner",
                    "site",
                    "site_kind",
                    "integration",
                    "topic",
                    "customer_agrees",
                    "detail",
                )
            },
        ),
        (
            _("어떻게"),
            {
                "fields": (
                    "channel",
                    "alternative_channel",
                    "channel_via",
                    "procedure",
                    "allowed_roles",
                    "notes",
                )
            },
        ),
        (
            _("언제"),
            {
                "fields": (
                    "effective_from",
                    "effective_until",
                    "pass_month_from",
                    "effective_note",
                    "is_active",
                )
            },
        ),
        (_("기준 데이터"), {"fields": ("seed_key", "version")}),
    )
