"""Replies that come back (issue 16 item 2): a CPO's or partner's answer to a case e-mail lands
on its case as an inbound ``CaseEmail``.

Two doors, one core (:func:`inbound_mail_receive`): the Mailgun routes webhook
(``cases.views.inbound_mail``) and ``manage.py kmcs_fetch_mail`` (IMAP, UNSEEN) which parses
the raw message with :func:`inbound_mail_from_rfc822`.

A reply is accepted only when

1. it names its case: ``In-Reply-To`` / ``References`` quote the Message-ID of one of our
   outbound mails, or the subject carries ``[KMCS-<id>]`` of an existing case; and
2. its sender is someone that case wrote to (a To/Cc address of its outbound mail): a stranger
   quoting a case number changes nothing.

Anything else is logged and answered without detail (``InboundResult.accepted`` False); the
same Message-ID twice is stored once. On acceptance, in one transaction: the mail row; the
clock of the step the answered mail carried out (``email_cpo``, ``follow_route``) stops with
"회신 수신" (the CPO's / partner's answer time is over); after commit the assignee gets an
e-mail. No playbook has a fact for the *content* of a CPO or partner answer (seed 003's
``team_answer`` is the responsible team's Agit answer, seed 001 has none), and a free-text reply
cannot be read into a choice safely, so no fact is revised here: the agent reads the reply and
records the answer through the fact revision form (``case_revise_facts``) when one applies.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import (
    Case,
    CaseEmail,
    CaseStep,
    ClockStop,
    EmailDirection,
    EmailStatus,
    Status,
    StepStatus,
)
from cases.services._common import audited_save, lock_case
from cases.services.clocks import clock_stop
from cases.services.emails import case_id_in_subject

logger = logging.getLogger(__name__)

MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class InboundMail:
    sender: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    recipient: str = ""
    received_at: datetime | None = None


@dataclass(frozen=True)
class InboundResult:
    accepted: bool
    #: stored | duplicate | no_reference | unknown_sender | no_message_id
    reason: str
    email: CaseEmail | None = None


def message_ids(text: str) -> list[str]:
    return MSGID.findall(text or "")


def normalise_message_id(value: str) -> str:
    value = (value or "").strip()
    found = message_ids(value)
    if found:
        return found[0]
    return f"<{value}>" if value else ""


def inbound_mail_from_rfc822(raw: bytes) -> InboundMail:
    """Parse a raw RFC 822 message (what IMAP hands over) into an :class:`InboundMail`."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    received = None
    if message.get("Date"):
        try:
            received = parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            received = None
    recipients = getaddresses([str(v) for v in message.get_all("To", [])])
    return InboundMail(
        sender=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        body=body,
        message_id=normalise_message_id(str(message.get("Message-ID", ""))),
        in_reply_to=normalise_message_id(str(message.get("In-Reply-To", ""))),
        references=message_ids(str(message.get("References", ""))),
        recipient=", ".join(address for _name, address in recipients),
        received_at=received,
    )


def _answered_mail(mail: InboundMail) -> CaseEmail | None:
    quoted = [m for m in [mail.in_reply_to, *mail.references] if m]
    if not quoted:
        return None
    found = {
        e.message_id: e
        for e in CaseEmail.objects.filter(
            direction=EmailDirection.OUTBOUND, message_id__in=quoted
        ).select_related("case")
    }
    # The mail it answers directly first, then the newest of the thread.
    for message_id in [mail.in_reply_to, *reversed(mail.references)]:
        if message_id in found:
            return found[message_id]
    return None


def _known_senders(case: Case) -> set[str]:
    known: set[str] = set()
    for to, cc in CaseEmail.objects.filter(
        case=case, direction=EmailDirection.OUTBOUND
    ).values_list("to", "cc"):
        known.update(address.lower() for address in [*(to or []), *(cc or [])])
    return known


def _reject(reason: str, mail: InboundMail, source: str) -> InboundResult:
    logger.warning(
        "수신 메일 거부 (%s, %s): Message-ID=%s 보낸 사람=%s 제목=%r",
        reason,
        source,
        mail.message_id,
        parseaddr(mail.sender)[1],
        mail.subject[:120],
    )
    return InboundResult(False, reason)


def inbound_mail_receive(mail: InboundMail, *, source: str) -> InboundResult:
    """Land ``mail`` on its case, or refuse it (logged, nothing changed). Idempotent by
    Message-ID. ``source`` names the door in the log and the history ("mailgun", "imap")."""
    if not mail.message_id:
        return _reject("no_message_id", mail, source)
    existing = CaseEmail.objects.filter(message_id=mail.message_id).first()
    if existing is not None:
        return InboundResult(existing.direction == EmailDirection.INBOUND, "duplicate", existing)
    answered = _answered_mail(mail)
    case = answered.case if answered is not None else None
    if case is None:
        case_id = case_id_in_subject(mail.subject)
        case = Case.objects.filter(pk=case_id).first() if case_id else None
    if case is None:
        return _reject("no_reference", mail, source)
    sender = parseaddr(mail.sender)[1].strip().lower()
    if not sender or sender not in _known_senders(case):
        return _reject("unknown_sender", mail, source)
    if answered is None:
        # Tagged subject, no quoted Message-ID: the newest mail this sender was sent.
        answered = (
            CaseEmail.objects.filter(case=case, direction=EmailDirection.OUTBOUND)
            .order_by("-created_at", "-pk")
            .only("pk", "step_code", "to", "cc", "message_id", "case_id")
        )
        answered = next((e for e in answered if sender in {a.lower() for a in e.recipients}), None)
    try:
        stored = _store(case, answered, mail, sender, source)
    except IntegrityError:
        # The same Message-ID stored by a concurrent delivery (webhook and IMAP at once).
        existing = CaseEmail.objects.filter(message_id=mail.message_id).first()
        return InboundResult(existing is not None, "duplicate", existing)
    return InboundResult(True, "stored", stored)


