"""Writes of templates_app: template versions, the catalogue sync, the outbox and delivery.

Rules kept here (and nowhere else):

- an approved version's text is never edited: editing writes the template's one draft, and
  approving it retires the previous approved version (:func:`template_version_approve`);
- a message is rendered and stored inside the caller's transaction and handed to Celery only
  on commit (:func:`message_queue`); a rolled-back decision sends nothing;
- the gateway is called at most once per attempt: a task must first *claim* the message
  (queued -> sending, one conditional UPDATE) and only the claimer sends
  (:func:`message_deliver`);
- seed 002, "SMS 선발송 후 답변내용 저장": :func:`ensure_messages_delivered` is the check the
  cases app runs before saving an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from kmcs_site.permissions import user_can

from .definitions import AUDIENCES, TemplateDef
from .errors import (
    AudienceMismatch,
    CatalogueError,
    IdempotencyConflict,
    InvalidRecipient,
    MessageError,
    MessageRenderError,
    MessageStateError,
    MessageTooLong,
    NoApprovedVersion,
    SmsNotSentYet,
    TemplateError,
    TemplateRetired,
    UnknownTemplate,
)
from .gateways import GatewayPermanentError, SmsRequest, get_gateway
from .models import OutboundMessage, SendingSystem, Service, SmsTemplate, SmsTemplateVersion
from .phones import InvalidPhoneNumber, mask_phone, validate_korean_mobile
from .render import LengthClass, RenderError, render_sms, template_problems
from .resilience import GatewayDeferred

logger = logging.getLogger("templates_app.sms")

#: Attempts per message before it is marked failed (the first try included).
MAX_ATTEMPTS = 5

Status = OutboundMessage.Status
VStatus = SmsTemplateVersion.Status


def _require(actor, action: str, obj=None) -> None:
    if not user_can(actor, action, obj):
        raise PermissionDenied(f"권한이 없습니다: {action}")


def _save(instance, *, actor, reason: str = "") -> None:
    """full_clean + save with the acting user (and why) on the history row."""
    instance.full_clean()
    instance._history_user = actor
    if reason:
        instance._change_reason = reason
    instance.save()


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


# --- the outbox -----------------------------------------------------------------------------


def _enqueue(message_id: int) -> bool:
    """Hand one queued message to Celery. Never raises for a dead broker: the outbox row is
    the promise, and :func:`message_requeue_stale` (beat) hands it over later. Returns whether
    the broker took it (issue 12)."""
    from kmcs_site.broker import publish

    from .tasks import message_send

    return publish(message_send, (message_id,), what=f"문자 #{message_id}")


def _enqueue_on_commit(message_id: int) -> None:
    """After the caller commits, :func:`_enqueue` the message (a named hook, never a partial:
    Django's robust on-commit logging needs ``__qualname__``; a partial made it raise and the
    committed request answer 500 when the broker was down)."""
    from kmcs_site.broker import call_after_commit

    call_after_commit(_enqueue, message_id)


def _same_message(existing: OutboundMessage, template_name: str, recipient: str) -> bool:
    return existing.template.code == template_name and existing.recipient == recipient


def _check_existing(existing: OutboundMessage, template_name: str, recipient: str):
    if not _same_message(existing, template_name, recipient):
        raise IdempotencyConflict(
            f"중복 방지 키 '{existing.idempotency_key}'은(는) 이미 다른 문자에 쓰였습니다 "
            f"(기존: {existing.template.name} → {existing.recipient_masked}, "
            f"요청: {template_name} → {mask_phone(recipient)})."
        )
    return existing


@transaction.atomic
def message_queue(
    *,
    template_name: str,
    recipient: str,
    context: Mapping[str, Any],
    idempotency_key: str,
    actor,
    subject=None,
    audience: str | None = None,
    planned: bool = False,
    step=None,
) -> OutboundMessage:
    """Render ``template_name`` for ``recipient`` and queue it, sent after the caller commits.

    Validates everything first (template usable, Korean mobile, values render, fits one
    LMS); on any problem raises a :class:`MessageError` and queues nothing. The same
    ``idempotency_key`` again returns the existing message and queues nothing new.

    ``planned``: store the message as a draft of a plan (status ``planned``, linked to
    ``step``), sent only when :func:`message_release` is called at its step. Planning the same
    key again while it is still a draft (or was cancelled) re-renders it for the new plan; a
    message that already left the draft state is returned as it is. A non-planned call on a
    drafted key returns the draft unsent: a drafted message goes out only at its step.
    """
    key = (idempotency_key or "").strip()
    if not key:
        raise MessageError("중복 방지 키(idempotency_key)가 필요합니다.")
    if len(key) > OutboundMessage._meta.get_field("idempotency_key").max_length:
        raise MessageError("중복 방지 키가 너무 깁니다 (200자 이하).")
    try:
        phone = validate_korean_mobile(recipient)
    except InvalidPhoneNumber as exc:
        raise InvalidRecipient(str(exc)) from exc

    existing = (
        OutboundMessage.objects.select_related("template").filter(idempotency_key=key).first()
    )
    redraft = (
        planned
        and existing is not None
        and existing.status in (Status.PLANNED, Status.CANCELLED)
        and existing.template.code == template_name
    )
    if existing is not None and not redraft:
        return _check_existing(existing, template_name, phone)

    # Looked up by the stable key: a lead may correct the CEMS name without breaking playbooks.
    template = SmsTemplate.objects.filter(code=template_name).first()
    if template is None:
        raise UnknownTemplate(template_name)
    if template.is_retired:
        raise TemplateRetired(f"문자 템플릿 '{template_name}'은(는) 폐기되어 쓸 수 없습니다.")
    if audience is not None and audience != template.audience:
        raise AudienceMismatch(
            f"문자 템플릿 '{template_name}'은(는) {template.get_audience_display()}용입니다 "
            f"(요청: {audience})."
        )
    version = template_approved_version(template)
    if version is None:
        if template.versions.exclude(status=VStatus.RETIRED).exists():
            raise NoApprovedVersion(
                f"문자 템플릿 '{template_name}'에 승인된 버전이 없습니다. 팀장 승인 후 사용하세요."
            )
        raise TemplateRetired(
            f"문자 템플릿 '{template_name}'의 모든 버전이 폐기되어 쓸 수 없습니다."
        )
    try:
        rendered = render_sms(body=version.body, variables=version.variables, context=context)
    except RenderError as exc:
        raise MessageRenderError(
            f"문자 '{template_name}'을(를) 만들 수 없습니다: {exc.message}", variable=exc.variable
        ) from exc
    if rendered.length_class == LengthClass.TOO_LONG:
        raise MessageTooLong(
            f"문자 '{template_name}'이(가) 너무 깁니다: {rendered.byte_length:,}바이트 "
            f"(LMS 최대 2,000바이트)."
        )

    content_type = object_id = None
    if subject is not None:
        if subject.pk is None:
            raise MessageError("저장되지 않은 기록에는 문자를 연결할 수 없습니다.")
        content_type = ContentType.objects.get_for_model(subject)
        object_id = subject.pk

    if redraft:
        return _redraft(existing, version, rendered, phone, step, actor)
    message = OutboundMessage(
        recipient=phone,
        audience=template.audience,
        template=template,
        template_version=version,
        body=rendered.text,
        byte_length=rendered.byte_length,
        length_class=rendered.length_class.value,
        content_type=content_type,
        object_id=object_id,
        idempotency_key=key,
        queued_by=actor if getattr(actor, "pk", None) else None,
        status=Status.PLANNED if planned else Status.QUEUED,
        step=step,
    )
    # Uniqueness of the key is the database's job (a concurrent twin fails the insert below).
    message.full_clean(validate_unique=False)
    message._history_user = message.queued_by
    message._change_reason = "발송 계획 (단계 대기)" if planned else "발송 요청"
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        existing = (
            OutboundMessage.objects.select_related("template").filter(idempotency_key=key).first()
        )
        if existing is None:
            raise
        return _check_existing(existing, template_name, phone)
    if not planned:
        _enqueue_on_commit(message.pk)
    return message


def _redraft(message, version, rendered, phone, step, actor) -> OutboundMessage:
    """A draft (or a cancelled draft) planned again: the new plan's text, recipient and step."""
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status not in (Status.PLANNED, Status.CANCELLED):
        return message  # released meanwhile: what went out stays as it went out
    message.status = Status.PLANNED
    message.template_version = version
    message.body = rendered.text
    message.byte_length = rendered.byte_length
    message.length_class = rendered.length_class.value
    message.recipient = phone
    message.step = step
    _save(message, actor=actor if getattr(actor, "pk", None) else None, reason="발송 계획 갱신")
    return message


