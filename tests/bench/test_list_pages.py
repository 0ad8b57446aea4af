"""Every list page of the product costs the same small number of SQL queries with a few rows
and with many (issue 7: at most 10), and none counts a whole table.

Small data from ``bench/seed_data.py`` (every big table gets rows), counted, never timed: the
timed runs are ``bench/run.py``. Transaction control (BEGIN, COMMIT, SAVEPOINT...) is not a
query here; everything else the page sends is.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10
PRODUCT_APPS = ("cases", "fines", "templates_app", "partners")
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def statements(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


def whole_table_counts(sqls: list[str]) -> list[str]:
    """COUNT queries with neither a LIMIT (capped) nor a WHERE (scoped to a filter/object)."""
    return [
        s
        for s in sqls
        if "COUNT(" in s.upper() and " LIMIT " not in s.upper() and " WHERE " not in s
    ]


def get(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return statements(captured)


def product_changelists() -> list[str]:
    return sorted(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
        if model._meta.app_label in PRODUCT_APPS
    )


@pytest.fixture
def logged_in(client, bench_staff, django_user_model):
    def login(username: str):
        if username == "root":
            user = django_user_model.objects.create_superuser(
                "bench_root", "bench_root@kmcs.example", "unused-pw-1234"
            )
        else:
            user = django_user_model.objects.get(username=username)
        client.force_login(user)
        return client

    return login


@pytest.mark.parametrize("url_name", product_changelists())
def test_admin_changelist_costs_few_queries_whatever_the_rows(logged_in, seeded, url_name):
    client = logged_in("root")
    url = reverse(url_name)
    seeded(10)
    client.get(url)  # first request of the session: content types, caches
    small = get(client, url)
    seeded(60)
    large = get(client, url)
    assert len(large) <= MAX_QUERIES, large
    assert len(large) == len(small)
    assert not whole_table_counts(large), whole_table_counts(large)


CASE_LIST_QUERIES = [
    "",
    "?status__exact=closed&playbook__exact=traffic_fine",
    "?outcome__exact=approved",
    "?q=1234",
    "?channel__exact=chat&assignee__isnull=False",
]


@pytest.mark.parametrize("username", ["bench_lead", "bench_driver_01"])
@pytest.mark.parametrize("params", CASE_LIST_QUERIES)
def test_case_changelist_for_leads_and_agents(logged_in, seeded, username, params):
    """The case list through the visibility selector, with filters and search: flat, no
    DISTINCT scan behind a filter's choices, no full COUNT."""
    client = logged_in(username)
    url = reverse("admin:cases_case_changelist") + params
    seeded(10)
    client.get(url)
    small = get(client, url)
    seeded(60)
    large = get(client, url)
    assert len(large) <= MAX_QUERIES, large
    assert len(large) == len(small)
    assert not whole_table_counts(large)
    assert not [s for s in large if "DISTINCT" in s and '"cases_case"' in s.split("FROM")[1]]


WORKSPACE_LISTS = [
    ("workspace:queue", "bench_driver_01"),
    ("workspace:queue", "bench_lead"),
    ("workspace:case_list", "bench_driver_01"),
    ("workspace:case_list", "bench_lead"),
    ("audit:history", "bench_auditor"),
    ("api:case-list", "bench_lead"),
]


@pytest.mark.parametrize(("url_name", "username"), WORKSPACE_LISTS)
def test_workspace_audit_and_api_lists_cost_few_queries(logged_in, seeded, url_name, username):
    client = logged_in(username)
    url = reverse(url_name)
    seeded(10)
    client.get(url)
    small = get(client, url)
    seeded(60)
    large = get(client, url)
    assert len(large) <= MAX_QUERIES, large
    assert len(large) == len(small)
    assert not whole_table_counts(large)


def test_history_of_one_case_costs_the_same_for_few_and_many_versions(logged_in, seeded):
    """The admin history page of an object: a page of versions, whatever their number."""
    from cases.models import Case

    seeded(10)
    client = logged_in("bench_lead")
    case = Case.objects.filter(status="closed").first()
    url = reverse("admin:cases_case_history", args=[case.pk])

    def add_versions(n: int) -> None:
        base = case.history.order_by("-history_date").first()
        history = Case.history.model
        names = [f.attname for f in history._meta.concrete_fields if f.attname != "history_id"]
        history.objects.bulk_create(
            history(**{**{name: getattr(base, name) for name in names}, "record_notes": f"v{i}"})
            for i in range(n)
        )

    client.get(url)
    few = get(client, url)
    add_versions(250)  # more than one page (100 a page)
    many = get(client, url)
    assert len(many) == len(few) <= MAX_QUERIES
