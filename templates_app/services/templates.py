"""Template writes: versions (a draft, approval, retirement) and the code catalogue synced
into the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ..definitions import AUDIENCES, TemplateDef
from ..errors import (
    CatalogueError,
    TemplateError,
)
from ..models import SendingSystem, Service, SmsTemplate, SmsTemplateVersion
from ..render import template_problems
from ._common import (
    VStatus,
    _require,
    _save,
)

# --- templates ------------------------------------------------------------------------------


def template_approved_version(template: SmsTemplate) -> SmsTemplateVersion | None:
    return template.versions.filter(status=VStatus.APPROVED).first()


def template_draft_version(template: SmsTemplate) -> SmsTemplateVersion | None:
    return template.versions.filter(status=VStatus.DRAFT).first()


@transaction.atomic
def template_create(
    *,
    name: str,
    audience: str,
    service: str,
    body: str,
    variables: Mapping[str, str],
    actor,
    description: str = "",
    source: str = "",
    code: str = "",
    sending_system: str = SendingSystem.CEMS,
    enabled: bool = True,
) -> SmsTemplate:
    """A new template with its version 1 as a *draft*: a person approves it before use.

    ``code`` (the stable key services name it by) defaults to the CEMS name it is created with
    and never changes afterwards; the name itself stays editable (:func:`template_update`)."""
    _require(actor, "templates_app.smstemplate.add")
    template = SmsTemplate(
        code=(code or name).strip(),
        sending_system=sending_system,
        enabled=enabled,
        name=name.strip(),
        audience=audience,
        service=service,
        description=description,
        source=source,
    )
    _save(template, actor=actor, reason="템플릿 등록")
    version = SmsTemplateVersion(
        template=template, number=1, body=body, variables=dict(variables), created_by=actor
    )
    _save(version, actor=actor, reason="초안 작성")
    return template


@transaction.atomic
def template_update(
    *,
    template: SmsTemplate,
    actor,
    audience: str,
    service: str,
    description: str,
    source: str,
    name: str | None = None,
    sending_system: str | None = None,
    enabled: bool | None = None,
) -> SmsTemplate:
    """Change what describes a template (not its text: see :func:`template_edit`).

    ``name`` is the CEMS name: a lead corrects it when CEMS spells it otherwise (seed 002 writes
    one name two ways); playbooks find the template by its ``code``, so nothing else changes.
    The history row's reason names the old and new name."""
    _require(actor, "templates_app.smstemplate.change", template)
    if template.is_retired:
        raise TemplateError("폐기된 템플릿은 수정할 수 없습니다.")
    reason = "템플릿 정보 수정"
    if name is not None and name.strip() and name.strip() != template.name:
        new_name = name.strip()
        if SmsTemplate.objects.filter(name=new_name).exclude(pk=template.pk).exists():
            raise TemplateError(f"CEMS 템플릿 명 '{new_name}'은(는) 이미 다른 템플릿이 씁니다.")
        reason = f"CEMS 템플릿 명 변경: {template.name} → {new_name}"
        template.name = new_name
    template.audience = audience
    template.service = service
    template.description = description
    template.source = source
    if sending_system is not None:
        template.sending_system = sending_system
    if enabled is not None:
        template.enabled = enabled
    _save(template, actor=actor, reason=reason)
    return template


@transaction.atomic
def template_edit(
    *, template: SmsTemplate, body: str, variables: Mapping[str, str], actor
) -> SmsTemplateVersion | None:
    """Write new text for ``template`` into its draft version (creating the draft if needed).

    The approved version stays untouched and in use until the draft is approved. Returns the
    draft, or None when the text equals the current working text (nothing to record).
    """
    template = SmsTemplate.objects.select_for_update().get(pk=template.pk)
    if template.is_retired:
        raise TemplateError("폐기된 템플릿은 수정할 수 없습니다.")
    variables = dict(variables)
    draft = template_draft_version(template)
    base = draft or template_approved_version(template)
    if base is not None and base.body == body and base.variables == variables:
        return None
    if draft is None:
        _require(actor, "templates_app.smstemplateversion.add")
        number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = SmsTemplateVersion(template=template, number=number, created_by=actor)
        reason = f"초안 v{number} 작성"
    else:
        _require(actor, "templates_app.smstemplateversion.change", draft)
        reason = f"초안 v{draft.number} 수정"
    draft.body = body
    draft.variables = variables
    _save(draft, actor=actor, reason=reason)
    return draft


@transaction.atomic
def template_version_approve(*, version: SmsTemplateVersion, actor) -> SmsTemplateVersion:
    """Approve a draft: the previous approved version is retired in the same transaction."""
    _require(actor, "templates_app.smstemplate.approve", version.template)
    # Lock the template so two leads approving at once cannot both retire and approve.
    template = SmsTemplate.objects.select_for_update().get(pk=version.template_id)
    version = SmsTemplateVersion.objects.get(pk=version.pk)
    if template.is_retired:
        raise TemplateError(f"폐기된 템플릿 '{template.name}'의 버전은 승인할 수 없습니다.")
    if version.status != VStatus.DRAFT:
        raise TemplateError(
            f"'{template.name}' v{version.number}은(는) 초안이 아니라 승인할 수 없습니다 "
            f"(현재 상태: {version.get_status_display()})."
        )
    now = timezone.now()
    previous = template_approved_version(template)
    if previous is not None:
        previous.status = VStatus.RETIRED
        previous.retired_at = now
        _save(previous, actor=actor, reason=f"v{version.number} 승인으로 폐기")
    version.status = VStatus.APPROVED
    version.approved_at = now
    version.approved_by = actor
    _save(version, actor=actor, reason="승인")
    return version


