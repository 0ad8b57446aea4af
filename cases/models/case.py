"""The case: one inquiry, from intake to the closed consultation record."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from cases.labels import choice_label
from cases.models.choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    QUEUE_STATUSES,
    Channel,
    PlaybookCode,
    ResultType,
    Service,
    Status,
    WaitingOn,
)


def phone_last4(phone: str) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


def mask_phone_for_display(phone: str) -> str:
    """A phone as staff screens show it (010-****-1234); full numbers only through unmasking."""
    if not phone:
        return ""
    from kmcs_site.privacy import mask_phone

    return mask_phone(phone)


class Case(models.Model):
    # --- what it is ------------------------------------------------------------------------
    playbook = models.CharField(_("플레이북"), max_length=40, choices=PlaybookCode.choices)
    playbook_version = models.CharField(
        _("플레이북 버전"), max_length=20, blank=True, help_text=_("결정 당시 플레이북 버전")
    )
    consultation_type = models.ForeignKey(
        "cases.ConsultationType",
        verbose_name=_("상담유형"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        limit_choices_to={"is_leaf": True, "is_active": True},
    )
    service = models.CharField(_("서비스"), max_length=10, choices=Service.choices)
    channel = models.CharField(_("접수 채널"), max_length=20, choices=Channel.choices)

    # --- who ---------------------------------------------------------------------------------
    customer_phone = models.CharField(_("고객 전화번호"), max_length=20, blank=True)
    #: Search by the last four digits (what a customer reads out) without a LIKE over all rows.
    customer_phone_last4 = models.CharField(
        _("고객 전화번호 끝 4자리"), max_length=4, blank=True, db_index=True, editable=False
    )
    driver_id = models.CharField(_("기사 ID"), max_length=40, blank=True, db_index=True)
    driver_phone = models.CharField(_("기사 전화번호"), max_length=20, blank=True)

    # --- business references -----------------------------------------------------------------
    call_id = models.CharField(_("콜 ID"), max_length=40, blank=True, db_index=True)
    charge_tid = models.CharField(_("충전 TID"), max_length=64, blank=True, db_index=True)
    station = models.CharField(_("충전소"), max_length=100, blank=True)
    parking_payment_id = models.CharField(
        _("주차 결제 ID"), max_length=64, blank=True, db_index=True
    )
    lot = models.CharField(_("주차장"), max_length=100, blank=True)
    business_key = models.CharField(
        _("업무 키"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("중복 접수 판단 기준 (플레이북별: 콜 ID, 결제 ID, TID ...)"),
    )
    idempotency_key = models.CharField(
        _("멱등 키"), max_length=100, null=True, blank=True, unique=True, editable=False
    )
    #: Seed 002 5. 반려 (중복 접수), "이미 처리 진행 중인 동일 문의가 있는 경우": a second post
    #: for a call already in progress is its own case, answered 반려 (중복 접수), linked here to
    #: the case in progress (the seed's "중복접수 상담ID"). Set by intake, never edited.
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("중복 접수 원건"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="duplicates",
    )

    # --- the decision ------------------------------------------------------------------------
    facts = models.JSONField(_("사실관계"), default=dict, encoder=DjangoJSONEncoder)
    proposal = models.JSONField(
        _("플레이북 제안 (결정 당시)"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    outcome = models.CharField(_("처리 결과 코드"), max_length=60, blank=True, db_index=True)
    reason = models.TextField(_("사유"), blank=True)
    result_type = models.CharField(
        _("처리결과(유형)"), max_length=40, blank=True, choices=ResultType.choices
    )
    is_override = models.BooleanField(_("제안과 다르게 결정"), default=False)
    override_reason = models.TextField(_("변경 사유"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("변경 결정자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # --- workflow ----------------------------------------------------------------------------
    status = models.CharField(_("상태"), max_length=20, choices=Status.choices, default=Status.NEW)
    waiting_on = models.CharField(
        _("대기 대상"), max_length=20, blank=True, choices=WaitingOn.choices
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("담당 상담사"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("접수자"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # --- consultation record (상담이력) and notes --------------------------------------------
    record_title = models.CharField(_("제목"), max_length=200, blank=True)
    record_inquiry = models.TextField(_("문의내용"), blank=True)
    record_notes = models.TextField(_("처리내용"), blank=True)
    operations_memo = models.TextField(_("운영메모"), blank=True)
    billing_memo = models.TextField(_("빌링처리 메모"), blank=True)
    answer_text = models.TextField(
        _("답변내용"), blank=True, help_text=_("챗봇·게시판에서 고객/기사에게 보이는 답변")
    )
    answer_saved_at = models.DateTimeField(_("답변 저장 시각"), null=True, blank=True)

    # --- time ---------------------------------------------------------------------------------
    # A default, not auto_now_add: imports keep the inquiry's own time.
    created_at = models.DateTimeField(_("접수 시각"), default=timezone.now, db_index=True)
    first_response_at = models.DateTimeField(_("최초 응대 시각"), null=True, blank=True)
    decided_at = models.DateTimeField(_("결정 시각"), null=True, blank=True)
    closed_at = models.DateTimeField(_("종결 시각"), null=True, blank=True)
    updated_at = models.DateTimeField(_("수정 시각"), auto_now=True)

    #: The SMS queued for this case (templates_app's outbox points here generically).
    outbound_messages = GenericRelation("templates_app.OutboundMessage", related_query_name="case")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("케이스")
        verbose_name_plural = _("케이스")
        ordering = ["-created_at", "-id"]
        permissions = [("work_case", _("케이스 담당 (객체 권한)"))]
        indexes = [
            models.Index(fields=["playbook", "status"], name="case_playbook_status"),
            models.Index(fields=["service", "status"], name="case_service_status"),
            models.Index(fields=["channel"], name="case_channel"),
            models.Index(fields=["status", "created_at"], name="case_status_created"),
            # The dashboard summary job re-counts the days of the cases written since its last
            # run (issue 17.4): found by this index, not by a scan.
            models.Index(fields=["updated_at"], name="case_updated_at"),
            # The dashboard's "open now, by status" (issue 17.4): a count over this index reads
            # the open cases only (a few percent of all), never the decided and closed ones.
            models.Index(
                fields=["status", "playbook"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_open_status",
            ),
            # The queue (issue 17.3) reads each of its groups in index order and stops after
            # one page, so its cost does not grow with the number of open cases: unassigned
            # and assigned cases oldest first (lead), an agent's own cases oldest first.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status__in=QUEUE_STATUSES, assignee__isnull=True),
                name="case_queue_unassigned",
            ),
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status__in=QUEUE_STATUSES, assignee__isnull=False),
                name="case_queue_assigned",
            ),
            models.Index(
                fields=["assignee", "created_at", "id"],
                condition=Q(status__in=QUEUE_STATUSES),
                name="case_queue_assignee",
            ),
            # An agent's count of the unassigned cases of their services, per status
            # (cases.selectors._agent_count_parts): only those rows, whatever else is open.
            models.Index(
                fields=["service", "status"],
                condition=Q(status__in=QUEUE_STATUSES, assignee__isnull=True),
                name="case_queue_unassigned_service",
            ),
            # The smallest id of a queue case, one probe: an agent's work permissions are read
            # from that id up (cases.selectors._work_permission_case_ids), not all of them.
            models.Index(
                fields=["id"], condition=Q(status__in=QUEUE_STATUSES), name="case_queue_id"
            ),
        ]
        constraints = [
            # The duplicate guard. Partial unique indexes exist on SQLite and PostgreSQL alike.
            models.UniqueConstraint(
                fields=["playbook", "business_key"],
                condition=~Q(status__in=DONE_STATUSES) & ~Q(business_key=""),
                name="case_open_business_key_unique",
                violation_error_message=_("같은 건으로 처리 중인 케이스가 이미 있습니다."),
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="case_status_valid"),
            models.CheckConstraint(
                condition=Q(is_override=False) | ~Q(override_reason=""),
                name="case_override_has_reason",
                violation_error_message=_("제안과 다르게 결정하려면 사유를 입력해야 합니다."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.playbook_label} ({self.status_label})"

    # --- labels from a per-language table, not gettext per row (issue 17.2) ----------------
    @property
    def playbook_label(self) -> str:
        """Same text as ``get_playbook_display()``, without rebuilding the choices per call."""
        return choice_label(PlaybookCode, self.playbook)

    @property
    def status_label(self) -> str:
        return choice_label(Status, self.status)

    @property
    def channel_label(self) -> str:
        return choice_label(Channel, self.channel)

    @property
    def waiting_on_label(self) -> str:
        return choice_label(WaitingOn, self.waiting_on)

    # --- derived, never stored twice ------------------------------------------------------
    @property
    def masked_customer_phone(self) -> str:
        return mask_phone_for_display(self.customer_phone)

    @property
    def masked_driver_phone(self) -> str:
        return mask_phone_for_display(self.driver_phone)

    @property
    def is_open(self) -> bool:
        return self.status not in DONE_STATUSES

    @property
    def result_type_label(self) -> str:
        return self.get_result_type_display() if self.result_type else ""

    def available_transitions(self, user=None):
        """The moves possible from the current status (for ``user``, if given: allowed ones).

        Returns :class:`cases.workflow.Transition` objects; screens show ``label`` and post
        ``name`` to ``case_transition`` (or ``case_decide`` for ``decide``).
        """
        from cases.workflow import transitions_from
        from kmcs_site.permissions import user_can

        moves = transitions_from(self.status)
        if user is None:
            return moves
        return [t for t in moves if user_can(user, t.action, self)]

    def phone_for(self, audience: str) -> str:
        return self.driver_phone if audience == "driver" else self.customer_phone


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Guardian object permissions on cases with a real foreign key (not the generic table).

    Assignment grants ``cases.work_case``; the agent queue joins on this table by integer key,
    which stays an index lookup on a large table (the generic table compares text ids).
    """

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("케이스 객체 권한")
        verbose_name_plural = _("케이스 객체 권한")
