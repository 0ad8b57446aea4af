"""What the import commands share: arguments, the acting user, the file, the run, the summary.

    manage.py import_cases FILE.csv|FILE.jsonl --as-user USERNAME [--rejects PATH]
        [--batch-size N] [--encoding auto|utf-8|cp949] [--format auto|csv|jsonl]
        [--progress|--no-progress] [--workers N]

Exit status: 0 when every row was imported or skipped as already imported; 1 (CommandError)
when some rows were rejected (they are in the rejects file, everything else is imported) or
the file could not be read at all (nothing imported).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from cases.intake.runner import RejectsWriter, RowHandler, run_import
from cases.intake.sources import (
    SourceError,
    count_lines,
    csv_rows,
    detect_encoding,
    file_format,
    jsonl_rows,
)
from kmcs_site.permissions import user_can


def default_workers() -> int:
    """Validation processes beside the writing one: CPUs - 1, at most 2 (the writer is the
    other bottleneck)."""
    return max(0, min(2, (os.cpu_count() or 1) - 1))


class ImportCommand(BaseCommand):
    #: Actions (kmcs_site.permissions) the acting user must hold.
    actions: tuple[str, ...] = ()
    denied = "가져오기 권한이 없습니다."

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV 또는 JSON Lines(.jsonl) 파일")
        parser.add_argument(
            "--as-user",
            "--actor",
            dest="as_user",
            required=True,
            help="기록에 남을 사용자 (username)",
        )
        parser.add_argument("--rejects", help="거부된 행을 쓸 파일 (기본: <파일>.rejects.<확장자>)")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.KMCS_IMPORT_BATCH_SIZE,
            help="한 트랜잭션에 쓰는 행 수",
        )
        parser.add_argument("--encoding", default="auto", help="auto(기본), utf-8, cp949")
        parser.add_argument("--format", dest="fmt", default="auto", help="auto(기본), csv, jsonl")
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="진행 막대 (속도·남은 시간). 기본: 터미널에서만 표시",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="행 검사를 나눠 맡을 프로세스 수 (0: 이 프로세스에서 검사). 기본: CPU 수 - 1, 최대 2",
        )

    def make_handler(self, *, actor, fmt: str, header: list[str] | None) -> RowHandler:
        raise NotImplementedError

    def check_header(self, header: list[str]) -> None:
        """Refuse a CSV whose columns cannot be imported (raise CommandError)."""

    def handle(
        self,
        *args,
        path,
        as_user,
        rejects,
        batch_size,
        encoding,
        fmt,
        progress,
        workers,
        **options,
    ):
        actor = get_user_model().objects.filter(username=as_user).first()
        if actor is None:
            raise CommandError(f"사용자를 찾을 수 없습니다: {as_user}")
        for action in self.actions:
            if not user_can(actor, action):
                raise CommandError(f"{self.denied} ({as_user}: {action})")
        if batch_size < 1:
            raise CommandError("--batch-size는 1 이상이어야 합니다.")
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"파일이 없습니다: {source}")
        try:
            kind = file_format(source, fmt)
            codec = detect_encoding(source, encoding)
            header = None
            if kind == "csv":
                header, rows = csv_rows(source, codec)
                self.check_header(header)
            else:
                rows = jsonl_rows(source, codec)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        rejects_path = Path(rejects) if rejects else source.with_suffix(f".rejects{source.suffix}")
        total = count_lines(source) - (1 if kind == "csv" else 0)
        self.stdout.write(
            f"{source.name}: {kind.upper()}, {codec.replace('-sig', '')}, 약 {total:,}행 "
            f"(배치 {batch_size}행, 시작 {timezone.localtime():%H:%M:%S})"
        )
        if connection.vendor == "sqlite":
            # 64 MiB of page cache for this connection (default 2 MiB): an import touches the
            # same index pages of two tables for every row; the default cache re-reads them
            # and halves the rate past a few hundred thousand rows.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -65536")
        stats = run_import(
            rows,
            self.make_handler(actor=actor, fmt=kind, header=header),
            RejectsWriter(rejects_path, fmt=kind, header=header),
            batch_size=batch_size,
            total=max(total, 0),
            progress=sys.stderr.isatty() if progress is None else progress,
            progress_stream=sys.stderr,
            workers=max(workers, 0),
        )
        self.stdout.write(stats.summary())
        if stats.rejected:
            self.stdout.write(
                f"거부 파일: {rejects_path} (사유는 _reason 열, 고쳐서 다시 가져올 수 있습니다)"
            )
            raise CommandError(
                f"{stats.rejected:,}행을 가져오지 못했습니다 (거부 파일: {rejects_path})."
            )
        self.stdout.write(self.style.SUCCESS(f"완료: 초당 {stats.rows_per_second:,.0f}행"))
