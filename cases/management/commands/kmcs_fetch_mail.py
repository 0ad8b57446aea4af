"""``manage.py kmcs_fetch_mail``: read the reply mailbox over IMAP (issue 16 item 2).

Thin on purpose: it logs in (``KMCS_IMAP_*``), selects the mailbox, takes the UNSEEN messages
(``BODY.PEEK[]`` leaves them unseen), hands each raw message to
:func:`cases.services.inbound_mail.inbound_mail_receive` and marks it ``\\Seen`` only once that
answered (stored, already stored, or refused and logged). A database error leaves the message
unseen for the next run. Idempotent by Message-ID, so two runs (or the webhook and this) store a
reply once. Run it from cron or Celery beat. Tested against a real IMAP4rev1 server on
127.0.0.1 (tests/integrations/test_email_imap.py), with imaplib as here.
"""

from __future__ import annotations

import contextlib
import imaplib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.services.inbound_mail import inbound_mail_from_rfc822, inbound_mail_receive


class Command(BaseCommand):
    help = "IMAP 메일함의 읽지 않은 회신 메일을 케이스에 기록합니다."

    def handle(self, *args, **options):
        if not (settings.KMCS_IMAP_HOST and settings.KMCS_IMAP_USER):
            raise CommandError("KMCS_IMAP_HOST / KMCS_IMAP_USER 설정이 없습니다.")
        client_class = imaplib.IMAP4_SSL if settings.KMCS_IMAP_SSL else imaplib.IMAP4
        try:
            client = client_class(settings.KMCS_IMAP_HOST, settings.KMCS_IMAP_PORT, timeout=30)
            client.login(settings.KMCS_IMAP_USER, settings.KMCS_IMAP_PASSWORD)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise CommandError(f"IMAP 서버에 접속할 수 없습니다: {exc}") from exc
        counts = {"stored": 0, "duplicate": 0, "refused": 0}
        try:
            client.select(settings.KMCS_IMAP_MAILBOX)
            _status, data = client.uid("SEARCH", None, "UNSEEN")
            for uid in (data[0] or b"").split():
                _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
                if raw is None:
                    continue
                result = inbound_mail_receive(inbound_mail_from_rfc822(raw), source="imap")
                key = result.reason if result.reason in counts else "refused"
                counts[key] += 1
                client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()
        self.stdout.write(
            f"저장 {counts['stored']}건, 이미 저장 {counts['duplicate']}건, 거부 {counts['refused']}건"
        )
