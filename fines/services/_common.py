"""Plumbing of the fines services: the domain error, permission checks, audited saves."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.exceptions import ActionNotAllowed, CaseError, FactsInvalid
from kmcs_site.permissions import user_can


class FineError(CaseError):
    """A fines operation that is refused; the Korean message is shown as is."""

    default_message = "과태료 처리를 할 수 없습니다."


def require(actor, action: str, obj=None, message: str | None = None) -> None:
    if not user_can(actor, action, obj):
        raise ActionNotAllowed(message)


def now_or(at):
    return at or timezone.now()


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def audited_save(instance, actor, *, reason: str = "", **clean_kwargs) -> None:
    """full_clean (Korean field errors as FactsInvalid), then save with the acting user."""
    try:
        instance.full_clean(**clean_kwargs)
    except ValidationError as exc:
        raise FactsInvalid(errors_of(exc)) from exc
    instance._history_user = actor
    if reason:
        instance._change_reason = reason
    instance.save()


def message_key(case, template: str, audience: str) -> str:
    """The outbox key cases.services.decisions uses, so a message queued by the decision and
    again by a fines service is one message."""
    from cases.services.decisions import message_idempotency_key

    return message_idempotency_key(case, template, audience)


def queue_message(*, case, template: str, audience: str, context: dict, actor):
    """Queue one SMS of ``case`` (sent after commit). Refuses with a Korean message when the
    recipient's phone is missing or the template cannot render."""
    from templates_app.errors import MessageError
    from templates_app.services import message_queue

    phone = case.phone_for(audience)
    who = "고객" if audience == "customer" else "기사"
    if not phone:
        raise FineError(f"{who} 전화번호가 없어 '{template}' 문자를 보낼 수 없습니다.")
    try:
        return message_queue(
            template_name=template,
            recipient=phone,
            context=context,
            idempotency_key=message_key(case, template, audience),
            actor=actor,
            subject=case,
            audience=audience,
        )
    except MessageError as exc:
        raise FineError(f"'{template}' 문자를 발송 대기열에 넣지 못했습니다: {exc}") from exc


def received_on(case):
    """The day the customer sent the fine in (Seoul), as the SMS say '0월 0일 접수'."""
    from fines.schedule import SEOUL

    return case.created_at.astimezone(SEOUL).date()
