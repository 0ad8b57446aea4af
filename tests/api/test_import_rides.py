"""manage.py import_rides (fines.models.Ride) through the shared import machinery."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command


def run(path, user, **options):
    out = io.StringIO()
    call_command(
        "import_rides", str(path), as_user=user.username, stdout=out, progress=False, **options
    )
    return out.getvalue()


def test_rides_import_rejects_and_resumes(tmp_path, staff):
    from fines.models import Ride

    source = tmp_path / "rides.csv"
    source.write_bytes(
        (
            "call_id,started_at,ended_at,end_lat,end_lng,path,driver_name,fare\n"
            '810001,2024-06-15T22:00:00,2024-06-15T22:40:00,37.5045,127.049,"[[37.4979, 127.0276]]",김기사,25000\n'
            "810002,2024-06-15T23:00:00,2024-06-15T22:00:00,,,,,\n"
            "810003,2024-06-15T23:00:00,,north,,,,\n"
            "81000X,,,,,,,\n"
            "810004,,,,,,,12.5\n"
        ).encode("cp949")
    )
    with pytest.raises(CommandError, match="4행"):
        run(source, staff["agent"])
    ride = Ride.objects.get()
    assert ride.call_id == "810001" and ride.driver_name == "김기사"
    assert ride.started_at.isoformat() == "2024-06-15T13:00:00+00:00"  # Seoul wall time
    assert ride.source == "import" and ride.created_by == staff["agent"]
    assert ride.history.get().history_user == staff["agent"]
    reasons = (tmp_path / "rides.rejects.csv").read_text("utf-8-sig")
    assert "운행 종료는 시작보다 빠를 수 없습니다." in reasons
    assert "end_lat: 숫자(위도·경도)가 아닙니다." in reasons
    assert "콜ID는 숫자만 입력할 수 있습니다" in reasons
    assert "fare: 요금은 원 단위 정수여야 합니다." in reasons

    jsonl = tmp_path / "rides.jsonl"
    jsonl.write_text(
        json.dumps({"call_id": "810001", "fare": 1})
        + "\n"
        + json.dumps({"call_id": "810005"})
        + "\n",
        "utf-8",
    )
    assert "생성 1 / 건너뜀(이미 가져옴) 1" in run(jsonl, staff["agent"])
    assert Ride.objects.get(call_id="810001").fare == 25000  # an import never overwrites


def test_rides_import_needs_the_ride_permission(tmp_path, staff):
    source = tmp_path / "rides.jsonl"
    source.write_text(json.dumps({"call_id": "810010"}) + "\n", "utf-8")
    with pytest.raises(CommandError, match="운행 기록을 입력할 권한이 없습니다"):
        run(source, staff["auditor"])
