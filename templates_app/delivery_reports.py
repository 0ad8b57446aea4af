"""Delivery reports: the carrier's final word on a message the provider accepted (issue 16).

Two doors, one rule (:func:`report_apply`):

- **callback** (:func:`callback_receive`): the provider (the sandbox in development) POSTs
  ``{"reportId", "results": [{"requestId", "recipientSeq", "recipientGroupingKey",
  "msgStatus", "msgStatusName", "resultCode", "resultCodeName", "resultDate"}]}`` (NHN Cloud
  SMS v3.0's result fields) with ``X-KMCS-Timestamp`` (Unix seconds) and ``X-KMCS-Signature``
  (``sha256=`` hex HMAC-SHA256 of ``"<timestamp>." + body`` with ``KMCS_SMS_CALLBACK_SECRET``).
  A report outside the replay window (``KMCS_SMS_CALLBACK_WINDOW_SECONDS``, 5 minutes either
  way) or whose ``reportId`` was seen already is dropped; so is one naming no message of ours.
- **polling** (:func:`reports_poll`, beat): messages sent but without a report after
  ``KMCS_SMS_REPORT_POLL_AFTER_MINUTES`` are asked about at the provider.

A report moves a sent message to 수신 완료 / 수신 실패 with the provider's code once; a second
report for the same message changes nothing. Bad callbacks are logged and answered without
detail (the view), nothing is changed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .gateways import GatewayError, GatewayPermanentError
from .models import OutboundMessage
from .nhn_sms import MSG_STATUS, PROVIDER_PREFIX, DeliveryResult, ProviderRef, gateway_for
from .resilience import GatewayDeferred

logger = logging.getLogger("templates_app.sms.reports")

Status = OutboundMessage.Status
Report = OutboundMessage.Report

SIGNATURE_HEADER = "X-KMCS-Signature"
TIMESTAMP_HEADER = "X-KMCS-Timestamp"
MAX_BODY_BYTES = 256 * 1024


def sign(body: bytes, timestamp: str, secret: str) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (sandbox and tests)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _window() -> int:
    return int(getattr(settings, "KMCS_SMS_CALLBACK_WINDOW_SECONDS", 300))


# --- applying one report --------------------------------------------------------------------


def report_apply(*, message: OutboundMessage, result: DeliveryResult, source: str) -> bool:
    """Record the carrier's result on a sent message, once. Returns whether it changed."""
    if result.status not in Report.values:
        return False
    with transaction.atomic():
        row = OutboundMessage.objects.select_for_update().get(pk=message.pk)
        if row.status != Status.SENT or row.report_status:
            return False
        row.report_status = result.status
        row.report_code = result.code[:32]
        row.report_message = result.message[:200]
        row.reported_at = timezone.now()
        row._history_user = None
        row._change_reason = (
            f"수신 결과 ({source}): {row.get_report_status_display()} "
            f"[{result.code or '-'}] {result.message}"
        )[:500]
        row.save(update_fields=["report_status", "report_code", "report_message", "reported_at"])
        if row.report_status == Report.FAILED:
            from notifications.notify import notify_message_failed

            notify_message_failed(message=row, at=row.reported_at)
    return True


# --- callback -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackOutcome:
    verdict: str  # accepted | duplicate | rejected
    applied: int = 0
    unknown: int = 0


def _verify(body: bytes, timestamp: str, signature: str, secret: str) -> str:
    """'' when the signature and the time are right, else why not (for the log only)."""
    if not secret:
        return "KMCS_SMS_CALLBACK_SECRET not configured"
    if not timestamp or not signature:
        return "missing signature headers"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if not hmac.compare_digest(sign(body, timestamp, secret), signature.strip()):
        return "signature mismatch"
    if abs(time.time() - sent_at) > _window():
        return "outside the replay window"
    return ""


