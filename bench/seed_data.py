"""Generate realistic KMCS data fast: N cases across all five playbooks, with what deciding and
closing them leaves behind (steps, SMS in the outbox, Agit posts, OB logs, rides, fine notices
and payouts, case assignments) and the simple-history rows every one of those writes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kmcs_bench \\
        .venv/bin/python bench/seed_data.py --cases 1000000

How it stays fast and realistic at once:

- **Realistic content.** Each playbook has a few fact sets (one per branch of its seed). At
  start-up every fact set goes through the playbook's own ``FACTS`` and ``propose()`` and every
  proposed SMS through ``render_sms`` with the approved template version, once. Generated cases
  copy those results (outcome, reason, 상담이력, memos, steps, messages, Agit post, consultation
  type) and get their own identifiers (call IDs, TIDs, payment IDs, car numbers, phones), so
  business keys, rides and fines are unique the way production's are.
- **Fast writing.** On PostgreSQL rows are formatted as ``COPY`` text and streamed through
  psycopg 3 (``cursor.copy``) by a loader thread on its own connection, while the main thread
  formats the next chunk: the two cores work at once. The loader session skips trigger-based
  foreign-key checks (``session_replication_role = replica``; the generator writes consistent
  keys) and commits per chunk. Elsewhere (SQLite: the test suite's smoke test) the same rows go
  through ``bulk_create``. Memory stays flat: one chunk formatted, one being loaded.
- **History included.** The historical tables get the rows ``HistoricalRecords`` would have
  written ("+" at intake, "~" at assignment, decision, closing...), written in bulk alongside,
  never row by row.
- Every column of every table is filled: the ones the generator does not set get the model
  field's default (or, for a new NOT NULL column without one, a typed fallback reported once),
  so a migration adding a column does not break the generator.
- Primary keys continue after the current maximum (seeding twice adds N more cases), sequences
  are reset afterwards, and ``VACUUM ANALYZE`` runs on PostgreSQL so the planner and the
  visibility map see the new rows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Share of cases per playbook (a customer center's rough mix).
PLAYBOOK_MIX = {
    "driver_nonride_cancel": 0.32,
    "parking_double_payment": 0.25,
    "ev_charging": 0.15,
    "traffic_fine": 0.16,
    "parking_operations": 0.12,
}
#: The newest share of cases still open (new / in progress / waiting), then the share decided
#: but not yet closed (answers, payouts, partners pending: their step clocks still run); every
#: older case is closed.
OPEN_SHARE = 0.02
DECIDED_SHARE = 0.02
CONTACT_SHARE = 0.10  # decided cases with an OB log
#: Bench staff: agents per service (the queue's "my services") and one user per other role.
AGENTS_PER_SERVICE = {"driver": 12, "parking": 10, "ev": 4}
OTHER_STAFF = {
    "bench_lead": "team_lead",
    "bench_deputy": "deputy_lead",
    "bench_manager": "manager",
    "bench_auditor": "auditor",
    "bench_chatbot": "integration",
}

# Tokens in the prototype facts that each case replaces with its own identifiers.
T_CALL = "987650001"
T_DRIVER = "drv-SENTINEL"
T_TID = "TID-SENTINEL"
T_CAR = "99허9999"
T_PAY = "PAY-SENTINEL"


# --- prototype facts: one per branch of each seed -------------------------------------------


def _nonride(**over) -> dict:
    facts = {
        "received_on": "2024-12-01",
        "driver_id": T_DRIVER,
        "call_id": T_CALL,
        "meter_distance_km": "0.0",
        "meter_minutes": 1,
        "start_equals_last_point": True,
        "fare_amount": 15000,
        "called_on": "2024-11-30",
        "origin": "서울 강남구 테헤란로",
    }
    return {**facts, **over}


def _double_payment(**over) -> dict:
    facts = {
        "channel": "chat",
        "ownership_verified": True,
        "lot_name": "강남역 제2공영주차장",
        "lot_district": "서울 강남구",
        "lot_integration": "linked",
        "entry_at": "2024-12-01T10:00:00+09:00",
        "exit_at": "2024-12-01T12:00:00+09:00",
        "car_number": T_CAR,
        "pass_amount": 6000,
        "other_app": "tmap",
        "usage_history_attached": True,
        "ticket_hours": 3,
        "ticket_car_number": T_CAR,
        "ticket_date": "2024-12-01",
        "onsite_check_needed": False,
    }
    return {**facts, **over}


def _ev(case_type: str, **over) -> dict:
    facts = {
        "case_type": case_type,
        "station_name": "강남 테헤란로 충전소",
        "charge_started_at": "2024-12-01T09:00:00+09:00",
        "charge_ended_at": "2024-12-01T09:40:00+09:00",
        "tid": T_TID,
        "kwh": "12.500",
        "amount": 5000,
        "cpo_name": "이브이파트너스",
    }
    return {**facts, **over}


def _operations(**over) -> dict:
    facts = {
        "request_kind": "car_number_change",
        "partner": "kmpark",
        "site_kind": "manual_normal",
        "lot_name": "케이엠파크 역삼 수동현장",
        "car_number": T_CAR,
        "new_car_number": "34나5678",
    }
    return {**facts, **over}


def _midterm(**over) -> dict:
    return _operations(
        request_kind="midterm_cancel",
        new_car_number="",
        paid_amount=150000,
        start_date="2024-11-01",
        cancel_date="2024-11-10",
        daily_max_fee=10000,
        **over,
    )


def _fine(**over) -> dict:
    facts = {
        "call_id": T_CALL,
        "has_notice_image": True,
        "bank": "088",
        "account_number": "110-123-456789",
        "account_holder": "홍길동",
        "amount": 40000,
        "violation_at": "2024-11-20T22:10:00+09:00",
        "violation_place": "서울 강남구 테헤란로",
        "notice_issued_on": "2024-11-28",
        "received_on": "2024-12-01",
        "evidence_result": "pass",
    }
    return {**facts, **over}


@dataclass(frozen=True)
class Prototype:
    playbook: str
    weight: float  # within the playbook
    channel: str
    facts: dict
    references: dict = field(default_factory=dict)


PROTOTYPES: tuple[Prototype, ...] = (
    # seed 002
    Prototype("driver_nonride_cancel", 50, "chatbot_board", _nonride()),
    Prototype(
        "driver_nonride_cancel",
        22,
        "chatbot_board",
        _nonride(meter_distance_km="3.2", meter_minutes=15),
    ),
    Prototype(
        "driver_nonride_cancel",
        12,
        "chatbot_board",
        _nonride(already_cancelled=True, cancelled_on="2024-11-30", cancelled_amount=15000),
    ),
    Prototype(
        "driver_nonride_cancel",
        8,
        "chatbot_board",
        _nonride(inquiry_kind="other", other_inquiry_summary="포인트 적립 문의"),
    ),
    Prototype(
        "driver_nonride_cancel",
        8,
        "chatbot_board",
        _nonride(
            has_open_duplicate=True, duplicate_received_on="2024-11-29", duplicate_ref="상담ID 1"
        ),
    ),
    # seed 000
    Prototype(
        "parking_double_payment", 38, "chat", _double_payment(), {"parking_payment_id": T_PAY}
    ),
    Prototype(
        "parking_double_payment",
        14,
        "chat",
        _double_payment(exit_at="2024-12-01T14:30:00+09:00"),
        {"parking_payment_id": T_PAY},
    ),
    Prototype(
        "parking_double_payment",
        10,
        "chat",
        _double_payment(ticket_purchased_at="2024-12-01T10:30:00+09:00"),
        {"parking_payment_id": T_PAY},
    ),
    Prototype(
        "parking_double_payment",
        10,
        "chat",
        _double_payment(ticket_car_number="34나5678"),
        {"parking_payment_id": T_PAY},
    ),
    Prototype(
        "parking_double_payment",
        10,
        "chat",
        _double_payment(usage_history_attached=False),
        {"parking_payment_id": T_PAY},
    ),
    Prototype(
        "parking_double_payment",
        6,
        "chat",
        _double_payment(lot_name="성북구 공영주차장", lot_district="서울 성북구"),
        {"parking_payment_id": T_PAY},
    ),
    Prototype(
        "parking_double_payment",
        6,
        "chat",
        _double_payment(lot_name="속초 해수욕장 공영주차장", lot_district="강원 속초시"),
        {"parking_payment_id": T_PAY},
    ),
    Prototype(
        "parking_double_payment",
        6,
        "chat",
        _double_payment(lot_name="인천공항 제1터미널 단기주차장", lot_district="인천 중구"),
        {"parking_payment_id": T_PAY},
    ),
    # seed 003
    Prototype("ev_charging", 40, "chat", _ev("paid_not_charged")),
    Prototype("ev_charging", 25, "phone", _ev("charged_not_paid")),
    Prototype("ev_charging", 20, "chat", _ev("postbill_before_payment")),
    Prototype("ev_charging", 15, "app_board", _ev("postbill_after_payment")),
    # seed 001
    Prototype("parking_operations", 50, "phone", _operations()),
    Prototype("parking_operations", 30, "chat", _midterm()),
    Prototype("parking_operations", 20, "phone", _midterm(customer_agrees=False)),
    # seed 004
    Prototype("traffic_fine", 60, "chatbot_board", _fine()),
    Prototype("traffic_fine", 12, "chatbot_board", _fine(violation_kind="disabled_parking")),
    Prototype(
        "traffic_fine",
        10,
        "chatbot_board",
        _fine(evidence_result="fail", evidence_reason="위반장소가 운행 경로와 다름"),
    ),
    Prototype("traffic_fine", 10, "chatbot_board", _fine(has_notice_image=False)),
    Prototype("traffic_fine", 8, "chatbot_board", _fine(duplicate_of_case_id=1)),
)


# --- values the loaders write -------------------------------------------------------------


class RawJson(str):
    """JSON already serialised: COPY writes it as is, the other paths parse it back."""


_TIME = object()  # "this row's own moment" (auto_now fields, timezone.now defaults)


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str or kind is RawJson:
        return _escape(value)
    if kind is int:
        return str(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime or kind is date:
        return value.isoformat()
    if kind is dict or kind is list:
        return _escape(json.dumps(value, ensure_ascii=False))
    if kind is float:
        return repr(value)
    token = getattr(value, "token", None)  # fines.fields.Sealed
    if token is not None:
        return token
    return _escape(str(value))


class Table:
    """One table: its columns, defaults for the columns the generator leaves out, its ids."""

    def __init__(self, model, notes: list[str], *, name: str | None = None):
        from django.db.models import NOT_PROVIDED

        self.model = model
        self.name = name or model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.columns = [f.column for f in self.fields]
        self.column_of = dict(zip(self.attnames, self.columns, strict=True))
        self.pk = model._meta.pk.attname
        self.defaults: dict[str, Any] = {}
        self.fallbacks: list[str] = []  # NOT NULL columns without a default
        self.notes = notes
        self.json_fields = {f.attname for f in self.fields if f.get_internal_type() == "JSONField"}
        for f in self.fields:
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = _TIME
            elif f.default is not NOT_PROVIDED:
                default = f.default
                if callable(default):
                    name_ = getattr(default, "__name__", "")
                    default = _TIME if name_ == "now" else default()
                if f.attname in self.json_fields and default is not _TIME:
                    default = RawJson(json.dumps(default))
                self.defaults[f.attname] = default
            elif f.null:
                self.defaults[f.attname] = None
            elif f.empty_strings_allowed:  # CharField, TextField, FileField...
                self.defaults[f.attname] = ""
            else:
                self.defaults[f.attname] = self._fallback(f)
                self.fallbacks.append(f.attname)
        self.time_fields = [a for a, v in self.defaults.items() if v is _TIME]
        self.next_id = 1
        self.count = 0

    @staticmethod
    def _fallback(f):
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            return _TIME
        if kind == "DateField":
            return date(2024, 1, 1)
        if kind == "BooleanField":
            return False
        if kind == "JSONField":
            return RawJson("{}")
        if "Integer" in kind or kind in ("FloatField", "DecimalField", "DurationField"):
            return 0
        return ""

    def fallback_used(self, name: str) -> None:
        if name in self.fallbacks:
            # A column the generator does not know yet (a new migration): say so once.
            self.notes.append(
                f"{self.name}.{name}: NOT NULL without a default, filled with a typed fallback"
            )
            self.fallbacks.remove(name)

    def take_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    def row(self, values: dict, at: datetime) -> dict:
        row = dict(self.defaults)
        row.update(values)
        for name in self.fallbacks:
            if name not in values:
                self.fallback_used(name)
                break
        for name in self.time_fields:
            if row[name] is _TIME:
                row[name] = at
        return row


class History:
    """The historical table of an audited model: rows as ``HistoricalRecords`` writes them."""

    def __init__(self, table: Table, notes: list[str]):
        self.table = Table(table.model.history.model, notes)
        self.source = table
        own = set(table.attnames)
        self.shared = [a for a in self.table.attnames if a in own]

    def row(self, snapshot: dict, *, kind: str, at: datetime, user_id, reason: str = "") -> dict:
        values = {name: snapshot[name] for name in self.shared}
        values.update(
            history_id=self.table.take_id(),
            history_date=at,
            history_type=kind,
            history_user_id=user_id,
            history_change_reason=reason or None,
        )
        return self.table.row(values, at)


# --- SQL the expansions are made of (portable: PostgreSQL and SQLite) ---------------------


class Sql:
    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"

    @staticmethod
    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def lit(self, value: Any, *, json_column: bool = False) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value)
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        text = "'" + str(value).replace("'", "''") + "'"
        return f"CAST({text} AS jsonb)" if json_column and self.pg else text

    def insert_select(self, table: Table, exprs: dict[str, str], source: str, *, time: str) -> str:
        """``INSERT INTO table (every column) SELECT ...``: ``exprs`` by attname, the rest the
        column's default (``time`` for "now" defaults). The pk is generated unless given."""
        columns, values = [], []
        for attname, column in zip(table.attnames, table.columns, strict=True):
            if attname in exprs:
                expr = exprs[attname]
            elif attname == table.pk:
                continue
            else:
                default = table.defaults[attname]
                table.fallback_used(attname)
                if default is _TIME:
                    expr = time
                else:
                    expr = self.lit(default, json_column=attname in table.json_fields)
            columns.append(self.q(column))
            values.append(expr)
        return (
            f"INSERT INTO {self.q(table.name)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} {source}"
        )

    def history_select(
        self,
        history: History,
        alias: str,
        source: str,
        *,
        date: str,
        user: str,
        kind: str,
        reason: str | None = None,
        overrides: dict[str, str] | None = None,
    ) -> str:
        """History rows copied from the rows of ``source`` (aliased ``alias``)."""
        src = history.source
        exprs = {a: f"{alias}.{self.q(src.column_of[a])}" for a in history.shared}
        exprs.update(overrides or {})
        exprs.update(
            history_date=date,
            history_type=self.lit(kind),
            history_user_id=user,
            history_change_reason=reason if reason is not None else "NULL",
        )
        return self.insert_select(history.table, exprs, source, time=date)

    def concat(self, *parts: str) -> str:
        return "(" + " || ".join(parts) + ")"

    def add_seconds(self, expr: str, seconds: str) -> str:
        if self.pg:
            return f"({expr} + make_interval(secs => {seconds}))"
        return f"strftime('%Y-%m-%d %H:%M:%f', {expr}, '+' || {seconds} || ' seconds')"

    def timestamp(self, value: datetime) -> str:
        from django.db import connection

        if self.pg:
            return f"CAST('{value.isoformat()}' AS timestamptz)"
        return self.lit(connection.ops.adapt_datetimefield_value(value))


