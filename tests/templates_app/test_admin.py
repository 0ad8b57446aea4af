"""The templates_app admin: preview, writing drafts, actions, masking, role matrix, query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from templates_app import services
from templates_app.models import OutboundMessage, SmsTemplate, SmsTemplateVersion
from templates_app.phones import phone_digits
from tests.templates_app.conftest import DRIVER_VARS

pytestmark = pytest.mark.django_db

ROLES = ("agent", "team_lead", "deputy_lead", "manager", "auditor", "integration", "anonymous")
READERS = {"agent", "team_lead", "deputy_lead", "manager", "auditor"}
ALL_AGENTS = {"agent", "team_lead", "deputy_lead", "manager"}
LEADS_AND_MANAGER = {"team_lead", "deputy_lead", "manager"}
NOBODY: set[str] = set()

PHONE = "010-0000-5678"


def client_for(client, role_users, role):
    user = role_users[role]
    if user is not None:
        client.force_login(user)
    return client


def queue_message(key="k-1", template_name="테스트_기사_결제취소(승인)", phone=PHONE, subject=None):
    return services.message_queue(
        template_name=template_name,
        recipient=phone,
        context={"received_on": date(2024, 3, 5), "amount": 12300},
        idempotency_key=key,
        actor=None,
        subject=subject,
    )


@pytest.fixture
def template(make_template):
    return make_template()


@pytest.fixture
def message(template, gateway, role_users, make_agent_case):
    """A message of a case the "agent" user works (an agent sees only those)."""
    return queue_message(subject=make_agent_case(role_users["agent"]))


def url(name, *args):
    return reverse(f"admin:templates_app_{name}", args=args)


# --- preview --------------------------------------------------------------------------------


def test_preview_shows_sample_values_rendered(client, lead, template):
    client.force_login(lead)
    response = client.get(url("smstemplate_preview", template.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "■ 취소금액 : 12,300원" in page
    assert "LMS (2,000바이트 이하)" in page
    assert 'name="amount"' in page and 'name="received_on"' in page


def test_preview_renders_posted_values(client, lead, template):
    client.force_login(lead)
    response = client.post(
        url("smstemplate_preview", template.pk), {"amount": "5000", "received_on": "2024-12-25"}
    )
    assert response.status_code == 200
    rendered = response.context["rendered"]
    assert "12월 25일 접수해 주신" in rendered.text
    assert "■ 취소금액 : 5,000원" in rendered.text
    assert rendered.byte_length > 90 and rendered.length_class == "LMS"


def test_preview_form_fields_follow_variable_types(client, lead, make_template):
    variables = {
        "t": "text",
        "n": "int",
        "a": "amount",
        "d": "date_md",
        "y": "date_ymd",
        "at": "datetime",
        "p": "phone",
        "c": "call_id",
        "u": "url",
    }
    body = " ".join(f"{{{{ {name} }}}}" for name in variables)
    tpl = make_template("테스트_모든타입", body=body, variables=variables)
    client.force_login(lead)
    form = client.get(url("smstemplate_preview", tpl.pk)).context["form"]
    kinds = {name: type(field).__name__ for name, field in form.fields.items()}
    assert kinds == {
        "t": "CharField",
        "n": "IntegerField",
        "a": "IntegerField",
        "d": "DateField",
        "y": "DateField",
        "at": "SplitDateTimeField",
        "p": "CharField",
        "c": "CharField",
        "u": "URLField",
    }
    response = client.post(
        url("smstemplate_preview", tpl.pk),
        {
            "t": "안녕",
            "n": "3",
            "a": "1000",
            "d": "2024-03-05",
            "y": "2024-03-05",
            "at_0": "2024-03-05",
            "at_1": "14:30",
            "p": "010-0000-5678",
            "c": "123",
            "u": "https://example.com/x",
        },
    )
    assert response.context["rendered"].text == (
        "안녕 3 1,000원 3월 5일 2024년 03월 05일 2024년 03월 05일 14:30 010-****-5678 123 "
        "https://example.com/x"
    )


def test_preview_shows_form_errors_and_renders_nothing(client, lead, template):
    client.force_login(lead)
    response = client.post(
        url("smstemplate_preview", template.pk), {"amount": "-5", "received_on": "어제"}
    )
    assert response.status_code == 200
    assert response.context["rendered"] is None
    assert set(response.context["form"].errors) == {"amount", "received_on"}


def test_preview_of_a_draft_and_approving_it(client, lead, template):
    draft = services.template_edit(
        template=template,
        body="v2 {{ amount }} {{ received_on }}",
        variables=DRIVER_VARS,
        actor=lead,
    )
    client.force_login(lead)
    response = client.get(url("smstemplate_preview", template.pk))
    assert response.context["version"] == draft  # the draft is what a lead checks
    assert response.context["can_approve"]
    response = client.post(
        url("smstemplate_preview", template.pk), {"version": draft.pk, "_approve": "1"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == SmsTemplateVersion.Status.APPROVED


def test_preview_of_an_older_version(client, lead, template):
    services.template_edit(
        template=template,
        body="v2 {{ amount }} {{ received_on }}",
        variables=DRIVER_VARS,
        actor=lead,
    )
    v1 = template.versions.get(number=1)
    client.force_login(lead)
    response = client.get(url("smstemplate_preview", template.pk), {"version": v1.pk})
    assert response.context["version"] == v1
    assert not response.context["can_approve"]
    assert (
        client.get(url("smstemplate_preview", template.pk), {"version": 999999}).status_code == 404
    )


# --- writing templates through the admin ----------------------------------------------------


def _change_data(template, **overrides):
    data = {
        # The CEMS name is editable (issue 15 B 002: "the name is data a lead can correct").
        "name": template.name,
        "sending_system": template.sending_system,
        "enabled": "on" if template.enabled else "",
        "audience": template.audience,
        "service": template.service,
        "description": template.description,
        "source": template.source,
        "body": template.versions.order_by("-number").first().body,
        "variables": '{"received_on": "date_md", "amount": "amount"}',
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": str(template.versions.count()),
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_the_change_form_starts_from_the_working_text(client, lead, agent, template):
    client.force_login(lead)
    form = client.get(url("smstemplate_change", template.pk)).context["adminform"].form
    assert form.initial["body"] == services.template_approved_version(template).body
    assert form.initial["variables"] == DRIVER_VARS
    draft = services.template_edit(
        template=template,
        body="초안 {{ received_on }} {{ amount }}",
        variables=DRIVER_VARS,
        actor=lead,
    )
    form = client.get(url("smstemplate_change", template.pk)).context["adminform"].form
    assert form.initial["body"] == draft.body
    client.force_login(agent)  # read-only: the text is shown, not editable
    page = client.get(url("smstemplate_change", template.pk)).content.decode()
    assert "초안 {{ received_on }} {{ amount }}" in page
    assert 'name="body"' not in page


def test_saving_a_changed_text_writes_a_draft_and_keeps_the_approved_one(client, lead, template):
    client.force_login(lead)
    v1_body = services.template_approved_version(template).body
    response = client.post(
        url("smstemplate_change", template.pk),
        _change_data(template, body="새 문구 {{ received_on }} {{ amount }}"),
    )
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    assert [(v.number, v.status) for v in template.versions.order_by("number")] == [
        (1, "approved"),
        (2, "draft"),
    ]
    assert services.template_approved_version(template).body == v1_body


def test_an_invalid_text_is_shown_as_a_form_error(client, lead, template):
    client.force_login(lead)
    response = client.post(
        url("smstemplate_change", template.pk),
        _change_data(template, body="{{ received_on }} {{ amount }} {{ 없는변수 }}"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["body"]
    assert any("없는변수" in e for e in errors)
    assert template.versions.count() == 1


def test_adding_a_template_creates_a_draft_v1(client, lead):
    client.force_login(lead)
    response = client.post(
        url("smstemplate_add"),
        {
            "name": "테스트_관리자등록",
            "audience": "customer",
            "service": "parking",
            "description": "",
            "source": "",
            "body": "{{ amount }} 환불 예정",
            "variables": '{"amount": "amount"}',
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302
    template = SmsTemplate.objects.get(name="테스트_관리자등록")
    assert [(v.number, v.status, v.created_by) for v in template.versions.all()] == [
        (1, "draft", lead)
    ]


def test_approved_versions_are_read_only_in_the_inline(client, lead, template):
    client.force_login(lead)
    response = client.get(url("smstemplate_change", template.pk))
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission
    assert 'name="versions-0-body"' not in response.content.decode()


def test_retired_templates_are_read_only(client, lead, template):
    services.template_retire(template=template, actor=lead)
    client.force_login(lead)
    response = client.post(url("smstemplate_change", template.pk), _change_data(template))
    assert response.status_code == 403


# --- the outbox -----------------------------------------------------------------------------


def test_recipient_is_masked_in_every_outbox_page(client, role_users, message, lead):
    services.message_mark_sent_by_hand(message=message, reason="CEMS 발송", actor=lead)
    client.force_login(role_users["auditor"])
    pages = [
        url("outboundmessage_changelist"),
        url("outboundmessage_change", message.pk),
        url("outboundmessage_history", message.pk),
    ]
    history_id = message.history.first().history_id
    pages.append(
        reverse("admin:templates_app_outboundmessage_simple_history", args=[message.pk, history_id])
    )
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        content = response.content.decode()
        assert "01000005678" not in content and "010-0000-5678" not in content, page
    assert "010-****-5678" in client.get(pages[0]).content.decode()


def test_outbox_search_by_key_template_and_phone(client, lead, message, make_template):
    make_template("테스트_다른")
    other = queue_message(key="k-2", template_name="테스트_다른", phone="010-0000-9999")
    client.force_login(lead)

    def found(q):
        response = client.get(url("outboundmessage_changelist"), {"q": q})
        return {m.pk for m in response.context["cl"].result_list}

    assert found("k-1") == {message.pk}
    assert found("k-") == set()  # the key is matched exactly (indexed)
    assert found("테스트_다른") == {other.pk}
    # A full number in the GET search box would sit in the URL and the access logs (issue 12):
    # it searches nothing; the exact search is the POST form, the URL holding a keyed hash.
    assert found("010-0000-9999") == set()

    def found_by_post(number):
        response = client.post(url("outboundmessage_find_recipient"), {"recipient": number})
        assert response.status_code == 302
        assert phone_digits(number) not in response["Location"]
        listed = client.get(response["Location"])
        return {m.pk for m in listed.context["cl"].result_list}

    assert found_by_post("010-0000-9999") == {other.pk}
    assert found_by_post("+82 10 0000 5678") == {message.pk}


def _post_action(client, model, action, pks, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], "index": "0"}
    data.update(extra)
    return client.post(url(f"{model}_changelist"), data)


def test_mark_sent_by_hand_asks_for_a_reason_then_records_it(client, role_users, message):
    client.force_login(role_users["agent"])
    response = _post_action(client, "outboundmessage", "mark_sent_by_hand", [message.pk])
    assert response.status_code == 200
    assert "010-****-5678" in response.content.decode()  # intermediate page, masked
    response = client.post(
        url("outboundmessage_changelist"),
        {
            "action": "mark_sent_by_hand",
            ACTION_CHECKBOX_NAME: [str(message.pk)],
            "apply": "1",
            "reason": "CEMS에서 직접 발송",
        },
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT_BY_HAND
    assert message.hand_sent_by == role_users["agent"]


def test_retry_action(client, role_users, message, gateway):
    from templates_app.gateways import GatewayPermanentError

    gateway.failures = [GatewayPermanentError("bad")]
    services.message_deliver(message_id=message.pk)
    client.force_login(role_users["team_lead"])
    _post_action(client, "outboundmessage", "retry_messages", [message.pk])
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED and message.attempts == 0


# --- role x action matrix -------------------------------------------------------------------


def _expect(response, allowed: bool, role: str):
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"], role
    elif allowed:
        assert response.status_code == 200, role
    else:
        assert response.status_code == 403, role


# History pages are an audit read (ACTIONS "audit.history.read"): auditors, leads, manager.
HISTORY_READERS = READERS - {"agent"}

PAGES = [
    # (name, args from the fixtures, roles that get the page)
    ("smstemplate_changelist", (), READERS),
    ("smstemplate_add", (), LEADS_AND_MANAGER),
    ("smstemplate_change", ("template",), READERS),
    ("smstemplate_history", ("template",), HISTORY_READERS),
    ("smstemplate_preview", ("template",), ALL_AGENTS),
    ("smstemplate_delete", ("template",), NOBODY),
    ("outboundmessage_changelist", (), READERS),
    ("outboundmessage_change", ("message",), READERS),
    ("outboundmessage_history", ("message",), HISTORY_READERS),
    ("outboundmessage_add", (), NOBODY),
    ("outboundmessage_delete", ("message",), NOBODY),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "args", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_page_matrix(client, role_users, template, message, role, page, args, allowed):
    objects = {"template": template.pk, "message": message.pk}
    client = client_for(client, role_users, role)
    response = client.get(url(page, *[objects[a] for a in args]))
    _expect(response, role in allowed, role)


@pytest.mark.parametrize("role", ROLES)
def test_editing_a_template_matrix(client, role_users, template, role):
    client = client_for(client, role_users, role)
    response = client.post(
        url("smstemplate_change", template.pk),
        _change_data(template, body="바뀜 {{ received_on }} {{ amount }}"),
    )
    allowed = role in LEADS_AND_MANAGER
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif allowed:
        assert response.status_code == 302
    else:
        assert response.status_code == 403
    assert template.versions.filter(status="draft").exists() is allowed


@pytest.mark.parametrize("role", ROLES)
def test_approve_action_matrix(client, role_users, make_template, role):
    template = make_template("테스트_승인대기", approve=False)
    client = client_for(client, role_users, role)
    _post_action(client, "smstemplate", "approve_drafts", [template.pk])
    approved = template.versions.filter(status="approved").exists()
    assert approved is (role in LEADS_AND_MANAGER), role


@pytest.mark.parametrize("role", ROLES)
def test_retire_action_matrix(client, role_users, template, role):
    client = client_for(client, role_users, role)
    _post_action(client, "smstemplate", "retire_templates", [template.pk])
    template.refresh_from_db()
    assert template.is_retired is (role in LEADS_AND_MANAGER), role


@pytest.mark.parametrize("role", ROLES)
def test_preview_approve_button_matrix(client, role_users, make_template, role):
    template = make_template("테스트_미리보기승인", approve=False)
    draft = template.versions.get()
    client = client_for(client, role_users, role)
    response = client.post(
        url("smstemplate_preview", template.pk), {"version": draft.pk, "_approve": "1"}
    )
    draft.refresh_from_db()
    assert (draft.status == "approved") is (role in LEADS_AND_MANAGER), role
    if role not in LEADS_AND_MANAGER and role != "anonymous":
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_retry_action_matrix(client, role_users, message, gateway, role):
    from templates_app.gateways import GatewayPermanentError

    gateway.failures = [GatewayPermanentError("bad")]
    services.message_deliver(message_id=message.pk)
    client = client_for(client, role_users, role)
    _post_action(client, "outboundmessage", "retry_messages", [message.pk])
    message.refresh_from_db()
    assert (message.status == OutboundMessage.Status.QUEUED) is (role in LEADS_AND_MANAGER), role


@pytest.mark.parametrize("role", ROLES)
def test_mark_sent_by_hand_action_matrix(client, role_users, message, role):
    client = client_for(client, role_users, role)
    client.post(
        url("outboundmessage_changelist"),
        {
            "action": "mark_sent_by_hand",
            ACTION_CHECKBOX_NAME: [str(message.pk)],
            "apply": "1",
            "reason": "직접 발송",
        },
    )
    message.refresh_from_db()
    assert (message.status == OutboundMessage.Status.SENT_BY_HAND) is (role in ALL_AGENTS), role


def test_nobody_edits_a_message_not_even_a_superuser(client, make_user, message):
    root = make_user(None, is_superuser=True)
    client.force_login(root)
    response = client.get(url("outboundmessage_change", message.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    response = client.post(url("outboundmessage_change", message.pk), {"body": "바꿈"})
    assert response.status_code == 403
    assert client.get(url("outboundmessage_delete", message.pk)).status_code == 403
    message.refresh_from_db()
    assert message.body != "바꿈"


# --- query counts ---------------------------------------------------------------------------


def _count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_template_changelist_queries_do_not_grow_with_rows(client, lead, make_template):
    client.force_login(lead)
    for i in range(10):
        make_template(f"테스트_쿼리_{i:03d}")
    few = _count_queries(client, url("smstemplate_changelist"))
    for i in range(10, 300):
        make_template(f"테스트_쿼리_{i:03d}")
    many = _count_queries(client, url("smstemplate_changelist"))
    assert few == many <= 9, (few, many)


def test_outbox_changelist_queries_do_not_grow_with_rows(client, lead, template, gateway):
    client.force_login(lead)
    subject = lead
    for i in range(10):
        services.message_queue(
            template_name=template.name,
            recipient=PHONE,
            context={"received_on": date(2024, 3, 5), "amount": i},
            idempotency_key=f"q-{i}",
            actor=None,
            subject=subject,
        )
    few = _count_queries(client, url("outboundmessage_changelist"))
    for i in range(10, 300):
        services.message_queue(
            template_name=template.name,
            recipient=PHONE,
            context={"received_on": date(2024, 3, 5), "amount": i},
            idempotency_key=f"q-{i}",
            actor=None,
            subject=subject,
        )
    many = _count_queries(client, url("outboundmessage_changelist"))
    assert few == many <= 9, (few, many)
