"""Who sees which case: guardian assignment, services, 404 not 403; assignment and unmasking."""

from __future__ import annotations

import pytest
from django.http import Http404

from cases.exceptions import ActionNotAllowed, FactsInvalid, InvalidAssignee
from cases.models import Case, CaseUserObjectPermission, UnmaskLog
from cases.playbooks.base import StaticEnv
from cases.selectors import (
    case_get_for_user_or_404,
    case_history_for,
    case_list_visible_to,
    case_queue_for,
)
from cases.services import (
    case_assign,
    case_decide,
    case_force_close,
    case_phone_unmask,
    case_take,
    staff_profile_set_services,
)
from kmcs_site.permissions import user_can
from tests.cases.conftest import AT

pytestmark = pytest.mark.django_db


def _ids(qs):
    return sorted(qs.values_list("pk", flat=True))


def test_assignment_moves_the_guardian_permission(make_case, staff):
    case = make_case("approve")
    case_assign(case=case, assignee=staff.agent, actor=staff.lead)
    assert staff.agent.has_perm("cases.work_case", case)
    case_assign(case=case, assignee=staff.agent_b, actor=staff.lead)
    fresh_a = type(staff.agent).objects.get(pk=staff.agent.pk)
    assert not fresh_a.has_perm("cases.work_case", case)
    assert CaseUserObjectPermission.objects.filter(content_object=case).count() == 1
    case_assign(case=case, assignee=None, actor=staff.lead)
    assert CaseUserObjectPermission.objects.filter(content_object=case).count() == 0
    case.refresh_from_db()
    assert case.assignee is None
    reasons = list(case.history.values_list("history_change_reason", "history_user__username"))
    assert ("배정 해제", "lead") in reasons and ("배정: agent_b", "lead") in reasons


def test_agent_a_cannot_get_agent_bs_case(make_case, staff):
    case = make_case("approve", assignee=staff.agent_b)
    with pytest.raises(Http404):
        case_get_for_user_or_404(user=staff.agent, case_id=case.pk)
    assert case_get_for_user_or_404(user=staff.agent_b, case_id=case.pk).pk == case.pk
    for user in (staff.lead, staff.deputy, staff.manager, staff.auditor):
        assert case_get_for_user_or_404(user=user, case_id=case.pk).pk == case.pk
    for user in (staff.integration, None):
        with pytest.raises(Http404):
            case_get_for_user_or_404(user=user, case_id=case.pk)
    with pytest.raises(Http404):
        case_get_for_user_or_404(user=staff.lead, case_id="not-a-number")
    assert not user_can(staff.agent, "cases.case.view", case)
    assert user_can(staff.agent_b, "cases.case.view", case)


def test_lists_per_role(make_case, staff):
    mine = make_case("approve", assignee=staff.agent)
    theirs = make_case("approve", assignee=staff.agent_b)
    open_driver = make_case("approve")
    # The fake playbook is a driver one; re-home one case to parking for the service filter.
    parking = make_case("approve")
    Case.objects.filter(pk=parking.pk).update(service="parking")

    assert _ids(case_list_visible_to(user=staff.agent)) == sorted([mine.pk, open_driver.pk])
    assert _ids(case_list_visible_to(user=staff.agent_b)) == sorted([theirs.pk, open_driver.pk])
    assert _ids(case_list_visible_to(user=staff.parking_agent)) == [parking.pk]
    everything = sorted([mine.pk, theirs.pk, open_driver.pk, parking.pk])
    for user in (staff.lead, staff.deputy, staff.manager, staff.auditor):
        assert _ids(case_list_visible_to(user=user)) == everything
    assert _ids(case_list_visible_to(user=staff.integration)) == []
    assert _ids(case_list_visible_to(user=None)) == []


def test_an_agent_without_services_sees_only_assigned_cases(make_case, staff, make_user):
    newcomer = make_user("agent")
    make_case("approve")
    assigned = make_case("approve", assignee=newcomer)
    assert _ids(case_list_visible_to(user=newcomer)) == [assigned.pk]
    staff_profile_set_services(user=newcomer, services=["driver"], actor=staff.manager)
    assert len(_ids(case_list_visible_to(user=newcomer))) == 2


def test_queue_shows_open_cases_mine_first(make_case, staff):
    """The queue holds every case not closed yet, a decided one whose steps are still to do
    included (issue 13.6): the agent's own first, then the unassigned ones; a closed case
    leaves it."""
    older_open = make_case("reject")
    mine = make_case("reject", assignee=staff.agent)
    decided = make_case("reject", assignee=staff.agent)
    case_decide(case=decided, actor=staff.agent, at=AT, env=StaticEnv())
    closed = make_case("reject", assignee=staff.agent)
    case_decide(case=closed, actor=staff.agent, at=AT, env=StaticEnv())
    case_force_close(case=closed, reason="테스트: 종결된 건은 큐에서 빠짐", actor=staff.lead)
    assert Case.objects.get(pk=closed.pk).status == "closed"
    queue = list(case_queue_for(user=staff.agent))
    assert [c.pk for c in queue] == [mine.pk, decided.pk, older_open.pk]
    assert [c.is_mine for c in queue] == [True, True, False]
    lead_queue = [c.pk for c in case_queue_for(user=staff.lead)]
    # unassigned first, then oldest
    assert lead_queue == [older_open.pk, mine.pk, decided.pk]


