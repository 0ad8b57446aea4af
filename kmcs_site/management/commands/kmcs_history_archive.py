"""Move audit history older than the retention period to archive tables (issue 17.8).

    manage.py kmcs_history_archive                       # rows older than 24 months, all tables
    manage.py kmcs_history_archive --months 36 --dry-run # how many rows would move
    manage.py kmcs_history_archive --chunk 50000

The retention plan (README "History at scale"): the live ``*_historical*`` tables keep the last
``KMCS_HISTORY_LIVE_MONTHS`` (at least 24: access and change logs are kept two years where
the auditors' pages read them); older rows move, in chunks of ``--chunk`` rows each in its own
transaction, to ``<table>_archive`` (same columns, created on first use, an index on
``history_date``), where they stay: nothing is deleted from the center's records, the
archive is only out of the hot tables and their indexes. Moving is one statement per chunk
on PostgreSQL (``WITH moved AS (DELETE ... RETURNING *) INSERT INTO ... SELECT``), so a row
is either live or archived, never both and never lost.

A cutoff newer than 24 months is refused in Korean (``--months`` below 24), unless
``--ignore-retention`` (bench data only: ``bench/history_scale.py`` times the move on data it
generated).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

MIN_MONTHS = 24


def history_tables() -> list[str]:
    from kmcs_site.history import audited_models

    return sorted({m.history_model._meta.db_table for m in audited_models()})


def history_keys() -> dict[str, str]:
    """Each history table's column naming the audited object (``id`` for most)."""
    from kmcs_site.history import audited_models

    return {m.history_model._meta.db_table: m.pk_name for m in audited_models()}


def archive_table(table: str) -> str:
    return f"{table}_archive"


#: The archive's indexes beyond ``history_date``: the ones the auditor's list reads when it
#: includes archived rows (kmcs_site.history, issue 17.8): a row's previous version (object
#: id, date), the list by user, a case's parts. Without them each archived row on a page
#: scanned the archive for its previous version. ``{pk}``: the audited model's key column.
ARCHIVE_INDEXES = {
    "_obj": ("{pk}", "history_date", "history_id"),
    "_user": ("history_user_id", "history_date", "history_id"),
    "_case": ("case_id", "history_date", "history_id"),
}


def ensure_archive(cursor, table: str, pk: str = "id") -> None:
    quote = connection.ops.quote_name
    archive = archive_table(table)
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {quote(archive)} (LIKE {quote(table)} INCLUDING DEFAULTS)"
    )
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS {quote(archive[:55] + '_date')} "
        f"ON {quote(archive)} (history_date)"
    )
    columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    for suffix, fields in ARCHIVE_INDEXES.items():
        fields = tuple(f.format(pk=pk) for f in fields)
        if not set(fields) <= columns:
            continue  # not every history table names a case
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(archive[:50] + suffix)} "
            f"ON {quote(archive)} ({', '.join(quote(f) for f in fields)})"
        )


def move_chunk(cursor, table: str, cutoff, chunk: int) -> int:
    quote = connection.ops.quote_name
    cursor.execute(
        f"WITH moved AS (DELETE FROM {quote(table)} WHERE history_id IN ("
        f"SELECT history_id FROM {quote(table)} WHERE history_date < %s "
        f"ORDER BY history_date LIMIT %s) RETURNING *) "
        f"INSERT INTO {quote(archive_table(table))} SELECT * FROM moved",
        [cutoff, chunk],
    )
    return cursor.rowcount


class Command(BaseCommand):
    help = "보관 기간(기본 24개월)이 지난 변경 이력을 보관 테이블(<표>_archive)로 옮깁니다."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=MIN_MONTHS)
        parser.add_argument("--chunk", type=int, default=20_000)
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--ignore-retention", action="store_true", help="bench data only")

    def handle(self, *args, months, chunk, dry_run, ignore_retention, **options):
        if connection.vendor != "postgresql":
            raise CommandError("이력 보관 이동은 PostgreSQL에서만 합니다 (DATABASE_URL 확인).")
        if months < MIN_MONTHS and not ignore_retention:
            raise CommandError(
                f"변경·접근 기록은 {MIN_MONTHS}개월 이상 보관해야 합니다 (--months {months})."
            )
        if chunk < 1:
            raise CommandError("--chunk는 1 이상이어야 합니다.")
        cutoff = timezone.now() - timedelta(days=round(months * 30.44))
        quote = connection.ops.quote_name
        total, started = 0, time.perf_counter()
        for table in history_tables():
            moved = 0
            if dry_run:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT count(*) FROM {quote(table)} WHERE history_date < %s", [cutoff]
                    )
                    moved = cursor.fetchone()[0]
            else:
                with transaction.atomic(), connection.cursor() as cursor:
                    ensure_archive(cursor, table, history_keys()[table])
                while True:
                    with transaction.atomic(), connection.cursor() as cursor:
                        n = move_chunk(cursor, table, cutoff, chunk)
                    moved += n
                    if n < chunk:
                        break
            total += moved
            if moved:
                self.stdout.write(f"{table}: {moved:,}")
        verb = "옮길" if dry_run else "옮긴"
        self.stdout.write(
            f"{cutoff:%Y-%m-%d} 이전 이력 {verb} 행: {total:,} "
            f"({time.perf_counter() - started:.2f}초)"
        )
