"""Who moves the money in the daily batch. ``KMCS_BANK_TRANSFER_GATEWAY`` names the class.

A gateway gets the transfer's idempotency key with every request, so a bank that sees the same
key twice (a retry after a timeout) executes it once; our own guard is the unique
``BankTransfer`` row, taken before the gateway is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TransferResult:
    """A *definite* answer: the money moved (``ok``) or the bank refused (``error``, with the
    bank's ``code`` when it gave one). An answer that is not definite is raised as
    :class:`TransferUncertain`, never returned."""

    ok: bool
    reference: str = ""
    error: str = ""
    code: str = ""


class TransferUncertain(Exception):
    """The request may have reached the bank and we do not know what it did (timeout, 5xx after
    the request left, an answer we cannot read). The payout goes to 확인 필요 and nothing is sent
    again before the bank's transfer-result inquiry says what happened."""


class TransferGateway(Protocol):
    def transfer(
        self,
        *,
        idempotency_key: str,
        bank: str,
        account_number: str,
        holder: str,
        amount: int,
        payout_id: int | None = None,
    ) -> TransferResult: ...


# Optional, for a bank that offers them (the batch's reconciliation uses them when present):
#   idempotent: bool  -- the bank executes one transfer per idempotency key, however often asked
#   status(idempotency_key, payout_id=None, *, requested_at=None, amount=None)
#       -> TransferResult | None  -- the bank's answer for a key (None: no transfer with that key
#       arrived); raises TransferUncertain (or any error) when the bank cannot say


class RecordingTransferGateway:
    """Dev/test default: no bank. Succeeds and remembers each call (tests count them)."""

    calls: list[dict] = []  # a process-wide record, on purpose

    def transfer(self, *, idempotency_key, bank, account_number, holder, amount, payout_id=None):
        RecordingTransferGateway.calls.append(
            {"idempotency_key": idempotency_key, "bank": bank, "amount": amount}
        )
        return TransferResult(ok=True, reference=f"REC-{idempotency_key}")


class FileTransferGateway:
    """A bank that honours idempotency keys, journaled to ``KMCS_BANK_TRANSFER_LOG_PATH`` (JSON
    lines every process sees): the first transfer with a key is executed (one line), a repeat
    gets the first answer and moves no money (``<path>.duplicates``). :meth:`status` answers
    "did a transfer with this key arrive, and how did it end?" like a bank's inquiry API.

    The chaos bench counts "paid exactly once" here, at the bank, not only in KMCS's tables.
    """

    idempotent = True

    def __init__(self, path=None):
        from kmcs_site.journal import KeyedJournal

        self.journal = KeyedJournal(path or settings.KMCS_BANK_TRANSFER_LOG_PATH)

    def transfer(self, *, idempotency_key, bank, account_number, holder, amount, payout_id=None):
        import os
        import uuid

        from django.utils import timezone

        def entry():
            return {
                "reference": f"BANK-{uuid.uuid4().hex[:20]}",
                "bank": bank,
                "account_last4": account_number[-4:],  # never the whole number in a log
                "amount": amount,
                "at": timezone.now().isoformat(),
                "pid": os.getpid(),
            }

        first, _created = self.journal.record(idempotency_key, entry)
        return TransferResult(ok=True, reference=first["reference"])

    def status(
        self, idempotency_key: str, payout_id: int | None = None, **_context
    ) -> TransferResult | None:
        entry = self.journal.lookup(idempotency_key)
        if entry is None:
            return None
        return TransferResult(ok=True, reference=entry["reference"])


def get_gateway() -> TransferGateway:
    return import_string(settings.KMCS_BANK_TRANSFER_GATEWAY)()
