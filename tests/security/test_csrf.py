"""CSRF everywhere: every URL that accepts a POST refuses one without the token, before any
view code runs, and nothing is written. The URLs come from the URL resolver (the permission
matrix's enumeration), so a new POST view is covered the day it is added.

A superuser sends the requests, so no permission check can be the reason for a refusal; the CSRF
failure view is swapped for one that marks its answer, so the refusal is CSRF's and no other.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.http import HttpResponseForbidden
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from .test_permission_matrix import (
    ADMIN_EXTRA_VIEWS,
    _extra_view_url,
    admin_model_names,
    all_routes,
    classify,
    view_class,
)

pytestmark = pytest.mark.django_db

MARK = b"csrf-refused-by-the-middleware"

#: Extra admin views that answer GET only (a file): nothing to post to.
ADMIN_GET_ONLY = {"fines_finenotice_image"}


def csrf_failure(request, reason=""):
    return HttpResponseForbidden(MARK)


@pytest.fixture(autouse=True)
def _mark_csrf_failures(settings):
    settings.CSRF_FAILURE_VIEW = "tests.security.test_csrf.csrf_failure"


def _history_rows() -> int:
    total = 0
    for model in apps.get_models():
        attr = getattr(model._meta, "simple_history_manager_attribute", None)
        if attr:
            total += getattr(model, attr).count()
    return total


def post_urls(world) -> list[str]:
    """Every URL of the site that takes a POST, filled with the world's objects."""
    urls = []
    for route in all_routes():
        kind = classify(route)
        if kind == "admin-model":
            model, _admin, suffix = admin_model_names()[route.name]
            if suffix == "changelist":
                urls.append(reverse(route.name))  # actions and list edits are POSTs
            elif suffix == "add":
                urls.append(reverse(route.name))
            elif suffix in ("change", "delete"):
                obj = model._default_manager.order_by("pk").first()
                urls.append(reverse(route.name, args=[obj.pk]))
            elif suffix == "simple_history":
                args = [1, 1]  # the route exists for every model admin; the answer must not
                if hasattr(model, "history"):  # depend on whether the version does
                    version = model.history.order_by("-history_id").first()
                    args = [version.instance.pk, version.history_id]
                urls.append(reverse(route.name, args=args))
        elif kind == "admin-extra":
            name = route.name.removeprefix("admin:")
            if name in ADMIN_GET_ONLY:
                continue
            # The permission matrix fills every extra view (with or without an object), so a
            # new one is posted to here the day it is classified there.
            urls.append(_extra_view_url(name, world))
        elif kind == "admin-password":
            urls.append(reverse(route.name, args=[world.case.assignee_id]))
        elif kind == "action-view":
            cls = view_class(route.callback)
            if "post" in cls.http_method_names and hasattr(cls, "post"):
                kwargs = {}
                if "<int:case_id>" in route.route:
                    kwargs["case_id"] = world.case.pk
                if "<str:playbook>" in route.route:
                    kwargs["playbook"] = "driver_nonride_cancel"
                urls.append(reverse(route.name, kwargs=kwargs))
    urls += [
        reverse("admin:login"),
        reverse("admin:logout"),
        reverse("admin:password_change"),
        reverse("login"),
        reverse("logout"),
    ]
    assert len(ADMIN_EXTRA_VIEWS) >= 5
    return urls


def test_every_post_without_the_token_is_refused(world, make_user):
    root = make_user(None, username="csrf_root", is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    anonymous = Client(enforce_csrf_checks=True)
    urls = post_urls(world)
    assert len(urls) >= 90, len(urls)
    before = _history_rows()
    problems = []
    for url in urls:
        who = anonymous if url in (reverse("login"), reverse("admin:login")) else client
        response = who.post(url, {"action": "delete_selected", "_selected_action": ["1"]})
        if response.status_code != 403 or response.content != MARK:
            problems.append(f"POST {url}: {response.status_code}")
    assert not problems, "accepted without a CSRF token:\n" + "\n".join(problems)
    assert _history_rows() == before  # nothing was written


def test_the_same_posts_with_the_token_get_past_csrf(world, make_user):
    """The control: with a valid token the middleware lets the request through (the refusals
    above are about the token, not about the URL)."""
    root = make_user(None, username="csrf_root2", is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    client.get(reverse("admin:index"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    url = reverse("workspace:case_step", kwargs={"case_id": world.case.pk})
    response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.content != MARK


def test_session_authenticated_api_posts_need_the_token_too(world, people):
    """DRF's session authentication enforces CSRF itself; a token client has no cookie to
    ride on and needs none."""
    from knox.models import AuthToken

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(people["team_lead"])
    body = {"playbook": "driver_nonride_cancel", "channel": "chatbot_board", "facts": {}}
    api_posts = [
        reverse(r.name)
        for r in all_routes()
        if classify(r) == "api" and "<" not in r.route and hasattr(view_class(r.callback), "post")
    ]
    assert len(api_posts) >= 5, api_posts
    for url in api_posts:
        response = browser.post(url, body, format="json")
        assert response.status_code == 403, (url, response.status_code)
        assert "CSRF" in response.json()["detail"], url
    machine = APIClient(enforce_csrf_checks=True)
    _row, token = AuthToken.objects.create(user=people["integration"])
    machine.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = machine.post(reverse("api:case-list"), body, format="json")
    assert response.status_code == 400  # past authentication and CSRF, into validation