@transaction.atomic
def message_release(*, message: OutboundMessage, actor) -> bool:
    """Send a drafted (``planned``) message now: planned -> queued, handed to Celery on commit.

    Idempotent: a message that already left the draft state (queued, sending, sent, failed,
    sent by hand, cancelled) is left as it is and False is returned, so a retried or
    double-clicked "send" never sends twice. The caller (the case's plan) checks the step.
    """
    # queued_at becomes the moment sending was asked for (the stale sweeper reads it).
    claimed = OutboundMessage.objects.filter(pk=message.pk, status=Status.PLANNED).update(
        status=Status.QUEUED, queued_at=timezone.now()
    )
    if not claimed:
        return False
    message = OutboundMessage.objects.get(pk=message.pk)
    message.queued_by = actor if getattr(actor, "pk", None) else message.queued_by
    message._history_user = message.queued_by
    message._change_reason = "발송 요청 (단계 도달)"
    message.save(update_fields=["queued_by"])
    _enqueue_on_commit(message.pk)
    return True


@transaction.atomic
def message_cancel_planned(*, message: OutboundMessage, actor, reason: str) -> bool:
    """A drafted message the plan no longer sends (replaced, step not applicable, case closed
    by force): planned -> cancelled, kept as the record. False when it is not a draft."""
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != Status.PLANNED:
        return False
    message.status = Status.CANCELLED
    _save(message, actor=actor if getattr(actor, "pk", None) else None, reason=reason[:500])
    return True