# --- sinks: COPY on PostgreSQL, executemany elsewhere -------------------------------------


class CopySink:
    """COPY text per chunk, loaded on three connections in a pipeline while the main thread
    builds the next chunk: the first loads the chunk's rows and its cases; once committed, the
    second derives their history, outbox and posts, the third their steps and clocks."""

    def __init__(self, connection, tables: list[Table], generator, stage: Table):
        self.tables = tables
        self.generator = generator
        self.stage = stage
        self.lines: dict[str, list[str]] = defaultdict(list)
        self.to_rows: queue.Queue = queue.Queue(maxsize=1)
        # The derived halves may lag the rows by a few chunks, not by the whole load.
        self.derived = [
            (generator.expand_history, queue.Queue(maxsize=4), self._connect(connection)),
            (generator.expand_steps, queue.Queue(maxsize=4), self._connect(connection)),
        ]
        self.errors: list[BaseException] = []
        self.seconds: dict[str, float] = defaultdict(float)  # loader time per step
        self.rows_conn = self._connect(connection)
        self.threads = [
            threading.Thread(target=self._load_rows, name="load-rows", daemon=True),
            *(
                threading.Thread(target=self._load_derived, args=item, daemon=True)
                for item in self.derived
            ),
        ]
        for thread in self.threads:
            thread.start()

    @staticmethod
    def _connect(connection):
        raw = connection.get_new_connection(connection.get_connection_params())
        raw.autocommit = False
        with raw.cursor() as cursor:
            # Bulk-load session: foreign keys are consistent by construction (no RI triggers),
            # commits need not wait for the WAL flush, large values compress with lz4 if built in.
            for setting in (
                "SET session_replication_role = replica",  # needs a superuser; optional
                "SET synchronous_commit = off",
                "SET default_toast_compression = 'lz4'",  # needs a build with lz4; optional
                "SET wal_compression = 'lz4'",  # smaller full-page images after checkpoints
            ):
                cursor.execute("SAVEPOINT setting")
                try:
                    cursor.execute(setting)
                except Exception:
                    cursor.execute("ROLLBACK TO SAVEPOINT setting")
        raw.commit()
        return raw

    def add(self, table: Table, row: dict) -> None:
        self.lines[table.name].append("\t".join([_copy_text(row[a]) for a in table.attnames]))
        table.count += 1

    def flush(self, lo: int, hi: int) -> None:
        batch = []
        for table in self.tables:
            lines = self.lines.pop(table.name, None)
            if lines:
                columns = ", ".join(Sql.q(c) for c in table.columns)
                sql = f"COPY {Sql.q(table.name)} ({columns}) FROM STDIN"
                batch.append((table.name, sql, "\n".join(lines) + "\n"))
        self.lines.clear()
        self._check()
        self.to_rows.put((batch, lo, hi))

    def _helpers(self, cursor):
        def run(label: str, sql: str) -> int:
            t0 = time.monotonic()
            cursor.execute(sql)
            self.seconds[label] += time.monotonic() - t0
            return cursor.rowcount

        def scalar(sql: str):
            cursor.execute(sql)
            return cursor.fetchone()[0]

        return run, scalar

    def _load_rows(self) -> None:
        conn = self.rows_conn
        try:
            while (item := self.to_rows.get()) is not None:
                batch, lo, hi = item
                with conn.cursor() as cursor:
                    for name, sql, text in batch:
                        t0 = time.monotonic()
                        with cursor.copy(sql) as copy:
                            copy.write(text)
                        self.seconds[f"COPY {name}"] += time.monotonic() - t0
                    self.generator.expand_cases(lo, hi, *self._helpers(cursor))
                    cursor.execute(f"TRUNCATE {Sql.q(self.stage.name)}")
                conn.commit()
                for _expand, todo, _conn in self.derived:
                    todo.put((lo, hi))
        except BaseException as exc:  # handed to the main thread
            self.errors.append(exc)
            with contextlib.suppress(Exception):
                conn.rollback()
            while self.to_rows.get() is not None:  # never leave the producer blocked
                pass
        finally:
            for _expand, todo, _conn in self.derived:
                todo.put(None)

    def _load_derived(self, expand, todo: queue.Queue, conn) -> None:
        try:
            while (item := todo.get()) is not None:
                lo, hi = item
                with conn.cursor() as cursor:
                    expand(lo, hi, *self._helpers(cursor))
                t0 = time.monotonic()
                conn.commit()
                self.seconds["commit"] += time.monotonic() - t0
        except BaseException as exc:
            self.errors.append(exc)
            with contextlib.suppress(Exception):
                conn.rollback()
            while todo.get() is not None:  # never leave the rows loader blocked
                pass

    def _check(self) -> None:
        if self.errors:
            raise RuntimeError(f"loading failed: {self.errors[0]}") from self.errors[0]

    def close(self) -> None:
        self.to_rows.put(None)
        for thread in self.threads:
            thread.join()
        self.rows_conn.close()
        for _expand, _todo, conn in self.derived:
            conn.close()
        self._check()


