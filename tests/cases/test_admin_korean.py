"""Issue 14.8: the admin reads like the workspace (Korean index with links, facts and the proposal
as labelled fields, a closed case read-only, ``/`` per role, favicon, Redoc without a CDN)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from cases.playbooks.base import StaticEnv
from cases.services import case_create, case_decide, case_transition
from tests.cases.conftest import finish_plan

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")
AT = datetime(2024, 12, 5, 10, 0, tzinfo=SEOUL)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.wsgi_request._messages]


# --- admin index ---------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["team_lead", "deputy_lead", "manager"])
def test_leads_land_on_a_korean_index_with_the_back_office_links(client, make_user, role):
    client.force_login(make_user(role))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="ko' in page
    for name in ("dashboard:index", "dashboard:overdue", "audit:history", "workspace:queue"):
        assert f'href="{reverse(name)}"' in page, name
    for label in ("대시보드", "기한 초과", "변경 이력", "상담 워크스페이스"):
        assert label in page, label
    assert "Site administration" not in page and "Recent actions" not in page


def test_the_index_offers_only_the_links_the_role_may_open(client, make_user):
    client.force_login(make_user("auditor"))
    page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("audit:history")}"' in page
    assert f'href="{reverse("dashboard:index")}"' in page
    assert f'href="{reverse("dashboard:overdue")}"' not in page  # clocks.overdue.read: leads
    assert f'href="{reverse("workspace:queue")}"' not in page  # auditors never work cases


def test_the_workspace_header_links_back_to_the_admin_for_leads_only(client, make_user):
    page = reverse("workspace:case_new")
    client.force_login(make_user("team_lead"))
    assert f'href="{reverse("admin:index")}"' in client.get(page).content.decode()
    client.force_login(make_user("agent"))
    assert f'href="{reverse("admin:index")}"' not in client.get(page).content.decode()


# --- the case change page: facts and proposal as labelled Korean fields -------------------
def _driver_case(staff, **over):
    facts = {
        "received_on": "2024-12-04",
        "driver_id": "drv-1001",
        "service_type": "own",
        "call_id": "31337",
        "already_cancelled": False,
        "has_open_duplicate": False,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "cancel_reason_recorded": False,
        "cancel_scheduled": True,
        "fare_amount": 12000,
        "called_on": "2024-12-03",
        "origin": "강남역",
        "ob_unreachable": False,
    }
    facts.update(over)
    result = case_create(
        playbook="driver_nonride_cancel",
        facts=facts,
        channel="chatbot_board",
        actor=staff.agent,
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
        at=AT,
    )
    return result.case


def _decided_driver_case(staff):
    case = _driver_case(staff)
    case_decide(case=case, actor=staff.lead, at=AT)
    case.refresh_from_db()
    return case


def test_case_page_shows_facts_as_korean_fields_with_won_amounts(client, staff):
    from cases.labels import FACT_LABELS

    case = _decided_driver_case(staff)
    client.force_login(staff.lead)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "12,000원" in page
    for label in (
        "서비스 타입(콜타입)",
        "즉시 취소 불가 (취소예정)",
        "결제(취소)금액",
        "운행시간(분)",
    ):
        assert label in page, label
    # No fact code or JSON blob on the page: the facts are rows, not {"fare_amount": 12000}.
    for code in ("fare_amount", "service_type", "cancel_scheduled", "&quot;outcome&quot;"):
        assert code not in page, code
    # The proposal: outcome and its steps, in Korean, numbered.
    assert "결정 당시 제안" in page
    steps = re.findall(r'<li class="kmcs-step">(.*?)</li>', page, flags=re.S)
    assert steps and all(re.search(r"[가-힣]", s) for s in steps), steps
    # The facts the issue names have labels of their own too (for stored keys FACTS lacks).
    assert FACT_LABELS["service_type"] and FACT_LABELS["cancel_scheduled"]


def test_facts_outside_the_serializer_get_the_registry_label(client, staff):
    from cases.models import Case

    case = _decided_driver_case(staff)
    # A fact written by an earlier playbook version, no longer in FACTS.
    Case.objects.filter(pk=case.pk).update(facts={**case.facts, "cancel_scheduled": True})
    from cases.views.presenters import fact_rows

    case.refresh_from_db()
    rows = {name: (label, value) for name, label, value in fact_rows(case)}
    assert rows["fare_amount"] == ("결제(취소)금액", "12,000원")
    assert rows["cancel_scheduled"][1] == "예"


def test_fact_registry_formats_amounts_as_won():
    from cases.labels import format_fact

    assert format_fact("fare_amount", 12000) == "12,000원"
    assert format_fact("pass_amount", "3500") == "3,500원"
    assert format_fact("extra_fee_per_unit", 1000) == "1,000원"
    assert format_fact("meter_minutes", 1) == "1"
    assert format_fact("fare_amount", None) == "—"


def test_workspace_revision_panel_shows_amounts_in_won(client, staff):
    from cases.services.revisions import case_revise_facts

    case = _decided_driver_case(staff)
    case_revise_facts(case=case, actor=staff.lead, facts={"fare_amount": 15000}, note="금액 정정")
    client.force_login(staff.lead)
    page = client.get(reverse("workspace:case", args=[case.pk])).content.decode()
    section = page.split('id="revisions"', 1)[1].split("</section>", 1)[0]
    assert "12,000원" in section and "15,000원" in section


# --- a closed case is read-only -------------------------------------------------------------
def _closed_case(staff, make_case):
    case = make_case("reject")
    case_decide(case=case, actor=staff.lead, env=StaticEnv())
    finish_plan(case, staff.lead)
    case_transition(case=case, transition="close", actor=staff.lead)
    case.refresh_from_db()
    assert case.status == "closed"
    return case


FORMSETS = {
    f"{prefix}-{kind}": "0"
    for prefix in ("steps", "escalation_posts", "contact_attempts")
    for kind in ("TOTAL_FORMS", "INITIAL_FORMS")
}


def test_saving_a_closed_case_says_read_only_and_nothing_else(client, staff, make_case):
    case = _closed_case(staff, make_case)
    url = reverse("admin:cases_case_change", args=[case.pk])
    client.force_login(staff.lead)
    response = client.post(url, {"record_title": "바꾼 제목", "record_notes": "x", **FORMSETS})
    assert response.status_code == 302
    shown = _messages(response)
    assert [level for level, _text in shown] == ["warning"], shown
    assert "종결된 케이스는 읽기 전용" in shown[0][1]
    case.refresh_from_db()
    assert case.record_title != "바꾼 제목"


def test_a_closed_case_page_says_read_only_without_a_save_button(client, staff, make_case):
    case = _closed_case(staff, make_case)
    client.force_login(staff.lead)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "종결된 케이스는 읽기 전용입니다" in page
    assert 'name="_save"' not in page


def test_an_open_case_refused_by_a_rule_shows_only_the_error(client, staff, make_case, monkeypatch):
    from cases import admin as cases_admin
    from cases.exceptions import InvalidTransition

    def refuse(**kwargs):
        raise InvalidTransition("규칙 위반")

    monkeypatch.setattr(cases_admin, "case_record_update", refuse)
    case = make_case("approve")
    client.force_login(staff.lead)
    response = client.post(
        reverse("admin:cases_case_change", args=[case.pk]),
        {"record_title": "제목", **FORMSETS},
    )
    shown = _messages(response)
    assert [level for level, _text in shown] == ["error"], shown


# --- "/" per role, favicon, Redoc ------------------------------------------------------------
HOMES = {
    "agent": "workspace:queue",
    "team_lead": "admin:index",
    "deputy_lead": "admin:index",
    "manager": "admin:index",
    "auditor": "audit:history",
}


@pytest.mark.parametrize("role", [*HOMES, "anonymous"])
def test_root_leads_each_role_home(client, make_user, role):
    if role != "anonymous":
        client.force_login(make_user(role))
    response = client.get("/")
    assert response.status_code == 302
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response["Location"] == reverse(HOMES[role])


@pytest.mark.parametrize("page", ["login", "admin:index"])
def test_favicon_is_linked_and_served(client, make_user, page):
    if page != "login":
        client.force_login(make_user("team_lead"))
    html = client.get(reverse(page)).content.decode()
    match = re.search(r'<link rel="icon"[^>]*href="([^"]+)"', html)
    assert match, page
    assert match.group(1) == "/static/kmcs/favicon.svg"
    path = finders.find("kmcs/favicon.svg")
    assert path and "<svg" in Path(path).read_text(encoding="utf-8")


def test_favicon_ico_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/kmcs/favicon.svg"


def test_redoc_page_has_no_external_url(client, make_user):
    client.force_login(make_user("agent"))
    response = client.get(reverse("api:redoc"))
    assert response.status_code == 200
    page = response.content.decode()
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, flags=re.I) == []
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert sources and all(src.startswith("/static/") for src in sources), sources
    assert (
        "font-src 'self'"
        in response["Content-Security-Policy"].replace("data:", "").replace("  ", " ")
        or "font-src 'self'" in response["Content-Security-Policy"]
    )


# --- simple-history and axes screens in Korean, Seoul times, names ---------------------------
def test_history_page_is_korean_with_seoul_time_and_the_persons_name(client, staff, make_case):
    from cases.models import Case

    staff.lead.first_name, staff.lead.last_name = "지현", "김"
    staff.lead.save()
    case = make_case("approve")
    Case.history.filter(id=case.pk).update(history_user=staff.lead)
    first = Case.history.filter(id=case.pk).order_by("history_date").first()
    client.force_login(staff.lead)
    response = client.get(reverse("admin:cases_case_history", args=[case.pk]))
    page = response.content.decode()
    for korean in ("변경 이력", "일시 (서울)", "변경한 사람", "변경 사유", "생성"):
        assert korean in page, korean
    for english in ("Date/time", "Changed by", "Change reason", "View history", ">Created<"):
        assert english not in page, english
    seoul = first.history_date.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
    assert seoul in page
    assert "김지현" in page or "지현 김" in page


def test_axes_admin_is_korean(client, make_user):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="someone",
        ip_address="10.0.0.9",
        user_agent="pytest",
        http_accept="*/*",
        path_info="/accounts/login/",
        failures_since_start=5,
    )
    client.force_login(make_user("team_lead"))
    index = client.get(reverse("admin:index")).content.decode()
    assert "로그인 잠금·접속 기록" in index and ">Axes<" not in index
    page = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    for korean in ("시도 시각", "IP 주소", "실패 횟수", "잠금 상태", "잠김"):
        assert korean in page, korean
    for english in ("Attempt Time", "IP Address", "Failed Logins", "Locked Out", ">Status<"):
        assert english not in page, english


def test_history_changes_read_in_korean_not_codes_or_json(client, staff):
    from cases.services.revisions import case_revise_facts

    case = _decided_driver_case(staff)
    case_revise_facts(case=case, actor=staff.lead, facts={"fare_amount": 15000}, note="금액 정정")
    client.force_login(staff.lead)
    page = client.get(reverse("admin:cases_case_history", args=[case.pk])).content.decode()
    table = page.split('id="change-history"', 1)[1].split("</table>", 1)[0]
    # Only the fact that changed, with its label and in won.
    assert "결제(취소)금액: 12,000원" in table and "결제(취소)금액: 15,000원" in table
    # Choice labels, Seoul times, people: not codes, UTC or simple-history's placeholders.
    assert "처리결정" in table and "+00:00" not in table
    for raw in ("None", "pk=None", "&quot;fare_amount&quot;", "{"):
        assert raw not in table, raw


def test_a_history_version_page_is_korean(client, staff):
    from cases.models import Case

    case = _decided_driver_case(staff)
    record = Case.history.filter(id=case.pk).order_by("history_date").first()
    client.force_login(staff.lead)
    url = reverse("admin:cases_case_simple_history", args=[case.pk, record.history_id])
    page = client.get(url).content.decode()
    assert "변경 이력" in page and "닫기" in page
    for english in ("Revert", ">History<", ">Close<", "View "):
        assert english not in page, english


# --- query counts: the same for a short and a long history ----------------------------------
def test_admin_pages_cost_a_fixed_number_of_queries(client, staff, django_assert_max_num_queries):
    from cases.services.revisions import case_revise_facts

    case = _decided_driver_case(staff)
    client.force_login(staff.lead)
    pages = {
        reverse("admin:index"): 8,
        reverse("admin:cases_case_change", args=[case.pk]): 14,
        reverse("admin:cases_case_history", args=[case.pk]): 11,
        reverse("admin:axes_accessattempt_changelist"): 12,
        reverse("admin:axes_accesslog_changelist"): 12,
    }
    for _round in range(2):
        for url, most in pages.items():
            with django_assert_max_num_queries(most):
                assert client.get(url).status_code == 200, url
        # A longer history (and one more version of the case) costs no extra query.
        for amount in (13000, 14000, 15000):
            case_revise_facts(case=case, actor=staff.lead, facts={"fare_amount": amount})


def test_the_compiled_korean_catalogue_matches_its_source():
    # locale/ko/LC_MESSAGES/django.mo is committed: a .po edit without `msgfmt` would be lost.
    import gettext

    from django.conf import settings

    folder = Path(settings.LOCALE_PATHS[0]) / "ko" / "LC_MESSAGES"
    source = (folder / "django.po").read_text(encoding="utf-8")
    with open(folder / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', source, flags=re.M)
    assert len(pairs) > 40
    for msgid, msgstr in pairs:
        assert compiled.gettext(msgid) == msgstr, msgid
