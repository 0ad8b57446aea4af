"""Banks a fine can be refunded to, with the account-number lengths each one issues.

Lengths are the digit counts (hyphens removed) of the personal account formats the banks
publish, widened where a bank issues several formats (old/new numbering, virtual-account
ranges are not accepted). Codes are the KFTC bank codes so an HTTP adapter can send them as is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    min_len: int
    max_len: int


BANKS: tuple[Bank, ...] = (
    Bank("004", "KB국민은행", 12, 14),
    Bank("088", "신한은행", 11, 12),
    Bank("020", "우리은행", 11, 13),
    Bank("081", "하나은행", 11, 14),
    Bank("011", "NH농협은행", 11, 14),
    Bank("003", "IBK기업은행", 10, 14),
    Bank("023", "SC제일은행", 11, 11),
    Bank("027", "한국씨티은행", 10, 13),
    Bank("090", "카카오뱅크", 13, 13),
    Bank("089", "케이뱅크", 12, 12),
    Bank("092", "토스뱅크", 12, 12),
    Bank("031", "iM뱅크(대구)", 11, 12),
    Bank("032", "부산은행", 12, 13),
    Bank("039", "경남은행", 12, 13),
    Bank("034", "광주은행", 12, 13),
    Bank("037", "전북은행", 12, 13),
    Bank("035", "제주은행", 10, 12),
    Bank("007", "수협은행", 11, 12),
    Bank("071", "우체국", 14, 14),
    Bank("045", "새마을금고", 13, 13),
    Bank("048", "신협", 12, 13),
    Bank("002", "KDB산업은행", 11, 14),
)

BANKS_BY_CODE = {bank.code: bank for bank in BANKS}
BANK_CHOICES = [(bank.code, bank.name) for bank in BANKS]


def bank_name(code: str) -> str:
    bank = BANKS_BY_CODE.get(code)
    return bank.name if bank else code