class ExecuteManySink:
    """Parameterised ``executemany`` through Django's connection (SQLite; small N)."""

    def __init__(self, connection, tables: list[Table], generator, stage: Table):
        self.connection = connection
        self.tables = tables
        self.generator = generator
        self.stage = stage
        self.rows: dict[str, list] = defaultdict(list)
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, table: Table, row: dict) -> None:
        values = []
        for f in table.fields:
            value = row[f.attname]
            if type(value) is RawJson:
                value = json.loads(value)
            values.append(f.get_db_prep_save(value, connection=self.connection))
        self.rows[table.name].append(values)
        table.count += 1

    def flush(self, lo: int, hi: int) -> None:
        from django.db import transaction

        with transaction.atomic(), self.connection.cursor() as cursor:
            for table in self.tables:
                rows = self.rows.pop(table.name, None)
                if rows:
                    columns = ", ".join(Sql.q(c) for c in table.columns)
                    marks = ", ".join(["%s"] * len(table.columns))
                    cursor.executemany(
                        f"INSERT INTO {Sql.q(table.name)} ({columns}) VALUES ({marks})", rows
                    )

            def run(label: str, sql: str) -> int:
                cursor.execute(sql)
                return cursor.rowcount

            def scalar(sql: str):
                cursor.execute(sql)
                return cursor.fetchone()[0]

            self.generator.expand_cases(lo, hi, run, scalar)
            cursor.execute(f"DELETE FROM {Sql.q(self.stage.name)}")
            self.generator.expand_rest(lo, hi, run, scalar)
        self.rows.clear()

    def close(self) -> None:
        pass


# --- reference data the cases point at ------------------------------------------------------


@dataclass
class Message:
    template_id: int
    version_id: int
    template_name: str
    audience: str
    body: str
    byte_length: int
    length_class: str


#: Case columns a decision writes from the proposal: big texts and the snapshot, the same for
#: every case of a branch, joined from ``bench_variant`` by SQL instead of sent per row.
HEAVY_CASE_FIELDS = (
    "proposal",
    "reason",
    "record_title",
    "record_inquiry",
    "record_notes",
    "billing_memo",
    "operations_memo",
)


@dataclass
class Variant:
    prototype: Prototype
    outcome: str
    version: str
    facts_json: str
    tokens: tuple[str, ...]
    references: dict[str, str]
    business_key: str
    decided: dict[str, Any]  # Case fields a decision sets (light ones + HEAVY_CASE_FIELDS)
    steps: list[dict]
    messages: list[Message]
    escalation: dict | None
    fine: dict | None  # FineNotice values from the facts (traffic_fine)

    @property
    def answer(self) -> str:
        """What the agent saves as the board answer: the first driver message, if any."""
        return next((m.body for m in self.messages if m.audience == "driver"), "")


def _proposal_parts(prototype: Prototype, at: datetime):
    """Validate the facts, propose, render the messages: what a real decision would write."""
    from django.core.serializers.json import DjangoJSONEncoder

    from cases.business_keys import business_key_for, references_from
    from cases.consultation_types import SEPARATOR
    from cases.models import ConsultationType
    from cases.playbooks import evaluate, get_playbook
    from cases.playbooks.env import DatabaseEnv
    from cases.proposals import proposal_snapshot
    from templates_app.models import SmsTemplate, SmsTemplateVersion
    from templates_app.render import render_sms

    module = get_playbook(prototype.playbook)
    facts = dict(prototype.facts)
    serializer = module.FACTS(data=facts)
    if not serializer.is_valid():
        raise ValueError(f"facts refused: {serializer.errors}")
    stored = json.loads(json.dumps(serializer.data, cls=DjangoJSONEncoder))
    proposal = evaluate(prototype.playbook, facts, at, DatabaseEnv())
    if proposal.outcome == "needs_review":
        raise ValueError("the playbook does not decide these facts (needs_review)")
    leaf = (
        ConsultationType.objects.filter(
            path_label=SEPARATOR.join(proposal.consultation_type), is_leaf=True
        )
        .values_list("pk", flat=True)
        .first()
    )
    messages = []
    for spec in proposal.messages:
        template = SmsTemplate.objects.filter(code=spec.template).first()
        version = (
            SmsTemplateVersion.objects.filter(template=template, status="approved").first()
            if template
            else None
        )
        if version is None:
            continue
        rendered = render_sms(body=version.body, variables=version.variables, context=spec.context)
        messages.append(
            Message(
                template_id=template.pk,
                version_id=version.pk,
                template_name=template.name,
                audience=template.audience,
                body=rendered.text,
                byte_length=rendered.byte_length,
                length_class=str(rendered.length_class.value),
            )
        )
    record = proposal.record
    decided = {
        "playbook_version": proposal.version,
        "consultation_type_id": leaf,
        "outcome": proposal.outcome,
        "result_type": proposal.result_type or "",
        "proposal": RawJson(
            json.dumps(proposal_snapshot(proposal), cls=DjangoJSONEncoder, ensure_ascii=False)
        ),
        "reason": proposal.reason,
        "record_title": record.title if record else "",
        "record_inquiry": record.inquiry if record else "",
        "record_notes": record.notes if record else "",
        "billing_memo": proposal.billing_memo,
        "operations_memo": proposal.operations_memo,
    }
    steps = [
        {
            "order": i,
            "code": step.code,
            "label": step.label,
            "roles": sorted(step.roles),
            "kind": step.kind,
            "script": step.script,
            "waits_on": step.waits_on or "",
            "due_rule": step.due_rule or "",
            **_clock_info(step, stored, at),
        }
        for i, step in enumerate(proposal.steps, start=1)
    ]
    escalation = None
    if proposal.escalation is not None:
        spec = proposal.escalation
        escalation = {
            "board": spec.board,
            "template": spec.template,
            "body": spec.body,
            "mentions": list(spec.mentions),
        }
    refs = dict(prototype.references)
    columns = references_from(refs, stored)
    key = business_key_for(prototype.playbook, references=refs, facts=stored)
    fine = None
    if prototype.playbook == "traffic_fine":
        fine = _fine_values(serializer.validated_data, proposal)
    return proposal, stored, decided, steps, messages, escalation, columns, key, fine


