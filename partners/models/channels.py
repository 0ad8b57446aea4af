"""Partner channels, contacts and channel recipients.

Split from ``partners/models.py`` (issue 14.9); ``partners.models`` re-exports every name here.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    ChannelKind,
    validate_email_address,
)
from .sites import (
    Partner,
    SeedKeyed,
    _unique_seed_key,
)


class Channel(SeedKeyed):
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="channels",
        verbose_name=_("운영사"),
        help_text=_("비우면 공통 채널 (예: 주차 운영 아지트)."),
    )
    kind = models.CharField(_("채널 종류"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("채널 이름"), max_length=120, unique=True)
    target = models.CharField(
        _("대상"),
        max_length=300,
        blank=True,
        help_text=_("Slack 채널명 / 게시판 이름 / URL / 시트 이름 / 메뉴 경로"),
    )
    recipients = models.ManyToManyField(
        "Contact",
        through="ChannelRecipient",
        related_name="channels",
        blank=True,
        verbose_name=_("수신·참조"),
        help_text=_(
            "담당자 연락처 행을 가리킵니다: 담당자 한 명을 고치면 그 사람을 쓰는 모든 채널·경로가 "
            "함께 바뀝니다."
        ),
    )
    notes = models.TextField(_("비고"), blank=True)
    is_active = models.BooleanField(_("사용"), default=True)

    history = HistoricalRecords()

    #: Kinds that point somewhere and are useless without saying where.
    KINDS_NEEDING_TARGET = frozenset(
        {
            ChannelKind.SLACK,
            ChannelKind.AGIT,
            ChannelKind.PARTNER_WEB,
            ChannelKind.AMANO_SHARE,
            ChannelKind.GOOGLE_SHEET,
        }
    )

    class Meta:
        verbose_name = _("채널")
        verbose_name_plural = _("채널")
        ordering = ["name"]
        constraints = [_unique_seed_key("channel")]

    def __str__(self) -> str:
        return self.name

    def recipients_on(self, day: datetime.date | None = None) -> tuple[tuple[str, ...], ...]:
        """(To, Cc) addresses of the contacts in force on ``day`` (None: every active row), in
        the order the seed lists them. Reads prefetched ``recipient_links`` when present."""
        to: list[str] = []
        cc: list[str] = []
        links = sorted(self.recipient_links.all(), key=lambda r: (r.kind != "to", r.position, r.pk))
        for link in links:
            contact = link.contact
            if not contact.email or (day is not None and not contact.in_force_on(day)):
                continue
            if day is None and not contact.is_active:
                continue
            (to if link.kind == RecipientKind.TO else cc).append(contact.email)
        return tuple(dict.fromkeys(to)), tuple(dict.fromkeys(cc))

    @property
    def to_addresses(self) -> tuple[str, ...]:
        return self.recipients_on()[0]

    @property
    def cc_addresses(self) -> tuple[str, ...]:
        return self.recipients_on()[1]

    def clean(self) -> None:
        # Recipients are rows (ChannelRecipient); "an e-mail channel needs one" is checked where
        # they are written: partners.services.channel_set_recipients and the admin inline.
        if self.kind in self.KINDS_NEEDING_TARGET and not (self.target or "").strip():
            raise ValidationError(
                {
                    "target": _("%(kind)s 채널에는 대상(채널명·게시판·URL·시트 이름)을 입력하세요.")
                    % {"kind": self.get_kind_display()}
                },
                code="target_required",
            )


class Contact(SeedKeyed):
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("운영사"),
        help_text=_("비우면 사내 담당자 (사업담당 등)."),
    )
    label = models.CharField(
        _("역할"), max_length=80, help_text=_("예: 담당자, 하이파킹 공용메일, 사업담당")
    )
    name = models.CharField(
        _("표시 이름"), max_length=80, blank=True, help_text=_("실명 대신 역할명을 씁니다.")
    )
    email = models.CharField(
        _("이메일"), max_length=254, blank=True, validators=[validate_email_address]
    )
    mention = models.CharField(
        _("아지트 멘션"), max_length=60, blank=True, help_text=_("예: @owner1")
    )
    effective_from = models.DateField(
        _("적용 시작일"),
        null=True,
        blank=True,
        help_text=_(
            "이 날부터 이 담당자에게 보냅니다 (예: 운영사별 담당자 25.5.1부터). 비우면 처음부터."
        ),
    )
    effective_to = models.DateField(
        _("적용 종료일"),
        null=True,
        blank=True,
        help_text=_("이 날까지 (포함). 담당자가 바뀌면 종료일을 넣고 새 담당자 행을 만듭니다."),
    )
    notes = models.TextField(_("비고"), blank=True)
    is_active = models.BooleanField(_("사용"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("담당자 연락처")
        verbose_name_plural = _("담당자 연락처")
        ordering = ["label", "email", "mention"]
        constraints = [
            _unique_seed_key("contact"),
            # The DB's half of "no overlapping periods for one address / handle" (the service
            # checks the full overlap and names the other row): one open-ended row each.
            models.UniqueConstraint(
                fields=["email"],
                condition=~Q(email="") & Q(effective_to__isnull=True, is_active=True),
                name="partners_contact_one_open_email",
                violation_error_message=_(
                    "같은 이메일의 사용 중인 연락처(종료일 없음)가 이미 있습니다."
                ),
            ),
            models.UniqueConstraint(
                fields=["mention"],
                condition=~Q(mention="") & Q(effective_to__isnull=True, is_active=True),
                name="partners_contact_one_open_mention",
                violation_error_message=_(
                    "같은 멘션의 사용 중인 연락처(종료일 없음)가 이미 있습니다."
                ),
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="partners_contact_dates_in_order",
                violation_error_message=_("적용 종료일은 시작일보다 빠를 수 없습니다."),
            ),
        ]

    def __str__(self) -> str:
        handle = self.email or self.mention
        return f"{self.name or self.label} <{handle}>" if handle else self.label

    def clean(self) -> None:
        if not (self.email or self.mention):
            raise ValidationError(_("이메일 또는 아지트 멘션 중 하나는 입력하세요."))
        if self.mention and not self.mention.startswith("@"):
            raise ValidationError({"mention": _("멘션은 @로 시작합니다 (예: @owner1).")})
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("적용 종료일은 시작일보다 빠를 수 없습니다.")})

    def in_force_on(self, day: datetime.date) -> bool:
        return (
            self.is_active
            and (self.effective_from is None or self.effective_from <= day)
            and (self.effective_to is None or day <= self.effective_to)
        )


class RecipientKind(models.TextChoices):
    TO = "to", _("수신 (To)")
    CC = "cc", _("참조 (Cc)")


class ChannelRecipient(models.Model):
    """One contact on an e-mail channel's To or Cc line, in the seed's order."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="recipient_links", verbose_name=_("채널")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="channel_links", verbose_name=_("담당자")
    )
    kind = models.CharField(
        _("구분"), max_length=2, choices=RecipientKind.choices, default=RecipientKind.TO
    )
    position = models.PositiveSmallIntegerField(_("순서"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("채널 수신·참조")
        verbose_name_plural = _("채널 수신·참조")
        ordering = ["channel", "kind", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "contact", "kind"],
                name="partners_channelrecipient_unique",
                violation_error_message=_("이 채널에 같은 담당자가 이미 있습니다."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.contact}"
