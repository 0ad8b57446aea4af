"""A list page costs the same number of queries for 10 rows and for 300: the queue, the case
list and the auditor's history (no per-row queries, no COUNT over the table)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

#: session, user, roles (groups), services (agent profile), the page's rows, and the header
#: bell's unread count (issue 14.5); for the queue the work-permission subquery is inside the
#: rows query. Same bound for 10 and 120 rows (more than two pages).
QUEUE_MAX_QUERIES = 7
#: Queries a page adds to that bound: the queue's count per state (issue 13.6) is one aggregate
#: query over the queue's scope, whatever the number of cases.
EXTRA_QUERIES = {"workspace:queue": 1, "workspace:case_list": 0}
#: session, user, roles, the user filter's choices, the page's keys (one UNION query), user names
#: in the changes, and one per audited model present on the page (its rows with their previous
#: versions): bounded by the number of audited models, never by the number of rows.
HISTORY_FIXED_QUERIES = 6


def history_max_queries() -> int:
    from kmcs_site.history import audited_models

    return HISTORY_FIXED_QUERIES + len(audited_models())


@pytest.fixture
def many_cases(staff, make_case):
    """make(n): n driver cases, every other one assigned to staff.agent, the rest unassigned."""

    def make(n: int):
        for i in range(n):
            make_case(assignee=staff.agent if i % 2 else None)

    return make


@pytest.mark.parametrize("n", [10, 120])
@pytest.mark.parametrize("url_name", ["workspace:queue", "workspace:case_list"])
@pytest.mark.parametrize("who", ["agent", "lead"])
def test_case_lists_query_count_is_flat(
    staff, client_for, many_cases, django_assert_max_num_queries, n, url_name, who
):
    many_cases(n)
    client = client_for(getattr(staff, who))
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES + EXTRA_QUERIES[url_name]):
        response = client.get(reverse(url_name), {"status": "new"})
    assert response.status_code == 200
    assert len(response.context["cases"]) == min(n, 50)
    assert response.context["page"].has_next is (n > 50)


@pytest.mark.parametrize("url_name", ["workspace:queue", "workspace:case_list"])
def test_case_list_costs_exactly_the_same_for_10_and_300(staff, client_for, many_cases, url_name):
    client = client_for(staff.agent)
    many_cases(10)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse(url_name))
    many_cases(290)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse(url_name))
    assert len(small) == len(large)
    # No paginator COUNT(*) over the cases table; the queue's only count of cases is its one
    # statement of capped counts per state (COUNT(*) over ``LIMIT cap + 1`` subqueries, issue
    # 17.3): every COUNT there is of a LIMITed subquery. The header bell's count of the user's
    # own unread notifications (issue 14.5) is not a count of cases.
    counts = [
        q["sql"].upper()
        for q in large.captured_queries
        if "COUNT(" in q["sql"].upper() and '"CASES_CASE"' in q["sql"].upper()
    ]
    uncapped = [
        sql for sql in counts if sql.count("COUNT(*)") != len(re.findall(r"LIMIT \d+\) C\d", sql))
    ]
    assert not uncapped, counts
    assert len(counts) == EXTRA_QUERIES[url_name], counts


@pytest.mark.parametrize("n", [10, 300])
def test_history_query_count_is_flat(
    staff, client_for, many_cases, make_case, django_assert_max_num_queries, n
):
    many_cases(n)
    from cases.services import contact_attempt_log

    # A few other audited models on the newest page too (an OB log, its Agit post).
    contact_attempt_log(
        case=make_case(assignee=staff.agent), actor=staff.agent, target="driver", result="no_answer"
    )
    client = client_for(staff.auditor)
    with django_assert_max_num_queries(history_max_queries()):
        response = client.get(reverse("audit:history"))
    assert response.status_code == 200 and len(response.context["rows"]) == 50
    with django_assert_max_num_queries(history_max_queries()):
        response = client.get(reverse("audit:history"), {"model": "cases.case", "page": 2})
    assert len(response.context["rows"]) == (50 if n == 300 else 0)


def test_history_costs_exactly_the_same_for_10_and_300(staff, client_for, many_cases):
    client = client_for(staff.auditor)
    many_cases(10)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("audit:history"), {"model": "cases.case"})
    many_cases(290)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("audit:history"), {"model": "cases.case"})
    assert len(small) == len(large)
    assert not any("COUNT(" in q["sql"].upper() for q in large.captured_queries)
