"""The admin's app list (side bar and index) is built once per kind of user, not per request.

Django builds it on every admin page by asking each of the 29 model admins what the user may
do: about 5 ms of a 30-50 ms admin page at 100,000 cases (README, race round 4). What it shows
depends only on who the user is as far as permissions go (roles, superuser, the user's own
model permissions), the language and the URL prefix, so the list is kept per such key. These
tests hold it to the list Django would build for every role, and to a user's own permission.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from kmcs_site.permissions import Role

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _names(app_list) -> list[tuple[str, list[str]]]:
    return [(app["app_label"], [m["object_name"] for m in app["models"]]) for app in app_list]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_the_kept_list_is_the_list_django_builds(make_user, role):
    user = make_user(role)
    kept = admin.site.get_app_list(_request(user))
    kept_again = admin.site.get_app_list(_request(user))
    built = AdminSite.get_app_list(admin.site, _request(user))
    assert _names(kept) == _names(kept_again) == _names(built)
    assert [[m["perms"] for m in a["models"]] for a in kept] == [
        [m["perms"] for m in a["models"]] for a in built
    ]


def test_the_list_is_built_once_for_users_of_the_same_kind(make_user, monkeypatch):
    builds = []
    original = AdminSite._build_app_dict

    def counting(self, request, label=None):
        builds.append(request.user.username)
        return original(self, request, label)

    monkeypatch.setattr(AdminSite, "_build_app_dict", counting)
    lead_a, lead_b, agent = make_user("team_lead"), make_user("team_lead"), make_user("agent")
    admin.site.get_app_list(_request(lead_a))
    admin.site.get_app_list(_request(lead_a))
    admin.site.get_app_list(_request(lead_b))
    assert builds.count(lead_a.username) <= 1 and lead_b.username not in builds
    admin.site.get_app_list(_request(agent))
    assert _names(admin.site.get_app_list(_request(agent))) != _names(
        admin.site.get_app_list(_request(lead_a))
    )


def test_a_users_own_permission_gets_their_own_list(make_user, client):
    """An agent given the user list's view permission by hand sees "사용자" in their list
    (the admins of Django's own models read the user's permissions, not only the roles)."""
    agent = make_user("agent")
    client.force_login(agent)
    users_url = reverse("admin:auth_user_changelist")
    assert users_url not in client.get(reverse("admin:index")).content.decode()
    agent.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(agent)  # a fresh user instance: no permission cache
    assert users_url in client.get(reverse("admin:index")).content.decode()
    other = make_user("agent")
    client.force_login(other)
    assert users_url not in client.get(reverse("admin:index")).content.decode()


def test_another_urlconf_gets_its_own_list(make_user, settings):
    """The list holds admin URLs: a site served under another URLconf must not reuse them."""
    lead = make_user("team_lead")
    first = admin.site.get_app_list(_request(lead))
    settings.ROOT_URLCONF = "tests.security.prefixed_urls"
    again = admin.site.get_app_list(_request(lead))
    assert first[0]["app_url"] != again[0]["app_url"]
    assert again[0]["app_url"].startswith("/prefixed/")
