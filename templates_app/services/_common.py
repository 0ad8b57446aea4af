"""What the templates_app services share: the acting user's permission, an audited save,
the attempt limit."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied

from kmcs_site.permissions import user_can

from ..models import OutboundMessage, SmsTemplateVersion

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
