"""Issue 12 item 3: the outbox follows case ownership, masks bodies, keeps numbers out of URLs.

Reproduced on the landed main before the fix: an agent ran the admin action "mark sent by
hand" on another agent's message, and searched the outbox changelist by a customer's full
phone number (``?q=010...``: the number in the URL and so in every access log) and read the
full, unmasked body of every match, whoever's case it was.

What holds now:
- the outbox admin's queryset, every message action and the service behind "mark sent by
  hand" ask the case's object rules (``kmcs_site.permissions``): an agent sees and acts on the
  messages of the cases they may work, exactly as on the cases themselves (404 otherwise);
- bodies are masked for every role (every role sees cases masked; a full number only
  through the logged unmask): phone and account numbers and personal text values;
- the exact recipient search is a POST; the URL of the results carries a keyed hash (HMAC)
  that only the searching session can turn back into the search.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kmcs_site.permissions import user_can

from .conftest import ACCOUNT, AT, CUSTOMER_PHONE, SECRETS

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:templates_app_outboundmessage_changelist"
FIND = "admin:templates_app_outboundmessage_find_recipient"
ACTION = "templates_app.outboundmessage.mark_sent_by_hand"
SECRET_BODY = "{{ name }}님, 환급 계좌 {{ account }} 확인했습니다. 문의 번호 {{ contact }}"


def _change_url(message) -> str:
    return reverse("admin:templates_app_outboundmessage_change", args=[message.pk])


@pytest.fixture
def world(people, make_case):
    """Agent A's case and agent B's, both decided (their SMS in the outbox). Lighter than the
    matrix's world: only the outbox and the cases matter here."""
    from cases.services import case_decide

    case = make_case(assignee=people["agent"])
    case_decide(case=case, actor=people["agent"], at=AT)
    case_b = make_case(assignee=people["agent_b"])
    case_decide(case=case_b, actor=people["agent_b"], at=AT)
    return SimpleNamespace(case=case, case_b=case_b)


@pytest.fixture
def outbox(world, people):
    """Messages of the agent's case (``mine``) and of agent B's (``theirs``), both to the same
    customer number, plus one message per case whose body holds personal values."""
    from templates_app import services

    lead = people["team_lead"]
    template = services.template_create(
        name="보안시험_개인정보_본문",
        audience="customer",
        service="driver",
        body=SECRET_BODY,
        variables={"name": "text", "account": "text", "contact": "text"},
        actor=lead,
    )
    services.template_version_approve(version=services.template_draft_version(template), actor=lead)
    secret = {}
    for label, case in (("mine", world.case), ("theirs", world.case_b)):
        secret[label] = services.message_queue(
            template_name=template.name,
            recipient=CUSTOMER_PHONE,
            context={"name": "홍길동", "account": ACCOUNT, "contact": CUSTOMER_PHONE},
            idempotency_key=f"security-secret-{label}",
            actor=lead,
            subject=case,
        )
    mine = list(world.case.outbound_messages.order_by("pk"))
    theirs = list(world.case_b.outbound_messages.order_by("pk"))
    assert mine and theirs
    return SimpleNamespace(
        mine=mine,
        theirs=theirs,
        secret_mine=secret["mine"],
        secret_theirs=secret["theirs"],
    )


def _listed_ids(response) -> set[int]:
    return {
        int(pk)
        for pk in re.findall(
            r'name="_selected_action" value="(\d+)"', response.content.decode(), re.S
        )
    }


def test_agent_admin_action_never_marks_another_agents_message(outbox, people, client_for):
    client = client_for(people["agent"])
    target = outbox.theirs[0]
    before = target.status
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "mark_sent_by_hand",
            "_selected_action": [target.pk],
            "apply": "1",
            "reason": "CEMS로 보냄",
        },
    )
    assert response.status_code in (200, 302)
    target.refresh_from_db()
    assert target.status == before
    assert target.hand_sent_by_id is None

    # The same action on the agent's own message works (the door is open, the object decides).
    own = outbox.mine[0]
    client.post(
        reverse(CHANGELIST),
        {
            "action": "mark_sent_by_hand",
            "_selected_action": [own.pk],
            "apply": "1",
            "reason": "CEMS",
        },
    )
    own.refresh_from_db()
    assert own.status == "sent_by_hand"
    assert own.hand_sent_by_id == people["agent"].pk