# --- delivery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    message_id: int
    status: str
    sent: bool = False  # the gateway accepted the message in this call
    retry_in: int | None = None  # seconds until the next attempt, if one is due
    skipped: str = ""  # why nothing was done (already sent, claimed elsewhere...)


def _retry_delay(attempts: int) -> int:
    base = int(getattr(settings, "KMCS_SMS_RETRY_BASE_SECONDS", 30))
    return base * 2 ** max(0, attempts - 1)


def message_deliver(*, message_id: int) -> DeliveryOutcome:
    """Send one queued message through the gateway, at most once per attempt.

    1. Claim: one conditional UPDATE moves the row queued -> sending. On PostgreSQL it takes the
       row lock, on SQLite the database write lock; either way exactly one caller wins, so a
       task delivered twice (acks_late redelivery, a duplicate from the stale sweeper, two
       workers) calls the gateway once. Nothing is held open while the gateway is called.
    2. Send, outside any transaction.
    3. Record the result under ``select_for_update``, only if the row is still our claim.

    A worker that dies between 1 and 3 leaves the message in "sending": it is not resent
    automatically (that could send twice); the admin shows it and a lead can retry it or mark
    it sent by hand once they have checked the provider. The exception is a gateway that
    honours the idempotency key (``gateway.idempotent``): there :func:`message_requeue_stale`
    asks again, and the provider absorbs the repeat.
    """
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(pk=message_id, status=Status.QUEUED).update(
        status=Status.SENDING,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=None,
    )
    message = OutboundMessage.objects.filter(pk=message_id).select_related("template").first()
    if message is None:
        return DeliveryOutcome(message_id, "", skipped="missing")
    if not claimed:
        return DeliveryOutcome(message_id, message.status, skipped=f"not queued ({message.status})")

    attempt = message.attempts
    request = SmsRequest(
        recipient=message.recipient,
        body=message.body,
        idempotency_key=message.idempotency_key,
        length_class=message.length_class,
        message_id=message.pk,
        sender=getattr(settings, "KMCS_SMS_SENDER", ""),
        attempt=attempt,
    )
    try:
        # Each template names its sending system (CEMS, MCRM): that system's gateway sends it.
        receipt = get_gateway(message.template.sending_system).send(request)
    except GatewayDeferred as exc:  # rate limit or open breaker: nothing left, no attempt spent
        return _record(
            message_id, attempt, status=Status.QUEUED, error=str(exc), deferred=exc.retry_after
        )
    except GatewayPermanentError as exc:
        return _record(message_id, attempt, status=Status.FAILED, error=str(exc), permanent=True)
    except Exception as exc:  # any failure of the gateway is a failed attempt, kept visible
        error = f"{type(exc).__name__}: {exc}"
        if attempt >= MAX_ATTEMPTS:
            # Transient failures only (a permanent one is FAILED above): the provider never
            # gave a final answer, so the message waits in the dead letter for a lead.
            return _record(message_id, attempt, status=Status.DEAD_LETTER, error=error)
        return _record(message_id, attempt, status=Status.QUEUED, error=error)
    return _record(
        message_id, attempt, status=Status.SENT, provider_message_id=receipt.provider_message_id
    )


