"""Center settings a lead or the manager changes without a deploy (issue 15 A.3).

One row = the whole set of values, in force from ``effective_from`` until the next row's
``effective_from``. A change for later is a new row with a later moment; reading picks the row
in force at the moment asked (``rules.selectors.center_rules``). Every row has simple-history, so
editing a row is on record too. Environment variables keep only secrets and infrastructure.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CenterSettings(models.Model):
    effective_from = models.DateTimeField(
        _("적용 시작 시각"),
        unique=True,
        error_messages={"unique": _("같은 적용 시작 시각의 설정이 이미 있습니다.")},
        help_text=_("이 시각부터 다음 설정의 시작 시각 전까지 이 값을 씁니다."),
    )
    payout_cutoff = models.TimeField(
        _("지급 마감 시각"),
        help_text=_("이 시각 전에 만든 지급은 당일 배치, 이후는 익일 배치 (00:00~23:59)."),
    )
    payout_batch_time = models.TimeField(_("지급 배치 시각"), help_text=_("00:00~23:59"))
    dispute_driver_share_pct = models.PositiveSmallIntegerField(_("분쟁 현금 지급: 기사 부담(%)"))
    dispute_company_share_pct = models.PositiveSmallIntegerField(_("분쟁 현금 지급: 당사 부담(%)"))
    dashcam_wait_days = models.PositiveSmallIntegerField(_("블랙박스 대기 일수"))
    evidence_max_distance_m = models.PositiveIntegerField(_("증빙 확인: 최대 거리(m)"))
    evidence_time_slack_minutes = models.PositiveIntegerField(_("증빙 확인: 허용 시간 차(분)"))
    evidence_parking_window_hours = models.PositiveIntegerField(
        _("증빙 확인: 하차 후 주차 인정 시간(시간)")
    )
    coupon_link = models.URLField(_("쿠폰 확인 링크"), max_length=300)
    deposit_account = models.CharField(_("입금지사 계좌"), max_length=200)
    note = models.CharField(_("변경 사유"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("센터 설정")
        verbose_name_plural = _("센터 설정")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dispute_driver_share_pct=100 - F("dispute_company_share_pct")),
                name="rules_centersettings_split_is_100",
                violation_error_message=_("기사 부담과 당사 부담의 합은 100%여야 합니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"센터 설정 ({self.effective_from:%Y-%m-%d %H:%M}부터)"

    def clean(self) -> None:
        errors = {}
        driver, company = self.dispute_driver_share_pct, self.dispute_company_share_pct
        if driver is not None and company is not None and driver + company != 100:
            errors["dispute_company_share_pct"] = _(
                "기사 부담(%(driver)s%%)과 당사 부담(%(company)s%%)의 합은 100%%여야 합니다 "
                "(지금 %(total)s%%)."
            ) % {"driver": driver, "company": company, "total": driver + company}
        if self.dashcam_wait_days is not None and self.dashcam_wait_days < 1:
            errors["dashcam_wait_days"] = _("블랙박스 대기 일수는 1일 이상이어야 합니다.")
        if self.evidence_max_distance_m is not None and self.evidence_max_distance_m < 1:
            errors["evidence_max_distance_m"] = _("최대 거리는 1m 이상이어야 합니다.")
        if errors:
            raise ValidationError(errors)