def test_take_and_assign_permissions(make_case, staff):
    case = make_case("approve")
    with pytest.raises(ActionNotAllowed):
        case_take(case=case, actor=staff.parking_agent)  # not their service
    case_take(case=case, actor=staff.agent)
    assert Case.objects.get(pk=case.pk).assignee == staff.agent
    with pytest.raises(ActionNotAllowed):
        case_take(case=case, actor=staff.agent_b)  # already taken
    with pytest.raises(ActionNotAllowed):
        case_assign(case=case, assignee=staff.agent_b, actor=staff.agent)  # agents don't assign
    with pytest.raises(InvalidAssignee):
        case_assign(case=case, assignee=staff.auditor, actor=staff.lead)
    case_assign(case=case, assignee=staff.agent_b, actor=staff.manager)
    assert Case.objects.get(pk=case.pk).assignee == staff.agent_b


def test_unmasking_is_for_leads_and_is_logged(make_case, staff):
    case = make_case("approve")
    assert case.masked_customer_phone == "010-****-1234"
    with pytest.raises(ActionNotAllowed):
        case_phone_unmask(case=case, actor=staff.agent, reason="확인")
    with pytest.raises(FactsInvalid):
        case_phone_unmask(case=case, actor=staff.lead, reason=" ")
    assert UnmaskLog.objects.count() == 0
    number = case_phone_unmask(
        case=case, actor=staff.lead, field="driver_phone", reason="OB 재시도"
    )
    assert number == "010-0000-5678"
    log = UnmaskLog.objects.get()
    assert (log.by, log.field, log.reason) == (staff.lead, "driver_phone", "OB 재시도")


def test_history_for_auditors_masks_phones_and_names_actors(make_case, staff):
    from cases.services import case_record_update

    case = make_case("approve")
    case_record_update(case=case, actor=staff.lead, customer_phone="010-0000-4321")
    case_decide(case=case, actor=staff.agent, at=AT, env=StaticEnv())
    case_phone_unmask(case=case, actor=staff.manager, reason="확인")
    entries = case_history_for(user=staff.auditor, case_id=case.pk)
    assert [e.change_type for e in entries if e.model == "case"] == ["+", "~", "~"]
    phone_change = next(e for e in entries if e.model == "case" and e.user == staff.lead)
    changed = {label: (old, new) for label, old, new in phone_change.changes}
    assert changed["고객 전화번호"] == ("010-****-1234", "010-****-4321")
    assert any(e.model == "casestep" and e.user == staff.agent for e in entries)
    assert any(e.model == "escalationpost" for e in entries)
    assert entries[-1].model == "unmasklog" and entries[-1].user == staff.manager
    with pytest.raises(Http404):
        case_history_for(user=staff.agent, case_id=case.pk)  # agents: no audit history


def test_history_query_count_is_flat(make_case, staff, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.services import case_record_update, contact_attempt_log

    def count(case):
        staff.auditor._kmcs_roles = None
        with CaptureQueriesContext(connection) as ctx:
            case_history_for(user=staff.auditor, case_id=case.pk)
        return len(ctx)

    small, large = make_case("approve"), make_case("approve")
    case_record_update(case=small, actor=staff.lead, record_notes="메모")
    for n in range(20):
        case_record_update(case=large, actor=staff.lead, record_notes=f"메모 {n}")
        contact_attempt_log(case=large, actor=staff.lead, target="driver", result="no_answer")
    assert count(small) == count(large) <= 7


def test_the_queue_subquery_equals_guardians_answer(make_case, staff):
    from guardian.shortcuts import get_objects_for_user

    from cases.selectors import _work_permission_case_ids

    mine = [make_case("approve", assignee=staff.agent) for _ in range(3)]
    make_case("approve", assignee=staff.agent_b)
    ours = sorted(
        Case.objects.filter(pk__in=_work_permission_case_ids(staff.agent)).values_list(
            "pk", flat=True
        )
    )
    guardians = get_objects_for_user(
        staff.agent,
        "cases.work_case",
        klass=Case,
        use_groups=False,
        with_superuser=False,
        accept_global_perms=False,
    )
    assert ours == sorted(guardians.values_list("pk", flat=True)) == sorted(c.pk for c in mine)


def test_queue_for_nobody_is_empty(make_case):
    make_case("approve")
    assert list(case_queue_for(user=None)) == []


def _queries(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx)


def test_queue_and_detail_cost_the_same_for_few_and_many(make_case, staff):
    def fresh(user):
        return type(user).objects.get(pk=user.pk)  # no cached roles/services

    def queue_rows():
        for case in case_queue_for(user=fresh(staff.agent)):
            str(case.assignee), str(case.consultation_type)

    def detail(case):
        def run():
            got = case_get_for_user_or_404(user=fresh(staff.agent), case_id=case.pk)
            for step in got.steps.all():
                str(step.done_by)
            for post in got.escalation_posts.all():
                str(post.created_by)
            for attempt in got.contact_attempts.all():
                str(attempt.by)
            list(got.outbound_messages.all())

        return run

    from cases.services import case_step_complete, case_step_send, contact_attempt_log

    first = make_case("approve", assignee=staff.agent)
    case_decide(case=first, actor=staff.agent, at=AT, env=StaticEnv())
    few = _queries(queue_rows), _queries(detail(first))
    for _ in range(12):
        make_case("approve", assignee=staff.agent)
        make_case("approve")
    case_step_complete(case=first, step_code="cancel_payment", actor=staff.agent)
    case_step_send(case=first, step_code="send_sms", actor=staff.agent)
    for _ in range(5):
        contact_attempt_log(case=first, actor=staff.agent, target="driver", result="no_answer")
    many = _queries(queue_rows), _queries(detail(first))
    assert few == many
