"""Multi-row INSERTs for the bulk import, with their simple-history rows.

``QuerySet.bulk_create`` spends most of an import's time compiling SQL: it prepares every
value through the field API (dozens of calls per value) and, on SQLite, splits a batch into
INSERTs of 999 parameters (about 20 rows). Here each field's conversion is chosen once per
model, a statement carries as many rows as the database accepts, and the new primary keys come
back with ``RETURNING`` (SQLite >= 3.35 and PostgreSQL, the same assumption Django's own
``bulk_create`` makes about their order); on PostgreSQL the rows are streamed with ``COPY``
and the keys taken from the table's sequence first. Models are still built and validated as
usual; only the writing is leaner. The history rows are what ``HistoricalRecords`` would write for a
creation ("+", the acting user, a reason).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

#: Field types whose Python value is what the database driver takes.
AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def _max_params() -> int:
    raw = getattr(connection, "connection", None)
    if connection.vendor == "sqlite" and raw is not None:
        import sqlite3

        return raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if connection.vendor == "postgresql":
        return 65535
    return connection.features.max_query_params or 999


def _identity(value):
    return value


@lru_cache(maxsize=16)
def _fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


def _converters(fields: Sequence[models.Field]) -> list[Callable[[Any], Any]]:
    """Per field, the function from a Python value to what the driver takes (None stays None).

    The backend's own adapters, called directly: the field API around them costs more than
    the INSERT itself when a million rows go through it.
    """
    ops = connection.ops
    converters: list[Callable[[Any], Any]] = []
    for field in fields:
        kind = field.get_internal_type()
        if kind in AS_IS:
            converters.append(_identity)
        elif kind == "DateTimeField":
            adapt = ops.adapt_datetimefield_value
            converters.append(lambda value, adapt=adapt: None if value is None else adapt(value))
        elif kind == "JSONField":
            adapt, encoder = ops.adapt_json_value, field.encoder
            converters.append(
                lambda value, adapt=adapt, encoder=encoder: (
                    None if value is None else adapt(value, encoder)
                )
            )
        else:
            converters.append(
                lambda value, field=field: field.get_db_prep_save(value, connection=connection)
            )
    return converters


def values_of(obj: models.Model) -> dict[str, Any]:
    """A built (unsaved) instance as the row :func:`insert` writes: attname -> value."""
    for field in obj._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            field.pre_save(obj, True)
    return {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key
    }


@lru_cache(maxsize=16)
def _defaults(model: type[models.Model]) -> tuple[tuple[str, Any, bool], ...]:
    """(attname, default or field, is per-row) for each column :func:`row_of` fills."""
    plan = []
    for field in _fields(model):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            plan.append((field.attname, timezone.now, True))
        elif field.has_default() and callable(field.default):
            plan.append((field.attname, field.default, True))
        else:
            plan.append((field.attname, field.get_default(), False))
    return tuple(plan)


def row_of(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """The row ``values_of(model(**values))`` would give, without building the instance:
    ``values`` by attname (``created_by_id``, not ``created_by``), every other column its
    default (callables called per row, ``auto_now`` fields now). An import builds a million
    of these; ``Model.__init__`` costs more than validating the row."""
    row = {}
    for name, default, per_row in _defaults(model):
        if name in values:
            row[name] = values[name]
        else:
            row[name] = default() if per_row else default
    return row


def check_fields(
    model: type[models.Model], row: dict[str, Any], names: Sequence[str]
) -> dict[str, list[str]]:
    """``Model.clean_fields`` for the columns ``names`` of a :func:`row_of` row: cleaned
    values written back, {field: [messages]} for the ones that fail."""
    errors: dict[str, list[str]] = {}
    for name in names:
        field = model._meta.get_field(name)
        raw = row[field.attname]
        if field.blank and raw in field.empty_values:
            continue
        try:
            row[field.attname] = field.clean(raw, None)
        except ValidationError as exc:
            errors[field.name] = list(exc.messages)
    return errors


def insert(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning: bool
) -> list[int]:
    """INSERT ``rows`` (:func:`values_of` dicts) into ``model``'s table; the new pks if
    ``returning`` (in the rows' order), else []."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy(model, rows, returning=returning)
    fields = _fields(model)
    pairs = list(zip([f.attname for f in fields], _converters(fields), strict=True))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(len(rows), _max_params() // len(fields)))
    pks: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params: list[Any] = []
            for row in chunk:
                params.extend(convert(row[name]) for name, convert in pairs)
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([per_row] * len(chunk))}"
            if returning:
                sql += f" RETURNING {quote(model._meta.pk.column)}"
            cursor.execute(sql, params)
            if returning:
                pks.extend(value for (value,) in cursor.fetchall())
    return pks


def _copy(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning: bool
) -> list[int]:
    """PostgreSQL: ``COPY ... FROM STDIN`` (psycopg streams the rows; no statement to plan).

    COPY returns nothing, so the new primary keys are taken from the table's own sequence
    first (``nextval``: safe with other writers) and written with the rows.
    """
    fields = list(_fields(model))
    converters = _converters(fields)
    quote = connection.ops.quote_name
    table = model._meta.db_table
    pk = model._meta.pk
    pks: list[int] = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk.column, len(rows)],
            )
            pks = sorted(value for (value,) in cursor.fetchall())
            fields.insert(0, pk)
            converters.insert(0, _identity)
        columns = ", ".join(quote(f.column) for f in fields)
        names = [f.attname for f in fields]
        # The raw psycopg cursor (Django has no COPY): its errors are translated by hand, so a
        # unique violation is Django's IntegrityError for the callers (the batch intake's race
        # fallback, the importer's failed-batch handling) as with any other statement.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy,
        ):
            for index, row in enumerate(rows):
                if returning:
                    row = {**row, pk.attname: pks[index]}
                copy.write_row(
                    [convert(row[name]) for name, convert in zip(names, converters, strict=True)]
                )
    return pks


