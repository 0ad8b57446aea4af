"""The payout ledger (어드민 → 정산 → 과태료 관리) and the daily 14:00 batch."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fines.accounts import mask_account
from fines.banks import BANK_CHOICES
from fines.fields import EncryptedTextField
from fines.validators import call_id_validator


class PayoutStatus(models.TextChoices):
    #: A manual payout (made by hand, after a cancel, or to another account) waits for a
    #: second person (lead or manager, not its creator) before the batch may pay it.
    PENDING_APPROVAL = "pending_approval", _("승인 대기")
    CREATED = "created", _("생성 (계좌 확인 대기)")
    SCHEDULED = "scheduled", _("지급 예정")
    #: The bank's answer to the transfer is unknown (timeout, 5xx after the request left, an
    #: answer we cannot read): money may have moved. Nothing is sent again until the bank's
    #: 이체결과조회 says what happened (fines.services.payout_reconcile_uncertain).
    NEEDS_RECONCILIATION = "needs_reconciliation", _("확인 필요")
    PAID = "paid", _("지급 완료")
    FAILED = "failed", _("지급 실패")
    CANCELLED = "cancelled", _("취소")
    REJECTED = "rejected", _("승인 반려")


#: Payouts that still count: a notice may have one of these at a time.
LIVE_STATUSES = (
    PayoutStatus.PENDING_APPROVAL,
    PayoutStatus.CREATED,
    PayoutStatus.SCHEDULED,
    PayoutStatus.NEEDS_RECONCILIATION,
    PayoutStatus.PAID,
)


class FinePayout(models.Model):
    """One refund of a fine to a customer's account, paid by the daily batch.

    ``idempotency_key`` is unique, so retrying a create (double click, a re-sent request) gives
    the row that exists. One live payout per notice is a partial unique constraint, so two
    agents paying the same fine at once cannot both succeed.
    """

    notice = models.ForeignKey(
        "fines.FineNotice",
        verbose_name=_("과태료 접수"),
        on_delete=models.PROTECT,
        related_name="payouts",
    )
    call_id = models.CharField(
        _("콜 ID"), max_length=20, db_index=True, validators=[call_id_validator]
    )
    #: Copied from the notice: the ledger's own duplicate key (call ID + violation time).
    violation_at = models.DateTimeField(_("위반일시"), null=True, blank=True)
    amount = models.PositiveIntegerField(_("금액 (원)"))
    bank = models.CharField(_("은행"), max_length=3, choices=BANK_CHOICES)
    account = EncryptedTextField(_("계좌번호 (암호화)"))
    account_hash = models.CharField(
        _("계좌 검색 해시"), max_length=64, db_index=True, editable=False
    )
    account_last4 = models.CharField(_("계좌 끝 4자리"), max_length=4, editable=False)
    account_length = models.PositiveSmallIntegerField(default=0, editable=False)
    holder = models.CharField(_("예금주"), max_length=50)
    verified_by = models.CharField(_("계좌 확인 방식"), max_length=20, blank=True)
    verified_at = models.DateTimeField(_("계좌 인증 시각"), null=True, blank=True)
    verification_error = models.CharField(_("계좌 확인 오류"), max_length=200, blank=True)

    status = models.CharField(
        _("상태"),
        max_length=20,
        choices=PayoutStatus.choices,
        default=PayoutStatus.CREATED,
        db_index=True,
    )
    scheduled_at = models.DateTimeField(_("지급 예정 (배치)"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("지급 시각"), null=True, blank=True)
    failure_reason = models.CharField(_("실패 사유"), max_length=200, blank=True)
    #: Points are deducted from the driver (own calls). Consigned calls are claimed from the
    #: partner instead, and some special fines are borne by the company.
    charge_driver = models.BooleanField(_("기사 포인트 차감"), default=True)
    idempotency_key = models.CharField(_("멱등 키"), max_length=100, unique=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("생성자"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("생성 시각"), db_index=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("취소자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancel_reason = models.TextField(_("취소 사유"), blank=True)
    #: Why a second person must approve (empty: the decision's payout of the notice's own
    #: amount to the notice's own account, which needs no approval).
    approval_reason = models.CharField(_("승인 필요 사유"), max_length=200, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("승인자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("승인 시각"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("반려자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejected_at = models.DateTimeField(_("반려 시각"), null=True, blank=True)
    reject_reason = models.TextField(_("반려 사유"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("과태료 지급")
        verbose_name_plural = _("과태료 지급 (과태료 관리)")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="fine_payout_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notice"],
                condition=Q(status__in=[s.value for s in LIVE_STATUSES]),
                name="fine_payout_one_live_per_notice",
                violation_error_message=_("이 과태료에는 이미 지급 건이 있습니다."),
            ),
            # The ledger refuses a second live payout for one violation even when it comes from
            # another notice row (the notice constraint is the first guard, this the last).
            models.UniqueConstraint(
                fields=["call_id", "violation_at"],
                condition=Q(status__in=[s.value for s in LIVE_STATUSES])
                & Q(violation_at__isnull=False),
                name="fine_payout_one_live_per_violation",
                violation_error_message=_("같은 콜 ID·위반일시로 이미 지급 건이 있습니다."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="fine_payout_amount_positive",
                violation_error_message=_("금액은 0원보다 커야 합니다."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=PayoutStatus.values), name="fine_payout_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(scheduled_at__isnull=False),
                name="fine_payout_scheduled_has_time",
            ),
            # Four-eyes, the last guard: a payout that needed an approval reaches the bank's
            # side (scheduled, paid, failed) only with an approver, never its own creator.
            models.CheckConstraint(
                condition=Q(approval_reason="")
                | Q(approved_by__isnull=False)
                | Q(status__in=["pending_approval", "cancelled", "rejected"]),
                name="fine_payout_manual_needs_approval",
                violation_error_message=_("승인되지 않은 수동 지급 건은 지급할 수 없습니다."),
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="fine_payout_approver_not_creator",
                violation_error_message=_("지급 건을 만든 사람은 승인할 수 없습니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"콜 {self.call_id} {self.amount:,}원 ({self.get_status_display()})"

    @property
    def account_masked(self) -> str:
        return mask_account(bank=self.bank, last4=self.account_last4, length=self.account_length)


class PayoutBatch(models.Model):
    """One run of the daily batch (the 14:00 run of a day). Rerunning the task reuses it."""

    run_for = models.DateTimeField(_("배치 시각"), unique=True)
    started_at = models.DateTimeField(_("시작"), null=True, blank=True)
    finished_at = models.DateTimeField(_("종료"), null=True, blank=True)
    paid_count = models.PositiveIntegerField(_("지급 건수"), default=0)
    failed_count = models.PositiveIntegerField(_("실패 건수"), default=0)
    paid_amount = models.PositiveBigIntegerField(_("지급 금액 (원)"), default=0)
    runs = models.PositiveIntegerField(_("실행 횟수"), default=0)

    class Meta:
        verbose_name = _("지급 배치")
        verbose_name_plural = _("지급 배치")
        ordering = ["-run_for"]

    def __str__(self) -> str:
        return f"{self.run_for:%Y-%m-%d %H:%M} 배치"


class BankTransfer(models.Model):
    """The one bank transfer of a payout. Unique on the payout and on the idempotency key: the
    database refuses a second transfer even if two batch runs reach the same payout."""

    class State(models.TextChoices):
        PENDING = "pending", _("요청 중")
        SUCCEEDED = "succeeded", _("완료")
        FAILED = "failed", _("실패")
        #: The bank's 이체결과조회 answered that no transfer with this bank_tran_id arrived: the
        #: payout is scheduled again and the next batch sends the same bank_tran_id.
        NOT_FOUND = "not_found", _("은행 미접수 (재지급 대기)")

    payout = models.OneToOneField(
        FinePayout, verbose_name=_("지급"), on_delete=models.PROTECT, related_name="transfer"
    )
    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("배치"), on_delete=models.PROTECT, related_name="transfers"
    )
    idempotency_key = models.CharField(_("멱등 키"), max_length=100, unique=True)
    amount = models.PositiveIntegerField(_("금액 (원)"))
    state = models.CharField(
        _("상태"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    bank_reference = models.CharField(_("은행 거래번호"), max_length=64, blank=True)
    error = models.CharField(_("오류"), max_length=200, blank=True)
    #: The bank's own code for a definite refusal (e.g. KFTC bank_rsp_code "400" 계좌오류).
    error_code = models.CharField(_("은행 응답코드"), max_length=20, blank=True)
    requested_at = models.DateTimeField(_("요청 시각"))
    completed_at = models.DateTimeField(_("완료 시각"), null=True, blank=True)
    #: Reconciliation (이체결과조회) of an uncertain transfer: how often the bank was asked, the
    #: last time and what went wrong, and when the leads were alerted that it is still unknown.
    inquiry_count = models.PositiveIntegerField(_("결과조회 횟수"), default=0)
    last_inquiry_at = models.DateTimeField(_("최근 결과조회"), null=True, blank=True)
    last_inquiry_error = models.CharField(_("결과조회 오류"), max_length=200, blank=True)
    alerted_at = models.DateTimeField(_("팀장 알림 시각"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("이체 기록")
        verbose_name_plural = _("이체 기록")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"이체 {self.idempotency_key} ({self.get_state_display()})"


class AccountUnmaskLog(models.Model):
    """Every time someone saw a full account number: who, when, which row, why."""

    payout = models.ForeignKey(
        FinePayout,
        verbose_name=_("지급"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="unmask_logs",
    )
    notice = models.ForeignKey(
        "fines.FineNotice",
        verbose_name=_("과태료 접수"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="unmask_logs",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("조회자"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("조회 사유"), max_length=200)
    at = models.DateTimeField(_("조회 시각"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("계좌번호 조회 기록")
        verbose_name_plural = _("계좌번호 조회 기록")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(payout__isnull=False) | Q(notice__isnull=False),
                name="account_unmask_log_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.at:%Y-%m-%d %H:%M}"
