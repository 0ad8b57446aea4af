"""The cases admin: role x page / action matrix, visibility (404), actions, query counts."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from cases.models import Campaign, Case, CaseUserObjectPermission, ConsultationType, StaffProfile
from cases.playbooks.base import StaticEnv
from templates_app.models import OutboundMessage
from tests.cases import fakes
from tests.cases.conftest import finish_plan

pytestmark = pytest.mark.django_db

ROLES = ("agent", "team_lead", "deputy_lead", "manager", "auditor", "integration", "anonymous")
LEADS = {"team_lead", "deputy_lead", "manager"}  # "leads and manager" in the ACTIONS table
READERS = {"agent", "auditor"} | LEADS


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


def _client(client, user):
    if user is not None:
        client.force_login(user)
    return client


def _get(client, user, url):
    return _client(client, user).get(url)


def _expect(response, expected):
    """``expected``: 200, 403, 404 or "login" (the admin's redirect for anonymous users)."""
    if expected == "login":
        assert response.status_code == 302 and "/login/" in response["Location"], response
    else:
        assert response.status_code == expected, (response.status_code, expected)


def _page_expectation(role, allowed):
    if role == "anonymous":
        return "login"
    return 200 if role in allowed else 403


# --- pages -------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_case_pages(client, users, make_case, staff, role):
    user = users[role]
    case = make_case("approve")  # unassigned, driver service: the agent may see it
    urls = {
        "changelist": reverse("admin:cases_case_changelist"),
        "change": reverse("admin:cases_case_change", args=[case.pk]),
        "history": reverse("admin:cases_case_history", args=[case.pk]),
    }
    for name, url in urls.items():
        expected = _page_expectation(role, READERS)
        if name != "changelist" and expected == 403:
            expected = 404  # a case the user may not see does not exist for them
        if name == "history" and role == "agent":
            expected = 403  # history is an audit read (audit.history.read): not for agents
        _expect(_get(client, user, url), expected)
    add = _get(client, user, reverse("admin:cases_case_add"))
    _expect(add, "login" if role == "anonymous" else 403)
    delete = _get(client, user, reverse("admin:cases_case_delete", args=[case.pk]))
    _expect(delete, "login" if role == "anonymous" else 403)
    unmask = _get(client, user, reverse("admin:cases_case_unmask", args=[case.pk]))
    if role == "anonymous":
        _expect(unmask, "login")
    else:
        _expect(unmask, 200 if role in LEADS else 404)


@pytest.mark.parametrize("role", ["agent", "team_lead", "auditor"])
def test_another_agents_case_is_not_found_in_the_admin(client, users, make_case, staff, role):
    case = make_case("approve", assignee=staff.agent_b)
    expected = 404 if role == "agent" else 200
    for view in ("change", "history"):
        url = reverse(f"admin:cases_case_{view}", args=[case.pk])
        _expect(_get(client, users[role], url), expected)  # 404 first: existence never leaks
    changelist = _get(client, users[role], reverse("admin:cases_case_changelist"))
    assert (case.pk in [c.pk for c in changelist.context["cl"].result_list]) is (role != "agent")


def test_history_version_view_of_a_hidden_case_is_404(client, make_case, staff):
    case = make_case("approve", assignee=staff.agent_b)
    history_id = case.history.first().history_id
    url = reverse("admin:cases_case_simple_history", args=[case.pk, history_id])
    _expect(_get(client, staff.agent, url), 404)
    # The assignee sees the case but not its admin history (an audit read).
    _expect(_get(client, staff.agent_b, url), 403)
    _expect(_get(client, staff.lead, url), 200)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("model", "view_roles", "edit_roles"),
    [
        ("consultationtype", READERS, LEADS),
        ("campaign", READERS, LEADS),
        ("staffprofile", LEADS | {"auditor"}, LEADS),
        ("unmasklog", LEADS | {"auditor"}, set()),
    ],
)
def test_reference_pages(client, users, staff, role, model, view_roles, edit_roles):
    user = users[role]
    obj = {
        "consultationtype": lambda: ConsultationType.objects.filter(is_leaf=True).first(),
        "campaign": lambda: Campaign.objects.get(code="parking_ticket_coupon"),
        "staffprofile": lambda: StaffProfile.objects.get(user=staff.agent),
        "unmasklog": lambda: None,
    }[model]()
    _expect(
        _get(client, user, reverse(f"admin:cases_{model}_changelist")),
        _page_expectation(role, view_roles),
    )
    _expect(
        _get(client, user, reverse(f"admin:cases_{model}_add")),
        _page_expectation(role, edit_roles),
    )
    if obj is not None:
        _expect(
            _get(client, user, reverse(f"admin:cases_{model}_change", args=[obj.pk])),
            _page_expectation(role, view_roles),
        )
        _expect(
            _get(client, user, reverse(f"admin:cases_{model}_delete", args=[obj.pk])),
            "login" if role == "anonymous" else 403,
        )