@transaction.atomic
def _record(
    message_id: int,
    attempt: int,
    *,
    status: str,
    error: str = "",
    provider_message_id: str = "",
    permanent: bool = False,
    deferred: int | None = None,
) -> DeliveryOutcome:
    message = OutboundMessage.objects.select_for_update().get(pk=message_id)
    if message.status != Status.SENDING or message.attempts != attempt:
        # A person acted on a message stuck in "sending" meanwhile: their decision stands.
        logger.warning(
            "SMS #%s: result of attempt %s ignored, message is now %s (attempt %s)",
            message_id,
            attempt,
            message.status,
            message.attempts,
        )
        return DeliveryOutcome(message_id, message.status, skipped="claim lost")
    now = timezone.now()
    retry_in = None
    message.status = status
    if status == Status.SENT:
        message.sent_at = now
        message.provider_message_id = provider_message_id[:200]
        message.last_error = ""
        reason = f"발송 완료 ({attempt}회차)"
    else:
        message.last_error = error[:2000]
        if deferred is not None:
            # Held back before the provider was asked: the attempt is given back.
            retry_in = deferred
            message.attempts = max(0, attempt - 1)
            message.next_attempt_at = now + timedelta(seconds=retry_in)
            reason = f"발송 보류 ({error[:200]}), {retry_in}초 후 재시도"
        elif status == Status.QUEUED:
            retry_in = _retry_delay(attempt)
            message.next_attempt_at = now + timedelta(seconds=retry_in)
            reason = f"발송 실패 ({attempt}회차), {retry_in}초 후 재시도"
        elif status == Status.DEAD_LETTER:
            reason = f"재시도 소진 ({attempt}회 일시 오류): 팀장 재처리 대기"
        else:
            why = "재시도 불가 오류" if permanent else f"{attempt}회 모두 실패"
            reason = f"발송 실패 확정 ({why})"
        logger.warning("SMS #%s attempt %s failed: %s", message_id, attempt, error)
    message._change_reason = reason
    message._history_user = None
    message.save()
    if status in (Status.FAILED, Status.DEAD_LETTER):
        from notifications.notify import notify_message_failed

        notify_message_failed(message=message, at=now)
    return DeliveryOutcome(
        message_id, message.status, sent=status == Status.SENT, retry_in=retry_in
    )


def _stuck_before():
    seconds = int(getattr(settings, "KMCS_SMS_STUCK_AFTER_SECONDS", 900))
    return timezone.now() - timedelta(seconds=seconds)


def _is_stuck(message: OutboundMessage) -> bool:
    return (
        message.status == Status.SENDING
        and message.last_attempt_at is not None
        and message.last_attempt_at < _stuck_before()
    )


@transaction.atomic
def message_mark_sent_by_hand(*, message: OutboundMessage, reason: str, actor) -> OutboundMessage:
    """Record that a person sent this message outside KMCS (CEMS, phone): it counts as delivered.

    Any later task run sees the status and sends nothing.
    """
    _require(actor, "templates_app.outboundmessage.mark_sent_by_hand", message)
    reason = (reason or "").strip()
    if not reason:
        raise MessageError("수동 발송 사유를 입력하세요.")
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status in OutboundMessage.DELIVERED:
        raise MessageStateError(f"문자 #{message.pk}은(는) 이미 발송되었습니다.")
    if message.status == Status.SENDING and not _is_stuck(message):
        raise MessageStateError(
            f"문자 #{message.pk}은(는) 지금 발송 중입니다. 잠시 후 결과를 확인하세요."
        )
    message.status = Status.SENT_BY_HAND
    message.hand_reason = reason
    message.hand_sent_by = actor
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    _save(message, actor=actor, reason=f"수동 발송 처리: {reason}"[:500])
    return message


@transaction.atomic
def message_retry(*, message: OutboundMessage, actor) -> OutboundMessage:
    """Put a failed (or stuck "sending") message back in the queue with a fresh attempt budget."""
    _require(actor, "templates_app.outboundmessage.retry", message)
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != Status.FAILED and not _is_stuck(message):
        raise MessageStateError(
            f"문자 #{message.pk}은(는) 재발송할 수 없는 상태입니다 ({message.get_status_display()})."
        )
    message.status = Status.QUEUED
    message.attempts = 0
    message.next_attempt_at = None
    _save(message, actor=actor, reason="재발송 요청")
    _enqueue_on_commit(message.pk)
    return message


@transaction.atomic
def message_retry_dead_letter(*, message: OutboundMessage, actor) -> OutboundMessage:
    """A lead sends a dead-lettered message again (issue 16), with a fresh attempt budget.

    The row keeps its idempotency key: if an earlier attempt did reach the provider (its answer
    was lost), the gateway finds it by that key and the customer gets the message once.
    """
    _require(actor, "templates_app.outboundmessage.retry_dead_letter", message)
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != Status.DEAD_LETTER:
        raise MessageStateError(
            f"문자 #{message.pk}은(는) 재처리 대기 상태가 아닙니다 ({message.get_status_display()})."
        )
    message.status = Status.QUEUED
    message.attempts = 0
    message.next_attempt_at = None
    _save(message, actor=actor, reason="재처리 대기 문자 재발송 (팀장)")
    _enqueue_on_commit(message.pk)
    return message


