"""The playbook registry and the one evaluation path (API simulator, agent form, importer).

``evaluate(code, data, at, env)`` validates ``data`` with the playbook's ``FACTS`` (a DRF
``ValidationError`` with Korean field errors when it does not hold) and returns the pure
``propose(...)`` answer. Nothing here touches the database; ``env`` does the asking.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import ModuleType
from typing import Any

from . import (
    driver_nonride_cancel,
    ev_charging,
    parking_double_payment,
    parking_operations,
    traffic_fine,
)
from .base import Env, Proposal


class UnknownPlaybook(LookupError):
    """No playbook has this code (a programming or data error, shown as a message)."""

    def __init__(self, code: Any):
        super().__init__(f"알 수 없는 플레이북입니다: {code!r}")
        self.code = code


#: code -> module (CODE, VERSION, FACTS, propose). traffic_fine joins when it is written.
PLAYBOOKS: dict[str, ModuleType] = {
    module.CODE: module
    for module in (
        parking_double_payment,
        parking_operations,
        driver_nonride_cancel,
        ev_charging,
        traffic_fine,
    )
}


def get_playbook(code: str) -> ModuleType:
    try:
        return PLAYBOOKS[code]
    except (KeyError, TypeError):
        raise UnknownPlaybook(code) from None


def validate_facts(code: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The playbook's validated facts (raises rest_framework ValidationError)."""
    serializer = get_playbook(code).FACTS(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        # "Which day in Seoul?" decides campaigns and dates in texts: never guess it.
        raise ValueError("evaluate(): 'at' must be an aware datetime")


def evaluate(code: str, data: Mapping[str, Any], at: datetime, env: Env) -> Proposal:
    _require_aware(at)
    return propose_validated(code, validate_facts(code, data), at, env)


def propose_validated(code: str, facts: Mapping[str, Any], at: datetime, env: Env) -> Proposal:
    """``evaluate`` for facts the playbook's ``FACTS`` has just validated (intake validates
    them once and proposes from the same values instead of validating them twice)."""
    _require_aware(at)
    return get_playbook(code).propose(facts, at, env)


__all__ = [
    "PLAYBOOKS",
    "UnknownPlaybook",
    "evaluate",
    "get_playbook",
    "propose_validated",
    "validate_facts",
]
