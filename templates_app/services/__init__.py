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

Split by concern (issue 14.9): ``templates`` (versions, catalogue sync) and ``outbox`` (queue,
delivery, retries, seed 002's check); everything is re-exported here, so callers keep importing
``templates_app.services.<name>``.
"""

from __future__ import annotations

from ..errors import (  # noqa: F401  (callers catch them as services.<Error>)
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
from ._common import MAX_ATTEMPTS, Status, VStatus  # noqa: F401
from .outbox import (  # noqa: F401
    DeliveryOutcome,
    _enqueue,
    _enqueue_on_commit,
    ensure_messages_delivered,
    message_cancel_planned,
    message_deliver,
    message_is_delivered,
    message_mark_sent_by_hand,
    message_queue,
    message_reclaim_stuck,
    message_release,
    message_requeue_stale,
    message_retry,
    message_retry_dead_letter,
)
from .templates import (  # noqa: F401
    SyncReport,
    catalogue_problems,
    catalogue_sync,
    template_approved_version,
    template_create,
    template_draft_version,
    template_edit,
    template_retire,
    template_update,
    template_version_approve,
)
