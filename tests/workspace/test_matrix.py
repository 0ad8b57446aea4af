"""Role x action matrix for every URL of the workspace, the auditor views and the landing page.

The expectations are written out here (not read from kmcs_site.permissions), so a wrong row in
the ACTIONS table fails a test. "ok" means the request reached its view: 200 for a page, a
redirect back to the case for an action (whatever the service then answered), 200 for the
unmask page; "login" is a redirect to /accounts/login/.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROLES = ("agent", "team_lead", "deputy_lead", "manager", "auditor", "integration", "anonymous")
AGENTS = {"agent", "team_lead", "deputy_lead", "manager"}
LEADS_AND_MANAGER = {"team_lead", "deputy_lead", "manager"}
HISTORY_READERS = {"auditor", "team_lead", "deputy_lead", "manager"}


def _expect(allowed: set[str], role: str) -> str:
    if role == "anonymous":
        return "login"
    return "ok" if role in allowed else "403"


# name, method, url kwargs kind, POST data, roles that may use it
CASE_ACTIONS = [
    ("workspace:case_take", {}, AGENTS),
    ("workspace:case_decide", {"fingerprint": "x"}, AGENTS),
    (
        "workspace:case_override",
        {"outcome": "rejected_duplicate", "reason": "확인"},
        LEADS_AND_MANAGER,
    ),
    ("workspace:case_step", {"step_code": "check_meter"}, AGENTS),
    ("workspace:case_contact", {"target": "driver", "result": "answered"}, AGENTS),
    ("workspace:case_post", {"body": "본문"}, AGENTS),
    ("workspace:case_post_link", {"post_id": "1", "link_url": "https://agit.example/1"}, AGENTS),
    ("workspace:case_answer", {"text": "답변"}, AGENTS),
    ("workspace:case_transition", {"transition": "start"}, AGENTS),
]
PAGES = [
    ("workspace:queue", AGENTS),
    ("workspace:case_list", AGENTS),
    ("workspace:case_new", AGENTS),
    ("audit:history", HISTORY_READERS),
]


@pytest.fixture
def users(staff):
    return {
        "agent": staff.agent,
        "team_lead": staff.lead,
        "deputy_lead": staff.deputy,
        "manager": staff.manager,
        "auditor": staff.auditor,
        "integration": staff.integration,
        "anonymous": None,
    }


@pytest.fixture
def my_case(make_case, staff):
    """A case assigned to ``staff.agent`` (the "agent" column works on it)."""
    return make_case(assignee=staff.agent)


def _outcome(response, *, case_url: str | None = None) -> str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("login")):
            return "login"
        if case_url is not None:
            assert location == case_url, location
        return "ok"
    if response.status_code == 200:
        return "ok"
    return str(response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "allowed"), PAGES)
def test_pages(users, client_for, role, name, allowed):
    response = client_for(users[role]).get(reverse(name))
    assert _outcome(response) == _expect(allowed, role)


@pytest.mark.parametrize("role", ROLES)
def test_new_case_form(users, client_for, role):
    url = reverse("workspace:case_create", kwargs={"playbook": "driver_nonride_cancel"})
    client = client_for(users[role])
    assert _outcome(client.get(url)) == _expect(AGENTS, role)
    # An empty form reaches case_create and comes back with its errors (200), never a case.
    assert _outcome(client.post(url, {"channel": "chatbot_board"})) == _expect(AGENTS, role)


@pytest.mark.parametrize("role", ROLES)
def test_case_page(users, client_for, my_case, role):
    response = client_for(users[role]).get(
        reverse("workspace:case", kwargs={"case_id": my_case.pk})
    )
    assert _outcome(response) == _expect(AGENTS, role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "data", "allowed"), CASE_ACTIONS)
def test_case_actions(users, client_for, my_case, role, name, data, allowed):
    url = reverse(name, kwargs={"case_id": my_case.pk})
    case_url = reverse("workspace:case", kwargs={"case_id": my_case.pk})
    response = client_for(users[role]).post(url, data)
    assert _outcome(response, case_url=case_url) == _expect(allowed, role)


@pytest.mark.parametrize("role", ROLES)
def test_unmask(users, client_for, my_case, role):
    url = reverse("workspace:case_unmask", kwargs={"case_id": my_case.pk})
    response = client_for(users[role]).post(url, {"field": "customer_phone", "reason": "본인 확인"})
    assert _outcome(response) == _expect(LEADS_AND_MANAGER, role)


@pytest.mark.parametrize("role", ROLES)
def test_case_history(users, client_for, my_case, role):
    url = reverse("audit:case_history", kwargs={"case_id": my_case.pk})
    assert _outcome(client_for(users[role]).get(url)) == _expect(HISTORY_READERS, role)


LANDING = {
    "agent": "workspace:queue",
    "team_lead": "admin:index",
    "deputy_lead": "admin:index",
    "manager": "admin:index",
    "auditor": "audit:history",
}


@pytest.mark.parametrize("role", ROLES)
def test_landing_sends_each_role_to_its_place(users, client_for, role):
    response = client_for(users[role]).get("/")
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    elif role == "integration":
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse(LANDING[role])


# --- an agent never sees another agent's case: 404, not 403 -----------------------------


def _case_urls(case_id: int):
    yield "get", reverse("workspace:case", kwargs={"case_id": case_id}), {}
    for name, data, allowed in CASE_ACTIONS:
        if "agent" in allowed:
            yield "post", reverse(name, kwargs={"case_id": case_id}), data


def test_other_agents_case_is_404_everywhere(staff, client_for, make_case):
    from cases.models import Case

    case = make_case(assignee=staff.agent)
    before = Case.history.filter(id=case.pk).count()
    for user in (staff.agent_b, staff.parking_agent):
        client = client_for(user)
        for method, url, data in _case_urls(case.pk):
            response = getattr(client, method)(url, data)
            assert response.status_code == 404, (user.username, url, response.status_code)
    assert Case.history.filter(id=case.pk).count() == before  # nothing changed


def test_unassigned_case_is_seen_only_by_agents_of_its_service(staff, client_for, make_case):
    case = make_case()  # driver service, nobody assigned
    url = reverse("workspace:case", kwargs={"case_id": case.pk})
    assert client_for(staff.agent_b).get(url).status_code == 200
    assert client_for(staff.parking_agent).get(url).status_code == 404


def test_missing_case_is_404_for_leads_too(staff, client_for):
    assert (
        client_for(staff.lead)
        .get(reverse("workspace:case", kwargs={"case_id": 999_999}))
        .status_code
        == 404
    )


# --- methods -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("name", ["audit:history", "audit:case_history"])
def test_auditor_views_accept_no_writes(staff, client_for, my_case, method, name):
    kwargs = {"case_id": my_case.pk} if name == "audit:case_history" else {}
    response = getattr(client_for(staff.auditor), method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 405


@pytest.mark.parametrize(("name", "data", "allowed"), CASE_ACTIONS)
def test_actions_refuse_get(staff, client_for, my_case, name, data, allowed):
    response = client_for(staff.lead).get(reverse(name, kwargs={"case_id": my_case.pk}))
    assert response.status_code == 405


def test_actions_need_the_csrf_token(staff, client_for, make_case):
    case = make_case()
    client = client_for(staff.agent, enforce_csrf_checks=True)
    response = client.post(reverse("workspace:case_take", kwargs={"case_id": case.pk}))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.assignee_id is None
