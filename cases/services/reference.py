"""Reference data people edit: campaigns (extensions) and which services agents work."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from cases.access import forget_cached_access
from cases.consultation_types import SEPARATOR, path_label
from cases.exceptions import FactsInvalid
from cases.models import Campaign, ConsultationType, Service, StaffProfile
from cases.services._common import audited_save, require


@transaction.atomic
def campaign_extend(*, campaign: Campaign, ends_on, actor) -> Campaign:
    """Move a campaign's (inclusive) end date; history keeps the old one and who moved it."""
    require(actor, "cases.campaign.change", campaign, message="캠페인을 수정할 권한이 없습니다.")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    old = campaign.ends_on
    campaign.ends_on = ends_on
    audited_save(campaign, actor, reason=f"종료일 변경: {old:%Y-%m-%d} -> {ends_on:%Y-%m-%d}")
    return campaign


@transaction.atomic
def staff_profile_set_services(*, user, services: Iterable[str], actor) -> StaffProfile:
    """Set the services ``user`` works (their queue's unassigned cases)."""
    profile = StaffProfile.objects.filter(user=user).first()
    action = "cases.staffprofile.change" if profile else "cases.staffprofile.add"
    require(actor, action, profile, message="상담사 담당 서비스를 수정할 권한이 없습니다.")
    services = sorted(set(services))
    unknown = [s for s in services if s not in Service.values]
    if unknown:
        raise FactsInvalid({"services": [f"알 수 없는 서비스입니다: {', '.join(unknown)}"]})
    profile = profile or StaffProfile(user=user)
    profile.services = services
    audited_save(profile, actor, reason="담당 서비스 변경")
    forget_cached_access(user)
    return profile


@transaction.atomic
def campaign_save(*, campaign: Campaign, actor) -> Campaign:
    """Create or edit a campaign (admin); an end-date move is named in the history reason."""
    creating = campaign.pk is None
    require(
        actor,
        "cases.campaign.add" if creating else "cases.campaign.change",
        None if creating else campaign,
        message="캠페인을 수정할 권한이 없습니다.",
    )
    reason = "캠페인 등록"
    if not creating:
        old = Campaign.objects.select_for_update().get(pk=campaign.pk)
        reason = "캠페인 수정"
        if old.ends_on != campaign.ends_on:
            reason = f"종료일 변경: {old.ends_on:%Y-%m-%d} -> {campaign.ends_on:%Y-%m-%d}"
        if old.coupon_expires_on != campaign.coupon_expires_on:
            shown = (
                f"{campaign.coupon_expires_on:%Y-%m-%d}" if campaign.coupon_expires_on else "없음"
            )
            reason = f"{reason} / 쿠폰 사용기한: {shown}"
    audited_save(campaign, actor, reason=reason)
    return campaign


@transaction.atomic
def consultation_type_add(
    *, parent: ConsultationType | None, name: str, actor, is_leaf: bool = True
) -> ConsultationType:
    """Add a type under ``parent`` (its path and level follow from the parent)."""
    require(actor, "cases.consultationtype.add", message="상담유형을 추가할 권한이 없습니다.")
    name = (name or "").strip()
    if not name or SEPARATOR.strip() in name:
        raise FactsInvalid({"name": ["상담유형 이름을 입력해 주세요 (▶ 문자는 쓸 수 없습니다)."]})
    path = (*parent.path, name) if parent is not None else (name,)
    node = ConsultationType(
        parent=parent,
        name=name,
        level=len(path),
        path_label=path_label(path),
        is_leaf=is_leaf,
    )
    audited_save(node, actor, reason="상담유형 추가")
    if parent is not None and parent.is_leaf:
        parent.is_leaf = False
        audited_save(parent, actor, reason="하위 유형 추가로 최하위 해제")
    return node


@transaction.atomic
def consultation_type_set_active(
    *, node: ConsultationType, is_active: bool, actor
) -> ConsultationType:
    """Switch a type off (or on). Cases keep their type; new decisions cannot pick it."""
    require(
        actor, "cases.consultationtype.change", node, message="상담유형을 수정할 권한이 없습니다."
    )
    node = ConsultationType.objects.select_for_update().get(pk=node.pk)
    if node.is_active != is_active:
        node.is_active = is_active
        audited_save(node, actor, reason="사용" if is_active else "사용 중지")
    return node
