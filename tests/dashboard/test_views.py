"""The dashboard and overdue pages: who may open them, bad input, the page's query count, the
chart library served from our own static files, and the clock panel of the case page."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from cases.models import StepClock
from cases.services.clocks import clocks_mark_overdue
from tests.dashboard.conftest import NOW, kst

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
OCTOBER = {"date_from": "2025-10-01", "date_to": "2025-10-31"}


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("lead", 200),
        ("deputy", 200),
        ("manager", 200),
        ("auditor", 200),  # read-only aggregates: auditors check that promises are kept
        ("agent", 403),
        ("integration", 403),
    ],
)
def test_who_may_read_the_dashboard(client, staff, who, status):
    response = client_for(client, getattr(staff, who)).get(URL, OCTOBER)
    assert response.status_code == status


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["lead", "manager", "auditor", "agent"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_nobody_edits_anything_on_the_dashboard(client, staff, who, method):
    response = getattr(client_for(client, getattr(staff, who)), method)(URL, OCTOBER)
    # readers get 405 (the page has no write); agents are refused the screen itself
    assert response.status_code == (403 if who == "agent" else 405)


def test_the_default_page_shows_the_last_30_days(client, staff):
    response = client_for(client, staff.lead).get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    assert (end - start).days == 29


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"date_from": "2025-10-31", "date_to": "2025-10-01"},
            "종료일(2025-10-01)이 시작일(2025-10-31)보다 빠릅니다",
        ),
        ({"date_from": "2023-01-01", "date_to": "2025-01-02"}, "조회 기간은 최대 2년입니다"),
        ({"date_from": "2025-13-01", "date_to": "2025-10-01"}, "시작일 형식이 올바르지 않습니다"),
        ({"date_from": "2025-10-01"}, "종료일을 입력해 주세요"),
        ({**OCTOBER, "playbook": "nope"}, "알 수 없는 플레이북입니다"),
    ],
)
def test_bad_input_gets_a_clear_message(client, staff, params, message):
    response = client_for(client, staff.lead).get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "figures" not in response.context  # no half-drawn page


def test_exactly_two_years_is_allowed(client, staff):
    response = client_for(client, staff.lead).get(
        URL, {"date_from": "2023-01-01", "date_to": "2025-01-01"}
    )
    assert response.status_code == 200 and response.context["figures"].filters.bucket == "month"


def test_the_page_shows_numbers_as_tables_and_draws_with_our_own_chart_file(client, staff, seeded):
    response = client_for(client, staff.lead).get(URL, {**OCTOBER, "playbook": "ev_charging"})
    html = response.content.decode()
    figures = response.context["figures"]
    assert f'<strong id="kpi-cases">{figures.cases_in_range}</strong>' in html
    for table in (
        "table-by-playbook",
        "table-open-by-status",
        "table-overdue-step",
        "table-median",
    ):
        assert f'id="{table}"' in html
    assert "가CPO" in html  # overdue by partner (CPO)
    assert 'id="dashboard-charts"' in html  # the same figures, for the charts
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert "/static/vendor/chart-4.6.1.umd.min.js" in scripts
    assert "/static/dashboard/dashboard.js" in scripts
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))]  # no CDN
    assert finders.find("vendor/chart-4.6.1.umd.min.js")
    assert finders.find("vendor/chartjs-LICENSE.md")
    assert finders.find("dashboard/dashboard.js")


def page_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, OCTOBER).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_costs_the_same_queries_at_any_size(client, staff, seed_cases):
    client = client_for(client, staff.lead)
    page_queries(client)  # warm caches that are not the page's (content types, ...)
    seed_cases(3)
    small = page_queries(client)
    seed_cases(40)
    clocks_mark_overdue(now=NOW)
    assert page_queries(client) == small


# --- the overdue queue -------------------------------------------------------------------------
def test_the_overdue_queue_for_leads_and_agents(client, staff, seed_cases):
    seed_cases(6)  # decided by the lead: assigned to the lead
    clocks_mark_overdue(now=kst(2025, 10, 30, 9, 0))
    overdue = StepClock.objects.filter(overdue_marked_at__isnull=False, stopped_at__isnull=True)
    assert overdue.exists()
    lead_page = client_for(client, staff.lead).get("/dashboard/overdue/")
    assert lead_page.status_code == 200
    assert {r.clock.pk for r in lead_page.context["rows"]} == set(
        overdue.values_list("pk", flat=True)
    )
    assert "초과" in lead_page.content.decode()
    client.logout()
    agent_page = client_for(client, staff.agent).get("/dashboard/overdue/")
    assert agent_page.status_code == 200 and agent_page.context["rows"] == []
    assert "기한 초과 단계가 없습니다" in agent_page.content.decode()
    client.logout()
    assert client_for(client, staff.auditor).get("/dashboard/overdue/").status_code == 403


# --- the clock panel on the case page ----------------------------------------------------------
def render_panel(case, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load kmcs_clocks %}{% case_clocks case %}")
    return template.render(Context({"case": case, "request": request, "csrf_token": "t"}))


def test_the_case_page_panel_shows_time_left_and_pauses(client, staff, seed_cases):
    from cases.models import Case

    ev = next(c for c in seed_cases(3) if c.playbook == "ev_charging")
    html = render_panel(ev, staff.lead)
    assert "처리 기한" in html and "CPO 메일문의" in html
    assert "초과" in html or "남음" in html
    assert "고객 회신 대기 (기한 일시정지)" in html
    assert "고객 회신 대기 (기한 일시정지)" not in render_panel(ev, staff.auditor)

    response = client_for(client, staff.lead).post(f"/dashboard/cases/{ev.pk}/clocks/pause/")
    assert response.status_code == 302 and response["Location"] == f"/work/cases/{ev.pk}/"
    ev = Case.objects.get(pk=ev.pk)
    assert ev.waiting_on == "customer"
    html = render_panel(ev, staff.lead)
    assert "고객 회신 받음 (기한 재개)" in html
    client.post(f"/dashboard/cases/{ev.pk}/clocks/resume/")
    assert Case.objects.get(pk=ev.pk).waiting_on == ""


def test_an_agent_cannot_pause_someone_elses_case(client, staff, seed_cases):
    case = seed_cases(1)[0]  # decided by the lead, assigned to the lead
    response = client_for(client, staff.agent).post(f"/dashboard/cases/{case.pk}/clocks/pause/")
    assert response.status_code == 404
    assert (
        client_for(client, staff.auditor)
        .post(f"/dashboard/cases/{case.pk}/clocks/pause/")
        .status_code
        == 403
    )


def test_the_queue_panel_lists_my_overdue_steps(staff, seed_cases):
    seed_cases(3)  # decided by the lead: assigned to the lead
    request = RequestFactory().get("/")
    template = Template("{% load kmcs_clocks %}{% my_overdue_steps 2 %}")
    request.user = staff.lead
    assert template.render(Context({"request": request})).strip() == ""  # nothing overdue yet
    clocks_mark_overdue(now=kst(2025, 10, 30, 9, 0))
    html = template.render(Context({"request": request}))
    assert "기한 초과 단계" in html and "/work/cases/" in html
    assert "모두 보기" in html  # more than two
    request.user = staff.auditor
    assert template.render(Context({"request": request})).strip() == ""


def test_korean_duration_filter():
    from datetime import timedelta

    template = Template("{% load kmcs_clocks %}{{ d|korean_duration }}")
    assert template.render(Context({"d": timedelta(days=1, hours=6, minutes=14)})) == "1일 6시간"
    assert template.render(Context({"d": timedelta(minutes=45)})) == "45분"
    assert template.render(Context({"d": timedelta(seconds=20)})) == "1분 미만"