def _clock_info(step, facts: dict, at: datetime) -> dict:
    """The step clock ``case_decide`` would start for this step (``cases.services.clocks``),
    with its due time as an offset from the decision; no clock: an empty rule."""
    info = {
        "clock_rule": "",
        "clock_effective": "",
        "clock_seconds": 0,
        "clock_pauses": False,
        "clock_partner_id": None,
        "clock_counterparty": "",
    }
    try:
        from cases.services.clocks import PAUSES_ON_CUSTOMER
        from kmcs_site.business_time import due_at, resolve_rule
    except ImportError:  # no step clocks in this version
        return info
    waits_on = step.waits_on or ""
    rule = step.due_rule or (f"service_level:{waits_on}" if waits_on else "")
    if not rule:
        return info
    effective = resolve_rule(rule)
    info.update(
        clock_rule=rule,
        clock_effective=effective,
        clock_seconds=int((due_at(effective, at) - at).total_seconds()),
        clock_pauses=waits_on in PAUSES_ON_CUSTOMER,
    )
    if waits_on == "partner" and facts.get("partner"):
        from partners.models import Partner

        partner = Partner.objects.filter(code=facts["partner"]).first()
        if partner is not None:
            info.update(clock_partner_id=partner.pk, clock_counterparty=partner.name)
    elif waits_on == "cpo" and facts.get("cpo_name"):
        info["clock_counterparty"] = str(facts["cpo_name"])[:100]
    return info


def _fine_values(v: dict, proposal) -> dict:
    from fines import codes

    kind = v.get("violation_kind") or codes.GENERAL
    notice_type = v.get("notice_type") or codes.FINE
    call_type = v.get("call_type") or codes.OWN
    return {
        "call_type": call_type,
        "notice_type": notice_type,
        "violation_kind": kind,
        "category": codes.category_of(
            call_type=call_type, notice_type=notice_type, violation_kind=kind
        ),
        "violation_at": v.get("violation_at"),
        "violation_place": v.get("violation_place", ""),
        "notice_issued_on": v.get("notice_issued_on"),
        "amount": v.get("amount"),
        "bank": v.get("bank", ""),
        "account_holder": v.get("account_holder", ""),
        "has_account": bool(v.get("account_number")),
        "evidence_result": v.get("evidence_result") or codes.EVIDENCE_UNKNOWN,
        "evidence_reason": (v.get("evidence_reason") or "")[:200],
        "claims_violation": not v.get("duplicate_of_case_id") and bool(v.get("has_notice_image")),
        "outcome": proposal.outcome if proposal.outcome in codes.OUTCOMES else "",
    }


