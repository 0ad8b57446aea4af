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
"회신 수신" (the CPO's / partner's answer time is over); the fact the playbook waits for on that
step (its ``AWAITED_REPLIES``: seed 003 ``email_cpo`` -> ``cpo_answer``, seed 001
``follow_route`` -> ``partner_answer``) is revised with the reply's own text (quoted lines and
signature cut) through ``case_revise_facts``, in the assignee's name with a note saying it was
recorded from the mail; and the assignee is notified (in-app, e-mail if they chose it). A
free-text reply is never read into a choice (seed 003's ``team_answer`` stays the agent's call).
A revision the case refuses (no assignee allowed to revise it, a lead's override) is logged and
leaves the stored reply, the stopped clock and the notification in place.
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
    label = ""
    if locked.status != Status.CLOSED and answered is not None and answered.step_code:
        # The fact first: a revision of a decided case re-plans its pending steps (a new row
        # for the mail step), and the clock to stop is the one of the step as it now stands.
        label = _record_awaited_fact(locked, answered, row, source)
        step = (
            CaseStep.objects.filter(case=locked, code=answered.step_code, status=StepStatus.PENDING)
            .order_by("-order", "-pk")
            .first()
        )
        if step is not None:
            clock_stop(step=step, actor=None, at=now, reason=ClockStop.REPLY_RECEIVED)
    from notifications.notify import notify_reply_received

    locked.refresh_from_db()
    notify_reply_received(email=row, case=locked, fact_label=label, at=now)
    return row


#: How much of a reply goes into the awaited fact (the whole mail stays on the case).
FACT_TEXT_LIMIT = 2000
_QUOTE_HEADER = re.compile(r"^(On .+wrote:|20\d\d.+작성:|-----\s*Original Message\s*-----)\s*$")


def reply_text(body: str, *, limit: int = FACT_TEXT_LIMIT) -> str:
    """The answer itself: the reply's lines before the quoted mail ('>' lines, "On ... wrote:",
    "----- Original Message -----") and the signature ("-- "), stripped and cut to ``limit``."""
    kept: list[str] = []
    for line in (body or "").replace("\r\n", "\n").split("\n"):
        if line.startswith(">") or _QUOTE_HEADER.match(line.strip()) or line == "-- ":
            break
        kept.append(line.rstrip())
    return "\n".join(kept).strip()[:limit]


def awaited_fact(case: Case, step_code: str) -> str:
    """The fact the case's playbook waits for on ``step_code`` ('' where it defines none)."""
    from cases.services.intake import playbook_module

    try:
        module = playbook_module(case.playbook)
    except Exception:  # an unknown playbook (a retired one): nothing to revise
        return ""
    return (getattr(module, "AWAITED_REPLIES", None) or {}).get(step_code, "")


def _record_awaited_fact(case: Case, answered: CaseEmail, row: CaseEmail, source: str) -> str:
    """Revise the awaited fact with the reply's text; its label, or '' when nothing was
    revised (no awaited fact, empty answer, or the revision refused: logged)."""
    from cases.exceptions import CaseError
    from cases.services.intake import facts_serializer, playbook_module
    from cases.services.revisions import case_revise_facts

    fact = awaited_fact(case, answered.step_code)
    text = reply_text(row.body)
    if not fact or not text:
        return ""
    actor = case.assignee if case.assignee_id else None
    if actor is None:
        logger.warning("회신 메일 #%s: 담당자가 없는 케이스 #%s, 사실관계 미기록", row.pk, case.pk)
        return ""
    try:
        with transaction.atomic():
            case_revise_facts(
                case=case,
                actor=actor,
                facts={fact: text},
                note=f"회신 메일 자동 기록 ({source}, {row.from_address}, {row.message_id})"[:1000],
            )
    except CaseError as exc:
        logger.warning(
            "회신 메일 #%s: 케이스 #%s 사실관계 '%s' 미기록: %s", row.pk, case.pk, fact, exc
        )
        return ""
    declared = facts_serializer(playbook_module(case.playbook)).fields
    return str(getattr(declared.get(fact), "label", None) or fact)


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