def _message_for(item: dict) -> OutboundMessage | None:
    """Our message named by a result: its provider key (recipientGroupingKey, the row's
    ``provider_key``, not the longer idempotency key) and the provider's requestId/recipientSeq
    must both match what the provider answered at sending."""
    key = str(item.get("recipientGroupingKey") or "")
    if not key:
        return None
    message = OutboundMessage.objects.filter(provider_key=key).first()
    ref = ProviderRef.decode(message.provider_message_id) if message else None
    if ref is None:
        return None
    if ref.request_id != str(item.get("requestId")) or ref.recipient_seq != str(
        item.get("recipientSeq")
    ):
        return None
    return message


def callback_receive(*, body: bytes, timestamp: str, signature: str) -> CallbackOutcome:
    """Check and apply a delivery-report callback. Never raises for bad input."""
    secret = getattr(settings, "KMCS_SMS_CALLBACK_SECRET", "")
    if len(body) > MAX_BODY_BYTES:
        logger.warning("SMS report callback refused: body of %s bytes", len(body))
        return CallbackOutcome("rejected")
    problem = _verify(body, timestamp, signature, secret)
    if problem:
        logger.warning("SMS report callback refused: %s", problem)
        return CallbackOutcome("rejected")
    try:
        data = json.loads(body)
        report_id = str(data["reportId"])
        results = data["results"]
        if not report_id or not isinstance(results, list):
            raise ValueError("reportId/results")
    except (ValueError, KeyError, TypeError) as exc:
        logger.warning("SMS report callback refused: unreadable body (%s)", exc)
        return CallbackOutcome("rejected")
    # One report id is applied once, however often it is replayed inside the window.
    if not cache.add(f"kmcs:sms:report:{report_id}", 1, timeout=2 * _window() + 60):
        logger.warning("SMS report callback %s replayed: ignored", report_id)
        return CallbackOutcome("duplicate")
    applied = unknown = 0
    for item in results:
        if not isinstance(item, dict):
            unknown += 1
            continue
        message = _message_for(item)
        if message is None:
            unknown += 1
            logger.warning(
                "SMS report %s names no message of ours (requestId=%s): ignored",
                report_id,
                str(item.get("requestId"))[:64],
            )
            continue
        result = DeliveryResult(
            MSG_STATUS.get(str(item.get("msgStatus")), ""),
            str(item.get("resultCode") or ""),
            str(item.get("resultCodeName") or item.get("msgStatusName") or ""),
        )
        applied += report_apply(message=message, result=result, source="콜백")
    return CallbackOutcome("accepted", applied=applied, unknown=unknown)


# --- polling fallback -----------------------------------------------------------------------


def reports_due(*, older_than: timedelta | None = None, limit: int = 200):
    """Sent through a provider, no report yet, sent longer ago than the callback should take."""
    if older_than is None:
        older_than = timedelta(
            minutes=int(getattr(settings, "KMCS_SMS_REPORT_POLL_AFTER_MINUTES", 10))
        )
    return OutboundMessage.objects.filter(
        status=Status.SENT,
        report_status="",
        sent_at__lt=timezone.now() - older_than,
        provider_message_id__startswith=f"{PROVIDER_PREFIX}:",
    ).order_by("sent_at")[:limit]


def reports_poll(*, older_than: timedelta | None = None, limit: int = 200) -> int:
    """Ask the provider for the result of each message still without a report. Returns how
    many reports were recorded. A system whose breaker is open or that fails is skipped until
    the next run; the others go on."""
    applied = 0
    skipped_systems: set[str] = set()
    gateways = {}
    for message in reports_due(older_than=older_than, limit=limit):
        ref = ProviderRef.decode(message.provider_message_id)
        if ref is None or ref.system in skipped_systems:
            continue
        gateway = gateways.setdefault(ref.system, gateway_for(ref.system))
        try:
            result = gateway.fetch_result(ref)
        except GatewayDeferred as exc:
            logger.info("SMS report polling for %s held back: %s", ref.system, exc)
            skipped_systems.add(ref.system)
            continue
        except GatewayPermanentError as exc:  # this message only (unknown at the provider...)
            logger.warning("SMS report polling for #%s refused: %s", message.pk, exc)
            continue
        except GatewayError as exc:
            logger.warning("SMS report polling for #%s failed: %s", message.pk, exc)
            skipped_systems.add(ref.system)
            continue
        applied += report_apply(message=message, result=result, source="조회")
    return applied
