"""Template versioning: approved text is never edited; approving retires the previous one."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from templates_app import services
from templates_app.errors import TemplateError
from templates_app.models import SmsTemplate, SmsTemplateVersion

pytestmark = pytest.mark.django_db

V = SmsTemplateVersion.Status


def statuses(template):
    return {v.number: v.status for v in template.versions.all()}


def test_a_new_template_starts_as_a_draft(lead):
    template = services.template_create(
        name="테스트_신규",
        audience="customer",
        service="driver",
        body="{{ amount }} 취소",
        variables={"amount": "amount"},
        actor=lead,
    )
    assert statuses(template) == {1: V.DRAFT}
    assert services.template_approved_version(template) is None
    version = template.versions.get()
    assert version.created_by == lead
    assert version.history.first().history_user == lead


def test_approving_a_draft(make_template, lead):
    template = make_template(approve=True)
    version = services.template_approved_version(template)
    assert version.number == 1
    assert version.approved_by == lead
    assert version.approved_at is not None


def test_editing_an_approved_template_writes_a_new_draft(make_template, lead):
    template = make_template()
    v1 = services.template_approved_version(template)
    old_body = v1.body

    draft = services.template_edit(
        template=template, body="새 본문 {{ amount }}", variables={"amount": "amount"}, actor=lead
    )

    assert draft.number == 2 and draft.status == V.DRAFT
    v1.refresh_from_db()
    assert v1.body == old_body and v1.status == V.APPROVED
    assert services.template_approved_version(template).pk == v1.pk
    assert statuses(template) == {1: V.APPROVED, 2: V.DRAFT}


def test_editing_again_changes_the_draft_in_place(make_template, lead):
    template = make_template()
    first = services.template_edit(
        template=template, body="초안 {{ amount }}", variables={"amount": "amount"}, actor=lead
    )
    second = services.template_edit(
        template=template, body="고친 초안 {{ amount }}", variables={"amount": "amount"}, actor=lead
    )
    assert first.pk == second.pk
    assert template.versions.count() == 2
    second.refresh_from_db()
    assert second.body == "고친 초안 {{ amount }}"


def test_saving_the_same_text_records_nothing(make_template, lead):
    template = make_template()
    v1 = services.template_approved_version(template)
    assert (
        services.template_edit(template=template, body=v1.body, variables=v1.variables, actor=lead)
        is None
    )
    assert template.versions.count() == 1


def test_approving_retires_the_previous_approved_version(make_template, lead, make_user):
    template = make_template()
    draft = services.template_edit(
        template=template, body="v2 {{ amount }}", variables={"amount": "amount"}, actor=lead
    )
    manager = make_user("manager")
    services.template_version_approve(version=draft, actor=manager)

    assert statuses(template) == {1: V.RETIRED, 2: V.APPROVED}
    v1 = template.versions.get(number=1)
    assert v1.retired_at is not None
    assert template.versions.filter(status=V.APPROVED).count() == 1
    assert template.versions.get(number=2).approved_by == manager


def test_only_drafts_can_be_approved(make_template, lead):
    template = make_template()
    approved = services.template_approved_version(template)
    with pytest.raises(TemplateError, match="초안이 아니"):
        services.template_version_approve(version=approved, actor=lead)


def test_the_database_allows_one_approved_version_at_most(make_template):
    template = make_template()
    with pytest.raises(IntegrityError), transaction.atomic():
        SmsTemplateVersion.objects.create(
            template=template,
            number=9,
            body="x",
            variables={},
            status=V.APPROVED,
            approved_at=timezone.now(),
        )


def test_the_database_allows_one_draft_at_most(make_template):
    template = make_template(approve=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        SmsTemplateVersion.objects.create(template=template, number=2, body="x", variables={})


def test_an_invalid_text_is_refused_when_saving(make_template, lead):
    template = make_template()
    with pytest.raises(ValidationError) as info:
        services.template_edit(
            template=template,
            body="{{ amount }} {{ 누락 }}",
            variables={"amount": "amount"},
            actor=lead,
        )
    assert "누락" in str(info.value)
    assert template.versions.count() == 1


def test_retiring_retires_every_version_and_blocks_editing(make_template, lead):
    template = make_template()
    services.template_edit(
        template=template, body="v2 {{ amount }}", variables={"amount": "amount"}, actor=lead
    )
    services.template_retire(template=template, actor=lead)
    template.refresh_from_db()
    assert template.status == SmsTemplate.Status.RETIRED
    assert set(statuses(template).values()) == {V.RETIRED}
    with pytest.raises(TemplateError):
        services.template_edit(template=template, body="x", variables={}, actor=lead)


def test_agents_and_auditors_cannot_write_or_approve_templates(make_template, make_user, lead):
    template = make_template(approve=False)
    draft = services.template_draft_version(template)
    for role in ("agent", "auditor", "integration"):
        user = make_user(role)
        with pytest.raises(PermissionDenied):
            services.template_version_approve(version=draft, actor=user)
        with pytest.raises(PermissionDenied):
            services.template_create(
                name=f"x-{role}",
                audience="driver",
                service="driver",
                body="x",
                variables={},
                actor=user,
            )
    approved = make_template("테스트_다른", approve=True)
    with pytest.raises(PermissionDenied):
        services.template_edit(template=approved, body="y", variables={}, actor=make_user("agent"))
    assert statuses(template) == {1: V.DRAFT}


def test_history_records_who_approved(make_template, lead):
    template = make_template()
    version = services.template_approved_version(template)
    latest = version.history.first()
    assert latest.history_user == lead
    assert latest.status == V.APPROVED
    assert latest.history_change_reason == "승인"