@transaction.atomic
def template_retire(*, template: SmsTemplate, actor) -> SmsTemplate:
    """Stop using a template: it and all its versions are retired; queuing it is refused."""
    _require(actor, "templates_app.smstemplate.change", template)
    template = SmsTemplate.objects.select_for_update().get(pk=template.pk)
    if template.is_retired:
        return template
    now = timezone.now()
    for version in template.versions.exclude(status=VStatus.RETIRED):
        version.status = VStatus.RETIRED
        version.retired_at = now
        _save(version, actor=actor, reason="템플릿 폐기")
    template.status = SmsTemplate.Status.RETIRED
    _save(template, actor=actor, reason="템플릿 폐기")
    return template


# --- the code catalogue -> database ---------------------------------------------------------


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)  # edited in the DB (kept) or catalogue changed


def catalogue_problems(catalogue: Iterable[TemplateDef]) -> list[str]:
    """Every problem of the catalogue, one Korean line each; [] when every entry is usable."""
    problems: list[str] = []
    seen: set[str] = set()
    services = set(Service.values)
    for definition in catalogue:
        name = definition.name
        if not name or not name.strip():
            problems.append("이름 없는 템플릿이 있습니다.")
            continue
        if name in seen:
            problems.append(f"{name}: 이름이 중복됩니다.")
        seen.add(name)
        if definition.key != name:
            if definition.key in seen:
                problems.append(f"{name}: 고정 키 '{definition.key}'이(가) 중복됩니다.")
            seen.add(definition.key)
        if definition.sending_system not in SendingSystem.values:
            problems.append(
                f"{name}: 발송 시스템 '{definition.sending_system}'을(를) 알 수 없습니다."
            )
        if len(name) > SmsTemplate._meta.get_field("name").max_length:
            problems.append(f"{name}: 이름이 너무 깁니다.")
        if definition.audience not in AUDIENCES:
            problems.append(f"{name}: 수신 대상 '{definition.audience}'을(를) 알 수 없습니다.")
        if definition.service not in services:
            problems.append(f"{name}: 서비스 '{definition.service}'을(를) 알 수 없습니다.")
        problems.extend(
            f"{name}: {p.message}" for p in template_problems(definition.body, definition.variables)
        )
    return problems


def catalogue_sync(
    *,
    catalogue: Iterable[TemplateDef],
    template_model=SmsTemplate,
    version_model=SmsTemplateVersion,
    history_models: tuple | None = None,
    using: str = "default",
    stdout: TextIO | None = None,
) -> SyncReport:
    """Create every catalogue template missing from the database, as approved version 1.

    Idempotent, and never overwrites: a template that exists (by CEMS name) is left as people
    edited it; a difference from the catalogue is only reported. Called by the data migration
    (with historical model classes, and their history models so the seed has an audit row)
    and by ``bootstrap.run`` (real models; simple-history writes the rows itself).
    """
    catalogue = tuple(catalogue)
    problems = catalogue_problems(catalogue)
    if problems:
        raise CatalogueError("문자 템플릿 카탈로그 오류:\n" + "\n".join(problems))
    templates = template_model.objects.db_manager(using)
    versions = version_model.objects.db_manager(using)
    # A template is matched by its stable key (``code``); the 0002 migration runs before the
    # key exists (historical model without it) and matches by name, as it always did.
    keyed = any(f.name == "code" for f in template_model._meta.concrete_fields)
    key_field = "code" if keyed else "name"
    existing = set(templates.values_list(key_field, flat=True))
    approved = {
        row[f"template__{key_field}"]: (row["body"], row["variables"])
        for row in versions.filter(status="approved").values(
            f"template__{key_field}", "body", "variables"
        )
    }
    now = timezone.now()
    report = SyncReport()
    for definition in catalogue:
        key = definition.key if keyed else definition.name
        if key in existing:
            if approved.get(key) == (definition.body, dict(definition.variables)):
                report.unchanged.append(definition.name)
            else:
                report.differs.append(definition.name)
            continue
        extra = (
            {
                "code": definition.key,
                "sending_system": definition.sending_system,
                "enabled": definition.enabled,
            }
            if keyed
            else {}
        )
        template = template_model(
            name=definition.name,
            audience=definition.audience,
            service=definition.service,
            description=definition.description,
            source=definition.source,
            status="active",
            **extra,
        )
        template._change_reason = "카탈로그에서 등록"
        template.save(using=using)
        version = version_model(
            template=template,
            number=1,
            body=definition.body,
            variables=dict(definition.variables),
            status="approved",
            approved_at=now,
        )
        version._change_reason = "카탈로그에서 등록 (승인)"
        version.save(using=using)
        if history_models:
            for history_model, obj in zip(history_models, (template, version), strict=True):
                _write_history_row(history_model, obj, using=using, at=now)
        report.created.append(definition.name)
    if stdout is not None:
        for name in report.created:
            stdout.write(f"  + 문자 템플릿 등록: {name}\n")
        for name in report.differs:
            stdout.write(f"  ! 카탈로그와 다름 (DB 내용 유지): {name}\n")
        stdout.write(
            f"  문자 템플릿: 신규 {len(report.created)}, 동일 {len(report.unchanged)}, "
            f"다름 {len(report.differs)}\n"
        )
    return report


def _write_history_row(history_model, obj, *, using: str, at) -> None:
    """The '+' history row simple-history would have written (migrations use plain models)."""
    values = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if any(h.attname == f.attname for h in history_model._meta.concrete_fields)
    }
    history_model.objects.db_manager(using).create(
        **values,
        history_date=at,
        history_type="+",
        history_change_reason="카탈로그에서 등록",
    )
