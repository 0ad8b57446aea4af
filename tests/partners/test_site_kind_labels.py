"""Lists, filters and route names show a 현장 구분 by the name a lead keeps in its row, not by
its code (the code is for routes and cases, the name is for people), and a renamed kind shows
its new name on the next page without a query per row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partners.models import Route, Site, SiteKindOption

pytestmark = pytest.mark.django_db


def _monthly_route() -> Route:
    return Route.objects.filter(site_kind="t_monthly").order_by("id").first()


def test_route_name_uses_the_kind_name():
    route = _monthly_route()
    assert "T월주차권(연동)" in str(route)
    assert "t_monthly" not in str(route)


def test_route_name_follows_a_rename():
    SiteKindOption.objects.filter(code="t_monthly").update(name="티맵 월주차")
    assert "티맵 월주차" in str(_monthly_route())


def test_route_name_of_a_retired_unknown_code_shows_the_code():
    route = _monthly_route()
    route.site_kind = "gone_kind"
    assert "gone_kind" in str(route)


@pytest.mark.parametrize(("model", "code_field"), [("route", "site_kind"), ("site", "kind")])
def test_changelist_shows_kind_names_and_filters_by_name(client, role_users, model, code_field):
    SiteKindOption.objects.filter(code="manual_normal").update(name="수동(일반) 새이름")
    if model == "site":
        Site.objects.filter(name="63빌딩").update(kind="manual_normal")
    client.force_login(role_users["team_lead"])

    page = client.get(reverse(f"admin:partners_{model}_changelist"))
    html = page.content.decode()

    assert page.status_code == 200
    assert "수동(일반) 새이름" in html
    # The filter offers the names too, and filtering by a kind keeps working.
    choices = [
        c["display"]
        for spec in page.context["cl"].filter_specs
        for c in spec.choices(page.context["cl"])
    ]
    assert "T월주차권(연동)" in [str(c) for c in choices]
    filtered = client.get(
        reverse(f"admin:partners_{model}_changelist"), {code_field: "manual_normal"}
    )
    assert filtered.status_code == 200
    rows = filtered.context["cl"].result_list
    assert rows and all(getattr(r, code_field) == "manual_normal" for r in rows)


def test_route_list_has_no_query_per_row(client, role_users, django_assert_num_queries):
    client.force_login(role_users["team_lead"])
    url = reverse("admin:partners_route_changelist")
    client.get(url)  # warm caches (content types, session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url, {"site_kind": "t_monthly"})
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert Route.objects.count() > Route.objects.filter(site_kind="t_monthly").count() + 5
    assert len(many) == len(few)
