"""Cases as CSV or XLSX, streamed: memory stays flat whatever the number of rows.

Phone numbers are masked unless the caller asked for them in full *and* may see them
(``cases.case.unmask``, checked by the view); then every exported case gets its
:class:`~cases.models.UnmaskLog` rows (who, which case, which field, why) before its row leaves
the server, chunk by chunk, so the log says exactly what was sent. Every export, masked or
not, is also written to the ``kmcs.export`` log.

Cells that a spreadsheet would run as a formula (starting with = + - @) are written as text.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from cases.exceptions import FactsInvalid
from cases.models import Case, UnmaskLog

logger = logging.getLogger("kmcs.export")

CHUNK = 1000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PHONE_FIELDS = {"customer_phone": "고객 전화번호", "driver_phone": "기사 전화번호"}


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Case, bool], Any]


COLUMNS: tuple[Column, ...] = (
    Column("케이스 ID", lambda c, _u: c.pk),
    Column("접수 시각", lambda c, _u: _local(c.created_at)),
    Column("플레이북", lambda c, _u: c.playbook),
    Column("플레이북 버전", lambda c, _u: c.playbook_version),
    Column("서비스", lambda c, _u: c.get_service_display()),
    Column("접수 채널", lambda c, _u: c.get_channel_display()),
    Column("상태", lambda c, _u: c.get_status_display()),
    Column("처리 결과 코드", lambda c, _u: c.outcome),
    Column("처리결과(유형)", lambda c, _u: c.result_type_label),
    Column("사유", lambda c, _u: c.reason),
    Column("상담유형", lambda c, _u: str(c.consultation_type) if c.consultation_type else ""),
    Column(
        "고객 전화번호",
        lambda c, unmask: _full(c.customer_phone) if unmask else c.masked_customer_phone,
    ),
    Column("기사 ID", lambda c, _u: c.driver_id),
    Column(
        "기사 전화번호",
        lambda c, unmask: _full(c.driver_phone) if unmask else c.masked_driver_phone,
    ),
    Column("콜 ID", lambda c, _u: c.call_id),
    Column("충전 TID", lambda c, _u: c.charge_tid),
    Column("충전소", lambda c, _u: c.station),
    Column("주차 결제 ID", lambda c, _u: c.parking_payment_id),
    Column("주차장", lambda c, _u: c.lot),
    Column("담당 상담사", lambda c, _u: c.assignee.username if c.assignee_id else ""),
    Column("결정 시각", lambda c, _u: _local(c.decided_at)),
    Column("종결 시각", lambda c, _u: _local(c.closed_at)),
)
HEADERS = [column.header for column in COLUMNS]


def _full(phone: str) -> str:
    from templates_app.phones import format_phone

    return format_phone(phone) if phone else ""


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _chunks(cases: QuerySet[Case]) -> Iterator[list[Case]]:
    chunk: list[Case] = []
    for case in cases.iterator(chunk_size=CHUNK):
        chunk.append(case)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _log_unmask(chunk: list[Case], actor, reason: str) -> None:
    now = timezone.now()
    UnmaskLog.objects.bulk_create(
        [
            UnmaskLog(case_id=case.pk, field=field, reason=reason, by=actor, at=now)
            for case in chunk
            for field in PHONE_FIELDS
            if getattr(case, field)
        ]
    )


def export_rows(cases: QuerySet[Case], *, actor, unmask_reason: str | None) -> Iterator[list]:
    """Rows (header first) of ``cases``; unmasked and logged when ``unmask_reason`` is given."""
    yield HEADERS
    unmask = unmask_reason is not None
    for chunk in _chunks(cases):
        if unmask:
            _log_unmask(chunk, actor, f"내보내기: {unmask_reason}")
        for case in chunk:
            yield [_safe(column.value(case, unmask)) for column in COLUMNS]


def csv_stream(rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (Excel in Korean Windows reads it as UTF-8), one row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def xlsx_file(rows: Iterable[list]):
    """An XLSX workbook in a temporary file (openpyxl write-only: rows go to disk as written)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("케이스")
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    workbook.save(out)
    out.seek(0)
    return out


def export_response(
    cases: QuerySet[Case],
    *,
    file_type: str,
    actor,
    unmask_reason: str | None,
    filters: dict[str, str],
):
    """The HTTP response of an export (CSV streamed, XLSX from a temporary file)."""
    limit = settings.KMCS_EXPORT_MAX_ROWS
    cases = cases.select_related("consultation_type", "assignee").order_by("-created_at", "-id")
    if cases[: limit + 1].count() > limit:
        raise FactsInvalid(
            {"non_field_errors": [f"내보낼 케이스가 {limit:,}건을 넘습니다. 조건을 좁혀 주세요."]}
        )
    logger.info(
        "export by user %s: %s, unmasked=%s, filters=%s",
        actor.pk,
        file_type,
        unmask_reason is not None,
        filters,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    rows = export_rows(cases, actor=actor, unmask_reason=unmask_reason)
    if file_type == "xlsx":
        return FileResponse(
            xlsx_file(rows),
            as_attachment=True,
            filename=f"cases-{stamp}.xlsx",
            content_type=XLSX_MEDIA_TYPE,
        )
    response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
    return response
