"""The case admin's parts: the forms of its intermediate pages (assign, unmask, the few record
fields) and list filters that never scan the cases table (what services wrote on a case is in
``cases.admin_activity``). ``cases.admin`` assembles them into ``CaseAdmin``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from cases.labels import outcome_filter_choices
from cases.models import Case
from kmcs_site.permissions import ALL_AGENTS


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