@transaction.atomic
def _store(
    case: Case, answered: CaseEmail | None, mail: InboundMail, sender: str, source: str
) -> CaseEmail:
    now = timezone.now()
    locked = lock_case(case)
    row = CaseEmail(
        case=locked,
        direction=EmailDirection.INBOUND,
        status=EmailStatus.RECEIVED,
        message_id=mail.message_id[:255],
        in_reply_to=(mail.in_reply_to or (answered.message_id if answered else ""))[:255],
        references=" ".join(mail.references),
        subject=(mail.subject or "")[:500],
        from_address=sender,
        to=[a for a in re.split(r"[,\s]+", mail.recipient or "") if a],
        body=mail.body or "",
        step_code=answered.step_code if answered else "",
        created_at=now,
        received_at=mail.received_at or now,
    )
    audited_save(row, None, reason=f"회신 수신 ({source})", clean=False)
    if locked.status != Status.CLOSED and answered is not None and answered.step_code:
        step = (
            CaseStep.objects.filter(case=locked, code=answered.step_code, status=StepStatus.PENDING)
            .order_by("order")
            .first()
        )
        if step is not None:
            clock_stop(step=step, actor=None, at=now, reason=ClockStop.REPLY_RECEIVED)
    from kmcs_site.broker import call_after_commit

    call_after_commit(notify_assignee_of_reply, row.pk)
    return row


def notify_assignee_of_reply(email_id: int) -> None:
    """Tell the case's assignee by e-mail that a reply arrived (there is no in-app inbox).

    Runs after commit; a mail error is logged, never raised (the reply is stored either way).
    """
    row = CaseEmail.objects.select_related("case__assignee").filter(pk=email_id).first()
    if row is None:
        return
    assignee = row.case.assignee
    if assignee is None or not assignee.is_active or not assignee.email:
        return
    from django.urls import reverse

    url = settings.KMCS_SITE_URL.rstrip("/") + reverse(
        "workspace:case", kwargs={"case_id": row.case_id}
    )
    try:
        send_mail(
            subject=f"[KMCS-{row.case_id}] 회신 도착: {row.subject}"[:300],
            message=(
                f"케이스 #{row.case_id}에 회신 메일이 도착했습니다.\n"
                f"보낸 사람: {row.from_address}\n제목: {row.subject}\n\n{url}\n"
            ),
            from_email=settings.KMCS_NOTIFY_FROM_EMAIL,
            recipient_list=[assignee.email],
        )
    except Exception:
        logger.exception("회신 알림 메일 발송 실패: 케이스 #%s", row.case_id)


# --- the Mailgun routes webhook -------------------------------------------------------------
def mailgun_signature_ok(*, timestamp: str, token: str, signature: str, key: str) -> bool:
    """Mailgun's webhook signature: HMAC-SHA256 of ``timestamp + token`` with the signing key,
    hex; compared in constant time. No key configured = nothing is genuine."""
    import hashlib
    import hmac

    if not (key and timestamp and token and signature):
        return False
    expected = hmac.new(
        key.encode("utf-8"), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def mailgun_claim_token(*, timestamp: str, token: str, now: datetime | None = None) -> str:
    """'' when the signed request is fresh and its token new (the token is then spent), else
    why not: ``stale`` (outside ``KMCS_INBOUND_MAIL_MAX_AGE``) or ``replayed``."""
    from cases.models import InboundMailToken

    now = now or timezone.now()
    try:
        sent = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return "stale"
    if abs((now - sent).total_seconds()) > settings.KMCS_INBOUND_MAIL_MAX_AGE:
        return "stale"
    try:
        with transaction.atomic():
            InboundMailToken.objects.create(token=token[:100], received_at=now)
    except IntegrityError:
        return "replayed"
    return ""


def inbound_mail_from_mailgun(fields) -> InboundMail:
    """The routes POST (``sender``, ``recipient``, ``subject``, ``body-plain``, ``Message-Id``,
    ``In-Reply-To``, ``References``, ``timestamp``) as an :class:`InboundMail`."""
    received = None
    try:
        received = datetime.fromtimestamp(int(fields.get("timestamp", "")), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        received = None
    return InboundMail(
        sender=fields.get("sender") or fields.get("from") or "",
        subject=fields.get("subject", ""),
        body=fields.get("body-plain", ""),
        message_id=normalise_message_id(fields.get("Message-Id") or fields.get("message-id", "")),
        in_reply_to=normalise_message_id(fields.get("In-Reply-To", "")),
        references=message_ids(fields.get("References", "")),
        recipient=fields.get("recipient", ""),
        received_at=received,
    )
