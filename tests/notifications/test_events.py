"""Each event of issue 14.5 notifies the right person, through the service that makes the change
(assignment, fact revision, a failed message) and never the person who acted."""

from __future__ import annotations

import pytest

from cases.services import case_assign, case_take
from cases.services.revisions import case_revise_facts
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def kinds(user):
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_a_lead_assigning_a_case_tells_the_assignee_with_a_link(make_case, staff):
    case = make_case(assignee=staff.agent)  # case_create with an assignee: the lead assigns
    row = Notification.objects.get(recipient=staff.agent)
    assert row.kind == Kind.CASE_ASSIGNED
    assert row.path == f"/work/cases/{case.pk}/" and row.case_id == case.pk
    assert f"케이스 #{case.pk}" in row.title
    # reassigning to agent_b tells agent_b; agent hears nothing more
    case_assign(case=case, assignee=staff.agent_b, actor=staff.lead)
    assert kinds(staff.agent_b) == [Kind.CASE_ASSIGNED]
    assert kinds(staff.agent) == [Kind.CASE_ASSIGNED]


def test_taking_a_case_yourself_is_no_news(make_case, staff):
    case = make_case()
    case_take(case=case, actor=staff.agent)
    assert kinds(staff.agent) == []


def test_a_fact_revised_by_someone_else_tells_the_assignee_once(make_case, staff):
    case = make_case(assignee=staff.agent)
    Notification.objects.all().delete()
    result = case_revise_facts(case=case, actor=staff.lead, facts={"amount": 5000}, note="확인")
    row = Notification.objects.get(recipient=staff.agent)
    assert row.kind == Kind.FACTS_REVISED
    assert row.dedupe_key == f"revision:{result.revision.pk}"
    assert "금액" in row.body and "확인" in row.body
    # the assignee revising their own case is not told about it
    case_revise_facts(case=case, actor=staff.agent, facts={"amount": 6000})
    assert Notification.objects.filter(recipient=staff.agent).count() == 1
    assert not Notification.objects.filter(recipient=staff.lead).exists()


def test_a_refused_revision_notifies_nobody(make_case, staff):
    from cases.exceptions import FactsInvalid

    case = make_case(assignee=staff.agent)
    Notification.objects.all().delete()
    with pytest.raises(FactsInvalid):
        case_revise_facts(case=case, actor=staff.lead, facts={"amount": -1})
    assert not Notification.objects.exists()
