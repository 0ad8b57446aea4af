"""Partners: the shared codes (TextChoices), role scopes and the e-mail validators.

Split from ``partners/models.py`` (issue 14.9); ``partners.models`` re-exports every name here.
"""

from __future__ import annotations

from email.utils import getaddresses

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Demo and seed data use placeholder addresses on a ``.example`` domain (RFC 2606); the product
#: itself accepts any valid address (issue 15: ``someone@partner.co.kr`` is a real contact).
PLACEHOLDER_DOMAIN_SUFFIX = ".example"

ALL_AGENT_ROLE_CODES = frozenset({"agent", "team_lead", "deputy_lead", "manager"})
LEAD_ROLE_CODES = frozenset({"team_lead", "deputy_lead"})


class SiteKind(models.TextChoices):
    """Seed 001's site kinds as the seed names them: the codes the playbook's rules name (the
    T월주차권 pass month, 하이파킹 수동현장) and the first rows of :class:`SiteKindOption`. The
    list a lead keeps is those rows (issue 15 A.2: rows, not constants)."""

    MANUAL_NORMAL = "manual_normal", _("수동현장(일반)")
    MANUAL_SPECIAL = "manual_special", _("수동현장(특수)")
    T_MONTHLY = "t_monthly", _("T월주차권(연동)")


class Integration(models.TextChoices):
    LINKED = "linked", _("연동")
    UNLINKED = "unlinked", _("비연동")
    UNAFFILIATED = "unaffiliated", _("비제휴")


class ChannelKind(models.TextChoices):
    SLACK = "slack", _("Slack")
    EMAIL = "email", _("E-mail")
    AGIT = "agit", _("아지트")
    PARTNER_WEB = "partner_web", _("운영사 웹사이트")
    AMANO_SHARE = "amano_share", _("아마노쉐어")
    GOOGLE_SHEET = "google_sheet", _("Google Sheet")
    APP_DIRECT = "app_direct", _("앱에서 직접 변경")
    ADMIN_DIRECT = "admin_direct", _("주차 어드민 직접 변경")
    HOTLINE = "hotline", _("핫라인")


class RequestKind(models.TextChoices):
    CAR_NUMBER_CHANGE = "car_number_change", _("정기권 차량번호 변경")
    UNREGISTERED = "unregistered", _("정기권 미등록")
    MIDTERM_CANCEL = "midterm_cancel", _("정기권 중도해지·환불")
    ONSITE_PAYMENT_CANCEL = "onsite_payment_cancel", _("정기권 현장결제 취소")
    LOT_INFO_CHANGE = "lot_info_change", _("주차장 정보수정")
    STOP_SELLING = "stop_selling", _("노출·판매중지 요청")
    PARKING_TICKET = "parking_ticket", _("주차권")
    PARKING_REFUND = "parking_refund", _("주차요금 환불(현장 환불정책)")


class LotInfoTopic(models.TextChoices):
    FEE = "fee", _("주차요금")
    ADDRESS = "address", _("주소 및 기타")
    CONTRACT = "contract", _("계약정보")


class RoleScope(models.TextChoices):
    """The seed's 변경권한 column: "All" = every agent and up, "팀장, 부팀장" = leads only."""

    ALL = "all", _("All (상담사 이상 모두)")
    LEADS = "leads", _("팀장, 부팀장")


ROLE_SCOPE_CODES = {
    RoleScope.ALL: ALL_AGENT_ROLE_CODES,
    RoleScope.LEADS: LEAD_ROLE_CODES,
}


def validate_email_address(value: str) -> None:
    """Any syntactically valid address (partners' real addresses: ``someone@partner.co.kr``)."""
    EmailValidator(message=_("올바른 이메일 주소가 아닙니다: %(value)s"))(value)


def validate_placeholder_email(value: str) -> None:
    """Demo data only: a valid address on a ``.example`` domain (kept for demo-data checks and
    for the historical migrations that reference it; no model field uses it any more)."""
    validate_email_address(value)
    if not value.lower().endswith(PLACEHOLDER_DOMAIN_SUFFIX):
        raise ValidationError(
            _("실제 개인정보는 저장하지 않습니다: '%(value)s' 대신 .example 주소를 쓰세요."),
            params={"value": value},
            code="not_placeholder",
        )


def parse_recipients(text: str) -> list[tuple[str, str]]:
    """``'담당자 <a@b.example>'`` lines (or commas) -> [(display name, address)], in order."""
    lines = [line.strip() for line in (text or "").replace(",", "\n").splitlines()]
    return [(name, addr) for name, addr in getaddresses([ln for ln in lines if ln])]


def validate_recipient_list(text: str) -> None:
    for name, addr in parse_recipients(text):
        if not addr or "@" not in addr:
            raise ValidationError(
                _(
                    "수신자 형식을 알 수 없습니다: '%(value)s' (예: 담당자 <someone@partner.example>)"
                ),
                params={"value": name or addr},
                code="bad_recipient",
            )
        validate_email_address(addr)
