"""API tokens (issue 12): hashed in the database, expiring, issued once by ``kmcs_api_token``.

The integration role's key used to be DRF's authtoken: stored in plaintext, valid forever. Now
django-rest-knox keeps only a SHA-512 digest (and a 15-character lookup prefix), every token
has an expiry, and the operator's command prints the token once.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def issue(username: str, *args: str) -> str:
    out = io.StringIO()
    call_command("kmcs_api_token", username, *args, stdout=out)
    # The token is the output's only line that is a bare token (hex, no spaces).
    lines = [line.strip() for line in out.getvalue().splitlines()]
    tokens = [line for line in lines if len(line) >= 40 and " " not in line]
    assert len(tokens) == 1, out.getvalue()
    return tokens[0]


def api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_from_the_command_authenticates(staff, reference_data):
    token = issue(staff["integration"].username)
    response = api(token).get("/api/v1/playbooks/")
    assert response.status_code == 200, response.content[:200]


def test_the_database_never_holds_the_token(staff, reference_data):
    from knox.models import AuthToken

    token = issue(staff["integration"].username)
    row = AuthToken.objects.get(user=staff["integration"])
    for field in AuthToken._meta.concrete_fields:
        value = str(field.value_from_object(row))
        assert token not in value, field.name
    # What is stored is the digest: the token cannot be read back from it.
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    assert len(row.token_key) < len(token) // 3


def test_every_token_expires_after_the_configured_days(staff, settings):
    from knox.models import AuthToken

    username = staff["integration"].username
    issue(username)
    default = AuthToken.objects.get(user=staff["integration"]).expiry
    assert default is not None
    assert abs(default - (timezone.now() + timedelta(days=settings.KMCS_API_TOKEN_TTL_DAYS))) < (
        timedelta(minutes=1)
    )
    AuthToken.objects.all().delete()
    issue(username, "--ttl-days", "7")
    short = AuthToken.objects.get(user=staff["integration"]).expiry
    assert abs(short - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_an_expired_token_is_refused_with_json_401(staff, reference_data):
    from knox.models import AuthToken

    token = issue(staff["integration"].username)
    AuthToken.objects.filter(user=staff["integration"]).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )
    response = api(token).get("/api/v1/playbooks/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "authentication_failed"
    assert "토큰" in response.json()["detail"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "사용자를 찾을 수 없습니다"),
        ("inactive", "비활성 사용자"),
        ("not_integration", "연동 시스템"),
        ("zero_days", "1일 이상"),
    ],
)
def test_the_command_refuses_in_korean_and_issues_nothing(staff, case, message):
    from knox.models import AuthToken

    integration = staff["integration"]
    args = [integration.username]
    if case == "unknown":
        args = ["no-such-user"]
    elif case == "inactive":
        integration.is_active = False
        integration.save()
    elif case == "not_integration":
        args = [staff["team_lead"].username]
    else:
        args += ["--ttl-days", "0"]
    with pytest.raises(CommandError, match=message):
        call_command("kmcs_api_token", *args, stdout=io.StringIO())
    assert not AuthToken.objects.exists()


def test_the_token_admin_shows_no_secret(staff, client):
    """Who holds a key and until when, for leads, managers and auditors: never the token or
    its lookup prefix; the digest's start tells rows apart."""
    from knox.models import AuthToken

    token = issue(staff["integration"].username)
    row = AuthToken.objects.get(user=staff["integration"])
    for role in ("team_lead", "manager", "auditor"):
        client.force_login(staff[role])
        for url in (
            "/admin/knox/authtoken/",
            f"/admin/knox/authtoken/{row.pk}/change/",
        ):
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            page = response.content.decode()
            # Neither the token nor its stored lookup prefix (the digest, not a secret, is the
            # row's id in the links; the columns show its start).
            assert token not in page and row.token_key not in page, (role, url)
            assert f"{row.digest[:12]}…" in page, (role, url)
    # Issued on the server only: nobody adds or edits a token in the admin.
    client.force_login(staff["manager"])
    assert client.get("/admin/knox/authtoken/add/").status_code == 403


def test_the_upgrade_moves_old_tokens_to_digests_and_drops_the_plaintext_table(
    staff, reference_data
):
    """A database that ran DRF's authtoken holds keys in plaintext (authtoken_token). The
    upgrade keeps each key working (``Authorization: Token <same key>``, now as a knox digest
    with the default expiry) and drops the plaintext table."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection
    from knox.models import AuthToken

    migration = import_module("kmcs_site.migrations.0002_api_tokens_knox")
    old_key = "3f1c0ffee0ddba11c0de5eed1234567890abcdef"  # DRF's 40 hex characters
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp "
            "with time zone NOT NULL, user_id integer NOT NULL UNIQUE)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [old_key, timezone.now(), staff["integration"].pk],
        )

    migration.move_legacy_tokens(apps, SimpleNamespace(connection=connection))

    assert "authtoken_token" not in connection.introspection.table_names()
    row = AuthToken.objects.get(user=staff["integration"])
    assert row.digest == hashlib.sha512(old_key.encode()).hexdigest()
    for field in AuthToken._meta.concrete_fields:
        assert old_key not in str(field.value_from_object(row)), field.name
    assert row.expiry is not None and row.expiry > timezone.now() + timedelta(days=30)
    assert api(old_key).get("/api/v1/playbooks/").status_code == 200
    # A database that never had authtoken: nothing to do.
    migration.move_legacy_tokens(apps, SimpleNamespace(connection=connection))
    assert AuthToken.objects.count() == 1
