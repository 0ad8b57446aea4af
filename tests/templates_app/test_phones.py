"""Korean mobile validation and the one masking rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from templates_app.phones import (
    InvalidPhoneNumber,
    format_phone,
    is_korean_phone,
    mask_phone,
    validate_korean_mobile,
)


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("010-0000-1234", "01000001234"),
        ("01000001234", "01000001234"),
        ("010 0000 1234", "01000001234"),
        ("+82 10-0000-1234", "01000001234"),
        ("+82-010-0000-1234", "01000001234"),
        ("011-000-1234", "0110001234"),
        ("016-0000-1234", "01600001234"),
        ("017-000-1234", "0170001234"),
        ("018-000-1234", "0180001234"),
        ("019-0000-1234", "01900001234"),
    ],
)
def test_korean_mobiles_are_normalized(raw, digits):
    assert validate_korean_mobile(raw) == digits


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "02-123-4567",  # landline: cannot receive SMS
        "010-000-1234",  # 010 numbers have 11 digits
        "012-0000-1234",  # not a mobile prefix
        "010-0000-12345",
        "1588-1234",
        "010-0000-123a",
        "+1 415 555 0100",
        None,
    ],
)
def test_other_numbers_are_refused_in_korean(raw):
    with pytest.raises(InvalidPhoneNumber, match="휴대전화 번호"):
        validate_korean_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("010-0000-5678", "010-****-5678"),
        ("01000005678", "010-****-5678"),
        ("011-000-5678", "011-***-5678"),
        ("02-123-4567", "02-***-4567"),
        ("031-1234-5678", "031-****-5678"),
        ("1588-1234", "****1234"),
        ("123", "***"),
        ("", ""),
        (None, ""),
        ("전화 없음", ""),
    ],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


@given(st.text())
def test_masking_never_fails_and_never_shows_more_than_four_digits_in_a_row(value):
    masked = mask_phone(value)
    run = best = 0
    for ch in masked:
        run = run + 1 if ch.isdigit() else 0
        best = max(best, run)
    assert best <= 4


def test_landlines_are_phones_but_not_mobiles():
    assert is_korean_phone("02-123-4567")
    assert is_korean_phone("010-0000-1234")
    assert not is_korean_phone("1234")
    assert format_phone("01000001234") == "010-0000-1234"