def build_variants(at: datetime, notes: list[str]) -> dict[str, list[tuple[float, Variant]]]:
    """Each prototype through its playbook, once. Keyed later by (playbook, outcome): two
    prototypes with the same outcome would be the same branch, so the second is dropped."""
    by_playbook: dict[str, list[tuple[float, Variant]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for prototype in PROTOTYPES:
        try:
            proposal, stored, decided, steps, messages, escalation, columns, key, fine = (
                _proposal_parts(prototype, at)
            )
        except Exception as exc:  # a playbook changed under us: skip the branch, say so
            notes.append(f"{prototype.playbook} prototype skipped: {exc}")
            continue
        if (prototype.playbook, proposal.outcome) in seen:
            notes.append(f"{prototype.playbook}: second prototype for {proposal.outcome} dropped")
            continue
        seen.add((prototype.playbook, proposal.outcome))
        facts_json = json.dumps(stored, ensure_ascii=False)
        tokens = tuple(
            t
            for t in (T_CALL, T_DRIVER, T_TID, T_CAR, T_PAY)
            if t in facts_json or any(t in v for v in columns.values()) or t in key
        )
        variant = Variant(
            prototype=prototype,
            outcome=proposal.outcome,
            version=proposal.version,
            facts_json=facts_json,
            tokens=tokens,
            references=columns,
            business_key=key,
            decided=decided,
            steps=steps,
            messages=messages,
            escalation=escalation,
            fine=fine,
        )
        by_playbook[prototype.playbook].append((prototype.weight, variant))
    missing = sorted(set(PLAYBOOK_MIX) - set(by_playbook))
    if missing:
        raise RuntimeError(f"no usable prototype for: {', '.join(missing)} (notes: {notes})")
    return by_playbook


def ensure_staff() -> dict[str, Any]:
    """The bench users (idempotent): agents per service with their profiles, one per role."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from cases.models import StaffProfile

    User = get_user_model()
    groups = {g.name: g for g in Group.objects.all()}

    def user(username: str, role: str):
        obj, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@kmcs.example", "is_staff": True},
        )
        if created:
            obj.set_unusable_password()
            obj.save(update_fields=["password"])
            if role in groups:
                obj.groups.add(groups[role])
        return obj

    staff: dict[str, Any] = {name: user(name, role) for name, role in OTHER_STAFF.items()}
    agents: dict[str, list] = {}
    for service, count in AGENTS_PER_SERVICE.items():
        agents[service] = []
        for i in range(1, count + 1):
            agent = user(f"bench_{service}_{i:02d}", "agent")
            if not StaffProfile.objects.filter(user=agent).exists():
                profile = StaffProfile(user=agent, services=[service])
                profile._history_user = staff["bench_lead"]
                profile.save()
            agents[service].append(agent)
    staff["agents"] = agents
    return staff


# --- the generator ------------------------------------------------------------------------


@dataclass
class Report:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    history_rows: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0
    finish_seconds: float = 0.0  # deferred indexes and VACUUM ANALYZE
    deferred_indexes: int = 0
    backend: str = ""
    step_seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


STAGE_TABLE = "bench_stage_case"
VARIANT_TABLES = (
    "bench_variant",
    "bench_variant_step",
    "bench_variant_message",
    "bench_variant_post",
)


class Generator:
    def __init__(self, *, now: datetime, days: int, seed: int, stdout=None):
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection

        from cases.models import (
            Case,
            CaseStep,
            CaseUserObjectPermission,
            ContactAttempt,
            EscalationPost,
        )
        from fines import crypto
        from fines.models import FineNotice, FinePayout, Ride
        from templates_app.models import OutboundMessage

        self.notes: list[str] = []
        self.now = now
        self.days = days
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.sql = Sql(connection.vendor)
        self.staff = ensure_staff()
        self.variants = build_variants(now, self.notes)
        self.case_ct = ContentType.objects.get_for_model(Case).pk
        self.work_perm = Permission.objects.get(
            codename="work_case", content_type__app_label="cases"
        ).pk

        t = self.tables = {}
        self.history = {}
        for key, model in (
            ("case", Case),
            ("step", CaseStep),
            ("post", EscalationPost),
            ("contact", ContactAttempt),
            ("message", OutboundMessage),
            ("ride", Ride),
            ("notice", FineNotice),
            ("payout", FinePayout),
        ):
            t[key] = Table(model, self.notes)
            self.history[key] = History(t[key], self.notes)
        t["perm"] = Table(CaseUserObjectPermission, self.notes)
        try:
            from cases.models import StepClock
        except ImportError:  # a version without step clocks
            StepClock = None
        if StepClock is not None:
            t["clock"] = Table(StepClock, self.notes)
            self.history["clock"] = History(t["clock"], self.notes)
        #: The cases, without the heavy decision texts: SQL moves them into cases_case.
        self.stage = Table(Case, self.notes, name=STAGE_TABLE)
        #: Tables the generator writes rows into (the stage first: expansions read it).
        self.written = [
            self.stage,
            t["perm"],
            t["ride"],
            self.history["ride"].table,
            t["contact"],
            self.history["contact"].table,
            t["notice"],
            self.history["notice"].table,
            t["payout"],
            self.history["payout"].table,
        ]
        #: Every table that gets rows (for ids, sequences, indexes and VACUUM).
        self.targets = [t[k] for k in t] + [h.table for h in self.history.values()]
        self._allocate_ids()
        # Playbook picker: 1,000 slots in the mix's proportions; variant pickers per playbook.
        self.playbook_slots = [
            code for code, share in PLAYBOOK_MIX.items() for _ in range(round(share * 1000))
        ]
        self.variant_slots = {
            code: [v for weight, v in variants for _ in range(int(weight))]
            for code, variants in self.variants.items()
        }
        # A pool of sealed accounts (Fernet is slow; customers' accounts repeat anyway).
        self.accounts = []
        for i in range(64):
            digits = f"1101{i:04d}{(i * 7919) % 10000:04d}"
            self.accounts.append(
                {
                    "account": _sealed(crypto.encrypt(digits)),
                    "account_hash": crypto.account_hash(digits),
                    "account_last4": digits[-4:],
                    "account_length": len(digits),
                }
            )
        self.lead_id = self.staff["bench_lead"].pk
        self.chatbot_id = self.staff["bench_chatbot"].pk
        self.agent_ids = {s: [a.pk for a in agents] for s, agents in self.staff["agents"].items()}
        self.expanded: dict[str, int] = defaultdict(int)

    def _allocate_ids(self) -> None:
        from django.db.models import Max

        for table in self.targets:
            top = table.model.objects.aggregate(top=Max(table.pk))["top"] or 0
            table.next_id = top + 1

    # --- scratch tables: the stage and the branches' constant parts ---------------------
    def create_scratch_tables(self) -> None:
        from django.db import connection

        q, pg = self.sql.q, self.sql.pg
        json_type = "jsonb" if pg else "text"
        int_type = "bigint" if pg else "integer"
        ddl = {
            "bench_variant": [("playbook", "text"), ("outcome", "text"), ("answer_text", "text")]
            + [(f, json_type if f == "proposal" else "text") for f in HEAVY_CASE_FIELDS],
            "bench_variant_step": [("playbook", "text"), ("outcome", "text")]
            + [
                ("order", int_type),
                ("code", "text"),
                ("label", "text"),
                ("roles", json_type),
                ("kind", "text"),
                ("script", "text"),
                ("waits_on", "text"),
                ("due_rule", "text"),
                ("clock_rule", "text"),
                ("clock_effective", "text"),
                ("clock_seconds", int_type),
                ("clock_pauses", "boolean" if pg else "integer"),
                ("clock_partner_id", int_type),
                ("clock_counterparty", "text"),
            ],
            "bench_variant_message": [
                ("playbook", "text"),
                ("outcome", "text"),
                ("template_id", int_type),
                ("template_version_id", int_type),
                ("template_name", "text"),
                ("audience", "text"),
                ("body", "text"),
                ("byte_length", int_type),
                ("length_class", "text"),
            ],
            "bench_variant_post": [
                ("playbook", "text"),
                ("outcome", "text"),
                ("board", "text"),
                ("template", "text"),
                ("body", "text"),
                ("mentions", json_type),
            ],
        }
        rows: dict[str, list[list]] = defaultdict(list)
        for variants in self.variants.values():
            for _weight, v in variants:
                key = [v.prototype.playbook, v.outcome]
                heavy = [v.decided[f] for f in HEAVY_CASE_FIELDS]
                rows["bench_variant"].append([*key, v.answer, *heavy])
                for s in v.steps:
                    rows["bench_variant_step"].append(
                        [*key, *(s[name] for name, _ in ddl["bench_variant_step"][2:])]
                    )
                for m in v.messages:
                    rows["bench_variant_message"].append(
                        [
                            *key,
                            m.template_id,
                            m.version_id,
                            m.template_name,
                            m.audience,
                            m.body,
                            m.byte_length,
                            m.length_class,
                        ]
                    )
                if v.escalation is not None:
                    e = v.escalation
                    rows["bench_variant_post"].append(
                        [*key, e["board"], e["template"], e["body"], e["mentions"]]
                    )
        with connection.cursor() as cursor:
            self.drop_scratch_tables()
            for name, columns in ddl.items():
                cursor.execute(
                    f"CREATE TABLE {q(name)} ({', '.join(f'{q(c)} {t}' for c, t in columns)})"
                )
                for row in rows[name]:
                    values = [
                        self.sql.lit(
                            v, json_column=isinstance(v, list) or type(v) is RawJson and pg
                        )
                        for v in row
                    ]
                    cursor.execute(f"INSERT INTO {q(name)} VALUES ({', '.join(values)})")
                cursor.execute(f"ANALYZE {q(name)}")  # joins plan with real row counts
            if pg:
                cursor.execute(
                    f"CREATE UNLOGGED TABLE {q(STAGE_TABLE)} "
                    f"(LIKE {q(self.tables['case'].name)} INCLUDING DEFAULTS)"
                )
            else:
                cursor.execute(
                    f"CREATE TABLE {q(STAGE_TABLE)} AS SELECT * FROM "
                    f"{q(self.tables['case'].name)} WHERE 1 = 0"
                )

    def drop_scratch_tables(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            for name in (*VARIANT_TABLES, STAGE_TABLE):
                cursor.execute(f"DROP TABLE IF EXISTS {self.sql.q(name)}")

    # --- one case and the rows only Python writes -------------------------------------
    def case(self, sink, index: int, total: int) -> None:
        from cases.models.choices import SERVICE_OF_PLAYBOOK

        rng = self.rng
        t, h = self.tables, self.history
        playbook = self.playbook_slots[int(rng.random() * len(self.playbook_slots))]
        slots = self.variant_slots[playbook]
        variant = slots[int(rng.random() * len(slots))]
        proto = variant.prototype
        service = str(SERVICE_OF_PLAYBOOK[playbook])
        case_id = t["case"].take_id()

        # Spread over the period in id order (intake order), newest last, a little jitter.
        position = (index + rng.random()) / total
        created = self.now - timedelta(days=self.days * (1 - position))
        is_open = position >= 1 - OPEN_SHARE
        if is_open:
            roll = rng.random()
            status = "new" if roll < 0.4 else "in_progress" if roll < 0.75 else "waiting"
        elif position >= 1 - OPEN_SHARE - DECIDED_SHARE and rng.random() < 0.7:
            status = "decided"
        else:
            status = "closed"
        decided = status in ("decided", "closed")
        closed = status == "closed"

        # This case's own identifiers.
        call_id = str(600_000_000 + case_id)
        driver = f"drv-{case_id % 50_000:05d}"
        subs = {
            T_CALL: call_id,
            T_DRIVER: driver,
            T_TID: f"TID-{case_id:010d}",
            T_CAR: f"{10 + case_id % 90}{'가나다라마바사아자하'[case_id // 90 % 10]}"
            f"{case_id // 900 % 10000:04d}",
            T_PAY: f"PP-{case_id:010d}",
        }
        facts = variant.facts_json
        refs = dict(variant.references)
        key = variant.business_key
        for token in variant.tokens:
            value = subs[token]
            facts = facts.replace(token, value)
            key = key.replace(token, value)
            for name, ref in refs.items():
                if token in ref:
                    refs[name] = ref.replace(token, value)
        phone_c = f"010{(case_id * 7919) % 100_000_000:08d}"
        phone_d = f"010{(case_id * 104_729 + 17) % 100_000_000:08d}"
        driver_side = service == "driver"
        assignee = None
        if status != "new":
            pool = self.agent_ids[service]
            assignee = pool[case_id % len(pool)]
        if proto.channel == "chatbot_board":
            created_by = self.chatbot_id
        else:
            pool = self.agent_ids[service]
            created_by = assignee or pool[case_id % len(pool)]
        assigned_at = created + timedelta(minutes=5 + rng.random() * 55)
        decided_at = assigned_at + timedelta(minutes=10 + rng.random() * 120)
        closed_at = decided_at + timedelta(hours=2 + rng.random() * 46)

        values = {
            "id": case_id,
            "playbook": playbook,
            "service": service,
            "channel": proto.channel,
            "customer_phone": phone_c,
            "customer_phone_last4": phone_c[-4:],
            "driver_id": driver if driver_side else "",
            "driver_phone": phone_d if driver_side else "",
            **refs,
            "business_key": key,
            "idempotency_key": f"bench:{case_id}" if proto.channel == "chatbot_board" else None,
            "facts": RawJson(facts),
            "status": status,
            "created_by_id": created_by,
            "created_at": created,
            "updated_at": created,
        }
        if assignee is not None:
            values.update(assignee_id=assignee, first_response_at=assigned_at)
            values["updated_at"] = assigned_at
            sink.add(
                t["perm"],
                t["perm"].row(
                    {
                        "id": t["perm"].take_id(),
                        "permission_id": self.work_perm,
                        "user_id": assignee,
                        "content_object_id": case_id,
                    },
                    assigned_at,
                ),
            )
        if status == "waiting":
            values["waiting_on"] = "driver" if driver_side else "customer"
            values["updated_at"] = assigned_at + timedelta(minutes=3)
        if decided:
            # The light decision fields here; the heavy ones are joined in by SQL.
            values.update(
                {k: v for k, v in variant.decided.items() if k not in HEAVY_CASE_FIELDS},
                decided_at=decided_at,
                updated_at=decided_at,
            )
        if closed:
            values.update(closed_at=closed_at, updated_at=closed_at)
            if variant.answer:
                values["answer_saved_at"] = closed_at
        sink.add(self.stage, self.stage.row(values, created))

        ride_id = None
        if driver_side:
            ride_id = self._ride(sink, call_id, driver, phone_d, created)
        if playbook == "traffic_fine":
            self._fine(
                sink,
                variant,
                case_id,
                call_id,
                driver,
                ride_id,
                status,
                created,
                decided_at,
                closed_at,
                assignee,
                created_by,
            )
        if decided and rng.random() < CONTACT_SHARE:
            # Some cases needed a call (OB) before deciding.
            tc, hc = t["contact"], h["contact"]
            at = decided_at - timedelta(minutes=7)
            row = tc.row(
                {
                    "id": tc.take_id(),
                    "case_id": case_id,
                    "target": "driver" if driver_side else "customer",
                    "result": "answered",
                    "note": "통화 완료, 안내함",
                    "at": at,
                    "by_id": assignee,
                },
                at,
            )
            sink.add(hc.table, hc.row(row, kind="+", at=at, user_id=assignee))
            sink.add(tc, row)

    def _ride(self, sink, call_id, driver, phone, created) -> int:
        t, h = self.tables["ride"], self.history["ride"]
        ride_id = t.take_id()
        start = created - timedelta(days=1, minutes=ride_id % 600)
        lat, lng = 37.49 + (ride_id % 100) / 1000, 127.02 + (ride_id % 77) / 1000
        row = t.row(
            {
                "id": ride_id,
                "call_id": call_id,
                "service": "driver",
                "started_at": start,
                "ended_at": start + timedelta(minutes=1 + ride_id % 40),
                "start_lat": lat,
                "start_lng": lng,
                "end_lat": lat + 0.01,
                "end_lng": lng + 0.01,
                "start_address": "서울 강남구 테헤란로 152",
                "end_address": "서울 서초구 서초대로 396",
                "path": [[lat, lng], [lat + 0.005, lng + 0.004], [lat + 0.01, lng + 0.01]],
                "driver_id": driver,
                "driver_name": "김기사",
                "driver_phone": phone,
                "fare": 15000 + (ride_id % 50) * 500,
                "source": "import",
                "created_at": start + timedelta(hours=1),
            },
            start,
        )
        sink.add(t, row)
        sink.add(
            h.table,
            h.row(row, kind="+", at=row["created_at"], user_id=None, reason="운행 기록 가져오기"),
        )
        return ride_id

    def _fine(
        self,
        sink,
        variant,
        case_id,
        call_id,
        driver,
        ride_id,
        status,
        created,
        decided_at,
        closed_at,
        assignee,
        created_by,
    ) -> None:
        t, h = self.tables["notice"], self.history["notice"]
        fine = variant.fine
        notice_id = t.take_id()
        account = self.accounts[case_id % len(self.accounts)] if fine["has_account"] else {}
        decided = status in ("decided", "closed")
        copied = (
            "call_type",
            "notice_type",
            "violation_kind",
            "category",
            "violation_at",
            "violation_place",
            "notice_issued_on",
            "amount",
            "bank",
            "account_holder",
            "evidence_result",
            "evidence_reason",
            "claims_violation",
        )
        values = {
            "id": notice_id,
            "case_id": case_id,
            "call_id": call_id,
            **{k: fine[k] for k in copied},
            "notice_number": f"2024-{notice_id:08d}",
            "car_number": "12가3456",
            **account,
            "driver_id": driver,
            "driver_name": "김기사",
            "ride_id": ride_id,
            "evidence_checked_at": created,
            "intake_by_id": created_by,
            "created_at": created,
        }
        row = t.row(values, created)
        sink.add(
            h.table, h.row(row, kind="+", at=created, user_id=created_by, reason="과태료 접수")
        )
        if decided:
            row = {
                **row,
                "outcome": fine["outcome"],
                "completed_at": closed_at if status == "closed" else None,
            }
            sink.add(
                h.table,
                h.row(
                    row,
                    kind="~",
                    at=decided_at,
                    user_id=assignee,
                    reason=f"결정: {variant.outcome}",
                ),
            )
        sink.add(t, row)
        if decided and variant.outcome == "payout" and account:
            self._payout(sink, notice_id, call_id, fine, account, status, decided_at, assignee)

    def _payout(
        self, sink, notice_id, call_id, fine, account, status, decided_at, assignee
    ) -> None:
        t, h = self.tables["payout"], self.history["payout"]
        batch_at = (decided_at + timedelta(days=1)).replace(
            hour=5, minute=0, second=0, microsecond=0
        )  # 14:00 in Seoul
        row = t.row(
            {
                "id": t.take_id(),
                "notice_id": notice_id,
                "call_id": call_id,
                "violation_at": fine["violation_at"],
                "amount": fine["amount"],
                "bank": fine["bank"],
                **account,
                "holder": fine["account_holder"],
                "verified_by": "format",
                "verified_at": decided_at,
                "status": "scheduled",
                "scheduled_at": batch_at,
                "charge_driver": True,
                "idempotency_key": f"fine:{notice_id}:payout",
                "created_by_id": assignee,
                "created_at": decided_at,
            },
            decided_at,
        )
        sink.add(
            h.table, h.row(row, kind="+", at=decided_at, user_id=assignee, reason="지급 건 생성")
        )
        if status == "closed" and batch_at < self.now:
            row = {**row, "status": "paid", "paid_at": batch_at}
            sink.add(h.table, h.row(row, kind="~", at=batch_at, user_id=None, reason="배치 지급"))
        sink.add(t, row)

    # --- what SQL derives from a chunk of cases -----------------------------------------
    def _adder(self, run):
        def add(label: str, table: Table, sql: str) -> None:
            n = run(label, sql)
            self.expanded[table.name] += max(n, 0)

        return add

    def expand_cases(self, lo: int, hi: int, run, scalar) -> None:
        """The chunk's cases: each stage row plus its branch's decision texts."""
        s, q = self.sql, self.sql.q
        case = self.tables["case"]
        add = self._adder(run)

        # 1. cases: the stage row plus the branch's texts (a decided case only).
        exprs = {a: f"s.{q(case.column_of[a])}" for a in case.attnames}
        for name in HEAVY_CASE_FIELDS:
            exprs[name] = f"COALESCE(v.{q(name)}, s.{q(case.column_of[name])})"
        exprs["answer_text"] = (
            "CASE WHEN s.status = 'closed' AND v.answer_text IS NOT NULL "
            "THEN v.answer_text ELSE s.answer_text END"
        )
        add(
            "cases",
            case,
            s.insert_select(
                case,
                exprs,
                f"FROM {q(STAGE_TABLE)} s LEFT JOIN bench_variant v ON v.playbook = s.playbook "
                "AND v.outcome = s.outcome AND s.decided_at IS NOT NULL ORDER BY s.id",
                time="s.created_at",
            ),
        )

    def expand_rest(self, lo: int, hi: int, run, scalar) -> None:
        """What the chunk's cases left behind (both halves, one connection)."""
        self.expand_history(lo, hi, run, scalar)
        self.expand_steps(lo, hi, run, scalar)

    def expand_history(self, lo: int, hi: int, run, scalar) -> None:
        """From the stored cases of the chunk: their history, outbox and Agit posts, with the
        history rows of each."""
        s, q = self.sql, self.sql.q
        t, h = self.tables, self.history
        case = t["case"]
        add = self._adder(run)
        in_range = f"c.id BETWEEN {lo} AND {hi}"
        source = f"FROM {q(case.name)} c WHERE {in_range}"

        # 2. case history: intake, assignment, waiting, decision, closing.
        hc = h["case"]
        case_table = case
        cleared_decision = {
            a: s.lit(case_table.defaults[a], json_column=a in case_table.json_fields)
            for a in (*self._decision_fields(), "decided_at")
        }
        cleared_closing = {
            a: s.lit(case_table.defaults[a])
            for a in ("closed_at", "answer_text", "answer_saved_at")
        }
        unassigned = {
            "assignee_id": "NULL",
            "first_response_at": "NULL",
            "waiting_on": "''",
        }
        stages = [
            (
                "+",
                "",
                "c.created_at",
                "c.created_by_id",
                "NULL",
                {**cleared_decision, **cleared_closing, **unassigned, "status": "'new'"},
            ),
            (
                "~",
                " AND c.assignee_id IS NOT NULL",
                "c.first_response_at",
                "c.assignee_id",
                "'배정'",
                {
                    **cleared_decision,
                    **cleared_closing,
                    "status": "'in_progress'",
                    "waiting_on": "''",
                },
            ),
            (
                "~",
                " AND c.status = 'waiting'",
                "c.updated_at",
                "c.assignee_id",
                "'대기'",
                {**cleared_decision, **cleared_closing},
            ),
            (
                "~",
                " AND c.decided_at IS NOT NULL",
                "c.decided_at",
                "c.assignee_id",
                s.concat("'결정: '", "c.outcome"),
                {**cleared_closing, "status": "'decided'", "waiting_on": "''"},
            ),
            ("~", " AND c.status = 'closed'", "c.closed_at", "c.assignee_id", "'종결'", {}),
        ]
        for kind, where, date_, user, reason, overrides in stages:
            overrides = {**overrides}
            if "updated_at" in hc.shared:
                overrides.setdefault("updated_at", date_)
            add(
                "case history",
                hc.table,
                s.history_select(
                    hc,
                    "c",
                    source + where,
                    date=date_,
                    user=user,
                    kind=kind,
                    reason=reason,
                    overrides=overrides,
                ),
            )

        closed = "c.status = 'closed'"

        # 4. the outbox: queued at the decision, sent right after.
        msg, hmsg = t["message"], h["message"]
        before = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(msg.name)}")
        exprs = {
            "recipient": "CASE WHEN vm.audience = 'driver' THEN c.driver_phone "
            "ELSE c.customer_phone END",
            "audience": "vm.audience",
            "template_id": "vm.template_id",
            "template_version_id": "vm.template_version_id",
            "body": "vm.body",
            "byte_length": "vm.byte_length",
            "length_class": "vm.length_class",
            "content_type_id": str(self.case_ct),
            "object_id": "c.id",
            "idempotency_key": s.concat(
                "'case:'", "c.id", "':'", "vm.template_name", "':'", "vm.audience"
            ),
            "status": "'sent'",
            "attempts": "1",
            "provider_message_id": s.concat("'bench-'", "c.id", "'-'", "vm.audience"),
            "queued_by_id": "c.assignee_id",
            "queued_at": "c.decided_at",
            "last_attempt_at": "c.decided_at",
            "sent_at": "c.decided_at",
        }
        add(
            "messages",
            msg,
            s.insert_select(
                msg,
                exprs,
                f"FROM {q(case.name)} c JOIN bench_variant_message vm ON "
                f"vm.playbook = c.playbook AND vm.outcome = c.outcome WHERE {in_range} "
                "AND c.decided_at IS NOT NULL ORDER BY c.id",
                time="c.decided_at",
            ),
        )
        after = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(msg.name)}")
        new_messages = f"FROM {q(msg.name)} m WHERE m.id BETWEEN {before + 1} AND {after}"
        add(
            "message history",
            hmsg.table,
            s.history_select(
                hmsg,
                "m",
                new_messages,
                date="m.queued_at",
                user="m.queued_by_id",
                kind="+",
                reason="'발송 요청'",
                overrides={
                    "status": "'queued'",
                    "attempts": "0",
                    "last_attempt_at": "NULL",
                    "sent_at": "NULL",
                    "provider_message_id": "''",
                },
            ),
        )
        add(
            "message history",
            hmsg.table,
            s.history_select(
                hmsg,
                "m",
                new_messages,
                date="m.sent_at",
                user="NULL",
                kind="~",
                reason="'발송 완료'",
            ),
        )

        # 5. the Agit post the playbook prescribes, its link pasted once posted.
        post, hpost = t["post"], h["post"]
        before = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(post.name)}")
        exprs = {
            "case_id": "c.id",
            "board": "vp.board",
            "template": "vp.template",
            "body": "vp.body",
            "mentions": "vp.mentions",
            "reason": "'playbook'",
            "created_by_id": "c.assignee_id",
            "created_at": "c.decided_at",
            "link_url": f"CASE WHEN {closed} THEN "
            + s.concat("'https://agit.example/cases/'", "c.id")
            + " ELSE '' END",
            "posted_at": f"CASE WHEN {closed} THEN c.closed_at END",
        }
        add(
            "posts",
            post,
            s.insert_select(
                post,
                exprs,
                f"FROM {q(case.name)} c JOIN bench_variant_post vp ON vp.playbook = c.playbook "
                f"AND vp.outcome = c.outcome WHERE {in_range} AND c.decided_at IS NOT NULL "
                "ORDER BY c.id",
                time="c.decided_at",
            ),
        )
        after = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(post.name)}")
        new_posts = f"FROM {q(post.name)} p WHERE p.id BETWEEN {before + 1} AND {after}"
        add(
            "post history",
            hpost.table,
            s.history_select(
                hpost,
                "p",
                new_posts,
                date="p.created_at",
                user="p.created_by_id",
                kind="+",
                overrides={"link_url": "''", "posted_at": "NULL"},
            ),
        )
        add(
            "post history",
            hpost.table,
            s.history_select(
                hpost,
                "p",
                new_posts + " AND p.link_url <> ''",
                date="p.posted_at",
                user="p.created_by_id",
                kind="~",
                reason="'아지트 링크'",
            ),
        )

    def expand_steps(self, lo: int, hi: int, run, scalar) -> None:
        """From the stored cases of the chunk: the decision's steps and their clocks, with the
        history rows of each."""
        s, q = self.sql, self.sql.q
        t, h = self.tables, self.history
        case = t["case"]
        add = self._adder(run)
        in_range = f"c.id BETWEEN {lo} AND {hi}"
        closed = "c.status = 'closed'"

        # 3. steps (written at the decision; done by the assignee when the case closed).
        step, hstep = t["step"], h["step"]
        before = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(step.name)}")
        exprs = {
            "case_id": "c.id",
            "order": "vs." + q("order"),
            "code": "vs.code",
            "label": "vs.label",
            "roles": "vs.roles",
            "kind": "vs.kind",
            "script": "vs.script",
            "waits_on": "vs.waits_on",
            "due_rule": "vs.due_rule",
            "status": f"CASE WHEN {closed} THEN 'done' ELSE 'pending' END",
            "done_by_id": f"CASE WHEN {closed} THEN c.assignee_id END",
            "done_at": f"CASE WHEN {closed} THEN c.closed_at END",
            "created_at": "c.decided_at",
        }
        add(
            "steps",
            step,
            s.insert_select(
                step,
                exprs,
                f"FROM {q(case.name)} c JOIN bench_variant_step vs ON vs.playbook = c.playbook "
                f"AND vs.outcome = c.outcome WHERE {in_range} AND c.decided_at IS NOT NULL "
                f"ORDER BY c.id, vs.{q('order')}",
                time="c.decided_at",
            ),
        )
        steps_after = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(step.name)}")
        # Both bounds: a one-sided "id > n" on a table with stale statistics looks like a third
        # of the table to the planner, which then scans all of it for every chunk.
        new_step_ids = f"BETWEEN {before + 1} AND {steps_after}"
        new_steps = (
            f"FROM {q(step.name)} st JOIN {q(case.name)} c ON c.id = st.case_id "
            f"WHERE st.id {new_step_ids} AND {in_range}"
        )
        add(
            "step history",
            hstep.table,
            s.history_select(
                hstep,
                "st",
                new_steps,
                date="st.created_at",
                user="c.assignee_id",
                kind="+",
                overrides={"status": "'pending'", "done_by_id": "NULL", "done_at": "NULL"},
            ),
        )
        add(
            "step history",
            hstep.table,
            s.history_select(
                hstep,
                "st",
                new_steps + " AND st.status = 'done'",
                date="st.done_at",
                user="st.done_by_id",
                kind="~",
                reason="'단계 완료'",
            ),
        )

        # 3b. the clocks of steps that wait on someone or carry a due rule (issue 9).
        if "clock" in t:
            clock, hclock = t["clock"], h["clock"]
            clocks_before = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(clock.name)}")
            due = s.add_seconds("st.created_at", "vs.clock_seconds")
            done = "st.status = 'done'"
            exprs = {
                "step_id": "st.id",
                "case_id": "c.id",
                "playbook": "c.playbook",
                "step_code": "st.code",
                "waits_on": "st.waits_on",
                "rule": "vs.clock_rule",
                "effective_rule": "vs.clock_effective",
                "pauses_on_customer": "vs.clock_pauses",
                "partner_id": "vs.clock_partner_id",
                "counterparty": "vs.clock_counterparty",
                "started_at": "st.created_at",
                "due_at": due,
                "stopped_at": f"CASE WHEN {done} THEN st.done_at END",
                "stop_reason": f"CASE WHEN {done} THEN 'done' ELSE '' END",
                "overdue_marked_at": f"CASE WHEN NOT ({done}) AND {due} < "
                f"{s.timestamp(self.now)} THEN {due} END",
            }
            add(
                "clocks",
                clock,
                s.insert_select(
                    clock,
                    exprs,
                    f"FROM {q(step.name)} st JOIN {q(case.name)} c ON c.id = st.case_id "
                    "JOIN bench_variant_step vs ON vs.playbook = c.playbook AND "
                    f"vs.outcome = c.outcome AND vs.{q('order')} = st.{q('order')} "
                    f"WHERE st.id {new_step_ids} AND {in_range} AND vs.clock_rule <> '' "
                    "ORDER BY st.id",
                    time="st.created_at",
                ),
            )
            clocks_after = scalar(f"SELECT COALESCE(MAX(id), 0) FROM {q(clock.name)}")
            new_clocks = (
                f"FROM {q(clock.name)} k JOIN {q(case.name)} c ON c.id = k.case_id "
                f"WHERE k.id BETWEEN {clocks_before + 1} AND {clocks_after} AND {in_range}"
            )
            add(
                "clock history",
                hclock.table,
                s.history_select(
                    hclock,
                    "k",
                    new_clocks,
                    date="k.started_at",
                    user="c.assignee_id",
                    kind="+",
                    reason="'기한 시작'",
                    overrides={
                        "stopped_at": "NULL",
                        "stop_reason": "''",
                        "overdue_marked_at": "NULL",
                    },
                ),
            )
            add(
                "clock history",
                hclock.table,
                s.history_select(
                    hclock,
                    "k",
                    new_clocks + " AND k.overdue_marked_at IS NOT NULL",
                    date="k.overdue_marked_at",
                    user="NULL",
                    kind="~",
                    reason="'기한 초과 표시'",
                ),
            )
            add(
                "clock history",
                hclock.table,
                s.history_select(
                    hclock,
                    "k",
                    new_clocks + " AND k.stopped_at IS NOT NULL",
                    date="k.stopped_at",
                    user="c.assignee_id",
                    kind="~",
                    reason="'기한 종료: 단계 완료'",
                ),
            )

    def _decision_fields(self) -> list[str]:
        fields: list[str] = []
        for variants in self.variants.values():
            for _w, v in variants:
                fields.extend(k for k in v.decided if k not in fields)
        return fields

    # --- driving the chunks -------------------------------------------------------------
    def run(self, *, cases: int, chunk: int, sink) -> None:
        started = time.monotonic()
        case = self.tables["case"]
        for start in range(0, cases, chunk):
            stop = min(cases, start + chunk)
            lo = case.next_id
            for index in range(start, stop):
                self.case(sink, index, cases)
            sink.flush(lo, case.next_id - 1)
            if self.stdout is not None:
                elapsed = time.monotonic() - started
                self.stdout.write(
                    f"  {stop:>9,} / {cases:,} cases  {elapsed:7.1f} s  "
                    f"({stop / max(elapsed, 1e-9):,.0f} cases/s)\n"
                )
                self.stdout.flush()


