"""Seed 001 loading: the data migration, bootstrap idempotence, people's edits respected."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from partners import bootstrap, seed_data, services
from partners.models import Channel, Contact, Partner, Route, Site
from partners.seed_loader import load
from partners.selectors import route_for

pytestmark = pytest.mark.django_db

MODELS = (Partner, Site, Channel, Contact, Route)


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def run_bootstrap() -> str:
    out = io.StringIO()
    bootstrap.run(stdout=out)
    return out.getvalue()


def test_every_partner_code_of_the_domain_is_loaded():
    assert set(Partner.objects.values_list("code", flat=True)) >= {
        "kmpark",
        "kmpns",
        "amano",
        "hiparking",
        "nicepark",
        "skshieldus",
        "urbanport",
        "other",
    }
    assert Partner.objects.get(code="other").name == "그 외"


def test_every_seed_address_and_mention_is_a_contact():
    emails = set(Contact.objects.exclude(email="").values_list("email", flat=True))
    mentions = set(Contact.objects.exclude(mention="").values_list("mention", flat=True))
    for channel in Channel.objects.all():
        assert set(channel.to_addresses + channel.cc_addresses) <= emails, channel
    for route in Route.objects.all():
        assert set(route.mention_list) <= mentions, route
    assert all(e.endswith(".example") for e in emails)


def test_seed_keys_are_unique():
    for rows in (
        seed_data.PARTNERS,
        seed_data.CONTACTS,
        seed_data.CHANNELS,
        seed_data.SITES,
        seed_data.ROUTES,
    ):
        keys = [r["seed_key"] for r in rows]
        assert len(keys) == len(set(keys))


def test_every_seeded_row_passes_the_services_rules():
    """The migration writes rows without the services; they must still obey every rule."""
    for model in MODELS:
        for obj in model.objects.exclude(seed_key=""):
            services.validate(obj)


def test_bootstrap_twice_creates_nothing_new():
    before = counts()
    first = run_bootstrap()
    second = run_bootstrap()
    assert counts() == before
    assert "새로 만든 행: 없음" in first and "새로 만든 행: 없음" in second


def test_kmcs_bootstrap_command_includes_partners():
    out = io.StringIO()
    call_command("kmcs_bootstrap", stdout=out)
    assert "partners" in out.getvalue()


def test_bootstrap_never_overwrites_edits(lead):
    route = Route.objects.get(seed_key="t4.kmpark.onsite_payment_cancel")
    services.route_update(
        route=route, actor=lead, procedure="KMP 시트 주소 바뀜", allowed_roles="all"
    )
    channel = Channel.objects.get(seed_key="channel.kmpark.slack_season")
    services.channel_update(channel=channel, actor=lead, name="KMP 슬랙 (이름 바꿈)")

    run_bootstrap()

    route.refresh_from_db()
    assert (route.procedure, route.allowed_roles) == ("KMP 시트 주소 바뀜", "all")
    assert Channel.objects.filter(seed_key="channel.kmpark.slack_season").count() == 1
    assert not Channel.objects.filter(name=seed_data.CHANNELS[0]["name"]).exists()


def test_bootstrap_does_not_resurrect_what_people_deleted(lead):
    route = Route.objects.get(seed_key="t6.common.parking_ticket")
    services.route_delete(route=route, actor=lead)
    out = run_bootstrap()
    assert not Route.objects.filter(seed_key="t6.common.parking_ticket").exists()
    assert "t6.common.parking_ticket" in out and "삭제" in out


def lose_without_a_trace(seed_key: str) -> None:
    """A row gone with no history of a deletion (e.g. a restored backup, a raw SQL fix)."""
    Route.objects.filter(seed_key=seed_key).delete()
    Route.history.filter(seed_key=seed_key).delete()


def test_bootstrap_restores_rows_lost_without_a_trace():
    lose_without_a_trace("t6.common.parking_ticket")
    run_bootstrap()
    assert (
        route_for(request_kind="parking_ticket", partner="amano").seed_key
        == "t6.common.parking_ticket"
    )


def test_bootstrap_skips_a_seed_route_that_would_overlap_a_people_route(lead):
    lose_without_a_trace("t6.common.parking_ticket")
    mine = services.route_create(
        actor=lead,
        request_kind="parking_ticket",
        channel=Channel.objects.get(seed_key="channel.common.agit"),
        procedure="팀 자체 규칙",
        allowed_roles="leads",
    )
    out = run_bootstrap()
    assert "같은 조건의 사용 중인 경로가 이미 있음" in out
    assert route_for(request_kind="parking_ticket", partner="amano") == mine


def test_the_migration_loader_works_with_historical_models():
    """What the seed migration does on a fresh database, replayed on emptied tables with the
    historical models of today's schema (0002's own state has the text recipient columns that
    0006 dropped; the 0002 -> 0005 path is run by every test database's migrate)."""
    Route.objects.all().delete()
    Site.objects.all().delete()
    Channel.objects.all().delete()
    Contact.objects.all().delete()
    Partner.objects.all().delete()
    for model in MODELS:
        model.history.all().delete()

    state = MigrationLoader(connection).project_state(("partners", "0006_drop_recipient_text"))
    created = load(state.apps)

    assert created["Partner"] == len(seed_data.PARTNERS)
    assert created["Route"] == len(seed_data.ROUTES)
    assert counts()["Channel"] == len(seed_data.CHANNELS)
    info_route = route_for(request_kind="onsite_payment_cancel", site="케이트윈타워")
    assert info_route.channel.kind == "amano_share"
    # ... and the live-model loader then finds nothing missing.
    assert load(apps) == {}


def test_bootstrap_puts_back_the_seed_site_kinds_a_flushed_database_lost():
    """A flushed database (a transactional test, a restored dump without them) loses the site
    kinds the data migration loaded; the intake form then offers none. kmcs_bootstrap puts
    them back, with their history row, and leaves a lead's own kinds alone."""
    from partners.models import SiteKindOption

    SiteKindOption.objects.all().delete()
    SiteKindOption.objects.create(code="valet", name="발레파킹", position=40)
    load(apps)
    codes = list(SiteKindOption.objects.order_by("position").values_list("code", flat=True))
    assert codes == [code for code, _name, _pos in seed_data.SITE_KINDS] + ["valet"]
    assert SiteKindOption.history.filter(code="t_monthly", history_type="+").exists()
    assert load(apps).get("SiteKindOption", 0) == 0  # idempotent
