"""The cost of auditing: each audited save is exactly one extra INSERT (its history row), never
a read of the history tables, and no audited write skips its history (a bulk UPDATE would)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)
#: The writes of a data-modifying ``WITH`` (single intake's case and history row in one
#: statement on PostgreSQL): ``WITH new AS (INSERT INTO "a" ...) INSERT INTO "b" ...``.
WITH_WRITE = re.compile(
    r'(?:^\s*WITH\s+\w+\s+AS\s+\(|\)\s+)(INSERT INTO|UPDATE|DELETE FROM)\s+"?([A-Za-z0-9_]+)"?',
    re.IGNORECASE,
)


def _writes(captured) -> list[tuple[str, str]]:
    """(verb, table) of every write, in order; a ``WITH`` statement counts each of its writes."""
    out = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("WITH"):
            found = WITH_WRITE.findall(sql)
        else:
            match = WRITE.match(sql)
            found = [match.groups()] if match else []
        out.extend((verb.upper(), table) for verb, table in found)
    return out


def _history_reads(captured, history_tables: set[str]) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and any(f'"{table}"' in q["sql"] for table in history_tables)
    ]


def _audited_tables() -> dict[str, str]:
    """table -> its historical table, for every model with simple-history."""
    from django.apps import apps

    tables = {}
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager:
            tables[model._meta.db_table] = getattr(model, manager).model._meta.db_table
    return tables


def _facts(call_id: str) -> dict:
    return {
        "received_on": "2024-12-01",
        "driver_id": "drv-0001",
        "call_id": call_id,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 15000,
        "called_on": "2024-11-30",
        "origin": "서울 강남구 테헤란로",
    }


def _create(staff, call_id: str):
    from cases.services import case_create

    return case_create(
        playbook="driver_nonride_cancel",
        facts=_facts(call_id),
        channel="chatbot_board",
        actor=staff["bench_chatbot"],
        customer_phone="010-0000-1234",
        driver_phone="010-0000-5678",
    )


def test_intake_is_one_insert_and_one_history_insert(bench_staff):
    with CaptureQueriesContext(connection) as captured:
        result = _create(bench_staff, "810000001")
    assert result.created
    assert _writes(captured) == [
        ("INSERT INTO", "cases_case"),
        ("INSERT INTO", "cases_historicalcase"),
    ]
    assert not _history_reads(captured, set(_audited_tables().values()))


def test_every_audited_write_of_a_case_s_life_has_exactly_one_history_insert(bench_staff):
    """Intake, take, decide (steps, outbox, Agit post, clocks), OB log: per audited table, as
    many history INSERTs as writes, and no statement reads a history table."""
    from cases.services import case_decide, case_take, contact_attempt_log

    agent = bench_staff["agents"]["driver"][0]
    audited = _audited_tables()
    with CaptureQueriesContext(connection) as captured:
        case = _create(bench_staff, "810000002").case
        case = case_take(case=case, actor=agent)
        case = case_decide(case=case, actor=agent)
        contact_attempt_log(case=case, actor=agent, target="driver", result="answered")
    writes = _writes(captured)
    assert case.status == "decided" and case.steps.exists() and case.outbound_messages.exists()

    history_tables = set(audited.values())
    for table, history in audited.items():
        own = [w for w in writes if w[1] == table]
        recorded = [w for w in writes if w[1] == history]
        assert len(recorded) == len(own), (table, own, recorded)
        assert all(kind == "INSERT INTO" for kind, _ in recorded), history
    touched = {t for _, t in writes}
    assert {"cases_case", "cases_casestep", "templates_app_outboundmessage"} <= touched
    assert not _history_reads(captured, history_tables)
