"""``manage.py import_rides FILE.csv|FILE.jsonl --as-user USERNAME``: ride (call) records from
the ride system's export, for the fines evidence check (``fines.models.Ride``).

Columns (CSV) or keys (JSON Lines): ``call_id`` (required, digits) and any of ``service,
started_at, ended_at, start_lat, start_lng, end_lat, end_lng, start_address, end_address, path,
driver_id, driver_name, driver_phone, fare``. Empty cells are "not given"; ``path`` is a JSON
list of ``[lat, lng]`` pairs; times are ISO 8601 (no zone = Asia/Seoul).

The run is the cases importer's (``cases.intake``): streamed, every row validated (the Ride
model's own validators and its end-after-start rule), good rows written in batches with their
history rows, refused rows in a rejects file with the reason, a progress bar, the rate at the
end. Resumable: a call ID that is already stored is skipped, so re-running a file (or the next
day's export that overlaps it) never duplicates a ride; correcting a stored ride is a lead's
edit (``fines.services.ride_upsert``), not an import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.intake.bulk import insert_with_history, values_of
from cases.intake.command import ImportCommand
from cases.intake.runner import BatchOutcome, Prepared, Reject, first_error, without_private_keys
from cases.intake.sources import RawRow
from fines.models import Ride

COLUMNS = (
    "call_id",
    "service",
    "started_at",
    "ended_at",
    "start_lat",
    "start_lng",
    "end_lat",
    "end_lng",
    "start_address",
    "end_address",
    "path",
    "driver_id",
    "driver_name",
    "driver_phone",
    "fare",
)
FLOATS = ("start_lat", "start_lng", "end_lat", "end_lng")
#: Model fields a row does not set (validated by construction, or the actor's foreign key).
NOT_FROM_THE_ROW = ["id", "source", "created_by", "created_at"]


class RideRowHandler:
    def __init__(self, *, actor):
        self.actor = actor

    def prepare(self, raw: RawRow) -> Prepared | Reject:
        data = without_private_keys(raw.data or {})
        unknown = sorted(set(data) - set(COLUMNS))
        if unknown:
            return Reject(f"알 수 없는 항목입니다: {', '.join(unknown)}")
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for name in COLUMNS:
            value = data.get(name)
            if isinstance(value, str):
                value = value.strip()
            if value in (None, ""):
                continue
            try:
                values[name] = _convert(name, value)
            except (TypeError, ValueError, IndexError) as exc:
                errors[name] = [str(exc) if isinstance(exc, _BadValue) else _MESSAGES[name]]
        if "call_id" not in values and "call_id" not in errors:
            errors["call_id"] = ["콜 ID: 필수 항목입니다."]
        if errors:
            return Reject(first_error(errors))
        ride = Ride(source=Ride.Source.IMPORT, created_by=self.actor, **values)
        try:
            ride.clean_fields(exclude=NOT_FROM_THE_ROW)
            ride.validate_constraints()
        except ValidationError as exc:
            return Reject(first_error(_messages(exc)))
        return Prepared(raw=raw, key=ride.call_id, value=values_of(ride))

    def write_batch(self, rows: Sequence[Prepared]) -> BatchOutcome:
        outcome = BatchOutcome()
        stored = set(
            Ride.objects.filter(call_id__in=[row.key for row in rows]).values_list(
                "call_id", flat=True
            )
        )
        new, seen = [], set()
        for row in rows:
            if row.key in stored or row.key in seen:
                outcome.skipped.append(row)
                continue
            seen.add(row.key)
            new.append(row.value)
        insert_with_history(Ride, new, actor=self.actor, reason="운행 기록 가져오기")
        outcome.created = len(new)
        return outcome


class _BadValue(ValueError):
    pass


_MESSAGES = {
    **{name: f"{name}: 숫자(위도·경도)가 아닙니다." for name in FLOATS},
    "fare": "fare: 요금은 원 단위 정수여야 합니다.",
    "path": "path: 경로는 [위도, 경도] 목록(JSON)이어야 합니다.",
    "started_at": "started_at: 날짜·시각 형식이 올바르지 않습니다 (YYYY-MM-DDTHH:MM).",
    "ended_at": "ended_at: 날짜·시각 형식이 올바르지 않습니다 (YYYY-MM-DDTHH:MM).",
}


def _convert(name: str, value: Any) -> Any:
    if name in FLOATS:
        return float(value)
    if name == "fare":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if name == "path":
        points = json.loads(value) if isinstance(value, str) else value
        if not isinstance(points, list):
            raise ValueError(value)
        return [[float(point[0]), float(point[1])] for point in points]
    if name in ("started_at", "ended_at"):
        moment = parse_datetime(str(value))
        if moment is None:
            raise ValueError(value)
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    if not isinstance(value, (str, int)):
        raise _BadValue(f"{name}: 문자열이어야 합니다.")
    return str(value)


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


class Command(ImportCommand):
    help = (
        "운행 기록(CSV/JSONL: 콜 ID, 시작/종료 시각, 출발/도착 좌표, 경로 등)을 가져옵니다. 거부된 "
        "행은 사유와 함께 거부 파일에 쓰고, 이미 있는 콜 ID는 건너뜁니다 (다시 실행해도 안전)."
    )
    actions = ("fines.ride.add",)
    denied = "운행 기록을 입력할 권한이 없습니다"

    def check_header(self, header):
        unknown = [name for name in header if name not in COLUMNS and not name.startswith("_")]
        if unknown:
            raise CommandError(f"알 수 없는 열입니다: {', '.join(unknown)}")
        if "call_id" not in header:
            raise CommandError("call_id 열이 있어야 합니다.")

    def make_handler(self, *, actor, fmt, header):
        return RideRowHandler(actor=actor)
