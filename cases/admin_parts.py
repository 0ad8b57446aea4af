"""The case admin's parts: read-only inlines of what services wrote, the forms of its
intermediate pages (assign, unmask, the few record fields), and list filters that never scan
the cases table. ``cases.admin`` assembles them into ``CaseAdmin``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cases.labels import outcome_filter_choices
from cases.models import Case, CaseStep, ContactAttempt, EscalationPost
from kmcs_site.admin import RoleAdminMixin
from kmcs_site.permissions import ALL_AGENTS


# --- inlines: read-only views of what services wrote -----------------------------------------
class ReadOnlyInline(RoleAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseStepInline(ReadOnlyInline):
    model = CaseStep
    fields = ("order", "label", "roles", "kind", "waits_on", "status", "done_by", "done_at")
    readonly_fields = fields
    ordering = ("order",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("done_by")


class EscalationPostInline(ReadOnlyInline):
    model = EscalationPost
    fields = ("board", "template", "reason", "body", "link", "created_by", "created_at")
    readonly_fields = fields

    @admin.display(description=_("아지트 링크"))
    def link(self, post):
        if not post.link_url:
            return "미작성"
        return format_html(
            '<a href="{}" rel="noopener" target="_blank">{}</a>', post.link_url, post.link_url
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class ContactAttemptInline(ReadOnlyInline):
    model = ContactAttempt
    fields = ("at", "target", "result", "is_special", "note", "by", "escalation_post")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "escalation_post")


# --- forms of the intermediate pages ------------------------------------------------------
def assignable_users():
    """Active users in an agent-and-up role (auditors and integrations are never assignees)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=sorted(ALL_AGENTS))
        .distinct()
        .order_by("username")
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("담당 상담사"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("(배정 해제)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()


class UnmaskForm(forms.Form):
    field = forms.ChoiceField(
        label=_("항목"),
        choices=[("customer_phone", _("고객 전화번호")), ("driver_phone", _("기사 전화번호"))],
    )
    reason = forms.CharField(label=_("조회 사유"), max_length=300)


class CaseRecordForm(forms.ModelForm):
    """The few fields a lead edits here; saved through case_record_update."""

    class Meta:
        model = Case
        fields = (
            "consultation_type",
            "record_title",
            "record_inquiry",
            "record_notes",
            "operations_memo",
            "billing_memo",
        )


# --- list filters that never scan the cases table -------------------------------------------
def declared_outcome_codes() -> tuple[str, ...]:
    """Every outcome code the playbooks declare (their ``OUTCOMES``), playbook by playbook."""
    return tuple(code for code, _label in outcome_filter_choices())


class OutcomeListFilter(admin.AllValuesFieldListFilter):
    """The outcome filter's choices from the playbooks' declared outcomes with their Korean
    labels, not from a ``SELECT DISTINCT outcome`` over every case (a full scan per page)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # builds a lazy DISTINCT queryset, never evaluated
        self.lookup_choices = declared_outcome_codes()

    def choices(self, changelist):
        labels = dict(outcome_filter_choices())
        for choice in super().choices(changelist):
            display = str(choice["display"])
            code = display.rsplit(" (", 1)[0] if display not in labels else display
            if code in labels:
                choice = {**choice, "display": display.replace(code, labels[code], 1)}
            yield choice


class AssigneeListFilter(admin.RelatedFieldListFilter):
    """Assignee choices from the staff who can be assigned (one small query on users), not
    ``RelatedOnlyFieldListFilter``'s ``SELECT DISTINCT assignee_id`` over every case."""

    def field_choices(self, field, request, model_admin):
        return [(user.pk, str(user)) for user in assignable_users()]
