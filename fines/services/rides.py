"""Ride (call) records: entered by hand or imported from the ride system's export."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from cases.exceptions import FactsInvalid
from fines.models import Ride

from ._common import audited_save, require

RIDE_FIELDS = (
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


def _coerce(values: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: values[k] for k in RIDE_FIELDS if k in values}
    for key in ("started_at", "ended_at"):
        if isinstance(out.get(key), str):
            parsed = parse_datetime(out[key])
            if parsed is None:
                raise FactsInvalid(
                    {key: ["날짜·시각 형식이 올바르지 않습니다 (YYYY-MM-DDTHH:MM)."]}
                )
            out[key] = parsed
    path = out.get("path")
    if path is not None:
        try:
            out["path"] = [[float(p[0]), float(p[1])] for p in path]
        except (TypeError, ValueError, IndexError) as exc:
            raise FactsInvalid({"path": ["경로는 [위도, 경도] 목록이어야 합니다."]}) from exc
    return out


@transaction.atomic
def ride_upsert(*, call_id: str, actor, source: str = Ride.Source.MANUAL, **values) -> Ride:
    """Create the ride of ``call_id`` or update it (an import is re-runnable)."""
    require(actor, "fines.ride.add", message="운행 기록을 입력할 권한이 없습니다.")
    data = _coerce(values)
    ride = Ride.objects.select_for_update(of=("self",)).filter(call_id=str(call_id).strip()).first()
    if ride is None:
        ride = Ride(call_id=str(call_id).strip(), created_by=actor)
    elif source == Ride.Source.MANUAL:
        require(actor, "fines.ride.change", message="운행 기록을 수정할 권한이 없습니다.")
    for key, value in data.items():
        setattr(ride, key, value)
    ride.source = source
    audited_save(ride, actor, reason="운행 기록 " + ("가져오기" if source == "import" else "입력"))
    return ride


@dataclass
class ImportReport:
    saved: list[str] = field(default_factory=list)
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)


def ride_import(*, rows: Iterable[Mapping[str, Any]], actor) -> ImportReport:
    """Import rows (dicts with ``call_id`` and the Ride fields); each row commits alone, so one
    bad row is reported (1-based line number) without losing the others."""
    report = ImportReport()
    for number, row in enumerate(rows, start=1):
        try:
            ride = ride_upsert(
                call_id=row.get("call_id", ""),
                actor=actor,
                source=Ride.Source.IMPORT,
                **{k: v for k, v in row.items() if k != "call_id"},
            )
        except FactsInvalid as exc:
            report.errors[number] = exc.errors
        else:
            report.saved.append(ride.call_id)
    return report