def _sealed(token: str):
    from fines.fields import Sealed

    return Sealed(token)


# --- PostgreSQL: indexes built once after a big load instead of row by row -----------------

DEFERRED_TABLE = "bench_deferred_index"


def defer_indexes(tables: list[str]) -> int:
    """Drop the secondary indexes of ``tables`` (not those behind a primary key or unique
    constraint), after saving their definitions in a table, so a crash loses nothing: the
    next run builds them (:func:`finish_tables`)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {DEFERRED_TABLE} "
            "(name text PRIMARY KEY, tablename text, definition text)"
        )
        cursor.execute(
            """
            SELECT i.indexname, i.tablename, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c WHERE c.conindid =
                  (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
              )
            """,
            [tables],
        )
        found = cursor.fetchall()
        for name, table, definition in found:
            cursor.execute(
                f"INSERT INTO {DEFERRED_TABLE} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [name, table, definition],
            )
            cursor.execute(f"DROP INDEX {Sql.q(name)}")
    return len(found)


#: Tables the measured pages read through index-only scans or read most: these get a full
#: ``VACUUM`` (visibility map, hint bits) after a load; the others get ``ANALYZE`` only
#: (autovacuum catches up with them later, as it would in production).
VACUUM_TABLES = frozenset({"cases_case", "cases_caseuserobjectpermission"})


def finish_tables(tables: list[str], *, vacuum: bool, workers: int = 2) -> int:
    """PostgreSQL: ``VACUUM (ANALYZE)`` (:data:`VACUUM_TABLES`) or ``ANALYZE`` each of
    ``tables`` and build the indexes deferred on any table, largest tables first, on
    ``workers`` connections at once. Returns the number of indexes built."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    pending: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [DEFERRED_TABLE])
        deferred = cursor.fetchone()[0] is not None
        if deferred:
            cursor.execute(f"SELECT tablename, name, definition FROM {DEFERRED_TABLE}")
            for table, name, definition in cursor.fetchall():
                pending[table].append((name, definition))
        names = sorted(set(tables if vacuum else ()) | set(pending))
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relname = ANY(%s)",
            [names],
        )
        sizes = dict(cursor.fetchall())
    work: queue.Queue = queue.Queue()
    for name in sorted(names, key=lambda n: -sizes.get(n, 0)):
        work.put(name)
    errors: list[BaseException] = []
    built = []

    def worker() -> None:
        raw = connection.get_new_connection(connection.get_connection_params())
        raw.autocommit = True  # VACUUM refuses to run inside a transaction
        try:
            with raw.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                while True:
                    try:
                        name = work.get_nowait()
                    except queue.Empty:
                        return
                    if vacuum and name in tables:
                        verb = "VACUUM (ANALYZE)" if name in VACUUM_TABLES else "ANALYZE"
                        cursor.execute(f"{verb} {Sql.q(name)}")
                    for index, definition in pending.get(name, ()):
                        cursor.execute("SELECT to_regclass(%s)", [Sql.q(index)])
                        if cursor.fetchone()[0] is None:
                            cursor.execute(definition)
                        cursor.execute(f"DELETE FROM {DEFERRED_TABLE} WHERE name = %s", [index])
                        built.append(index)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            raw.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"finishing tables failed: {errors[0]}") from errors[0]
    if deferred:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {DEFERRED_TABLE}")
            if cursor.fetchone()[0] == 0:
                cursor.execute(f"DROP TABLE {DEFERRED_TABLE}")
    return len(built)