# --- actions -----------------------------------------------------------------------------
def _post_action(client, user, action, cases, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in cases], **extra}
    return _client(client, user).post(reverse("admin:cases_case_changelist"), data)


TAKE = {"agent", "team_lead", "deputy_lead", "manager"}
ASSIGN = LEADS
DECIDE = {"agent", "team_lead", "deputy_lead", "manager"}
CLOSE = DECIDE


@pytest.mark.parametrize("role", ROLES)
def test_take_action(client, users, make_case, role):
    case = make_case("approve")
    response = _post_action(client, users[role], "take_cases", [case])
    case.refresh_from_db()
    if role in TAKE:
        assert response.status_code == 302 and case.assignee == users[role]
    else:
        assert case.assignee is None
        if role == "anonymous":
            _expect(response, "login")
        else:
            assert response.status_code in (200, 302, 403)


@pytest.mark.parametrize("role", ROLES)
def test_assign_action(client, users, make_case, staff, role):
    case = make_case("approve")
    form = _post_action(client, users[role], "assign_cases", [case])
    if role in ASSIGN:
        assert form.status_code == 200
        assert "배정" in form.content.decode() and "agent_b" in form.content.decode()
        applied = _post_action(
            client, users[role], "assign_cases", [case], apply="1", assignee=staff.agent_b.pk
        )
        assert applied.status_code == 302
    case.refresh_from_db()
    assert (case.assignee == staff.agent_b) is (role in ASSIGN)
    if role not in ASSIGN and role != "anonymous":
        # Not offered: the admin refuses (403 when no admin access at all, else a redirect).
        assert form.status_code in (200, 302, 403)


@pytest.mark.parametrize("role", ROLES)
def test_decide_action_previews_then_decides(client, users, make_case, role, monkeypatch):
    import cases.playbooks.env as env_module

    monkeypatch.setattr(env_module, "DatabaseEnv", StaticEnv)
    case = make_case("approve")
    confirm = _post_action(client, users[role], "decide_cases", [case])
    if role in DECIDE:
        assert confirm.status_code == 200
        page = confirm.content.decode()
        # The SMS preview: each message rendered, recipients masked, nothing queued yet.
        assert "12월 2일 접수 건의 12,300원 처리가 완료되었어요." in page
        assert f"콜 {case.call_id} 건이 처리되었어요." in page
        assert "010-****-1234" in page and "010-0000-1234" not in page
        assert OutboundMessage.objects.count() == 0
        fingerprint = confirm.context["rows"][0]["fingerprint"]
        applied = _post_action(
            client,
            users[role],
            "decide_cases",
            [case],
            apply="1",
            **{f"fingerprint_{case.pk}": fingerprint},
        )
        assert applied.status_code == 302
    case.refresh_from_db()
    assert (case.status == "decided") is (role in DECIDE)
    assert OutboundMessage.objects.count() == (2 if role in DECIDE else 0)


