"""Reads from a PostgreSQL streaming replica (issue 17.7).

The first tests need no replica: the router sends nothing anywhere new without one. The tests
marked ``replica`` run against a real standby (``.ci/replica start`` prints the
``DATABASE_REPLICA_URL`` to export) and skip without it: the dashboard reads from it, the
replica lag is real and measured (replay paused: the replica does not see a new case, the
primary does), and a user who just wrote reads the primary (read-your-own-write).
"""

from __future__ import annotations

import os
import time
from urllib.parse import urlparse

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from kmcs_site.db_router import (
    PIN_COOKIE,
    REPLICA,
    ReplicaRouter,
    replica_configured,
    replica_context,
)

REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
#: Most seconds a committed row may take to reach the loopback replica.
MAX_LAG_SECONDS = 5.0


def test_without_a_replica_every_read_stays_on_the_primary(settings):
    settings.DATABASES = {"default": settings.DATABASES["default"]}
    router = ReplicaRouter()
    with replica_context():
        assert not replica_configured()
        assert router.db_for_read(Case) == "default"
    assert router.db_for_write(Case) == "default"


def test_with_a_replica_only_marked_reads_go_to_it(settings):
    settings.KMCS_REPLICA_READS = True
    settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES["default"])}
    router = ReplicaRouter()
    assert router.db_for_read(Case) == "default"  # not inside replica_context
    with replica_context():
        assert router.db_for_read(Case) == REPLICA
        assert router.db_for_write(Case) == "default"  # writes: always the primary
    with replica_context(pinned=True):  # the user just wrote
        assert router.db_for_read(Case) == "default"
    assert not router.allow_migrate(REPLICA, "cases")
    assert router.allow_migrate("default", "cases")


# --- against a real streaming replica -----------------------------------------------------
replica = pytest.mark.skipif(
    not REPLICA_URL, reason="DATABASE_REPLICA_URL 미설정: .ci/replica start 후 실행"
)


def test_the_test_settings_keep_replica_reads_off_for_the_rest_of_the_suite(settings):
    settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES["default"])}
    with replica_context():
        assert ReplicaRouter().db_for_read(Case) == "default"


@pytest.fixture
def standby(transactional_db, settings):
    """The ``replica`` alias pointed at the standby's copy of this test database, and replica
    reads on (the test settings keep them off)."""
    settings.KMCS_REPLICA_READS = True
    url = urlparse(REPLICA_URL)
    conn = connections[REPLICA]
    saved = conn.settings_dict
    conn.close()
    # a copy: in tests the alias mirrors the primary's settings dict (the same object)
    conn.settings_dict = {
        **saved,
        "HOST": url.hostname,
        "PORT": str(url.port or 5432),
        "NAME": connections["default"].settings_dict["NAME"],
    }
    try:
        yield conn
    finally:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        conn.close()
        conn.settings_dict = saved


def _new_case() -> Case:
    return Case.objects.create(
        playbook="driver_nonride_cancel", service="driver", channel="chatbot_board"
    )


def _on_replica(pk: int) -> bool:
    with replica_context():
        return Case.objects.filter(pk=pk).exists()


def _wait_until_replicated(pk: int) -> float:
    started = time.monotonic()
    while not _on_replica(pk):
        if time.monotonic() - started > MAX_LAG_SECONDS:
            pytest.fail(f"case #{pk} not on the replica after {MAX_LAG_SECONDS} s")
        time.sleep(0.02)
    return time.monotonic() - started


@replica
@pytest.mark.replica
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_the_replica_is_a_read_only_streaming_standby(standby):
    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    case = _new_case()
    lag = _wait_until_replicated(case.pk)
    print(f"replica lag: {lag * 1000:.1f} ms")
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), standby.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET call_id = 'x'")


@replica
@pytest.mark.replica
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_dashboard_reads_the_replica_and_a_user_who_just_wrote_reads_the_primary(
    standby, make_user
):
    from django.test import Client

    lead = make_user("team_lead")
    client = Client()
    client.force_login(lead)
    _wait_until_replicated(_new_case().pk)
    with CaptureQueriesContext(standby) as on_replica:
        before = client.get(reverse("dashboard:index")).context["figures"].cases_in_range
    assert on_replica.captured_queries, "the dashboard did not read the replica"

    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")  # the replica lags from here on
    late = _new_case()
    time.sleep(0.3)
    assert not _on_replica(late.pk)  # lag: the replica has not seen it
    lagging = client.get(reverse("dashboard:index")).context["figures"].cases_in_range
    assert lagging == before

    posted = client.post(reverse("dashboard:index"))  # any write-method request pins
    assert posted.cookies[PIN_COOKIE]["max-age"] > 0
    pinned = client.get(reverse("dashboard:index")).context["figures"].cases_in_range
    assert pinned == before + 1  # read-your-own-write: the primary

    with standby.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    _wait_until_replicated(late.pk)
    client.cookies.pop(PIN_COOKIE)
    caught_up = client.get(reverse("dashboard:index")).context["figures"].cases_in_range
    assert caught_up == before + 1


@replica
@pytest.mark.replica
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_audit_pages_read_the_replica(standby, make_user):
    from django.test import Client

    auditor = make_user("auditor")
    client = Client()
    client.force_login(auditor)
    case = _new_case()
    _wait_until_replicated(case.pk)
    with CaptureQueriesContext(standby) as on_replica:
        assert client.get(reverse("audit:history")).status_code == 200
        assert client.get(reverse("audit:case_history", args=[case.pk])).status_code == 200
    assert on_replica.captured_queries, "the audit pages did not read the replica"