@lru_cache(maxsize=16)
def _history_copied(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The fields of ``model``'s history table that copy the row's own columns (its ``id``
    included: in the history table it is a plain column, ``history_id`` is the key)."""
    own = {f.attname for f in model._meta.concrete_fields}
    return tuple(
        f
        for f in model.history.model._meta.concrete_fields
        if f.attname in own and not f.primary_key
    )


def _history_extra(*, actor, reason: str | None) -> dict[str, Any]:
    """The history columns of a creation record ("+") beside the copied row, in the order
    :func:`_insert_if_new_sql` writes them."""
    return {
        "history_date": timezone.now(),
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": getattr(actor, "pk", None),
    }


def _history_rows(model, rows, pks, *, actor, reason: str | None) -> list[dict[str, Any]]:
    """The "+" history row ``HistoricalRecords`` would write for each new row."""
    shared = [f.attname for f in _history_copied(model)]
    pk_name = model._meta.pk.attname
    extra = _history_extra(actor=actor, reason=reason)
    return [
        {**{name: row[name] for name in shared if name != pk_name}, pk_name: pk, **extra}
        for row, pk in zip(rows, pks, strict=True)
    ]


def insert_with_history(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, actor, reason: str
) -> list[int]:
    """INSERT ``rows`` and one "+" history row each (simple-history's creation record)."""
    pks = insert(model, rows, returning=True)
    insert(
        model.history.model,
        _history_rows(model, rows, pks, actor=actor, reason=reason),
        returning=False,
    )
    return pks


@lru_cache(maxsize=16)
def _insert_if_new_sql(model: type[models.Model], vendor: str) -> str:
    """The statement of :func:`insert_if_new_with_history`.

    PostgreSQL: one statement, a data-modifying ``WITH`` whose history INSERT copies the row
    the first INSERT returned (same columns, same values, no second conversion). SQLite has no
    INSERT inside ``WITH``: the row's INSERT alone, returning its key.
    """
    quote = connection.ops.quote_name
    fields = _fields(model)
    pk = quote(model._meta.pk.column)
    insert_row = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING"
    )
    if vendor != "postgresql":
        return f"{insert_row} RETURNING {pk}"
    copied = ", ".join(quote(f.column) for f in _history_copied(model))
    extra = list(_history_extra(actor=None, reason=None))
    return (
        f"WITH new AS ({insert_row} RETURNING {copied}) "
        f"INSERT INTO {quote(model.history.model._meta.db_table)} "
        f"({copied}, {', '.join(quote(column) for column in extra)}) "
        f"SELECT {copied}, {', '.join(['%s'] * len(extra))} FROM new RETURNING {pk}"
    )


def insert_if_new_with_history(
    model: type[models.Model], row: dict[str, Any], *, actor, reason: str | None = None
) -> int | None:
    """INSERT one :func:`values_of` row and its "+" history row and answer the new key, unless
    a unique index of the table already holds one of the row's keys: then nothing is written
    and the answer is None.

    Single intake's write (issue 17.5): the idempotency key's unique index and the duplicate
    guard's partial unique index answer "taken" inside the INSERT (``ON CONFLICT DO NOTHING``,
    which also waits for a concurrent insert of the same key to commit or roll back), so a new
    case needs no lookup before it and no savepoint, and on PostgreSQL the case and its history
    row are one statement. Other errors (a CHECK constraint) raise as usual.
    """
    fields = _fields(model)
    params = [
        convert(row[f.attname]) for f, convert in zip(fields, _converters(fields), strict=True)
    ]
    sql = _insert_if_new_sql(model, connection.vendor)
    if connection.vendor == "postgresql":
        params += _history_extra(actor=actor, reason=reason).values()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchone()
        return found[0] if found else None
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchone()
        if found is None:
            return None
        history = _history_rows(model, [row], [found[0]], actor=actor, reason=reason)
        insert(model.history.model, history, returning=False)
    return found[0]
