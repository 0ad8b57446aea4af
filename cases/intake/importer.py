"""``manage.py import_cases``: chatbot-board exports (CSV or JSON Lines) become cases.

Each row is the API's intake request (``cases.intake.requests``) plus an optional
``received_at`` (the inquiry's own time, kept as the case's ``created_at``):

- JSON Lines: one request object per line;
- CSV: columns ``playbook, channel, idempotency_key, received_at, customer_phone, driver_id,
  driver_phone`` and the references (``call_id, charge_tid, station, parking_payment_id,
  lot``); facts either as one ``facts`` column holding a JSON object or as ``facts.<field>``
  columns (an empty cell = not given), or both (the columns win).

The rules are intake's (``cases.services.case_create``), applied to a batch at a time so a
million rows import at thousands per second: the playbook's FACTS validates (one serializer
per playbook, reused), unknown facts are refused as in the API, phones and references are
checked the same way, the duplicate guard is the same business key, and every case gets its
history row with the acting user. ``tests/api/test_import_cases.py`` holds the importer to
case_create field by field.

Resuming: a row whose idempotency key already exists is skipped (counted, not rejected). A row
without a key gets one derived from its content, so re-running the same file never imports a
row twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from cases.business_keys import REFERENCE_FIELDS, business_key_for, references_from
from cases.intake import jsonsafe
from cases.intake.bulk import check_fields, insert_with_history, row_of
from cases.intake.facts import UNKNOWN_FIELD, fact_names
from cases.intake.facts import flatten as _flat
from cases.intake.runner import BatchOutcome, Prepared, Reject, first_error, without_private_keys
from cases.intake.sources import RawRow
from cases.models import DONE_STATUSES, SERVICE_OF_PLAYBOOK, Case, Channel
from cases.models.case import phone_last4
from cases.playbooks import PLAYBOOKS
from cases.services.intake import ANSWERS_DUPLICATES, _duplicate_facts

REQUEST_KEYS = frozenset(
    {
        "playbook",
        "channel",
        "facts",
        "customer",
        "driver",
        "references",
        "idempotency_key",
        "received_at",
    }
)
CSV_COLUMNS = frozenset(
    {
        "playbook",
        "channel",
        "idempotency_key",
        "received_at",
        "customer_phone",
        "driver_id",
        "driver_phone",
        "facts",
        *REFERENCE_FIELDS,
    }
)
FACT_PREFIX = "facts."
FROM_THE_ROW = frozenset(
    {"customer_phone", "driver_id", "driver_phone", "idempotency_key", *REFERENCE_FIELDS}
)
CHECKED_FIELDS = tuple(f.name for f in Case._meta.concrete_fields if f.name in FROM_THE_ROW)
KEY_MAX = Case._meta.get_field("idempotency_key").max_length
CHANNELS = frozenset(Channel.values)  # (the enum builds the list anew on every access)
#: Values a representation may hold that JSON stores as they are.
PLAIN = (str, int, float, bool, type(None))


def stored_facts(representation: Mapping[str, Any]) -> dict[str, Any]:
    """The facts as stored (what ``case_create`` writes: the representation through JSON).

    DRF represents dates, times and decimals as strings already; only a representation with
    something else in it (a list, a nested object) goes through the JSON round trip.
    """
    if all(isinstance(value, PLAIN) for value in representation.values()):
        return dict(representation)
    return json.loads(json.dumps(representation, cls=DjangoJSONEncoder))


def check_csv_header(header: Sequence[str]) -> list[str]:
    """Columns this importer does not know (the file is refused before any row is read)."""
    return [
        name
        for name in header
        if name not in CSV_COLUMNS and not name.startswith(FACT_PREFIX) and not name.startswith("_")
    ]


def request_from_csv(data: Mapping[str, str]) -> dict[str, Any]:
    """A CSV row -> the intake request shape (empty cells are "not given")."""
    facts: dict[str, Any] = {}
    raw_facts = (data.get("facts") or "").strip()
    if raw_facts:
        facts = jsonsafe.loads(raw_facts)  # ValueError (also too deep) -> the row is rejected
        if not isinstance(facts, dict):
            raise ValueError("facts 열은 JSON 객체여야 합니다.")
    for name, value in data.items():
        if name.startswith(FACT_PREFIX) and value != "":
            facts[name[len(FACT_PREFIX) :]] = value
    request: dict[str, Any] = {
        "playbook": data.get("playbook", ""),
        "channel": data.get("channel", ""),
        "facts": facts,
        "customer": {"phone": data.get("customer_phone", "")},
        "driver": {"id": data.get("driver_id", ""), "phone": data.get("driver_phone", "")},
        "references": {name: data[name] for name in REFERENCE_FIELDS if data.get(name)},
    }
    for name in ("idempotency_key", "received_at"):
        if data.get(name):
            request[name] = data[name]
    return request


def derived_key(request: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(
        json.dumps(request, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    return f"import:{digest[:48]}"


class _Invalid(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CaseRowHandler:
    """Rows -> cases, the case_create rules a batch at a time (see the module docstring)."""

    def __init__(self, *, actor, fmt: str, now: datetime | None = None):
        self.actor = actor
        self.fmt = fmt
        self.now = now or timezone.now()
        self._facts: dict[str, serializers.Serializer] = {}
        self._written = 0
        self._analyze_at: int | None = None

    # --- one row, no database -------------------------------------------------------------

    def prepare(self, raw: RawRow) -> Prepared | Reject:
        data = without_private_keys(raw.data or {})
        try:
            request = request_from_csv(data) if self.fmt == "csv" else data
            case = self._case_from(request)
        except _Invalid as exc:
            return Reject(exc.reason)
        except ValueError as exc:
            return Reject(f"facts: JSON 형식 오류 ({exc})")
        return Prepared(raw=raw, key=case["idempotency_key"], value=case)

    def _facts_serializer(self, code: str) -> serializers.Serializer:
        # One instance per playbook: DRF deep-copies a serializer's fields on first use, which
        # costs more than validating a row; run_validation on the same instance is stateless.
        serializer = self._facts.get(code)
        if serializer is None:
            serializer = PLAYBOOKS[code].FACTS()
            serializer.fields  # noqa: B018 - build the fields once
            self._facts[code] = serializer
        return serializer

    def _case_from(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The row of the case ``request`` files (attname -> value), or :class:`_Invalid`."""
        unknown = sorted(set(request) - REQUEST_KEYS)
        if unknown:
            raise _Invalid(f"알 수 없는 항목입니다: {', '.join(unknown)}")
        errors: dict[str, list[str]] = {}
        playbook = request.get("playbook")
        if playbook not in PLAYBOOKS or playbook not in SERVICE_OF_PLAYBOOK:
            raise _Invalid(f"playbook: 알 수 없는 플레이북입니다: {playbook}")
        channel = request.get("channel")
        if channel not in CHANNELS:
            errors["channel"] = [f"접수 채널이 올바르지 않습니다: {channel}"]
        facts = request.get("facts") or {}
        if not isinstance(facts, dict):
            raise _Invalid("facts: JSON 객체여야 합니다.")
        customer = _object(request, "customer", {"phone"})
        driver = _object(request, "driver", {"id", "phone"})
        references = _object(request, "references", set(REFERENCE_FIELDS))
        refs = {k: str(v).strip() for k, v in references.items() if v not in (None, "")}

        module = PLAYBOOKS[playbook]
        known = fact_names(module)
        for name in facts:
            if name not in known:
                errors[f"facts.{name}"] = [UNKNOWN_FIELD]
        facts = dict(facts)
        # As case_create: the case's channel is the one truth for a channel fact.
        if "channel" in known:
            if facts.get("channel") in (None, ""):
                facts["channel"] = channel
            elif facts["channel"] != channel:
                errors["channel"] = ["접수 채널과 사실관계의 채널이 다릅니다."]
        clean_facts: dict[str, Any] = {}
        serializer = self._facts_serializer(playbook)
        try:
            validated = serializer.run_validation(facts)
        except serializers.ValidationError as exc:
            for name, messages in _flat(exc.detail).items():
                errors[f"facts.{name}"] = messages
        else:
            clean_facts = stored_facts(serializer.to_representation(validated))
        customer_phone = _phone(customer.get("phone"), "customer.phone", errors)
        driver_phone = _phone(driver.get("phone"), "driver.phone", errors)
        key = request.get("idempotency_key")
        if key is not None and not str(key).strip():
            errors["idempotency_key"] = ["멱등 키가 비어 있습니다."]
        elif key is not None and len(str(key)) > KEY_MAX:
            errors["idempotency_key"] = [f"멱등 키는 {KEY_MAX}자 이하여야 합니다."]
        received = request.get("received_at")
        created_at = self.now
        if received not in (None, ""):
            created_at = _moment(received, errors)
        if errors:
            raise _Invalid(first_error(errors))

        row = row_of(
            Case,
            {
                "playbook": playbook,
                "service": SERVICE_OF_PLAYBOOK[playbook],
                "channel": channel,
                "facts": clean_facts,
                "customer_phone": customer_phone,
                "customer_phone_last4": phone_last4(customer_phone),
                "driver_id": str(driver.get("id") or clean_facts.get("driver_id") or "").strip(),
                "driver_phone": driver_phone,
                "business_key": business_key_for(playbook, references=refs, facts=clean_facts),
                "idempotency_key": str(key) if key else derived_key(request),
                "created_by_id": self.actor.pk,
                "created_at": created_at,
                **references_from(refs, clean_facts),
            },
        )
        # The model's checks of what came from the row (lengths of ids and references); the
        # rest is set here from validated values, and the foreign key is the actor (Django
        # would query the database per row to validate it).
        errors = check_fields(Case, row, CHECKED_FIELDS)
        if errors:
            raise _Invalid(first_error(errors))
        return row

    # --- one batch, in the runner's transaction ------------------------------------------

    def write_batch(self, rows: Sequence[Prepared]) -> BatchOutcome:
        outcome = BatchOutcome()
        existing = set(
            Case.objects.filter(idempotency_key__in=[row.key for row in rows]).values_list(
                "idempotency_key", flat=True
            )
        )
        keys = {
            (row.value["playbook"], row.value["business_key"])
            for row in rows
            if row.value["business_key"]
        }
        open_cases = _open_cases(keys)
        seen_keys: set[str] = set()
        first_line: dict[tuple[str, str], int] = {}
        first_row: dict[tuple[str, str], dict[str, Any]] = {}
        new: list[dict[str, Any]] = []
        #: Seed 002 posts repeating a request in progress: (row, the case in progress's pk or
        #: the first row of this batch), filed as their own linked case (as case_create does).
        answered: list[tuple[dict[str, Any], int | dict[str, Any]]] = []
        for row in rows:
            case = row.value
            if row.key in existing or row.key in seen_keys:
                outcome.skipped.append(row)
                continue
            seen_keys.add(row.key)
            business = (case["playbook"], case["business_key"])
            if case["business_key"] and case["playbook"] in ANSWERS_DUPLICATES:
                if business in open_cases:
                    answered.append((case, open_cases[business]))
                    continue
                if business in first_row:
                    answered.append((case, first_row[business]))
                    continue
                first_row[business] = case
            if case["business_key"]:
                if business in open_cases:
                    outcome.rejected.append(
                        (
                            row,
                            f"중복 접수: 같은 건으로 처리 중인 케이스 #{open_cases[business]}가 있습니다.",
                        )
                    )
                    continue
                if business in first_line:
                    outcome.rejected.append(
                        (row, f"중복 접수: 이 파일 {first_line[business]}번째 줄과 같은 건입니다.")
                    )
                    continue
                first_line[business] = row.raw.line
            new.append(case)
        pks = insert_with_history(Case, new, actor=self.actor, reason="가져오기")
        if answered:
            pk_of = {id(row): pk for row, pk in zip(new, pks, strict=True)}
            firsts = {
                case.pk: case
                for case in Case.objects.filter(
                    pk__in=[f if isinstance(f, int) else pk_of[id(f)] for _, f in answered]
                )
            }
            rows = []
            for case, first in answered:
                first_case = firsts[first if isinstance(first, int) else pk_of[id(first)]]
                case["facts"] = stored_facts(_duplicate_facts(first_case, case["facts"]))
                case["business_key"] = ""  # the guard stays with the case in progress
                case["duplicate_of_id"] = first_case.pk
                rows.append(case)
            insert_with_history(
                Case, rows, actor=self.actor, reason="가져오기 (중복 접수: 처리 중인 케이스에 연결)"
            )
            new = new + rows
        outcome.created = len(new)
        self._keep_statistics_fresh(len(new))
        return outcome

    def _keep_statistics_fresh(self, created: int) -> None:
        """PostgreSQL plans the duplicate lookup from table statistics; an import that grows
        the table from empty makes them wrong within seconds (the planner then scans every case
        of the playbook per batch instead of using the partial index). ANALYZE each time the
        table may have grown fourfold since the statistics were taken (the first time when the
        rows written reach the table's size as the planner knew it at the start), and only the
        columns that lookup filters on: sampling the facts and proposal JSON of 30,000 rows
        for statistics nobody uses cost about a second each time."""
        if connection.vendor != "postgresql":
            return
        table = connection.ops.quote_name(Case._meta.db_table)
        if self._analyze_at is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
                known = (cursor.fetchone() or [0])[0] or 0
            self._analyze_at = max(1000, int(known))
        self._written += created
        if self._written >= self._analyze_at:
            columns = ", ".join(
                connection.ops.quote_name(name)
                for name in ("playbook", "business_key", "status", "idempotency_key")
            )
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table} ({columns})")
            self._analyze_at = self._written * 4