def test_mark_sent_by_hand_has_an_object_rule(outbox, people):
    from templates_app.services import message_mark_sent_by_hand

    agent, lead = people["agent"], people["team_lead"]
    theirs, mine = outbox.theirs[0], outbox.mine[0]
    before = theirs.status
    assert not user_can(agent, ACTION, theirs)
    assert user_can(agent, ACTION, mine)
    assert user_can(people["agent_b"], ACTION, theirs)
    assert user_can(lead, ACTION, theirs)
    assert not user_can(people["auditor"], ACTION, mine)
    # The case itself answers the same question (the workspace asks with the case).
    assert user_can(agent, ACTION, mine_case := outbox.mine[0].subject)
    assert not user_can(agent, ACTION, theirs.subject)
    assert mine_case.pk != theirs.subject.pk
    with pytest.raises(PermissionDenied):
        message_mark_sent_by_hand(message=theirs, reason="CEMS", actor=agent)
    theirs.refresh_from_db()
    assert theirs.status == before


def test_outbox_list_and_pages_are_scoped_to_the_cases_the_user_sees(outbox, people, client_for):
    mine = {m.pk for m in outbox.mine}
    theirs = {m.pk for m in outbox.theirs}
    agent = client_for(people["agent"])
    listed = _listed_ids(agent.get(reverse(CHANGELIST)))
    assert mine <= listed
    assert not listed & theirs
    assert agent.get(_change_url(outbox.theirs[0])).status_code == 404
    assert agent.get(_change_url(outbox.mine[0])).status_code == 200
    for role in ("team_lead", "deputy_lead", "manager", "auditor"):
        listed = _listed_ids(client_for(people[role]).get(reverse(CHANGELIST)))
        # Auditors get no action checkboxes: read the change links instead.
        if role == "auditor":
            content = client_for(people[role]).get(reverse(CHANGELIST)).content.decode()
            listed = {int(pk) for pk in re.findall(r"outboundmessage/(\d+)/change/", content)}
        assert mine | theirs <= listed, role


@pytest.mark.parametrize("role", ["agent", "team_lead", "deputy_lead", "manager", "auditor"])
def test_message_bodies_are_masked(outbox, people, client_for, role):
    client = client_for(people[role])
    message = outbox.secret_mine
    assert ACCOUNT in message.body  # the stored text is what was sent, in full
    page = client.get(_change_url(message)).content.decode()
    assert "홍**" in page  # the personal text value, masked like the API masks it
    leaked = [s for s in SECRETS if s in page]
    assert not leaked, f"{role} reads {leaked} in the outbox body"
    listing = client.get(reverse(CHANGELIST)).content.decode()
    assert not [s for s in SECRETS if s in listing]


def test_exact_recipient_search_is_a_post_and_the_url_holds_no_number(outbox, people, client_for):
    mine = {m.pk for m in outbox.mine if m.recipient == "01098765432"}
    theirs = {m.pk for m in outbox.theirs if m.recipient == "01098765432"}
    assert mine and theirs
    agent = client_for(people["agent"])
    changelist = agent.get(reverse(CHANGELIST)).content.decode()
    # The changelist offers the exact-number search as a POST form.
    form = re.search(r'<form[^>]*action="([^"]*find-recipient/)"[^>]*>', changelist)
    assert form and 'method="post"' in form.group(0)

    response = agent.post(reverse(FIND), {"recipient": CUSTOMER_PHONE})
    assert response.status_code == 302
    location = response["Location"]
    assert not [s for s in SECRETS if s in location], location
    assert re.search(r"[?&]rcpt=[0-9a-f]{64}(&|$)", location), location
    results = agent.get(location)
    assert results.status_code == 200
    found = _listed_ids(results)
    assert found == mine, (found, mine)  # the agent's own matches only

    lead = client_for(people["team_lead"])
    location = lead.post(reverse(FIND), {"recipient": "010 9876 5432"})["Location"]
    assert _listed_ids(lead.get(location)) == mine | theirs

    # The hash alone reveals nothing and finds nothing outside the session that searched.
    other = client_for(people["team_lead"])
    stranger = other.get(location)
    assert stranger.status_code == 200
    assert not _listed_ids(stranger)
    assert "다시 검색" in stranger.content.decode()


def test_a_full_number_in_the_get_search_box_is_not_searched(outbox, people, client_for):
    lead = client_for(people["team_lead"])
    response = lead.get(reverse(CHANGELIST), {"q": "01098765432"})
    assert response.status_code == 200
    assert not _listed_ids(response)
    assert "수신 번호(정확히)" in response.content.decode()


def test_bad_number_answers_in_korean_without_echoing_it(people, client_for):
    agent = client_for(people["agent"])
    response = agent.post(reverse(FIND), {"recipient": "12345"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "휴대전화 번호" in content
