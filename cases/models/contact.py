"""OB (outbound call) attempts: the log seed 002's [아지트 작성 기준] asks for."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.choices import Audience, ContactResult


class ContactAttempt(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("케이스"),
        on_delete=models.CASCADE,
        related_name="contact_attempts",
    )
    target = models.CharField(_("대상"), max_length=10, choices=Audience.choices)
    result = models.CharField(_("결과"), max_length=10, choices=ContactResult.choices)
    is_special = models.BooleanField(_("특이사항"), default=False)
    note = models.TextField(_("메모"), blank=True)
    at = models.DateTimeField(_("시각"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("상담사"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The Agit post that shares this attempt (required for no answer / anything unusual).
    escalation_post = models.ForeignKey(
        "cases.EscalationPost",
        verbose_name=_("아지트 글"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_attempts",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("OB 기록")
        verbose_name_plural = _("OB 기록")
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return (
            f"{self.get_target_display()} OB {self.get_result_display()} ({self.at:%Y-%m-%d %H:%M})"
        )

    @property
    def needs_post(self) -> bool:
        """특이사항이 있거나 OB 부재 등 히스토리 공유가 필요한 경우 아지트 작성 필수."""
        return self.result != ContactResult.ANSWERED or self.is_special
