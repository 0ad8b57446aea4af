"""The ride (call) record the evidence check compares a notice with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fines.evidence import RideTrace
from fines.validators import call_id_validator


class Ride(models.Model):
    class Source(models.TextChoices):
        IMPORT = "import", _("가져오기")
        MANUAL = "manual", _("직접 입력")

    call_id = models.CharField(
        _("콜 ID"), max_length=20, unique=True, validators=[call_id_validator]
    )
    service = models.CharField(_("서비스"), max_length=20, default="driver")
    started_at = models.DateTimeField(_("운행 시작"), null=True, blank=True)
    ended_at = models.DateTimeField(_("운행 종료"), null=True, blank=True)
    start_lat = models.FloatField(_("출발지 위도"), null=True, blank=True)
    start_lng = models.FloatField(_("출발지 경도"), null=True, blank=True)
    end_lat = models.FloatField(_("도착지 위도"), null=True, blank=True)
    end_lng = models.FloatField(_("도착지 경도"), null=True, blank=True)
    start_address = models.CharField(_("출발지"), max_length=200, blank=True)
    end_address = models.CharField(_("도착지"), max_length=200, blank=True)
    #: A summary of the GPS path: [[lat, lng], ...] (a few hundred points at most).
    path = models.JSONField(_("경로 요약 (GPS)"), default=list, blank=True)
    driver_id = models.CharField(_("기사 ID"), max_length=40, blank=True, db_index=True)
    driver_name = models.CharField(_("기사명"), max_length=50, blank=True)
    driver_phone = models.CharField(_("기사 전화번호"), max_length=20, blank=True)
    fare = models.PositiveIntegerField(_("요금 (원)"), null=True, blank=True)
    source = models.CharField(
        _("입력 경로"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("입력자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("입력 시각"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("운행 기록")
        verbose_name_plural = _("운행 기록")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(started_at__isnull=True)
                | Q(ended_at__isnull=True)
                | Q(ended_at__gte=models.F("started_at")),
                name="ride_ends_after_start",
                violation_error_message=_("운행 종료는 시작보다 빠를 수 없습니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"콜 {self.call_id}"

    @staticmethod
    def _point(lat, lng):
        return (lat, lng) if lat is not None and lng is not None else None

    def trace(self) -> RideTrace:
        """The ride as the pure evidence check sees it."""
        return RideTrace(
            started_at=self.started_at,
            ended_at=self.ended_at,
            start=self._point(self.start_lat, self.start_lng),
            end=self._point(self.end_lat, self.end_lng),
            path=tuple((float(p[0]), float(p[1])) for p in self.path or ()),
        )