def _reset_sequences(models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def seed(
    *,
    cases: int,
    chunk: int = 5_000,
    days: int = 365,
    seed: int = 7,
    now: datetime | None = None,
    vacuum: bool = True,
    defer: str = "auto",
    copy: bool | None = None,
    stdout=None,
) -> Report:
    """Add ``cases`` generated cases (and everything they left behind) to the database.

    ``defer``: on PostgreSQL, drop the secondary indexes during the load and build them after
    ("auto": when the load at least doubles the cases; "yes"; "no"). ``copy``: load with COPY
    on separate connections (default on PostgreSQL), else with ``executemany`` through Django's
    connection, inside the caller's transaction (the test suite's smoke test).
    """
    from django.db import connection
    from django.utils import timezone

    from cases.models import Case

    started = time.monotonic()
    now = now or timezone.now()
    finish_tables([], vacuum=False)  # indexes an interrupted earlier run left deferred
    generator = Generator(now=now, days=days, seed=seed, stdout=stdout)
    report = Report(backend=connection.vendor, notes=generator.notes)
    pg = connection.vendor == "postgresql"
    copy = pg if copy is None else copy and pg
    if not copy:
        # Inside the caller's transaction: no index juggling, and VACUUM cannot run there.
        defer, vacuum = "no", False
    existing = Case.objects.count() if defer == "auto" else 0
    if copy and (defer == "yes" or (defer == "auto" and cases >= existing)):
        report.deferred_indexes = defer_indexes([tb.name for tb in generator.targets])
    generator.create_scratch_tables()
    sink_class = CopySink if copy else ExecuteManySink
    sink = sink_class(connection, generator.written, generator, generator.stage)
    try:
        generator.run(cases=cases, chunk=max(1, chunk), sink=sink)
    finally:
        sink.close()
        generator.drop_scratch_tables()
    report.load_seconds = time.monotonic() - started
    _reset_sequences([tb.model for tb in generator.targets])
    t0 = time.monotonic()
    if stdout is not None and (report.deferred_indexes or vacuum):
        stdout.write(
            f"  building {report.deferred_indexes} deferred indexes"
            + (" and VACUUM ANALYZE" if vacuum else "")
            + "...\n"
        )
        stdout.flush()
    finish_tables([tb.name for tb in generator.targets], vacuum=vacuum)
    report.finish_seconds = time.monotonic() - t0
    report.cases = cases
    rows = {tb.name: tb.count for tb in generator.written if tb is not generator.stage}
    for name, count in generator.expanded.items():
        rows[name] = rows.get(name, 0) + count
    report.rows = rows
    report.history_rows = sum(rows.get(hist.table.name, 0) for hist in generator.history.values())
    report.seconds = time.monotonic() - started
    report.step_seconds = dict(sink.seconds)
    if stdout is not None:
        for note in generator.notes:
            stdout.write(f"  note: {note}\n")
    return report


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases to add (default 10,000)")
    parser.add_argument("--chunk", type=int, default=5_000, help="cases per loaded chunk")
    parser.add_argument("--days", type=int, default=365, help="period the cases spread over")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM ANALYZE")
    parser.add_argument(
        "--defer-indexes",
        choices=("auto", "yes", "no"),
        default="auto",
        help="PostgreSQL: build secondary indexes after the load (auto: when it at least "
        "doubles the cases)",
    )
    args = parser.parse_args(argv)
    from bench.sizes import SizeError, check_database, parse_size

    try:  # before anything is generated
        parse_size(str(args.cases))
        check_database([args.cases], os.environ.get("DATABASE_URL", "sqlite:"))
    except SizeError as exc:
        parser.error(str(exc))
    setup_django()
    from django.db import connection

    print(
        f"seed_data: {args.cases:,} cases into {connection.vendor} "
        f"database {connection.settings_dict['NAME']!s}"
    )
    report = seed(
        cases=args.cases,
        chunk=args.chunk,
        days=args.days,
        seed=args.seed,
        vacuum=not args.no_vacuum,
        defer=args.defer_indexes,
        stdout=sys.stdout,
    )
    print(
        f"done: {report.cases:,} cases, {report.total_rows:,} rows "
        f"({report.history_rows:,} history) in {report.seconds:.1f} s: load "
        f"{report.load_seconds:.1f} s, indexes ({report.deferred_indexes}) and vacuum/analyze "
        f"{report.finish_seconds:.1f} s"
    )
    for name, count in sorted(report.rows.items()):
        print(f"  {name:<45} {count:>12,}")
    if report.step_seconds:
        print(
            "  loader time: "
            + ", ".join(
                f"{k} {v:.1f} s"
                for k, v in sorted(report.step_seconds.items(), key=lambda kv: -kv[1])
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
