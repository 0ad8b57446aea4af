"""Issue 12: ``?page=99999999999999999999999`` answered 500 on /work/cases/ and /audit/ (the
offset did not fit the database's integer: SQLite ``OverflowError``, PostgreSQL "bigint out
of range"). Every list page must answer a page (or a clean Korean 404), never a 500, whatever
the ``page`` parameter holds."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kmcs_site.pagination import MAX_PAGE, page_number

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
PROBES = (HUGE, str(2**63), str(2**31), "-1", "0", "abc", "1e400", "1.5", "", " 2", "٣")


@pytest.fixture
def clients(make_user):
    from cases.services import staff_profile_set_services

    lead = make_user("team_lead", username="page_lead")
    agent = make_user("agent", username="page_agent")
    auditor = make_user("auditor", username="page_auditor")
    staff_profile_set_services(user=agent, services=["driver"], actor=lead)

    def logged_in(user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return {"agent": logged_in(agent), "auditor": logged_in(auditor), "lead": logged_in(lead)}


def _a_case(clients):
    from django.contrib.auth import get_user_model

    from cases.models import Case
    from cases.services import case_create

    lead = get_user_model().objects.get(username="page_lead")
    result = case_create(
        playbook="driver_nonride_cancel",
        facts={
            "received_on": "2024-12-01",
            "driver_id": "drv-7001",
            "call_id": "7700001",
            "meter_distance_km": "0.0",
            "meter_minutes": 1,
            "start_equals_last_point": True,
            "fare_amount": 15000,
            "called_on": "2024-11-30",
            "origin": "서울 강남구 테헤란로",
        },
        channel="chatbot_board",
        actor=lead,
        driver_phone="010-0000-7701",
        customer_phone="010-0000-7702",
    )
    assert result.created
    return Case.objects.get(pk=result.case.pk)


def _check(response, probe):
    assert response.status_code in (200, 404), (probe, response.status_code)
    text = response.content.decode()
    if response.status_code == 404:
        assert "찾을 수 없습니다" in text, probe  # the Korean 404 page, not a stack trace
    return text


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("agent", "workspace:case_list"),
        ("agent", "workspace:queue"),
        ("auditor", "audit:history"),
        ("lead", "audit:history"),
    ],
)
def test_list_pages_never_500_on_a_page_number(clients, who, url_name, probe):
    _a_case(clients)
    response = clients[who].get(reverse(url_name), {"page": probe})
    _check(response, probe)


@pytest.mark.parametrize("probe", PROBES)
def test_case_history_never_500_on_a_page_number(clients, probe):
    case = _a_case(clients)
    url = reverse("audit:case_history", kwargs={"case_id": case.pk})
    _check(clients["auditor"].get(url, {"page": probe}), probe)


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize(
    "changelist",
    ["admin:cases_case_changelist", "admin:templates_app_outboundmessage_changelist"],
)
def test_admin_lists_never_500_on_a_page_number(clients, changelist, probe):
    _a_case(clients)
    response = clients["lead"].get(reverse(changelist), {"p": probe})
    # The admin answers an impossible page by sending the user to the list with ?e=1.
    assert response.status_code in (200, 302), (probe, response.status_code)


def test_a_page_past_the_end_is_empty_and_a_page_past_the_limit_is_404(clients):
    _a_case(clients)
    client = clients["agent"]
    past_end = client.get(reverse("workspace:case_list"), {"page": "3"})
    assert past_end.status_code == 200
    assert list(past_end.context["cases"]) == []
    assert client.get(reverse("workspace:case_list"), {"page": str(MAX_PAGE)}).status_code == 200
    too_far = client.get(reverse("workspace:case_list"), {"page": str(MAX_PAGE + 1)})
    assert too_far.status_code == 404
    assert "찾을 수 없습니다" in too_far.content.decode()


def test_page_number_rules():
    from django.http import Http404

    assert page_number(None) == 1
    assert page_number("abc") == 1
    assert page_number("-1") == 1
    assert page_number("0") == 1
    assert page_number("7") == 7
    assert page_number(str(MAX_PAGE)) == MAX_PAGE
    for raw in (str(MAX_PAGE + 1), HUGE):
        with pytest.raises(Http404):
            page_number(raw)