def _open_cases(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(playbook, business key) -> the open case holding it, for the keys of one batch.

    Answered from the partial unique index ``case_open_business_key_unique``. Its condition is
    written out with the statuses as SQL literals (code constants, never input): with bound
    parameters SQLite cannot prove the index applies and scans every open case of the
    playbook instead (135 ms instead of 2 ms per batch at 60,000 open cases).
    """
    if not keys:
        return {}
    by_playbook: dict[str, list[str]] = {}
    for playbook, key in keys:
        by_playbook.setdefault(playbook, []).append(key)
    quote = connection.ops.quote_name
    done = ", ".join(f"'{status}'" for status in DONE_STATUSES)  # 'decided', 'closed'
    assert all(str(status).isidentifier() for status in DONE_STATUSES)
    found: dict[tuple[str, str], int] = {}
    with connection.cursor() as cursor:
        for playbook, business_keys in by_playbook.items():
            marks = ", ".join(["%s"] * len(business_keys))
            cursor.execute(
                f"SELECT {quote('business_key')}, {quote('id')} FROM {quote(Case._meta.db_table)} "
                f"WHERE {quote('playbook')} = %s AND {quote('business_key')} IN ({marks}) "
                f"AND NOT ({quote('status')} IN ({done})) AND NOT ({quote('business_key')} = '') "
                f"ORDER BY {quote('created_at')}, {quote('id')}",
                [playbook, *business_keys],
            )
            for key, pk in cursor.fetchall():
                found.setdefault((playbook, key), pk)
    return found


def _object(request: Mapping[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    value = request.get(name)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise _Invalid(f"{name}: JSON 객체여야 합니다.")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _Invalid(f"{name}: 알 수 없는 항목입니다: {', '.join(unknown)}")
    return value


def _phone(value, field: str, errors: dict) -> str:
    if not value:
        return ""
    from templates_app.phones import InvalidPhoneNumber, validate_korean_mobile

    try:
        return validate_korean_mobile(str(value))
    except InvalidPhoneNumber as exc:
        errors[field] = [str(exc)]
        return ""


def _moment(value: Any, errors: dict) -> datetime:
    parsed = parse_datetime(str(value)) if not isinstance(value, datetime) else value
    if parsed is None:
        errors["received_at"] = ["접수 시각 형식이 올바르지 않습니다 (ISO 8601)."]
        return timezone.now()
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)  # TIME_ZONE = Asia/Seoul
    return parsed
