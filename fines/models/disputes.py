"""Disputed parking fines (주정차 위반 과태료 기사 미인정, seed 004 process of 2024.6.12)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class DisputeResolution(models.TextChoices):
    PENDING = "pending", _("블랙박스 확인 대기")
    DRIVER_ADMITTED = "driver_admitted", _("기사 인정 (특이이슈 처리)")
    CHARGE_DRIVER = "charge_driver", _("블랙박스 제출: 고객 주장 확인 → 기사 부과")
    CUSTOMER_BEARS = "customer_bears", _("블랙박스 제출: 기사 주장 확인 → 고객 부담")
    CASH_SPLIT = "cash_split", _("블랙박스 미제출 → 현금 지급 (기사 50% / 당사 50%)")


class ParkingDispute(models.Model):
    """The driver denies a parking fine; the customer is asked for dashcam footage.

    ``dashcam_due_on`` is stored when the request is made (the step clock reads it later). In the
    cash split the driver's and the company's shares are both stored, integer KRW, and always
    add up to the amount (a check constraint).
    """

    notice = models.OneToOneField(
        "fines.FineNotice",
        verbose_name=_("과태료 접수"),
        on_delete=models.PROTECT,
        related_name="dispute",
    )
    driver_claim = models.TextField(_("기사 주장"))
    arrival_matches_violation = models.BooleanField(
        _("도착지와 위반장소 동일 (어드민 확인)"), null=True, blank=True
    )
    driver_informed_at = models.DateTimeField(_("기사 OB (부과 안내) 시각"), null=True, blank=True)
    dashcam_requested_at = models.DateTimeField(_("블랙박스 요청 시각"), null=True, blank=True)
    dashcam_due_on = models.DateField(_("블랙박스 제출 기한"), null=True, blank=True)
    resolution = models.CharField(
        _("결과"),
        max_length=20,
        choices=DisputeResolution.choices,
        default=DisputeResolution.PENDING,
        db_index=True,
    )
    resolved_at = models.DateTimeField(_("결정 시각"), null=True, blank=True)
    resolution_note = models.TextField(_("결정 메모"), blank=True)

    # Cash payment (블랙박스 미제출).
    cash_amount = models.PositiveIntegerField(_("현금 지급액 (원)"), null=True, blank=True)
    driver_share = models.PositiveIntegerField(_("기사 부담 (원)"), null=True, blank=True)
    company_share = models.PositiveIntegerField(_("당사 부담 (원)"), null=True, blank=True)
    driver_agreed_at = models.DateTimeField(_("기사 50% 협의 시각"), null=True, blank=True)
    id_copy_received = models.BooleanField(_("신분증 사본 수령"), default=False)
    account_copy_received = models.BooleanField(
        _("계좌 사본 수령 (신분증과 동일 명의)"), default=False
    )
    chat_id = models.CharField(_("채팅상담 ID"), max_length=40, blank=True)
    cash_confirmed = models.BooleanField(_("현금 지급 확정"), default=False)
    cash_request_posted_at = models.DateTimeField(
        _("아지트 현금 지급 요청 작성 시각"), null=True, blank=True
    )

    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("등록자"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("등록 시각"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("주정차 과태료 기사 미인정")
        verbose_name_plural = _("주정차 과태료 기사 미인정")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["resolution", "dashcam_due_on"], name="fine_dispute_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cash_amount__isnull=True)
                | Q(cash_amount=F("driver_share") + F("company_share")),
                name="fine_dispute_shares_add_up",
                violation_error_message=_("기사 부담과 당사 부담의 합이 지급액과 같아야 합니다."),
            ),
            models.CheckConstraint(
                condition=Q(cash_request_posted_at__isnull=True)
                | (
                    Q(cash_confirmed=True)
                    & Q(id_copy_received=True)
                    & Q(account_copy_received=True)
                ),
                name="fine_dispute_post_only_when_ready",
                violation_error_message=_(
                    "현금 지급 확정 + 신분증·계좌 사본을 받은 건만 아지트에 작성할 수 있습니다."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice} 기사 미인정 ({self.get_resolution_display()})"
