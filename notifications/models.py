"""What a person is told about their own work (issue 14 item 5).

A :class:`Notification` is written by a service in the transaction of the change it tells about
(assignment, overdue mark, fact revision, failed message, payout waiting for approval, a reply
that came back), so it exists exactly when the change does. ``dedupe_key`` makes "once per
thing" a database rule: the overdue job may run twice, a step is still announced once.

The link is stored as a path, never a full URL: the page adds the request's own host, the e-mail
adds ``KMCS_SITE_URL``, so the same row is right on any host and port.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Kind(models.TextChoices):
    CASE_ASSIGNED = "case_assigned", _("케이스 배정")
    STEP_OVERDUE = "step_overdue", _("처리 기한 초과")
    FACTS_REVISED = "facts_revised", _("사실관계 수정")
    MESSAGE_FAILED = "message_failed", _("발송 실패")  # SMS or case e-mail
    PAYOUT_APPROVAL = "payout_approval", _("지급 승인 요청")
    #: A transfer the bank could not answer for: a lead asks the bank and settles it by hand.
    PAYOUT_CHECK = "payout_check", _("지급 확인 필요")
    REPLY_RECEIVED = "reply_received", _("회신 메일 수신")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("받는 사람"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("종류"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("제목"), max_length=200)
    body = models.TextField(_("내용"), blank=True)
    #: Site-relative path of what the notification is about ("/work/cases/12/").
    path = models.CharField(_("링크"), max_length=300, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("케이스"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: "once per thing" (e.g. ``overdue:step:42``); empty = no dedupe.
    dedupe_key = models.CharField(_("중복 방지 키"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("생성 시각"))
    read_at = models.DateTimeField(_("읽은 시각"), null=True, blank=True)
    #: When the e-mail copy was handed to the mail server (claimed before sending).
    emailed_at = models.DateTimeField(_("메일 발송 시각"), null=True, blank=True)
    #: The recipient chose e-mail and the copy has not left yet (the sweeper's outbox).
    email_pending = models.BooleanField(_("메일 발송 대기"), default=False)

    class Meta:
        verbose_name = _("알림")
        verbose_name_plural = _("알림")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(email_pending=True),
                name="notification_email_pending",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="notification_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A person's own choice: also receive each notification by e-mail. Edited by the person
    (settings page), so it keeps its history."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("사용자"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_enabled = models.BooleanField(_("알림을 메일로도 받기"), default=False)
    updated_at = models.DateTimeField(_("변경 시각"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("알림 설정")
        verbose_name_plural = _("알림 설정")

    def __str__(self) -> str:
        return f"{self.user} ({'메일' if self.email_enabled else '화면만'})"
