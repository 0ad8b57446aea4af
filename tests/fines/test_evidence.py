"""Evidence check: violation time and place against the ride (pass / fail / unknown)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fines.evidence import RideTrace, Thresholds, check_evidence, haversine_m

SEOUL = ZoneInfo("Asia/Seoul")
START, MID, END = (37.4979, 127.0276), (37.5020, 127.0380), (37.5045, 127.0490)
RIDE = RideTrace(
    started_at=datetime(2024, 6, 15, 22, 0, tzinfo=SEOUL),
    ended_at=datetime(2024, 6, 15, 22, 40, tzinfo=SEOUL),
    start=START,
    end=END,
    path=(START, MID, END),
)
T = Thresholds(max_distance_m=300, time_slack=timedelta(minutes=10))


def at(hh, mm, day=15):
    return datetime(2024, 6, day, hh, mm, tzinfo=SEOUL)


def test_haversine_is_metres():
    # About 1.11 km per 0.01 degree of latitude.
    assert 1100 < haversine_m((37.50, 127.0), (37.51, 127.0)) < 1125


def test_pass_on_the_path_during_the_ride():
    result = check_evidence(ride=RIDE, violation_at=at(22, 20), violation_point=MID, thresholds=T)
    assert result.result == "pass"
    assert result.details["distance_m"] == 0


def test_fail_when_time_is_outside_the_ride():
    result = check_evidence(ride=RIDE, violation_at=at(23, 30), violation_point=END, thresholds=T)
    assert result.result == "fail" and "시간" in result.reason


def test_time_slack_is_inclusive():
    assert (
        check_evidence(ride=RIDE, violation_at=at(22, 50), violation_point=END, thresholds=T).result
        == "pass"
    )
    assert (
        check_evidence(ride=RIDE, violation_at=at(22, 51), violation_point=END, thresholds=T).result
        == "fail"
    )


def test_fail_when_place_is_far_from_the_path():
    busan = (35.1796, 129.0756)
    result = check_evidence(ride=RIDE, violation_at=at(22, 20), violation_point=busan, thresholds=T)
    assert result.result == "fail" and "m 떨어져" in result.reason


def test_parking_after_the_ride_matches_the_end_point_only():
    next_morning = at(8, 0, day=16)
    parked = check_evidence(
        ride=RIDE, violation_at=next_morning, violation_point=END, parking=True, thresholds=T
    )
    assert parked.result == "pass" and parked.details["matched_on"] == "end_point"
    elsewhere = check_evidence(
        ride=RIDE, violation_at=next_morning, violation_point=START, parking=True, thresholds=T
    )
    assert elsewhere.result == "fail"
    not_parking = check_evidence(
        ride=RIDE, violation_at=next_morning, violation_point=END, parking=False, thresholds=T
    )
    assert not_parking.result == "fail"


def test_unknown_without_enough_data():
    assert (
        check_evidence(ride=None, violation_at=at(22, 20), violation_point=MID).result == "unknown"
    )
    no_times = RideTrace(started_at=None, ended_at=None, path=(START,))
    assert (
        check_evidence(ride=no_times, violation_at=at(22, 20), violation_point=MID).result
        == "unknown"
    )
    assert (
        check_evidence(ride=RIDE, violation_at=at(22, 20), violation_point=None).result == "unknown"
    )
    assert check_evidence(ride=RIDE, violation_at=None, violation_point=MID).result == "unknown"


def test_without_a_path_the_middle_of_the_route_is_unknown_not_fail():
    ends_only = RideTrace(started_at=RIDE.started_at, ended_at=RIDE.ended_at, start=START, end=END)
    result = check_evidence(
        ride=ends_only, violation_at=at(22, 20), violation_point=MID, thresholds=T
    )
    assert result.result == "unknown"
    near_end = check_evidence(
        ride=ends_only, violation_at=at(22, 39), violation_point=END, thresholds=T
    )
    assert near_end.result == "pass"


@pytest.mark.django_db
def test_thresholds_come_from_the_center_settings_in_force():
    # Issue 15 A.3: rules.CenterSettings (a lead edits it), not Django settings.
    from rules.models import CenterSettings

    CenterSettings.objects.update(evidence_max_distance_m=50, evidence_time_slack_minutes=0)
    t = Thresholds.from_settings()
    assert t.max_distance_m == 50 and t.time_slack == timedelta(0)
