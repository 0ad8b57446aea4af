"""Account numbers: normalising, masking, and the pure format/checksum rules.

No database and no settings here, so every screen, the playbook and the verifier agree on what a
valid account number looks like and on how it is shown masked.
"""

from __future__ import annotations

import re

from kmcs_site.privacy import mask_account_digits

from .banks import BANKS_BY_CODE, bank_name

_SEPARATORS = re.compile(r"[\s\-]")


class AccountFormatError(ValueError):
    """The account number cannot be a real account (message in Korean, shown to the user)."""


def normalize_account_number(raw: str) -> str:
    """Remove spaces and hyphens; whatever remains must be digits."""
    return _SEPARATORS.sub("", raw or "")


def check_account_format(*, bank: str, number: str) -> str:
    """The digits of ``number`` if it may be an account of ``bank``; AccountFormatError if not.

    Rules (the default verifier's, and the intake form's): digits only, the bank's length
    range, and not one digit repeated (000000000000 is a placeholder, never an account).
    """
    digits = normalize_account_number(number)
    if not digits:
        raise AccountFormatError("계좌번호를 입력하세요.")
    if not digits.isdigit() or not digits.isascii():
        raise AccountFormatError("계좌번호는 숫자(와 하이픈)만 입력할 수 있습니다.")
    info = BANKS_BY_CODE.get(bank)
    if info is None:
        raise AccountFormatError("지원하지 않는 은행입니다. 은행을 다시 선택하세요.")
    if not info.min_len <= len(digits) <= info.max_len:
        expected = (
            f"{info.min_len}자리"
            if info.min_len == info.max_len
            else f"{info.min_len}~{info.max_len}자리"
        )
        raise AccountFormatError(
            f"{info.name} 계좌번호는 {expected} 숫자입니다 (입력: {len(digits)}자리)."
        )
    if len(set(digits)) == 1:
        raise AccountFormatError("같은 숫자만 반복된 계좌번호는 사용할 수 없습니다.")
    return digits


def mask_account(*, bank: str = "", last4: str, length: int | None = None) -> str:
    """ "신한은행 ****1234": only the last four digits are ever shown without unmasking (the
    rule is ``kmcs_site.privacy.mask_account_digits``; this adds the bank's name)."""
    masked = mask_account_digits(last4=last4, length=length)
    return f"{bank_name(bank)} {masked}" if bank else masked
