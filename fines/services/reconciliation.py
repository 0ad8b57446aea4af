"""The bank's side of the daily reconciliation report (leads: paid vs the bank's statement)."""

from __future__ import annotations

from datetime import date

from fines.gateways import TransferUncertain, get_gateway

from ._common import FineError


def bank_statement_for(*, day: date, gateway=None) -> list:
    """The contract account's withdrawals on ``day`` as the bank reports them (거래내역조회).

    FineError (Korean) when the configured bank offers no statement or does not answer: the
    report then says so instead of showing a comparison with nothing.
    """
    gateway = gateway or get_gateway()
    statement = getattr(gateway, "statement", None)
    if statement is None:
        raise FineError(
            "설정된 은행 연동은 거래내역조회를 제공하지 않습니다 "
            "(KMCS_BANK_TRANSFER_GATEWAY: 오픈뱅킹 어댑터에서만 대사할 수 있습니다)."
        )
    try:
        return list(statement(day))
    except TransferUncertain as exc:
        raise FineError(f"은행 거래내역을 받지 못했습니다: {exc}") from exc
    except Exception as exc:  # any transport error is "not now", never a 500
        raise FineError(f"은행 거래내역을 받지 못했습니다: {type(exc).__name__}") from exc
