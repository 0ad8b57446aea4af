"""Every endpoint x every role (and nobody): who gets in, who gets 401/403.

The expected sets are written out here on purpose (not read from kmcs_site.permissions), so a
change to the permission table that opens an endpoint to a new role fails this test.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.scenarios import AT, nonride_facts

EVERY_AGENT = {"agent", "team_lead", "deputy_lead", "manager"}
LEADS_AND_MANAGER = {"team_lead", "deputy_lead", "manager"}
ROLES = ("agent", "team_lead", "deputy_lead", "manager", "auditor", "integration")


def _evaluate(client, ctx):
    return client.post(
        "/api/v1/playbooks/driver_nonride_cancel/evaluate/",
        {"facts": nonride_facts(), "at": AT},
        format="json",
    )


def _create(client, ctx):
    call_id = str(ctx["next_call_id"]())
    return client.post(
        "/api/v1/cases/",
        {
            "playbook": "driver_nonride_cancel",
            "channel": "chatbot_board",
            "facts": nonride_facts(call_id=call_id),
            "idempotency_key": f"perm-{call_id}",
        },
        format="json",
    )


def _create_batch(client, ctx):
    call_id = str(ctx["next_call_id"]())
    return client.post(
        "/api/v1/cases/batch/",
        {
            "cases": [
                {
                    "playbook": "driver_nonride_cancel",
                    "channel": "chatbot_board",
                    "facts": nonride_facts(call_id=call_id),
                    "idempotency_key": f"perm-batch-{call_id}",
                }
            ]
        },
        format="json",
    )


ENDPOINTS = {
    "schema": (lambda c, ctx: c.get("/api/v1/schema/"), EVERY_AGENT | {"integration"}, 200),
    "docs": (lambda c, ctx: c.get("/api/v1/docs/"), EVERY_AGENT | {"integration"}, 200),
    "redoc": (lambda c, ctx: c.get("/api/v1/redoc/"), EVERY_AGENT | {"integration"}, 200),
    "playbooks": (lambda c, ctx: c.get("/api/v1/playbooks/"), EVERY_AGENT | {"integration"}, 200),
    "evaluate": (_evaluate, EVERY_AGENT | {"integration"}, 200),
    "create": (_create, EVERY_AGENT | {"integration"}, 201),
    "create_batch": (_create_batch, EVERY_AGENT | {"integration"}, 200),
    "list": (lambda c, ctx: c.get("/api/v1/cases/"), EVERY_AGENT | {"auditor"}, 200),
    "detail": (
        lambda c, ctx: c.get(f"/api/v1/cases/{ctx['case'].pk}/"),
        EVERY_AGENT | {"auditor"},
        200,
    ),
    "export": (lambda c, ctx: c.get("/api/v1/cases/export/"), LEADS_AND_MANAGER, 200),
}


@pytest.fixture
def ctx(make_case, call_ids):
    # Unassigned, driver service: the agent (who works every service) may see it.
    return {"case": make_case(), "next_call_id": call_ids}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", [*ROLES, None])
def test_endpoint_by_role(client_as, ctx, endpoint, role):
    call, allowed, success = ENDPOINTS[endpoint]
    response = call(client_as(role), ctx)
    if role is None:
        assert response.status_code == 401, (endpoint, response.content[:200])
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Token"
    elif role in allowed:
        assert response.status_code == success, (endpoint, role, response.content[:300])
    else:
        assert response.status_code == 403, (endpoint, role, response.status_code)
        assert response.json()["code"] == "permission_denied"


def test_machine_clients_use_tokens(staff, reference_data):
    from knox.models import AuthToken

    _row, token = AuthToken.objects.create(user=staff["integration"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        "/api/v1/cases/",
        {
            "playbook": "driver_nonride_cancel",
            "channel": "chatbot_board",
            "facts": nonride_facts(call_id="700000555"),
        },
        format="json",
    )
    assert response.status_code == 201

    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/v1/playbooks/")
    assert response.status_code == 401
    assert response.json()["detail"] == "인증에 실패했습니다. 토큰이나 로그인 정보를 확인해 주세요."


def test_an_inactive_user_gets_nothing(client_as, staff, reference_data):
    lead = staff["team_lead"]
    lead.is_active = False
    lead.save()
    client = APIClient()
    client.force_authenticate(lead)
    assert client.get("/api/v1/cases/").status_code == 403


def test_session_clients_need_the_csrf_token(staff, reference_data):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff["agent"])
    response = client.post(
        "/api/v1/playbooks/driver_nonride_cancel/evaluate/",
        {"facts": nonride_facts(), "at": AT},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF 검증에 실패했습니다")


def test_english_clients_still_get_korean_messages(client_as, reference_data):
    response = client_as(None).get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"].startswith("인증 정보가 없습니다")
    response = client_as("agent").post(
        "/api/v1/cases/", {"channel": "chat"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["errors"]["playbook"] == ["플레이북: 필수 항목입니다."]
