"""Case e-mail out (issue 16 item 2): CPO mail (seed 003 "CPO 메일문의") and partner hotline mail
(seed 001 routes with To/Cc) through Django's e-mail framework over SMTP.

The outbox pattern, like the SMS outbox: :func:`case_email_send` writes a ``CaseEmail`` row
(``queued``, its own Message-ID, ``[KMCS-<case id>]`` in the subject) in the user's transaction
and hands its id to Celery after commit (:func:`kmcs_site.broker.call_after_commit`: a dead
broker never fails the request; :func:`email_requeue_stale` sends what was not handed over).
:func:`case_email_deliver` claims the row (``queued`` -> ``sending``, one worker wins) and
talks to the SMTP server once:

- the server said no before taking the message (connection refused, timeout while connecting,
  a 4xx answer to MAIL/RCPT/DATA): nothing was delivered, so the row goes back to ``queued``
  and is retried with backoff, up to ``KMCS_EMAIL_MAX_ATTEMPTS``, then ``failed``;
- a 5xx answer (recipient refused, message refused): ``failed`` at once;
- the connection broke *after* the message was handed over (no final answer): the server may
  have accepted it, so the row is ``failed`` with "결과 불확실" and is never re-sent by itself;
  a lead retries it by hand (:func:`case_email_retry`) after checking. The same Message-ID goes
  out again, so a mail client that got both shows one thread.

A retry therefore never sends twice what the server took.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from cases.exceptions import FactsInvalid, InvalidTransition
from cases.models import Case, CaseEmail, EmailDirection, EmailStatus, Status
from cases.services._common import audited_save, lock_case, moment, require

logger = logging.getLogger(__name__)

#: The case reference in a subject; replies keep it ("Re: [KMCS-12] ...").
SUBJECT_TAG = re.compile(r"\[KMCS-(\d{1,12})\]")


def subject_with_reference(case_id: int, subject: str) -> str:
    """``[KMCS-<id>] subject`` (once: an already tagged subject is left as it is)."""
    subject = " ".join((subject or "").split())
    tag = f"[KMCS-{case_id}]"
    return subject if tag in subject else f"{tag} {subject}".strip()


def case_id_in_subject(subject: str) -> int | None:
    found = SUBJECT_TAG.search(subject or "")
    return int(found.group(1)) if found else None


def _addresses(values: Iterable[str], field: str, *, required: bool) -> list[str]:
    out: list[str] = []
    for raw in values:
        for part in re.split(r"[,;\s]+", raw or ""):
            address = part.strip()
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError as exc:
                raise FactsInvalid({field: [f"올바른 이메일 주소가 아닙니다: {address}"]}) from exc
            if address.lower() not in {a.lower() for a in out}:
                out.append(address)
    if required and not out:
        raise FactsInvalid({field: ["받는 사람 이메일 주소를 입력해 주세요."]})
    return out


def new_message_id(case_id: int) -> str:
    return make_msgid(idstring=f"kmcs{case_id}", domain=settings.KMCS_EMAIL_MESSAGE_ID_DOMAIN)


@transaction.atomic
def case_email_send(
    *,
    case: Case,
    actor,
    to: Iterable[str],
    subject: str,
    body: str,
    cc: Iterable[str] = (),
    step_code: str = "",
    at=None,
) -> CaseEmail:
    """Queue a mail from the case to a CPO or partner; it is sent after commit.

    Refused with Korean field errors (nothing saved) for a bad address, no recipient, an empty
    subject or body, a closed case, or an actor who may not work the case.
    """
    at = moment(at)
    locked = lock_case(case)
    require(
        actor, "cases.caseemail.add", locked, message="이 케이스에서 메일을 보낼 권한이 없습니다."
    )
    if locked.status == Status.CLOSED:
        raise InvalidTransition("종결된 케이스에서는 메일을 보낼 수 없습니다.")
    to_list = _addresses(to, "to", required=True)
    cc_list = [
        a
        for a in _addresses(cc, "cc", required=False)
        if a.lower() not in {t.lower() for t in to_list}
    ]
    errors = {}
    if not (subject or "").strip():
        errors["subject"] = ["메일 제목을 입력해 주세요."]
    if not (body or "").strip():
        errors["body"] = ["메일 본문을 입력해 주세요."]
    if errors:
        raise FactsInvalid(errors)
    email = CaseEmail(
        case=locked,
        direction=EmailDirection.OUTBOUND,
        status=EmailStatus.QUEUED,
        message_id=new_message_id(locked.pk),
        subject=subject_with_reference(locked.pk, subject)[:500],
        from_address=settings.KMCS_CASE_EMAIL_FROM,
        to=to_list,
        cc=cc_list,
        body=body.strip(),
        step_code=step_code,
        created_by=actor,
        created_at=at,
    )
    audited_save(email, actor, reason="메일 발송 요청")
    _enqueue_on_commit(email.pk)
    return email


def _enqueue(email_id: int) -> bool:
    from cases.tasks import case_email_send as task
    from kmcs_site.broker import publish

    return publish(task, (email_id,), what=f"메일 #{email_id}")


def _enqueue_on_commit(email_id: int) -> None:
    from kmcs_site.broker import call_after_commit

    call_after_commit(_enqueue, email_id)


@dataclass(frozen=True)
class EmailOutcome:
    status: str
    retry_in: int | None = None


def _retry_delay(attempts: int) -> int:
    """Exponential backoff: 30 s, 60 s, 120 s ... capped at 30 minutes."""
    return min(30 * 2 ** max(attempts - 1, 0), 1800)


class _Transient(Exception):
    """The server took nothing: safe to try again."""


class _Permanent(Exception):
    """The server refused for good (5xx)."""


class _Uncertain(Exception):
    """The message was handed over but no final answer came: never re-sent by itself."""


def _smtp_code(exc: BaseException) -> int | None:
    return getattr(exc, "smtp_code", None)


def _send_once(email: CaseEmail) -> None:
    """One SMTP conversation for ``email``; raises one of the three outcomes above on error."""
    headers = {"Message-ID": email.message_id}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
        headers["References"] = email.references or email.in_reply_to
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=email.from_address,
        to=list(email.to),
        cc=list(email.cc),
        headers=headers,
    )
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        # Refused, unreachable, timed out before the greeting, or refused at HELO/login.
        code = _smtp_code(exc)
        if code is not None and code >= 500:
            raise _Permanent(f"SMTP {code}: {_smtp_text(exc)}") from exc
        raise _Transient(f"연결 실패: {type(exc).__name__}: {exc}") from exc
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        text = ", ".join(f"{rcpt} {code}" for rcpt, (code, _m) in exc.recipients.items())
        if codes and all(400 <= code < 500 for code in codes):
            raise _Transient(f"수신자 일시 거부: {text}") from exc
        raise _Permanent(f"수신자 거부: {text}") from exc
    except smtplib.SMTPResponseException as exc:
        code = exc.smtp_code
        if 400 <= code < 500:
            raise _Transient(f"SMTP {code}: {_smtp_text(exc)}") from exc
        raise _Permanent(f"SMTP {code}: {_smtp_text(exc)}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        # Disconnected or timed out mid-conversation: the DATA may have been accepted.
        raise _Uncertain(f"결과 불확실 (수신측 확인 필요): {type(exc).__name__}: {exc}") from exc
    finally:
        try:
            connection.close()
        except Exception:
            logger.debug("SMTP close failed", exc_info=True)


def _smtp_text(exc) -> str:
    raw = getattr(exc, "smtp_error", b"")
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _claim(email_id: int) -> CaseEmail | None:
    with transaction.atomic():
        email = CaseEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != EmailStatus.QUEUED:
            return None
        email.status = EmailStatus.SENDING
        email.attempts += 1
        audited_save(email, None, reason=f"발송 시도 {email.attempts}", clean=False)
        return email


def _finish(email: CaseEmail, status: str, *, error: str = "", reason: str) -> None:
    with transaction.atomic():
        locked = CaseEmail.objects.select_for_update().get(pk=email.pk)
        locked.status = status
        locked.error = error[:2000]
        if status == EmailStatus.SENT:
            locked.sent_at = timezone.now()
        audited_save(locked, None, reason=reason, clean=False)
        if status == EmailStatus.FAILED:
            # Issue 14.5: the writer and the case's assignee hear of it (in-app, e-mail copy
            # if they chose it), in the transaction that records the failure.
            from notifications.notify import notify_email_failed

            notify_email_failed(email=locked)


def case_email_deliver(*, email_id: int) -> EmailOutcome:
    """Send one queued mail (the Celery task calls this); safe to call twice."""
    email = _claim(email_id)
    if email is None:
        current = CaseEmail.objects.filter(pk=email_id).values_list("status", flat=True).first()
        return EmailOutcome(current or "missing")
    try:
        _send_once(email)
    except _Transient as exc:
        if email.attempts < settings.KMCS_EMAIL_MAX_ATTEMPTS:
            _finish(email, EmailStatus.QUEUED, error=str(exc), reason="일시 오류: 재시도 대기")
            logger.warning("메일 #%s 일시 오류, 재시도: %s", email.pk, exc)
            return EmailOutcome(EmailStatus.QUEUED, retry_in=_retry_delay(email.attempts))
        _finish(email, EmailStatus.FAILED, error=str(exc), reason="발송 실패 (재시도 한도)")
        logger.warning("메일 #%s 발송 실패 (재시도 한도): %s", email.pk, exc)
        return EmailOutcome(EmailStatus.FAILED)
    except (_Permanent, _Uncertain) as exc:
        _finish(email, EmailStatus.FAILED, error=str(exc), reason="발송 실패")
        logger.warning("메일 #%s 발송 실패: %s", email.pk, exc)
        return EmailOutcome(EmailStatus.FAILED)
    _finish(email, EmailStatus.SENT, reason="발송 완료")
    return EmailOutcome(EmailStatus.SENT)


@transaction.atomic
def case_email_retry(*, email: CaseEmail, actor) -> CaseEmail:
    """A lead sends a failed mail again (same Message-ID), after checking an uncertain one."""
    locked = CaseEmail.objects.select_for_update().select_related("case").get(pk=email.pk)
    require(actor, "cases.caseemail.retry", locked.case, message="메일을 재발송할 권한이 없습니다.")
    if locked.direction != EmailDirection.OUTBOUND or locked.status != EmailStatus.FAILED:
        raise InvalidTransition("발송 실패한 메일만 다시 보낼 수 있습니다.")
    locked.status = EmailStatus.QUEUED
    locked.attempts = 0
    audited_save(locked, actor, reason="재발송 요청", clean=False)
    _enqueue_on_commit(locked.pk)
    return locked


def email_requeue_stale(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Hand queued mails the broker never got to Celery again (the sweeper, beat
    ``cases-email-requeue-stale``). Idempotent: the task claims the row (``queued`` ->
    ``sending``, one worker wins), so a mail handed twice is sent once.

    "Stale" is measured from the row's last change (its newest history row), not from its
    creation: a mail put back for a backoff retry, or re-queued by a lead's retry, is not
    handed over again before ``older_than``. Returns how many were handed over."""
    from django.db.models import OuterRef, Subquery

    before = timezone.now() - older_than
    last_change = (
        CaseEmail.history.filter(id=OuterRef("pk"))
        .order_by("-history_date")
        .values("history_date")[:1]
    )
    ids = list(
        CaseEmail.objects.filter(direction=EmailDirection.OUTBOUND, status=EmailStatus.QUEUED)
        .annotate(last_change=Subquery(last_change))
        .filter(last_change__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    handed = 0
    for email_id in ids:
        if not _enqueue(email_id):
            break  # the broker is still down: the next run tries again
        handed += 1
    return handed
