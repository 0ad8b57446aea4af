"""History is a record: no screen edits, reverts or deletes it, for any role.

- no historical model has an admin (so no list, change or delete page, no bulk delete);
- simple-history's version page shows no save/revert button and refuses a hand-made POST;
- the auditor's history screens accept no writing method;
- no URL of the site is about historical rows except those read-only views;
- the settings that would enable editing history stay off.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from .conftest import ROLES
from .test_permission_matrix import all_routes

pytestmark = pytest.mark.django_db


def without_logout(html: str) -> str:
    """The page minus the admin's logout form (the one button every admin page has)."""
    return re.sub(r'<form id="logout-form".*?</form>', "", html, flags=re.S)


def history_models():
    return [
        model
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    ]


def test_history_editing_is_switched_off():
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True
    assert getattr(settings, "SIMPLE_HISTORY_EDIT", False) is False


def test_no_historical_model_has_an_admin_or_a_url():
    models = history_models()
    assert len(models) >= 10
    for model in models:
        historical = getattr(model, model._meta.simple_history_manager_attribute).model
        assert not admin.site.is_registered(historical), historical
        opts = historical._meta
        assert not [r for r in all_routes() if f"{opts.app_label}_{opts.model_name}" in r.name]
    for route in all_routes():
        assert "historical" not in route.route.lower(), route.route


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_version_pages_offer_no_edit_and_refuse_posts(role, world, people, client_for):
    client = client_for(people[role])
    opened = 0
    for model in admin.site._registry:
        if model not in history_models():
            continue
        version = model.history.order_by("-history_id").first()
        opts = model._meta
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_simple_history",
            args=[version.instance.pk, version.history_id],
        )
        page = client.get(url)
        if page.status_code == 200:
            opened += 1
            content = without_logout(page.content.decode())
            assert 'name="_save"' not in content, url
            assert 'type="submit"' not in content, url
        else:
            assert page.status_code in (403, 404), (url, page.status_code)
        # A hand-made POST (revert, or edit with SIMPLE_HISTORY_EDIT) is refused.
        before = model.history.count()
        response = client.post(url, {"_change_history": "1", "_save": "1"})
        assert response.status_code in (403, 404), (url, response.status_code)
        assert model.history.count() == before
        # The history list of the object has no delete or edit control either.
        listing = client.get(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[version.instance.pk])
        )
        if listing.status_code == 200:
            text = without_logout(listing.content.decode())
            assert "/delete/" not in text and 'type="submit"' not in text, url
    if role in ("auditor", "team_lead", "deputy_lead", "manager"):
        assert opened >= 10, (role, opened)
    else:
        assert opened == 0, (role, opened)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_auditor_screens_accept_no_writes(method, world, people, client_for):
    for role in ("auditor", "team_lead"):
        client = client_for(people[role])
        for url in (
            reverse("audit:history"),
            reverse("audit:case_history", kwargs={"case_id": world.case.pk}),
        ):
            assert getattr(client, method)(url).status_code == 405, (role, method, url)


def test_the_auditor_finds_no_edit_control_on_the_history_screens(world, people, client_for):
    client = client_for(people["auditor"])
    for url in (
        reverse("audit:history"),
        reverse("audit:case_history", kwargs={"case_id": world.case.pk}),
    ):
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        # The only form of the page is the logout button in the top bar (and GET filters).
        assert text.count('method="post"') == 1, url
        assert "/delete/" not in text and "/change/" not in text, url
