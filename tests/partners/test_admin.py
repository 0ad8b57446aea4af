"""The partners admin: role x page matrix, read-only roles, rules shown as messages, audit,
and list pages whose query count does not grow with the table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from partners import services
from partners.models import Channel, Contact, Partner, Route, Site

pytestmark = pytest.mark.django_db

ROLES = ["agent", "team_lead", "deputy_lead", "manager", "auditor", "integration", "anonymous"]
# Written out from the brief / ACTIONS on purpose (not read from ACTIONS), so a wrong row in
# the permission table fails here.
MAY = {
    "changelist": {"agent", "team_lead", "deputy_lead", "manager", "auditor"},
    "change": {"agent", "team_lead", "deputy_lead", "manager", "auditor"},  # read-only for some
    "add": {"team_lead", "deputy_lead", "manager"},
    "delete": {"team_lead", "deputy_lead"},
    # History is an audit read ("audit.history.read"): not for agents.
    "history": {"team_lead", "deputy_lead", "manager", "auditor"},
}
MODELS = {
    "partner": lambda: Partner.objects.get(code="kmpark"),
    "site": lambda: Site.objects.get(name="63빌딩"),
    "channel": lambda: Channel.objects.get(seed_key="channel.common.agit"),
    "contact": lambda: Contact.objects.get(mention="@owner5"),
    "route": lambda: Route.objects.get(seed_key="t4.amano.onsite_payment_cancel"),
}


def page_url(model: str, page: str, obj) -> str:
    name = f"admin:partners_{model}_{page}"
    return reverse(name) if page in ("changelist", "add") else reverse(name, args=[obj.pk])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(MAY))
@pytest.mark.parametrize("model", list(MODELS))
def test_role_page_matrix(client, role_users, model, page, role):
    user = role_users[role]
    if user is not None:
        client.force_login(user)
    url = page_url(model, page, MODELS[model]())

    response = client.get(url)

    if role == "anonymous":
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]
    elif role in MAY[page]:
        assert response.status_code == 200, (model, page, role)
    else:
        assert response.status_code == 403, (model, page, role)


def route_form(route: Route, **overrides) -> dict:
    def pk(obj):
        return "" if obj is None else obj.pk

    def day(value):
        return "" if value is None else value.isoformat()

    agrees = {None: "unknown", True: "true", False: "false"}[route.customer_agrees]
    data = {
        "request_kind": route.request_kind,
        "partner": pk(route.partner),
        "site": pk(route.site),
        "site_kind": route.site_kind,
        "integration": route.integration,
        "topic": route.topic,
        "customer_agrees": agrees,
        "detail": route.detail,
        "channel": pk(route.channel),
        "alternative_channel": pk(route.alternative_channel),
        "channel_via": route.channel_via,
        "procedure": route.procedure,
        # The @mention rows are an inline (contacts); an empty management form leaves them.
        "mention_links-TOTAL_FORMS": "0",
        "mention_links-INITIAL_FORMS": "0",
        "allowed_roles": route.allowed_roles,
        "effective_from": day(route.effective_from),
        "effective_until": day(route.effective_until),
        "effective_note": route.effective_note,
        "notes": route.notes,
        "version": route.version,  # the hidden optimistic-lock field the change form carries
        "_save": "저장",
    }
    if route.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("role", ["agent", "auditor"])
def test_read_only_roles_cannot_change_by_post(client, role_users, role):
    route = MODELS["route"]()
    client.force_login(role_users[role])

    change = client.post(page_url("route", "change", route), route_form(route, procedure="해킹"))
    add = client.post(page_url("route", "add", None), route_form(route, procedure="새 경로"))
    delete = client.post(page_url("route", "delete", route), {"post": "yes"})

    assert (change.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    route.refresh_from_db()
    assert route.procedure == "아마노쉐어 게시판 작성"
    assert Route.objects.filter(pk=route.pk).exists()


def test_read_only_change_page_shows_no_save_button(client, role_users):
    client.force_login(role_users["agent"])
    response = client.get(page_url("route", "change", MODELS["route"]()))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content


def test_lead_edit_is_saved_and_audited(client, role_users):
    lead = role_users["team_lead"]
    route = MODELS["route"]()
    client.force_login(lead)

    response = client.post(
        page_url("route", "change", route), route_form(route, notes="아마노 담당 변경 반영")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    route.refresh_from_db()
    assert route.notes == "아마노 담당 변경 반영"
    latest = route.history.latest()
    assert latest.history_user == lead
    assert latest.history_type == "~"
    history_page = client.get(page_url("route", "history", route))
    assert history_page.status_code == 200
    assert lead.username in history_page.content.decode()


def test_lead_adds_a_route_through_the_admin(client, role_users):
    lead = role_users["team_lead"]
    client.force_login(lead)
    template = MODELS["route"]()
    data = route_form(
        template,
        request_kind="parking_ticket",
        partner=Partner.objects.get(code="amano").pk,
        procedure="아마노 주차권은 아마노쉐어로",
        alternative_channel="",
    )

    response = client.post(page_url("route", "add", None), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    route = Route.objects.get(procedure="아마노 주차권은 아마노쉐어로")
    created = route.history.earliest()
    assert (created.history_type, created.history_user) == ("+", lead)


def test_a_save_refused_after_the_form_is_shown_as_a_message(client, role_users, monkeypatch):
    """A concurrent edit can make the service refuse after the form validated: the
    transaction is rolled back and the reason reaches the user as a message."""
    from django.core.exceptions import ValidationError

    from partners import admin as partners_admin

    def refuse(**kwargs):
        raise ValidationError("같은 조건의 데이터가 동시에 저장되었습니다.")

    monkeypatch.setattr(partners_admin.services, "record_save", refuse)
    route = MODELS["route"]()
    client.force_login(role_users["team_lead"])
    url = page_url("route", "change", route)

    response = client.post(url, route_form(route, notes="경쟁 저장"))

    assert response.status_code == 302 and response["Location"] == url
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "같은 조건의 데이터가 동시에 저장되었습니다." in messages
    route.refresh_from_db()
    assert route.notes != "경쟁 저장"


MINIMAL_POST = {
    "partner": {"code": "kmpark", "name": "바뀐 이름", "is_active": "on"},
    "site": {"name": "바뀐 이름", "kind": "manual_normal"},
    "channel": {"kind": "agit", "name": "바뀐 이름", "target": "아지트"},
    "contact": {"label": "바뀐 이름", "mention": "@owner5"},
}


@pytest.mark.parametrize("role", ["agent", "auditor", "integration"])
@pytest.mark.parametrize("model", list(MINIMAL_POST))
def test_no_post_from_read_only_roles_on_any_model(client, role_users, model, role):
    obj = MODELS[model]()
    before = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    client.force_login(role_users[role])
    data = dict(MINIMAL_POST[model])
    if model != "partner":
        data["partner"] = obj.partner_id or ""

    change = client.post(page_url(model, "change", obj), data)
    delete = client.post(page_url(model, "delete", obj), {"post": "yes"})

    assert (change.status_code, delete.status_code) == (403, 403)
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields} == before


def test_manager_edits_but_cannot_delete(client, role_users):
    route = MODELS["route"]()
    client.force_login(role_users["manager"])
    ok = client.post(page_url("route", "change", route), route_form(route, notes="담당자 수정"))
    assert ok.status_code == 302
    refused = client.post(page_url("route", "delete", route), {"post": "yes"})
    assert refused.status_code == 403
    assert Route.objects.filter(pk=route.pk).exists()


def test_lead_delete_goes_through_the_service(client, role_users):
    lead = role_users["deputy_lead"]
    client.force_login(lead)
    route = services.route_create(
        actor=lead,
        request_kind="parking_ticket",
        partner=Partner.objects.get(code="kmpark"),
        channel=Channel.objects.get(seed_key="channel.common.agit"),
        procedure="임시",
        allowed_roles="all",
    )
    route_id = route.pk
    response = client.post(page_url("route", "delete", route), {"post": "yes"})
    assert response.status_code == 302
    assert not Route.objects.filter(pk=route_id).exists()
    assert Route.history.filter(id=route_id).latest().history_user == lead


def test_overlapping_route_in_the_admin_is_refused_with_a_message(client, role_users):
    existing = MODELS["route"]()
    before = Route.objects.count()
    client.force_login(role_users["team_lead"])

    response = client.post(page_url("route", "add", None), route_form(existing, procedure="복제"))

    assert response.status_code == 200  # the form again, with the error
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("겹칩니다" in m and str(existing) in m for m in messages), messages
    assert "겹칩니다" in response.content.decode()
    assert Route.objects.count() == before


def test_email_channel_without_recipients_in_the_admin(client, role_users):
    client.force_login(role_users["manager"])
    before = Channel.objects.count()
    response = client.post(
        reverse("admin:partners_channel_add"),
        {
            "kind": "email",
            "name": "빈 메일",
            "target": "",
            "recipient_links-TOTAL_FORMS": "0",
            "recipient_links-INITIAL_FORMS": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, the inline says why
    assert "수신(To) 또는 참조(Cc)" in response.content.decode()
    assert Channel.objects.count() == before


def test_partner_code_is_read_only_once_created(client, role_users):
    client.force_login(role_users["team_lead"])
    partner = Partner.objects.get(code="kmpark")
    response = client.post(
        page_url("partner", "change", partner),
        {"code": "kmp2", "name": "케이엠파크", "notes": "", "is_active": "on"},
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.code == "kmpark"


# --- query counts --------------------------------------------------------------------------------


def _make_rows(model: str, n: int, actor) -> None:
    """n extra rows through the services (the way people create them)."""
    kmpark = Partner.objects.get(code="kmpark")
    agit = Channel.objects.get(seed_key="channel.common.agit")
    for i in range(n):
        if model == "partner":
            services.partner_create(actor=actor, code=f"p{i}", name=f"운영사{i}")
        elif model == "site":
            services.site_create(actor=actor, partner=kmpark, name=f"현장{i}", kind="manual_normal")
        elif model == "channel":
            contact = services.contact_create(
                actor=actor, partner=kmpark, label="담당자", email=f"ch{i}@km-park.example"
            )
            services.channel_create(
                actor=actor,
                partner=kmpark,
                kind="email",
                name=f"메일{i}",
                recipients_to=[contact],
            )
        elif model == "contact":
            services.contact_create(
                actor=actor, partner=kmpark, label="담당자", email=f"c{i}@km-park.example"
            )
        elif model == "route":
            # Non-overlapping two-day windows for one key: many rows, all valid.
            start = dt.date(2000, 1, 1) + dt.timedelta(days=2 * i)
            services.route_create(
                actor=actor,
                request_kind="parking_ticket",
                partner=kmpark,
                site=Site.objects.get(name="파르나스 호텔") if i % 2 else None,
                channel=agit,
                procedure=f"경로 {i}",
                allowed_roles="all",
                effective_from=start,
                effective_until=start + dt.timedelta(days=1),
            )


#: One bound for every partners changelist, whatever the table size.
CHANGELIST_MAX_QUERIES = 10  # measured: 7-8 (session, user, roles, perms, count, rows, filters)


@pytest.mark.parametrize("rows", [10, 120])
@pytest.mark.parametrize("model", list(MODELS))
def test_changelist_query_count_is_flat(
    client, role_users, django_assert_max_num_queries, model, rows
):
    lead = role_users["team_lead"]
    _make_rows(model, rows, lead)
    client.force_login(lead)
    url = reverse(f"admin:partners_{model}_changelist")
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    # The page really lists many rows (a full page of 100 at 120).
    assert response.context["cl"].result_list.__len__() >= min(rows, 50)
