"""Korean phone numbers: one parser and one validator for the whole back office.

Pure functions (no Django, no database). How a number is *shown* (masked) is
``kmcs_site.privacy.mask_phone``, the one privacy module: a recipient's full number is stored
once, on the outbound message, and shown nowhere. ``mask_phone`` is still importable from here
for callers that predate that module.
"""

from __future__ import annotations

import re

#: Mobile prefixes still assigned in Korea. 010 numbers always have 11 digits; the legacy 01x
#: prefixes had 10 or 11.
MOBILE_PREFIXES = ("010", "011", "016", "017", "018", "019")

_SEPARATORS = re.compile(r"[\s\-.()]")


class InvalidPhoneNumber(ValueError):
    """A value that is not a Korean number of the expected kind (Korean message)."""


def phone_digits(value: str) -> str:
    """Digits of ``value`` with separators removed and +82 turned into the domestic 0 prefix.

    Returns "" when anything other than digits and ``- . ( ) space`` remains, so callers never
    guess at a half-understood number.
    """
    if not isinstance(value, str):
        return ""
    compact = _SEPARATORS.sub("", value.strip())
    if compact.startswith("+82"):
        rest = compact[3:]
        compact = rest if rest.startswith("0") else "0" + rest
    elif compact.startswith("0082"):
        compact = "0" + compact[4:].lstrip("0")
    if not compact.isascii() or not compact.isdigit():
        return ""
    return compact


def is_korean_mobile(value: str) -> bool:
    digits = phone_digits(value)
    if digits[:3] not in MOBILE_PREFIXES:
        return False
    if digits.startswith("010"):
        return len(digits) == 11
    return len(digits) in (10, 11)


def validate_korean_mobile(value: str) -> str:
    """Return the normalized digits of a Korean mobile number, or raise InvalidPhoneNumber.

    SMS can only reach mobiles: 010/011/016/017/018/019, 10-11 digits (010 always 11).
    """
    if is_korean_mobile(value):
        return phone_digits(value)
    from kmcs_site.privacy import mask_phone

    raise InvalidPhoneNumber(
        f"휴대전화 번호가 올바르지 않습니다: {mask_phone(value) or '(빈 값)'} "
        "(010/011/016/017/018/019로 시작하는 10~11자리 번호만 가능합니다)"
    )


def is_korean_phone(value: str) -> bool:
    """A mobile, or a landline (02 + 7-8 digits, 0XX + 7-8 digits), or 050X/070 numbers."""
    digits = phone_digits(value)
    if is_korean_mobile(digits):
        return True
    if digits.startswith("02"):
        return len(digits) in (9, 10)
    return digits.startswith("0") and len(digits) in (10, 11, 12)


def split_phone(digits: str) -> tuple[str, str, str] | None:
    """Area / middle / last-four of a domestic number, the way Koreans write it."""
    if len(digits) < 9 or not digits.startswith("0"):
        return None
    if digits.startswith("02"):
        head = 2
    elif digits.startswith("050") and len(digits) == 12:
        head = 4  # 0505-xxx-xxxx virtual numbers
    else:
        head = 3
    middle = digits[head:-4]
    if not 3 <= len(middle) <= 4:
        return None
    return digits[:head], middle, digits[-4:]


def format_phone(value: str) -> str:
    """``01000001234`` -> ``010-0000-1234`` (unmasked; only for the one screen that must dial)."""
    digits = phone_digits(value)
    parts = split_phone(digits)
    return "-".join(parts) if parts else digits


def __getattr__(name: str):
    # ``from templates_app.phones import mask_phone`` keeps working: the rule itself lives in
    # kmcs_site.privacy (which imports this module, hence the lazy lookup).
    if name == "mask_phone":
        from kmcs_site.privacy import mask_phone

        return mask_phone
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
