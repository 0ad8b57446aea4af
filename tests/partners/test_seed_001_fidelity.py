"""Seed 001 fidelity in the route table (issue 15 B 001): each test quotes the seed line."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection

from partners.exceptions import AmbiguousRoute, RouteNotFound
from partners.models import Channel, Route
from partners.selectors import route_for, route_info_for

from .test_admin import page_url, route_form

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)
MARCH = dt.date(2025, 3, 1)
ALL = frozenset({"agent", "team_lead", "deputy_lead", "manager"})
LEADS = frozenset({"team_lead", "deputy_lead"})
T_MONTHLY = {"request_kind": "car_number_change", "partner": "kmpark", "site_kind": "t_monthly"}


def test_t_monthly_rows_use_the_seeds_channel_parking_admin():
    """Table 2: "| T월 주차권 | Parking Admin | **직접 앱에서 차량번호 변경 (25.3월 정기권부터
    적용)** |" for 케이엠파크 and 케이엠파킹앤스페이스, 미등록 and 차량번호 변경 alike."""
    rows = Route.objects.filter(seed_key__regex=r"^t2\.(kmpark|kmpns)\.[a-z_]+\.t_monthly$")
    assert rows.count() == 4
    for route in rows:
        assert route.channel.seed_key == "channel.admin.parking"
        assert route.channel.name == "Parking Admin (주차 어드민)"
        assert route.procedure == "직접 앱에서 차량번호 변경 (25.3월 정기권부터 적용)"
        assert "내비앱 - 아래쪽 [더보기] - 월주차 관리" in route.notes
        assert route.pass_month_from == MARCH


def test_25_3_pass_rule_is_keyed_on_the_pass_month_not_the_request_date():
    """ "(25.3월 정기권부터 적용)": a March pass asked about on 2.28 follows it; a February pass
    asked about in June does not (the struck rule is not revived: a lead looks at it)."""
    early = route_for(**T_MONTHLY, pass_month=dt.date(2025, 3, 20), at=dt.date(2025, 2, 28))
    assert early.seed_key == "t2.kmpark.car_number_change.t_monthly"
    with pytest.raises(RouteNotFound, match="2025-03월 정기권부터 적용되는 경로가 있습니다"):
        route_for(**T_MONTHLY, pass_month=dt.date(2025, 2, 10), at=TODAY)
    with pytest.raises(AmbiguousRoute, match="정기권 이용월"):
        route_for(**T_MONTHLY, at=TODAY)


CONFLICT_KEYS = [
    *[f"t2.kmpark.{k}.manual_normal" for k in ("unregistered", "car_number_change")],
    *[
        f"t2.{p}.{k}.{sk}"
        for p in ("kmpns", "other")
        for k in ("unregistered", "car_number_change")
        for sk in ("manual_normal", "manual_special")
    ],
]


def test_table_1_vs_table_2_conflict_is_in_the_route_notes_and_table_2_wins():
    """Table 1: "| **정기권 미등록 및 차량번호 변경 (수동현장)** | 각 운영사별 핫라인 이메일 또는
    게시판으로 접수 (팀장님, 부팀장님) |" vs table 2 "| **케이엠파크** | 수동현장(일반) | Slack |
    ... | **All** |": the more specific row (table 2) is followed, the conflict is written down."""
    routes = Route.objects.filter(seed_key__in=CONFLICT_KEYS)
    assert routes.count() == len(CONFLICT_KEYS) == 10
    for route in routes:
        assert route.allowed_roles == "all"
        assert "[표 1과 다름]" in route.notes
        assert "(팀장님, 부팀장님)" in route.notes
        assert "변경권한을 '팀장, 부팀장'으로 바꾸세요" in route.notes
    info = route_info_for(
        request_kind="unregistered", partner="kmpark", site_kind="manual_normal", at=TODAY
    )
    assert "[표 1과 다름]" in info.notes  # the agent sees it with the route


def test_a_lead_flips_who_may_do_it_with_one_admin_edit(client, role_users):
    question = {
        "request_kind": "car_number_change",
        "partner": "kmpark",
        "site_kind": "manual_normal",
        "at": TODAY,
    }
    assert route_info_for(**question).allowed_roles == ALL
    route = Route.objects.get(seed_key="t2.kmpark.car_number_change.manual_normal")
    client.force_login(role_users["team_lead"])

    response = client.post(
        page_url("route", "change", route), route_form(route, allowed_roles="leads")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert route_info_for(**question).allowed_roles == LEADS
    assert route.history.latest().history_user == role_users["team_lead"]


def _migration():
    return importlib.import_module("partners.migrations.0008_seed_001_fidelity")


class _Editor:
    connection = connection


def test_data_migration_moves_an_old_database_once_and_keeps_peoples_edits():
    """An existing database (rows as the seed used to load them) gets the changes once."""
    navi = Channel.objects.get(seed_key="channel.app.navi_monthly")
    t_monthly = Route.objects.filter(seed_key__regex=r"^t2\.(kmpark|kmpns)\.[a-z_]+\.t_monthly$")
    t_monthly.update(channel=navi, pass_month_from=None, effective_from=dt.date(2025, 3, 1))
    Route.objects.filter(seed_key__contains="superseded").update(
        effective_until=dt.date(2025, 2, 28)
    )
    Route.objects.filter(seed_key__in=CONFLICT_KEYS).update(notes="")
    edited = Route.objects.get(seed_key="t2.kmpns.unregistered.t_monthly")
    other_channel = Channel.objects.get(seed_key="channel.common.agit")
    Route.objects.filter(pk=edited.pk).update(channel=other_channel)  # a person's choice
    history_before = Route.history.count()

    _migration().forwards(apps, _Editor())
    after_first = Route.history.count()
    _migration().forwards(apps, _Editor())

    assert Route.history.count() == after_first > history_before  # second run changes nothing
    for route in t_monthly:
        assert route.pass_month_from == MARCH
        assert route.effective_from == dt.date(2025, 2, 27)
        expected = (
            other_channel
            if route.pk == edited.pk
            else Channel.objects.get(seed_key="channel.admin.parking")
        )
        assert route.channel == expected
    for route in Route.objects.filter(seed_key__contains="superseded"):
        assert route.effective_until == dt.date(2025, 2, 26)
    for route in Route.objects.filter(seed_key__in=CONFLICT_KEYS):
        assert route.notes.count("[표 1과 다름]") == 1
