"""Write rules: overlapping routes, e-mail channels, placeholder addresses, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from partners import services
from partners.models import Channel, Contact, Partner, Route, Site
from partners.selectors import route_for

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)


def agit():
    return Channel.objects.get(seed_key="channel.common.agit")


def amano():
    return Partner.objects.get(code="amano")


def amano_onsite() -> Route:
    return Route.objects.get(seed_key="t4.amano.onsite_payment_cancel")


# --- overlapping routes ------------------------------------------------------------------------


def test_overlapping_route_is_refused_naming_the_other_and_nothing_is_saved(lead):
    existing = amano_onsite()
    before = Route.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.route_create(
            actor=lead,
            request_kind="onsite_payment_cancel",
            partner=amano(),
            channel=Channel.objects.get(seed_key="channel.amano.share"),
            procedure="중복",
            allowed_roles="all",
        )
    message = " ".join(exc.value.messages)
    assert "겹칩니다" in message
    assert str(existing) in message  # "#<id> 정기권 현장결제 취소 · 아마노코리아"
    assert Route.objects.count() == before


def test_overlap_is_about_dates_too(lead):
    existing = amano_onsite()
    services.route_update(route=existing, actor=lead, effective_until=dt.date(2025, 6, 30))
    # Starts after the existing one ends: a scheduled replacement, allowed.
    replacement = services.route_create(
        actor=lead,
        request_kind="onsite_payment_cancel",
        partner=amano(),
        channel=agit(),
        procedure="7월부터 아지트",
        allowed_roles="all",
        effective_from=dt.date(2025, 7, 1),
    )
    assert route_for(request_kind="onsite_payment_cancel", partner="amano", at=TODAY) == existing
    assert (
        route_for(request_kind="onsite_payment_cancel", partner="amano", at=dt.date(2025, 7, 1))
        == replacement
    )
    # Starts inside the existing window (a different start day, which no UNIQUE index can see).
    with pytest.raises(ValidationError, match=f"#{existing.pk}"):
        services.route_create(
            actor=lead,
            request_kind="onsite_payment_cancel",
            partner=amano(),
            channel=agit(),
            procedure="겹침",
            allowed_roles="all",
            effective_from=dt.date(2025, 6, 15),
            effective_until=dt.date(2025, 6, 20),
        )


def test_update_into_an_overlap_is_refused_and_the_row_is_unchanged(lead):
    other = services.route_create(
        actor=lead,
        request_kind="onsite_payment_cancel",
        partner=amano(),
        channel=agit(),
        procedure="임시",
        allowed_roles="all",
        is_active=False,
    )
    with pytest.raises(ValidationError, match=f"#{amano_onsite().pk}"):
        services.route_update(route=other, actor=lead, is_active=True)
    other.refresh_from_db()
    assert other.is_active is False


def test_inactive_duplicates_are_allowed(lead):
    services.route_create(
        actor=lead,
        request_kind="onsite_payment_cancel",
        partner=amano(),
        channel=agit(),
        procedure="보관용",
        allowed_roles="all",
        is_active=False,
    )


@pytest.mark.parametrize("common", [True, False], ids=["common-null-partner", "partner"])
def test_database_refuses_two_open_active_routes_for_one_key(common):
    """The DB half of the rule, with NULL partner/customer_agrees handled (Coalesce)."""
    existing = (
        Route.objects.get(seed_key="t3.common.disagree.midterm_cancel.t_monthly")
        if common
        else amano_onsite()
    )
    clone = Route(
        request_kind=existing.request_kind,
        partner=existing.partner,
        site_kind=existing.site_kind,
        customer_agrees=existing.customer_agrees,
        channel=existing.channel,
        procedure="raw insert past the service",
        allowed_roles="all",
        effective_from=dt.date(2020, 1, 1),  # a different start: only the open-ended index fires
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_database_refuses_same_start_active_routes_even_with_end_dates():
    existing = amano_onsite()
    Route.objects.filter(pk=existing.pk).update(
        effective_from=dt.date(2025, 1, 1), effective_until=dt.date(2025, 12, 31)
    )
    clone = Route(
        request_kind=existing.request_kind,
        partner=existing.partner,
        channel=existing.channel,
        procedure="raw",
        allowed_roles="all",
        effective_from=dt.date(2025, 1, 1),
        effective_until=dt.date(2025, 1, 31),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


# --- route field rules -------------------------------------------------------------------------


def test_route_field_rules(lead):
    with pytest.raises(ValidationError, match="정보수정 항목"):
        services.route_create(
            actor=lead,
            request_kind="stop_selling",
            topic="fee",
            channel=agit(),
            procedure="x",
        )
    with pytest.raises(ValidationError, match="고객 수긍 여부"):
        services.route_create(
            actor=lead,
            request_kind="parking_ticket",
            customer_agrees=True,
            channel=agit(),
            procedure="x",
        )
    with pytest.raises(ValidationError, match="운영사는"):
        services.route_create(
            actor=lead,
            request_kind="parking_ticket",
            site=Site.objects.get(name="63빌딩"),
            partner=Partner.objects.get(code="kmpark"),
            channel=agit(),
            procedure="x",
        )
    with pytest.raises(ValidationError, match="다른 운영사"):
        services.route_create(
            actor=lead,
            request_kind="parking_ticket",
            partner=Partner.objects.get(code="kmpark"),
            channel=Channel.objects.get(seed_key="channel.amano.share"),
            procedure="x",
        )
    with pytest.raises(ValidationError, match="종료일"):
        services.route_create(
            actor=lead,
            request_kind="parking_ticket",
            partner=Partner.objects.get(code="kmpark"),
            channel=agit(),
            procedure="x",
            effective_from=dt.date(2025, 5, 1),
            effective_until=dt.date(2025, 4, 1),
        )


def test_site_route_takes_the_site_partner(lead):
    route = services.route_create(
        actor=lead,
        request_kind="parking_ticket",
        site=Site.objects.get(name="파르나스 호텔"),
        channel=agit(),
        procedure="파르나스 전용",
        allowed_roles="leads",
    )
    assert route.partner.code == "kmpark"


# --- channels and contacts ---------------------------------------------------------------------


def test_email_channel_without_recipients_is_refused(lead):
    before = Channel.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.channel_create(actor=lead, kind="email", name="수신자 없는 메일", target="")
    assert "수신(To) 또는 참조(Cc)" in " ".join(exc.value.messages)
    assert Channel.objects.count() == before
    # ... and an update cannot empty an existing e-mail channel either (nothing saved).
    channel = Channel.objects.get(seed_key="channel.urbanport.email")
    with pytest.raises(ValidationError):
        services.channel_update(channel=channel, actor=lead, recipients_to=[], recipients_cc=[])
    channel = Channel.objects.get(pk=channel.pk)
    assert channel.to_addresses == ("contact15@urbanport.example",)


def test_cc_only_email_channel_is_accepted(lead):
    someone = services.contact_create(actor=lead, label="담당자", email="someone@partner.example")
    channel = services.channel_create(
        actor=lead, kind="email", name="참조만", recipients_cc=[someone]
    )
    assert Channel.objects.get(pk=channel.pk).cc_addresses == ("someone@partner.example",)


def test_real_partner_addresses_are_accepted(lead):
    """Issue 15 A.1: "someone@partner.co.kr" is a real contact; only demo data uses .example."""
    contact = services.contact_create(actor=lead, label="담당자", email="someone@partner.co.kr")
    channel = services.channel_create(
        actor=lead, kind="email", name="실주소", recipients_to=[contact]
    )
    assert Channel.objects.get(pk=channel.pk).to_addresses == ("someone@partner.co.kr",)


def test_invalid_addresses_are_refused_in_korean_and_nothing_saved(lead):
    before = Contact.objects.count()
    for bad in ("not an address", "someone@", "a@b@c.kr", "someone@partner"):
        with pytest.raises(ValidationError, match="올바른 이메일 주소가 아닙니다"):
            services.contact_create(actor=lead, label="담당자", email=bad)
    assert Contact.objects.count() == before


def test_contact_needs_an_address_or_a_mention(lead):
    with pytest.raises(ValidationError, match="이메일 또는 아지트 멘션"):
        services.contact_create(actor=lead, label="담당자")
    with pytest.raises(ValidationError, match="@로 시작"):
        services.contact_create(actor=lead, label="담당자", mention="owner99")
    contact = services.contact_create(actor=lead, label="담당자", mention="@owner99")
    assert Contact.objects.get(pk=contact.pk).mention == "@owner99"


def test_non_email_channel_needs_a_target_and_no_recipients(lead):
    with pytest.raises(ValidationError, match="대상"):
        services.channel_create(actor=lead, kind="slack", name="대상 없는 슬랙")
    someone = Contact.objects.get(email="contact2@kakaomobility.example")
    before = Channel.objects.count()
    with pytest.raises(ValidationError, match="E-mail 채널에만"):
        services.channel_create(
            actor=lead,
            kind="agit",
            name="수신자 있는 아지트",
            target="아지트",
            recipients_to=[someone],
        )
    assert Channel.objects.count() == before


def test_partner_code_cannot_change(lead):
    partner = Partner.objects.get(code="amano")
    with pytest.raises(ValidationError, match="바꿀 수 없습니다"):
        services.partner_update(partner=partner, actor=lead, code="amano2")
    assert Partner.objects.filter(code="amano").exists()
    partner = Partner.objects.get(code="amano")
    services.partner_update(partner=partner, actor=lead, name="아마노코리아(주)")
    assert Partner.objects.get(code="amano").name == "아마노코리아(주)"


def test_unknown_fields_are_a_programming_error(lead):
    with pytest.raises(TypeError):
        services.partner_update(partner=amano(), actor=lead, colour="blue")


# --- history ---------------------------------------------------------------------------------


def test_every_service_write_records_the_actor(lead):
    route = amano_onsite()
    services.route_update(route=route, actor=lead, notes="메모")
    latest = route.history.latest()
    assert latest.history_user == lead
    assert latest.history_type == "~"
    assert latest.notes == "메모"

    route_id = route.pk
    services.route_delete(route=route, actor=lead)
    deleted = Route.history.filter(id=route_id).latest()
    assert deleted.history_type == "-"
    assert deleted.history_user == lead
