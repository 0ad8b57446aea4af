"""아지트 (Agit) posts: the internal board where a case is escalated or its history shared."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.choices import PostReason


class AgitDelivery(models.TextChoices):
    """Where an automatic post (Agit webhook, issue 16) stands; '' = posted or to post by hand."""

    NONE = "", _("수동")
    QUEUED = "queued", _("게시 대기")
    POSTING = "posting", _("게시 중")
    POSTED = "posted", _("게시 완료")
    FAILED = "failed", _("게시 실패")


class EscalationPost(models.Model):
    """What to post on Agit for a case, and (once posted) the link to it.

    The row is the post's text and board. With the Agit webhook configured (issue 16) KMCS
    posts it itself (``delivery_status``, one ``idempotency_key`` per post so a retry never
    posts twice) and stores the returned link; otherwise, or for a post made by hand, the agent
    pastes the link back. A post without a link is still "to be written", which is what
    closing a case checks (seed 002 [아지트 작성 기준]).
    """

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("케이스"),
        on_delete=models.CASCADE,
        related_name="escalation_posts",
    )
    board = models.CharField(_("게시판"), max_length=300)
    template = models.CharField(_("템플릿"), max_length=200, blank=True)
    body = models.TextField(_("본문"))
    link_url = models.URLField(_("아지트 링크"), max_length=500, blank=True)
    mentions = models.JSONField(_("멘션"), default=list, blank=True)
    reason = models.CharField(
        _("작성 사유"), max_length=20, choices=PostReason.choices, default=PostReason.PLAYBOOK
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("작성자"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("작성 시각"), default=timezone.now)
    posted_at = models.DateTimeField(_("게시 확인 시각"), null=True, blank=True)
    delivery_status = models.CharField(
        _("자동 게시 상태"), max_length=10, blank=True, choices=AgitDelivery.choices, default=""
    )
    idempotency_key = models.CharField(_("멱등 키"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("게시 시도"), default=0)
    last_error = models.TextField(_("게시 오류"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("아지트 글")
        verbose_name_plural = _("아지트 글")
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.board} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_posted(self) -> bool:
        return bool(self.link_url)
