"""Forms of the workspace screens added with issue 13 (their own module: ``cases/forms.py`` is
shared): the queue's filter with its sort, and the fact revision form.

The fact revision form (case page and admin): the playbook's facts, filled with the case's.

Generated from the playbook's ``FACTS`` like the new-case form (``cases.forms.facts_form_class``),
without the intake fields (channel, phones): those are the case's, not facts. Like that form it
does not validate facts itself; ``case_revise_facts`` validates them with ``FACTS`` and its
Korean field errors go back on the fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import fields as drf

from cases.forms import CASE_FIELDS, CaseFilterForm, FactField, _form_field


class QueueFilterForm(CaseFilterForm):
    """The queue's filters (status, playbook) and its order (by due time or age)."""

    sort = forms.ChoiceField(label=_("정렬"), required=False)

    def __init__(self, *args, **kwargs):
        from cases.selectors import QUEUE_SORTS

        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [("", _("기본 (내 케이스 먼저)")), *QUEUE_SORTS.items()]

    def filters(self) -> dict[str, str]:
        return {k: v for k, v in super().filters().items() if k != "sort"}

    def sort_order(self) -> str:
        return self.cleaned_data.get("sort", "") if self.is_valid() else ""


class FactsRevisionForm(forms.Form):
    """Base of the generated revision forms: one field per fact, then why it changed."""

    playbook: str = ""
    fact_fields: tuple[FactField, ...] = ()

    note = forms.CharField(
        label=_("수정 사유"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("예: CPO 답변 수신, 고객 환불금 수긍, 누락된 사실 확인"),
    )

    def revision(self) -> dict[str, Any]:
        """The changes for ``case_revise_facts``: every fact of the form, an empty input as
        ``None`` (the fact is removed, so FACTS' default or "필수 항목입니다." applies)."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for spec in self.fact_fields:
            value = data.get(spec.name)
            if spec.kind == "bool":
                out[spec.name] = bool(value)
            elif spec.kind == "nullbool":
                out[spec.name] = {"true": True, "false": False}.get(value)
            else:
                out[spec.name] = value if value not in (None, "") else None
        return out

    def add_service_errors(self, errors) -> None:
        for name, messages in errors.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)

    def fact_bound_fields(self):
        return [self[spec.name] for spec in self.fact_fields]


def _initial_value(field: drf.Field, kind: str, value: Any) -> Any:
    """A stored fact as its widget shows it (datetime-local has no offset: Seoul time)."""
    if value is None:
        return None
    if kind == "nullbool":
        return {True: "true", False: "false"}.get(value, "")
    if isinstance(field, drf.DateTimeField) and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return value


def facts_revision_form(module, case, data=None) -> FactsRevisionForm:
    """The revision form of ``case`` (its playbook ``module``), bound to ``data`` if given."""
    attrs: dict[str, Any] = {}
    specs = []
    from cases.attachments import attachment_facts
    from cases.services.intake_prepare import facts_serializer

    # The per-thread FACTS instance (only read here): a fresh one deep-copies every field.
    serializer_fields = facts_serializer(module).fields
    # "첨부 여부" facts follow the case's attachments (issue 14.4): no checkbox to revise them.
    from_attachments = attachment_facts(module.CODE)
    for name, field in serializer_fields.items():
        if field.read_only or name in CASE_FIELDS or name in from_attachments:
            continue
        form_field, kind = _form_field(field)
        form_field.fact_required = field.required
        attrs[name] = form_field
        specs.append(FactField(name=name, kind=kind))
    attrs["playbook"] = module.CODE
    attrs["fact_fields"] = tuple(specs)
    form_class = type(
        f"{module.CODE.title().replace('_', '')}RevisionForm", (FactsRevisionForm,), attrs
    )
    facts = case.facts or {}
    initial = {
        spec.name: _initial_value(serializer_fields[spec.name], spec.kind, facts.get(spec.name))
        for spec in specs
        if spec.name in facts
    }
    # Reorder: facts first, the note last.
    form = form_class(data=data, initial=initial, prefix="rev")
    form.order_fields([spec.name for spec in specs] + ["note"])
    return form
