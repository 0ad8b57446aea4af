"""The fine itself: one notice (고지서) a customer sent in, with what the checks found."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.models.attachment import attachment_storage
from fines import codes
from fines.accounts import mask_account
from fines.banks import BANK_CHOICES
from fines.fields import EncryptedTextField
from fines.validators import call_id_validator, validate_notice_image


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return list(mapping.items())


def notice_upload_to(instance, filename: str) -> str:
    """A generated name whose extension is the format Pillow reads from the bytes.

    Nothing of the client's name is kept: it can carry personal data, and its extension is
    the attacker's choice (``notice.html`` holding a GIF with a script in its comment block).
    A file that is not an allowed image (the validators refuse it first) would get ``.bin``.
    """
    from django.core.exceptions import ValidationError

    from fines.validators import NOTICE_IMAGE_TYPES, detect_image_format

    try:
        fmt = detect_image_format(instance.notice_image)
    except ValidationError:
        fmt = None
    suffix = NOTICE_IMAGE_TYPES[fmt][0] if fmt in NOTICE_IMAGE_TYPES else "bin"
    return f"fines/notices/{instance.call_id}/{uuid.uuid4().hex}.{suffix}"


class FineNotice(models.Model):
    """A traffic fine case's fine: the notice, the customer's account, the checks' results.

    The duplicate guard lives here as a database constraint: among notices that *claim* their
    violation (every notice except the refused duplicates), one call ID and one violation time
    (to the minute) appear once. Two agents entering the same notice at once cannot both win;
    the loser is stored as ``rejected_duplicate`` pointing at the winner.
    """

    #: The traffic_fine case this fine belongs to (one fine per case).
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("케이스"),
        on_delete=models.PROTECT,
        related_name="fine_notice",
        null=True,
        blank=True,
    )
    call_id = models.CharField(
        _("콜 ID"), max_length=20, db_index=True, validators=[call_id_validator]
    )
    call_type = models.CharField(
        _("콜 구분"), max_length=10, choices=_choices(codes.CALL_TYPES), default=codes.OWN
    )
    notice_type = models.CharField(
        _("고지 종류"), max_length=10, choices=_choices(codes.NOTICE_TYPES), default=codes.FINE
    )
    violation_kind = models.CharField(
        _("위반 종류"),
        max_length=30,
        choices=_choices(codes.VIOLATION_KINDS),
        default=codes.GENERAL,
    )
    category = models.CharField(
        _("과태료 구분"), max_length=10, choices=_choices(codes.CATEGORIES), db_index=True
    )
    violation_at = models.DateTimeField(_("위반일시"), null=True, blank=True)
    violation_place = models.CharField(_("위반장소"), max_length=200, blank=True)
    violation_lat = models.FloatField(_("위반장소 위도"), null=True, blank=True)
    violation_lng = models.FloatField(_("위반장소 경도"), null=True, blank=True)
    notice_issued_on = models.DateField(_("고지일"), null=True, blank=True)
    notice_number = models.CharField(_("고지서 번호"), max_length=40, blank=True)
    amount = models.PositiveIntegerField(_("금액 (원)"), null=True, blank=True)
    car_number = models.CharField(_("차량번호"), max_length=20, blank=True)
    #: Stored in the case attachments' storage (issue 14.4): the intake records this one file as
    #: the case's 과태료 고지서 attachment too (``fines.services.intake``), so the case page and
    #: the timeline show it. Notices stored before lie under ``MEDIA_ROOT`` like the
    #: file-system default of that storage; moving attachments to S3 moves ``fines/notices/``.
    notice_image = models.FileField(
        _("고지서 이미지"),
        upload_to=notice_upload_to,
        storage=attachment_storage,
        blank=True,
        validators=[validate_notice_image],
    )

    # The customer's refund account, sealed (see fines.fields); only the last 4 digits are plain.
    bank = models.CharField(_("은행"), max_length=3, choices=BANK_CHOICES, blank=True)
    account = EncryptedTextField(_("계좌번호 (암호화)"), blank=True)
    account_hash = models.CharField(
        _("계좌 검색 해시"), max_length=64, blank=True, db_index=True, editable=False
    )
    account_last4 = models.CharField(_("계좌 끝 4자리"), max_length=4, blank=True, editable=False)
    account_length = models.PositiveSmallIntegerField(default=0, editable=False)
    account_holder = models.CharField(_("예금주"), max_length=50, blank=True)

    # Driver (from the ride record or intake); the driver SMS needs the phone.
    driver_id = models.CharField(_("기사 ID"), max_length=40, blank=True)
    driver_name = models.CharField(_("기사명"), max_length=50, blank=True)
    ride = models.ForeignKey(
        "fines.Ride",
        verbose_name=_("운행 기록"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notices",
    )

    # Duplicate guard.
    claims_violation = models.BooleanField(
        _("중복 기준 보유"),
        default=True,
        editable=False,
        help_text=_("거절된 중복 접수는 기준을 갖지 않습니다 (첫 접수만 보유)."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("중복 원건"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )

    # Evidence check (stored so the decision can be read back later).
    evidence_result = models.CharField(
        _("증빙 확인 결과"),
        max_length=10,
        choices=_choices(codes.EVIDENCE_RESULTS),
        default=codes.EVIDENCE_UNKNOWN,
    )
    evidence_reason = models.CharField(_("증빙 확인 사유"), max_length=200, blank=True)
    evidence_details = models.JSONField(_("증빙 확인 상세"), default=dict, blank=True)
    evidence_checked_at = models.DateTimeField(_("증빙 확인 시각"), null=True, blank=True)
    evidence_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("증빙 불일치 승인자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    evidence_override_reason = models.TextField(_("증빙 불일치 승인 사유"), blank=True)
    evidence_override_at = models.DateTimeField(_("증빙 불일치 승인 시각"), null=True, blank=True)

    outcome = models.CharField(
        _("처리 결과"), max_length=30, choices=_choices(codes.OUTCOMES), blank=True, db_index=True
    )

    # 범칙금 (penalty notice) steps the manager records, in the seed's order.
    consent_given = models.BooleanField(
        _("차량번호 전달 동의 (개인정보수집동의)"), null=True, blank=True
    )
    consent_recorded_at = models.DateTimeField(_("동의 확인 시각"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("동의 확인자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    driver_police_call_at = models.DateTimeField(
        _("기사 OB (경찰서 내방 안내) 시각"), null=True, blank=True
    )
    evidence_mms_at = models.DateTimeField(_("증빙자료 MMS 발송 시각"), null=True, blank=True)
    # 위탁콜: the manager asked the driver/company to deposit into the branch account.
    partner_claim_at = models.DateTimeField(
        _("위탁 기사·업체 입금 요청 시각"), null=True, blank=True
    )
    completed_at = models.DateTimeField(_("처리 완료 시각"), null=True, blank=True)

    intake_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("접수자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("접수 시각"), auto_now_add=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["evidence_details"])

    class Meta:
        verbose_name = _("과태료 접수")
        verbose_name_plural = _("과태료 접수")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["category", "outcome"], name="fine_notice_cat_outcome"),
            models.Index(fields=["intake_by", "created_at"], name="fine_notice_intake_by"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["call_id", "violation_at"],
                condition=Q(claims_violation=True) & Q(violation_at__isnull=False),
                name="fine_notice_one_claim_per_violation",
                violation_error_message=_("같은 콜 ID·위반일시의 과태료가 이미 접수되어 있습니다."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="fine_notice_amount_positive",
                violation_error_message=_("금액은 0원보다 커야 합니다."),
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | Q(claims_violation=False),
                name="fine_notice_duplicate_never_claims",
            ),
        ]

    def __str__(self) -> str:
        return f"콜 {self.call_id} {self.get_notice_type_display()} #{self.pk}"

    @property
    def has_account(self) -> bool:
        return bool(self.account_hash)

    @property
    def account_masked(self) -> str:
        if not self.has_account:
            return ""
        return mask_account(bank=self.bank, last4=self.account_last4, length=self.account_length)
