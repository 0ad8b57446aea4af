"""Models of the fines app, one module per concept, re-exported here."""

from fines.models.disputes import DisputeResolution, ParkingDispute
from fines.models.notices import FineNotice
from fines.models.payouts import (
    LIVE_STATUSES,
    AccountUnmaskLog,
    BankTransfer,
    FinePayout,
    PayoutBatch,
    PayoutStatus,
)
from fines.models.rides import Ride

__all__ = [
    "LIVE_STATUSES",
    "AccountUnmaskLog",
    "BankTransfer",
    "DisputeResolution",
    "FineNotice",
    "FinePayout",
    "ParkingDispute",
    "PayoutBatch",
    "PayoutStatus",
    "Ride",
]
