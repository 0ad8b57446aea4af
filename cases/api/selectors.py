"""Reads the API needs beyond ``cases.selectors``: message rendering for the simulator, the
case detail with its messages' template versions, and list filters.

Scoping always starts from ``cases.selectors.case_list_visible_to``; nothing here widens it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from cases.models import Case
from cases.playbooks.base import MessageSpec
from cases.selectors import case_few_visible_to, case_list_visible_to


def approved_versions(names: Iterable[str]) -> dict[str, Any]:
    """Template name -> its approved SmsTemplateVersion (template joined), from
    :mod:`rules.reference_cache` (no query once the request checked the version). Read only:
    the instances are shared by the requests of this process."""
    from rules.reference_cache import reference_snapshot

    wanted = set(names)
    if not wanted:
        return {}
    # Keyed by the template's stable code (what a MessageSpec names), not its editable CEMS name.
    approved = reference_snapshot().approved
    return {code: approved[code] for code in wanted if code in approved}


def render_message_specs(specs: Iterable[MessageSpec]) -> list[dict[str, Any]]:
    """Each message as its recipient would read it, rendered with the approved version.

    The same rendering the outbox does at queue time (``templates_app.render.render_sms``);
    a message that could not be queued says why in ``error`` (Korean) and has no body.
    """
    from templates_app.render import RenderError, render_sms

    specs = list(specs)
    versions = approved_versions(spec.template for spec in specs)
    out = []
    for spec in specs:
        item: dict[str, Any] = {"template": spec.template, "audience": spec.audience}
        version = versions.get(spec.template)
        error = ""
        if version is None:
            error = "승인된 템플릿 버전이 없습니다 (템플릿 확인 필요)."
        elif version.template.is_retired:
            error = "폐기된 템플릿입니다."
        elif version.template.audience != spec.audience:
            error = "템플릿의 수신 대상과 메시지의 수신 대상이 다릅니다."
        if error:
            out.append({**item, "body": None, "error": error})
            continue
        try:
            rendered = render_sms(
                body=version.body, variables=version.variables, context=dict(spec.context)
            )
        except RenderError as exc:
            out.append({**item, "body": None, "error": f"문자를 만들 수 없습니다: {exc}"})
            continue
        out.append(
            {
                **item,
                "body": rendered.text,
                "byte_length": rendered.byte_length,
                "length_class": str(rendered.length_class.value),
                "error": None,
            }
        )
    return out


def cases_for_api(*, user) -> QuerySet[Case]:
    """The cases ``user`` may see (``cases.selectors``), as the list endpoint shows them."""
    return case_list_visible_to(user=user)


def _with_messages(cases: QuerySet[Case]) -> QuerySet[Case]:
    from templates_app.models import OutboundMessage

    messages = OutboundMessage.objects.select_related("template", "template_version")
    return cases.prefetch_related(Prefetch("outbound_messages", queryset=messages.order_by("pk")))


def case_for_api_or_404(*, user, case_id) -> Case:
    """One case ``user`` may see, with its messages and their template versions (3 queries)."""
    try:
        return _with_messages(case_few_visible_to(user=user)).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404("케이스를 찾을 수 없습니다.") from None


def case_with_messages(*, case_id: int) -> Case:
    """The case intake just created or found, for its answer to the caller who filed it.

    Not scoped: only for the intake response, whose caller the view has already checked
    (the integration role files cases it may not list).
    """
    return _with_messages(Case.objects.select_related("assignee")).get(pk=case_id)


def case_intake_answer(*, case: Case, created: bool) -> Case:
    """The case for intake's answer: a case intake has just inserted is answered as it is (it
    has no messages yet: nothing is queued before a decision; no assignee either), a case
    found again (retry) is read back with its messages."""
    if not created or case.assignee_id is not None:
        return case_with_messages(case_id=case.pk)
    from templates_app.models import OutboundMessage

    case._prefetched_objects_cache = {"outbound_messages": OutboundMessage.objects.none()}
    return case


#: filter name -> the lookup it applies (values validated by cases.api.serializers.CaseFilters).
EXACT_FILTERS = {
    "playbook": "playbook",
    "channel": "channel",
    "service": "service",
    "outcome": "outcome",
    "result_type": "result_type",
    "call_id": "call_id",
    "charge_tid": "charge_tid",
    "parking_payment_id": "parking_payment_id",
    "driver_id": "driver_id",
    "customer_phone_last4": "customer_phone_last4",
}


def filter_cases(cases: QuerySet[Case], filters: Mapping[str, Any], *, user) -> QuerySet[Case]:
    """Apply validated list filters; each one is backed by an index of ``cases.Case``."""
    for name, lookup in EXACT_FILTERS.items():
        value = filters.get(name)
        if value not in (None, ""):
            cases = cases.filter(**{lookup: value})
    statuses = filters.get("status")
    if statuses:
        cases = cases.filter(status__in=statuses)
    after: datetime | None = filters.get("created_after")
    if after is not None:
        cases = cases.filter(created_at__gte=after)
    before: datetime | None = filters.get("created_before")
    if before is not None:
        cases = cases.filter(created_at__lt=before)
    assignee = filters.get("assignee")
    if assignee == "me":
        cases = cases.filter(assignee_id=user.pk)
    elif assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif assignee:
        cases = cases.filter(Q(assignee__username=assignee))
    return cases
