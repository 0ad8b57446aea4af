"""E-mails of a case: what KMCS sent to a CPO or partner (seed 001 hotline e-mails, seed 003 CPO
mail) and the replies that came back, one row each, with simple-history.

An outbound row is the outbox (issue 16): written in the transaction of the user's action with
status ``queued`` and its own ``Message-ID``; a Celery task sends it over SMTP after commit and
moves it to ``sent`` or ``failed``. The Message-ID and the ``[KMCS-<case id>]`` tag in the
subject are how replies find their case again (``In-Reply-To``/``References`` or the tag).
An inbound row is a reply that was matched to its case and sender (``received``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class EmailDirection(models.TextChoices):
    OUTBOUND = "outbound", _("발신")
    INBOUND = "inbound", _("수신")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("발송 대기")
    #: Claimed by one worker; it stays here if the SMTP answer was lost (uncertain: never
    #: re-sent automatically, a lead decides).
    SENDING = "sending", _("발송 중")
    SENT = "sent", _("발송 완료")
    FAILED = "failed", _("발송 실패")
    RECEIVED = "received", _("수신")


class CaseEmail(models.Model):
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("케이스"), on_delete=models.CASCADE, related_name="emails"
    )
    direction = models.CharField(_("방향"), max_length=10, choices=EmailDirection.choices)
    status = models.CharField(_("상태"), max_length=10, choices=EmailStatus.choices)
    #: RFC 5322 Message-ID with its angle brackets; ours are generated, theirs are kept as sent.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.TextField(_("References"), blank=True)
    subject = models.CharField(_("제목"), max_length=500)
    from_address = models.CharField(_("보낸 사람"), max_length=320)
    to = models.JSONField(_("받는 사람"), default=list)
    cc = models.JSONField(_("참조"), default=list, blank=True)
    body = models.TextField(_("본문"), blank=True)
    #: The plan step this mail carries out (``email_cpo``, ``follow_route``): a reply stops the
    #: clock of that step (the CPO's / partner's answer time).
    step_code = models.CharField(_("처리 단계"), max_length=60, blank=True)
    attempts = models.PositiveSmallIntegerField(_("발송 시도"), default=0)
    error = models.TextField(_("오류"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("작성자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("작성 시각"), default=timezone.now)
    sent_at = models.DateTimeField(_("발송 시각"), null=True, blank=True)
    received_at = models.DateTimeField(_("수신 시각"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("케이스 메일")
        verbose_name_plural = _("케이스 메일")
        ordering = ["case", "created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="caseemail_case_created")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.subject}"

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc]


class InboundMailToken(models.Model):
    """A webhook token already used (Mailgun's ``token``): the same signed request twice is a
    replay and changes nothing. Kept for the replay window and a little more."""

    token = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("수신 메일 웹훅 토큰")
        verbose_name_plural = _("수신 메일 웹훅 토큰")

    def __str__(self) -> str:
        return self.token[:16]
