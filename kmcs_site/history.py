"""The audit trail across every model kept by django-simple-history (a selector).

It reads generically: every installed model with a simple-history manager
is audited (cases, partners' routes and reference data, SMS templates and versions, the
outbox, and fines' notices and payouts when the fines app is installed), so a new audited
model shows up without touching this file. It lives in ``kmcs_site`` because it reads every
app's models through the app registry and imports none of them (``cases.views.history``
re-exports it).

Cost per page, whatever the table sizes and the page length:
- 1 query: the page's keys, a ``UNION ALL`` of the history tables (filters pushed into each),
  newest first, ``LIMIT per_page + 1`` (no ``COUNT``);
- 1 query per model present on the page: its rows *and* each row's previous version (a
  correlated subquery on the page's ids only), with the acting user joined.
Each row's before/after values come from simple-history's ``diff_against``. Personal data is
masked: phone numbers everywhere (fields and free text), sealed account numbers never shown.

Archived rows (issue 17.8): ``manage.py kmcs_history_archive`` moves rows past the retention
cutoff to ``<table>_archive`` (same columns). With ``HistoryFilters(archived=True)`` the page
reads those tables too, on PostgreSQL: each archive table joins the ``UNION ALL`` of keys with
the same filters and per-table limit, and its rows are built by the same code as live rows
(the same statement with the table swapped, so the same masking). SQLite has no archive (the
command refuses it): :func:`archive_supported` says so and the page says why.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, connections, models
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone

from kmcs_site.privacy import (
    HIDDEN,
    is_phone_name,
    is_secret_name,
    mask_json,
    mask_phone,
    mask_text,
)

CHANGE_TYPES = {"+": "생성", "~": "변경", "-": "삭제"}
EMPTY = "—"


@dataclass(frozen=True)
class AuditedModel:
    label: str  # "cases.case"
    model: type[models.Model]
    history_model: type[models.Model]

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def app_verbose_name(self) -> str:
        return str(apps.get_app_config(self.model._meta.app_label).verbose_name)

    @property
    def pk_name(self) -> str:
        return self.model._meta.pk.attname


@lru_cache(maxsize=1)
def audited_models() -> tuple[AuditedModel, ...]:
    """Every model with a simple-history manager, in app and model order."""
    found = []
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if not manager:
            continue
        history_model = getattr(model, manager).model
        found.append(AuditedModel(model._meta.label_lower, model, history_model))
    return tuple(sorted(found, key=lambda m: m.label))


def audited_model(label: str) -> AuditedModel | None:
    return next((m for m in audited_models() if m.label == label), None)


def model_choices() -> list[tuple[str, str]]:
    return [(m.label, f"{m.verbose_name} ({m.label})") for m in audited_models()]


# --- masking: the rules are kmcs_site.privacy's (the one privacy module) ------------------------


def display_value(model_field: models.Field | None, name: str, value: Any) -> str:
    """A history value as the auditor reads it: labels for codes, local times, masked data."""
    if value is None or value == "":
        return EMPTY
    if is_secret_name(name) or type(value).__name__ == "Sealed":
        return HIDDEN
    if is_phone_name(name) and isinstance(value, str):
        return mask_phone(value) or EMPTY
    if model_field is not None and getattr(model_field, "flatchoices", None):
        labels = {str(k): str(v) for k, v in model_field.flatchoices}
        if str(value) in labels:
            return f"{labels[str(value)]} ({value})"
    if isinstance(model_field, models.ForeignKey):
        return f"#{value}"
    if isinstance(value, bool):
        return "예" if value else "아니오"
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M:%S")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(mask_json(value), ensure_ascii=False, indent=1, default=str)
    if isinstance(value, Decimal):
        return str(value)
    return mask_text(str(value))


# --- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str

    @property
    def is_long(self) -> bool:
        """Shown folded (SMS bodies, facts, Agit posts)."""
        return any(len(v) > 160 or v.count("\n") > 3 for v in (self.before, self.after))


@dataclass(frozen=True)
class HistoryRow:
    model_label: str
    model_name: str
    object_id: str
    history_id: int
    at: datetime
    user: Any
    change_type: str
    reason: str
    changes: tuple[Change, ...] = field(default_factory=tuple)
    case_id: int | None = None  # the case the row belongs to (cases and their parts)
    archived: bool = False  # read from ``<table>_archive``

    @property
    def change_type_label(self) -> str:
        return CHANGE_TYPES.get(self.change_type, self.change_type)


@dataclass(frozen=True)
class HistoryFilters:
    user_id: int | None = None
    model: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    object_id: int | None = None
    archived: bool = False  # also the rows moved to ``<table>_archive`` (PostgreSQL)
    case_id: int | None = None  # a case and the rows that belong to it (steps, posts, ...)


def _case_column(audited: AuditedModel) -> str | None:
    """The history column that names the case a row belongs to (None: not a case's part)."""
    if audited.label == "cases.case":
        return audited.pk_name
    try:
        audited.history_model._meta.get_field("case")
    except Exception:  # no ``case`` field: not one of a case's parts
        return None
    return "case_id"


def chosen_models(filters: HistoryFilters) -> list[AuditedModel]:
    """The audited models a filtered page reads (a model filter, a case filter)."""
    return [
        m
        for m in audited_models()
        if (not filters.model or m.label == filters.model)
        and (filters.case_id is None or _case_column(m) is not None)
    ]


def _filtered(audited: AuditedModel, filters: HistoryFilters):
    qs = audited.history_model.objects.all()
    if filters.user_id is not None:
        qs = qs.filter(history_user_id=filters.user_id)
    if filters.since is not None:
        qs = qs.filter(history_date__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(history_date__lt=filters.until)
    if filters.object_id is not None:
        qs = qs.filter(**{audited.pk_name: filters.object_id})
    if filters.case_id is not None:
        qs = qs.filter(**{_case_column(audited): filters.case_id})
    return qs


def _keys(audited: AuditedModel, filters: HistoryFilters, *, label: str | None = None):
    return (
        _filtered(audited, filters)
        .annotate(
            model_key=Value(label or audited.label, output_field=CharField()),
            object_key=Cast(audited.pk_name, output_field=CharField()),
        )
        .values_list("history_date", "model_key", "history_id", "object_key")
        .order_by()
    )


# --- archived rows (issue 17.8) ----------------------------------------------------------------

ARCHIVE_SUFFIX = "_archive"
#: Appended to a model label in a page key read from the archive ("cases.case|archive").
ARCHIVE_KEY = "|archive"


def archive_supported() -> bool:
    """Archived history exists only on PostgreSQL (``kmcs_history_archive`` refuses SQLite)."""
    return connection.vendor == "postgresql"


def _read_connection():
    """The connection this request's history reads use (the replica inside replica_context)."""
    from kmcs_site.db_router import read_alias

    return connections[read_alias()]


def archive_tables() -> set[str]:
    """The ``<table>_archive`` tables that exist (none until the archive step first ran)."""
    if not archive_supported():
        return set()
    with _read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename LIKE %s",
            [f"%{ARCHIVE_SUFFIX}"],
        )
        return {name for (name,) in cursor.fetchall()}


def on_archive(sql: str, table: str) -> str:
    """``sql`` (compiled by Django for a history table) reading ``<table>_archive`` instead.

    Every ``FROM "<table>"`` becomes the archive, aliased to the old name (or keeping a
    subquery's own alias, ``U0``), so every column reference stays valid. Only Django's own
    compiled statements are passed here: the table names come from the models."""
    quote = connection.ops.quote_name
    live, archive = quote(table), quote(table + ARCHIVE_SUFFIX)
    pattern = re.compile(rf"FROM {re.escape(live)}( [A-Z]\d+\b)?")
    return pattern.sub(lambda m: f"FROM {archive}{m.group(1) or ' ' + live}", sql)


def history_page_keys(*, filters: HistoryFilters, offset: int, limit: int) -> list[tuple]:
    """(history_date, model label, history_id, object id) of one page, newest first. 1 query
    (2 with archived rows: which archive tables exist)."""
    if filters.archived and archive_supported():
        return _keys_with_archive(filters=filters, offset=offset, limit=limit)
    query = history_page_query(filters=filters, offset=offset, limit=limit)
    return [] if query is None else list(query)


def _keys_with_archive(*, filters: HistoryFilters, offset: int, limit: int) -> list[tuple]:
    """The page's keys over the live tables and their archives: each table (live or archive)
    gives its newest ``offset + limit`` keys through its ``history_date`` index, then the union
    is sorted, as in :func:`history_page_query`. Archive keys carry :data:`ARCHIVE_KEY`."""
    existing = archive_tables()
    parts, params = [], []
    for audited in chosen_models(filters):
        table = audited.history_model._meta.db_table
        sources = [(audited.label, None)]
        if table + ARCHIVE_SUFFIX in existing:
            sources.append((audited.label + ARCHIVE_KEY, table))
        for label, archived_from in sources:
            keys = _keys(audited, filters, label=label).order_by("-history_date", "-history_id")
            sql, sql_params = keys[: offset + limit].query.sql_with_params()
            if archived_from:
                sql = on_archive(sql, archived_from)
            parts.append(f"SELECT * FROM ({sql}) k{len(parts)}")
            params.extend(sql_params)
    if not parts:
        return []
    statement = (
        " UNION ALL ".join(parts)
        + " ORDER BY history_date DESC, model_key DESC, history_id DESC LIMIT %s OFFSET %s"
    )
    with _read_connection().cursor() as cursor:
        cursor.execute(statement, [*params, limit, offset])
        return [tuple(row) for row in cursor.fetchall()]


def history_page_query(*, filters: HistoryFilters, offset: int, limit: int):
    """The statement :func:`history_page_keys` runs (None: no audited model matches); its
    plan is checked in ``bench/history_scale.py`` (issue 17.8)."""
    chosen = chosen_models(filters)
    if not chosen:
        return None
    queries = [_keys(m, filters) for m in chosen]
    if len(queries) > 1 and connection.features.supports_slicing_ordering_in_compound:
        # Each audited table contributes only its newest offset+limit keys (an index scan on
        # history_date) before the union is sorted; without this PostgreSQL sorted every
        # history row of every table (8 s at 1M cases). SQLite cannot limit inside a UNION and
        # keeps the plain union (the embedded default is for small data).
        queries = [q.order_by("-history_date", "-history_id")[: offset + limit] for q in queries]
    union = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    union = union.order_by("-history_date", "-model_key", "-history_id")
    return union[offset : offset + limit]


def _previous_ids(history_model, pk_name: str, ids: list[int]):
    """The history_id of each listed row's previous version of the same object (subquery)."""
    earlier = history_model.objects.filter(**{pk_name: OuterRef(pk_name)}).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    previous = Subquery(earlier.order_by("-history_date", "-history_id").values("history_id")[:1])
    return (
        history_model.objects.filter(history_id__in=ids)
        .annotate(previous_id=previous)
        .order_by()
        .values("previous_id")
    )


def _tracked(record) -> list[str]:
    """The fields diff_against compares (editable tracked fields), in model order."""
    return [f.name for f in record.tracked_fields if f.editable]


def _field(audited: AuditedModel, name: str) -> models.Field | None:
    try:
        return audited.model._meta.get_field(name)
    except Exception:  # a field the model no longer has
        return None


def _raw_changes(audited: AuditedModel, record, previous) -> list[tuple]:
    """[(name, model field, before, after)] of one history row, before formatting.

    Against the previous version: simple-history's ``diff_against``. Without one (the object
    was created, or its first kept version): every value it was created with, but its own id.
    """
    if previous is not None:
        delta = record.diff_against(previous)
        return [(c.field, _field(audited, c.field), c.old, c.new) for c in delta.changes]
    if record.history_type == "-":
        return []
    out = []
    for name in _tracked(record):
        model_field = _field(audited, name)
        if model_field is not None and model_field.primary_key:
            continue
        value = getattr(record, record._meta.get_field(name).attname, None)
        if value in (None, "", [], {}):
            continue
        out.append((name, model_field, None, value))
    return out


def is_user_fk(model_field) -> bool:
    return isinstance(model_field, models.ForeignKey) and (
        model_field.related_model is get_user_model()
    )


def user_labels_for(values) -> dict[Any, str]:
    """Usernames for every user id among ``(model field, before, after)`` triples (one query,
    none when no user reference changed)."""
    ids = {
        value
        for model_field, old, new in values
        if is_user_fk(model_field)
        for value in (old, new)
        if value is not None
    }
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def _user_labels(raw_rows) -> dict[Any, str]:
    """Usernames for every user id a page's changes mention (one query for the page)."""
    return user_labels_for(
        (model_field, old, new) for changes in raw_rows for _name, model_field, old, new in changes
    )


def _format(model_field, name: str, value: Any, users: dict) -> str:
    if value is not None and is_user_fk(model_field):
        return f"{users.get(value, '')} (#{value})".strip()
    return display_value(model_field, name, value)


def _case_id(audited: AuditedModel, record) -> int | None:
    if audited.label == "cases.case":
        return record.id
    if audited.model._meta.app_label == "cases":
        return getattr(record, "case_id", None)
    return None


def history_rows(keys: list[tuple]) -> list[HistoryRow]:
    """Full rows (who, what, before/after) for a page of keys.

    1 query per model present on the page (its rows and their previous versions), plus 1 for
    the names of users the changes mention.
    """
    by_model: dict[str, list[int]] = defaultdict(list)
    for _at, label, history_id, _obj in keys:
        by_model[label].append(history_id)
    pending: list[tuple[AuditedModel, Any, list[tuple]]] = []
    archived_rows: set[tuple[str, int]] = set()
    for key_label, ids in by_model.items():
        label = key_label.removesuffix(ARCHIVE_KEY)
        audited = audited_model(label)
        if audited is None:
            continue
        hm, pk = audited.history_model, audited.pk_name
        # ``IN (ids UNION previous ids)``, not ``IN ids OR IN previous``: PostgreSQL answers an
        # OR with a subquery by filtering the whole table (18 s at 1M cases).
        page_ids = hm.objects.filter(history_id__in=ids).order_by().values("history_id")
        rows = hm.objects.filter(
            history_id__in=page_ids.union(_previous_ids(hm, pk, ids), all=True)
        )
        if key_label.endswith(ARCHIVE_KEY):
            fetched = _archived_records(rows, audited)
            archived_rows.update((label, history_id) for history_id in ids)
        else:
            fetched = list(rows.select_related("history_user"))
        # The previous version of a page row is the one just before it among the fetched rows
        # of the same object: the true previous version was fetched and nothing lies between.
        per_object: dict[Any, list] = defaultdict(list)
        for record in fetched:
            per_object[getattr(record, pk)].append(record)
        wanted = set(ids)
        for versions in per_object.values():
            versions.sort(key=lambda r: (r.history_date, r.history_id))
            for index, record in enumerate(versions):
                if record.history_id in wanted:
                    previous = versions[index - 1] if index > 0 else None
                    pending.append((audited, record, _raw_changes(audited, record, previous)))
    users = _user_labels([changes for _a, _r, changes in pending])
    rows: dict[tuple[str, int], HistoryRow] = {}
    for audited, record, changes in pending:
        rows[(audited.label, record.history_id)] = HistoryRow(
            model_label=audited.label,
            model_name=audited.verbose_name,
            object_id=str(getattr(record, audited.pk_name)),
            history_id=record.history_id,
            at=record.history_date,
            user=record.history_user,
            change_type=record.history_type,
            reason=mask_text(record.history_change_reason or ""),
            changes=tuple(
                Change(
                    name,
                    str(model_field.verbose_name) if model_field is not None else name,
                    _format(model_field, name, old, users) if old is not None else EMPTY,
                    _format(model_field, name, new, users),
                )
                for name, model_field, old, new in changes
            ),
            case_id=_case_id(audited, record),
            archived=(audited.label, record.history_id) in archived_rows,
        )
    found = ((k[1].removesuffix(ARCHIVE_KEY), k[2]) for k in keys)
    return [rows[key] for key in found if key in rows]


def _archived_records(rows, audited: AuditedModel) -> list:
    """``rows`` (a history queryset: a page's ids and their previous versions) read from the
    archive table, as history model instances (``diff_against`` works on them alike); the
    acting users in one more query (a raw statement cannot join them)."""
    from django.db.models import prefetch_related_objects

    table = audited.history_model._meta.db_table
    sql, params = rows.query.sql_with_params()
    records = list(
        audited.history_model.objects.raw(on_archive(sql, table), params).using(
            _read_connection().alias
        )
    )
    prefetch_related_objects(records, "history_user")
    return records


def history_fetcher(filters: HistoryFilters):
    """``fetch(offset, limit)`` for :func:`kmcs_site.pagination.peek_paginate`."""

    def fetch(offset: int, limit: int) -> list[HistoryRow]:
        return history_rows(history_page_keys(filters=filters, offset=offset, limit=limit))

    return fetch
