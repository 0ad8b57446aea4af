"""Two leads edit the same route in the admin: the second save is refused with a conflict
message, the first lead's change stays, nothing is merged or overwritten silently. The version
the lead loaded travels in the change form (hidden field); partners.services checks it again at
save (tests/reliability/test_concurrency.py races two saves on PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from partners.models import Route
from partners.services import RouteConflict, route_update
from tests.partners.test_admin import route_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(make_user):
    return make_user("team_lead", username="route_lead_a"), make_user(
        "deputy_lead", username="route_lead_b"
    )


def _loaded_version(client, url) -> int:
    page = client.get(url).content.decode()
    return int(re.search(r'name="version" value="(\d+)"', page).group(1))


def test_the_second_lead_gets_a_conflict_and_the_first_edit_stays(leads, client_for):
    lead_a, lead_b = leads
    route = Route.objects.filter(is_active=True).order_by("pk").first()
    url = reverse("admin:partners_route_change", args=[route.pk])
    a, b = client_for(lead_a), client_for(lead_b)
    # Both open the form: each page carries the version it showed.
    assert _loaded_version(a, url) == _loaded_version(b, url) == route.version
    form_a = route_form(route, notes="A: 담당자 변경")
    form_b = route_form(route, notes="B: 채널 변경")

    saved = a.post(url, form_a)
    assert saved.status_code == 302
    refused = b.post(url, form_b)

    assert refused.status_code == 200  # the form again, with the lead's input kept
    page = refused.content.decode()
    assert "다른 사용자가 이 경로를 먼저 수정했습니다" in page
    assert "B: 채널 변경" in page  # nothing typed is lost: the lead can copy it
    route.refresh_from_db()
    assert route.notes == "A: 담당자 변경"
    assert route.version == form_a["version"] + 1
    assert route.history.filter(notes="B: 채널 변경").count() == 0
    # After reloading, lead B's save goes through on the new version.
    assert _loaded_version(b, url) == route.version
    assert b.post(url, route_form(route, notes="B: 채널 변경")).status_code == 302
    route.refresh_from_db()
    assert route.notes == "B: 채널 변경" and route.version == form_a["version"] + 2


def test_a_stale_object_in_code_is_refused_too(leads):
    lead_a, lead_b = leads
    route = Route.objects.filter(is_active=True).order_by("pk").first()
    mine, theirs = Route.objects.get(pk=route.pk), Route.objects.get(pk=route.pk)
    route_update(route=theirs, actor=lead_b, notes="먼저 저장")
    with pytest.raises(RouteConflict, match="먼저 수정했습니다"):
        route_update(route=mine, actor=lead_a, notes="늦게 저장")
    stored = Route.objects.get(pk=route.pk)
    assert stored.notes == "먼저 저장" and stored.version == route.version + 1
    assert mine.version == route.version  # the refused object is left as it was loaded
    with pytest.raises(TypeError):
        route_update(route=stored, actor=lead_a, version=1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_save_between_the_form_check_and_the_write_is_refused_with_a_message(
    make_user, client_for, monkeypatch
):
    """The form saw the current version, then another lead's save committed (another
    connection) before this request wrote: the service's conditional update refuses it and the
    admin says so; the other lead's change stands."""
    import io
    import threading

    from django.core.management import call_command
    from django.db import connection

    from partners import admin as partners_admin

    call_command("kmcs_bootstrap", stdout=io.StringIO())  # flushed database: routes back
    lead_a = make_user("team_lead", username="route_lead_a")
    lead_b = make_user("deputy_lead", username="route_lead_b")
    route = Route.objects.filter(is_active=True).order_by("pk").first()
    loaded = route.version
    url = reverse("admin:partners_route_change", args=[route.pk])
    original_clean = partners_admin.RouteAdminForm.clean

    def other_lead_saves():
        try:
            route_update(route=Route.objects.get(pk=route.pk), actor=lead_b, notes="끼어든 저장")
        finally:
            connection.close()

    def clean_then_someone_saves(form):
        data = original_clean(form)
        thread = threading.Thread(target=other_lead_saves, daemon=True)
        thread.start()
        thread.join(30)
        return data

    monkeypatch.setattr(partners_admin.RouteAdminForm, "clean", clean_then_someone_saves)
    response = client_for(lead_a).post(url, route_form(route, notes="내 저장"), follow=True)
    assert "다른 사용자가 이 경로를 먼저 수정했습니다" in response.content.decode()
    route.refresh_from_db()
    assert (route.notes, route.version) == ("끼어든 저장", loaded + 1)
