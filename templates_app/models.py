"""SMS templates (CEMS), their versions, and the outbox of messages rendered from them.

An approved version's text is never edited in place: editing a template writes a *draft*
version, and approving the draft retires the previous approved one (services.py). The database
keeps at most one approved and one draft version per template, whatever the code does.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .definitions import AUDIENCES
from .gateways import provider_key
from .phones import mask_phone
from .render import LengthClass, template_problems


class Audience(models.TextChoices):
    CUSTOMER = "customer", _("고객")
    DRIVER = "driver", _("기사")


assert set(Audience.values) == set(AUDIENCES)


class Service(models.TextChoices):
    PARKING = "parking", _("주차")
    DRIVER = "driver", _("대리")
    EV = "ev", _("전기차 충전")
    COMMON = "common", _("공통")


class SendingSystem(models.TextChoices):
    """Where a template's messages leave the center (seed 004: "[기사] 포인트 차감 예정 SMS 전송 -
    콜 ID 기재 MCRM에서 발송"; every other seed template is a CEMS template)."""

    CEMS = "cems", _("CEMS")
    MCRM = "mcrm", _("MCRM")


class SmsTemplate(models.Model):
    """A CEMS/MCRM template. ``code`` is the stable key playbooks and services name it by
    (filled from the original CEMS name); ``name`` is the CEMS name as registered in CEMS, which a
    lead may correct in the admin (the seeds spell some names two ways) without touching code."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("사용")
        RETIRED = "retired", _("폐기")

    code = models.CharField(
        _("고정 키"),
        max_length=200,
        unique=True,
        help_text=_("플레이북이 템플릿을 찾는 키 (등록 후 바뀌지 않음)."),
    )
    name = models.CharField(_("CEMS 템플릿 명"), max_length=200, unique=True)
    sending_system = models.CharField(
        _("발송 시스템"),
        max_length=8,
        choices=SendingSystem.choices,
        default=SendingSystem.CEMS,
        help_text=_("이 템플릿의 문자를 내보내는 시스템 (시스템마다 발송 게이트웨이가 다름)."),
    )
    enabled = models.BooleanField(
        _("사용 (팀장 설정)"),
        default=True,
        help_text=_(
            "끄면 이 템플릿의 문자는 새 결정의 계획에 들어가지 않습니다 (시드가 정하지 않은 "
            "문자는 팀장이 켜야 쓰입니다)."
        ),
    )
    audience = models.CharField(_("수신 대상"), max_length=16, choices=Audience.choices)
    service = models.CharField(_("서비스"), max_length=16, choices=Service.choices)
    description = models.TextField(_("사용 상황"), blank=True)
    source = models.TextField(_("출처"), blank=True)
    status = models.CharField(
        _("상태"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(_("등록 시각"), auto_now_add=True)
    updated_at = models.DateTimeField(_("수정 시각"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("문자 템플릿")
        verbose_name_plural = _("문자 템플릿")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_retired(self) -> bool:
        return self.status == self.Status.RETIRED


class SmsTemplateVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("초안")
        APPROVED = "approved", _("승인")
        RETIRED = "retired", _("폐기")

    template = models.ForeignKey(
        SmsTemplate, on_delete=models.PROTECT, related_name="versions", verbose_name=_("템플릿")
    )
    number = models.PositiveIntegerField(_("버전"))
    body = models.TextField(_("본문"))
    variables = models.JSONField(_("변수 선언"), default=dict, blank=True)
    status = models.CharField(
        _("상태"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("작성 시각"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("작성자"),
    )
    approved_at = models.DateTimeField(_("승인 시각"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("승인자"),
    )
    retired_at = models.DateTimeField(_("폐기 시각"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("문자 템플릿 버전")
        verbose_name_plural = _("문자 템플릿 버전")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="templates_app_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status="approved"),
                name="templates_app_one_approved_version",
                violation_error_message=_("템플릿마다 승인된 버전은 하나뿐이어야 합니다."),
            ),
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status="draft"),
                name="templates_app_one_draft_version",
                violation_error_message=_("템플릿마다 초안은 하나뿐이어야 합니다."),
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False),
                name="templates_app_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        # No template name here: __str__ must not cost a query in lists and inlines.
        return f"v{self.number} ({self.get_status_display()})"

    def clean(self) -> None:
        problems = template_problems(self.body, self.variables)
        if problems:
            raise ValidationError({"body": [p.message for p in problems]})


class OutboundMessage(models.Model):
    """One SMS to one recipient, rendered at queue time (the text sent is the text stored).

    A message of a case's plan starts *planned* (drafted at the decision, previewable, not sent)
    and is released to ``queued`` when the case reaches the step that sends it (``step``); a
    planned message a new plan no longer holds becomes ``cancelled`` and is never sent.
    Delivery state moves queued -> sending -> sent | queued (retry) | failed, or to
    sent_by_hand when a person sent it outside KMCS. ``sending`` is a claim: only the task that
    moved the row into it may call the gateway, so the gateway is called at most once per
    attempt even when a task is delivered twice.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", _("발송 전 (단계 대기)")
        CANCELLED = "cancelled", _("발송 취소 (계획 변경)")
        QUEUED = "queued", _("발송 대기")
        SENDING = "sending", _("발송 중")
        SENT = "sent", _("발송 완료")
        FAILED = "failed", _("발송 실패")
        SENT_BY_HAND = "sent_by_hand", _("수동 발송")
        #: Transient failures (timeouts, 5xx, 429) used up every attempt: nothing final came
        #: back from the provider; a lead retries it from the admin (issue 16).
        DEAD_LETTER = "dead_letter", _("발송 보류 (재처리 대기)")

    class Report(models.TextChoices):
        """The carrier's delivery report (callback or polling), after the provider accepted it."""

        DELIVERED = "delivered", _("수신 완료")
        FAILED = "failed", _("수신 실패")

    DELIVERED = (Status.SENT, Status.SENT_BY_HAND)

    recipient = models.CharField(_("수신 번호"), max_length=20, db_index=True)
    audience = models.CharField(_("수신 대상"), max_length=16, choices=Audience.choices)
    template = models.ForeignKey(
        SmsTemplate, on_delete=models.PROTECT, related_name="messages", verbose_name=_("템플릿")
    )
    template_version = models.ForeignKey(
        SmsTemplateVersion,
        on_delete=models.PROTECT,
        related_name="messages",
        verbose_name=_("템플릿 버전"),
    )
    body = models.TextField(_("발송 본문"))
    byte_length = models.PositiveIntegerField(_("바이트 수"), default=0)
    length_class = models.CharField(
        _("문자 종류"), max_length=16, choices=[(c.value, c.value) for c in LengthClass]
    )

    # The case (or any other record) the message belongs to; the cases app adds a
    # GenericRelation. Generic so that this app never imports cases.
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("관련 기록 종류"),
    )
    object_id = models.PositiveBigIntegerField(_("관련 기록 ID"), null=True, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    #: The plan step that sends it (a case's checklist step). Named by its app label: this app
    #: never imports cases. Empty for messages sent at once (fines batch, bench, tests).
    step = models.ForeignKey(
        "cases.CaseStep",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("발송 단계"),
    )

    idempotency_key = models.CharField(_("중복 방지 키"), max_length=200, unique=True)
    #: What the provider stores and searches by (NHN ``recipientGroupingKey``, 100 characters at
    #: most): a short hash of ``idempotency_key`` (:func:`templates_app.gateways.provider_key`).
    #: Delivery reports are matched by it, hence unique (indexed). Set on save.
    provider_key = models.CharField(
        _("발송사 그룹키"), max_length=100, unique=True, null=True, blank=True, editable=False
    )
    status = models.CharField(
        _("상태"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("시도 횟수"), default=0)
    last_error = models.TextField(_("마지막 오류"), blank=True)
    provider_message_id = models.CharField(_("발송사 메시지 ID"), max_length=200, blank=True)
    report_status = models.CharField(
        _("수신 결과"), max_length=16, choices=Report.choices, blank=True, default=""
    )
    report_code = models.CharField(_("발송사 결과 코드"), max_length=32, blank=True)
    report_message = models.CharField(_("발송사 결과 설명"), max_length=200, blank=True)
    reported_at = models.DateTimeField(_("수신 결과 시각"), null=True, blank=True)

    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("요청자"),
    )
    queued_at = models.DateTimeField(_("요청 시각"), auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(_("마지막 시도 시각"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("다음 시도 예정"), null=True, blank=True)
    sent_at = models.DateTimeField(_("발송 시각"), null=True, blank=True)

    hand_reason = models.TextField(_("수동 발송 사유"), blank=True)
    hand_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("수동 발송 처리자"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("발송 문자")
        verbose_name_plural = _("발송 문자")
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="tpl_msg_subject_idx"),
            models.Index(fields=["status", "queued_at"], name="tpl_msg_status_idx"),
            models.Index(fields=["template", "queued_at"], name="tpl_msg_template_idx"),
            models.Index(fields=["audience", "queued_at"], name="tpl_msg_audience_idx"),
            models.Index(fields=["status", "report_status", "sent_at"], name="tpl_msg_report_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__isnull=True, object_id__isnull=True)
                | Q(content_type__isnull=False, object_id__isnull=False),
                name="templates_app_msg_subject_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent_by_hand") | ~Q(hand_reason=""),
                name="templates_app_msg_hand_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.recipient_masked} {self.get_status_display()}"

    def save(self, *args, **kwargs):
        if not self.provider_key and self.idempotency_key:
            self.provider_key = provider_key(self.idempotency_key)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "provider_key"}
        super().save(*args, **kwargs)

    @property
    def recipient_masked(self) -> str:
        return mask_phone(self.recipient)

    @property
    def is_delivered(self) -> bool:
        return self.status in self.DELIVERED

    @property
    def report_label(self) -> str:
        """The carrier's answer as the case shows it (issue 16), '' before any report."""
        return report_label(self.report_status, self.report_code)


def report_label(report_status: str, report_code: str) -> str:
    """'수신 완료', '수신 실패 (3015)' or '' (no report yet). A function, not only the
    property, because history rows (the case log) have the fields but not the model's methods.
    A failure names the provider's code: it says why (refused, unreachable, wrong number)."""
    if not report_status:
        return ""
    label = str(OutboundMessage.Report(report_status).label)
    if report_status == OutboundMessage.Report.FAILED:
        return f"{label} ({report_code or '-'})"
    return label
