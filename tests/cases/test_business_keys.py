"""The business key per playbook (what makes two inquiries the same request)."""

import pytest

from cases.business_keys import business_key_for, references_from


@pytest.mark.parametrize(
    ("playbook", "refs", "facts", "key"),
    [
        ("driver_nonride_cancel", {}, {"call_id": "123"}, "123"),
        ("driver_nonride_cancel", {"call_id": "9"}, {"call_id": "123"}, "9"),  # refs win
        ("traffic_fine", {}, {"call_id": " 77 "}, "77"),
        ("parking_double_payment", {"parking_payment_id": "PP-1"}, {"lot_name": "A"}, "PP-1"),
        ("parking_double_payment", {}, {"lot_name": "A"}, ""),  # no payment id: no guard
        ("ev_charging", {}, {"tid": "T-5", "station_name": "S"}, "T-5"),
        ("ev_charging", {"charge_tid": "T-6"}, {"tid": "T-5"}, "T-6"),
        (
            "parking_operations",
            {},
            {"request_kind": "car_number_change", "lot_name": "A", "car_number": "12가3456"},
            "car_number_change:A:12가3456",
        ),
        ("parking_operations", {"lot": "B"}, {"request_kind": "stop_selling"}, "stop_selling:B"),
        ("parking_operations", {}, {"request_kind": "stop_selling"}, ""),
        ("unknown", {"call_id": "1"}, {}, ""),
    ],
)
def test_business_key(playbook, refs, facts, key):
    assert business_key_for(playbook, references=refs, facts=facts) == key


def test_reference_columns_come_from_references_or_facts():
    refs = references_from({"call_id": "1"}, {"tid": "T", "station_name": "S", "lot_name": "L"})
    assert refs == {
        "call_id": "1",
        "charge_tid": "T",
        "station": "S",
        "parking_payment_id": "",
        "lot": "L",
    }
