"""Where overdue notices go. ``KMCS_OVERDUE_NOTIFIER`` names a class with ``send(notices)``;
the default writes one e-mail per person through Django's e-mail backend (SMTP in production,
the console in dev, memory in tests). A messenger or Agit bot is another class, no code change
in the job. ``send`` raises on failure: the job gives its claim back and tries again later."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from cases.services.clocks import OverdueNotice


class EmailNotifier:
    def message_for(self, notice: OverdueNotice) -> EmailMessage:
        now = timezone.now()
        items = [
            {
                "item": item,
                "due_local": timezone.localtime(item.due_at),
                "late": _late(now - item.due_at),
            }
            for item in notice.items
        ]
        body = render_to_string("dashboard/overdue_email.txt", {"notice": notice, "items": items})
        subject = f"[KMCS] 기한 초과 단계 {len(notice.items)}건"
        return EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.KMCS_NOTIFY_FROM_EMAIL,
            to=[notice.email],
        )

    def send(self, notices: Sequence[OverdueNotice]) -> None:
        messages = [self.message_for(n) for n in notices if n.items and n.email]
        if messages:
            get_connection(fail_silently=False).send_messages(messages)


def _late(delta) -> str:
    from cases.dashboard.selectors import human_duration

    return human_duration(delta)
