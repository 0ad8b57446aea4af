"""Every time someone sees a full phone number: who, which case, which number, why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnmaskLog(models.Model):
    """Append-only (no history of its own: it *is* the record; nobody may change it)."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("케이스"), on_delete=models.PROTECT, related_name="unmask_logs"
    )
    field = models.CharField(_("항목"), max_length=30)
    reason = models.CharField(_("사유"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("조회자"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("조회 시각"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("전화번호 조회 기록")
        verbose_name_plural = _("전화번호 조회 기록")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.field} ({self.at:%Y-%m-%d %H:%M})"
