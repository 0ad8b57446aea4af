"""Evidence check: does the violation on the notice belong to the ride? (seed 004 step 3:
"위반일시와 운행 건(GPS 경로) 일치하는지 확인").

Pure: no database. The time test uses the ride's start/end times with a slack; the place test
uses the haversine distance from the violation point to the nearest point of the ride's path
(or its end point when no path was recorded). Parking violations are also matched at the end
point after the ride ended, because the car stays where the driver parked it.

Result: ``pass`` (time and place match), ``fail`` (the record contradicts the notice),
``unknown`` (not enough data to say: no ride, no times, or no coordinates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .codes import EVIDENCE_FAIL as FAIL
from .codes import EVIDENCE_PASS as PASS
from .codes import EVIDENCE_UNKNOWN as UNKNOWN

EARTH_RADIUS_M = 6_371_000.0

Point = tuple[float, float]  # (lat, lng)


def haversine_m(a: Point, b: Point) -> float:
    lat1, lng1 = map(math.radians, a)
    lat2, lng2 = map(math.radians, b)
    dlat, dlng = lat2 - lat1, lng2 - lng1
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class RideTrace:
    started_at: datetime | None
    ended_at: datetime | None
    start: Point | None = None
    end: Point | None = None
    path: Sequence[Point] = ()


@dataclass(frozen=True)
class Thresholds:
    max_distance_m: int = 300
    time_slack: timedelta = timedelta(minutes=10)
    parking_window: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, at: datetime | None = None) -> Thresholds:
        """The thresholds of the center settings in force at ``at`` (default now;
        ``rules.CenterSettings``, edited by leads and the manager, no restart needed)."""
        from rules.selectors import center_rules

        return cls.from_rules(center_rules(at))

    @classmethod
    def from_rules(cls, rules) -> Thresholds:
        """From a ``cases.playbooks.center.CenterRules`` (what playbooks get from ``env``)."""
        return cls(
            max_distance_m=rules.evidence_max_distance_m,
            time_slack=timedelta(minutes=rules.evidence_time_slack_minutes),
            parking_window=timedelta(hours=rules.evidence_parking_window_hours),
        )


@dataclass(frozen=True)
class EvidenceResult:
    result: str
    reason: str
    details: dict = field(default_factory=dict)


def check_evidence(
    *,
    ride: RideTrace | None,
    violation_at: datetime | None,
    violation_point: Point | None,
    parking: bool = False,
    thresholds: Thresholds | None = None,
) -> EvidenceResult:
    """Compare the notice's violation with the ride. See the module docstring for the rules."""
    t = thresholds or Thresholds()
    if ride is None:
        return EvidenceResult(UNKNOWN, "운행 기록이 없습니다 (콜ID로 운행을 찾지 못함).")
    if violation_at is None or ride.started_at is None or ride.ended_at is None:
        return EvidenceResult(UNKNOWN, "위반일시 또는 운행 시작/종료 시각이 없습니다.")

    window_start = ride.started_at - t.time_slack
    window_end = ride.ended_at + t.time_slack
    during_ride = window_start <= violation_at <= window_end
    after_parking = parking and ride.ended_at < violation_at <= ride.ended_at + t.parking_window
    details: dict = {
        "violation_at": violation_at.isoformat(),
        "ride_started_at": ride.started_at.isoformat(),
        "ride_ended_at": ride.ended_at.isoformat(),
        "time_slack_min": int(t.time_slack.total_seconds() // 60),
        "max_distance_m": t.max_distance_m,
    }
    if not (during_ride or after_parking):
        return EvidenceResult(FAIL, "위반일시가 운행 시간과 맞지 않습니다.", details)

    if violation_point is None:
        return EvidenceResult(UNKNOWN, "위반장소 좌표가 없어 장소를 확인할 수 없습니다.", details)
    if during_ride:
        candidates = list(ride.path) or [p for p in (ride.start, ride.end) if p is not None]
    else:
        candidates = [ride.end] if ride.end is not None else []
    if not candidates:
        return EvidenceResult(UNKNOWN, "운행 경로(GPS) 기록이 없습니다.", details)
    distance = min(haversine_m(violation_point, p) for p in candidates)
    details["distance_m"] = round(distance)
    details["matched_on"] = "end_point" if not during_ride else ("path" if ride.path else "ends")
    if distance > t.max_distance_m and during_ride and not ride.path:
        # Only the two ends are known: a camera in the middle of the route cannot be ruled out.
        return EvidenceResult(
            UNKNOWN,
            "경로(GPS) 기록이 없어 출발·도착지 외의 위반장소는 확인할 수 없습니다.",
            details,
        )
    if distance > t.max_distance_m:
        return EvidenceResult(
            FAIL,
            f"위반장소가 운행 경로에서 {round(distance)}m 떨어져 있습니다 (허용 {t.max_distance_m}m).",
            details,
        )
    return EvidenceResult(PASS, "위반일시와 장소가 운행 기록과 일치합니다.", details)