def test_decide_action_refuses_a_changed_proposal(client, make_case, staff, monkeypatch):
    import cases.playbooks.env as env_module

    monkeypatch.setattr(env_module, "DatabaseEnv", StaticEnv)
    case = make_case("approve")
    response = _post_action(
        client, staff.agent, "decide_cases", [case], apply="1", **{f"fingerprint_{case.pk}": "old"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "new" and OutboundMessage.objects.count() == 0
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("제안이 바뀌었습니다" in m for m in messages)


def test_decide_action_shows_a_missing_phone_before_anything_is_sent(
    client, make_case, staff, monkeypatch
):
    import cases.playbooks.env as env_module

    monkeypatch.setattr(env_module, "DatabaseEnv", StaticEnv)
    case = make_case("approve", driver_phone=None)
    confirm = _post_action(client, staff.lead, "decide_cases", [case])
    assert "받는 사람 전화번호가 없습니다" in confirm.content.decode()
    fingerprint = confirm.context["rows"][0]["fingerprint"]
    _post_action(
        client,
        staff.lead,
        "decide_cases",
        [case],
        apply="1",
        **{f"fingerprint_{case.pk}": fingerprint},
    )
    case.refresh_from_db()
    assert case.status == "new"


@pytest.mark.parametrize("role", ROLES)
def test_close_action(client, users, make_case, staff, role):
    from cases.services import case_decide

    case = make_case("reject")
    case_decide(case=case, actor=staff.lead, env=StaticEnv())
    if role == "agent":  # the lead decided (and took) it; the agent closes their own cases
        from cases.services import case_assign

        case_assign(case=case, assignee=staff.agent, actor=staff.lead)
    finish_plan(case, staff.lead)  # closing needs the checklist done (issue 13.5)
    _post_action(client, users[role], "close_cases", [case])
    case.refresh_from_db()
    assert (case.status == "closed") is (role in CLOSE)


def test_agent_cannot_act_on_a_case_they_may_not_see(client, make_case, staff):
    """Selecting a foreign case id by hand: the changelist queryset is the agent's scope."""
    case = make_case("approve", assignee=staff.agent_b)
    _post_action(client, staff.agent, "take_cases", [case])
    _post_action(client, staff.agent, "close_cases", [case])
    case.refresh_from_db()
    assert case.assignee == staff.agent_b and case.status == "new"


# --- editing through the admin -----------------------------------------------------------
def test_change_form_saves_through_the_service_with_history(client, make_case, staff):
    case = make_case("approve")
    url = reverse("admin:cases_case_change", args=[case.pk])
    form = _get(client, staff.lead, url)
    assert form.status_code == 200
    page = form.content.decode()
    assert "010-****-1234" in page and "01000001234" not in page
    leaf = ConsultationType.objects.get(path_label="대리_기사 ▶ 요금/포인트 ▶ 결제취소 ▶ 콜타입")
    response = client.post(
        url,
        {
            "consultation_type": leaf.pk,
            "record_title": "처리완료",
            "record_inquiry": "문의",
            "record_notes": "메모",
            "operations_memo": "운영",
            "billing_memo": "",
            "casestep_set-TOTAL_FORMS": "0",
            "casestep_set-INITIAL_FORMS": "0",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "escalation_posts-TOTAL_FORMS": "0",
            "escalation_posts-INITIAL_FORMS": "0",
            "contact_attempts-TOTAL_FORMS": "0",
            "contact_attempts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.record_title, case.operations_memo, case.consultation_type) == (
        "처리완료",
        "운영",
        leaf,
    )
    last = case.history.first()
    assert last.history_user == staff.lead and last.history_change_reason == "상담이력·메모 수정"


def test_auditor_cannot_post_the_change_form(client, make_case, staff):
    case = make_case("approve")
    response = _client(client, staff.auditor).post(
        reverse("admin:cases_case_change", args=[case.pk]), {"record_title": "x"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.record_title == ""


def test_unmask_view_reveals_and_logs(client, make_case, staff):
    from cases.models import UnmaskLog

    case = make_case("approve")
    url = reverse("admin:cases_case_unmask", args=[case.pk])
    response = _client(client, staff.lead).post(
        url, {"field": "customer_phone", "reason": "재통화"}
    )
    assert response.status_code == 200 and "010-0000-1234" in response.content.decode()
    assert UnmaskLog.objects.get().by == staff.lead


def test_campaign_extension_in_the_admin_is_audited(client, staff):
    campaign = Campaign.objects.get(code="parking_ticket_coupon")
    url = reverse("admin:cases_campaign_change", args=[campaign.pk])
    response = _client(client, staff.lead).post(
        url,
        {
            "name": campaign.name,
            "starts_on": "2024-11-27",
            "ends_on": "2025-01-31",
            "description": campaign.description,
        },
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert str(campaign.ends_on) == "2025-01-31"
    row = campaign.history.first()
    assert row.history_user == staff.lead
    assert row.history_change_reason == "종료일 변경: 2024-12-31 -> 2025-01-31"
    bad = client.post(
        url, {"name": campaign.name, "starts_on": "2024-11-27", "ends_on": "2024-01-01"}
    )
    assert bad.status_code == 200 and "종료일은 시작일보다 빠를 수 없습니다" in bad.content.decode()


def test_staff_profile_admin_sets_services(client, staff):
    profile = StaffProfile.objects.get(user=staff.agent)
    url = reverse("admin:cases_staffprofile_change", args=[profile.pk])
    response = _client(client, staff.manager).post(url, {"services": ["driver", "ev"]})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.services == ["driver", "ev"]
    assert profile.history.first().history_user == staff.manager


def test_consultation_type_admin_adds_a_child_and_switches_off(client, staff):
    parent = ConsultationType.objects.get(path_label="대리_기사 ▶ 요금/포인트 ▶ 결제취소")
    response = _client(client, staff.lead).post(
        reverse("admin:cases_consultationtype_add"),
        {"parent": parent.pk, "name": "앱결제", "is_leaf": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    child = ConsultationType.objects.get(path_label="대리_기사 ▶ 요금/포인트 ▶ 결제취소 ▶ 앱결제")
    assert child.level == 4 and child.is_leaf
    response = client.post(reverse("admin:cases_consultationtype_change", args=[child.pk]), {})
    assert response.status_code == 302
    child.refresh_from_db()
    assert not child.is_active
    assert child.history.first().history_user == staff.lead


# --- query counts ------------------------------------------------------------------------
def _bulk_cases(n, *, start=0, assignee=None):
    """Volume rows for the list (the service path is covered by the other tests)."""
    rows = Case.objects.bulk_create(
        Case(
            playbook=fakes.CODE,
            service="driver",
            channel="chatbot_board",
            customer_phone="01000001234",
            customer_phone_last4="1234",
            call_id=str(700_000 + start + i),
            business_key=str(700_000 + start + i),
            assignee=assignee,
            consultation_type=ConsultationType.objects.filter(is_leaf=True).first(),
        )
        for i in range(n)
    )
    if assignee is not None:
        from django.contrib.auth.models import Permission

        perm = Permission.objects.get(codename="work_case")
        CaseUserObjectPermission.objects.bulk_create(
            CaseUserObjectPermission(user=assignee, permission=perm, content_object=row)
            for row in rows
        )
    return rows


@pytest.mark.parametrize("who", ["lead", "agent"])
def test_changelist_query_count_is_flat(client, staff, who, django_assert_max_num_queries):
    user = getattr(staff, who)
    client.force_login(user)
    url = reverse("admin:cases_case_changelist")
    _bulk_cases(10, assignee=staff.agent if who == "agent" else None)
    with django_assert_max_num_queries(11):
        first = client.get(url)
    assert first.status_code == 200 and first.context["cl"].result_count == 10
    _bulk_cases(290, start=10, assignee=staff.agent if who == "agent" else None)
    with django_assert_max_num_queries(11):
        second = client.get(url)
    assert second.status_code == 200 and second.context["cl"].result_count == 300
    with django_assert_max_num_queries(11):
        searched = client.get(url, {"q": "1234", "status": "new", "playbook": fakes.CODE})
    assert searched.context["cl"].result_count == 300
