"""Domain errors of the cases app. Each carries a Korean message a screen can show as is.

Screens catch :class:`CaseError` and show ``exc.message``; the API maps it to a 400/403/409.
``ActionNotAllowed`` is also a Django ``PermissionDenied`` so an unhandled one is a 403, not a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied

from templates_app.errors import SmsNotSentYet as OutboxSmsNotSentYet


class CaseError(Exception):
    default_message = "케이스를 처리할 수 없습니다."

    def __init__(self, message: str | None = None):
        self.message = str(message or self.default_message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InvalidTransition(CaseError):
    default_message = "지금 상태에서는 할 수 없는 처리입니다."


class ActionNotAllowed(CaseError, PermissionDenied):
    default_message = "이 작업을 할 권한이 없습니다."


class FactsInvalid(CaseError):
    """Input that a playbook's FACTS (or the intake itself) refuses. ``errors``: field -> messages."""

    default_message = "입력값을 확인해 주세요."

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None):
        self.errors = {field: [str(m) for m in msgs] for field, msgs in errors.items()}
        if message is None:
            details = "; ".join(f"{f}: {' '.join(m)}" for f, m in self.errors.items())
            message = f"{self.default_message} ({details})" if details else None
        super().__init__(message)


class DuplicateOpenCase(CaseError):
    default_message = "같은 건으로 처리 중인 케이스가 이미 있습니다."

    def __init__(self, existing=None, message: str | None = None):
        self.existing = existing
        if message is None and existing is not None:
            message = f"같은 건으로 처리 중인 케이스가 이미 있습니다 (케이스 #{existing.pk})."
        super().__init__(message)


class ProposalFailed(CaseError):
    default_message = "플레이북이 제안을 만들 수 없습니다."


class NeedsReview(CaseError):
    default_message = (
        "플레이북이 결정하지 못한 건입니다. 팀장 검토 후 처리 결과를 지정해 결정해 주세요."
    )


class OverrideReasonRequired(CaseError):
    default_message = "제안과 다르게 결정하려면 사유를 입력해야 합니다."


class UnknownOutcome(CaseError):
    default_message = "이 플레이북에 없는 처리 결과입니다."


class RecipientMissing(CaseError):
    default_message = "문자를 받을 전화번호가 없습니다."


class MessageNotQueued(CaseError):
    default_message = "문자를 발송 대기열에 넣지 못했습니다."


class SmsNotSentYet(CaseError, OutboxSmsNotSentYet):
    """Also the outbox's own SmsNotSentYet, so either ``except`` catches it."""

    default_message = "SMS를 먼저 발송한 뒤 답변내용을 저장해 주세요 (SMS 선발송 후 답변내용 저장)."


class AgitPostRequired(CaseError):
    default_message = (
        "OB 부재·특이사항이 있는 건은 아지트 작성 후 링크를 입력해야 종결할 수 있습니다."
    )


class RecordIncomplete(CaseError):
    default_message = "상담이력을 모두 채워야 종결할 수 있습니다."


class StepNotFound(CaseError):
    default_message = "처리할 단계를 찾을 수 없습니다."


class StepNotReached(CaseError):
    """A step's message was asked to go out before the steps before it were done."""

    default_message = "아직 이 단계에 도달하지 않았습니다. 앞 단계를 먼저 완료해 주세요."


class StepsPending(CaseError):
    """Closing a case whose checklist still has steps that are neither done nor N/A."""

    default_message = (
        "처리 단계를 모두 완료하거나 '해당 없음'(사유)으로 처리해야 종결할 수 있습니다."
    )


class InvalidAssignee(CaseError):
    default_message = "이 사용자에게는 케이스를 배정할 수 없습니다."