def message_requeue_stale(
    *, older_than: timedelta = timedelta(minutes=10), limit: int = 500
) -> int:
    """Hand queued messages nobody picked up (broker was down, a retry was lost) to Celery again.

    Safe to over-enqueue: the claim in :func:`message_deliver` lets only one run send.

    With a gateway that honours the idempotency key (``gateway.idempotent``), a message stuck
    in "sending" longer than ``KMCS_SMS_STUCK_AFTER_SECONDS`` (its worker died between the
    claim and the result) is queued again too: if the first request reached the provider, the
    repeat is absorbed there and returns the first receipt, so the message is neither sent twice
    nor lost. With any other gateway it stays for a person (retry / mark sent by hand).
    """
    reclaimed = message_reclaim_stuck(limit=limit) if _gateway_is_idempotent() else 0
    cutoff = timezone.now() - older_than
    ids = list(
        OutboundMessage.objects.filter(status=Status.QUEUED)
        .annotate(due=Coalesce("next_attempt_at", "queued_at"))
        .filter(due__lt=cutoff)
        .order_by("queued_at")
        .values_list("pk", flat=True)[:limit]
    )
    handed = 0
    for message_id in ids:
        if not _enqueue(message_id):
            # The broker is still down: stop here (each try would wait for its timeout); the
            # next sweep starts again from the oldest.
            break
        handed += 1
    return handed + reclaimed


def _gateway_is_idempotent() -> bool:
    """Stuck messages are asked again only when every sending system's gateway absorbs a
    repeated key (a message may belong to either system)."""
    from .gateways import SYSTEM_GATEWAY_SETTINGS

    return all(
        bool(getattr(get_gateway(system), "idempotent", False))
        for system in SYSTEM_GATEWAY_SETTINGS
    )


def message_reclaim_stuck(*, limit: int = 500) -> int:
    """Queue again (and hand to Celery on commit) the messages stuck in "sending".

    Only for an idempotent gateway (the caller checks). The row lock and the status check make
    a message that finished meanwhile stay as it is; a worker that was only slow loses its claim
    (its result is ignored by :func:`_record`) and the provider absorbs the repeat.
    """
    ids = list(
        OutboundMessage.objects.filter(status=Status.SENDING, last_attempt_at__lt=_stuck_before())
        .order_by("last_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    reclaimed = 0
    for message_id in ids:
        with transaction.atomic():
            message = OutboundMessage.objects.select_for_update().get(pk=message_id)
            if not _is_stuck(message):
                continue
            message.status = Status.QUEUED
            message.next_attempt_at = None
            message.last_error = "발송 중 작업자가 멈춤: 멱등 키로 발송사에 다시 요청"
            _save(message, actor=None, reason="발송 중 멈춤: 멱등 발송사에 재요청")
            _enqueue_on_commit(message.pk)
            reclaimed += 1
    return reclaimed


# --- "SMS 선발송 후 답변내용 저장" (seed 002) ------------------------------------------------


def message_is_delivered(message: OutboundMessage) -> bool:
    """Sent by the gateway or by hand. Reads the instance: refresh it if it may be stale."""
    return message.status in OutboundMessage.DELIVERED


def ensure_messages_delivered(messages: Iterable[OutboundMessage | int]) -> None:
    """Raise :class:`SmsNotSentYet` unless every message is delivered (read fresh, one query).

    The cases app calls this before saving an answer the seed says must follow the SMS.
    """
    ids = [m if isinstance(m, int) else m.pk for m in messages]
    if not ids:
        return
    rows = {
        pk: (status, name)
        for pk, status, name in OutboundMessage.objects.filter(pk__in=ids).values_list(
            "pk", "status", "template__name"
        )
    }
    pending = [pk for pk in ids if pk not in rows or rows[pk][0] not in OutboundMessage.DELIVERED]
    if not pending:
        return
    labels = dict(Status.choices)
    details = ", ".join(
        f"#{pk} {rows[pk][1]} ({labels.get(rows[pk][0], rows[pk][0])})"
        if pk in rows
        else f"#{pk} (없음)"
        for pk in pending
    )
    raise SmsNotSentYet(
        f"SMS 선발송 후 답변내용을 저장하세요. 아직 발송되지 않은 문자가 있습니다: {details}",
        messages=pending,
    )
