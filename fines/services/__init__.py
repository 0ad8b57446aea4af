"""Writes of the fines app (STYLE: ``<entity>_<verb>``, keyword-only, with the actor)."""

from .batch import payout_batch_run, payout_batch_tick, payout_pay, payout_transfers_reconcile
from .decisions import fine_decide
from .disputes import (
    dispute_cash_confirm,
    dispute_cash_documents,
    dispute_cash_post,
    dispute_open,
    dispute_request_dashcam,
    dispute_resolve,
)
from .intake import FineIntakeResult, fine_intake
from .manager import (
    notice_evidence_recheck,
    notice_evidence_review,
    partner_claim_record,
    penalty_complete,
    penalty_consent_record,
    penalty_driver_notify,
    penalty_evidence_mms,
)
from .payouts import (
    PayoutAmount,
    account_reveal,
    payout_amount_for,
    payout_approve,
    payout_cancel,
    payout_create,
    payout_reject,
    payout_verify_pending,
)
from .rides import ride_import, ride_upsert
from .settlement import payout_settle_manually

__all__ = [
    "FineIntakeResult",
    "PayoutAmount",
    "account_reveal",
    "dispute_cash_confirm",
    "dispute_cash_documents",
    "dispute_cash_post",
    "dispute_open",
    "dispute_request_dashcam",
    "dispute_resolve",
    "fine_decide",
    "fine_intake",
    "notice_evidence_recheck",
    "notice_evidence_review",
    "partner_claim_record",
    "payout_amount_for",
    "payout_approve",
    "payout_batch_run",
    "payout_batch_tick",
    "payout_cancel",
    "payout_create",
    "payout_pay",
    "payout_reject",
    "payout_settle_manually",
    "payout_transfers_reconcile",
    "payout_verify_pending",
    "penalty_complete",
    "penalty_consent_record",
    "penalty_driver_notify",
    "penalty_evidence_mms",
    "ride_import",
    "ride_upsert",
]
