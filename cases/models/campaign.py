"""Campaigns as data: a playbook asks "is the coupon campaign on today?", never a hard-coded date."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.playbooks import base


class Campaign(models.Model):
    """A dated offer (seed 000: T 주차권 쿠폰, 24.11.27-24.12.31, "연장 시 재공지").

    An extension is an edit of ``ends_on``; simple-history keeps who moved it and when.
    """

    code = models.SlugField(_("코드"), max_length=60, unique=True)
    name = models.CharField(_("이름"), max_length=200)
    starts_on = models.DateField(_("시작일"))
    ends_on = models.DateField(_("종료일 (포함)"))
    description = models.TextField(_("설명"), blank=True)
    coupon_expires_on = models.DateField(
        _("쿠폰 사용기한"),
        null=True,
        blank=True,
        help_text=_(
            "고객 안내에 '사용기한 : ~까지'를 넣을 때만 입력 (시드 000은 사용기한 줄을 취소선으로 "
            "지움: 비워 두면 사용기한을 말하거나 보내지 않음)."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("캠페인")
        verbose_name_plural = _("캠페인")
        ordering = ["-starts_on", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="campaign_ends_after_start",
                violation_error_message=_("종료일은 시작일보다 빠를 수 없습니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d} ~ {self.ends_on:%Y-%m-%d})"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("종료일은 시작일보다 빠를 수 없습니다.")})
        if self.coupon_expires_on and self.starts_on and self.coupon_expires_on < self.starts_on:
            raise ValidationError(
                {"coupon_expires_on": _("쿠폰 사용기한은 캠페인 시작일보다 빠를 수 없습니다.")}
            )

    def as_value(self) -> base.Campaign:
        """The playbooks' value object (they never see a model)."""
        return base.Campaign(
            code=self.code,
            name=self.name,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            coupon_expires_on=self.coupon_expires_on,
        )
