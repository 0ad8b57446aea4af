"""Admin of the cases app's reference data: consultation types, campaigns, agents' services
and the unmask log. Every save goes through ``cases.services``; registered on import by
``cases.admin``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Campaign, ConsultationType, Service, StaffProfile, UnmaskLog
from cases.services import (
    campaign_save,
    consultation_type_add,
    consultation_type_set_active,
    staff_profile_set_services,
)
from kmcs_site.admin import AuditedAdmin, RoleAdminMixin
from kmcs_site.pagination import CappedCountPaginator


# --- reference data ------------------------------------------------------------------------
class ConsultationTypeForm(forms.ModelForm):
    class Meta:
        model = ConsultationType
        fields = ("parent", "name", "is_leaf", "is_active")


@admin.register(ConsultationType)
class ConsultationTypeAdmin(AuditedAdmin):
    """Leads add types under a node and switch them off; renaming is not offered, because
    playbooks name their types by path (cases/consultation_types.py)."""

    form = ConsultationTypeForm
    paginator = CappedCountPaginator
    list_display = ("path_label", "level", "is_leaf", "is_active")
    list_filter = ("level", "is_leaf", "is_active")
    search_fields = ("path_label",)
    list_select_related = ("parent",)
    ordering = ("path_label",)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("level", "path_label")
        return ("parent", "name", "is_leaf", "level", "path_label")

    def has_delete_permission(self, request, obj=None):
        return False  # cases keep their type; switch it off instead

    def save_model(self, request, obj, form, change):
        if change:
            saved = consultation_type_set_active(
                node=obj, is_active=form.cleaned_data["is_active"], actor=request.user
            )
        else:
            saved = consultation_type_add(
                parent=form.cleaned_data["parent"],
                name=form.cleaned_data["name"],
                is_leaf=form.cleaned_data["is_leaf"],
                actor=request.user,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    """An extension is an edit of the end date; the history tab shows who moved it."""

    list_display = ("code", "name", "starts_on", "ends_on", "coupon_expires_on", "active_today")
    search_fields = ("code", "name")
    paginator = CappedCountPaginator
    ordering = ("-starts_on",)

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("오늘 진행 중"), boolean=True)
    def active_today(self, campaign):
        today = timezone.localdate()
        return campaign.starts_on <= today <= campaign.ends_on

    def save_model(self, request, obj, form, change):
        saved = campaign_save(campaign=obj, actor=request.user)
        obj.pk = saved.pk
        obj.refresh_from_db()


class StaffProfileForm(forms.ModelForm):
    services = forms.MultipleChoiceField(
        label=_("담당 서비스"),
        choices=Service.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = StaffProfile
        fields = ("user", "services")


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedAdmin):
    form = StaffProfileForm
    list_display = ("user", "services_label")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    paginator = CappedCountPaginator

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("담당 서비스"))
    def services_label(self, profile):
        return ", ".join(str(Service(s).label) for s in profile.services if s in Service.values)

    def save_model(self, request, obj, form, change):
        saved = staff_profile_set_services(
            user=obj.user, services=form.cleaned_data["services"], actor=request.user
        )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(UnmaskLog)
class UnmaskLogAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Who saw a full phone number, when, why. Nobody edits or deletes it."""

    list_display = ("at", "case", "field", "by", "reason")
    list_filter = ("field", "at")
    list_select_related = ("case", "by")
    show_full_result_count = False
    paginator = CappedCountPaginator
    readonly_fields = ("case", "field", "reason", "by", "at")

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
