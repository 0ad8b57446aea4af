"""Issue 17.5: a token request is checked in one statement (token, user and roles), with what
knox answered before: 401 for a wrong, expired (then deleted) or inactive user's token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from kmcs_site.api_tokens import api_token_issue

pytestmark = pytest.mark.django_db


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_token_user_and_roles_in_one_statement(staff, reference_data):
    token = api_token_issue(username=staff["integration"].username).token
    with CaptureQueriesContext(connection) as ctx:
        response = api(token).get("/api/v1/playbooks/")
    assert response.status_code == 200, response.content[:200]
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum("knox_authtoken" in s for s in sql) == 1, sql
    # The permission check (integration role) read the roles from that same statement.
    assert sum("auth_group" in s for s in sql) == 1, sql


@pytest.mark.parametrize("role", ["agent", "auditor", "integration"])
def test_roles_from_the_token_statement_decide_as_before(staff, reference_data, role):
    """The roles the one statement brings are the user's groups, no more, no fewer: each
    role's token is let in or refused as ``user_can`` answers for that user."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from kmcs_site.permissions import user_can

    user = staff[role]
    _, token = AuthToken.objects.create(user=user, expiry=timedelta(days=1))
    fresh = get_user_model().objects.get(pk=user.pk)
    for action, method, path in (
        ("api.playbook.evaluate", "get", "/api/v1/playbooks/"),
        ("cases.case.view", "get", "/api/v1/cases/"),
    ):
        status = getattr(api(token), method)(path).status_code
        assert (status == 200) is user_can(fresh, action), (role, action, status)
        assert status in (200, 403)


def test_wrong_expired_and_inactive_are_401(staff, reference_data):
    from knox.models import AuthToken

    user = staff["integration"]
    token = api_token_issue(username=user.username).token
    assert (
        api(token[:-1] + ("0" if token[-1] != "0" else "1")).get("/api/v1/playbooks/").status_code
        == 401
    )
    row = AuthToken.objects.get(user=user)
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert api(token).get("/api/v1/playbooks/").status_code == 401
    assert not AuthToken.objects.filter(pk=row.pk).exists()  # knox deletes an expired token

    token = api_token_issue(username=user.username).token
    assert api(token).get("/api/v1/playbooks/").status_code == 200
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert api(token).get("/api/v1/playbooks/").status_code == 401


def test_a_users_other_expired_tokens_go_when_a_new_one_is_issued(staff):
    from knox.models import AuthToken

    user = staff["integration"]
    api_token_issue(username=user.username)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(days=1))
    api_token_issue(username=user.username)
    assert AuthToken.objects.filter(user=user).count() == 1
    assert AuthToken.objects.get(user=user).expiry > timezone.now()
