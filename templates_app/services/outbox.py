"""The outbox: queueing a rendered message (idempotent, sent on commit), delivery through the
gateway (claimed once per attempt), retries and recovery, and seed 002's "SMS first" check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..errors import (
    AudienceMismatch,
    IdempotencyConflict,
    InvalidRecipient,
    MessageError,
    MessageRenderError,
    MessageStateError,
    MessageTooLong,
    NoApprovedVersion,
    SmsNotSentYet,
    TemplateRetired,
    UnknownTemplate,
)
from ..gateways import GatewayPermanentError, SmsRequest, get_gateway
from ..models import OutboundMessage, SmsTemplate
from ..phones import InvalidPhoneNumber, mask_phone, validate_korean_mobile
from ..render import LengthClass, RenderError, render_sms
from ..resilience import GatewayDeferred
from ._common import (
    MAX_ATTEMPTS,
    Status,
    VStatus,
    _require,
    _save,
    logger,
)
from .templates import template_approved_version

# --- the outbox -----------------------------------------------------------------------------


def _enqueue(message_id: int) -> bool:
    """Hand one queued message to Celery. Never raises for a dead broker: the outbox row is
    the promise, and :func:`message_requeue_stale` (beat) hands it over later. Returns whether
    the broker took it (issue 12)."""
    from kmcs_site.broker import publish

    from ..tasks import message_send

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
        provider_key=message.provider_key or "",
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
    from ..gateways import SYSTEM_GATEWAY_SETTINGS

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
