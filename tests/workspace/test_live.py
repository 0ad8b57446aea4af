"""The case page without reloads and the keyboard's targets (issue 14.6).

A step tick, a step's send and a step marked N/A posted by htmx (``HX-Request: true``) answer
with the live part of the page (out-of-band pieces by id, the flash message included), not a
redirect; without htmx the same forms redirect as before. "Next case" follows the queue.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.services import case_decide
from tests.workspace.conftest import messages_of

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _url(name, case, **kwargs):
    return reverse(name, kwargs={"case_id": case.pk, **kwargs})


@pytest.fixture
def decided(staff, make_case):
    case = make_case(assignee=staff.agent)
    case_decide(case=case, actor=staff.agent)
    return case


def test_htmx_step_tick_returns_the_live_part_not_a_redirect(
    staff, client_for, decided, django_assert_max_num_queries
):
    client = client_for(staff.agent)
    with django_assert_max_num_queries(60):
        response = client.post(
            _url("workspace:case_step", decided), {"step_code": "check_meter"}, **HX
        )
    assert response.status_code == 200
    html = response.content.decode()
    for piece in ('id="steps-live"', 'id="messages-to-send"', 'id="status"', 'id="timeline"'):
        assert piece in html, piece
    assert html.count('hx-swap-oob="true"') >= 5
    assert "단계를 완료했습니다" in html
    assert "<html" not in html and 'class="topbar"' not in html  # a fragment, not the page
    assert decided.steps.get(code="check_meter").status == "done"
    # The ticked step is shown done; the next one now offers its button.
    assert 'id="step-1"' in html and 'class="done" id="step-1"' in html
    # The flash message went out with this answer: nothing is left for the next page.
    page = client.get(_url("workspace:case", decided)).content.decode()
    assert "단계를 완료했습니다" not in page


def test_htmx_refusal_is_a_korean_message_in_the_fragment(staff, client_for, decided):
    client = client_for(staff.agent)
    response = client.post(
        _url("workspace:case_step_send", decided), {"step_code": "send_sms"}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error"' in html and "어드민 확인 후 결제취소" in html
    assert decided.steps.get(code="send_sms").status == "pending"


def test_without_htmx_the_same_post_redirects(staff, client_for, decided):
    response = client_for(staff.agent).post(
        _url("workspace:case_step", decided), {"step_code": "check_meter"}
    )
    assert response.status_code == 302 and response["Location"] == _url("workspace:case", decided)
    assert any("단계를 완료했습니다" in m for m in messages_of(response))


def test_htmx_partial_respects_visibility(staff, client_for, decided):
    response = client_for(staff.agent_b).post(
        _url("workspace:case_step", decided), {"step_code": "check_meter"}, **HX
    )
    assert response.status_code == 404
    assert decided.steps.get(code="check_meter").status == "pending"


def test_case_page_marks_the_shortcut_buttons(staff, client_for, make_case):
    case = make_case()
    client = client_for(staff.agent)
    html = client.get(_url("workspace:case", case)).content.decode()
    assert 'data-shortcut="take"' in html and f'data-case-id="{case.pk}"' in html
    assert 'id="shortcut-help"' in html and "kmcs/shortcuts.js" in html
    assert 'data-next-url="/work/next/"' in html
    client.post(_url("workspace:case_take", case))
    html = client.get(_url("workspace:case", case)).content.decode()
    assert 'data-shortcut="decide"' in html and 'data-shortcut="take"' not in html
    client.post(_url("workspace:case_decide", case), {"fingerprint": _fingerprint(client, case)})
    html = client.get(_url("workspace:case", case)).content.decode()
    assert 'data-shortcut="tick"' in html and 'data-shortcut="answer"' in html
    assert 'hx-post="' + _url("workspace:case_step", case) + '"' in html


def _fingerprint(client, case):
    return client.get(_url("workspace:case", case)).context["page"].fingerprint


def test_next_case_follows_the_queue_and_skips_the_one_on_screen(staff, client_for, make_case):
    first = make_case(assignee=staff.agent)
    second = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    url = reverse("workspace:case_next")
    assert client.get(url)["Location"] == _url("workspace:case", first)
    response = client.get(url, {"after": first.pk})
    assert response["Location"] == _url("workspace:case", second)
    # Another agent's cases are not in my queue: nothing next, back to the queue with a message.
    response = client_for(staff.agent_b).get(url, {"after": "x"})
    assert response["Location"] == reverse("workspace:queue")
    assert messages_of(response) == ["내 큐에 다음 케이스가 없습니다."]
    assert client_for(staff.auditor).get(url).status_code == 403
