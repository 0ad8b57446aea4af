"""SMS 선발송 by hand: when CEMS was used directly, the agent records it on the case page; the
message then counts as delivered (the outbox never sends it), the answer can be saved, and a
second record, another case's message or another agent's case is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from templates_app.models import OutboundMessage
from tests.workspace.conftest import messages_of

pytestmark = pytest.mark.django_db


def _url(name: str, case: Case) -> str:
    return reverse(name, kwargs={"case_id": case.pk})


def _decided(client, case) -> list[OutboundMessage]:
    page = client.get(_url("workspace:case", case))
    client.post(
        _url("workspace:case_decide", case), {"fingerprint": page.context["page"].fingerprint}
    )
    drafted = list(OutboundMessage.objects.filter(object_id=case.pk).order_by("pk"))
    # Deciding drafts the SMS at their step ("취소완료" SMS): nothing is sent at the decision.
    assert len(drafted) == 2 and {m.status for m in drafted} == {"planned"}
    return drafted


def _reach_the_sms_step(client, case) -> None:
    for code in ("check_meter", "cancel_payment"):
        client.post(_url("workspace:case_step", case), {"step_code": code})


def test_agent_records_cems_sends_then_saves_the_answer(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    client = client_for(staff.agent)
    queued = _decided(client, case)  # on_commit never runs here: the outbox has not sent them
    page = client.get(_url("workspace:case", case)).content.decode()
    assert _url("workspace:case_message_sent_by_hand", case) in page

    url = _url("workspace:case_message_sent_by_hand", case)
    # Not before its step: "어드민 확인 후 결제취소" comes first (seed 002).
    early = client.post(url, {"message_id": queued[0].pk, "reason": "CEMS 직접 발송"})
    assert any("어드민 확인 후 결제취소" in m for m in messages_of(early)), messages_of(early)
    queued[0].refresh_from_db()
    assert queued[0].status == "planned"
    _reach_the_sms_step(client, case)
    for message in queued:
        response = client.post(url, {"message_id": message.pk, "reason": "CEMS 직접 발송"})
        assert messages_of(response) == [
            f"'{message.template.name}' 문자를 수동 발송(CEMS)으로 기록했습니다."
        ]
        message.refresh_from_db()
        assert message.status == "sent_by_hand" and message.hand_sent_by == staff.agent
        assert message.history.latest().history_user == staff.agent
    step = case.steps.get(code="send_sms")  # both recorded: the SMS step is done
    assert (step.status, step.done_by) == ("done", staff.agent)

    again = client.post(url, {"message_id": queued[0].pk, "reason": "다시"})
    assert any("이미 발송" in m for m in messages_of(again))

    response = client.post(_url("workspace:case_answer", case), {"text": "처리 안내"})
    assert messages_of(response) == ["답변내용을 저장했습니다."]


def test_missing_reason_and_foreign_message_are_refused(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    other = make_case(assignee=staff.agent, call_id="99887766")
    client = client_for(staff.agent)
    queued = _decided(client, case)
    url = _url("workspace:case_message_sent_by_hand", other)

    response = client.post(url, {"message_id": queued[0].pk, "reason": "CEMS"})
    assert any("이 케이스의 문자가 아닙니다" in m for m in messages_of(response))
    response = client.post(
        _url("workspace:case_message_sent_by_hand", case), {"message_id": queued[0].pk}
    )
    assert any("수동 발송 사유" in m for m in messages_of(response)), messages_of(response)
    queued[0].refresh_from_db()
    assert queued[0].status == "planned"


def test_another_agents_case_is_a_404_and_auditors_are_forbidden(staff, client_for, make_case):
    case = make_case(assignee=staff.agent)
    queued = _decided(client_for(staff.agent), case)
    url = _url("workspace:case_message_sent_by_hand", case)
    data = {"message_id": queued[0].pk, "reason": "CEMS"}
    assert client_for(staff.agent_b).post(url, data).status_code == 404
    assert client_for(staff.auditor).post(url, data).status_code == 403
    queued[0].refresh_from_db()
    assert queued[0].status == "planned"
