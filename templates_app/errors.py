"""Domain errors of templates_app. Screens catch the base classes and show ``str(exc)`` (Korean).

Kept apart from services.py so that the cases app (and the admin) can import the exceptions
without importing the services' dependencies.
"""

from __future__ import annotations


class TemplateError(Exception):
    """A template operation that is not allowed (approve a non-draft, edit a retired template...)."""


class CatalogueError(TemplateError):
    """The code catalogue (templates_app/catalogue.py) holds an invalid template definition."""


class MessageError(Exception):
    """A message cannot be queued or changed; nothing was queued or changed."""


class UnknownTemplate(MessageError):
    def __init__(self, name: str):
        super().__init__(f"문자 템플릿 '{name}'이(가) 없습니다.")
        self.template_name = name


class TemplateNotUsable(MessageError):
    """The template exists but has no approved version to send."""


class TemplateRetired(TemplateNotUsable):
    pass


class NoApprovedVersion(TemplateNotUsable):
    pass


class InvalidRecipient(MessageError):
    pass


class AudienceMismatch(MessageError):
    pass


class MessageRenderError(MessageError):
    """Rendering failed; ``variable`` names the variable (from the RenderError it wraps)."""

    def __init__(self, message: str, *, variable: str | None = None):
        super().__init__(message)
        self.variable = variable


class MessageTooLong(MessageError):
    pass


class IdempotencyConflict(MessageError):
    """The idempotency key already names a different message (another template or recipient)."""


class MessageStateError(MessageError):
    """The message is not in a state that allows this action (e.g. mark a sent message)."""


class SmsNotSentYet(MessageError):
    """Seed 002: "SMS 선발송 후 답변내용 저장" — the answer may be saved only after the SMS went out."""

    def __init__(self, message: str, *, messages=()):
        super().__init__(message)
        self.messages = list(messages)
