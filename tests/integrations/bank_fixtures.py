"""The open-banking adapter pointed at the sandbox bank (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
from urllib import request as urlrequest

import pytest

from fines.gateways import RecordingTransferGateway
from fines.openbanking import OpenBankingClient
from kmcs_site.sandbox.server import set_behaviour
from tests.sandbox.conftest import sandbox  # noqa: F401 (the fixture)

CLIENT_SECRET = "sandbox-secret"


@pytest.fixture
def bank(sandbox, settings):  # noqa: F811
    """Payouts and account checks go to the sandbox bank; a short client timeout."""
    settings.KMCS_OPENBANKING_URL = sandbox.url
    settings.KMCS_OPENBANKING_CLIENT_ID = "kmcs-test"
    settings.KMCS_OPENBANKING_CLIENT_SECRET = CLIENT_SECRET
    settings.KMCS_OPENBANKING_ORG_CODE = "M202600001"
    settings.KMCS_OPENBANKING_CNTR_ACCOUNT = "1101230000678"
    settings.KMCS_OPENBANKING_TIMEOUT = 0.5
    settings.KMCS_BANK_TRANSFER_GATEWAY = "fines.openbanking.OpenBankingTransferGateway"
    settings.KMCS_ACCOUNT_VERIFIER = "fines.openbanking.OpenBankingVerifier"
    OpenBankingClient._tokens.clear()
    RecordingTransferGateway.calls.clear()
    set_behaviour(sandbox.url, "bank", client_secret=CLIENT_SECRET)
    yield sandbox
    OpenBankingClient._tokens.clear()


def behave(bank, **switches) -> None:
    set_behaviour(bank.url, "bank", **switches)


def executed(bank) -> list[dict]:
    """Money movements at the sandbox bank (one entry per transfer actually executed)."""
    with urlrequest.urlopen(f"{bank.url}/_sandbox/bank/transfers", timeout=5) as answer:  # nosec
        return json.loads(answer.read())["executed"]


def received(bank, path: str) -> list[dict]:
    with urlrequest.urlopen(f"{bank.url}/_sandbox/received", timeout=5) as answer:  # nosec
        return [r for r in json.loads(answer.read()) if r["path"] == path]
