"""내 큐 (issue 13.6): all of an agent's work (new, in progress, waiting, decided but not
closed), with age, next due time and overdue marks computed at read, sortable by due time and
age, with a count per state; the query count is flat (10 vs 500 cases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, StepClock

pytestmark = pytest.mark.django_db


def _decided(make_case, staff):
    from cases.services import case_decide

    case = make_case(assignee=staff.agent)
    return case_decide(case=case, actor=staff.agent)


_tids = iter(range(660_001, 669_999))


def _decided_ev(staff):
    """A decided seed-003 case (A: CPO and team): its waiting steps run clocks."""
    from cases.services import case_create, case_decide, staff_profile_set_services

    staff_profile_set_services(user=staff.agent, services=["driver", "ev"], actor=staff.lead)
    case = case_create(
        playbook="ev_charging",
        facts={
            "case_type": "paid_not_charged",
            "station_name": "테스트 충전소",
            "station_kind": "non_direct",
            "charge_started_at": "2025-10-01T09:00:00+09:00",
            "charge_ended_at": "2025-10-01T09:40:00+09:00",
            "tid": f"TID-{next(_tids)}",
            "kwh": "12.500",
            "amount": 5000,
            "cpo_name": "테스트CPO",
        },
        channel="chatbot_board",
        actor=staff.agent,
        customer_phone="010-0000-1234",
        assignee=staff.agent,
    ).case
    case = case_decide(case=case, actor=staff.agent)
    assert StepClock.objects.filter(case=case).exists()
    return case


def test_queue_holds_every_state_but_closed_with_a_count_per_state(staff, client_for, make_case):
    from cases.services import case_transition

    new = make_case(assignee=staff.agent)
    started = make_case(assignee=staff.agent)
    case_transition(case=started, transition="start", actor=staff.agent)
    waiting = make_case(assignee=staff.agent)
    case_transition(case=waiting, transition="start", actor=staff.agent)
    case_transition(case=waiting, transition="wait", waiting_on="cpo", actor=staff.agent)
    decided = _decided(make_case, staff)
    closed = _decided(make_case, staff)
    Case.objects.filter(pk=closed.pk).update(status="closed", closed_at=timezone.now())
    unassigned = make_case()

    response = client_for(staff.agent).get(reverse("workspace:queue"))
    shown = list(response.context["cases"])
    assert set(shown) == {new, started, waiting, decided, unassigned}  # waiting on the CPO too
    assert closed not in shown
    assert shown[-1] == unassigned  # mine first
    counts = response.context["counts"]
    assert (counts["new"], counts["in_progress"], counts["waiting"], counts["decided"]) == (
        2,
        1,
        1,
        1,
    )
    assert counts["mine"] == 4
    html = response.content.decode()
    assert 'id="count-decided">1' in html and 'id="count-waiting">1' in html
    # Filtering by a queue state works, closed is not a queue state.
    client = client_for(staff.agent)
    assert list(client.get(reverse("workspace:queue"), {"status": "decided"}).context["cases"]) == [
        decided
    ]
    refused = client.get(reverse("workspace:queue"), {"status": "closed"})
    assert refused.context["cases"] == [] and refused.context["form"].errors


def test_overdue_is_computed_from_the_due_time_at_read_without_the_job(
    staff, client_for, make_case
):
    from cases.selectors import case_queue_counts, case_queue_for

    late = _decided_ev(staff)
    on_time = _decided_ev(staff)
    clocks = StepClock.objects.filter(case=late, stopped_at__isnull=True)
    past = timezone.now() - timedelta(hours=2)
    clocks.update(due_at=past, started_at=past - timedelta(days=1))
    StepClock.objects.filter(case=on_time).update(due_at=timezone.now() + timedelta(days=3))
    assert not StepClock.objects.filter(overdue_marked_at__isnull=False).exists()  # no job ran

    rows = {c.pk: c for c in case_queue_for(user=staff.agent)}
    assert rows[late.pk].is_overdue and not rows[on_time.pk].is_overdue
    assert rows[late.pk].next_due_at == past
    assert case_queue_counts(user=staff.agent)["overdue"] == 1
    html = client_for(staff.agent).get(reverse("workspace:queue")).content.decode()
    assert "기한 초과" in html
    # A paused clock (waiting on the customer) is not overdue.
    clocks.update(paused_at=past - timedelta(hours=1))
    assert not {c.pk: c for c in case_queue_for(user=staff.agent)}[late.pk].is_overdue


def test_sort_by_due_time_and_by_age(staff, client_for, make_case):
    from cases.selectors import case_queue_for

    oldest = make_case(assignee=staff.agent)
    middle = _decided_ev(staff)
    newest = _decided_ev(staff)
    Case.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=3))
    Case.objects.filter(pk=middle.pk).update(created_at=timezone.now() - timedelta(days=2))
    soon, later = timezone.now() + timedelta(hours=1), timezone.now() + timedelta(days=2)
    StepClock.objects.filter(case=middle).update(due_at=later)
    StepClock.objects.filter(case=newest).update(due_at=soon)

    def order(sort):
        return [c.pk for c in case_queue_for(user=staff.agent, sort=sort)]

    assert order("due") == [newest.pk, middle.pk, oldest.pk]  # no clock last
    assert order("-due") == [middle.pk, newest.pk, oldest.pk]
    assert order("age") == [oldest.pk, middle.pk, newest.pk]
    assert order("-age") == [newest.pk, middle.pk, oldest.pk]
    client = client_for(staff.agent)
    assert [
        c.pk for c in client.get(reverse("workspace:queue"), {"sort": "due"}).context["cases"]
    ] == order("due")
    bad = client.get(reverse("workspace:queue"), {"sort": "drop table"})
    assert bad.context["cases"] == [] and "sort" in bad.context["form"].errors


def test_queue_page_shows_age_and_next_due(staff, client_for, make_case):
    case = _decided(make_case, staff)
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(days=2))
    html = client_for(staff.agent).get(reverse("workspace:queue")).content.decode()
    assert "경과" in html and "다음 기한" in html
    assert "2일" in html


QUEUE_MAX_QUERIES = 8


@pytest.mark.parametrize("who", ["agent", "lead"])
def test_queue_query_count_is_flat_for_10_and_200_cases(
    staff, client_for, make_case, django_assert_max_num_queries, who
):
    """10 cases (some decided, with clocks) and then 200 (four pages): the same bound."""
    from cases.services import case_decide

    client = client_for(getattr(staff, who))

    def make(n):
        for i in range(n):
            case = make_case(assignee=staff.agent if i % 2 else None)
            if i % 5 == 1:
                case_decide(case=case, actor=staff.agent)

    _decided_ev(staff)  # rows with running clocks (next due time, overdue mark)
    make(10)
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES):
        small = client.get(reverse("workspace:queue"), {"sort": "due"})
    make(190)
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES):
        big = client.get(reverse("workspace:queue"), {"sort": "due"})
    assert small.status_code == big.status_code == 200
    assert len(big.context["cases"]) == 50 and big.context["page"].has_next


def test_an_agent_with_no_service_yet_gets_an_empty_queue_not_an_error(
    client, make_user, make_case
):
    """A new agent whose lead has not set their services yet: no branch of the index-ordered
    queue can match, and the page says there is nothing instead of failing (issue 17.3)."""
    make_case()  # someone else's work exists
    newcomer = make_user("agent", username="newcomer")
    client.force_login(newcomer)
    response = client.get(reverse("workspace:queue"))
    assert response.status_code == 200
    assert list(response.context["cases"]) == []
